"""Induction findings about decoder-only language models (family causal-lm): heads found by their attention
patterns, triplet completion with per-head activation patching, and induction strength per token."""

from dataclasses import dataclass

import numpy as np

from harness import stats
from harness.causal_lm import figures
from harness.causal_lm.measure import PatternSettings, StrengthSettings, TripletSettings, measure_patterns, measure_strengths, measure_triplet_lengths
from harness.claims import claim
from harness.settings import alpha, min_heads, open_unit, parameter, positive, threshold


@dataclass(frozen=True)
class PatternHeads(PatternSettings):
    threshold: float = threshold(0.4)
    min_heads: int = min_heads()


@dataclass(frozen=True)
class LengthLimit(TripletSettings):
    min_logit_difference: float = parameter(0.1, positive, "logit difference [B] - [D] a length must exceed, at its CI lower bound, to work")


@dataclass(frozen=True)
class TokenVariation(StrengthSettings):
    min_share: float = parameter(0.5, open_unit, "share of tokens that must have positive powers, at the CI lower bound")
    min_power: float = parameter(0.1, positive, "log-odds a token's power must exceed to count as positive")
    alpha: float = alpha()


@dataclass(frozen=True)
class Bleeding(StrengthSettings):
    min_difference: float = parameter(0.05, positive, "log-odds both differences must exceed, at their CI lower bounds")


L1 = claim("L1-lm-induction-head-exists", PatternHeads)
L2 = claim("L2-lm-previous-token-head-in-layer-0", PatternHeads)
L3 = claim("L3-lm-induction-after-previous-token-head", PatternHeads)
L4 = claim("L4-lm-triplet-completion-has-a-length-limit", LengthLimit)
L5 = claim("L5-lm-look-back-two-head-in-layer-0", PatternHeads)
L6 = claim("L6-lm-induction-strength-varies-by-token", TokenVariation)
L7 = claim("L7-lm-induction-bleeds-to-neighbours", Bleeding)


def head_names(heads) -> list[str]:
    return [f"L{layer}H{head}" for layer, head in heads]


def describe(best: dict) -> str:
    return f"L{best['layer']}H{best['head']} mean {best['mean']:.3f} CI {best['ci']}"


@L1.mark
def test_induction_head_exists(causal_lm, measure, evidence):
    s = L1.settings
    measured = measure(measure_patterns, causal_lm, s)
    heads, best = measured.heads("induction", s.threshold), measured.strongest(measured.induction)
    evidence.decisive("induction heads (CI lower bound >= threshold)", len(heads), chance=round(measured.induction_chance, 4))
    evidence.measured(measured)
    evidence.record(induction_heads=head_names(heads), strongest_head=best, induction_scores=measured.induction.to_dict())
    evidence.figure(figures.patterns(measured))
    assert len(heads) >= s.min_heads, (f"{causal_lm.name}: {len(heads)} heads clear induction score {s.threshold} by CI lower bound; "
                                       f"strongest {describe(best)}, chance {measured.induction_chance:.3f}")


@L2.mark
def test_previous_token_head_in_layer_0(causal_lm, measure, evidence):
    s = L2.settings
    measured = measure(measure_patterns, causal_lm, s)
    heads, best = measured.heads("previous", s.threshold, layers=(0,)), measured.strongest(measured.back[1], layers=(0,))
    evidence.decisive("layer-0 previous-token heads (CI lower bound >= threshold)", len(heads), chance=round(measured.back_chance[1], 4))
    evidence.measured(measured)
    evidence.record(previous_token_heads_layer_0=head_names(heads), previous_token_heads_any_layer=head_names(measured.heads("previous", s.threshold)),
                    strongest_layer_0_head=best, previous_token_scores=measured.back[1].to_dict())
    assert heads, (f"{causal_lm.name}: no layer-0 head attends to position - 1 with CI lower bound >= {s.threshold}; strongest "
                   f"{describe(best)}, chance {measured.back_chance[1]:.3f}")


@L3.mark
def test_induction_heads_follow_previous_token_heads(causal_lm, measure, evidence):
    s = L3.settings
    measured = measure(measure_patterns, causal_lm, s)
    induction, previous = measured.heads("induction", s.threshold), measured.heads("previous", s.threshold)
    unsupported = [(layer, head) for layer, head in induction if not any(prev_layer < layer for prev_layer, _ in previous)]
    evidence.decisive("induction heads without a previous-token head in an earlier layer", len(unsupported))
    evidence.measured(measured)
    evidence.record(induction_heads=head_names(induction), previous_token_heads=head_names(previous), unsupported_induction_heads=head_names(unsupported))
    if not induction:
        evidence.inconclusive(f"no induction head clears {s.threshold} (CI lower bound; chance {measured.induction_chance:.3f}): none to place")
    assert not unsupported, (f"{causal_lm.name}: induction heads {head_names(unsupported)} have no previous-token head in an earlier "
                             f"layer (previous-token heads: {head_names(previous) or 'none'})")


@L4.mark
def test_triplet_completion_has_a_length_limit(causal_lm, measure, evidence):
    s = L4.settings
    results = [{**r, "works": r["ci"][0] > s.min_logit_difference} for r in measure(measure_triplet_lengths, causal_lm, s)]
    works = [r["works"] for r in results]
    largest = s.pattern_lengths[0] - 1 + (works.index(False) if False in works else len(works))
    evidence.decisive("largest pattern length up to which [B] beats [D] (CI lower bound of the logit difference > min_logit_difference)",
                      largest if largest >= s.pattern_lengths[0] else None, chance=0.0)
    evidence.measured(model=causal_lm.name, device=causal_lm.device, dtype=causal_lm.dtype, seed=s.seed, batch_size=s.batch_size,
                      gap_length=s.gap_length, confidence=s.confidence, n_resamples=s.n_resamples,
                      procedure="logits at the last position; logit difference [B] - [D] per sequence, batch mean with percentile bootstrap CI; "
                                "patching replaces one head's output (all positions) in the corrupted run by the clean run's")
    evidence.record(by_length=[{key: value for key, value in r.items() if key != "inputs"} for r in results])
    evidence.figure(figures.patching(causal_lm.name, results))
    assert works[0], (f"{causal_lm.name}: even pattern length {s.pattern_lengths[0]} fails: logit difference {results[0]['logit_difference']} "
                      f"CI {results[0]['ci']}, not above {s.min_logit_difference}")
    assert not all(works), (f"{causal_lm.name}: [B] beats [D] at every pattern length {s.pattern_lengths[0]}-{s.pattern_lengths[1]} (logit differences "
                            f"{[r['logit_difference'] for r in results]}), so no length limit shows in this range")


@L5.mark
def test_look_back_two_head_in_layer_0(causal_lm, measure, evidence):
    s = L5.settings
    measured = measure(measure_patterns, causal_lm, s)
    profiles = {head: measured.profile(0, head) for head in range(causal_lm.heads)}
    candidates = [(0, head) for head, profile in profiles.items()
                  if max(profile, key=profile.get) == 2 and measured.back[2].ci_low[0, head] >= s.threshold]
    best = measured.strongest(measured.back[2], layers=(0,))
    evidence.decisive("layer-0 heads whose largest weight is two back, CI lower bound >= threshold", len(candidates),
                      chance=round(measured.back_chance[2], 4))
    evidence.measured(measured)
    evidence.record(look_back_two_heads=head_names(candidates), strongest_layer_0_head=best,
                    offset_profiles={f"L0H{head}": profile for head, profile in profiles.items()})
    assert candidates, (f"{causal_lm.name}: no layer-0 head puts most attention two back; strongest {describe(best)} "
                        f"(threshold {s.threshold}), profile {profiles[best['head']]}")


def distribution(values: np.ndarray) -> dict:
    quantiles = np.quantile(values, [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4),
            "quantiles_0_10_25_50_75_90_100": [round(float(q), 4) for q in quantiles]}


STRENGTH_PROCEDURE = ("strength = log-odds of B at the last position after r.. A B r.. A minus after the same tokens shuffled (last token kept); "
                      "A-/B-power = a token's mean strength over its sequences in that role")


@L6.mark
def test_induction_strength_varies_by_token(causal_lm, measure, evidence):
    s = L6.settings
    measured = measure(measure_strengths, causal_lm, s)
    a_powers, b_powers = measured["a_strengths"].mean(axis=1), measured["b_strengths"].mean(axis=1)
    a_share, b_share = (stats.share_ci(int(np.sum(powers > s.min_power)), len(powers), s.confidence) for powers in (a_powers, b_powers))
    variation = stats.differs_across_groups(list(measured["b_strengths"]))
    evidence.decisive("share of tokens with a B-power above min_power", round(b_share["share"], 4), ci=[round(v, 4) for v in b_share["ci"]], chance=s.min_share)
    evidence.measured(measured["model"], **measured["inputs"], confidence=s.confidence, procedure=STRENGTH_PROCEDURE)
    evidence.record(a_power_share=a_share, b_power_share=b_share, token_variation=variation, a_powers=distribution(a_powers),
                    b_powers=distribution(b_powers),
                    powers_by_token={int(t): [round(float(a), 4), round(float(b), 4)] for t, a, b in zip(measured["tokens"], a_powers, b_powers)})
    assert a_share["ci"][0] > s.min_share and b_share["ci"][0] > s.min_share, (
        f"{causal_lm.name}: A-power above {s.min_power} for {a_share['successes']}/{a_share['n']} tokens (CI {a_share['ci'][0]:.2f}-{a_share['ci'][1]:.2f}), "
        f"B-power for {b_share['successes']}/{b_share['n']} (CI {b_share['ci'][0]:.2f}-{b_share['ci'][1]:.2f}); need CI lower bounds > {s.min_share}")
    assert variation["p_value"] < s.alpha, (
        f"{causal_lm.name}: strengths do not differ across B tokens (Kruskal-Wallis H {variation['h']:.2f}, p {variation['p_value']:.3g})")


@L7.mark
def test_induction_bleeds_to_neighbours(causal_lm, measure, evidence):
    s = L7.settings
    measured = measure(measure_strengths, causal_lm, s)
    b, neighbours, randoms = measured["b_strength"], measured["neighbour_strength"].mean(axis=1), measured["random_strength"].mean(axis=1)
    above, below = (stats.bootstrap_mean_ci(diff, s.confidence, s.n_resamples, s.seed) for diff in (b - neighbours, neighbours - randoms))
    evidence.decisive("mean strength(neighbours) - strength(random)", round(float(below[0]), 4),
                      ci=[round(float(below[1]), 4), round(float(below[2]), 4)], chance=0.0)
    evidence.measured(measured["model"], **measured["inputs"], confidence=s.confidence, n_resamples=s.n_resamples,
                      procedure="strengths as in L6 for B, its nearest unembedding neighbours and as many random tokens; paired differences "
                                "per sequence, percentile bootstrap CI")
    evidence.record(strength_b=round(float(b.mean()), 4), strength_random=round(float(randoms.mean()), 4),
                    strength_neighbours_by_rank=[round(float(v), 4) for v in measured["neighbour_strength"].mean(axis=0)],
                    b_minus_neighbours={"mean": round(float(above[0]), 4), "ci": [round(float(above[1]), 4), round(float(above[2]), 4)]})
    assert above[1] > s.min_difference and below[1] > s.min_difference, (
        f"{causal_lm.name}: strength B {b.mean():.3f}, neighbours {neighbours.mean():.3f}, random {randoms.mean():.3f}; "
        f"B - neighbours CI [{above[1]:.3f}, {above[2]:.3f}], neighbours - random CI [{below[1]:.3f}, {below[2]:.3f}]: both must lie above {s.min_difference}")
