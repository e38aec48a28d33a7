"""Chronos-Bolt: the only module that knows its transformers internals (a T5 encoder over patches and a one-step
T5 decoder, in chronos.chronos_bolt.ChronosBoltModelForForecasting).

Attention is read from the package's own forward pass: the model is loaded with eager attention, and hooks on the
encoder and decoder stacks ask them for their attention weights and keep them. Two sites: ``cross`` (the decoder's
single query over the encoder positions: the context patches, then REG where ``use_reg_token`` is set) and
``encoder`` (encoder self-attention).
"""

from __future__ import annotations

from pathlib import Path

from harness.checkpoints import reading_weights
from harness.errors import CaptureError, HarnessError, ModelLoadError

NAME = "chronos-bolt"
ARCHITECTURE = "ChronosBoltModelForForecasting"
PIPELINE = "ChronosBoltPipeline"
SITES = ("cross", "encoder")
SITE_NAMES = {"cross": "decoder cross-attention", "encoder": "encoder self-attention"}
CONFIG_FIELDS = {"context_length", "prediction_length", "input_patch_size", "input_patch_stride", "quantiles", "use_reg_token"}
REQUIRED_FIELDS = CONFIG_FIELDS - {"use_reg_token"}


def recognises(config: dict) -> bool:
    return config.get("chronos_pipeline_class") == PIPELINE or ARCHITECTURE in (config.get("architectures") or [])


def check_chronos_config(config: dict, path: Path, family: str, fields: set[str], required: set[str]) -> dict:
    """The chronos_config of a patch model: present, no unknown fields, none missing, whole patches (shared with Chronos-2)."""
    chronos_config = config.get("chronos_config")
    if not isinstance(chronos_config, dict):
        raise ModelLoadError(f"'{path}' is a {family} checkpoint without a chronos_config in config.json; re-save it with the "
                             "chronos-forecasting class that trained it (save_pretrained writes chronos_config)")
    unknown = sorted(set(chronos_config) - fields)
    if unknown:
        raise ModelLoadError(f"'{path}': chronos_config has fields {unknown} that {family} does not define (known: "
                             f"{', '.join(sorted(fields))}); remove them or upgrade chronos-forecasting")
    missing = sorted(required - set(chronos_config))
    if missing:
        raise ModelLoadError(f"'{path}': chronos_config lacks {missing}; a {family} checkpoint needs {', '.join(sorted(required))}")
    size, stride, context = (chronos_config[key] for key in ("input_patch_size", "input_patch_stride", "context_length"))
    if size != stride:
        raise ModelLoadError(f"'{path}': input_patch_stride {stride} differs from input_patch_size {size}; the harness reads "
                             "non-overlapping patches only")
    if context % size:
        raise ModelLoadError(f"'{path}': context_length {context} is not a whole number of patches of {size} values; "
                             f"use a multiple of {size}")
    return chronos_config


def check_config(config: dict, path: Path) -> None:
    check_chronos_config(config, path, "Chronos-Bolt", CONFIG_FIELDS, REQUIRED_FIELDS)
    if config.get("model_type") != "t5":
        raise ModelLoadError(f"'{path}' says Chronos-Bolt but model_type is {config.get('model_type')!r}; Chronos-Bolt is a T5 model")


def patch_facts(config: dict, layers: int, heads: int, d_model: int, encoder_layers: int, decoder_layers: int) -> dict:
    chronos_config = config["chronos_config"]
    patch = int(chronos_config["input_patch_size"])
    return {"d_model": d_model, "encoder_layers": encoder_layers, "decoder_layers": decoder_layers, "heads": heads,
            "mosaic_layers": layers, "context_length": int(chronos_config["context_length"]) // patch, "context_unit": "patches",
            "context_values": int(chronos_config["context_length"]), "patch_size": patch,
            "use_reg_token": bool(chronos_config.get("use_reg_token", False)), "vocab_size": None, "bos_token_id": None}


def load(path: Path, config: dict, device: str, dtype: str):
    import torch
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    with reading_weights(path):
        model = ChronosBoltModelForForecasting.from_pretrained(path, use_safetensors=True, local_files_only=True,
                                                               attn_implementation="eager", dtype=getattr(torch, dtype))
    model.to(device).eval()
    t5 = model.config
    return model, patch_facts(config, t5.num_decoder_layers, t5.num_heads, t5.d_model, t5.num_layers, t5.num_decoder_layers)


def check_series(model, values):
    """A batch of series a patch model reads as whole patches: (batch, values), at least one patch, a whole number of
    patches (the model would pad a partial one with missing values and shift every position), within its context."""
    import torch

    values = torch.as_tensor(values, dtype=torch.float32)
    if values.ndim != 2 or values.shape[0] == 0:
        raise HarnessError(f"series of shape {tuple(values.shape)}: give a (batch, values) array with at least one series")
    config = model.chronos_config
    patch, context = config.input_patch_size, config.context_length
    length = values.shape[1]
    if length < patch:
        raise HarnessError(f"a series of {length} values is shorter than one patch of {patch}; give at least {patch} values")
    if length % patch:
        raise HarnessError(f"{length} values is not a whole number of patches of {patch}; trim the series to {length - length % patch} "
                           "values (the model would pad the first patch and shift every position)")
    if length > context:
        raise HarnessError(f"a series of {length} values is longer than the model's context of {context}; the model would cut it, "
                           f"so give at most {context} values")
    return values


def _stack_of(model, site: str):
    if site not in SITES:
        raise CaptureError(f"unknown Chronos-Bolt attention site '{site}'; use one of {', '.join(SITES)}")
    return model.encoder if site == "encoder" else model.decoder


def attention(model, site: str, values, chunk_size: int | None = None):
    """Attention probabilities of one site, float32 on cpu: (batch, layers, heads, queries, keys). ``values``: (batch,
    context values), a whole number of patches; the model's own instance normalisation and patching apply."""
    import torch

    from harness.attention import check_probabilities, tolerance_for

    stack = _stack_of(model, site)
    values = check_series(model, values)
    kept = []

    def ask(module, args, kwargs):
        return args, {**kwargs, "output_attentions": True, "return_dict": True}

    def keep(module, args, kwargs, output):
        kept.append(output.cross_attentions if site == "cross" else output.attentions)

    handles = [stack.register_forward_pre_hook(ask, with_kwargs=True), stack.register_forward_hook(keep, with_kwargs=True)]
    chunks = []
    try:
        with torch.inference_mode():
            for start in range(0, values.shape[0], chunk_size or values.shape[0]):
                kept.clear()
                model(context=values[start:start + (chunk_size or values.shape[0])].to(model.device))
                maps = kept[0] if kept else None
                if not maps or any(layer is None for layer in maps):
                    raise CaptureError(f"Chronos-Bolt returned no {SITE_NAMES[site]} weights (its attention runs with "
                                       f"{model.config._attn_implementation}); load it with harness.models.load_model, which asks for eager attention")
                chunks.append(torch.stack(maps, dim=1).float().cpu())
    finally:
        for handle in handles:
            handle.remove()
    rows = torch.cat(chunks)
    check_probabilities(rows, tolerance_for(model), f"Chronos-Bolt {SITE_NAMES[site]}")
    return rows
