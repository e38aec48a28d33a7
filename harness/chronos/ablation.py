"""Causal tests of Chronos-T5 heads on RRT: ablate the induction heads, and random sets of other heads, and compare
what happens to the log-probability of the token an induction head would copy; and prefix matching in the
self-attention sites. The interventions themselves live in harness.chronos.capture."""

from __future__ import annotations

from dataclasses import dataclass, replace as replaced
from itertools import combinations
from math import comb, gcd

import numpy as np

from generators.chronos.rrt import rrt_batch
from harness import metrics, stats
from harness.chronos.induction import DEFAULT_THRESHOLD, RRTSettings, check_fits, measure_rrt
from harness.errors import HarnessError
from harness.settings import integer, parameter, threshold
from harness.verdict import Verdict, failed, passed, straddles

METHODS = ("zero", "mean")


def _method(value) -> str | None:
    return None if value in METHODS else f"must be one of {', '.join(METHODS)}"


@dataclass(frozen=True)
class AblationSettings(RRTSettings):
    """Induction heads found on RRT at these settings, ablated against random sets of as many other heads."""

    threshold: float = threshold(DEFAULT_THRESHOLD)
    random_sets: int = parameter(100, integer(1), "random head sets of the same size (all of them where fewer exist)")
    ablation: str = parameter("mean", _method, "zero, or mean (each head's mean output over the batch at each position)")
    sets_per_pass: int = parameter(20, integer(1), "head sets tiled into one forward pass")


@dataclass(frozen=True)
class CopySettings(AblationSettings):
    ablation_batch_size: int = parameter(20, integer(2), "RRT sequences each head set is ablated on (the units of the drop's CI); "
                                                          "induction heads are found on batch_size")


@dataclass(frozen=True)
class CopyEffect:
    """What ablating head sets does to log p(S[2]) at decoder position 1 of RRT (S[2] is what induction would copy)."""

    settings: CopySettings
    model: dict
    inputs: dict
    induction_heads: list[tuple[int, int]]
    clean: np.ndarray  # (batch,) log p(S[2]) unablated
    induction_drop: np.ndarray | None  # (batch,) clean - ablated, the induction set
    random_sets: list[list[tuple[int, int]]]
    random_drops: np.ndarray  # (sets,) mean drop per random set
    head_drops: np.ndarray  # (layers, heads) mean drop when the head alone is ablated
    attention_scores: np.ndarray  # (layers, heads) max(current, right) batch-mean score
    copy_accuracy: float
    chance: float  # 1 / tokens in the range: a uniform guess among the RRT tokens

    def measurement(self) -> dict:
        return {"model": self.model["name"], "device": self.model["device"], "dtype": self.model["dtype"],
                "procedure": f"log p(S[2]) at RRT decoder position 1 with heads {self.settings.ablation}-ablated before the "
                             f"output projection; induction heads by CI lower bound >= {self.settings.threshold}",
                **self.inputs, "ablation": self.settings.ablation, "random_sets": len(self.random_sets),
                "confidence": self.settings.confidence, "n_resamples": self.settings.n_resamples, "chance_level": self.chance}


def random_head_sets(candidates: list[tuple[int, int]], size: int, count: int, seed: int) -> list[list[tuple[int, int]]]:
    """``count`` distinct sets of ``size`` candidates, or every such set where there are no more than ``count``."""
    if size > len(candidates) or size == 0:
        return []
    if comb(len(candidates), size) <= count:
        return [list(c) for c in combinations(candidates, size)]
    rng = np.random.default_rng(seed)
    chosen: set[tuple[int, ...]] = set()
    while len(chosen) < count:
        chosen.add(tuple(sorted(rng.choice(len(candidates), size, replace=False).tolist())))
    return [[candidates[i] for i in indices] for indices in sorted(chosen)]


def measure_copy(loaded, settings: CopySettings = CopySettings()) -> CopyEffect:
    import harness.chronos.capture as capture

    mosaic = measure_rrt(loaded, settings)
    induction, others = induction_set(mosaic, settings.threshold)
    layers, per_layer = mosaic.layers, mosaic.heads_per_layer
    random_sets = random_head_sets(others, len(induction), settings.random_sets, settings.seed)
    singles = [[(layer, head)] for layer in range(layers) for head in range(per_layer)]
    sets = [[], *([induction] if induction else []), *random_sets, *singles]
    batch = rrt_batch(settings.sequence_length, settings.repetitions, settings.ablation_batch_size, settings.seed, settings.token_range,
                      vocab_size=loaded.vocab_size, max_encoder_length=loaded.context_length + 1)
    targets = batch.encoder_ids[:, 2:3]  # S[2], what the decoder's S[1] is followed by
    log_p = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids,
                                      [[("cross", layer, head) for layer, head in s] for s in sets], targets,
                                      method=settings.ablation, position=batch.query_position,
                                      sets_per_pass=settings.sets_per_pass).numpy()[:, :, 0]
    clean, rest = log_p[0], log_p[1:]
    drops = clean[None, :] - rest
    induction_drop = drops[0] if induction else None
    random_drops = drops[1 if induction else 0: len(sets) - 1 - len(singles)].mean(axis=1)
    head_drops = drops[-len(singles):].mean(axis=1).reshape(layers, per_layer)
    low, high = settings.token_range
    return CopyEffect(settings, loaded.describe(), batch.describe(), induction, clean, induction_drop, random_sets, random_drops,
                      head_drops, np.maximum(mosaic.current.mean, mosaic.right.mean),
                      float(np.mean(capture.logits(loaded.model, batch.encoder_ids, batch.decoder_ids, batch.query_position)
                                    .argmax(axis=-1) == targets[:, 0])), 1.0 / (high - low + 1))


@dataclass(frozen=True)
class PrefixMosaic:
    """Prefix-matching scores of one self-attention site on RRT, per (layer, head), with bootstrap CIs."""

    site: str
    settings: RRTSettings
    model: dict
    inputs: dict
    scores: metrics.ScoreGrid
    chance: float

    def heads(self, threshold: float) -> list[tuple[int, int]]:
        return self.scores.heads(threshold)

    def measurement(self) -> dict:
        return {"model": self.model["name"], "device": self.model["device"], "dtype": self.model["dtype"],
                "procedure": f"RRT {self.site} self-attention from each token of the last repeat to the token after its previous "
                             "occurrence, mean over the repeat, batch mean with percentile bootstrap CI",
                **self.inputs, "site": self.site, "confidence": self.settings.confidence,
                "n_resamples": self.settings.n_resamples, "chance_level": self.chance}


def measure_prefix(loaded, settings: RRTSettings = RRTSettings(), site: str = "encoder") -> PrefixMosaic:
    """Encoder site: over the RRT encoder input. Decoder site: the same tokens teacher-forced into the decoder after
    its start token (EOS dropped), so every position is shifted by one."""
    import harness.chronos.capture as capture

    if site not in ("encoder", "decoder"):
        raise HarnessError(f"prefix matching reads a self-attention site; use encoder or decoder, not '{site}'")
    check_fits(loaded, settings)
    batch = rrt_batch(settings.sequence_length, settings.repetitions, settings.batch_size, settings.seed, settings.token_range,
                      vocab_size=loaded.vocab_size, max_encoder_length=loaded.context_length + 1)
    decoder_ids = np.concatenate([np.zeros((batch.batch_size, 1), dtype=np.int64), batch.encoder_ids[:, :-1]], axis=1)
    rows = capture.attention(loaded.model, site, batch.encoder_ids, decoder_ids).numpy()
    scores = metrics.prefix_matching(rows, settings.sequence_length, settings.repetitions, offset=1 if site == "decoder" else 0)
    chance = metrics.chance_level(rows.shape[-1])  # a uniform encoder row; the decoder's causal rows are reported as the same
    return PrefixMosaic(site, settings, loaded.describe(), {**batch.describe(), "site": site},
                        metrics.score_grid(scores, settings.confidence, settings.n_resamples, settings.seed), chance)


def measure_decoder_prefix(loaded, settings: RRTSettings = RRTSettings()) -> PrefixMosaic:
    return measure_prefix(loaded, settings, site="decoder")


def against_random_sets(effects, random_effects, settings: AblationSettings) -> tuple[float, list[float], float, float | None]:
    """The induction set's mean effect over sequences with its bootstrap CI, its permutation p-value against the
    random sets' mean effects, and their median: (mean, [low, high], p, median)."""
    mean, low, high = stats.bootstrap_mean_ci(effects, settings.confidence, settings.n_resamples, seed=settings.seed)
    median = float(np.median(random_effects)) if len(random_effects) else None
    return float(mean), [float(low), float(high)], stats.permutation_p_value(float(mean), random_effects), median


def copy_decision(effect: CopyEffect, alpha: float, min_drop: float) -> dict:
    """The copy claim's statistics: observed drop with its CI, the random-set null, the permutation p-value."""
    mean, ci, p_value, median = against_random_sets(effect.induction_drop, effect.random_drops, effect.settings)
    return {"observed_drop": mean, "ci": ci, "p_value": p_value, "alpha": alpha, "min_drop": min_drop,
            "smallest_possible_p": 1 / (1 + len(effect.random_drops)), "random_drop_median": median}


@dataclass(frozen=True)
class ForecastSettings(AblationSettings):
    horizon: int = parameter(64, integer(1), "values of the true continuation scored (Chronos' prediction length)")
    series_per_input: int = parameter(8, integer(2), "copies of each multisine with other phases: the units of the bootstrap")


@dataclass(frozen=True)
class ForecastEffect:
    """What ablating head sets does to the teacher-forced NLL of a multisine's true continuation (the training loss)."""

    signal: dict
    induction_increase: np.ndarray  # (series,) ablated - clean mean NLL per token
    random_increases: np.ndarray  # (sets,) mean over series
    clean_nll: float


def induction_set(mosaic, threshold: float) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(induction heads, the other heads) of a mosaic, by CI lower bound."""
    heads = mosaic.classify(threshold)
    induction = sorted(set(heads["current"]) | set(heads["right"]))
    others = [(layer, head) for layer in range(mosaic.layers) for head in range(mosaic.heads_per_layer) if (layer, head) not in induction]
    return induction, others


def forecast_ablation(loaded, signal, induction: list[tuple[int, int]], random_sets: list[list[tuple[int, int]]],
                      settings: ForecastSettings) -> ForecastEffect:
    """The multisine (and series_per_input - 1 copies with random phases) cut into context and the last ``horizon``
    values; the continuation is tokenized with the context's scale, teacher-forced, and scored per token."""
    import torch
    from chronos import ChronosConfig

    import harness.chronos.capture as capture
    import harness.chronos.series as series

    rng = np.random.default_rng(settings.seed)
    signals = [signal, *(replaced(signal, phases=tuple(rng.uniform(0, 2 * np.pi, len(signal.frequencies))))
                         for _ in range(settings.series_per_input - 1))]
    values = np.stack([s.values() for s in signals])
    context, continuation = values[:, :-settings.horizon], values[:, -settings.horizon:]
    ids, mask, scale = series.tokenize(loaded, context)
    tokenizer = ChronosConfig(**loaded.config["chronos_config"]).create_tokenizer()
    labels, _ = tokenizer.label_input_transform(torch.as_tensor(continuation, dtype=torch.float32), torch.as_tensor(scale))
    labels = labels.numpy()
    decoder_ids = np.concatenate([np.zeros((len(labels), 1), dtype=np.int64), labels[:, :-1]], axis=1)
    sets = [[], induction, *random_sets]
    log_p = capture.ablated_log_probs(loaded.model, ids, decoder_ids, [[("cross", l, h) for l, h in s] for s in sets], labels,
                                      method=settings.ablation, attention_mask=mask, sets_per_pass=settings.sets_per_pass).numpy()
    nll = -log_p.mean(axis=2)  # (sets, series)
    increases = nll[1:] - nll[0][None, :]
    return ForecastEffect(signal.describe(), increases[0], increases[1:].mean(axis=1), float(nll[0].mean()))


def increase_decision(effect: ForecastEffect, settings: ForecastSettings, alpha: float, min_increase: float) -> dict:
    mean, ci, p_value, median = against_random_sets(effect.induction_increase, effect.random_increases, settings)
    return {"observed_increase": mean, "ci": ci, "p_value": p_value, "alpha": alpha, "min_increase": min_increase,
            "clean_nll": effect.clean_nll, "random_increase_median": median}


def against_random(observed: float, random_effects) -> float:
    """The opposite one-sided permutation p-value: that the random sets' effects exceed the induction set's (ties count against)."""
    return stats.permutation_p_value(-observed, -np.asarray(random_effects, dtype=np.float64))


def ablation_verdict(observed: float, ci, p_for: float, p_against: float, alpha: float, bar: float) -> Verdict:
    """Passed: the induction set's effect clears the bar at its CI lower bound and beats the random sets (p < alpha). Failed: its
    CI upper bound lies below the bar, or the random sets beat it (p_against < alpha). Inconclusive otherwise."""
    if p_for < alpha and ci[0] > bar:
        return passed()
    if ci[1] < bar or p_against < alpha:
        return failed()
    return straddles()


def whole_periods(signal):
    """The multisine with its steps rounded to a whole number of fundamental periods: with integer frequencies k_i over t1
    seconds the fundamental gcd(k_i) Hz makes t1 * gcd(k_i) cycles, so steps divisible by that repeat exactly."""
    if not all(float(k).is_integer() for k in signal.frequencies) or not float(signal.t1).is_integer():
        return signal
    cycles = int(signal.t1) * gcd(*(int(k) for k in signal.frequencies))
    steps = max(cycles, round(signal.steps / cycles) * cycles)
    return replaced(signal, steps=steps)
