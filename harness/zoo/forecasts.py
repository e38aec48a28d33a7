"""Scoring a zoo model's held-out forecasts against seasonal naive: MASE per series, per family of the synthetic mix,
with a paired bootstrap CI of the difference. Every Chronos family's evaluation reports this table."""

from __future__ import annotations

import numpy as np

from harness.stats import bootstrap_mean_ci


def seasonal_naive(context: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """Repeat the last season of the context (season 1: the last value)."""
    last = context[-season:]
    return np.resize(last, horizon) if season > 1 else np.full(horizon, context[-1])


def mase(forecast: np.ndarray, actual: np.ndarray, context: np.ndarray) -> float:
    """Mean absolute error scaled by the in-sample one-step naive error (NaN for a constant context)."""
    scale = np.mean(np.abs(np.diff(context)))
    return float(np.mean(np.abs(forecast - actual)) / scale) if scale > 0 else float("nan")


def mase_table(forecasts: np.ndarray, context: np.ndarray, actual: np.ndarray, seasons: np.ndarray, families: list[str], seed: int,
               forecaster: str) -> dict:
    """Overall and per-family MASE of ``forecasts`` and of seasonal naive (the generating season), paired CIs of the difference."""
    horizon = actual.shape[1]
    model_scores = np.array([mase(forecasts[i], actual[i], context[i]) for i in range(len(actual))])
    naive_scores = np.array([mase(seasonal_naive(context[i], int(seasons[i]), horizon), actual[i], context[i]) for i in range(len(actual))])
    usable = np.isfinite(model_scores) & np.isfinite(naive_scores)

    def summary(mask):
        m, n = model_scores[mask & usable], naive_scores[mask & usable]
        _, low, high = bootstrap_mean_ci(m - n, seed=seed)
        return {"series": int(len(m)), "model_mase": round(float(np.mean(m)), 4), "seasonal_naive_mase": round(float(np.mean(n)), 4),
                "difference_ci": [round(float(low), 4), round(float(high), 4)], "model_better_share": round(float(np.mean(m < n)), 4)}

    names = np.array(families)
    return {"all": summary(np.ones(len(actual), dtype=bool)), **{family: summary(names == family) for family in sorted(set(families))},
            "procedure": f"{forecaster}; {scoring(seed)}"}


def scoring(seed: int) -> str:
    """How mase_table scores, in words."""
    return ("seasonal naive repeats the last season of the context, the season being the generating period (motif length, seasonal "
            "period, shortest periodic kernel; 1 where there is none); MASE scaled by the context's mean one-step change; series with "
            "a constant context left out; CI: 95% paired percentile bootstrap over series of the mean difference, model minus seasonal "
            f"naive (2000 resamples, seed {seed})")
