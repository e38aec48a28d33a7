"""Inputs for the claims: repeated random tokens (RRT) and, later, multisine series."""

from generators.rrt import CHRONOS_COMMON_TOKENS, RRTBatch, rrt_batch
from generators.strategies import rrt_params

__all__ = ["CHRONOS_COMMON_TOKENS", "RRTBatch", "rrt_batch", "rrt_params"]
