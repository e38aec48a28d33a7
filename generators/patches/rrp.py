"""Repeated random patches (RRP): the RRT input for models that read a series in patches of values.

A random sequence S of ``sequence_length`` patches is repeated ``repetitions`` times and followed by S[0], so the
context ends on a patch whose previous occurrence is known. Each patch holds ``patch_size`` values with mean 0 and
norm 1: the context's mean is then 0 and every patch keeps the same norm through the model's instance
normalisation (one mean and one scale for the whole context). Two patches of one sequence are redrawn until their
cosine similarity is at most ``max_similarity``, so no patch can be mistaken for another.

Positions are patch positions. The model's query (Bolt's decoder step, Chronos-2's first future patch, or
Chronos-2's last context patch) stands where S[1] comes next: ``current_position`` is the previous occurrence of
the last patch S[0], ``right_position`` the patch after it (S[1], the patch an induction head would copy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SIMILARITY = 0.5
MAX_REDRAWS = 1000


@dataclass(frozen=True)
class RRPBatch:
    values: np.ndarray  # (batch, (sequence_length * repetitions + 1) * patch_size) float32
    sequence_length: int
    repetitions: int
    patch_size: int
    seed: int

    @property
    def batch_size(self) -> int:
        return self.values.shape[0]

    @property
    def context_patches(self) -> int:
        return self.sequence_length * self.repetitions + 1

    @property
    def current_position(self) -> int:
        """Patch position of the previous occurrence of the last context patch S[0]."""
        return self.sequence_length * (self.repetitions - 1)

    @property
    def right_position(self) -> int:
        """The patch after ``current_position``: S[1]."""
        return self.current_position + 1

    def describe(self) -> dict:
        return {
            "input": "repeated random patches (mean 0, norm 1, pairwise cosine <= 0.5)",
            "sequence_length": self.sequence_length,
            "repetitions": self.repetitions,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "patch_size": self.patch_size,
            "context_values": self.values.shape[1],
            "context_patches": self.context_patches,
            "current_position": self.current_position,
            "right_position": self.right_position,
        }


def check_rrp_arguments(sequence_length, repetitions, batch_size, patch_size, max_context_values: int | None = None) -> None:
    """Raise ValueError naming the bad argument and the fix."""
    if not isinstance(sequence_length, int) or sequence_length < 2:
        raise ValueError(f"sequence_length={sequence_length!r}: RRP needs at least 2 patches (S[0] and S[1]); use 2 or more")
    if not isinstance(repetitions, int) or repetitions < 1:
        raise ValueError(f"repetitions={repetitions!r}: repeat the sequence at least once; use 1 or more")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: the batch must hold at least one sequence; use 1 or more")
    if not isinstance(patch_size, int) or patch_size < 3:
        raise ValueError(f"patch_size={patch_size!r}: a patch of mean 0 needs at least 3 values to differ from another; use the model's input_patch_size")
    values = (sequence_length * repetitions + 1) * patch_size
    if max_context_values is not None and values > max_context_values:
        raise ValueError(f"(sequence_length x repetitions + 1) x patch_size = {values} values exceeds the model's context of "
                         f"{max_context_values}; shorten the sequence or use fewer repetitions")


def random_patches(rng: np.random.Generator, count: int, patch_size: int, max_similarity: float = MAX_SIMILARITY) -> np.ndarray:
    """``count`` patches of mean 0 and norm 1 whose pairwise cosine similarity is at most ``max_similarity``."""
    patches = np.empty((count, patch_size))
    for index in range(count):
        for _ in range(MAX_REDRAWS):
            patch = rng.standard_normal(patch_size)
            patch -= patch.mean()
            patch /= np.linalg.norm(patch)
            if index == 0 or np.max(patches[:index] @ patch) <= max_similarity:
                break
        else:
            raise ValueError(f"could not draw {count} patches of {patch_size} values with pairwise similarity <= {max_similarity}; "
                             "use a shorter sequence")
        patches[index] = patch
    return patches


def rrp_batch(sequence_length: int, repetitions: int, batch_size: int, seed: int, patch_size: int, *,
              max_context_values: int | None = None) -> RRPBatch:
    """Draw ``batch_size`` RRP inputs; same seed, same batch."""
    check_rrp_arguments(sequence_length, repetitions, batch_size, patch_size, max_context_values)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(batch_size):
        sequence = random_patches(rng, sequence_length, patch_size)
        rows.append(np.concatenate([np.tile(sequence, (repetitions, 1)), sequence[:1]]).reshape(-1))
    return RRPBatch(np.stack(rows).astype(np.float32), sequence_length, repetitions, patch_size, seed)
