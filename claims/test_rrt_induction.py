"""Findings about induction heads found with repeated random tokens (RRT) on one model at a time."""

from dataclasses import dataclass

from hypothesis import given, note

from generators.chronos.strategies import rrt_params
from harness import verdict
from harness.chronos import figures
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.claims import claim
from harness.metrics import relative_layer_positions
from harness.settings import alpha, confidence, integer, interval, min_heads, n_resamples, open_unit, parameter, same_as, threshold
from harness.stats import mann_whitney_less, share_ci


@dataclass(frozen=True)
class HeadCount(RRTSettings):
    threshold: float = threshold()
    min_heads: int = min_heads()


@dataclass(frozen=True)
class AcrossInputs:
    sequence_lengths: tuple[int, int] = parameter((6, 20), interval(2), "range of sequence lengths Hypothesis draws from")
    repetitions_range: tuple[int, int] = parameter((2, 3), interval(1), "range of repetitions Hypothesis draws from")
    batch_size: int = same_as(RRTSettings, "batch_size")
    token_range: tuple[int, int] = same_as(RRTSettings, "token_range")
    threshold: float = threshold()
    confidence: float = confidence()
    n_resamples: int = n_resamples()
    min_heads: int = min_heads()
    min_examples: int = parameter(3, integer(1), "drawn inputs the claim must evaluate before it can pass")


@dataclass(frozen=True)
class AlmostAll(RRTSettings):
    threshold: float = threshold()
    min_share: float = parameter(0.75, open_unit, "share of induction heads that must be right-token heads, at the CI lower bound")


@dataclass(frozen=True)
class LayerOrder(RRTSettings):
    threshold: float = threshold()
    alpha: float = alpha()
    min_heads_per_group: int = parameter(2, integer(2), "heads each group needs before the comparison is decided")


C1 = claim("C1-induction-heads-exist", HeadCount)
C1_ACROSS = claim("C1-induction-heads-exist-across-inputs", AcrossInputs)
C4 = claim("C4-induction-heads-are-almost-all-right-token", AlmostAll)
C5 = claim("C5-current-heads-precede-right-heads", LayerOrder)


UNIFORM_NULL = "a head that spreads its attention evenly over the T encoder tokens scores 1/T (chance)"


def induction_heads(mosaic, threshold, by="ci_low") -> list[tuple[int, int]]:
    heads = mosaic.classify(threshold, by=by)
    return sorted(set(heads["current"]) | set(heads["right"]))


def head_count_verdict(mosaic, threshold: float, minimum: int) -> verdict.Verdict:
    """Passed with ``minimum`` heads whose CI lower bound clears the threshold; failed when fewer than ``minimum`` heads
    have a CI upper bound that reaches it; otherwise the straddling heads leave it undecided."""
    return verdict.head_count(len(induction_heads(mosaic, threshold)), len(induction_heads(mosaic, threshold, by="ci_high")), minimum)


def describe_head(best: dict) -> str:
    return f"{best['kind']}-token head L{best['layer']}H{best['head']} mean {best['mean']:.3f} CI [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}]"


@C1.mark
def test_induction_heads_exist(chronos, measure, evidence):
    s = C1.settings
    mosaic = measure(measure_rrt, chronos, s)
    if s.threshold <= mosaic.chance:
        evidence.inconclusive(f"threshold {s.threshold} does not exceed chance {mosaic.chance:.3f}: a uniform head would clear it",
                              kind="floor:threshold-above-chance")
    heads, heads_by_mean = induction_heads(mosaic, s.threshold), induction_heads(mosaic, s.threshold, by="mean")
    reaching = induction_heads(mosaic, s.threshold, by="ci_high")
    best = mosaic.strongest_head()
    evidence.decisive("strongest head's score (current or right token)", best["mean"], ci=best["ci"], chance=mosaic.chance, null=UNIFORM_NULL)
    evidence.measured(mosaic)
    evidence.record(strongest_head=best, induction_heads=len(heads), heads_reaching_threshold=len(reaching),
                    induction_heads_by_mean=len(heads_by_mean), **mosaic.summary(s.threshold))
    evidence.figure(figures.mosaic(mosaic))
    decided = head_count_verdict(mosaic, s.threshold, s.min_heads)
    evidence.conclude(decided, (
        f"{chronos.name}: {len(heads)} heads clear {s.threshold} by CI lower bound and {len(reaching)} reach it by CI upper bound "
        f"(need {s.min_heads}); strongest {describe_head(best)}, chance {mosaic.chance:.3f}"))


@C1_ACROSS.mark
@given(params=rrt_params(sequence_lengths=C1_ACROSS.settings.sequence_lengths, repetitions=C1_ACROSS.settings.repetitions_range,
                         token_range=C1_ACROSS.settings.token_range, max_encoder_length=513))
def test_induction_heads_exist_across_inputs(chronos, measure, evidence, params):
    s = C1_ACROSS.settings
    evidence.require_examples(s.min_examples)
    if params.encoder_length > chronos.context_length + 1:
        unit = "patches" if "patch_size" in chronos.facts else "tokens"  # a patch model reads RRP: the same count, in patches
        evidence.not_evaluated(f"longer than the model's context of {chronos.context_length} {unit}")
    rrt = RRTSettings(params.sequence_length, params.repetitions, s.batch_size, params.seed % 2**31, params.token_range, s.confidence, s.n_resamples)
    mosaic = measure(measure_rrt, chronos, rrt)
    heads, best = induction_heads(mosaic, s.threshold), mosaic.strongest_head()
    example = {"sequence_length": params.sequence_length, "repetitions": params.repetitions, "seed": rrt.seed,
               "token_range": list(params.token_range), "induction_heads": len(heads),
               "heads_reaching_threshold": len(induction_heads(mosaic, s.threshold, by="ci_high")), "strongest_head": best,
               "chance_level": mosaic.chance}
    note(f"measured: {example}")
    weakest = min(evidence.examples + [example], key=lambda e: e["strongest_head"]["ci"][0])
    evidence.decisive("strongest head's score on the input where it is weakest", weakest["strongest_head"]["mean"],
                      ci=weakest["strongest_head"]["ci"], chance=weakest["chance_level"], null=UNIFORM_NULL + ", per input")
    drawn = ("sequence_length", "repetitions", "seed", "token_range", "encoder_length", "current_position", "right_position", "chance_level")
    evidence.measured(mosaic, **dict.fromkeys(drawn), drawn=list(drawn), chance_level_rule="1/encoder_length, per input (examples)")
    evidence.example(example, head_count_verdict(mosaic, s.threshold, s.min_heads), (
        f"{chronos.name}: no head can reach {s.threshold} at sl={params.sequence_length}, rf={params.repetitions}, seed={rrt.seed} "
        f"(every CI upper bound is below it); strongest {describe_head(best)}, chance {mosaic.chance:.3f}"))


@C4.mark
def test_induction_heads_are_almost_all_right_token_heads(chronos, measure, evidence):
    s = C4.settings
    mosaic = measure(measure_rrt, chronos, s)
    summary = mosaic.summary(s.threshold)
    counts, by_mean = summary["counts"], summary["counts_by_mean"]
    found = counts["right"] + counts["current"]
    evidence.measured(mosaic)
    evidence.record(**summary, min_share=s.min_share)
    if found == 0:
        evidence.inconclusive(f"no current- or right-token head clears {s.threshold} by CI lower bound (chance {mosaic.chance:.3f}): nothing to count",
                              kind="floor:no-induction-heads")
    share = share_ci(counts["right"], found, s.confidence)
    evidence.decisive("share of right-token heads among induction heads", share["share"], ci=share["ci"], chance=0.5,
                      null="a head as likely to attend to the current token as to the token after it: half the induction heads")
    evidence.record(right_token_share=share)
    reachable = verdict.smallest_wilson_share(found, s.confidence)
    if reachable < s.min_share and share["ci"][1] >= s.min_share:
        evidence.inconclusive(f"{found} induction heads: even {found}/{found} right-token heads has a CI lower bound of {reachable:.2f}, "
                              f"below {s.min_share}; too few heads to show 'almost all'", kind="floor:too-few-heads")
    evidence.conclude(verdict.against_bar(*share["ci"], s.min_share), (
        f"{chronos.name}: {counts['right']} right-token of {found} induction heads, share {share['share']:.2f} "
        f"(CI {share['ci'][0]:.2f}..{share['ci'][1]:.2f}) against {s.min_share}; by plain mean {by_mean['right']} vs {by_mean['current']} "
        f"current-token heads, threshold {s.threshold}"))


@C5.mark
def test_current_token_heads_precede_right_token_heads(chronos, measure, evidence):
    s = C5.settings
    mosaic = measure(measure_rrt, chronos, s)
    heads = mosaic.classify(s.threshold)
    current, right = (relative_layer_positions(heads[kind], mosaic.layers) for kind in ("current", "right"))
    evidence.measured(mosaic)
    evidence.record(current_positions=current, right_positions=right, current_heads=heads["current"], right_heads=heads["right"])
    evidence.figure(figures.layer_positions(chronos.name, current, right))
    if min(len(current), len(right)) < s.min_heads_per_group:
        evidence.inconclusive(f"{len(current)} current-token and {len(right)} right-token heads; each group needs {s.min_heads_per_group}",
                              kind="floor:too-few-heads")
    smallest_p = verdict.smallest_rank_sum_p(len(current), len(right))
    if smallest_p >= s.alpha:
        evidence.inconclusive(f"{len(current)} current-token and {len(right)} right-token heads: the exact rank test cannot go below "
                              f"p = {smallest_p:.3g} even with complete separation, need < {s.alpha}", kind="floor:test-cannot-reach-alpha")
    test, reverse = mann_whitney_less(current, right, seed=s.seed), mann_whitney_less(right, current, seed=s.seed)
    evidence.decisive("P(a current-token head sits below a right-token head)", test["effect_probability_early_below_late"], chance=0.5,
                      null="layers unrelated to the kind of head: each ordering as likely (the Mann-Whitney null)")
    evidence.record(mann_whitney=test, mann_whitney_reverse=reverse, smallest_possible_p=smallest_p, alpha=s.alpha)
    evidence.conclude(verdict.by_p_values(test["p_value"], reverse["p_value"], s.alpha, smallest_p), (
        f"{chronos.name}: current-token heads (median position {test['median_early']:.2f}) vs right-token heads (median "
        f"{test['median_late']:.2f}): U={test['u']:.1f}, p={test['p_value']:.3g} that current sit earlier, p={reverse['p_value']:.3g} that they "
        f"sit later (alpha {s.alpha}), P(current below right)={test['effect_probability_early_below_late']:.2f}"))
