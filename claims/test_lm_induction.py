"""Induction findings about decoder-only language models (family causal-lm): heads found by their attention
patterns, triplet completion with per-head activation patching, and induction strength per token."""

from pathlib import Path

import numpy as np
import pytest

from harness import stats
from harness.lm import PatternSettings, StrengthSettings, TripletSettings, measure_patterns, measure_strengths, measure_triplets
from harness.registry import load_registry

REGISTRY = load_registry(Path(__file__).with_name("registry.yaml"))
L1 = REGISTRY["L1-lm-induction-head-exists"]
L2 = REGISTRY["L2-lm-previous-token-head-in-layer-0"]
L3 = REGISTRY["L3-lm-induction-after-previous-token-head"]
L4 = REGISTRY["L4-lm-triplet-completion-has-a-length-limit"]
L5 = REGISTRY["L5-lm-look-back-two-head-in-layer-0"]
L6 = REGISTRY["L6-lm-induction-strength-varies-by-token"]
L7 = REGISTRY["L7-lm-induction-bleeds-to-neighbours"]


def patterns(claims_session, model, claim):
    settings = PatternSettings.from_parameters(claim.parameters)
    return claims_session.cached((model.spec, "patterns", settings), lambda: measure_patterns(model, settings))


def strengths(claims_session, model, claim):
    settings = StrengthSettings.from_parameters({**claim.parameters, "neighbours": L7.parameters["neighbours"]})
    return claims_session.cached((model.spec, "strengths", settings), lambda: measure_strengths(model, settings))


def head_names(heads) -> list[str]:
    return [f"L{layer}H{head}" for layer, head in heads]


@pytest.mark.claim(L1.id)
def test_induction_head_exists(causal_lm, claims_session, evidence):
    p = L1.parameters
    measured = patterns(claims_session, causal_lm, L1)
    heads = measured.heads("induction", p["threshold"])
    best = measured.strongest(measured.induction)
    evidence.record(
        decisive={"statistic": "induction heads (CI lower bound >= threshold)", "value": len(heads), "ci": None,
                  "chance": round(measured.induction_chance, 4)},
        measurement=measured.measurement(), induction_heads=head_names(heads), strongest_head=best,
        induction_scores=measured.induction.to_dict(),
    )
    assert len(heads) >= p["min_heads"], (
        f"{causal_lm.name}: {len(heads)} heads clear induction score {p['threshold']} by CI lower bound; strongest "
        f"L{best['layer']}H{best['head']} mean {best['mean']:.3f} CI {best['ci']}, chance {measured.induction_chance:.3f}"
    )


@pytest.mark.claim(L2.id)
def test_previous_token_head_in_layer_0(causal_lm, claims_session, evidence):
    p = L2.parameters
    measured = patterns(claims_session, causal_lm, L2)
    heads = measured.heads("previous", p["threshold"], layers=(0,))
    best = measured.strongest(measured.back[1], layers=(0,))
    evidence.record(
        decisive={"statistic": "layer-0 previous-token heads (CI lower bound >= threshold)", "value": len(heads), "ci": None,
                  "chance": round(measured.back_chance[1], 4)},
        measurement=measured.measurement(), previous_token_heads_layer_0=head_names(heads),
        previous_token_heads_any_layer=head_names(measured.heads("previous", p["threshold"])), strongest_layer_0_head=best,
        previous_token_scores=measured.back[1].to_dict(),
    )
    assert heads, (f"{causal_lm.name}: no layer-0 head attends to position - 1 with CI lower bound >= {p['threshold']}; strongest "
                   f"L0H{best['head']} mean {best['mean']:.3f} CI {best['ci']}, chance {measured.back_chance[1]:.3f}")


@pytest.mark.claim(L3.id)
def test_induction_heads_follow_previous_token_heads(causal_lm, claims_session, evidence):
    p = L3.parameters
    measured = patterns(claims_session, causal_lm, L3)
    induction = measured.heads("induction", p["threshold"])
    previous = measured.heads("previous", p["threshold"])
    unsupported = [(layer, head) for layer, head in induction if not any(prev_layer < layer for prev_layer, _ in previous)]
    evidence.record(
        decisive={"statistic": "induction heads without a previous-token head in an earlier layer", "value": len(unsupported),
                  "ci": None, "chance": None},
        measurement=measured.measurement(), induction_heads=head_names(induction), previous_token_heads=head_names(previous),
        unsupported_induction_heads=head_names(unsupported),
    )
    if not induction:
        pytest.fail(f"{causal_lm.name}: no induction head clears {p['threshold']}, so none sits after a previous-token head", pytrace=False)
    assert not unsupported, (f"{causal_lm.name}: induction heads {head_names(unsupported)} have no previous-token head in an earlier "
                             f"layer (previous-token heads: {head_names(previous) or 'none'})")


@pytest.mark.claim(L4.id)
def test_triplet_completion_has_a_length_limit(causal_lm, claims_session, evidence):
    settings = TripletSettings.from_parameters(L4.parameters)
    low, high = settings.pattern_lengths
    results = [measure_triplets(causal_lm, length, settings) for length in range(low, high + 1)]
    works = [r["works"] for r in results]
    largest = low - 1
    for result in results:
        if not result["works"]:
            break
        largest = result["pattern_length"]
    evidence.record(
        decisive={"statistic": "largest pattern length up to which [B] beats [D] (CI lower bound of the logit difference > 0)",
                  "value": largest if largest >= low else None, "ci": None, "chance": 0.0},
        measurement={"model": causal_lm.name, "device": causal_lm.device, "dtype": causal_lm.dtype, "seed": settings.seed,
                     "batch_size": settings.batch_size, "gap_length": settings.gap_length, "confidence": settings.confidence,
                     "n_resamples": settings.n_resamples, "procedure": "logits at the last position; logit difference [B] - [D] "
                     "per sequence, batch mean with percentile bootstrap CI; patching replaces one head's output (all positions) "
                     "in the corrupted run by the clean run's"},
        by_length=[{key: value for key, value in r.items() if key != "inputs"} for r in results],
    )
    assert works[0], f"{causal_lm.name}: even pattern length {low} fails: logit difference {results[0]['logit_difference']} CI {results[0]['ci']}"
    assert not all(works), (f"{causal_lm.name}: [B] beats [D] at every pattern length {low}-{high} (logit differences "
                            f"{[r['logit_difference'] for r in results]}), so no length limit shows in this range")


@pytest.mark.claim(L5.id)
def test_look_back_two_head_in_layer_0(causal_lm, claims_session, evidence):
    p = L5.parameters
    measured = patterns(claims_session, causal_lm, L5)
    candidates = []
    for head in range(causal_lm.heads):
        profile = measured.profile(0, head)
        if max(profile, key=profile.get) == 2 and measured.back[2].ci_low[0, head] >= p["threshold"]:
            candidates.append((0, head))
    best = measured.strongest(measured.back[2], layers=(0,))
    evidence.record(
        decisive={"statistic": "layer-0 heads whose largest weight is two back, CI lower bound >= threshold", "value": len(candidates),
                  "ci": None, "chance": round(measured.back_chance[2], 4)},
        measurement=measured.measurement(), look_back_two_heads=head_names(candidates), strongest_layer_0_head=best,
        offset_profiles={f"L0H{head}": measured.profile(0, head) for head in range(causal_lm.heads)},
    )
    assert candidates, (f"{causal_lm.name}: no layer-0 head puts most attention two back; strongest L0H{best['head']} mean "
                        f"{best['mean']:.3f} CI {best['ci']} (threshold {p['threshold']}), profile {measured.profile(0, best['head'])}")


def _distribution(values: np.ndarray) -> dict:
    quantiles = np.quantile(values, [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4),
            "quantiles_0_10_25_50_75_90_100": [round(float(q), 4) for q in quantiles]}


@pytest.mark.claim(L6.id)
def test_induction_strength_varies_by_token(causal_lm, claims_session, evidence):
    p = L6.parameters
    measured = strengths(claims_session, causal_lm, L6)
    a_powers, b_powers = measured["a_strengths"].mean(axis=1), measured["b_strengths"].mean(axis=1)
    a_share = stats.share_ci(int(np.sum(a_powers > 0)), len(a_powers), p["confidence"])
    b_share = stats.share_ci(int(np.sum(b_powers > 0)), len(b_powers), p["confidence"])
    variation = stats.differs_across_groups(list(measured["b_strengths"]))
    evidence.record(
        decisive={"statistic": "share of tokens with a positive B-power", "value": round(b_share["share"], 4),
                  "ci": [round(v, 4) for v in b_share["ci"]], "chance": p["min_share"]},
        measurement={**measured["model"], **measured["inputs"], "confidence": p["confidence"],
                     "procedure": "strength = log-odds of B at the last position after r.. A B r.. A minus after the same tokens "
                                  "shuffled (last token kept); A-/B-power = a token's mean strength over its sequences in that role"},
        a_power_share=a_share, b_power_share=b_share, token_variation=variation,
        a_powers=_distribution(a_powers), b_powers=_distribution(b_powers),
        powers_by_token={int(t): [round(float(a), 4), round(float(b), 4)] for t, a, b in zip(measured["tokens"], a_powers, b_powers)},
    )
    assert a_share["ci"][0] > p["min_share"] and b_share["ci"][0] > p["min_share"], (
        f"{causal_lm.name}: positive A-power for {a_share['successes']}/{a_share['n']} tokens (CI {a_share['ci'][0]:.2f}-{a_share['ci'][1]:.2f}), "
        f"B-power for {b_share['successes']}/{b_share['n']} (CI {b_share['ci'][0]:.2f}-{b_share['ci'][1]:.2f}); need CI lower bounds > {p['min_share']}")
    assert variation["p_value"] < p["alpha"], (
        f"{causal_lm.name}: strengths do not differ across B tokens (Kruskal-Wallis H {variation['h']:.2f}, p {variation['p_value']:.3g})")


@pytest.mark.claim(L7.id)
def test_induction_bleeds_to_neighbours(causal_lm, claims_session, evidence):
    p = L7.parameters
    measured = strengths(claims_session, causal_lm, L7)
    b, neighbours, randoms = measured["b_strength"], measured["neighbour_strength"].mean(axis=1), measured["random_strength"].mean(axis=1)
    above = stats.bootstrap_mean_ci(b - neighbours, p["confidence"], p["n_resamples"], p["seed"])
    below = stats.bootstrap_mean_ci(neighbours - randoms, p["confidence"], p["n_resamples"], p["seed"])
    evidence.record(
        decisive={"statistic": "mean strength(neighbours) - strength(random)", "value": round(float(below[0]), 4),
                  "ci": [round(float(below[1]), 4), round(float(below[2]), 4)], "chance": 0.0},
        measurement={**measured["model"], **measured["inputs"], "confidence": p["confidence"], "n_resamples": p["n_resamples"],
                     "procedure": "strengths as in L6 for B, its nearest unembedding neighbours and as many random tokens; paired "
                                  "differences per sequence, percentile bootstrap CI"},
        strength_b=round(float(b.mean()), 4), strength_neighbours_by_rank=[round(float(v), 4) for v in measured["neighbour_strength"].mean(axis=0)],
        strength_random=round(float(randoms.mean()), 4),
        b_minus_neighbours={"mean": round(float(above[0]), 4), "ci": [round(float(above[1]), 4), round(float(above[2]), 4)]},
    )
    assert above[1] > 0 and below[1] > 0, (
        f"{causal_lm.name}: strength B {b.mean():.3f}, neighbours {neighbours.mean():.3f}, random {randoms.mean():.3f}; "
        f"B - neighbours CI [{above[1]:.3f}, {above[2]:.3f}], neighbours - random CI [{below[1]:.3f}, {below[2]:.3f}]: both must lie above 0")
