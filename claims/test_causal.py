"""Findings about what heads do, not only where they look: ablation against random heads, and induction inside the
encoder (every attention site, not only the decoder's cross-attention)."""

from dataclasses import dataclass

import pytest
from hypothesis import example, given, note

from generators.chronos.multisine import REFERENCE_EXAMPLE
from generators.chronos.strategies import multisines
from harness import metrics, verdict as v
from harness.chronos import figures
from harness.chronos.ablation import (CopySettings, ForecastSettings, ablation_verdict, against_random, copy_decision, forecast_ablation,
                                      increase_decision, induction_set, measure_copy, measure_decoder_prefix, measure_prefix, random_head_sets,
                                      whole_periods)
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.claims import claim
from harness.settings import alpha, integer, interval, min_heads, parameter, positive, threshold
from harness.stats import rank_trend


@dataclass(frozen=True)
class Copy(CopySettings):
    alpha: float = alpha()
    min_drop: float = parameter(0.1, positive, "the induction heads' drop in log p(S[2]) must clear this many nats at its CI lower bound")


@dataclass(frozen=True)
class Forecast(ForecastSettings):
    alpha: float = alpha()
    min_increase: float = parameter(0.05, positive, "the induction heads' NLL increase must clear this many nats per token at its CI lower bound")
    frequency_count: tuple[int, int] = parameter((2, 5), interval(1), "how many frequencies a drawn multisine has")
    steps_range: tuple[int, int] = parameter((201, 512), interval(16), "how many samples a drawn multisine has, continuation included")
    min_examples: int = parameter(3, integer(1), "inputs the claim must evaluate before it can pass")
    whole_periods: bool = parameter(True, lambda value: None if isinstance(value, bool) else "must be true or false",
                                    "round each drawn multisine's steps to a whole number of fundamental periods, so the sampled series "
                                    "(and its tokens) repeat exactly: periodic in samples, not only in time")


@dataclass(frozen=True)
class Prefix(RRTSettings):
    threshold: float = threshold()
    min_heads: int = min_heads()


C12 = claim("C12-induction-heads-drive-the-copy", Copy)
C13 = claim("C13-induction-heads-carry-periodic-forecasts", Forecast)
C14 = claim("C14-prefix-matching-heads-in-the-encoder", Prefix)


RANDOM_NULL = "the median effect of ablating random sets of as many non-induction heads (the effect of removing heads that are not induction heads)"


@C12.mark
def test_ablating_induction_heads_removes_the_copy(chronos, measure, evidence):
    s = C12.settings
    effect = measure(measure_copy, chronos, s)
    evidence.measured(effect.measurement())
    evidence.record(induction_heads=effect.induction_heads, copy_accuracy=effect.copy_accuracy, clean_log_p=float(effect.clean.mean()),
                    head_drops=effect.head_drops.round(6).tolist(), attention_scores=effect.attention_scores.round(6).tolist(),
                    attention_predicts_effect=rank_trend(effect.attention_scores.ravel(), effect.head_drops.ravel()))
    evidence.figure(figures.ablation(effect))
    if not effect.induction_heads:
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) on RRT: no induction head to ablate", kind="floor:no-induction-heads")
    if not effect.random_sets:
        evidence.inconclusive(f"{len(effect.induction_heads)} induction heads but only {effect.attention_scores.size - len(effect.induction_heads)} "
                              "other heads: no random set of the same size", kind="floor:no-random-set")
    decision = copy_decision(effect, s.alpha, s.min_drop)
    p_against = against_random(decision["observed_drop"], effect.random_drops)
    evidence.decisive("drop in log p(S[2]) with the induction heads ablated (nats)", decision["observed_drop"], ci=decision["ci"],
                      chance=decision["random_drop_median"], null=f"{decision['random_drop_median']:.4g} nats, {RANDOM_NULL}")
    evidence.record(**decision, p_value_random_beats_induction=p_against, random_drops=effect.random_drops.round(6).tolist(), random_sets=effect.random_sets)
    evidence.figure(figures.random_sets(effect, decision["observed_drop"]))
    if decision["smallest_possible_p"] >= s.alpha:
        evidence.inconclusive(f"only {len(effect.random_sets)} random set{'s' * (len(effect.random_sets) != 1)} of that size: a p-value cannot go below "
                              f"{decision['smallest_possible_p']:.3g}, need < {s.alpha}", kind="floor:test-cannot-reach-alpha")
    verdict = ablation_verdict(decision["observed_drop"], decision["ci"], decision["p_value"], p_against, s.alpha, s.min_drop)
    evidence.conclude(verdict, (
        f"{chronos.name}: ablating {len(effect.induction_heads)} induction heads lowers log p(S[2]) by {decision['observed_drop']:.3g} nats "
        f"(CI {decision['ci'][0]:.3g}..{decision['ci'][1]:.3g}, bar {s.min_drop}); {len(effect.random_sets)} random sets: median "
        f"{decision['random_drop_median']:.3g}, p = {decision['p_value']:.3g}, random sets beat it p = {p_against:.3g} (alpha {s.alpha})"))


@C13.mark
@given(signal=multisines(C13.settings.frequency_count, C13.settings.steps_range))
@example(signal=REFERENCE_EXAMPLE)
def test_ablating_induction_heads_hurts_periodic_forecasts(chronos, measure, evidence, signal):
    s = C13.settings
    if chronos.context_length < s.steps_range[0] - s.horizon:
        pytest.skip(f"{chronos.name} reads at most {chronos.context_length} values; the multisine contexts have "
                    f"{s.steps_range[0] - s.horizon} or more")
    evidence.require_examples(s.min_examples)
    if s.whole_periods:
        signal = whole_periods(signal)
    if signal.steps - s.horizon > chronos.context_length:
        evidence.not_evaluated(f"a context longer than the model's {chronos.context_length} values")
    induction, others = induction_set(measure(measure_rrt, chronos, s), s.threshold)
    random_sets = random_head_sets(others, len(induction), s.random_sets, s.seed)
    if not induction:
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) on RRT: no induction head to ablate", kind="floor:no-induction-heads")
    if not random_sets:
        evidence.inconclusive(f"{len(induction)} induction heads and only {len(others)} other heads: no random set of the same size", kind="floor:no-random-set")
    if 1 / (1 + len(random_sets)) >= s.alpha:
        evidence.inconclusive(f"only {len(random_sets)} random sets of that size: a p-value cannot go below {1 / (1 + len(random_sets)):.3g}, "
                              f"need < {s.alpha}", kind="floor:test-cannot-reach-alpha")
    effect = forecast_ablation(chronos, signal, induction, random_sets, s)
    decision = increase_decision(effect, s, s.alpha, s.min_increase)
    p_against = against_random(decision["observed_increase"], effect.random_increases)
    verdict = ablation_verdict(decision["observed_increase"], decision["ci"], decision["p_value"], p_against, s.alpha, s.min_increase)
    example_record = {**signal.describe(), **decision, "p_value_random_beats_induction": p_against}
    note(f"measured: {example_record}")
    evidence.decisive("NLL increase per token with the induction heads ablated (nats)", decision["observed_increase"], ci=decision["ci"],
                      chance=decision["random_increase_median"], null=f"{decision['random_increase_median']:.4g} nats/token, {RANDOM_NULL}")
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seed=s.seed, batch_size=s.series_per_input,
                      horizon=s.horizon, ablation=s.ablation, random_sets=len(random_sets), induction_heads=induction, whole_periods=s.whole_periods,
                      inputs="the study's example and Hypothesis-drawn multisines (steps rounded to whole fundamental periods where whole_periods), "
                             "each with series_per_input - 1 copies at random phases",
                      confidence=s.confidence, chance_level=None)
    evidence.example(example_record, verdict, (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz, {signal.steps} steps: ablating {len(induction)} induction heads raises the NLL by "
        f"{decision['observed_increase']:.3g} nats/token (CI {decision['ci'][0]:.3g}..{decision['ci'][1]:.3g}, bar {s.min_increase}); "
        f"random sets: median {decision['random_increase_median']:.3g}, p = {decision['p_value']:.3g}, random sets beat it p = {p_against:.3g} "
        f"(alpha {s.alpha})"))


@C14.mark
def test_prefix_matching_heads_exist_in_the_encoder(chronos, measure, evidence):
    s = C14.settings
    mosaic = measure(measure_prefix, chronos, s)
    if s.threshold <= mosaic.chance:
        evidence.inconclusive(f"threshold {s.threshold} does not exceed chance {mosaic.chance:.3f}: a uniform head would clear it",
                              kind="floor:threshold-at-chance")
    grid = mosaic.scores
    clear, possible = grid.heads(s.threshold), grid.heads(s.threshold, by="ci_high")
    verdict = v.head_count(len(clear), len(possible), s.min_heads)
    k, deciding = s.min_heads, grid.kth_best(s.min_heads)
    evidence.decisive(f"encoder prefix-matching score of the {metrics.ordinal(k)} best head (CI: the {metrics.ordinal(k)} largest lower and upper bounds)",
                      deciding["mean"], ci=deciding["ci"], chance=mosaic.chance,
                      null=f"{mosaic.chance:.4f}, the weight a uniform encoder row (1/T over the {round(1 / mosaic.chance)} positions) puts on any position")
    evidence.measured(mosaic.measurement())
    evidence.record(prefix_heads=clear, prefix_heads_by_ci_high=possible, scores=mosaic.scores.to_dict())
    evidence.figure(figures.prefix_mosaic(mosaic))
    decoder = measure(measure_decoder_prefix, chronos, s)  # the third site, for comparison: RRT teacher-forced into the decoder
    evidence.record(decoder_prefix_heads=decoder.heads(s.threshold), decoder_scores=decoder.scores.to_dict())
    evidence.figure(figures.prefix_mosaic(decoder))
    evidence.conclude(verdict, (
        f"{chronos.name}: {len(clear)} encoder heads clear {s.threshold} by CI lower bound, {len(possible)} reach it by CI upper bound; need "
        f"{s.min_heads}; deciding head {deciding['head']} mean {deciding['mean']:.3f} CI [{deciding['ci'][0]:.3f}, {deciding['ci'][1]:.3f}], "
        f"chance {mosaic.chance:.3f}"))
