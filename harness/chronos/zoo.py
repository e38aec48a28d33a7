"""`harness zoo train | evaluate | card` for the Chronos sizes (nano, micro, milli)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.zoo import evaluation_line, log_and_evaluation

HAS_EVALUATION = True  # `harness zoo evaluate` without --size evaluates it


def train(name: str, out: Path, *, steps: int | None, device: str, resume: str | None) -> str:
    import harness.chronos.training as training

    log = training.train(name, out, steps=steps, device=device, resume=resume, progress=lambda point: print(json.dumps(point), flush=True))
    return f"wrote {out}: held-out loss {log['held_out_loss']} after {sum(c['steps'] for c in log['cycles'])} steps in {log['training_seconds'] / 60:.1f} min"


def evaluate(name: str, out: Path, load) -> str:
    import harness.chronos.evaluate as evaluating

    return evaluation_line(out, evaluating.evaluate(out, load), "rrt")


def card(name: str, out: Path, report: dict | None, report_path: str | None) -> Path:
    from harness.chronos.card import write_card

    return write_card(out, *log_and_evaluation(out), report, report_path)
