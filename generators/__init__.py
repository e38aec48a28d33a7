"""Inputs for the claims: repeated random tokens (RRT) and multisine series for Chronos; repeated tokens,
triplets and induction/shuffled pairs for decoder-only language models."""

from generators.rrt import CHRONOS_COMMON_TOKENS, RRTBatch, rrt_batch
from generators.strategies import repeated_token_inputs, rrt_params, triplet_inputs
from generators.tokens import induction_pairs, repeated_tokens, triplets

__all__ = ["CHRONOS_COMMON_TOKENS", "RRTBatch", "rrt_batch", "rrt_params", "repeated_tokens", "triplets", "induction_pairs",
           "repeated_token_inputs", "triplet_inputs"]
