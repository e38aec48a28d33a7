"""The chronos-t5 family: Chronos-T5 encoder-decoder checkpoints, read through their decoder cross-attention.

Modules: loading (config checks, weights, facts), capture (the only one that knows T5's transformers internals),
induction (RRT mosaics), sweeps, multisine and spectrum, series (the checkpoint's own tokenizer), planted
(checkpoints with heads set by construction), figures, training / synthetic / evaluate / card (the zoo),
architectures and bench (the published shapes).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.chronos import loading, planted
from harness.family import Family
from harness.zoo import ZOO_DIR

NAME = "chronos-t5"


PATCH_MODEL_ARCHITECTURES = ("ChronosBoltModelForForecasting", "Chronos2Model")  # read by harness.patch_models


def recognises(config: dict) -> bool:
    return ("chronos_config" in config and config.get("chronos_pipeline_class", "ChronosPipeline") == "ChronosPipeline"
            and not set(PATCH_MODEL_ARCHITECTURES) & set(config.get("architectures") or []))


def build_planted(name: str, cache: Path) -> Path:
    return planted.planted_checkpoint(name, cache)


def write_planted(name: str, out: Path, seed: int) -> Path:
    return planted.build_named(name, out, seed=seed)


FAMILY = Family(
    name=NAME,
    fixture="chronos",
    reads="a Chronos-T5 checkpoint (amazon/chronos-t5-*, config.json with chronos_config)",
    recognises=recognises,
    check_config=loading.check_config,
    load=loading.load,
    planted_layouts=(*planted.LAYOUTS, planted.RANDOM_LAYOUT),
    build_planted=build_planted,
    write_planted=write_planted,
    zoo=lambda: importlib.import_module("harness.chronos.zoo"),
    zoo_models={"nano": ZOO_DIR / "chronos-zoo-nano", "micro": ZOO_DIR / "chronos-zoo-micro", "milli": ZOO_DIR / "chronos-zoo-milli"},
)

