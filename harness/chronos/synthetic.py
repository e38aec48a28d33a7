"""Synthetic training series generated in code: KernelSynth plus families that real series show.

Every draw returns a window of `length` values (context followed by the forecast window) and the
season a seasonal-naive forecaster should use for it (1 where the series has none).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

KERNEL_GRID = 1024
PERIODS = (24, 48, 96, 168, 336, 672, 7, 14, 30, 60, 365, 730, 4, 26, 52, 6, 12, 40, 10)

# Share of each family in a training batch (they sum to 1); README "Model zoo" documents the choice.
MIX = {
    "motif": 0.45,
    "kernel_synth": 0.20,
    "seasonal": 0.15,
    "piecewise": 0.08,
    "trend": 0.06,
    "random_walk": 0.06,
}

# A broader mix for a long cycle: the ordinary families a forecaster meets (seasonals of up to 48 values with trend or
# noise, AR(1) with drift, multisines), so the model learns to forecast them, not only to copy motifs.
FORECASTING_MIX = {
    "motif": 0.20,
    "kernel_synth": 0.20,
    "harmonic_seasonal": 0.10,
    "seasonal_trend": 0.10,
    "seasonal_noise": 0.10,
    "ar1_drift": 0.08,
    "multisine": 0.07,
    "piecewise": 0.06,
    "random_walk": 0.05,
    "trend": 0.04,
}

MIXES = {"base": MIX, "forecasting": FORECASTING_MIX}


# --- KernelSynth: Gaussian-process draws from random compositions of a kernel bank -------------


def _periodic(period: float):
    p = period / KERNEL_GRID
    return lambda x, y: np.exp(-2.0 * np.sin(np.pi * np.abs(x - y) / p) ** 2), ("periodic", period)


def _kernel_bank():
    bank = [_periodic(p) for p in PERIODS]
    for sigma0 in (0.0, 1.0, 10.0):
        bank.append((lambda s: lambda x, y: s**2 + x * y)(sigma0))
    for scale in (0.1, 1.0, 10.0):
        bank.append((lambda s: lambda x, y: np.exp(-((x - y) ** 2) / (2 * s**2)))(scale))
    for alpha in (0.1, 1.0, 10.0):
        bank.append((lambda a: lambda x, y: (1 + (x - y) ** 2 / (2 * a)) ** -a)(alpha))
    for noise in (0.1, 1.0):
        bank.append((lambda n: lambda x, y: n * (x == y))(noise))
    bank.append(lambda x, y: np.ones_like(x * y))
    return [k if isinstance(k, tuple) else (k, None) for k in bank]


KERNEL_BANK = _kernel_bank()


def kernel_synth(rng: np.random.Generator, max_kernels: int = 5) -> tuple[np.ndarray, int]:
    """One GP draw on a 1024-point grid from 1-5 bank kernels combined left to right by + or x."""
    x = np.linspace(0.0, 1.0, KERNEL_GRID)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    chosen = rng.choice(len(KERNEL_BANK), size=rng.integers(1, max_kernels + 1), replace=True)
    covariance = None
    periods = []
    for index in chosen:
        kernel, tag = KERNEL_BANK[index]
        gram = kernel(xx, yy)
        if tag is not None:
            periods.append(int(tag[1]))
        if covariance is None:
            covariance = gram
        elif rng.random() < 0.5:
            covariance = covariance + gram
        else:
            covariance = covariance * gram
    covariance = covariance + 1e-6 * np.eye(KERNEL_GRID)
    noise = rng.standard_normal(KERNEL_GRID)
    try:
        series = np.linalg.cholesky(covariance) @ noise
    except np.linalg.LinAlgError:  # products of kernels can be numerically indefinite
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        series = eigenvectors @ (np.sqrt(np.clip(eigenvalues, 0.0, None)) * noise)
    return series, min(periods) if periods else 1


# --- Other families ------------------------------------------------------------------------------


def motif(rng, length):
    """A random motif repeated and cut at a random point; the forecast window continues it."""
    period = int(rng.integers(4, 21))
    pattern = rng.uniform(-1.0, 1.0, period)
    offset = int(rng.integers(0, period))
    return pattern[(np.arange(length) + offset) % period], period


def seasonal(rng, length):
    period = int(rng.choice([4, 6, 7, 8, 10, 12, 14, 16, 24]))
    t = np.arange(length)
    values = sum(rng.normal() / (h + 1) * np.sin(2 * np.pi * (h + 1) * t / period + rng.uniform(0, 2 * np.pi)) for h in range(int(rng.integers(1, 4))))
    level = rng.normal(0.0, 2.0)
    return level + values + rng.normal(0.0, rng.uniform(0.0, 0.2), length), period


def trend(rng, length):
    t = np.arange(length) / length
    curve = rng.normal() * t + rng.normal() * t**2 if rng.random() < 0.5 else np.exp(rng.normal(0.0, 1.5) * t)
    return rng.normal(0.0, 2.0) + curve + rng.normal(0.0, rng.uniform(0.0, 0.1), length), 1


def random_walk(rng, length):
    return np.cumsum(rng.normal(rng.normal(0.0, 0.1), 1.0, length)), 1


def piecewise(rng, length):
    """Regimes: level and slope change at 1-3 random points."""
    breaks = np.sort(rng.choice(np.arange(4, length - 4), size=int(rng.integers(1, 4)), replace=False))
    values = np.empty(length)
    start, level = 0, rng.normal(0.0, 2.0)
    for stop in [*breaks, length]:
        slope = rng.normal(0.0, 0.05)
        values[start:stop] = level + slope * np.arange(stop - start)
        level = values[stop - 1] + rng.normal(0.0, 1.0)
        start = stop
    return values + rng.normal(0.0, rng.uniform(0.0, 0.1), length), 1


HARMONIC_SEASONS = (4, 7, 12, 24, 48)  # each shorter than the benchmark's shortest context


def _harmonics(rng, length: int, period: int, orders) -> np.ndarray:
    t = np.arange(length)
    return sum(rng.uniform(0.3, 1.0) / order * np.sin(2 * np.pi * order * t / period + rng.uniform(0, 2 * np.pi)) for order in orders)


def harmonic_seasonal(rng, length):
    """Clean seasonal: 1-3 harmonics of one period, on a random level."""
    period = int(rng.choice(HARMONIC_SEASONS))
    return rng.normal(0.0, 2.0) + _harmonics(rng, length, period, range(1, int(rng.integers(1, 4)) + 1)), period


def seasonal_trend(rng, length):
    values, period = harmonic_seasonal(rng, length)
    return values + rng.normal(0.0, 2.0) * np.arange(length) / length, period


def seasonal_noise(rng, length):
    values, period = harmonic_seasonal(rng, length)
    return values + rng.normal(0.0, rng.uniform(0.2, 0.5), length), period


def ar1_drift(rng, length):
    """A linear drift plus AR(1) noise (phi 0.5-0.95)."""
    phi, noise = rng.uniform(0.5, 0.95), rng.normal(0.0, 1.0, length)
    ar = np.zeros(length)
    for i in range(1, length):
        ar[i] = phi * ar[i - 1] + noise[i]
    return rng.normal(0.0, 0.02) * np.arange(length) + ar, 1


def multisine(rng, length):
    """2-4 sinusoids at distinct harmonics (1-6) of a common season of 24 or 48 values, amplitudes 0.25-1."""
    period = int(rng.choice([24, 48]))
    orders = rng.choice(np.arange(1, 7), size=int(rng.integers(2, 5)), replace=False)
    t = np.arange(length)
    values = sum(rng.uniform(0.25, 1.0) * np.sin(2 * np.pi * order * t / period + rng.uniform(0, 2 * np.pi)) for order in orders)
    return values, period // math.gcd(period, *map(int, orders))


FAMILIES = {"motif": motif, "seasonal": seasonal, "trend": trend, "random_walk": random_walk, "piecewise": piecewise,
            "harmonic_seasonal": harmonic_seasonal, "seasonal_trend": seasonal_trend, "seasonal_noise": seasonal_noise,
            "ar1_drift": ar1_drift, "multisine": multisine}


@functools.lru_cache(maxsize=4)
def kernel_pool(seed: int, size: int) -> tuple:
    """The KernelSynth series a source draws windows from (Gaussian-process draws are slow, so sources of one seed share them)."""
    rng = np.random.default_rng([seed, 1])
    pool = tuple(kernel_synth(rng) for _ in range(size))
    for series, _ in pool:
        series.flags.writeable = False
    return pool


@dataclass
class SeriesSource:
    """Draws (values, season) windows of one length from the mix, reproducibly from a seed."""

    length: int
    seed: int
    kernel_pool_size: int = 256
    mix: str = "base"  # a key of MIXES

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        self.kernel_pool = kernel_pool(self.seed, self.kernel_pool_size)
        self.families, weights = zip(*MIXES[self.mix].items())
        self.weights = np.array(weights)

    def _kernel_window(self):
        series, period = self.kernel_pool[int(self.rng.integers(len(self.kernel_pool)))]
        start = int(self.rng.integers(0, KERNEL_GRID - self.length + 1))
        return series[start : start + self.length], period if period < self.length // 2 else 1

    def draw(self) -> tuple[np.ndarray, int, str]:
        family = self.families[int(self.rng.choice(len(self.families), p=self.weights))]
        if family == "kernel_synth":
            values, season = self._kernel_window()
        else:
            values, season = FAMILIES[family](self.rng, self.length)
        return np.asarray(values, dtype=np.float64), int(season), family

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        draws = [self.draw() for _ in range(size)]
        return np.stack([d[0] for d in draws]), np.array([d[1] for d in draws]), [d[2] for d in draws]
