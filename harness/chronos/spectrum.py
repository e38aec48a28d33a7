"""Pure functions over attention rows and spectra (numpy in, numbers out)."""

from __future__ import annotations

from fractions import Fraction
from functools import reduce
from math import gcd

import numpy as np


def magnitude_spectrum(rows, sample_spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided magnitude spectrum along the last axis; returns (frequencies in Hz, magnitudes)."""
    rows = np.asarray(rows, dtype=np.float64)
    return np.fft.rfftfreq(rows.shape[-1], d=sample_spacing), np.abs(np.fft.rfft(rows, axis=-1))


def smallest_gap(frequencies) -> float:
    ordered = np.sort(np.asarray(frequencies, dtype=np.float64))
    return float(np.diff(ordered).min())


def fundamental(frequencies, resolution: float) -> float:
    """Greatest common divisor of the frequencies, on a grid of ``resolution`` Hz (e.g. 1/t1)."""
    steps = [round(Fraction(f) / Fraction(resolution).limit_denominator(10**6)) for f in frequencies]
    return float(reduce(gcd, steps) * resolution)


def spectral_period(magnitude, bin_width: float, *, max_period: float | None = None) -> float | None:
    """The period (Hz) along the frequency axis at which the spectrum repeats itself most.

    The spectrum without its DC bin is centred and autocorrelated; the period is the lag of the
    highest autocorrelation peak. Lags whose multiples also carry the peak are preferred to their
    multiples, so a comb of spacing P reports P rather than 2P. None when the spectrum is flat.
    """
    spectrum = np.asarray(magnitude, dtype=np.float64)[1:]
    spectrum = spectrum - spectrum.mean()
    if not np.any(spectrum) or len(spectrum) < 4:
        return None
    n = len(spectrum)
    autocorrelation = np.correlate(spectrum, spectrum, mode="full")[n - 1:]
    autocorrelation /= autocorrelation[0]
    # normalise for the shrinking overlap at long lags
    autocorrelation = autocorrelation * n / (n - np.arange(n))
    max_lag = n // 2 if max_period is None else min(n // 2, int(round(max_period / bin_width)))
    lags = np.arange(2, max_lag + 1)
    if len(lags) == 0:
        return None
    interior = [lag for lag in lags if autocorrelation[lag] >= autocorrelation[lag - 1] and autocorrelation[lag] >= autocorrelation[min(lag + 1, n - 1)]]
    if not interior:
        return None
    best = max(autocorrelation[lag] for lag in interior)
    if best <= 0.1:  # no lag repeats the spectrum
        return None
    # the shortest local peak that reaches most of the best height: the fundamental lag of the comb
    chosen = min(lag for lag in interior if autocorrelation[lag] >= 0.8 * best)
    if autocorrelation[chosen] <= 0.1:
        return None
    return float(chosen * bin_width)


def energy_near(magnitude, frequencies_axis, targets, bin_width: float) -> tuple[float, float]:
    """Mean squared magnitude within one bin of any target frequency, and everywhere else (DC excluded)."""
    magnitude = np.asarray(magnitude, dtype=np.float64)
    axis = np.asarray(frequencies_axis, dtype=np.float64)
    near = np.zeros(axis.shape, dtype=bool)
    for target in targets:
        near |= np.abs(axis - target) <= bin_width * 1.0001
    near[0] = False
    off = ~near
    off[0] = False
    return float(np.mean(magnitude[near] ** 2)), float(np.mean(magnitude[off] ** 2))
