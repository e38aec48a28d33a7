"""Findings about cross-attention spectra on multisine series."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, note, reject
from scipy import stats as scipy_stats

from generators.multisine import REFERENCE_EXAMPLE
from generators.strategies import multisines
from harness.induction import RRTSettings
from harness.multisine import measure_multisine
from harness.registry import load_registry
from harness.stats import bootstrap_mean_ci, rank_trend

REGISTRY = load_registry(Path(__file__).with_name("registry.yaml"))
C9 = REGISTRY["C9-spectral-period-is-smallest-gap"]
C9_ALT = REGISTRY["C9-alt-spectral-period-is-fundamental"]
C10 = REGISTRY["C10-attention-spectra-peak-at-signal-frequencies"]
C11 = REGISTRY["C11-induction-heads-carry-largest-spectral-amplitude"]


def drawn(claim):
    p = claim.parameters
    return multisines(tuple(p["frequency_count"]), tuple(p["steps_range"]))


def skip_short_context(chronos, shortest: int):
    if chronos.context_length < shortest:
        pytest.skip(f"{chronos.name} reads at most {chronos.context_length} values; the multisine inputs have {shortest} or more")


def fits(chronos, signal, claim):
    skip_short_context(chronos, claim.parameters["steps_range"][0])
    if signal.steps > chronos.context_length:
        reject()  # longer than this model's context: not an input it can read


def record_example(evidence, example_record: dict, measurement, failed: bool, decisive: dict, **statistics):
    examples = evidence.slot()["statistics"].setdefault("examples_evaluated", [])
    examples.append(example_record)
    evidence.record(decisive=decisive, measurement={**measurement.measurement(), **(
        {} if measurement.signal == REFERENCE_EXAMPLE else {"inputs": "the study's example and Hypothesis-drawn sets (examples_evaluated)"})},
        **statistics)
    if failed:
        evidence.counterexample(example_record)


def period_claim(chronos, evidence, claim, signal, prediction_key: str):
    fits(chronos, signal, claim)
    p = claim.parameters
    measurement = measure_multisine(chronos, signal)
    predictions = measurement.predictions()
    agreement = measurement.period_agreement(predictions[prediction_key], p["min_variation"], p["confidence"])
    other_key = "fundamental" if prediction_key == "smallest_gap" else "smallest_gap"
    other = measurement.period_agreement(predictions[other_key], p["min_variation"], p["confidence"])
    if agreement["energetic_heads"] < p["min_heads"]:
        if signal == REFERENCE_EXAMPLE:
            evidence.inconclusive(f"{agreement['energetic_heads']} heads have std/mean >= {p['min_variation']}; need {p['min_heads']}",
                                  decisive={"statistic": "heads with spectral energy", "value": agreement["energetic_heads"], "ci": None,
                                            "chance": None}, period_agreement=agreement)
        reject()
    holds = agreement["share_ci"][0] >= p["min_share"]
    example_record = {**signal.describe(), "smallest_gap_hz": predictions["smallest_gap"], "fundamental_hz": predictions["fundamental"],
                      "measured_most_common_period_hz": agreement["most_common_period_hz"],
                      "share_matching": agreement["share"], "share_ci": agreement["share_ci"],
                      f"share_matching_{other_key}": other["share"], "energetic_heads": agreement["energetic_heads"]}
    note(f"measured: {example_record}")
    if signal == REFERENCE_EXAMPLE:
        evidence.slot()["statistics"]["spectra_figure"] = measurement.figure_data()
    record_example(evidence, example_record, measurement, not holds,
                   {"statistic": f"share of energetic heads with period = {prediction_key}", "value": agreement["share"],
                    "ci": agreement["share_ci"], "chance": None},
                   **{"period_agreement_" + prediction_key: agreement, "period_agreement_" + other_key: other,
                      "supported_by_data": prediction_key if (agreement["share"] or 0) > (other["share"] or 0)
                      else other_key if (other["share"] or 0) > (agreement["share"] or 0) else "both equally"})
    assert holds, (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: {agreement['matching_heads']}/{agreement['energetic_heads']} heads "
        f"have period {predictions[prediction_key]:.3g} Hz ({prediction_key}), CI {agreement['share_ci'][0]:.2f}..{agreement['share_ci'][1]:.2f} "
        f"< {p['min_share']}; smallest gap {predictions['smallest_gap']:.3g} Hz, fundamental {predictions['fundamental']:.3g} Hz, "
        f"most common measured period {agreement['most_common_period_hz']} Hz"
    )


@pytest.mark.claim(C9.id)
@given(signal=drawn(C9))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_smallest_gap(chronos, evidence, signal):
    period_claim(chronos, evidence, C9, signal, "smallest_gap")


@pytest.mark.claim(C9_ALT.id)
@given(signal=drawn(C9_ALT))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectral_period_is_fundamental(chronos, evidence, signal):
    period_claim(chronos, evidence, C9_ALT, signal, "fundamental")


@pytest.mark.claim(C10.id)
@given(signal=drawn(C10))
@example(signal=REFERENCE_EXAMPLE)
def test_multisine_spectra_peak_at_signal_frequencies(chronos, evidence, signal):
    fits(chronos, signal, C10)
    p = C10.parameters
    measurement = measure_multisine(chronos, signal)
    ratios = measurement.signal_energy_log_ratios(p["min_variation"])
    if len(ratios) < p["min_heads"]:
        if signal == REFERENCE_EXAMPLE:
            evidence.inconclusive(f"{len(ratios)} heads have std/mean >= {p['min_variation']}; need {p['min_heads']}",
                                  decisive={"statistic": "heads with spectral energy", "value": len(ratios), "ci": None, "chance": None})
        reject()
    mean, low, high = bootstrap_mean_ci(ratios, p["confidence"], p["n_resamples"], seed=0)
    example_record = {**signal.describe(), "energetic_heads": len(ratios), "mean_log10_ratio": float(mean), "ci": [float(low), float(high)]}
    note(f"measured: {example_record}")
    record_example(evidence, example_record, measurement, not low > 0,
                   {"statistic": "mean log10(energy near k_i / energy elsewhere) over energetic heads", "value": float(mean),
                    "ci": [float(low), float(high)], "chance": 0.0})
    assert low > 0, (f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: mean log10 energy ratio {mean:.3f} "
                     f"(CI {low:.3f}..{high:.3f}) over {len(ratios)} heads does not clear 0")


@pytest.mark.claim(C11.id)
def test_multisine_amplitude_follows_induction_score(chronos, claims_session, evidence):
    p = C11.parameters
    skip_short_context(chronos, REFERENCE_EXAMPLE.steps)
    mosaic = claims_session.rrt_mosaic(chronos, RRTSettings.from_parameters(p))
    rrt_score = np.maximum(mosaic.current.mean, mosaic.right.mean).ravel()
    measurement = measure_multisine(chronos, REFERENCE_EXAMPLE)
    amplitude = measurement.non_dc_amplitude().ravel()
    trend = rank_trend(rrt_score, amplitude, alternative="greater")
    k = p["top_k"]
    top_rrt, top_amplitude = set(np.argsort(-rrt_score)[:k]), set(np.argsort(-amplitude)[:k])
    overlap = len(top_rrt & top_amplitude)
    heads = len(rrt_score)
    evidence.record(
        decisive={"statistic": "Spearman rho (RRT score vs non-DC spectral amplitude)", "value": trend["statistic"], "ci": None, "chance": 0.0},
        spearman=trend, alpha=p["alpha"],
        top_k={"k": k, "overlap": overlap, "chance_overlap": k * k / heads,
               "top_rrt_heads": sorted(divmod(int(i), mosaic.heads_per_layer) for i in top_rrt),
               "top_amplitude_heads": sorted(divmod(int(i), mosaic.heads_per_layer) for i in top_amplitude)},
        measurement={**measurement.measurement(), "rrt": mosaic.measurement()},
        per_head={"rrt_score": rrt_score.round(6).tolist(), "non_dc_amplitude": amplitude.round(6).tolist()},
    )
    assert trend["p_value"] < p["alpha"], (
        f"{chronos.name}: Spearman rho {trend['statistic']} (p={trend['p_value']:.3g}) between RRT score and spectral amplitude; "
        f"top-{k} overlap {overlap} (chance {k * k / heads:.2f})"
    )
