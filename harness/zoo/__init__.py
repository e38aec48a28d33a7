"""The shipped miniature models, trained here from random init: the Chronos-T5 zoo (Chronos objective on synthetic
series), miniature Chronos-Bolt and Chronos-2 models (their own quantile loss on the same series) and a 2-layer
attention-only language model (next-token loss on synthetic token streams). Each family's package trains, evaluates
and describes its own (harness/chronos/zoo.py, harness/patch_models/zoo.py, harness/causal_lm/zoo.py)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError

ZOO_DIR = Path(__file__).with_name("models")  # where this package's families keep the models they ship


def model_dir(name: str) -> Path:
    """The directory of zoo model ``name`` (a family's ``zoo_models``); for a name no family ships, where it would be."""
    from harness.models import zoo_models

    return zoo_models().get(name, (ZOO_DIR / name, None))[0]


def read_json(model_dir: Path, name: str) -> dict | None:
    """A model directory's training_log.json or evaluation.json, None where it has none."""
    path = Path(model_dir) / name
    return json.loads(path.read_text()) if path.is_file() else None


def log_and_evaluation(model_dir: Path) -> tuple[dict, dict]:
    """What a Chronos zoo card is written from; one line naming the commands to run where either is missing."""
    log, evaluation = read_json(model_dir, "training_log.json"), read_json(model_dir, "evaluation.json")
    if log is None or evaluation is None:
        raise HarnessError(f"{model_dir} lacks training_log.json or evaluation.json; run `harness zoo train` and `harness zoo evaluate` first")
    return log, evaluation


def evaluation_line(model_dir: Path, evaluation: dict, counts: str) -> str:
    """One line of `harness zoo evaluate`: held-out loss, MASE against seasonal naive, and the heads under ``counts``."""
    forecast, heads = evaluation["forecast"]["all"], evaluation[counts]
    return (f"{Path(model_dir).name}: held-out loss {evaluation['held_out_loss']}; MASE {forecast['model_mase']} vs seasonal naive "
            f"{forecast['seasonal_naive_mase']}; {counts.upper()} heads: {len(heads['current_heads'])} current, {len(heads['right_heads'])} right")
