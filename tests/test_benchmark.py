"""The zoo's forecasting benchmark: named families kept apart, the same windows at every context and horizon, and
seasonal naive scored with each family's generating season."""

import numpy as np
import pytest

from harness.zoo import benchmark
from harness.zoo.forecasts import seasonal_naive


def test_every_family_draws_its_share_of_windows_with_a_season_the_shortest_context_holds():
    values, seasons, families = benchmark.benchmark_set(per_family=3, seed=1)
    assert values.shape == (3 * len(benchmark.FAMILIES), benchmark.LENGTH) and values.dtype == np.float32
    assert families == [name for name in benchmark.FAMILIES for _ in range(3)]
    assert np.isfinite(values).all() and ((1 <= seasons) & (seasons <= benchmark.CONTEXTS[0])).all()
    again, _, _ = benchmark.benchmark_set(per_family=3, seed=1)
    assert np.array_equal(values, again)


@pytest.mark.parametrize("family", ["seasonal", "motif", "multisine"])
def test_a_clean_periodic_family_repeats_exactly_at_its_season(family):
    rng = np.random.default_rng(0)
    for _ in range(5):
        series, season = benchmark.FAMILIES[family](rng, benchmark.LENGTH)
        assert season > 1 and np.allclose(series[season:], series[:-season], atol=1e-9)


def test_seasonal_naive_scored_against_itself_ties_in_every_setting_and_family():
    def naive(context, horizon):
        return np.stack([seasonal_naive(row, int(season), horizon) for row, season in zip(context, seasons)])

    _, seasons, _ = benchmark.benchmark_set(per_family=4, seed=2)
    result = benchmark.evaluate(naive, 512, "seasonal naive", per_family=4, seed=2)
    assert set(result["tables"]) == {f"context {c}, horizon {h}" for c in benchmark.CONTEXTS for h in benchmark.HORIZONS}
    for setting, table in result["tables"].items():
        assert set(table) == {"all", "procedure", *benchmark.FAMILIES}
        assert all(table[family]["difference_ci"] == [0.0, 0.0] for family in ("all", *benchmark.FAMILIES)), setting
        assert result["shortfalls"][setting] == {"overall_ratio": 1.0, "target_ratio": 0.9, "meets_overall": False,
                                                 "families_worse_than_seasonal_naive": []}


def test_a_forecaster_worse_on_one_family_is_named_there_and_random_walks_are_excused():
    values, seasons, families = benchmark.benchmark_set(per_family=6, seed=3)
    names = np.array(families)

    def spoiled(context, horizon):  # seasonal naive, 5 too high on seasonal series and random walks
        forecasts = np.stack([seasonal_naive(row, int(season), horizon) for row, season in zip(context, seasons)])
        forecasts[np.isin(names, ["seasonal", "random_walk"])] += 5.0
        return forecasts

    result = benchmark.evaluate(spoiled, 512, "spoiled naive", per_family=6, seed=3)
    assert all(s["families_worse_than_seasonal_naive"] == ["seasonal"] for s in result["shortfalls"].values())


def test_a_model_that_reads_fewer_values_than_both_contexts_forecasts_once_from_what_it_reads():
    calls = []

    def last_value(context, horizon):
        calls.append(context.shape[1])
        return np.repeat(context[:, -1:], horizon, axis=1)

    result = benchmark.evaluate(last_value, 32, "last value", per_family=2, seed=4)
    assert calls == [32] and "last value from 512 values (the model reads the last 32)" in result["tables"]["context 512, horizon 64"]["procedure"]
