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
