"""Configs of attention-only decoder-only language models (GPT-2 and Llama blocks) for planted and trained models."""

from __future__ import annotations


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
