"""Writes that never leave a half-written file: write beside the target, then rename over it."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(staging, 0o666 & ~umask)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def point_symlink(link: Path, target: str) -> None:
    """Make ``link`` point at ``target`` in one rename, so readers never see it missing or half-made."""
    link = Path(link)
    staging = link.parent / f".{link.name}.{uuid.uuid4().hex}.tmp"
    os.symlink(target, staging)
    os.replace(staging, link)


def write_directory(out: Path, fill, *, replace: bool = True) -> Path:
    """Build a directory with ``fill(staging_path)`` beside ``out``, then rename it into place.

    replace=False keeps a directory another process finished first (the cache of built checkpoints)."""
    import shutil

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        fill(staging)
        os.chmod(staging, 0o755)
        if out.exists() and replace:
            shutil.rmtree(out)
        try:
            os.rename(staging, out)
        except OSError:
            if replace or not out.is_dir():
                raise
            shutil.rmtree(staging)  # another process finished the same build first
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
