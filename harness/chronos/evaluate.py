"""Held-out evaluation of a zoo checkpoint: loss, MASE against seasonal naive, and its RRT mosaic counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.stats import bootstrap_mean_ci
from harness.chronos.training import CONTEXT_LENGTH, PREDICTION_LENGTH, held_out_loss, held_out_set, tokenizer

NUM_SAMPLES = 20


def seasonal_naive(context: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """Repeat the last season of the context (season 1: the last value)."""
    last = context[-season:]
    return np.resize(last, horizon) if season > 1 else np.full(horizon, context[-1])


def mase(forecast: np.ndarray, actual: np.ndarray, context: np.ndarray) -> float:
    """Mean absolute error scaled by the in-sample one-step naive error (NaN for a constant context)."""
    scale = np.mean(np.abs(np.diff(context)))
    return float(np.mean(np.abs(forecast - actual)) / scale) if scale > 0 else float("nan")


def forecast_quality(model_dir: Path, values: np.ndarray, seasons: np.ndarray, families: list[str], seed: int = 0) -> dict:
    """Median of NUM_SAMPLES ChronosPipeline samples against seasonal naive with the generating season."""
    import torch
    from chronos import ChronosPipeline

    torch.manual_seed(seed)
    pipeline = ChronosPipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32)
    context, actual = values[:, :CONTEXT_LENGTH], values[:, CONTEXT_LENGTH:]
    medians = []
    for start in range(0, len(values), 128):
        samples = pipeline.predict(torch.as_tensor(context[start : start + 128], dtype=torch.float32), prediction_length=PREDICTION_LENGTH,
                                   num_samples=NUM_SAMPLES)
        medians.append(samples.median(dim=1).values.numpy())
    medians = np.concatenate(medians)
    model_scores = np.array([mase(medians[i], actual[i], context[i]) for i in range(len(values))])
    naive_scores = np.array([mase(seasonal_naive(context[i], int(seasons[i]), PREDICTION_LENGTH), actual[i], context[i]) for i in range(len(values))])
    usable = np.isfinite(model_scores) & np.isfinite(naive_scores)

    def summary(mask):
        m, n = model_scores[mask & usable], naive_scores[mask & usable]
        _, low, high = bootstrap_mean_ci(m - n, seed=seed)
        return {"series": int(len(m)), "model_mase": round(float(np.mean(m)), 4), "seasonal_naive_mase": round(float(np.mean(n)), 4),
                "difference_ci": [round(float(low), 4), round(float(high), 4)], "model_better_share": round(float(np.mean(m < n)), 4)}

    names = np.array(families)
    return {"all": summary(np.ones(len(values), dtype=bool)), **{family: summary(names == family) for family in sorted(set(families))},
            "procedure": f"median of {NUM_SAMPLES} ChronosPipeline samples (seed {seed}); seasonal naive repeats the last season of the "
                         "context, the season being the generating period (motif length, seasonal period, shortest periodic kernel; 1 "
                         "where there is none); MASE scaled by the context's mean one-step change; series with a constant context left out; "
                         f"CI: 95% paired percentile bootstrap over series of the mean difference, model minus seasonal naive (2000 resamples, "
                         f"seed {seed})"}


def rrt_counts(model_dir: Path, threshold: float = 0.3) -> dict:
    from harness.chronos.induction import RRTSettings, measure_rrt
    from harness.models import load_model

    mosaic = measure_rrt(load_model(str(model_dir), "cpu", "float32"), RRTSettings(sequence_length=10, repetitions=2))
    heads = mosaic.classify(threshold)
    return {"sequence_length": 10, "repetitions": 2, "batch_size": 100, "seed": 0, "token_range": [1911, 2187], "threshold": threshold,
            "rule": "CI lower bound of the batch-mean score >= threshold", "dtype": "float32", "chance_level": round(mosaic.chance, 4),
            "current_heads": heads["current"], "right_heads": heads["right"], "strongest_head": mosaic.strongest_head(by="mean"),
            "mosaic": mosaic.summary(threshold)["mosaic"]}


def evaluate(model_dir: Path) -> dict:
    """Write evaluation.json beside the weights and return it."""
    import torch
    from transformers import T5ForConditionalGeneration

    from harness import atomic

    model_dir = Path(model_dir)
    values, seasons, families = held_out_set()
    model = T5ForConditionalGeneration.from_pretrained(model_dir, use_safetensors=True, local_files_only=True, dtype=torch.float32)
    result = {
        "held_out_loss": round(held_out_loss(model, tokenizer(), values), 4),
        "forecast": forecast_quality(model_dir, values, seasons, families),
        "rrt": rrt_counts(model_dir),
    }
    atomic.write_json(model_dir / "evaluation.json", result)
    return result
