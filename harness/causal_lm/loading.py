"""Loading a decoder-only causal LM with eager attention, so that self-attention weights come back."""

from __future__ import annotations

from pathlib import Path

from harness.checkpoints import reading_weights


def load(path: Path, config: dict, device: str, dtype: str):
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as transformers_logging

    import harness.causal_lm.capture as capture

    transformers_logging.disable_progress_bar()
    # eager attention: sdpa would return no attention weights
    with reading_weights(path):
        model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=True, local_files_only=True, dtype=getattr(torch, dtype),
                                                     attn_implementation="eager")
    model.to(device).eval()
    capture.check_causal_lm(model)
    lm = model.config
    facts = {"d_model": lm.hidden_size, "encoder_layers": 0, "decoder_layers": lm.num_hidden_layers, "heads": lm.num_attention_heads,
             "context_length": int(lm.max_position_embeddings), "vocab_size": lm.vocab_size, "bos_token_id": lm.bos_token_id}
    return model, facts
