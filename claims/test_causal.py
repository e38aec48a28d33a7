"""Findings about what heads do, not only where they look: ablation against random heads, and induction inside the
encoder (every attention site, not only the decoder's cross-attention)."""

from dataclasses import dataclass

import pytest
from hypothesis import example, given, note

from generators.chronos.multisine import REFERENCE_EXAMPLE
from generators.chronos.strategies import multisines
from harness.chronos import figures
from harness.chronos.ablation import (CopySettings, ForecastSettings, copy_decision, forecast_ablation, increase_decision, induction_set,
                                      measure_copy, measure_decoder_prefix, measure_prefix, random_head_sets)
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


@dataclass(frozen=True)
class Prefix(RRTSettings):
    threshold: float = threshold()
    min_heads: int = min_heads()


C12 = claim("C12-induction-heads-drive-the-copy", Copy)
C13 = claim("C13-induction-heads-carry-periodic-forecasts", Forecast)
C14 = claim("C14-prefix-matching-heads-in-the-encoder", Prefix)


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
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) on RRT: no induction head to ablate")
    if not effect.random_sets:
        evidence.inconclusive(f"{len(effect.induction_heads)} induction heads but only {effect.attention_scores.size - len(effect.induction_heads)} "
                              "other heads: no random set of the same size")
    decision = copy_decision(effect, s.alpha, s.min_drop)
    # the chance level of a drop: what ablating random heads does (the median over the random sets)
    evidence.decisive("drop in log p(S[2]) with the induction heads ablated (nats)", decision["observed_drop"], ci=decision["ci"],
                      chance=decision["random_drop_median"])
    evidence.record(**decision, random_drops=effect.random_drops.round(6).tolist(), random_sets=effect.random_sets)
    evidence.figure(figures.random_sets(effect, decision["observed_drop"]))
    if decision["smallest_possible_p"] >= s.alpha:
        evidence.inconclusive(f"only {len(effect.random_sets)} random set{'s' * (len(effect.random_sets) != 1)} of that size: a p-value cannot go below "
                              f"{decision['smallest_possible_p']:.3g}, need < {s.alpha}")
    assert decision["p_value"] < s.alpha and decision["ci"][0] > s.min_drop, (
        f"{chronos.name}: ablating {len(effect.induction_heads)} induction heads lowers log p(S[2]) by {decision['observed_drop']:.3g} nats "
        f"(CI {decision['ci'][0]:.3g}..{decision['ci'][1]:.3g}, floor {s.min_drop}); {len(effect.random_sets)} random sets: median "
        f"{decision['random_drop_median']:.3g}, p = {decision['p_value']:.3g} (alpha {s.alpha})")


@C13.mark
@given(signal=multisines(C13.settings.frequency_count, C13.settings.steps_range))
@example(signal=REFERENCE_EXAMPLE)
def test_ablating_induction_heads_hurts_periodic_forecasts(chronos, measure, evidence, signal):
    s = C13.settings
    if chronos.context_length < s.steps_range[0] - s.horizon:
        pytest.skip(f"{chronos.name} reads at most {chronos.context_length} values; the multisine contexts have "
                    f"{s.steps_range[0] - s.horizon} or more")
    evidence.require_examples(s.min_examples)
    if signal.steps - s.horizon > chronos.context_length:
        evidence.not_evaluated(f"a context longer than the model's {chronos.context_length} values")
    induction, others = induction_set(measure(measure_rrt, chronos, s), s.threshold)
    random_sets = random_head_sets(others, len(induction), s.random_sets, s.seed)
    if not induction or not random_sets or 1 / (1 + len(random_sets)) >= s.alpha:
        evidence.inconclusive(f"{len(induction)} induction heads (CI lower bound >= {s.threshold}) and {len(random_sets)} random sets of as "
                              f"many other heads: need at least one induction head and {int(1 / s.alpha)} random sets")
    decision = increase_decision(forecast_ablation(chronos, signal, induction, random_sets, s), s, s.alpha, s.min_increase)
    example_record = {**signal.describe(), **decision}
    note(f"measured: {example_record}")
    evidence.example(example_record, holds=decision["holds"])
    evidence.decisive("NLL increase per token with the induction heads ablated (nats)", decision["observed_increase"], ci=decision["ci"],
                      chance=decision["random_increase_median"])
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seed=s.seed, batch_size=s.series_per_input,
                      horizon=s.horizon, ablation=s.ablation, random_sets=len(random_sets), induction_heads=induction,
                      inputs="the study's example and Hypothesis-drawn multisines, each with series_per_input - 1 copies at random phases",
                      confidence=s.confidence, chance_level=None)
    assert decision["holds"], (
        f"{chronos.name}: frequencies {list(signal.frequencies)} Hz: ablating {len(induction)} induction heads raises the NLL by "
        f"{decision['observed_increase']:.3g} nats/token (CI {decision['ci'][0]:.3g}..{decision['ci'][1]:.3g}, floor {s.min_increase}); "
        f"random sets: median {decision['random_increase_median']:.3g}, p = {decision['p_value']:.3g} (alpha {s.alpha})")


@C14.mark
def test_prefix_matching_heads_exist_in_the_encoder(chronos, measure, evidence):
    s = C14.settings
    mosaic = measure(measure_prefix, chronos, s)
    if s.threshold <= mosaic.chance:
        evidence.inconclusive(f"threshold {s.threshold} does not exceed chance {mosaic.chance:.3f}: a uniform head would clear it")
    heads = mosaic.heads(s.threshold)
    evidence.decisive("encoder prefix-matching heads (CI lower bound >= threshold)", len(heads), chance=mosaic.chance)
    evidence.measured(mosaic.measurement())
    evidence.record(prefix_heads=heads, scores=mosaic.scores.to_dict())
    evidence.figure(figures.prefix_mosaic(mosaic))
    decoder = measure(measure_decoder_prefix, chronos, s)  # the third site, for comparison: RRT teacher-forced into the decoder
    evidence.record(decoder_prefix_heads=decoder.heads(s.threshold), decoder_scores=decoder.scores.to_dict())
    evidence.figure(figures.prefix_mosaic(decoder))
    best = divmod(int(mosaic.scores.ci_low.argmax()), mosaic.scores.ci_low.shape[1])
    assert len(heads) >= s.min_heads, (
        f"{chronos.name}: {len(heads)} encoder heads clear {s.threshold} by CI lower bound; strongest L{best[0]}H{best[1]} "
        f"mean {mosaic.scores.mean[best]:.3f} CI [{mosaic.scores.ci_low[best]:.3f}, {mosaic.scores.ci_high[best]:.3f}], chance {mosaic.chance:.3f}")
