"""Hypothesis strategies over decoder-only language-model inputs: repeated tokens and triplets."""

from __future__ import annotations

from hypothesis import strategies as st

from generators import check_interval
from generators.causal_lm.tokens import repeated_tokens, triplets


def repeated_token_inputs(vocab_size: int, sequence_lengths: tuple[int, int] = (2, 30), batch_size: int = 8, bos: int | None = 0):
    """Repeated random tokens for a decoder-only model; shrinks towards the shortest sequence and seed 0."""
    check_interval("sequence_lengths", sequence_lengths, 2)
    return st.builds(lambda length, seed: repeated_tokens(batch_size, length, vocab_size, bos=bos, seed=seed),
                     st.integers(*sequence_lengths), st.integers(0, 2**32 - 1))


def triplet_inputs(vocab_size: int, pattern_lengths: tuple[int, int] = (2, 6), gap_lengths: tuple[int, int] = (0, 4),
                   batch_size: int = 8, bos: int | None = 0):
    """Triplet sequences ``[A] X.. [B] gap [C] X.. [D] gap [A] X..``; shrinks towards [A][B] with no gap and seed 0."""
    check_interval("pattern_lengths", pattern_lengths, 2)
    check_interval("gap_lengths", gap_lengths, 0)
    return st.builds(lambda length, gap, seed: triplets(batch_size, length, vocab_size, gap_length=gap, bos=bos, seed=seed),
                     st.integers(*pattern_lengths), st.integers(*gap_lengths), st.integers(0, 2**32 - 1))
