"""Findings about cross-attention spectra on multisine series."""

from dataclasses import dataclass
from math import comb

import numpy as np
import pytest
from hypothesis import example, given, note
from scipy import stats

from generators.chronos.multisine import REFERENCE_EXAMPLE
from generators.chronos.strategies import multisines
from generators.patches.multisine import PATCH_EXAMPLE
from generators.patches.strategies import patch_multisines
from harness import verdict as v
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
    null_inputs: int = parameter(3, integer(1), "seeded permutations of each input (its values in random order, one attention "
                                 "position at a time) on which the same heads give the null")


@dataclass(frozen=True)
class SpectralPeriod(Spectra):
    min_share: float = parameter(0.5, open_unit, "share of energetic heads that must agree, at the CI lower bound")


@dataclass(frozen=True)
class Peaks(Spectra):
    min_difference: float = parameter(0.01, positive, "log10 ratio the paired difference's CI must clear, on either side: "
                                      "rows that ignore the series differ from their null by rounding noise alone")


@dataclass(frozen=True)
class AmplitudeTrend(RRTSettings):
    threshold: float = threshold()
    alpha: float = alpha()
    min_series_weight: float = parameter(0.01, open_unit, "a row with less of the query's attention on the series has no amplitude")


C9 = claim("C9-spectral-period-is-smallest-gap", SpectralPeriod)
C9_ALT = claim("C9-alt-spectral-period-is-fundamental", SpectralPeriod)
C10 = claim("C10-attention-spectra-peak-at-signal-frequencies", Peaks)
C11 = claim("C11-induction-heads-carry-largest-spectral-amplitude", AmplitudeTrend)


TOKEN_MODELS, PATCH_MODELS = ("chronos-t5",), ("chronos-bolt", "chronos-2")
EXAMPLES = (REFERENCE_EXAMPLE, PATCH_EXAMPLE)  # the study's example, and its shape on the patch grid
PERMUTED = ("the same heads on {n} seeded permutations of the input (its values in random order, one attention position at a "
            "time: the same values, no frequencies), scored at the input's {what}")


def drawn(s: Spectra, progression: bool = False):
    return multisines(s.frequency_count, s.steps_range, progression=progression)


def drawn_on_patches(s: Spectra, progression: bool = False):
    return patch_multisines(s.frequency_count, s.patch_steps_range, progression=progression)


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


def null_measurements(chronos, measure, s: Spectra, signal, measurement):
    """The same model on s.null_inputs seeded permutations of the input, one attention position (value or patch) at a time."""
    return [measure(measure_multisine, chronos, signal.permuted(seed, measurement.values_per_position)) for seed in range(s.null_inputs)]


def too_few_energetic(evidence, signal, reason: str, **statistics):
    """Inconclusive on the study's example (floor:too-few-heads); any other input is not evaluated, counted by reason."""
    if signal in EXAMPLES:
        evidence.record(**statistics)
        evidence.inconclusive(reason, kind=v.FLOOR + "too-few-heads")
    evidence.not_evaluated(reason.split(";")[0])


def period_claim(chronos, measure, evidence, bound, signal, prediction: str):
    s = bound.settings
    measurement = measure_signal(chronos, measure, evidence, s, signal)
    predicted = measurement.predictions()
    other = "fundamental" if prediction == "smallest_gap" else "smallest_gap"
    agreement, alternative = (measurement.period_agreement(predicted[key], s.min_variation, s.min_series_weight, s.confidence) for key in (prediction, other))
    energetic, n = measurement.energetic(s.min_variation, s.min_series_weight), agreement["energetic_heads"]
    if n < s.min_heads:
        too_few_energetic(evidence, signal, f"fewer than {s.min_heads} heads with std/mean >= {s.min_variation} and weight >= "
                          f"{s.min_series_weight} on the series; {n} have", period_agreement=agreement)
    nulls = null_measurements(chronos, measure, s, signal, measurement)
    null_share = float(np.mean([null.matches(predicted[prediction])[energetic] for null in nulls]))
    bar = max(s.min_share, null_share)
    reachable = v.smallest_wilson_share(n, s.confidence)
    if reachable < bar:
        too_few_energetic(evidence, signal, f"too few energetic heads for the Wilson lower bound to reach the bar; {n} heads: even "
                          f"{n}/{n} gives {reachable:.2f} < max(min_share {s.min_share}, null share {null_share:.2f}) = {bar:.2f}",
                          period_agreement=agreement, null_share=null_share)
    low, high = agreement["share_ci"]
    verdict = v.against_bar(low, high, bar)
    example_record = {**signal.describe(), "smallest_gap_hz": predicted["smallest_gap"], "fundamental_hz": predicted["fundamental"],
                      "measured_most_common_period_hz": agreement["most_common_period_hz"], "share_matching": agreement["share"],
                      "share_ci": agreement["share_ci"], "null_share": null_share, "bar": bar,
                      f"share_matching_{other}": alternative["share"], "energetic_heads": n}
    note(f"measured: {example_record}")
    evidence.decisive(f"share of energetic heads with period = {prediction}", agreement["share"], ci=agreement["share_ci"], chance=null_share,
                      null=PERMUTED.format(n=s.null_inputs, what=f"{prediction} ({predicted[prediction]:.3g} Hz)")
                      + f"; the bar is max(min_share {s.min_share}, null share)")
    supported = prediction if agreement["share"] > alternative["share"] else other if alternative["share"] > agreement["share"] else "both equally"
    evidence.record(**{"period_agreement_" + prediction: agreement, "period_agreement_" + other: alternative, "supported_by_data": supported,
                       "null_share": null_share, "bar": bar})
    if signal in EXAMPLES:
        evidence.figure(figures.spectra(chronos.name, measurement.figure_data()))
    relation = {v.PASSED: ">=", v.FAILED: "<"}.get(verdict.outcome, "straddles")
    evidence.example(example_record, verdict, (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: {agreement['matching_heads']}/{n} heads have period "
        f"{predicted[prediction]:.3g} Hz ({prediction}), CI {low:.2f}..{high:.2f} {relation} bar {bar:.2f} (min_share {s.min_share}, "
        f"null share {null_share:.2f}); smallest gap {predicted['smallest_gap']:.3g} Hz, fundamental {predicted['fundamental']:.3g} Hz, "
        f"most common measured period {agreement['most_common_period_hz']} Hz"))


# The drawn sets are arithmetic progressions k0 * (1 + i * m): see the registry's decision for why
@C9.mark_for(*TOKEN_MODELS)
@given(signal=drawn(C9.settings, progression=True))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_smallest_gap(chronos, measure, evidence, signal):
    period_claim(chronos, measure, evidence, C9, signal, "smallest_gap")


@C9.mark_for(*PATCH_MODELS)
@given(signal=drawn_on_patches(C9.settings, progression=True))
@example(signal=PATCH_EXAMPLE)
def test_multisine_spectral_period_is_smallest_gap_on_patches(model, measure, evidence, signal):
    period_claim(model, measure, evidence, C9, signal, "smallest_gap")


@C9_ALT.mark_for(*TOKEN_MODELS)
@given(signal=drawn(C9_ALT.settings, progression=True))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_fundamental(chronos, measure, evidence, signal):
    period_claim(chronos, measure, evidence, C9_ALT, signal, "fundamental")


@C9_ALT.mark_for(*PATCH_MODELS)
@given(signal=drawn_on_patches(C9_ALT.settings, progression=True))
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
    energetic = measurement.energetic(s.min_variation, s.min_series_weight)
    if energetic.sum() < s.min_heads:
        too_few_energetic(evidence, signal, f"fewer than {s.min_heads} heads with std/mean >= {s.min_variation} and weight >= "
                          f"{s.min_series_weight} on the series; {int(energetic.sum())} have")
    ratios = measurement.log_ratios_at(signal.frequencies)[energetic]
    nulls = null_measurements(chronos, measure, s, signal, measurement)
    null_ratios = np.mean([null.log_ratios_at(signal.frequencies)[energetic] for null in nulls], axis=0)  # per head
    difference, low, high = bootstrap_mean_ci(ratios - null_ratios, s.confidence, s.n_resamples, seed=0)
    chance = float(null_ratios.mean())
    verdict = v.passed() if low > s.min_difference else v.failed() if high < -s.min_difference else v.straddles()
    example_record = {**signal.describe(), "energetic_heads": int(energetic.sum()), "mean_log10_ratio": float(ratios.mean()),
                      "null_mean_log10_ratio": chance, "mean_difference": float(difference), "difference_ci": [float(low), float(high)]}
    note(f"measured: {example_record}")
    # the interval of the mean ratio is the paired difference's, placed on the null's mean
    evidence.decisive("mean log10(energy near k_i / energy elsewhere) over energetic heads", float(ratios.mean()),
                      ci=(chance + low, chance + high), chance=chance,
                      null=PERMUTED.format(n=s.null_inputs, what="frequencies k_i") + "; decided on the per-head paired difference")
    relation = {v.PASSED: "above", v.FAILED: "below"}.get(verdict.outcome, "straddling")
    evidence.example(example_record, verdict, (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: mean log10 energy ratio {ratios.mean():.3f} against {chance:.3f} "
        f"on permuted inputs: paired difference {difference:.3f} (CI {low:.3f}..{high:.3f}) {relation} +/-{s.min_difference} over {len(ratios)} heads"))


@C11.mark
def test_multisine_amplitude_follows_induction_score(model, measure, evidence):
    s, chronos = C11.settings, model
    signal = PATCH_EXAMPLE if chronos.family in PATCH_MODELS else REFERENCE_EXAMPLE
    skip_short_context(chronos, signal.steps)
    mosaic = measure(measure_rrt, chronos, s)
    rrt_score = np.maximum(mosaic.current.mean, mosaic.right.mean).ravel()
    measurement = measure(measure_multisine, chronos, signal)
    amplitude = measurement.amplitude_per_weight(s.min_series_weight).ravel()
    induction_heads = mosaic.classify(s.threshold)
    members = sorted({layer * mosaic.heads_per_layer + head for kind in ("current", "right") for layer, head in induction_heads[kind]})
    total, size = len(amplitude), len(members)
    top = set(np.argsort(-amplitude, kind="stable")[:size].tolist())
    overlap = len(top & set(members))
    trend = rank_trend(rrt_score, amplitude, alternative="greater")
    chance = size * size / total
    evidence.measured(measurement, rrt=mosaic.measurement())

    def heads(flat):
        return sorted(divmod(int(i), mosaic.heads_per_layer) for i in flat)

    evidence.record(induction_heads=induction_heads, spearman=trend, alpha=s.alpha,
                    per_head={"rrt_score": rrt_score.round(6).tolist(), "amplitude_per_weight": amplitude.round(6).tolist()},
                    top_amplitude_heads=heads(top), overlap=overlap, chance_overlap=chance)
    if not members:
        best = mosaic.strongest_head()
        evidence.inconclusive(f"no head's RRT score clears {s.threshold} (CI lower bound; strongest {best['mean']:.3f}, chance {mosaic.chance:.3f}): "
                              f"no induction head to compare, whatever rho ({format_value(trend['statistic'])}) says", kind=v.FLOOR + "no-induction-heads")
    null = stats.hypergeom(total, size, size)  # random head sets of the induction set's size
    p_for, p_against = float(null.sf(overlap - 1)), float(null.cdf(overlap))
    smallest_p = 1.0 / comb(total, size)
    evidence.decisive(f"induction heads among the {size} heads of largest spectral amplitude", overlap, chance=chance,
                      null=f"hypergeometric: the overlap of {size} heads drawn at random from {total} with the {size} induction heads "
                           f"(expected {chance:.3g}); p_for = P(overlap >= observed), p_against = P(overlap <= observed)")
    evidence.record(p_for=p_for, p_against=p_against, smallest_attainable_p=smallest_p)
    verdict = v.by_p_values(p_for, p_against, s.alpha, smallest_p)
    evidence.conclude(verdict, (
        f"{chronos.name}: {overlap} of the {size} induction heads {heads(members)} are among the {size} heads of largest spectral "
        f"amplitude {heads(top)} (chance {chance:.2f}; p_for {p_for:.3g}, p_against {p_against:.3g}, alpha {s.alpha}, smallest attainable p "
        f"{smallest_p:.3g}); Spearman rho {format_value(trend['statistic'])}"))
