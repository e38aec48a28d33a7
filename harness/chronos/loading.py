"""Loading a Chronos-T5 checkpoint: what its config must say, its weights, and the facts a report gives."""

from __future__ import annotations

from pathlib import Path

from harness.checkpoints import reading_weights
from harness.errors import ModelLoadError


def check_config(config: dict, path: Path) -> None:
    if config.get("model_type") != "t5" or config["chronos_config"].get("model_type", "seq2seq") != "seq2seq":
        raise ModelLoadError(
            f"'{path}' is a {config.get('model_type')!r} model; the harness reads encoder-decoder Chronos-T5 "
            f"checkpoints (model_type 't5', chronos_config.model_type 'seq2seq')"
        )


def load(path: Path, config: dict, device: str, dtype: str):
    """T5ForConditionalGeneration from safetensors, offline, with the capturing attention function installed."""
    import torch
    from transformers import T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    import harness.chronos.capture as capture

    transformers_logging.disable_progress_bar()
    with reading_weights(path):
        model = T5ForConditionalGeneration.from_pretrained(path, use_safetensors=True, local_files_only=True, dtype=getattr(torch, dtype))
    model.to(device).eval()
    capture.prepare(model)
    t5 = model.config
    facts = {"d_model": t5.d_model, "encoder_layers": t5.num_layers, "decoder_layers": t5.num_decoder_layers, "heads": t5.num_heads,
             "context_length": int(config["chronos_config"]["context_length"]), "vocab_size": t5.vocab_size,
             "bos_token_id": None}
    return model, facts
