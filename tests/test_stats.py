"""Three-way decisions (harness.verdict) and the tests behind them (harness.stats), on numbers alone."""

import numpy as np
import pytest

from harness import verdict
from harness.stats import mann_whitney_less, permutation_trend, share_ci


@pytest.mark.parametrize("low, high, direction, expected", [
    (0.31, 0.40, "above", ("passed", "clears-bar")),
    (0.20, 0.29, "above", ("failed", "excludes-bar")),
    (0.295, 0.303, "above", ("inconclusive", "straddles-bar")),  # the head at 0.299 against 0.3
    (0.00, 0.02, "below", ("passed", "clears-bar")),
    (0.04, 0.09, "below", ("failed", "excludes-bar")),
    (0.01, 0.05, "below", ("inconclusive", "straddles-bar")),
])
def test_an_interval_is_decided_against_its_bar_in_three_ways(low, high, direction, expected):
    decided = verdict.against_bar(low, high, 0.3 if direction == "above" else 0.03, direction=direction)
    assert (decided.outcome, decided.kind) == expected


def test_a_head_count_fails_only_when_no_straddling_head_could_make_it_up():
    assert verdict.head_count(clearing=1, possible=3, minimum=1).outcome == "passed"
    assert verdict.head_count(clearing=0, possible=1, minimum=1).kind == "straddles-bar"
    assert verdict.head_count(clearing=0, possible=0, minimum=1).kind == "excludes-bar"


def test_a_test_that_cannot_reach_alpha_is_a_floor_not_a_failure():
    assert verdict.smallest_rank_sum_p(2, 2) == pytest.approx(1 / 6)
    assert verdict.smallest_rank_sum_p(3, 3) == pytest.approx(0.05)
    assert verdict.by_p_values(1 / 6, 1.0, 0.05, verdict.smallest_rank_sum_p(2, 2)).kind == "floor:test-cannot-reach-alpha"
    assert verdict.by_p_values(0.01, 0.99, 0.05, 0.001).outcome == "passed"
    assert verdict.by_p_values(0.99, 0.01, 0.05, 0.001).outcome == "failed"
    assert verdict.by_p_values(0.3, 0.7, 0.05, 0.001).kind == "straddles-bar"


def test_perfect_separation_of_two_and_two_heads_cannot_reach_alpha():
    """The exact test behind C5: 2 early and 2 late heads, completely separated, give p = 1/6 at best."""
    test = mann_whitney_less([0.25, 0.25], [1.0, 1.0])
    assert test["effect_probability_early_below_late"] == 1.0
    assert test["p_value"] >= verdict.smallest_rank_sum_p(2, 2) - 1e-9


def test_the_wilson_bound_of_all_heads_agreeing_sets_the_head_floor():
    assert verdict.smallest_wilson_share(3, 0.95) == pytest.approx(share_ci(3, 3)["ci"][0])
    assert verdict.smallest_wilson_share(3, 0.95) < 0.5 <= verdict.smallest_wilson_share(4, 0.95)
    assert verdict.smallest_wilson_share(11, 0.95) < 0.75 <= verdict.smallest_wilson_share(12, 0.95)


def grid(trend: float, seeds: int = 3, noise: float = 0.3, seed: int = 0):
    """Head counts on a sequence-length x repetitions grid per seed, rising with sequence length at ``trend``; each row
    (a seed's sequence length) shares one random offset, as cells that share sequences do."""
    rng = np.random.default_rng(seed)
    cells = []
    for s in range(seeds):
        for length in (2, 4, 6, 8, 10):
            shared = rng.normal(0, 3)
            cells += [(s, length, reps, trend * length + shared + rng.normal(0, noise)) for reps in (2, 4, 6, 8, 10)]
    seed_, length, reps, count = map(np.array, zip(*cells))
    rows = [f"{a}/{b}" for a, b in zip(seed_, length)]
    return seed_, length, reps, count, rows


@pytest.mark.parametrize("trend, expected", [(3.0, "passed"), (-3.0, "failed"), (0.0, "inconclusive")])
def test_a_trend_over_rows_of_shared_sequences_is_decided_by_exchanging_whole_rows(trend, expected):
    seeds, length, _, count, rows = grid(trend)
    result = permutation_trend(length, count, seeds, rows, seeds, n_permutations=499, seed=0)
    assert verdict.by_p_values(result["p_greater"], result["p_less"], 0.05, result["smallest_possible_p"]).outcome == expected
    assert abs(result["null_median"]) < 0.2


def test_shared_sequences_do_not_make_a_row_offset_look_like_a_trend():
    """Rows with large shared offsets and no trend: treating the 25 cells as independent finds a trend far more often
    than alpha; exchanging whole rows does not."""
    from scipy import stats

    naive = exchanged = 0
    for seed in range(40):
        seeds, length, _, count, rows = grid(0.0, seeds=1, seed=seed)
        naive += stats.spearmanr(length, count, alternative="greater").pvalue < 0.05
        exchanged += permutation_trend(length, count, seeds, rows, seeds, n_permutations=199, seed=seed)["p_greater"] < 0.05
    assert naive > 3 * max(exchanged, 1)


def test_a_trend_along_a_row_is_decided_by_exchanging_cells_within_rows():
    seeds, length, reps, count, rows = grid(0.0)
    count = count - 0.5 * reps  # counts fall with repetitions within every row
    result = permutation_trend(reps, count, seeds, list(range(len(count))), rows, n_permutations=499, seed=0)
    assert verdict.by_p_values(result["p_less"], result["p_greater"], 0.05, result["smallest_possible_p"]).outcome == "passed"
    assert verdict.by_p_values(result["p_greater"], result["p_less"], 0.05, result["smallest_possible_p"]).outcome == "failed"


def test_the_difference_interval_covers_the_true_difference_about_as_often_as_its_parts():
    """Two independent 95% intervals (normal means, unequal spreads) give MOVER intervals for the difference that hold
    the true difference in about 95% of draws; it equals the textbook sqrt(se1^2 + se2^2) interval for symmetric parts."""
    from harness.stats import difference_interval

    rng = np.random.default_rng(0)
    z, draws, covered = 1.959964, 4000, 0
    for _ in range(draws):
        old, new = rng.normal(1.0, 0.3), rng.normal(1.5, 0.1)
        low, high = difference_interval(old, (old - z * 0.3, old + z * 0.3), new, (new - z * 0.1, new + z * 0.1))
        covered += low <= 0.5 <= high
        assert high - low == pytest.approx(2 * z * np.hypot(0.3, 0.1))
    assert 0.94 <= covered / draws <= 0.96
