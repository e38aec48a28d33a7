"""Multisine series: f(t) = sum_i a_i sin(2 pi k_i t + phi_i), sampled at `steps` points on [0, t1)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class Multisine:
    frequencies: tuple[float, ...]  # Hz
    amplitudes: tuple[float, ...]
    phases: tuple[float, ...] = field(default=())
    t1: float = 3.0
    steps: int = 301
    # the null inputs of the multisine claims: the same values with their blocks of ``shuffle_block`` values (one attention
    # position) in a seeded random order, so the series keeps its values and loses its frequencies
    shuffle_seed: int | None = None
    shuffle_block: int = 1

    def __post_init__(self):
        if not self.phases:
            object.__setattr__(self, "phases", (0.0,) * len(self.frequencies))
        if not (len(self.frequencies) == len(self.amplitudes) == len(self.phases)) or not self.frequencies:
            raise ValueError("frequencies, amplitudes and phases need the same non-zero length; give one amplitude and phase per frequency")
        if self.steps < 2 or self.t1 <= 0:
            raise ValueError(f"steps={self.steps}, t1={self.t1}: need at least 2 samples over a positive duration")

    @property
    def sample_spacing(self) -> float:
        return self.t1 / self.steps

    def values(self) -> np.ndarray:
        t = np.arange(self.steps) * self.sample_spacing  # endpoint excluded
        values = sum(a * np.sin(2 * np.pi * k * t + phi) for k, a, phi in zip(self.frequencies, self.amplitudes, self.phases))
        if self.shuffle_seed is None:
            return values
        blocks = values[: self.steps // self.shuffle_block * self.shuffle_block].reshape(-1, self.shuffle_block)
        order = np.random.default_rng([self.shuffle_seed, self.steps, self.shuffle_block]).permutation(len(blocks))
        return np.concatenate([blocks[order].ravel(), values[len(blocks) * self.shuffle_block:]])

    def permuted(self, seed: int, block: int = 1) -> "Multisine":
        """This series with its blocks of ``block`` values in the order seed ``seed`` draws: same values, no frequencies."""
        return replace(self, shuffle_seed=seed, shuffle_block=block)

    def describe(self) -> dict:
        shuffled = {} if self.shuffle_seed is None else {"shuffle_seed": self.shuffle_seed, "shuffle_block": self.shuffle_block}
        return {"frequencies": list(self.frequencies), "amplitudes": list(self.amplitudes), "phases": list(self.phases),
                "t1": self.t1, "steps": self.steps, **shuffled}


# The findings' example: smallest gap and fundamental are both 5 Hz.
REFERENCE_EXAMPLE = Multisine(frequencies=(5.0, 10.0, 20.0, 40.0), amplitudes=(1.0, 0.75, 0.5, 0.5), t1=3.0, steps=301)
