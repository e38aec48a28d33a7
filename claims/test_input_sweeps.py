"""Findings about how the RRT inputs change what is found: sequence length, repetitions, token range."""

from dataclasses import dataclass, replace

import numpy as np

from harness import verdict
from harness.chronos import figures
from harness.chronos.induction import VOCAB_SIZE, RRTSettings, measure_rrt
from harness.chronos.sweeps import grid_counts, per_seed_counts
from harness.claims import claim
from harness.settings import above_one, alpha, integer, integer_list, interval, parameter, seeds, threshold
from harness.stats import bootstrap_mean_ci, permutation_trend


@dataclass(frozen=True)
class Sweep(RRTSettings):
    sequence_length_grid: tuple[int, ...] = parameter((2, 4, 6, 8, 10), integer_list(2), "sequence lengths of the sweep")
    repetitions_grid: tuple[int, ...] = parameter((2, 4, 6, 8, 10), integer_list(1), "repetitions of the sweep")
    threshold: float = threshold()
    chance_multiple: float = parameter(5, above_one, "the chance-normalised count, reported beside the decision: heads whose CI lower "
                                       "bound clears this multiple of chance 1/T")
    seeds: int = seeds(3)
    alpha: float = alpha()
    n_permutations: int = parameter(1999, integer(19), "permutations of the null that respects shared sequences")


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
    """Each seed draws its own sequences, shared by the cells of one sequence length; the trend is Spearman's rho over
    a seed's cells, averaged over seeds, against a permutation null that keeps the cells of shared sequences together:
    for sequence length, whole rows exchange their lengths; for repetitions, the cells of a row exchange theirs."""
    cells = [{"seed": seed, **cell} for seed in range(s.seeds)
             for cell in grid_counts(lambda many: measure.all(measure_rrt, chronos, many), replace(s, seed=seed), s.sequence_length_grid,
                                     s.repetitions_grid, s.threshold, s.chance_multiple, max_encoder_length=chronos.context_length + 1)]
    row = [f"{cell['seed']}/{cell['sequence_length']}" for cell in cells]
    units, strata = (row, [cell["seed"] for cell in cells]) if axis == "sequence_length" else (list(range(len(cells))), row)
    x, blocks = [cell[axis] for cell in cells], [cell["seed"] for cell in cells]
    trend = permutation_trend(x, [cell["total"] for cell in cells], blocks, units, strata, s.n_permutations, seed=0)
    normalised = permutation_trend(x, [cell["total_above_chance_multiple"] for cell in cells], blocks, units, strata, s.n_permutations, seed=0)
    p_for, p_against = (trend["p_greater"], trend["p_less"]) if alternative == "greater" else (trend["p_less"], trend["p_greater"])
    exchanged = "whole sequence-length rows within a seed" if axis == "sequence_length" else "repetitions within each row (seed, sequence length)"
    evidence.decisive(f"Spearman rho ({axis} vs head count by the threshold), mean over seeds", trend["statistic"], chance=trend["null_median"],
                      null=f"median of {s.n_permutations} permutations exchanging {exchanged}: counts unrelated to {axis}")
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seeds=list(range(s.seeds)), batch_size=s.batch_size,
                      token_range=list(s.token_range), threshold=s.threshold, chance_multiple=s.chance_multiple,
                      sequence_length_grid=list(s.sequence_length_grid), repetitions_grid=list(s.repetitions_grid), confidence=s.confidence,
                      cells_beyond_context=(len(s.sequence_length_grid) * len(s.repetitions_grid)) * s.seeds - len(cells), chance_level=None,
                      chance_level_rule="1/T per cell (grid[].chance_level)")
    evidence.record(threshold_count_trend=trend, chance_multiple_count_trend=normalised, alpha=s.alpha, grid=cells)
    evidence.figure(figures.sweep_grid(chronos.name, [cell for cell in cells if cell["seed"] == 0]))
    evidence.figure(figures.sweep_rows(chronos.name, [cell for cell in cells if cell["seed"] == 0]))
    if not any(cell["total"] for cell in cells):
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) at any grid point of any seed: no count to trend",
                              kind="floor:no-induction-heads")
    direction = "rise" if alternative == "greater" else "fall"
    evidence.conclude(verdict.by_p_values(p_for, p_against, s.alpha, trend["smallest_possible_p"]), (
        f"{chronos.name}: head counts by the threshold {s.threshold} against {axis}: rho {trend['statistic']:.3f} (null median "
        f"{trend['null_median']:.3f}), p = {p_for:.3g} that they {direction}, p = {p_against:.3g} the other way (alpha {s.alpha}); "
        f"chance-normalised count rho {normalised['statistic']:.3f}"))


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
    evidence.decisive("head count, common minus all tokens (seed mean)", mean, ci=(low, high), chance=0.0,
                      null="token ranges that make no difference: both find as many heads")
    evidence.measured(model=chronos.name, device=chronos.device, dtype=chronos.dtype, seeds=list(range(s.seeds)), batch_size=s.batch_size,
                      sequence_length=s.sequence_length, repetitions=s.repetitions, token_range=list(s.token_range),
                      wide_token_range=list(s.wide_token_range), threshold=s.threshold, confidence=s.confidence,
                      chance_level=common[0]["chance_level"])
    evidence.record(common_range=common, wide_range=wide)
    if not any(cell["total"] for cell in common + wide):
        evidence.inconclusive(f"no head clears {s.threshold} (CI lower bound) with either token range at any seed: nothing to compare",
                              kind="floor:no-induction-heads")
    evidence.conclude(verdict.beyond_bar(low, high, 0.0), (
        f"{chronos.name}: {np.mean([c['total'] for c in common]):.1f} heads with tokens {list(s.token_range)} vs "
        f"{np.mean([c['total'] for c in wide]):.1f} with {list(s.wide_token_range)}; difference {mean:.2f} (CI {low:.2f}..{high:.2f})"))
