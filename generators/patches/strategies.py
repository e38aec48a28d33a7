"""Hypothesis strategies over patch-model inputs: RRP parameters that fit a context of whole patches, and multisines on
the patch grid."""

from __future__ import annotations

from hypothesis import strategies as st

from generators import check_interval
from generators.chronos.strategies import RRTParams, multisines, rrt_params
from generators.patches.multisine import PATCH_SIZE, PATCH_T1


def rrp_params(sequence_lengths: tuple[int, int] = (2, 20), repetitions: tuple[int, int] = (1, 4), *,
               max_context_patches: int | None = None) -> st.SearchStrategy[RRTParams]:
    """RRP parameters (sequence length and repetitions in patches, and a seed) whose input of
    sequence_length x repetitions + 1 patches fits ``max_context_patches``; shrinks as rrt_params does."""
    check_interval("sequence_lengths", sequence_lengths, 2)
    check_interval("repetitions", repetitions, 1)
    if max_context_patches is not None and sequence_lengths[0] * repetitions[0] + 1 > max_context_patches:
        raise ValueError(f"even the shortest input ({sequence_lengths[0]} x {repetitions[0]} + 1 patches) exceeds "
                         f"max_context_patches={max_context_patches}; lower the ranges")
    return rrt_params(sequence_lengths, repetitions, max_encoder_length=None if max_context_patches is None else max_context_patches + 1)


def patch_multisines(frequency_count: tuple[int, int] = (2, 5), steps_range: tuple[int, int] = (256, 512), patch_size: int = PATCH_SIZE, *,
                     progression: bool = False):
    """Multisines of whole patches over PATCH_T1 seconds, their frequencies below a quarter of the patch rate (with
    ``progression``, in the arithmetic progressions of generators.chronos.strategies.multisines)."""
    return multisines(frequency_count, steps_range, PATCH_T1, patch_size=patch_size, progression=progression)
