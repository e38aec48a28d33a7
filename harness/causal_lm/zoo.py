"""`harness zoo train | card` for the attention-only language model; its claims run measures it."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError
from harness.zoo import read_json

HAS_EVALUATION = False  # `harness zoo evaluate` without --size evaluates it


def train(name: str, out: Path, *, steps: int | None, device: str, resume: str | None) -> str:
    import harness.causal_lm.training as training

    if resume is not None:
        raise HarnessError(f"{name} trains in one short cycle and has nothing to resume; drop --resume")
    log = training.train(out, steps=steps, progress=lambda point: print(json.dumps(point), flush=True))
    return f"wrote {out}: held-out loss {log['held_out_loss']} after {log['recipe']['steps']} steps in {log['training_seconds'] / 60:.1f} min"


def evaluate(name: str, out: Path, load) -> str:
    raise HarnessError(f"{name} is evaluated by `pytest claims/` (claims L1-L7); `harness zoo evaluate` covers the Chronos sizes")


def card(name: str, out: Path, report: dict | None, report_path: str | None) -> Path:
    from harness.causal_lm.card import write_lm_card

    log = read_json(out, "training_log.json")
    if log is None:
        raise HarnessError(f"{out} lacks training_log.json; run `harness zoo train --size {name}` first")
    return write_lm_card(out, log, report, report_path)
