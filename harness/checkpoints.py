"""Checkpoints in general: where a --model value points (a directory, the local Hugging Face cache, the zoo),
its config.json, safetensors-only weights, the device and dtype to load it in, and the loaded model with what a
report says about it. Nothing here knows a model family; the family table is harness.models."""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ModelLoadError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
PLANTED_PREFIX = "planted:"
ZOO_PREFIX = "zoo:"
DTYPES = ("float32", "bfloat16", "float16")
DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def cache_dir() -> Path:
    """Where planted checkpoints and the hardware probe are cached ($CHRONOS_CLAIMS_CACHE)."""
    return Path(os.environ.get("CHRONOS_CLAIMS_CACHE", Path.home() / ".cache" / "chronos-claims")).expanduser()


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache this process would read (HF_HUB_CACHE, else HF_HOME/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def _cached_snapshot(repo_id: str) -> Path | None:
    """The newest snapshot of ``repo_id`` in the local cache, found without touching the network."""
    repo_dir = hf_hub_cache() / f"models--{repo_id.replace('/', '--')}"
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        snapshot = repo_dir / "snapshots" / ref.read_text().strip()
        if snapshot.is_dir():
            return snapshot
    snapshots = sorted((repo_dir / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime) if repo_dir.is_dir() else []
    return snapshots[-1] if snapshots else None


def checkpoint_path(spec: str) -> Path:
    """The directory a --model value names (a path, or a hub id in the local cache); not yet checked. zoo:NAME is
    the family table's (harness.models.model_path)."""
    path = Path(spec).expanduser()
    if not path.exists():
        if HUB_ID.match(spec) and not spec.startswith((".", "/")):
            snapshot = _cached_snapshot(spec)
            if snapshot is None:
                raise ModelLoadError(
                    f"model '{spec}' is not in the local Hugging Face cache ({hf_hub_cache()}) and nothing is downloaded; "
                    f"on a machine with internet run `hf download {spec}` and copy the cache here, "
                    f"or pass a local directory holding config.json and model.safetensors"
                )
            return snapshot
        raise ModelLoadError(
            f"model path '{spec}' does not exist; pass a checkpoint directory holding config.json and "
            f"model.safetensors, or a hub id such as amazon/chronos-t5-small that is in the local cache"
        )
    if not path.is_dir():
        raise ModelLoadError(f"model path '{spec}' is a file; pass the checkpoint directory that holds config.json and model.safetensors")
    return path


def read_config(path: Path) -> dict[str, Any]:
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelLoadError(f"no config.json in '{path}'; a checkpoint directory holds config.json and model.safetensors")
    try:
        return json.loads(config_file.read_text())
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"config.json in '{path}' is not valid JSON (line {error.lineno}); restore it from the original checkpoint") from None


def check_safetensors(path: Path) -> None:
    """Weights load only from safetensors: pickle files can run code when read."""
    if (path / "model.safetensors").is_file() or (path / "model.safetensors.index.json").is_file():
        return
    pickles = sorted(p.name for p in path.glob("*.bin")) + sorted(p.name for p in path.glob("*.pt"))
    if pickles:
        raise ModelLoadError(
            f"'{path}' has only pickle weights ({', '.join(pickles)}), which the harness never unpickles because "
            f"loading them can run arbitrary code; convert them once in a trusted environment to model.safetensors"
        )
    raise ModelLoadError(f"no model.safetensors in '{path}'; a checkpoint directory holds config.json and model.safetensors")


def check_device(device: str) -> str:
    """The --device value's form, checked without torch; whether CUDA is there is resolve_device's question."""
    if not DEVICE.match(device):
        raise ModelLoadError(f"unknown device '{device}'; use auto, cpu or cuda[:N]")
    return device


def check_dtype(dtype: str, device: str) -> str:
    """The --dtype value (aliases resolved), checked without torch; auto stays auto until a model is loaded."""
    dtype = DTYPE_ALIASES.get(dtype, dtype)
    if dtype != "auto" and dtype not in DTYPES:
        raise ModelLoadError(f"unknown dtype '{dtype}'; use auto, float32, bfloat16 or float16")
    if dtype == "float16" and device == "cpu":
        raise ModelLoadError("float16 is not supported for these models on cpu; use --dtype float32 or bfloat16")
    return dtype


def resolve_device(device: str = "auto") -> str:
    import torch

    check_device(device)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"--device {device} was asked for but this machine has no usable CUDA GPU; use --device cpu or auto")
    return device


def resolve_dtype(dtype: str, device: str) -> str:
    """auto: bfloat16 where it is fast (CUDA, or a CPU whose bf16 matmul beats float32, measured once), else float32."""
    dtype = check_dtype(dtype, device)
    if dtype == "auto":
        from harness.hardware import fast_bfloat16

        return "bfloat16" if fast_bfloat16(device, cache_dir()) else "float32"
    return dtype


def names_a_directory(spec: str) -> bool:
    """A --model value that is a directory's path (not zoo:, planted: or a hub id read from the cache)."""
    return not (spec.startswith((PLANTED_PREFIX, ZOO_PREFIX)) or HUB_ID.match(spec) and not Path(spec).exists())


@dataclass(repr=False)
class LoadedModel:
    """A checkpoint ready for capture, with what a report needs to say about it.

    ``facts`` come from the family's loader: d_model, encoder_layers, decoder_layers (the layers of a decoder-only
    model), heads, context_length, vocab_size, bos_token_id.
    """

    name: str
    spec: str
    path: Path
    model: Any  # the transformers model, eval mode
    config: dict[str, Any]  # config.json
    device: str
    dtype: str
    family: str
    facts: dict[str, Any]
    planted: dict[str, Any] | None = field(default=None)
    own_measurements: dict[str, Any] = field(default_factory=dict)  # Family.measurements
    fingerprint: str | None = None  # harness.identity.fingerprint: the same for the same config and weights
    snapshot: str | None = None  # the Hugging Face cache snapshot (commit) the weights came from
    memory_budget: int | None = None  # bytes a measurement's batch may take (pytest --max-memory); None: half of what is free

    def __repr__(self) -> str:
        return f"<{self.family} model {self.name} on {self.device}, {self.dtype}>"

    @property
    def decoder_layers(self) -> int:
        return self.facts["decoder_layers"]

    @property
    def encoder_layers(self) -> int:
        return self.facts["encoder_layers"]

    @property
    def heads(self) -> int:
        return self.facts["heads"]

    @property
    def vocab_size(self) -> int:
        return self.facts["vocab_size"]

    @property
    def context_length(self) -> int:
        return self.facts["context_length"]

    @property
    def bos_token_id(self) -> int | None:
        return self.facts.get("bos_token_id")

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec,
            "family": self.family,
            "path": str(self.path),
            "snapshot": self.snapshot,
            "fingerprint": self.fingerprint,
            "parameters": self.parameter_count,
            "d_model": self.facts["d_model"],
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "heads": self.heads,
            "context_length": self.context_length,
            "vocab_size": self.vocab_size,
            "device": self.device,
            "dtype": self.dtype,
            "planted": self.planted,
        }


@contextmanager
def reading_weights(path: Path):
    """Around a family's from_pretrained: a broken weights file (transformers raises many types) is one line naming the fix."""
    try:
        yield
    except Exception as error:
        text = str(error).strip()
        first_line = text.splitlines()[0] if text else type(error).__name__
        raise ModelLoadError(f"could not load the weights in '{path}': {first_line}; re-copy model.safetensors from the original checkpoint") from None
