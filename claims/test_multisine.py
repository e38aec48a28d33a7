"""Findings about cross-attention spectra on multisine series."""

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import example, given, note

from generators.chronos.multisine import REFERENCE_EXAMPLE
from generators.chronos.strategies import multisines
from generators.patches.multisine import PATCH_EXAMPLE
from generators.patches.strategies import patch_multisines
from harness.chronos import figures
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.chronos.multisine import measure_multisine
from harness.claims import claim
from harness.report.format import format_value
from harness.settings import alpha, confidence, integer, interval, min_heads, n_resamples, open_unit, parameter, positive, threshold
from harness.stats import bootstrap_mean_ci, rank_trend


@dataclass(frozen=True)
class Spectra:
    min_variation: float = parameter(0.1, positive, "a head's attention row needs std/mean at least this to count as having spectral energy")
    min_series_weight: float = parameter(0.01, open_unit, "and at least this share of the query's attention on the series")
    min_heads: int = min_heads(3)
    confidence: float = confidence()
    n_resamples: int = n_resamples()
    frequency_count: tuple[int, int] = parameter((2, 5), interval(1), "how many frequencies a drawn multisine has")
    steps_range: tuple[int, int] = parameter((201, 512), interval(16), "how many samples a drawn multisine has (t1 = 3 s)")
    patch_steps_range: tuple[int, int] = parameter((256, 512), interval(16), "how many samples a drawn multisine has on a patch model "
                                                   "(whole patches, t1 = 2 s)")
    min_examples: int = parameter(3, integer(1), "inputs the claim must evaluate before it can pass")


@dataclass(frozen=True)
class SpectralPeriod(Spectra):
    min_share: float = parameter(0.5, open_unit, "share of energetic heads that must agree, at the CI lower bound")


@dataclass(frozen=True)
class AmplitudeTrend(RRTSettings):
    threshold: float = threshold()
    alpha: float = alpha()
    top_k: int = parameter(3, integer(1), "size of the top sets compared")


C9 = claim("C9-spectral-period-is-smallest-gap", SpectralPeriod)
C9_ALT = claim("C9-alt-spectral-period-is-fundamental", SpectralPeriod)
C10 = claim("C10-attention-spectra-peak-at-signal-frequencies", Spectra)
C11 = claim("C11-induction-heads-carry-largest-spectral-amplitude", AmplitudeTrend)


TOKEN_MODELS, PATCH_MODELS = ("chronos-t5",), ("chronos-bolt", "chronos-2")
EXAMPLES = (REFERENCE_EXAMPLE, PATCH_EXAMPLE)  # the study's example, and its shape on the patch grid


def drawn(s: Spectra):
    return multisines(s.frequency_count, s.steps_range)


def drawn_on_patches(s: Spectra):
    return patch_multisines(s.frequency_count, s.patch_steps_range)


def context_values(chronos) -> int:
    return chronos.facts.get("context_values", chronos.context_length)  # a patch model's context_length counts patches


def skip_short_context(chronos, shortest: int):
    if context_values(chronos) < shortest:
        pytest.skip(f"{chronos.name} reads at most {context_values(chronos)} values; the multisine inputs have {shortest} or more")


def measure_signal(chronos, measure, evidence, s: Spectra, signal):
    """The spectra of one input, or the input counted as not evaluated (longer than the model's context)."""
    skip_short_context(chronos, (s.patch_steps_range if chronos.family in PATCH_MODELS else s.steps_range)[0])
    evidence.require_examples(s.min_examples)
    if signal.steps > context_values(chronos):
        evidence.not_evaluated(f"longer than the model's context of {context_values(chronos)} values")
    measurement = measure(measure_multisine, chronos, signal)
    evidence.measured(measurement, **({} if signal in EXAMPLES else
                                      {"inputs": "the study's example and Hypothesis-drawn sets (examples)"}))
    return measurement


def too_few_energetic(evidence, signal, energetic: int, s: Spectra, **statistics):
    """Inconclusive on the study's example; any other input is not evaluated."""
    if signal in EXAMPLES:
        evidence.decisive("heads with spectral energy", energetic)
        evidence.record(**statistics)
        evidence.inconclusive(f"{energetic} heads have std/mean >= {s.min_variation} and weight >= {s.min_series_weight} on the series; "
                              f"need {s.min_heads}")
    evidence.not_evaluated(f"fewer than {s.min_heads} heads with std/mean >= {s.min_variation} and weight >= {s.min_series_weight} on the series")


def period_claim(chronos, measure, evidence, bound, signal, prediction: str):
    s = bound.settings
    measurement = measure_signal(chronos, measure, evidence, s, signal)
    predicted = measurement.predictions()
    other = "fundamental" if prediction == "smallest_gap" else "smallest_gap"
    agreement, alternative = (measurement.period_agreement(predicted[key], s.min_variation, s.min_series_weight, s.confidence) for key in (prediction, other))
    if agreement["energetic_heads"] < s.min_heads:
        too_few_energetic(evidence, signal, agreement["energetic_heads"], s, period_agreement=agreement)
    holds = agreement["share_ci"][0] >= s.min_share
    example_record = {**signal.describe(), "smallest_gap_hz": predicted["smallest_gap"], "fundamental_hz": predicted["fundamental"],
                      "measured_most_common_period_hz": agreement["most_common_period_hz"], "share_matching": agreement["share"],
                      "share_ci": agreement["share_ci"], f"share_matching_{other}": alternative["share"], "energetic_heads": agreement["energetic_heads"]}
    note(f"measured: {example_record}")
    evidence.example(example_record, holds=holds)
    evidence.decisive(f"share of energetic heads with period = {prediction}", agreement["share"], ci=agreement["share_ci"])
    supported = prediction if agreement["share"] > alternative["share"] else other if alternative["share"] > agreement["share"] else "both equally"
    evidence.record(**{"period_agreement_" + prediction: agreement, "period_agreement_" + other: alternative, "supported_by_data": supported})
    if signal in EXAMPLES:
        evidence.figure(figures.spectra(chronos.name, measurement.figure_data()))
    assert holds, (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: {agreement['matching_heads']}/{agreement['energetic_heads']} heads "
        f"have period {predicted[prediction]:.3g} Hz ({prediction}), CI {agreement['share_ci'][0]:.2f}..{agreement['share_ci'][1]:.2f} "
        f"< {s.min_share}; smallest gap {predicted['smallest_gap']:.3g} Hz, fundamental {predicted['fundamental']:.3g} Hz, "
        f"most common measured period {agreement['most_common_period_hz']} Hz")


@C9.mark_for(*TOKEN_MODELS)
@given(signal=drawn(C9.settings))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_smallest_gap(chronos, measure, evidence, signal):
    period_claim(chronos, measure, evidence, C9, signal, "smallest_gap")


@C9.mark_for(*PATCH_MODELS)
@given(signal=drawn_on_patches(C9.settings))
@example(signal=PATCH_EXAMPLE)
def test_multisine_spectral_period_is_smallest_gap_on_patches(model, measure, evidence, signal):
    period_claim(model, measure, evidence, C9, signal, "smallest_gap")


@C9_ALT.mark_for(*TOKEN_MODELS)
@given(signal=drawn(C9_ALT.settings))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_fundamental(chronos, measure, evidence, signal):
    period_claim(chronos, measure, evidence, C9_ALT, signal, "fundamental")


@C9_ALT.mark_for(*PATCH_MODELS)
@given(signal=drawn_on_patches(C9_ALT.settings))
@example(signal=PATCH_EXAMPLE)
def test_multisine_spectral_period_is_fundamental_on_patches(model, measure, evidence, signal):
    period_claim(model, measure, evidence, C9_ALT, signal, "fundamental")


@C10.mark_for(*TOKEN_MODELS)
@given(signal=drawn(C10.settings))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectra_peak_at_signal_frequencies(chronos, measure, evidence, signal):
    peak_claim(chronos, measure, evidence, signal)


@C10.mark_for(*PATCH_MODELS)
@given(signal=drawn_on_patches(C10.settings))
@example(signal=PATCH_EXAMPLE)
def test_multisine_spectra_peak_at_signal_frequencies_on_patches(model, measure, evidence, signal):
    peak_claim(model, measure, evidence, signal)


def peak_claim(chronos, measure, evidence, signal):
    s = C10.settings
    measurement = measure_signal(chronos, measure, evidence, s, signal)
    ratios = measurement.signal_energy_log_ratios(s.min_variation, s.min_series_weight)
    if len(ratios) < s.min_heads:
        too_few_energetic(evidence, signal, len(ratios), s)
    mean, low, high = bootstrap_mean_ci(ratios, s.confidence, s.n_resamples, seed=0)
    example_record = {**signal.describe(), "energetic_heads": len(ratios), "mean_log10_ratio": float(mean), "ci": [float(low), float(high)]}
    note(f"measured: {example_record}")
    evidence.example(example_record, holds=low > 0)
    evidence.decisive("mean log10(energy near k_i / energy elsewhere) over energetic heads", mean, ci=(low, high), chance=0.0)
    assert low > 0, (f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: mean log10 energy ratio {mean:.3f} "
                     f"(CI {low:.3f}..{high:.3f}) over {len(ratios)} heads does not clear 0")


@C11.mark
def test_multisine_amplitude_follows_induction_score(model, measure, evidence):
    s, chronos = C11.settings, model
    signal = PATCH_EXAMPLE if chronos.family in PATCH_MODELS else REFERENCE_EXAMPLE
    skip_short_context(chronos, signal.steps)
    mosaic = measure(measure_rrt, chronos, s)
    rrt_score = np.maximum(mosaic.current.mean, mosaic.right.mean).ravel()
    measurement = measure(measure_multisine, chronos, signal)
    amplitude = measurement.non_dc_amplitude().ravel()
    trend = rank_trend(rrt_score, amplitude, alternative="greater")
    top_rrt, top_amplitude = (set(np.argsort(-values)[:s.top_k]) for values in (rrt_score, amplitude))
    overlap, chance_overlap = len(top_rrt & top_amplitude), s.top_k * s.top_k / len(rrt_score)
    evidence.decisive("Spearman rho (RRT score vs non-DC spectral amplitude)", trend["statistic"], chance=0.0)
    evidence.measured(measurement, rrt=mosaic.measurement())
    induction_heads = mosaic.classify(s.threshold)
    evidence.record(induction_heads=induction_heads, spearman=trend, alpha=s.alpha, per_head={"rrt_score": rrt_score.round(6).tolist(), "non_dc_amplitude": amplitude.round(6).tolist()},
                    top_k={"k": s.top_k, "overlap": overlap, "chance_overlap": chance_overlap,
                           **{f"top_{name}_heads": sorted(divmod(int(i), mosaic.heads_per_layer) for i in top)
                              for name, top in (("rrt", top_rrt), ("amplitude", top_amplitude))}})
    if not induction_heads["current"] + induction_heads["right"]:
        best = mosaic.strongest_head()
        evidence.inconclusive(f"no head's RRT score clears {s.threshold} (CI lower bound; strongest {best['mean']:.3f}, chance {mosaic.chance:.3f}): "
                              f"no induction head to rank, whatever rho ({format_value(trend['statistic'])}) says")
    assert trend["p_value"] < s.alpha, (f"{chronos.name}: Spearman rho {format_value(trend['statistic'])} (p={trend['p_value']:.3g}) between RRT score and "
                                        f"spectral amplitude; top-{s.top_k} overlap {overlap} (chance {chance_overlap:.2f})")
