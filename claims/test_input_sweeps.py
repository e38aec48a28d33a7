"""Findings about how the RRT inputs change what is found: sequence length, repetitions, token range."""

from dataclasses import dataclass, replace

import numpy as np

from harness.chronos import figures
from harness.chronos.induction import VOCAB_SIZE, RRTSettings, measure_rrt
from harness.chronos.sweeps import grid_counts, per_seed_counts
from harness.claims import claim
from harness.report.format import format_value
from harness.settings import above_one, alpha, integer_list, interval, parameter, seeds, threshold
from harness.stats import bootstrap_mean_ci, rank_trend


@dataclass(frozen=True)
class Sweep(RRTSettings):
    sequence_length_grid: tuple[int, ...] = parameter((2, 4, 6, 8, 10), integer_list(2), "sequence lengths of the sweep")
    repetitions_grid: tuple[int, ...] = parameter((2, 4, 6, 8, 10), integer_list(1), "repetitions of the sweep")
    threshold: float = threshold()
    chance_multiple: float = parameter(5, above_one, "a head also counts when its CI lower bound clears this multiple of chance 1/T")
    alpha: float = alpha()


@dataclass(frozen=True)
class TokenRanges(RRTSettings):
    wide_token_range: tuple[int, int] = parameter((2, VOCAB_SIZE - 1), interval(2, VOCAB_SIZE - 1),
                                                  "the comparison token range (all non-special tokens: [2, 4095])")
    threshold: float = threshold()
    seeds: int = seeds()


C6 = claim("C6-longer-sequences-more-induction-heads", Sweep)
C7 = claim("C7-more-repetitions-fewer-induction-heads", Sweep)
C8 = claim("C8-common-tokens-find-more-heads", TokenRanges)


def decide_trend(chronos, measure, evidence, s: Sweep, axis: str, alternative: str):
    cells = grid_counts(lambda many: measure.all(measure_rrt, chronos, many), s, s.sequence_length_grid, s.repetitions_grid, s.threshold,
                        s.chance_multiple, max_encoder_length=chronos.context_length + 1)
    x = [cell[axis] for cell in cells]
    trends = {"threshold_count": rank_trend(x, [cell["total"] for cell in cells], alternative=alternative),
              "chance_multiple_count": rank_trend(x, [cell["total_above_chance_multiple"] for cell in cells], alternative=alternative)}
    weaker = max(trends.values(), key=lambda t: t["p_value"])
    evidence.decisive(f"Spearman rho ({axis} vs head count), the weaker of the two counts", weaker["statistic"])
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seed=s.seed, batch_size=s.batch_size,
                      token_range=list(s.token_range), threshold=s.threshold, chance_multiple=s.chance_multiple,
                      sequence_length_grid=list(s.sequence_length_grid), repetitions_grid=list(s.repetitions_grid), confidence=s.confidence,
                      cells_beyond_context=len(s.sequence_length_grid) * len(s.repetitions_grid) - len(cells), chance_level=None,
                      chance_level_rule="1/T per cell (grid[].chance_level)")
    evidence.record(spearman=trends, alpha=s.alpha, grid=cells)
    evidence.figure(figures.sweep_grid(chronos.name, cells))
    evidence.figure(figures.sweep_rows(chronos.name, cells))
    if not any(cell["total"] for cell in cells):
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) at any grid point: no count to trend")
    direction = "rise" if alternative == "greater" else "fall"
    assert all(t["p_value"] < s.alpha for t in trends.values()), (
        f"{chronos.name}: head counts do not {direction} with {axis}: "
        + "; ".join(f"{name} rho={format_value(t['statistic'])}, p={t['p_value']:.3g}" for name, t in trends.items()) + f" (alpha {s.alpha})")


@C6.mark
def test_longer_sequences_find_more_induction_heads(chronos, measure, evidence):
    decide_trend(chronos, measure, evidence, C6.settings, "sequence_length", "greater")


@C7.mark
def test_more_repetitions_find_fewer_induction_heads(chronos, measure, evidence):
    decide_trend(chronos, measure, evidence, C7.settings, "repetitions", "less")


@C8.mark
def test_common_tokens_find_more_heads_than_all_tokens(chronos, measure, evidence):
    s = C8.settings
    measure.all(measure_rrt, chronos, [replace(s, token_range=tokens, seed=seed) for tokens in (s.token_range, s.wide_token_range)
                                       for seed in range(s.seeds)])  # both ranges in shared passes
    common, wide = (per_seed_counts(lambda many: measure.all(measure_rrt, chronos, many), replace(s, token_range=tokens), s.seeds, s.threshold)
                    for tokens in (s.token_range, s.wide_token_range))
    differences = np.array([a["total"] - b["total"] for a, b in zip(common, wide)], dtype=float)
    mean, low, high = bootstrap_mean_ci(differences, s.confidence, s.n_resamples, seed=0)
    evidence.decisive("head count, common minus all tokens (seed mean)", mean, ci=(low, high), chance=common[0]["chance_level"])
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seeds=list(range(s.seeds)), batch_size=s.batch_size,
                      sequence_length=s.sequence_length, repetitions=s.repetitions, token_range=list(s.token_range),
                      wide_token_range=list(s.wide_token_range), threshold=s.threshold, confidence=s.confidence,
                      chance_level=common[0]["chance_level"])
    evidence.record(common_range=common, wide_range=wide)
    if not any(cell["total"] for cell in common + wide):
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) with either token range at any seed: nothing to compare")
    assert low > 0, (
        f"{chronos.name}: {np.mean([c['total'] for c in common]):.1f} heads with tokens {list(s.token_range)} vs "
        f"{np.mean([c['total'] for c in wide]):.1f} with {list(s.wide_token_range)}; difference {mean:.2f} (CI {low:.2f}..{high:.2f})")
