"""Held-out evaluation of a zoo checkpoint: loss, MASE against seasonal naive, and its RRT mosaic counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.zoo import benchmark
from harness.zoo.forecasts import mase_table
from harness.chronos.training import CONTEXT_LENGTH, PREDICTION_LENGTH, held_out_loss, held_out_set, tokenizer

NUM_SAMPLES = 20


def pipeline_forecaster(model_dir: Path, seed: int = 0):
    """``forecast(context, horizon)``: the median of NUM_SAMPLES ChronosPipeline samples per series (seed fixed per call);
    a horizon beyond the model's prediction length is forecast autoregressively, as the pipeline does."""
    import torch
    from chronos import ChronosPipeline

    pipeline = ChronosPipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32)

    def forecast(context: np.ndarray, horizon: int) -> np.ndarray:
        torch.manual_seed(seed)
        medians = []
        for start in range(0, len(context), 128):
            samples = pipeline.predict(torch.as_tensor(context[start : start + 128], dtype=torch.float32), prediction_length=horizon,
                                       num_samples=NUM_SAMPLES, limit_prediction_length=False)
            medians.append(samples.median(dim=1).values.numpy())
        return np.concatenate(medians)

    return forecast


def forecast_quality(forecast, values: np.ndarray, seasons: np.ndarray, families: list[str], seed: int = 0) -> dict:
    """``forecast`` (a pipeline_forecaster of this seed) against seasonal naive with the generating season."""
    context, actual = values[:, :CONTEXT_LENGTH], values[:, CONTEXT_LENGTH:]
    return mase_table(forecast(context, PREDICTION_LENGTH), context, actual, seasons, families, seed,
                      f"median of {NUM_SAMPLES} ChronosPipeline samples (seed {seed})")


def rrt_counts(loaded, threshold: float = 0.3) -> dict:
    from harness.chronos.induction import RRTSettings, measure_rrt

    mosaic = measure_rrt(loaded, RRTSettings(sequence_length=10, repetitions=2))
    heads = mosaic.classify(threshold)
    return {"sequence_length": 10, "repetitions": 2, "batch_size": 100, "seed": 0, "token_range": [1911, 2187], "threshold": threshold,
            "rule": "CI lower bound of the batch-mean score >= threshold", "dtype": "float32", "chance_level": round(mosaic.chance, 4),
            "current_heads": heads["current"], "right_heads": heads["right"], "strongest_head": mosaic.strongest_head(by="mean"),
            "mosaic": mosaic.summary(threshold)["mosaic"]}


def evaluate(model_dir: Path, load) -> dict:
    """Write evaluation.json beside the weights and return it; ``load(path)`` gives the loaded model (float32, cpu)."""
    import torch
    from transformers import T5ForConditionalGeneration

    from harness import atomic

    model_dir = Path(model_dir)
    values, seasons, families = held_out_set()
    model = T5ForConditionalGeneration.from_pretrained(model_dir, use_safetensors=True, local_files_only=True, dtype=torch.float32)
    forecast = pipeline_forecaster(model_dir)
    result = {
        "held_out_loss": round(held_out_loss(model, tokenizer(), values), 4),
        "forecast": forecast_quality(forecast, values, seasons, families),
        "benchmark": benchmark.evaluate(forecast, CONTEXT_LENGTH,
                                        f"median of {NUM_SAMPLES} ChronosPipeline samples (seed 0; beyond the model's prediction length of "
                                        f"{PREDICTION_LENGTH}, autoregressively)"),
        "rrt": rrt_counts(load(model_dir)),
    }
    atomic.write_json(model_dir / "evaluation.json", result)
    return result
