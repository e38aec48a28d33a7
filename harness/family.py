"""What the core needs to know about a model family, in one object. A family package (harness/chronos,
harness/causal_lm, or one installed from elsewhere) builds one `Family` and registers it as an entry point of the
group chronos_claims.families; harness.models reads them. Everything here is read without torch: `load` and
`build_planted` import their family's heavy modules when called."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.errors import HarnessError


@dataclass(frozen=True)
class Family:
    name: str  # what a registry entry's `family` names
    fixture: str  # the pytest fixture that hands a claim test one loaded model of this family
    reads: str  # the checkpoints it reads, for messages: "Chronos-T5 (config.json with chronos_config, model_type t5)"
    recognises: Callable[[dict[str, Any]], bool]  # config.json -> is it this family's?
    check_config: Callable[[dict[str, Any], Path], None]  # a recognised config the loader still cannot read raises ModelLoadError
    load: Callable[[Path, dict[str, Any], str, str], tuple[Any, dict[str, Any]]]  # (path, config, device, dtype) -> (model, facts)
    planted_layouts: tuple[str, ...]  # names after planted:
    build_planted: Callable[[str, Path], Path]  # (layout, cache directory) -> checkpoint directory, built on first use
    zoo: Callable[[], Any]  # the module with train, evaluate and card for the family's zoo models (`harness zoo ...`)
    zoo_models: dict[str, Path] = field(default_factory=dict)  # zoo name (zoo:NAME) -> its shipped directory, smallest first
    # (layout, directory, seed) -> the directory: `harness plant DIR --layout NAME`; None where the family cannot
    write_planted: Callable[[str, Path, int], Path] | None = None
    # a shared measurement's implementation for this family, by name: {"rrt": measure_rrp} for patch models, whose
    # repeated input is made of patches, not tokens
    measurements: dict[str, Callable] = field(default_factory=dict)



def fixed_seed(layout: str, seed: int) -> None:
    """For families whose planted layouts set every weight: a seed other than 0 would be ignored, so it is refused."""
    if seed != 0:
        raise HarnessError(f"layout '{layout}' sets every weight by construction, so --seed {seed} would change nothing; drop --seed")
