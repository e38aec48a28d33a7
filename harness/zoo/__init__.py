"""The shipped miniature models, trained here from random init: the Chronos-T5 zoo (Chronos objective on synthetic
series) and a 2-layer attention-only language model (next-token loss on synthetic token streams)."""

from pathlib import Path

ZOO_DIR = Path(__file__).with_name("models")
SIZE_ORDER = ("nano", "micro", "milli")
LANGUAGE_MODELS = ("attn-only-2l",)


def model_dir(name: str) -> Path:
    return ZOO_DIR / (name if name in LANGUAGE_MODELS else f"chronos-zoo-{name}")


def shipped() -> list[str]:
    """`zoo:NAME` specs of the shipped models: Chronos sizes smallest first, then the language models."""
    return [f"zoo:{name}" for name in (*SIZE_ORDER, *LANGUAGE_MODELS) if (model_dir(name) / "model.safetensors").is_file()]
