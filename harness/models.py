"""The family table, and loading any --model value through it.

A family is a package that builds a `harness.family.Family` and registers it under the entry-point group
`chronos_claims.families` (pyproject.toml); this package's own four are registered the same way. The table is read
from the installed entry points, so nothing in the core names a family, and a family installed from another
package is read like the others.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from harness.checkpoints import (
    PLANTED_PREFIX,
    ZOO_PREFIX,
    LoadedModel,
    cache_dir,
    check_safetensors,
    checkpoint_path,
    read_config,
    resolve_device,
    resolve_dtype,
)
from harness.errors import ModelLoadError
from harness.family import Family

FAMILY_GROUP = "chronos_claims.families"


def registered_families() -> dict[str, Family]:
    """Every family installed under FAMILY_GROUP, by name. A descriptor is imported here, at start-up, so it must not
    import torch; its loader imports the family's heavy modules when a checkpoint of it is loaded."""
    families = {}
    for entry in entry_points(group=FAMILY_GROUP):
        family = entry.load()
        if not isinstance(family, Family) or family.name != entry.name:
            raise ModelLoadError(f"the entry point {entry.name} = {entry.value} in {FAMILY_GROUP} does not name a harness.family.Family "
                                 f"called {entry.name!r}; fix the package that installs it")
        families[family.name] = family
    if not families:
        raise ModelLoadError(f"no model family is installed under the entry-point group {FAMILY_GROUP}; reinstall with "
                             f"`pip install -e .` so its entry points are registered")
    return families


FAMILIES: dict[str, Family] = registered_families()


def family_of_config(config: dict, path: Path) -> Family:
    """The family whose checkpoints this config.json describes; one line naming what it is otherwise."""
    for family in FAMILIES.values():
        if family.recognises(config):
            family.check_config(config, path)
            return family
    raise ModelLoadError(
        f"config.json in '{path}' is not a checkpoint of any installed family (model_type {config.get('model_type')!r}, "
        f"architectures {config.get('architectures')}); point --model at one of: " + "; ".join(family.reads for family in FAMILIES.values())
    )


def zoo_models() -> dict[str, tuple[Path, str]]:
    """zoo name -> (directory, family name), from every family's ``zoo_models``."""
    return {name: (path, family.name) for family in FAMILIES.values() for name, path in family.zoo_models.items()}


def shipped_zoo() -> list[str]:
    """`zoo:NAME` of every zoo model whose weights are there, families in the table's order, each smallest first."""
    return [f"{ZOO_PREFIX}{name}" for name, (path, _) in zoo_models().items() if (path / "model.safetensors").is_file()]


def model_path(spec: str) -> Path:
    """The directory a --model value names: zoo:NAME through the families' zoo models, anything else through
    harness.checkpoints (a path, or a hub id in the local cache); not yet checked."""
    if spec.startswith(ZOO_PREFIX):
        models = zoo_models()
        name = spec[len(ZOO_PREFIX):]
        if name not in models or not models[name][0].is_dir():
            raise ModelLoadError(f"no zoo model '{spec}'; the shipped ones are {', '.join(shipped_zoo()) or 'none'}")
        return models[name][0]
    return checkpoint_path(spec)


def check_checkpoint_dir(path: Path) -> Family:
    """Check a checkpoint directory (config, family, safetensors) and return its family."""
    family = family_of_config(read_config(path), path)
    check_safetensors(path)
    return family


def planted_family(name: str) -> Family:
    for family in FAMILIES.values():
        if name in family.planted_layouts:
            return family
    known = [layout for family in FAMILIES.values() for layout in family.planted_layouts]
    raise ModelLoadError(f"unknown planted layout '{name}'; use one of {', '.join(known)}")


def resolve_checkpoint(spec: str) -> Path:
    """Turn a --model value (not planted) into a checked checkpoint directory (no torch needed)."""
    path = model_path(spec)
    check_checkpoint_dir(path)
    return path


def spec_family(spec: str) -> str:
    """The model family a --model value names, read from its config.json (no torch needed)."""
    if spec.startswith(PLANTED_PREFIX):
        return planted_family(spec[len(PLANTED_PREFIX):]).name
    return check_checkpoint_dir(model_path(spec)).name


def load_model(spec: str, device: str = "auto", dtype: str = "auto", label: str | None = None) -> LoadedModel:
    """Load a checkpoint named by a --model value, reported under ``label`` (by default the one it would have alone in
    a run); planted layouts are built on first use."""
    import json

    from harness import identity

    device = resolve_device(device)
    dtype = resolve_dtype(dtype, device)
    if spec.startswith(PLANTED_PREFIX):
        name = spec[len(PLANTED_PREFIX):]
        path = planted_family(name).build_planted(name, cache_dir())
    else:
        path = resolve_checkpoint(spec)
    config = read_config(path)
    family = family_of_config(config, path)
    model, facts = family.load(path, config, device, dtype)
    planted_file = path / "planted.json"
    planted = json.loads(planted_file.read_text()) if planted_file.is_file() else None
    label = label or identity.run_labels({spec: None})[spec]
    return LoadedModel(label, spec, path, model, config, device, dtype, family.name, facts, planted, family.measurements,
                       identity.fingerprint(path), identity.snapshot_of(path))
