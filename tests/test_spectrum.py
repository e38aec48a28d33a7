"""The spectral-period estimator on numpy signals whose answer is known."""

import numpy as np
import pytest

from generators.chronos.multisine import REFERENCE_EXAMPLE, Multisine
from harness.chronos.spectrum import energy_near, fundamental, magnitude_spectrum, smallest_gap, spectral_period


def spectrum_of(values, signal: Multisine):
    return magnitude_spectrum(values, signal.sample_spacing)


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def test_predicted_periods():
    assert smallest_gap([5, 10, 20, 40]) == 5 and fundamental([5, 10, 20, 40], 1 / 3) == pytest.approx(5)
    assert smallest_gap([4, 10]) == 6 and fundamental([4, 10], 1 / 3) == pytest.approx(2)
    assert fundamental([10 / 3, 5], 1 / 3) == pytest.approx(5 / 3)


def test_axis_is_in_hertz_with_one_bin_per_one_over_t1():
    freqs, _ = spectrum_of(REFERENCE_EXAMPLE.values(), REFERENCE_EXAMPLE)
    assert freqs[1] == pytest.approx(1 / 3)
    assert freqs[-1] == pytest.approx(150 / 3)


@pytest.mark.parametrize(
    "frequencies, expected",
    [
        ((5, 10, 20, 40), 5.0),  # gap = fundamental = 5
        ((4, 10), 2.0),  # gap 6, fundamental 2: a nonlinear function shows the fundamental's comb
        ((6, 9, 15), 3.0),
    ],
)
def test_period_of_a_nonlinear_function_of_a_multisine_is_its_fundamental(frequencies, expected):
    signal = Multisine(tuple(float(f) for f in frequencies), (1.0,) * len(frequencies), t1=3.0, steps=301)
    row = softmax(2.0 * signal.values())  # smooth nonlinearity: harmonics and intermodulation on the fundamental's grid
    _, magnitude = spectrum_of(row, signal)
    assert spectral_period(magnitude, 1 / 3) == pytest.approx(expected, abs=1 / 3)


def test_period_survives_noise_and_folded_harmonics():
    # 301 samples over 3 s put the Nyquist frequency at 50.17 Hz: harmonics above it fold between grid lines
    signal = REFERENCE_EXAMPLE
    rng = np.random.default_rng(0)
    row = softmax(3.0 * signal.values() + rng.normal(0, 0.3, signal.steps))
    _, magnitude = spectrum_of(row, signal)
    assert spectral_period(magnitude, 1 / 3) == pytest.approx(5.0, abs=1 / 3)


def test_flat_or_random_spectra_have_no_period():
    assert spectral_period(np.ones(151), 1 / 3) is None
    rng = np.random.default_rng(1)
    periods = [spectral_period(magnitude_spectrum(softmax(rng.normal(size=301)), 3 / 301)[1], 1 / 3) for _ in range(20)]
    # a random row rarely shows a 5 Hz comb
    assert sum(p is not None and abs(p - 5) <= 1 / 3 for p in periods) <= 2


def test_energy_concentrates_at_the_signal_frequencies():
    signal = REFERENCE_EXAMPLE
    freqs, magnitude = spectrum_of(signal.values(), signal)
    near, off = energy_near(magnitude, freqs, signal.frequencies, 1 / 3)
    assert near > 100 * off


def test_a_spectrum_whose_every_lag_correlates_negatively_has_no_period():
    # after DC and centring: [1, -2, 1, 1, 1]; the one interior peak (lag 2) has autocorrelation below zero
    assert spectral_period([3.0, 3.0, 0.0, 3.0, 3.0, 3.0], 1.0) is None
