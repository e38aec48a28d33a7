"""Chronos-2: the only module that knows its transformers internals (chronos.chronos2.Chronos2Model, an encoder over
patches with time self-attention and group self-attention in every layer).

Attention comes from the package's own forward pass with ``output_attentions`` (eager attention). Two sites:
``time`` (self-attention along the sequence: the context patches, REG, then the future patches) and ``group``
(self-attention across the series of one group, at each patch position; every series is its own group unless
``group_ids`` say otherwise).
"""

from __future__ import annotations

from pathlib import Path

from harness.checkpoints import reading_weights
from harness.errors import CaptureError, ModelLoadError
from harness.patch_models.bolt import check_chronos_config, check_series, patch_facts

NAME = "chronos-2"
ARCHITECTURE = "Chronos2Model"
PIPELINE = "Chronos2Pipeline"
SITES = ("time", "group")
SITE_NAMES = {"time": "time self-attention", "group": "group self-attention"}
CONFIG_FIELDS = {"context_length", "output_patch_size", "input_patch_size", "input_patch_stride", "quantiles", "use_reg_token",
                 "use_arcsinh", "max_output_patches", "time_encoding_scale"}
REQUIRED_FIELDS = {"context_length", "output_patch_size", "input_patch_size", "input_patch_stride", "quantiles"}


def recognises(config: dict) -> bool:
    return config.get("chronos_pipeline_class") == PIPELINE or ARCHITECTURE in (config.get("architectures") or [])


def check_config(config: dict, path: Path) -> None:
    chronos_config = check_chronos_config(config, path, "Chronos-2", CONFIG_FIELDS, REQUIRED_FIELDS)
    if not chronos_config.get("use_reg_token", False):
        raise ModelLoadError(f"'{path}': chronos_config.use_reg_token is false; Chronos2Model's forward requires the REG token, "
                             "so the checkpoint cannot run (set use_reg_token: true)")


def load(path: Path, config: dict, device: str, dtype: str):
    import torch
    from chronos.chronos2 import Chronos2Model
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    with reading_weights(path):
        model = Chronos2Model.from_pretrained(path, use_safetensors=True, local_files_only=True, attn_implementation="eager",
                                              dtype=getattr(torch, dtype))
    model.to(device).eval()
    core = model.config
    return model, patch_facts(config, core.num_layers, core.num_heads, core.d_model, core.num_layers, 0)


def attention(model, site: str, values, chunk_size: int | None = None, group_ids=None):
    """Attention probabilities of one site, float32 on cpu. ``time``: (batch, layers, heads, positions, positions);
    ``group``: (positions, layers, heads, batch, batch) over the whole batch (not chunked). ``values``: (batch, context
    values), a whole number of patches; one future patch is appended, as for a one-patch forecast."""
    import torch

    from harness.attention import check_probabilities, tolerance_for

    if site not in SITES:
        raise CaptureError(f"unknown Chronos-2 attention site '{site}'; use one of {', '.join(SITES)}")
    values = check_series(model, values)
    chunk_size = values.shape[0] if site == "group" else chunk_size or values.shape[0]
    chunks = []
    with torch.inference_mode():
        for start in range(0, values.shape[0], chunk_size):
            ids = None if group_ids is None else torch.as_tensor(group_ids[start:start + chunk_size], device=model.device)
            output = model(context=values[start:start + chunk_size].to(model.device), group_ids=ids, output_attentions=True)
            maps = output.enc_time_self_attn_weights if site == "time" else output.enc_group_self_attn_weights
            if not maps or any(layer is None for layer in maps):
                raise CaptureError(f"Chronos-2 returned no {SITE_NAMES[site]} weights; this chronos-forecasting version changed "
                                   "its outputs (the harness reads enc_time_self_attn_weights and enc_group_self_attn_weights)")
            chunks.append(torch.stack(maps, dim=1).float().cpu())
    rows = torch.cat(chunks)
    check_probabilities(rows, tolerance_for(model), f"Chronos-2 {SITE_NAMES[site]}")
    return rows
