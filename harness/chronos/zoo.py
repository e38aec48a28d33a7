"""`harness zoo train | evaluate | card` for the Chronos sizes (nano, micro, milli)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError
from harness.zoo import read_json

HAS_EVALUATION = True  # `harness zoo evaluate` without --size evaluates it


def train(name: str, out: Path, *, steps: int | None, device: str, resume: str | None) -> str:
    from harness.chronos import training

    log = training.train(name, out, steps=steps, device=device, resume=resume, progress=lambda point: print(json.dumps(point), flush=True))
    return f"wrote {out}: held-out loss {log['held_out_loss']} after {sum(c['steps'] for c in log['cycles'])} steps in {log['training_seconds'] / 60:.1f} min"


def evaluate(name: str, out: Path) -> str:
    from harness.chronos import evaluate as evaluating

    result = evaluating.evaluate(out)
    forecast = result["forecast"]["all"]
    return (f"{out.name}: held-out loss {result['held_out_loss']}; MASE {forecast['model_mase']} vs seasonal naive "
            f"{forecast['seasonal_naive_mase']}; RRT heads: {len(result['rrt']['current_heads'])} current, {len(result['rrt']['right_heads'])} right")


def card(name: str, out: Path, report: dict | None, report_path: str | None) -> Path:
    from harness.chronos.card import write_card

    log, evaluation = read_json(out, "training_log.json"), read_json(out, "evaluation.json")
    if log is None or evaluation is None:
        raise HarnessError(f"{out} lacks training_log.json or evaluation.json; run `harness zoo train` and `harness zoo evaluate` first")
    return write_card(out, log, evaluation, report, report_path)
