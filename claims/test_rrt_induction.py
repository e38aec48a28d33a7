"""Findings about induction heads found with repeated random tokens (RRT) on one model at a time."""

from dataclasses import dataclass

from hypothesis import given, note

from generators.chronos.strategies import rrt_params
from harness.chronos import figures
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.claims import claim
from harness.metrics import relative_layer_positions
from harness.settings import alpha, confidence, integer, interval, min_heads, n_resamples, parameter, same_as, threshold
from harness.stats import mann_whitney_less


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
class LayerOrder(RRTSettings):
    threshold: float = threshold()
    alpha: float = alpha()
    min_heads_per_group: int = parameter(2, integer(2), "heads each group needs before the comparison is decided")


C1 = claim("C1-induction-heads-exist", HeadCount)
C1_ACROSS = claim("C1-induction-heads-exist-across-inputs", AcrossInputs)
C4 = claim("C4-right-token-heads-outnumber-current", HeadCount)
C5 = claim("C5-current-heads-precede-right-heads", LayerOrder)


def induction_heads(mosaic, threshold, by="ci_low") -> list[tuple[int, int]]:
    heads = mosaic.classify(threshold, by=by)
    return sorted(set(heads["current"]) | set(heads["right"]))


def describe_head(best: dict) -> str:
    return f"{best['kind']}-token head L{best['layer']}H{best['head']} mean {best['mean']:.3f} CI [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}]"


@C1.mark
def test_induction_heads_exist(chronos, measure, evidence):
    s = C1.settings
    mosaic = measure(measure_rrt, chronos, s)
    if s.threshold <= mosaic.chance:
        evidence.inconclusive(f"threshold {s.threshold} does not exceed chance {mosaic.chance:.3f}: a uniform head would clear it")
    heads, heads_by_mean = induction_heads(mosaic, s.threshold), induction_heads(mosaic, s.threshold, by="mean")
    evidence.decisive("induction heads (CI lower bound >= threshold)", len(heads), chance=mosaic.chance)
    evidence.measured(mosaic)
    evidence.record(strongest_head=mosaic.strongest_head(), induction_heads_by_mean=len(heads_by_mean), **mosaic.summary(s.threshold))
    evidence.figure(figures.mosaic(mosaic))
    assert len(heads) >= s.min_heads, (
        f"{chronos.name}: {len(heads)} heads clear {s.threshold} by CI lower bound (by plain mean: {len(heads_by_mean)}); "
        f"strongest {describe_head(mosaic.strongest_head())}, chance {mosaic.chance:.3f}")


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
               "token_range": list(params.token_range), "induction_heads": len(heads), "strongest_head": best, "chance_level": mosaic.chance}
    note(f"measured: {example}")
    evidence.example(example, holds=len(heads) >= s.min_heads)
    fewest = min(evidence.examples, key=lambda e: e["induction_heads"])
    evidence.decisive("fewest induction heads over drawn inputs", fewest["induction_heads"], chance=fewest["chance_level"])
    drawn = ("sequence_length", "repetitions", "seed", "token_range", "encoder_length", "current_position", "right_position", "chance_level")
    evidence.measured(mosaic, **dict.fromkeys(drawn), drawn=list(drawn), chance_level_rule="1/encoder_length, per input (examples)")
    assert len(heads) >= s.min_heads, (
        f"{chronos.name}: no induction head at sl={params.sequence_length}, rf={params.repetitions}, seed={rrt.seed}; "
        f"strongest {describe_head(best)}, chance {mosaic.chance:.3f}")


@C4.mark
def test_right_token_heads_outnumber_current_token_heads(chronos, measure, evidence):
    s = C4.settings
    mosaic = measure(measure_rrt, chronos, s)
    summary = mosaic.summary(s.threshold)
    counts, by_mean = summary["counts"], summary["counts_by_mean"]
    evidence.decisive("right-token heads minus current-token heads", counts["right"] - counts["current"], chance=mosaic.chance)
    evidence.measured(mosaic)
    evidence.record(**summary)
    if counts["right"] + counts["current"] == 0:
        evidence.inconclusive(f"no current- or right-token head clears {s.threshold} by CI lower bound (chance {mosaic.chance:.3f}): nothing to count")
    assert counts["right"] > counts["current"], (
        f"{chronos.name}: {counts['right']} right-token vs {counts['current']} current-token heads by CI lower bound "
        f"(by plain mean {by_mean['right']} vs {by_mean['current']}) at threshold {s.threshold}")


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
        evidence.decisive("heads in the smaller group", min(len(current), len(right)), chance=mosaic.chance)
        evidence.inconclusive(f"{len(current)} current-token and {len(right)} right-token heads; each group needs {s.min_heads_per_group}")
    test = mann_whitney_less(current, right, seed=s.seed)
    evidence.decisive("one-sided Mann-Whitney p", test["p_value"])
    evidence.record(mann_whitney=test, alpha=s.alpha)
    assert test["p_value"] < s.alpha, (
        f"{chronos.name}: current-token heads (median position {test['median_early']:.2f}) do not sit earlier than right-token "
        f"heads (median {test['median_late']:.2f}): U={test['u']:.1f}, p={test['p_value']:.3g} >= {s.alpha}, "
        f"P(current below right)={test['effect_probability_early_below_late']:.2f}")
