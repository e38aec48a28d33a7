"""The forecasting benchmark of the zoo: held-out series of named families, kept apart, each scored against seasonal
naive at two context lengths and two horizons.

Every series is CONTEXTS[-1] + HORIZONS[-1] values long. A setting (context c, horizon h) gives the model the c values
before the forecast window and scores the first h values of it, so the four settings forecast the same windows from
shorter or longer histories. A family's season is its generating period (1 where it has none), which is what seasonal
naive repeats.
"""

from __future__ import annotations

import numpy as np

import harness.chronos.synthetic as synthetic
from harness.zoo.forecasts import mase_table, scoring

CONTEXTS = (64, 512)
HORIZONS = (16, 64)
LENGTH = CONTEXTS[-1] + HORIZONS[-1]
SEED = 20_000  # apart from every training and held-out seed
SERIES_PER_FAMILY = 32


def kernel_synth(rng, length):
    series, period = synthetic.kernel_synth(rng)
    start = int(rng.integers(0, synthetic.KERNEL_GRID - length + 1))
    return series[start:start + length], period if period <= CONTEXTS[0] else 1


FAMILIES = {"seasonal": synthetic.harmonic_seasonal, "seasonal_trend": synthetic.seasonal_trend,
            "seasonal_noise": synthetic.seasonal_noise, "ar1_drift": synthetic.ar1_drift, "random_walk": synthetic.random_walk,
            "kernel_synth": kernel_synth, "motif": synthetic.motif, "multisine": synthetic.multisine, "regime_change": synthetic.piecewise}


def benchmark_set(per_family: int = SERIES_PER_FAMILY, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(values (n, LENGTH) float32, seasons, family names): per_family series of every family, family by family."""
    rng = np.random.default_rng(seed)
    values, seasons, names = [], [], []
    for name, draw in FAMILIES.items():
        for _ in range(per_family):
            series, season = draw(rng, LENGTH)
            values.append(np.asarray(series, dtype=np.float32))
            seasons.append(season)
            names.append(name)
    return np.stack(values), np.array(seasons), names


def evaluate(forecast, context_length: int, forecaster: str, per_family: int = SERIES_PER_FAMILY, seed: int = SEED) -> dict:
    """MASE tables for every (context, horizon) setting. ``forecast(context (n, c) float32, horizon) -> (n, horizon)`` is
    the model's median forecast, described by ``forecaster``; ``context_length`` the most values the model reads (a
    longer context is cut by it)."""
    values, seasons, families = benchmark_set(per_family, seed)
    tables, forecasts = {}, {}
    for context in CONTEXTS:
        history = values[:, CONTEXTS[-1] - context:CONTEXTS[-1]]
        seen = min(context, context_length)
        if seen not in forecasts:  # a model that cuts both contexts to the same length forecasts once
            forecasts[seen] = forecast(values[:, CONTEXTS[-1] - seen:CONTEXTS[-1]], HORIZONS[-1])
        longest = forecasts[seen]
        for horizon in HORIZONS:
            actual = values[:, CONTEXTS[-1]:CONTEXTS[-1] + horizon]
            tables[f"context {context}, horizon {horizon}"] = mase_table(
                longest[:, :horizon], history, actual, seasons, families, 0,
                f"{forecaster} from {context} values (the model reads the last {seen}), first {horizon} of {HORIZONS[-1]}")
    procedure = (f"{forecaster}; context c: the c values before the forecast window (the model reads the last {context_length} at "
                 f"most); horizon h: the first h values of a {HORIZONS[-1]}-value forecast; {scoring(0)}")
    return {"series_per_family": per_family, "seed": seed, "families": list(FAMILIES), "procedure": procedure, "tables": tables,
            "shortfalls": {setting: shortfalls(table) for setting, table in tables.items()}}


def shortfalls(table: dict, target_ratio: float = 0.9) -> dict:
    """Where a table misses the zoo's goal: overall MASE above target_ratio x seasonal naive, and the families (random
    walks excepted: nothing beats naive there) whose CI says the model is worse than seasonal naive."""
    overall = table["all"]
    ratio = overall["model_mase"] / overall["seasonal_naive_mase"] if overall["seasonal_naive_mase"] else None
    worse = [family for family, row in table.items() if family not in ("all", "procedure", "random_walk") and row["difference_ci"][0] > 0]
    return {"overall_ratio": None if ratio is None else round(ratio, 4), "target_ratio": target_ratio,
            "meets_overall": ratio is not None and ratio <= target_ratio, "families_worse_than_seasonal_naive": worse}
