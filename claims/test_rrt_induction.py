"""Findings about induction heads found with repeated random tokens (RRT) on one model at a time."""

from pathlib import Path

import pytest
from hypothesis import given, note

from generators.strategies import rrt_params
from harness.induction import RRTSettings
from harness.metrics import relative_layer_positions
from harness.registry import load_registry
from harness.stats import mann_whitney_less

REGISTRY = load_registry(Path(__file__).with_name("registry.yaml"))
C1 = REGISTRY["C1-induction-heads-exist"]
C1_ACROSS = REGISTRY["C1-induction-heads-exist-across-inputs"]
C4 = REGISTRY["C4-right-token-heads-outnumber-current"]
C5 = REGISTRY["C5-current-heads-precede-right-heads"]


def induction_heads(mosaic, threshold, by="ci_low") -> list[tuple[int, int]]:
    heads = mosaic.classify(threshold, by=by)
    return sorted(set(heads["current"]) | set(heads["right"]))


@pytest.mark.claim(C1.id)
def test_induction_heads_exist(chronos, claims_session, evidence):
    p = C1.parameters
    mosaic = claims_session.rrt_mosaic(chronos, RRTSettings.from_parameters(p))
    heads = induction_heads(mosaic, p["threshold"])
    best = mosaic.strongest_head()
    heads_by_mean = induction_heads(mosaic, p["threshold"], by="mean")
    evidence.record(
        decisive={"statistic": "induction heads (CI lower bound >= threshold)", "value": len(heads), "ci": None, "chance": mosaic.chance},
        strongest_head=best,
        induction_heads_by_mean=len(heads_by_mean),
        **mosaic.summary(p["threshold"]),
    )
    assert len(heads) >= p["min_heads"], (
        f"{chronos.name}: {len(heads)} heads clear {p['threshold']} by CI lower bound (by plain mean: {len(heads_by_mean)}); "
        f"strongest {best['kind']}-token head L{best['layer']}H{best['head']} mean {best['mean']:.3f} "
        f"CI [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}], chance {mosaic.chance:.3f}"
    )


@pytest.mark.claim(C1_ACROSS.id)
@given(params=rrt_params(sequence_lengths=tuple(C1_ACROSS.parameters["sequence_lengths"]),
                         repetitions=tuple(C1_ACROSS.parameters["repetitions_range"]),
                         token_range=tuple(C1_ACROSS.parameters["token_range"]),
                         max_encoder_length=513))
def test_induction_heads_exist_across_inputs(chronos, claims_session, evidence, params):
    p = C1_ACROSS.parameters
    rrt = RRTSettings(params.sequence_length, params.repetitions, p["batch_size"], params.seed % 2**31, params.token_range,
                      p["confidence"], p["n_resamples"])
    mosaic = claims_session.rrt_mosaic(chronos, rrt)
    heads = induction_heads(mosaic, p["threshold"])
    best = mosaic.strongest_head()
    example = {"sequence_length": params.sequence_length, "repetitions": params.repetitions, "seed": rrt.seed,
               "token_range": list(params.token_range), "induction_heads": len(heads), "strongest_head": best,
               "chance_level": mosaic.chance}
    note(f"measured: {example}")
    examples = evidence.slot()["statistics"].setdefault("examples", [])
    examples.append(example)
    fewest = min(examples, key=lambda e: e["induction_heads"])
    evidence.record(
        decisive={"statistic": "fewest induction heads over drawn inputs", "value": fewest["induction_heads"], "ci": None, "chance": fewest["chance_level"]},
        examples_evaluated=len(examples),
        measurement={**mosaic.measurement(), "sequence_length": "drawn", "repetitions": "drawn", "seed": "drawn",
                     "encoder_length": "drawn", "current_position": "drawn", "right_position": "drawn", "chance_level": "1/encoder_length"},
    )
    if len(heads) < p["min_heads"]:
        evidence.counterexample(example)
    assert len(heads) >= p["min_heads"], (
        f"{chronos.name}: no induction head at sl={params.sequence_length}, rf={params.repetitions}, seed={rrt.seed}; "
        f"strongest {best['kind']}-token head mean {best['mean']:.3f} CI [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}], chance {mosaic.chance:.3f}"
    )


@pytest.mark.claim(C4.id)
def test_right_token_heads_outnumber_current_token_heads(chronos, claims_session, evidence):
    p = C4.parameters
    mosaic = claims_session.rrt_mosaic(chronos, RRTSettings.from_parameters(p))
    summary = mosaic.summary(p["threshold"])
    counts, by_mean = summary["counts"], summary["counts_by_mean"]
    evidence.record(
        decisive={"statistic": "right-token heads minus current-token heads", "value": counts["right"] - counts["current"], "ci": None, "chance": mosaic.chance},
        **summary,
    )
    assert counts["right"] > counts["current"], (
        f"{chronos.name}: {counts['right']} right-token vs {counts['current']} current-token heads by CI lower bound "
        f"(by plain mean {by_mean['right']} vs {by_mean['current']}) at threshold {p['threshold']}"
    )


@pytest.mark.claim(C5.id)
def test_current_token_heads_precede_right_token_heads(chronos, claims_session, evidence):
    p = C5.parameters
    mosaic = claims_session.rrt_mosaic(chronos, RRTSettings.from_parameters(p))
    heads = mosaic.classify(p["threshold"])
    current = relative_layer_positions(heads["current"], mosaic.layers)
    right = relative_layer_positions(heads["right"], mosaic.layers)
    positions = {"current_positions": current, "right_positions": right, "measurement": mosaic.measurement(),
                 "current_heads": heads["current"], "right_heads": heads["right"]}
    if min(len(current), len(right)) < p["min_heads_per_group"]:
        evidence.inconclusive(
            f"{len(current)} current-token and {len(right)} right-token heads; each group needs {p['min_heads_per_group']}",
            decisive={"statistic": "heads in the smaller group", "value": min(len(current), len(right)), "ci": None, "chance": mosaic.chance},
            **positions,
        )
    test = mann_whitney_less(current, right, seed=p["seed"])
    evidence.record(decisive={"statistic": "one-sided Mann-Whitney p", "value": test["p_value"], "ci": None, "chance": None},
                    mann_whitney=test, alpha=p["alpha"], **positions)
    assert test["p_value"] < p["alpha"], (
        f"{chronos.name}: current-token heads (median position {test['median_early']:.2f}) do not sit earlier than right-token "
        f"heads (median {test['median_late']:.2f}): U={test['u']:.1f}, p={test['p_value']:.3g} >= {p['alpha']}, "
        f"P(current below right)={test['effect_probability_early_below_late']:.2f}"
    )
