"""Finding and loading Chronos-T5 checkpoints, offline, from safetensors only."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ModelLoadError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
PLANTED_PREFIX = "planted:"
ZOO_PREFIX = "zoo:"


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


def resolve_checkpoint(spec: str) -> Path:
    """Turn a --model value into a checked checkpoint directory (no torch needed)."""
    if spec.startswith(ZOO_PREFIX):
        from harness.zoo import model_dir, shipped

        path = model_dir(spec[len(ZOO_PREFIX):])
        if not path.is_dir():
            raise ModelLoadError(f"no zoo model '{spec}'; the shipped ones are {', '.join(shipped()) or 'none'}")
        check_checkpoint_dir(path)
        return path
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
            path = snapshot
        else:
            raise ModelLoadError(
                f"model path '{spec}' does not exist; pass a checkpoint directory holding config.json and "
                f"model.safetensors, or a hub id such as amazon/chronos-t5-small that is in the local cache"
            )
    if not path.is_dir():
        raise ModelLoadError(f"model path '{spec}' is a file; pass the checkpoint directory that holds config.json and model.safetensors")
    check_checkpoint_dir(path)
    return path


def read_config(path: Path) -> dict[str, Any]:
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelLoadError(f"no config.json in '{path}'; a Chronos checkpoint directory holds config.json and model.safetensors")
    try:
        return json.loads(config_file.read_text())
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"config.json in '{path}' is not valid JSON (line {error.lineno}); restore it from the original checkpoint") from None


CAUSAL_LM = "causal-lm"
CHRONOS_T5 = "chronos-t5"
FAMILIES = (CHRONOS_T5, CAUSAL_LM)


def config_family(config: dict[str, Any]) -> str | None:
    """chronos-t5 for a config with chronos_config, causal-lm for a decoder-only *ForCausalLM / *LMHeadModel, else None."""
    if "chronos_config" in config:
        return CHRONOS_T5
    architectures = config.get("architectures") or []
    if not config.get("is_encoder_decoder") and any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return CAUSAL_LM
    return None


def check_checkpoint_dir(path: Path) -> str:
    """Check a checkpoint directory and return its model family."""
    config = read_config(path)
    family = config_family(config)
    if family is None:
        raise ModelLoadError(
            f"config.json in '{path}' has no chronos_config, so it is not a Chronos checkpoint, and its architectures "
            f"{config.get('architectures')} name no decoder-only causal LM; point --model at a Chronos-T5 checkpoint "
            f"(amazon/chronos-t5-*), a *ForCausalLM checkpoint, or one written by `harness plant`"
        )
    if family == CHRONOS_T5 and (config.get("model_type") != "t5" or config["chronos_config"].get("model_type", "seq2seq") != "seq2seq"):
        raise ModelLoadError(
            f"'{path}' is a {config.get('model_type')!r} model; the harness reads encoder-decoder Chronos-T5 "
            f"checkpoints (model_type 't5', chronos_config.model_type 'seq2seq')"
        )
    if not (path / "model.safetensors").is_file() and not (path / "model.safetensors.index.json").is_file():
        pickles = sorted(p.name for p in path.glob("*.bin")) + sorted(p.name for p in path.glob("*.pt"))
        if pickles:
            raise ModelLoadError(
                f"'{path}' has only pickle weights ({', '.join(pickles)}), which the harness never unpickles because "
                f"loading them can run arbitrary code; convert them once in a trusted environment to model.safetensors"
            )
        raise ModelLoadError(f"no model.safetensors in '{path}'; a checkpoint directory holds config.json and model.safetensors")
    return family


def spec_family(spec: str) -> str:
    """The model family a --model value names, read from its config.json (no torch needed)."""
    if spec.startswith(PLANTED_PREFIX):
        return CAUSAL_LM if spec[len(PLANTED_PREFIX):].startswith("lm-") else CHRONOS_T5
    return check_checkpoint_dir(resolve_checkpoint(spec))


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelLoadError(f"--device {device} was asked for but this machine has no usable CUDA GPU; use --device cpu or auto")
        return device
    if device != "cpu":
        raise ModelLoadError(f"unknown device '{device}'; use auto, cpu or cuda[:N]")
    return device


DTYPES = ("float32", "bfloat16", "float16")


def resolve_dtype(dtype: str, device: str) -> str:
    """auto: bfloat16 where it is fast (CUDA, or a CPU whose bf16 matmul beats float32, measured once), else float32."""
    if dtype == "auto":
        from harness.hardware import fast_bfloat16
        from harness.planted import cache_dir

        return "bfloat16" if fast_bfloat16(device, cache_dir()) else "float32"
    aliases = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
    dtype = aliases.get(dtype, dtype)
    if dtype not in DTYPES:
        raise ModelLoadError(f"unknown dtype '{dtype}'; use auto, float32, bfloat16 or float16")
    if dtype == "float16" and device == "cpu":
        raise ModelLoadError("float16 is not supported for these models on cpu; use --dtype float32 or bfloat16")
    return dtype


@dataclass
class LoadedModel:
    """A checkpoint ready for capture (Chronos-T5 or a decoder-only causal LM), with what a report needs to say about it."""

    name: str
    spec: str
    path: Path
    model: Any  # transformers T5ForConditionalGeneration, eval mode
    config: dict[str, Any]
    device: str
    dtype: str
    planted: dict[str, Any] | None = field(default=None)
    family: str = CHRONOS_T5

    @property
    def decoder_layers(self) -> int:
        """Decoder layers of a Chronos-T5; the layers of a causal LM."""
        config = self.model.config
        return config.num_decoder_layers if self.family == CHRONOS_T5 else config.num_hidden_layers

    @property
    def encoder_layers(self) -> int:
        return self.model.config.num_layers if self.family == CHRONOS_T5 else 0

    @property
    def heads(self) -> int:
        return self.model.config.num_heads if self.family == CHRONOS_T5 else self.model.config.num_attention_heads

    @property
    def vocab_size(self) -> int:
        return self.model.config.vocab_size

    @property
    def context_length(self) -> int:
        if self.family == CHRONOS_T5:
            return int(self.config["chronos_config"]["context_length"])
        return int(self.model.config.max_position_embeddings)

    @property
    def bos_token_id(self) -> int | None:
        return self.model.config.bos_token_id

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec,
            "family": self.family,
            "path": str(self.path),
            "parameters": self.parameter_count,
            "d_model": self.model.config.d_model if self.family == CHRONOS_T5 else self.model.config.hidden_size,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "heads": self.heads,
            "context_length": self.context_length,
            "vocab_size": self.vocab_size,
            "device": self.device,
            "dtype": self.dtype,
            "planted": self.planted,
        }


def model_name(spec: str, path: Path) -> str:
    if spec.startswith((PLANTED_PREFIX, ZOO_PREFIX)) or HUB_ID.match(spec) and not Path(spec).exists():
        return spec
    return path.name


def load_model(spec: str, device: str = "auto", dtype: str = "auto") -> LoadedModel:
    """Load a checkpoint named by a --model value; planted layouts are built on first use."""
    import torch
    from transformers import T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    from harness import capture

    transformers_logging.disable_progress_bar()

    device = resolve_device(device)
    dtype = resolve_dtype(dtype, device)
    if spec.startswith(PLANTED_PREFIX):
        from harness.planted import planted_checkpoint

        path = planted_checkpoint(spec[len(PLANTED_PREFIX):])
    else:
        path = resolve_checkpoint(spec)
    config = read_config(path)  # resolve_checkpoint has checked it; planted checkpoints are built valid
    family = config_family(config)
    try:
        if family == CHRONOS_T5:
            model = T5ForConditionalGeneration.from_pretrained(
                path, use_safetensors=True, local_files_only=True, dtype=getattr(torch, dtype)
            )
        else:
            from transformers import AutoModelForCausalLM

            # eager attention: sdpa would return no attention weights
            model = AutoModelForCausalLM.from_pretrained(
                path, use_safetensors=True, local_files_only=True, dtype=getattr(torch, dtype), attn_implementation="eager"
            )
    except Exception as error:  # transformers raises many types for a broken file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(f"could not load the weights in '{path}': {first_line}; re-copy model.safetensors from the original checkpoint") from None
    model.to(device).eval()
    if family == CHRONOS_T5:
        capture.prepare(model)
    else:
        capture.check_causal_lm(model)
    planted_file = path / "planted.json"
    planted = json.loads(planted_file.read_text()) if planted_file.is_file() else None
    return LoadedModel(model_name(spec, path), spec, path, model, config, device, dtype, planted, family)
