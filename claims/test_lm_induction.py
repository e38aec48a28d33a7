"""Induction findings about decoder-only language models (family causal-lm): heads found by their attention
patterns, triplet completion with per-head activation patching, and induction strength per token."""

from dataclasses import dataclass

import numpy as np

from harness import metrics, stats
from harness import verdict as v
from harness.causal_lm import figures
from harness.causal_lm.measure import (PROFILE_OFFSETS, PatternSettings, StrengthSettings, TripletSettings, measure_patterns, measure_strengths,
                                       measure_triplet_lengths)
from harness.claims import claim
from harness.settings import above_one, alpha, min_heads, open_unit, parameter, positive, threshold


@dataclass(frozen=True)
class PatternHeads(PatternSettings):
    threshold: float = threshold(0.4)
    min_heads: int = min_heads()


@dataclass(frozen=True)
class LookBack(PatternSettings):
    threshold: float = parameter(0.5, open_unit, "weight a head must put on offsets 1-5 together, at its CI lower bound (spread over the previous five tokens)")
    min_spread: float = parameter(2.0, above_one, "effective number of attended offsets among 1-5 (1 / sum of squared normalised weights) the head "
                                                  "must reach at its CI lower bound: not all of it two back")


@dataclass(frozen=True)
class LengthLimit(TripletSettings):
    min_logit_difference: float = parameter(0.1, positive, "logit difference [B] - [D]: a length works above it (CI lower bound), has stopped below it (CI upper bound)")


@dataclass(frozen=True)
class TokenVariation(StrengthSettings):
    min_share: float = parameter(0.5, open_unit, "share of tokens that must have positive powers, at the CI lower bound")
    min_power: float = parameter(0.1, positive, "log-odds a token's power must exceed to count as positive")
    alpha: float = alpha()


def _band(value) -> str | None:
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) \
        and 0 < value[0] < value[1] < 1
    return None if ok else "must be [low, high] with 0 < low < high < 1"


@dataclass(frozen=True)
class Bleeding(StrengthSettings):
    min_difference: float = parameter(0.05, positive, "log-odds strength(B) - strength(random) must exceed at its CI lower bound: an induction effect to place the neighbours in")
    band: tuple[float, float] = parameter((0.25, 0.75), _band, "where the neighbours must sit between random tokens (0) and B (1): 'roughly half-way'")


L1 = claim("L1-lm-induction-head-exists", PatternHeads)
L2 = claim("L2-lm-previous-token-head-in-layer-0", PatternHeads)
L3 = claim("L3-lm-induction-after-previous-token-head", PatternHeads)
L4 = claim("L4-lm-triplet-completion-has-a-length-limit", LengthLimit)
L5 = claim("L5-lm-look-back-two-head-in-layer-0", LookBack)
L6 = claim("L6-lm-induction-strength-varies-by-token", TokenVariation)
L7 = claim("L7-lm-induction-bleeds-to-neighbours", Bleeding)


def head_names(heads) -> list[str]:
    return [f"L{layer}H{head}" for layer, head in heads]


def describe(best: dict) -> str:
    return f"L{best['layer']}H{best['head']} mean {best['mean']:.3f} CI {best['ci']}"


EVEN_ROW = "an evenly spread causal row (1/(i+1) on every key), averaged over the scored query positions"


def decide_heads(evidence, grid, s, chance: float, what: str, layers: tuple[int, ...] | None = None) -> tuple[v.Verdict, list, list, dict]:
    """Head existence, three-way: passed with >= min_heads heads whose CI lower bound clears the threshold, failed when fewer than
    min_heads heads have a CI upper bound reaching it, inconclusive otherwise."""
    clear = [h for h in grid.heads(s.threshold) if layers is None or h[0] in layers]
    possible = [h for h in grid.heads(s.threshold, by="ci_high") if layers is None or h[0] in layers]
    verdict = v.head_count(len(clear), len(possible), s.min_heads)
    deciding = grid.kth_best(s.min_heads, layers)
    evidence.decisive(f"{what} score of the {metrics.ordinal(s.min_heads)} best head (CI: the {metrics.ordinal(s.min_heads)} largest lower and upper bounds)", deciding["mean"],
                      ci=deciding["ci"], chance=round(chance, 4), null=f"{chance:.4f}, the weight {EVEN_ROW}")
    return verdict, clear, possible, deciding


def head_count_message(name: str, verdict: v.Verdict, what: str, clear: list, possible: list, s, deciding: dict, chance: float) -> str:
    return (f"{name}: {len(clear)} heads clear {what} score {s.threshold} by CI lower bound ({head_names(clear) or 'none'}), {len(possible)} reach it "
            f"by CI upper bound ({head_names(possible) or 'none'}); need {s.min_heads}; deciding head {deciding['head']} mean {deciding['mean']} "
            f"CI {deciding['ci']}, chance {chance:.3f}")


@L1.mark
def test_induction_head_exists(causal_lm, measure, evidence):
    s = L1.settings
    measured = measure(measure_patterns, causal_lm, s)
    verdict, clear, possible, deciding = decide_heads(evidence, measured.induction, s, measured.induction_chance, "induction")
    evidence.measured(measured)
    evidence.record(induction_heads=head_names(clear), induction_heads_by_ci_high=head_names(possible), strongest_head=measured.strongest(measured.induction),
                    induction_scores=measured.induction.to_dict())
    evidence.figure(figures.patterns(measured))
    evidence.conclude(verdict, head_count_message(causal_lm.name, verdict, "induction", clear, possible, s, deciding, measured.induction_chance))


@L2.mark
def test_previous_token_head_in_layer_0(causal_lm, measure, evidence):
    s = L2.settings
    measured = measure(measure_patterns, causal_lm, s)
    verdict, clear, possible, deciding = decide_heads(evidence, measured.back[1], s, measured.back_chance[1], "layer-0 previous-token", layers=(0,))
    evidence.measured(measured)
    evidence.record(previous_token_heads_layer_0=head_names(clear), previous_token_heads_layer_0_by_ci_high=head_names(possible),
                    previous_token_heads_any_layer=head_names(measured.heads("previous", s.threshold)),
                    strongest_layer_0_head=measured.strongest(measured.back[1], layers=(0,)), previous_token_scores=measured.back[1].to_dict())
    evidence.conclude(verdict, head_count_message(causal_lm.name, verdict, "layer-0 previous-token", clear, possible, s, deciding, measured.back_chance[1]))


def supported_share(induction, previous) -> float:
    """Share of induction heads with a previous-token head in a strictly earlier layer."""
    if not induction:
        return 0.0
    return sum(any(p_layer < layer for p_layer, _ in previous) for layer, _ in induction) / len(induction)


def random_placement(layers: int, heads: int, n_induction: int, n_previous: int, seed: int, draws: int = 20000) -> dict:
    """The null of L3: as many induction and previous-token heads as found, each set placed uniformly at random among all
    heads (independently): the expected share of supported induction heads, and how often every one is supported."""
    rng = np.random.default_rng(seed)
    total = layers * heads
    shares = np.empty(draws)
    for i in range(draws):
        induction_layers = rng.choice(total, n_induction, replace=False) // heads
        previous_layers = rng.choice(total, n_previous, replace=False) // heads
        earliest = previous_layers.min() if n_previous else layers
        shares[i] = np.mean(induction_layers > earliest)
    return {"expected_share": float(shares.mean()), "probability_all_supported": float(np.mean(shares == 1.0)), "draws": draws, "seed": seed}


@L3.mark
def test_induction_heads_follow_previous_token_heads(causal_lm, measure, evidence):
    s = L3.settings
    measured = measure(measure_patterns, causal_lm, s)
    induction = measured.heads("induction", s.threshold)
    previous, previous_possible = measured.back[1].heads(s.threshold), measured.back[1].heads(s.threshold, by="ci_high")
    evidence.measured(measured)
    if not induction:
        evidence.record(previous_token_heads=head_names(previous))
        evidence.inconclusive(f"no induction head clears {s.threshold} (CI lower bound; chance {measured.induction_chance:.3f}): none to place",
                              kind="floor:no-induction-heads")
    strict, lenient = supported_share(induction, previous), supported_share(induction, previous_possible)
    layers, heads = measured.induction.mean.shape
    null = random_placement(layers, heads, len(induction), len(previous), s.seed)
    evidence.decisive("share of induction heads with a previous-token head in a strictly earlier layer (CI: previous-token heads by CI lower "
                      "bound .. by CI upper bound)", round(strict, 4), ci=[round(strict, 4), round(lenient, 4)], chance=round(null["expected_share"], 4),
                      null=f"{null['expected_share']:.4f}, the expected share when {len(induction)} induction and {len(previous)} previous-token heads "
                           f"are placed uniformly at random among the {layers * heads} heads ({null['draws']} Monte Carlo draws; all supported in "
                           f"{null['probability_all_supported']:.3f} of them)")
    unsupported = [h for h in induction if not any(p_layer < h[0] for p_layer, _ in previous)]
    unreachable = [h for h in induction if not any(p_layer < h[0] for p_layer, _ in previous_possible)]
    evidence.record(induction_heads=head_names(induction), previous_token_heads=head_names(previous),
                    previous_token_heads_by_ci_high=head_names(previous_possible), unsupported_induction_heads=head_names(unsupported),
                    induction_heads_without_any_possible_previous_head=head_names(unreachable), random_placement=null)
    verdict = v.against_bar(strict, lenient, 1.0)
    evidence.conclude(verdict, f"{causal_lm.name}: induction heads {head_names(unsupported)} have no previous-token head (CI lower bound >= "
                               f"{s.threshold}) in an earlier layer, {head_names(unreachable) or 'none'} none even by CI upper bound "
                               f"(previous-token heads: {head_names(previous) or 'none'}; by CI upper bound {head_names(previous_possible) or 'none'})")


def length_state(result: dict, bar: float) -> str:
    low, high = result["ci"]
    return "works" if low > bar else "stopped" if high < bar else "undecided"


@L4.mark
def test_triplet_completion_has_a_length_limit(causal_lm, measure, evidence):
    s = L4.settings
    results = [{**r, "state": length_state(r, s.min_logit_difference)} for r in measure(measure_triplet_lengths, causal_lm, s)]
    first, longer = results[0], results[1:]
    stopped = [r for r in longer if r["state"] == "stopped"]
    if first["state"] == "works" and stopped:
        verdict, deciding = v.passed(), stopped[0]
    elif first["state"] == "stopped":
        verdict, deciding = v.failed(), first
    elif all(r["state"] == "works" for r in results):
        verdict, deciding = v.failed(), min(longer, key=lambda r: r["ci"][0])
    else:
        verdict, deciding = v.straddles(), first if first["state"] != "works" else min(longer, key=lambda r: r["ci"][1])
    works = [r["state"] == "works" for r in results]
    largest = s.pattern_lengths[0] - 1 + (works.index(False) if False in works else len(works))
    evidence.decisive(f"logit difference [B] - [D] at the deciding pattern length ({deciding['pattern_length']})", deciding["logit_difference"],
                      ci=deciding["ci"], chance=0.0,
                      null="0: no preference of [B] over [D] (without induction nothing in the input favours either; both are "
                           "drawn the same way)")
    evidence.measured(model=causal_lm.name, device=causal_lm.device, dtype=causal_lm.dtype, seed=s.seed, batch_size=s.batch_size,
                      gap_length=s.gap_length, confidence=s.confidence, n_resamples=s.n_resamples,
                      procedure="logits at the last position; logit difference [B] - [D] per sequence, batch mean with percentile bootstrap CI; "
                                "patching replaces one head's output (all positions) in the corrupted run by the clean run's")
    evidence.record(by_length=[{key: value for key, value in r.items() if key != "inputs"} for r in results], deciding_length=deciding["pattern_length"],
                    largest_working_length=largest if largest >= s.pattern_lengths[0] else None)
    evidence.figure(figures.patching(causal_lm.name, results))
    states = ", ".join(f"{r['pattern_length']}: {r['logit_difference']} CI {r['ci']} {r['state']}" for r in results)
    evidence.conclude(verdict, f"{causal_lm.name}: logit differences by pattern length ({states}); a length works above {s.min_logit_difference} "
                               f"(CI lower bound), has stopped below it (CI upper bound); need length {s.pattern_lengths[0]} working and a longer "
                               "one stopped")


def look_back_head(samples: np.ndarray, s, seed: int) -> dict:
    """One layer-0 head's look-back conditions, from its (batch, offsets) per-sequence weights k back (k in PROFILE_OFFSETS).

    peak: weight two back minus each other offset's, paired over sequences, CI lower bounds > 0 (failed when one CI upper
    bound is <= 0); spread: weight on offsets 1-5 together, CI against threshold; breadth: effective number of offsets
    among 1-5 (1 / sum q_k^2, q the weights on 1-5 normalised to 1), CI against min_spread."""
    two = PROFILE_OFFSETS.index(2)
    others = [i for i in range(len(PROFILE_OFFSETS)) if i != two]
    diffs = samples[:, [two]] - samples[:, others]
    d_mean, d_low, d_high = stats.bootstrap_mean_ci(diffs, s.confidence, s.n_resamples, seed)
    window = samples[:, [PROFILE_OFFSETS.index(k) for k in range(1, 6)]]
    total = window.sum(axis=1)
    q = window / np.maximum(total, 1e-12)[:, None]
    breadth = 1.0 / np.maximum((q**2).sum(axis=1), 1e-12)
    (t_mean, b_mean), (t_low, b_low), (t_high, b_high) = stats.bootstrap_mean_ci(np.stack([total, breadth], axis=1), s.confidence, s.n_resamples, seed)
    peak = v.passed() if d_low.min() > 0 else v.failed() if d_high.min() <= 0 else v.straddles()
    spread = v.against_bar(t_low, t_high, s.threshold)
    broad = v.against_bar(b_low, b_high, s.min_spread)
    parts = (peak, spread, broad)
    overall = v.passed() if all(p.outcome == v.PASSED for p in parts) else v.failed() if any(p.outcome == v.FAILED for p in parts) else v.straddles()
    return {"verdict": overall,
            "peak_two_back_minus": {f"offset_{PROFILE_OFFSETS[i]}": {"mean": round(float(m), 4), "ci": [round(float(lo), 4), round(float(hi), 4)]}
                                    for i, m, lo, hi in zip(others, d_mean, d_low, d_high)},
            "peak": peak.outcome, "weight_offsets_1_5": {"mean": round(float(t_mean), 4), "ci": [round(float(t_low), 4), round(float(t_high), 4)]},
            "spread": spread.outcome, "effective_offsets": {"mean": round(float(b_mean), 4), "ci": [round(float(b_low), 4), round(float(b_high), 4)]},
            "breadth": broad.outcome, "outcome": overall.outcome}


@L5.mark
def test_look_back_two_head_in_layer_0(causal_lm, measure, evidence):
    s = L5.settings
    measured = measure(measure_patterns, causal_lm, s)
    heads = {head: look_back_head(measured.profile_samples[:, 0, head], s, s.seed) for head in range(causal_lm.heads)}
    rank = {v.PASSED: 2, v.INCONCLUSIVE: 1, v.FAILED: 0}
    best = max(heads, key=lambda h: (rank[heads[h]["verdict"].outcome], heads[h]["weight_offsets_1_5"]["mean"]))
    outcomes = [c["verdict"].outcome for c in heads.values()]
    verdict = v.passed() if v.PASSED in outcomes else v.failed() if all(o == v.FAILED for o in outcomes) else v.straddles()
    length, first = measured.inputs["length"], measured.inputs["bos"] + max(PROFILE_OFFSETS)
    chance = 5 * metrics.causal_chance(length, first)
    evidence.decisive(f"weight on offsets 1-5 together of the deciding layer-0 head (L0H{best})", heads[best]["weight_offsets_1_5"]["mean"],
                      ci=heads[best]["weight_offsets_1_5"]["ci"], chance=round(chance, 4),
                      null=f"{chance:.4f}, the weight an evenly spread causal row (1/(i+1) on every key) puts on offsets 1-5 together, averaged "
                           "over the scored query positions (its peak margins are 0 and its effective number of offsets 5)")
    evidence.measured(measured)
    evidence.record(look_back_heads=[f"L0H{h}" for h, c in heads.items() if c["outcome"] == v.PASSED], deciding_head=f"L0H{best}",
                    conditions={f"L0H{h}": {k: val for k, val in c.items() if k != "verdict"} for h, c in heads.items()},
                    offset_profiles={f"L0H{head}": measured.profile(0, head) for head in range(causal_lm.heads)})
    c = heads[best]
    evidence.conclude(verdict, f"{causal_lm.name}: no layer-0 head peaks two back while spread over the previous five tokens; closest L0H{best}: "
                               f"peak {c['peak']} (two back minus others {c['peak_two_back_minus']}), weight on offsets 1-5 {c['weight_offsets_1_5']} "
                               f"against {s.threshold} ({c['spread']}), effective offsets {c['effective_offsets']} against {s.min_spread} ({c['breadth']})")


def distribution(values: np.ndarray) -> dict:
    quantiles = np.quantile(values, [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4),
            "quantiles_0_10_25_50_75_90_100": [round(float(q), 4) for q in quantiles]}


STRENGTH_PROCEDURE = ("strength = log-odds of B at the last position after r.. A B r.. A minus after the same tokens shuffled (last token kept); "
                      "A-/B-power = a token's mean strength over its sequences in that role")


def share_verdict(share: dict, bar: float) -> v.Verdict:
    low, high = share["ci"]
    return v.passed() if low > bar else v.failed() if high < bar else v.straddles()


@L6.mark
def test_induction_strength_varies_by_token(causal_lm, measure, evidence):
    s = L6.settings
    measured = measure(measure_strengths, causal_lm, s)
    a_powers, b_powers = measured["a_strengths"].mean(axis=1), measured["b_strengths"].mean(axis=1)
    a_share, b_share = (stats.share_ci(int(np.sum(powers > s.min_power)), len(powers), s.confidence) for powers in (a_powers, b_powers))
    # the null: the same powers read off random tokens of the same sequences (targets induction does not point at)
    per = s.sequences_per_token
    placebo = measured["random_strength"].mean(axis=1).reshape(2, s.tokens, per).mean(axis=2)  # (role A, role B) x tokens
    a_null, b_null = (stats.share_ci(int(np.sum(powers > s.min_power)), len(powers), s.confidence) for powers in placebo)
    variation = stats.differs_across_groups(list(measured["b_strengths"]))
    shares = {"A": (a_share, share_verdict(a_share, s.min_share), a_null), "B": (b_share, share_verdict(b_share, s.min_share), b_null)}
    variation_verdict = v.passed() if variation["p_value"] < s.alpha else v.straddles()
    parts = [verdict for _, verdict, _ in shares.values()] + [variation_verdict]
    verdict = (v.failed() if any(p.outcome == v.FAILED for p in parts[:2]) else v.passed() if all(p.outcome == v.PASSED for p in parts) else v.straddles())
    role = min(shares, key=lambda r: shares[r][0]["ci"][0])
    share, _, null = shares[role]
    evidence.decisive(f"share of tokens with a {role}-power above min_power (the smaller share's; Wilson CI)", round(share["share"], 4),
                      ci=[round(x, 4) for x in share["ci"]], chance=round(null["share"], 4),
                      null=f"{null['share']:.4f}, the share of tokens whose {role}-power, read off {s.neighbours} random tokens of the same "
                           "sequences instead of B (targets induction does not raise), exceeds min_power")
    evidence.measured(measured["model"], **measured["inputs"], confidence=s.confidence, procedure=STRENGTH_PROCEDURE)
    evidence.record(a_power_share=a_share, b_power_share=b_share, a_power_share_random_tokens=a_null, b_power_share_random_tokens=b_null,
                    token_variation=variation, share_outcomes={r: verdict.outcome for r, (_, verdict, _) in shares.items()},
                    variation_outcome=variation_verdict.outcome, a_powers=distribution(a_powers), b_powers=distribution(b_powers),
                    powers_by_token={int(t): [round(float(a), 4), round(float(b), 4)] for t, a, b in zip(measured["tokens"], a_powers, b_powers)})
    evidence.conclude(verdict, (
        f"{causal_lm.name}: A-power above {s.min_power} for {a_share['successes']}/{a_share['n']} tokens (CI {a_share['ci'][0]:.2f}-{a_share['ci'][1]:.2f}), "
        f"B-power for {b_share['successes']}/{b_share['n']} (CI {b_share['ci'][0]:.2f}-{b_share['ci'][1]:.2f}), against {s.min_share}; strengths across "
        f"B tokens: Kruskal-Wallis H {variation['h']:.2f}, p {variation['p_value']:.3g} (alpha {s.alpha})"))


def position_ci(b, neighbours, randoms, s) -> tuple[float, float, float]:
    """(mean neighbours - mean random) / (mean B - mean random), with a percentile bootstrap CI over sequences."""
    def ratio(index):
        spread = b[index].mean(axis=-1) - randoms[index].mean(axis=-1)
        return (neighbours[index].mean(axis=-1) - randoms[index].mean(axis=-1)) / np.where(spread == 0, np.nan, spread)

    rng = np.random.default_rng(s.seed)
    n = len(b)
    resampled = ratio(rng.integers(0, n, size=(s.n_resamples, n)))
    alpha = (1 - s.confidence) / 2
    low, high = np.nanquantile(resampled, [alpha, 1 - alpha])
    return float(ratio(np.arange(n))), float(low), float(high)


@L7.mark
def test_induction_bleeds_to_neighbours(causal_lm, measure, evidence):
    s = L7.settings
    measured = measure(measure_strengths, causal_lm, s)
    b, neighbours, randoms = measured["b_strength"], measured["neighbour_strength"].mean(axis=1), measured["random_strength"].mean(axis=1)
    effect, above, below = (stats.bootstrap_mean_ci(diff, s.confidence, s.n_resamples, s.seed) for diff in (b - randoms, b - neighbours, neighbours - randoms))
    evidence.measured(measured["model"], **measured["inputs"], confidence=s.confidence, n_resamples=s.n_resamples,
                      procedure="strengths as in L6 for B, its nearest unembedding neighbours and as many random tokens; position = (mean "
                                "neighbours - mean random) / (mean B - mean random) over sequences, percentile bootstrap CI (sequences resampled); "
                                "paired differences per sequence with percentile bootstrap CIs")
    evidence.record(strength_b=round(float(b.mean()), 4), strength_random=round(float(randoms.mean()), 4),
                    strength_neighbours_by_rank=[round(float(x), 4) for x in measured["neighbour_strength"].mean(axis=0)],
                    **{name: {"mean": round(float(d[0]), 4), "ci": [round(float(d[1]), 4), round(float(d[2]), 4)]}
                       for name, d in (("b_minus_random", effect), ("b_minus_neighbours", above), ("neighbours_minus_random", below))})
    if not effect[1] > s.min_difference:
        evidence.inconclusive(f"strength(B) - strength(random) is {effect[0]:.3g} (CI {effect[1]:.3g}..{effect[2]:.3g}), not above {s.min_difference}: "
                              "no induction effect to place the neighbours in", kind="floor:no-induction-effect")
    position, low, high = position_ci(b, neighbours, randoms, s)
    band_low, band_high = s.band
    verdict = v.passed() if band_low <= low and high <= band_high else v.failed() if high < band_low or low > band_high else v.straddles()
    evidence.decisive("position of the neighbours between random tokens (0) and B (1): (neighbours - random) / (B - random)", round(position, 4),
                      ci=[round(low, 4), round(high, 4)], chance=0.0,
                      null="0: the neighbours raised no more than random tokens (induction raises B alone)")
    evidence.record(band=list(s.band))
    evidence.conclude(verdict, (
        f"{causal_lm.name}: strength B {b.mean():.3f}, neighbours {neighbours.mean():.3f}, random {randoms.mean():.3f}; the neighbours sit at "
        f"{position:.3f} of the way from random to B (CI {low:.3f}..{high:.3f}), band {band_low}..{band_high} ('roughly half-way')"))
