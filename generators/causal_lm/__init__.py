"""Decoder-only language-model inputs: repeated tokens, triplets and induction/shuffled pairs, and strategies."""
