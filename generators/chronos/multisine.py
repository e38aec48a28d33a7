"""Multisine series: f(t) = sum_i a_i sin(2 pi k_i t + phi_i), sampled at `steps` points on [0, t1)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Multisine:
    frequencies: tuple[float, ...]  # Hz
    amplitudes: tuple[float, ...]
    phases: tuple[float, ...] = field(default=())
    t1: float = 3.0
    steps: int = 301

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
        return sum(a * np.sin(2 * np.pi * k * t + phi) for k, a, phi in zip(self.frequencies, self.amplitudes, self.phases))

    def describe(self) -> dict:
        return {"frequencies": list(self.frequencies), "amplitudes": list(self.amplitudes), "phases": list(self.phases),
                "t1": self.t1, "steps": self.steps}


# The findings' example: smallest gap and fundamental are both 5 Hz.
REFERENCE_EXAMPLE = Multisine(frequencies=(5.0, 10.0, 20.0, 40.0), amplitudes=(1.0, 0.75, 0.5, 0.5), t1=3.0, steps=301)
