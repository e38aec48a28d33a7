"""The Family entries of Chronos-Bolt and Chronos-2 for harness.models."""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.family import Family, fixed_seed
from harness.zoo import ZOO_DIR
from harness.patch_models import bolt, chronos2, planted
from harness.patch_models.induction import measure_rrp
from harness.patch_models.multisine import measure_patch_multisine


def _family(module, reads: str, zoo_models: dict[str, Path]) -> Family:
    def build_planted(name: str, cache: Path) -> Path:
        return planted.planted_checkpoint(name, cache)

    def write_planted(name: str, out: Path, seed: int) -> Path:
        fixed_seed(name, seed)
        return planted.build_named(name, out)

    return Family(
        name=module.NAME,
        fixture=module.NAME.replace("-", "_"),
        reads=reads,
        recognises=module.recognises,
        check_config=module.check_config,
        load=module.load,
        planted_layouts=tuple(name for name, layout in planted.LAYOUTS.items() if layout["family"] == module.NAME),
        build_planted=build_planted,
        write_planted=write_planted,
        zoo=lambda: importlib.import_module("harness.patch_models.zoo"),
        measurements={"rrt": measure_rrp, "multisine": measure_patch_multisine},
        zoo_models=zoo_models,
    )


BOLT = _family(bolt, "a Chronos-Bolt checkpoint (amazon/chronos-bolt-*, config.json architectures ChronosBoltModelForForecasting)",
               {"bolt-nano": ZOO_DIR / "chronos-bolt-zoo-nano", "bolt-micro": ZOO_DIR / "chronos-bolt-zoo-micro"})
CHRONOS2 = _family(chronos2, "a Chronos-2 checkpoint (amazon/chronos-2, config.json architectures Chronos2Model)",
                   {"chronos2-nano": ZOO_DIR / "chronos2-zoo-nano", "chronos2-micro": ZOO_DIR / "chronos2-zoo-micro"})
