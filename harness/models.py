"""The family table, and loading any --model value through it.

A family is one package under harness/ that builds a `harness.family.Family`; adding one is that package plus
one entry in FAMILIES. Nothing else in the core names a family.
"""

from __future__ import annotations

from pathlib import Path

from harness import causal_lm, chronos
from harness.patch_models import families as patch_families
from harness.checkpoints import (
    PLANTED_PREFIX,
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

FAMILIES: dict[str, Family] = {family.name: family for family in (chronos.FAMILY, patch_families.BOLT, patch_families.CHRONOS2, causal_lm.FAMILY)}


def family_of_config(config: dict, path: Path) -> Family:
    """The family whose checkpoints this config.json describes; one line naming what it is otherwise."""
    for family in FAMILIES.values():
        if family.recognises(config):
            family.check_config(config, path)
            return family
    raise ModelLoadError(
        f"config.json in '{path}' has no chronos_config, so it is not a Chronos checkpoint, and its architectures "
        f"{config.get('architectures')} name no decoder-only causal LM; point --model at one of: "
        + "; ".join(family.reads for family in FAMILIES.values())
    )


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
    path = checkpoint_path(spec)
    check_checkpoint_dir(path)
    return path


def spec_family(spec: str) -> str:
    """The model family a --model value names, read from its config.json (no torch needed)."""
    if spec.startswith(PLANTED_PREFIX):
        return planted_family(spec[len(PLANTED_PREFIX):]).name
    return check_checkpoint_dir(checkpoint_path(spec)).name


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
