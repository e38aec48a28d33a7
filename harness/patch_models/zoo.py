"""`harness zoo train | evaluate | card` for the Chronos-Bolt and Chronos-2 sizes: held-out quantile loss, MASE of
the median forecast against seasonal naive, and the RRP mosaic counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.errors import HarnessError
from harness.zoo import evaluation_line, log_and_evaluation

HAS_EVALUATION = True


def train(name: str, out: Path, *, steps: int | None, device: str, resume: str | None) -> str:
    from harness.patch_models import training

    if device != "cpu":
        raise HarnessError(f"{name} trains on the CPU only (a few minutes); drop --device {device}")
    log = training.train(name, out, steps=steps, resume=resume, progress=lambda point: print(json.dumps(point), flush=True))
    return (f"wrote {out}: held-out loss {log['held_out_loss']} after {sum(c['steps'] for c in log['cycles'])} steps in "
            f"{log['training_seconds'] / 60:.1f} min")


def median_forecasts(model, context: np.ndarray) -> np.ndarray:
    """The 0.5 quantile over the model's prediction length, from the model's own forward (its own normalisation)."""
    import torch

    from harness.patch_models import training

    quantiles = list(model.chronos_config.quantiles)
    medians = []
    with torch.no_grad():
        for start in range(0, len(context), 64):
            output = training.forward(model, torch.as_tensor(context[start:start + 64], dtype=torch.float32))
            medians.append(output.quantile_preds[:, quantiles.index(0.5), :training.PREDICTION_LENGTH].float().numpy())
    return np.concatenate(medians)


def rrp_counts(loaded, threshold: float = 0.3) -> dict:
    from harness.chronos.induction import RRTSettings, measure_rrt

    mosaic = measure_rrt(loaded, RRTSettings(sequence_length=10, repetitions=2))
    heads = mosaic.classify(threshold)
    return {"sequence_length": 10, "repetitions": 2, "batch_size": 100, "seed": 0, "threshold": threshold,
            "procedure": mosaic.measurement()["procedure"], "rule": "CI lower bound of the batch-mean score >= threshold",
            "dtype": "float32", "chance_level": round(mosaic.chance, 4), "current_heads": heads["current"], "right_heads": heads["right"],
            "strongest_head": mosaic.strongest_head(by="mean"), "mosaic": mosaic.summary(threshold)["mosaic"]}


def evaluation(out: Path, load) -> dict:
    from harness import atomic
    from harness.patch_models import training
    from harness.zoo import benchmark
    from harness.zoo.forecasts import mase_table

    loaded = load(out)
    values, seasons, families = training.held_out_set()
    context, actual = values[:, :training.CONTEXT_LENGTH], values[:, training.CONTEXT_LENGTH:]
    result = {
        "held_out_loss": round(training.quantile_loss(loaded.model, values), 4),
        "forecast": mase_table(median_forecasts(loaded.model, context), context, actual, seasons, families, 0,
                               f"the 0.5-quantile forecast of the model's forward pass, context {training.CONTEXT_LENGTH}, horizon "
                               f"{training.PREDICTION_LENGTH}"),
        "benchmark": benchmark.evaluate(lambda context, horizon: median_forecasts(loaded.model, context)[:, :horizon], training.CONTEXT_LENGTH,
                                        "the 0.5-quantile forecast of the model's forward pass"),
        "rrp": rrp_counts(loaded),
    }
    atomic.write_json(Path(out) / "evaluation.json", result)
    return result


def evaluate(name: str, out: Path, load) -> str:
    return evaluation_line(out, evaluation(out, load), "rrp")


def card(name: str, out: Path, report: dict | None, report_path: str | None) -> Path:
    from harness.patch_models.card import write_card

    return write_card(out, *log_and_evaluation(out), report, report_path)
