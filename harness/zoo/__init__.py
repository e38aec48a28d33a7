"""The miniature Chronos-T5 zoo: trained here from random init with the Chronos objective, shipped in the repo."""

from pathlib import Path

ZOO_DIR = Path(__file__).with_name("models")
SIZE_ORDER = ("nano", "micro", "milli")


def model_dir(size: str) -> Path:
    return ZOO_DIR / f"chronos-zoo-{size}"


def shipped() -> list[str]:
    """`zoo:SIZE` specs of the shipped models, smallest first."""
    return [f"zoo:{size}" for size in SIZE_ORDER if (model_dir(size) / "model.safetensors").is_file()]
