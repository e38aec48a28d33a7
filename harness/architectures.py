"""Chronos-T5 shapes and configs: the published sizes (for benchmarks) and the settings every checkpoint shares."""

from __future__ import annotations

CHRONOS_CONFIG = {
    "tokenizer_class": "MeanScaleUniformBins",
    "tokenizer_kwargs": {"low_limit": -15.0, "high_limit": 15.0},
    "n_tokens": 4096,
    "n_special_tokens": 2,
    "pad_token_id": 0,
    "eos_token_id": 1,
    "use_eos_token": True,
    "model_type": "seq2seq",
    "context_length": 512,
    "prediction_length": 64,
    "num_samples": 20,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
}

# d_model, d_ff, layers (encoder = decoder), heads; d_kv is 64 in every published size
CHRONOS_T5_SIZES = {
    "tiny": (256, 1024, 4, 4),
    "mini": (384, 1536, 4, 8),
    "small": (512, 2048, 6, 8),
    "base": (768, 3072, 12, 12),
    "large": (1024, 4096, 24, 16),
}


def t5_config(d_model: int, d_ff: int, layers: int, heads: int, d_kv: int = 64, *, dropout: float = 0.1, **chronos_overrides):
    """A T5 config as Chronos-T5 uses it: relu feed-forward, tied embeddings, 32 relative-position buckets."""
    from transformers import T5Config

    chronos_config = {**CHRONOS_CONFIG, **chronos_overrides}
    return T5Config(
        vocab_size=chronos_config["n_tokens"],
        d_model=d_model,
        d_kv=d_kv,
        d_ff=d_ff,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=heads,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        dropout_rate=dropout,
        layer_norm_epsilon=1e-6,
        initializer_factor=1.0,
        chronos_config=chronos_config,
    )


def chronos_t5_config(size: str):
    d_model, d_ff, layers, heads = CHRONOS_T5_SIZES[size]
    return t5_config(d_model, d_ff, layers, heads)


def save_checkpoint(model, out) -> None:
    """Write config.json, model.safetensors and generation_config.json (what ChronosPipeline loads)."""
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    model.save_pretrained(out, safe_serialization=True)


def attention_only_gpt2_config(vocab_size: int, d_model: int, layers: int, heads: int, positions: int, bos_token_id: int = 0):
    """A GPT-2 config whose blocks are attention-only: the MLP is one unit wide and its output projection is
    held at zero (see zero_mlps), so each block adds only its attention output to the residual stream."""
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=vocab_size, n_positions=positions, n_embd=d_model, n_layer=layers, n_head=heads, n_inner=1,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=bos_token_id, eos_token_id=bos_token_id,
        tie_word_embeddings=False, attention_only=True,
    )


def zero_mlps(model) -> None:
    """Zero every MLP output projection and freeze it: the blocks of an attention_only config write nothing else."""
    import torch

    with torch.no_grad():
        for block in model.base_model.h if hasattr(model.base_model, "h") else model.base_model.layers:
            projection = block.mlp.c_proj if hasattr(block.mlp, "c_proj") else block.mlp.down_proj
            for parameter in projection.parameters():
                parameter.zero_()
                parameter.requires_grad_(False)


def attention_only_llama_config(vocab_size: int, d_model: int, layers: int, heads: int, positions: int, bos_token_id: int = 0):
    """A Llama config (rotary positions, RMS norm) whose blocks are attention-only: the MLP is one unit wide and its
    output projection is held at zero (see zero_mlps)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size, hidden_size=d_model, intermediate_size=1, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=heads, max_position_embeddings=positions, bos_token_id=bos_token_id, eos_token_id=bos_token_id,
        pad_token_id=None, tie_word_embeddings=False, attention_only=True,
    )
