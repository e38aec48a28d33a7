"""A model's identity in a run: the label it is reported under, unique among the run's models, and a fingerprint of
what it computes (its config and weights), equal for the same checkpoint however it was named or reached."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from harness.checkpoints import names_a_directory
from harness.errors import ModelLoadError

NAMED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.+-]*)=(.+)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# config.json keys that record how a file was written, not what the model computes
CONFIG_METADATA = frozenset({"transformers_version", "_name_or_path", "_commit_hash"})


def split_named(value: str) -> tuple[str | None, str]:
    """A --model value: NAME=MODEL gives (NAME, MODEL); anything else (None, value). An existing path stays a path,
    '=' or not."""
    match = NAMED.match(value)
    if match is None or Path(value).expanduser().exists():
        return None, value
    return match.group(1), match.group(2)


def _ending(path: Path, depth: int) -> str:
    return "/".join(path.parts[-depth:])


def run_labels(named: dict[str, str | None]) -> dict[str, str]:
    """model -> label for one run: the name given with NAME=MODEL; else the model itself for zoo:, planted: and hub ids;
    else the shortest ending of the directory's path that no other model of the run has (runs/a/tiny and runs/b/tiny
    become a/tiny and b/tiny)."""
    fixed = {spec: name or spec for spec, name in named.items() if name or not names_a_directory(spec)}
    paths = {spec: Path(spec).expanduser().resolve() for spec in named if spec not in fixed}
    for label in set(fixed.values()):
        holders = [spec for spec, given in fixed.items() if given == label]
        if len(holders) > 1:
            raise ModelLoadError(f"two models are named '{label}' ({', '.join(holders)}); give each --model its own NAME=MODEL")
    for path in set(paths.values()):
        holders = [spec for spec, resolved in paths.items() if resolved == path]
        if len(holders) > 1:
            raise ModelLoadError(f"--model {' and --model '.join(holders)} are the same directory ({path}); give it once")
    depth = dict.fromkeys(paths, 1)
    while True:
        labels = {**fixed, **{spec: _ending(path, depth[spec]) for spec, path in paths.items()}}
        taken = list(labels.values())
        clashing = [spec for spec in paths if taken.count(labels[spec]) > 1]
        if not clashing:
            return {spec: labels[spec] for spec in named}
        for spec in clashing:
            if depth[spec] >= len(paths[spec].parts):
                raise ModelLoadError(f"cannot tell --model {spec} apart from a model named '{labels[spec]}'; name it with NAME={spec}")
            depth[spec] += 1


def weight_files(path: Path) -> list[Path]:
    """model.safetensors, or the shards its index lists."""
    index = path / "model.safetensors.index.json"
    if index.is_file():
        return [path / name for name in sorted(set(json.loads(index.read_text())["weight_map"].values()))]
    return [path / "model.safetensors"]


def file_sha256(file: Path) -> str:
    """A file's sha256; in the Hugging Face cache a weights file links to a blob named by its sha256, read off the name."""
    if file.is_symlink() and SHA256.match(file.resolve().name):
        return file.resolve().name
    with file.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fingerprint(path: Path) -> str:
    """16 hex digits of a sha256 over the checkpoint's config (without the keys that say how it was saved) and the
    sha256 of each weights file: equal for the same weights reached by hub id or by path, different after any update."""
    config = json.loads((path / "config.json").read_text())
    digest = hashlib.sha256(json.dumps({k: v for k, v in config.items() if k not in CONFIG_METADATA}, sort_keys=True).encode())
    for file in weight_files(path):
        digest.update(file_sha256(file).encode())
    return digest.hexdigest()[:16]


def snapshot_of(path: Path) -> str | None:
    """The commit of a Hugging Face cache snapshot (…/snapshots/<commit>), None for any other directory."""
    return path.name if path.parent.name == "snapshots" else None


def labelled_models(values: list[str]) -> dict[str, str]:
    """--model values (MODEL or NAME=MODEL) -> {model: its label in the run}, in the order given."""
    named: dict[str, str | None] = {}
    for value in values:
        name, spec = split_named(value)
        if spec in named:
            raise ModelLoadError(f"--model lists {spec} twice; give each model once")
        named[spec] = name
    return run_labels(named)
