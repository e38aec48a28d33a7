"""The shipped miniature models, trained here from random init: the Chronos-T5 zoo (Chronos objective on synthetic
series), miniature Chronos-Bolt and Chronos-2 models (their own quantile loss on the same series) and a 2-layer
attention-only language model (next-token loss on synthetic token streams). Each family's package trains, evaluates
and describes its own (harness/chronos/zoo.py, harness/patch_models/zoo.py, harness/causal_lm/zoo.py)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError

ZOO_DIR = Path(__file__).with_name("models")
# zoo name -> (directory under models/, family); the default run takes them in this order (Chronos sizes smallest first)
MODELS = {
    "nano": ("chronos-zoo-nano", "chronos-t5"),
    "micro": ("chronos-zoo-micro", "chronos-t5"),
    "milli": ("chronos-zoo-milli", "chronos-t5"),
    "bolt-nano": ("chronos-bolt-zoo-nano", "chronos-bolt"),
    "bolt-micro": ("chronos-bolt-zoo-micro", "chronos-bolt"),
    "chronos2-nano": ("chronos2-zoo-nano", "chronos-2"),
    "chronos2-micro": ("chronos2-zoo-micro", "chronos-2"),
    "attn-only-2l": ("attn-only-2l", "causal-lm"),
}


def model_dir(name: str) -> Path:
    return ZOO_DIR / MODELS.get(name, (name,))[0]


def shipped() -> list[str]:
    """`zoo:NAME` specs of the shipped models, in MODELS order."""
    return [f"zoo:{name}" for name in MODELS if (model_dir(name) / "model.safetensors").is_file()]


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
