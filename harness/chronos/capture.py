"""The decoder cross-attention of a Chronos-T5, out of transformers' T5.

This is the only module that knows T5's transformers internals. transformers 5.x runs T5 with sdpa and then
returns no attention weights, silently. Instead of switching the whole model to eager attention, the
model gets a registered attention function that runs sdpa everywhere except in the decoder's
cross-attention modules, where it computes the softmax itself and records the requested query rows.
The encoder keeps its fused kernel, and no logits, hidden states or self-attention maps are kept.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from harness.attention import check_probabilities, to_device
from harness.errors import CaptureError

IMPLEMENTATION = "chronos_claims_capture"

# cross-attention module -> decoder layer index
_CROSS_ATTENTION_LAYER: "weakref.WeakKeyDictionary[torch.nn.Module, int]" = weakref.WeakKeyDictionary()
_recording: dict | None = None


def _capture_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, position_bias=None, **kwargs):
    layer = _CROSS_ATTENTION_LAYER.get(module)
    if layer is None or _recording is None:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, position_bias=position_bias, **kwargs
        )
    # query: (batch, heads, queries, d_kv); key/value: (batch, heads, encoder_length, d_kv)
    scores = torch.matmul(query, key.transpose(2, 3)).float()
    if scaling is not None:
        scores = scores * scaling
    if position_bias is not None:
        scores = scores + position_bias.float()
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask.float()
    probabilities = torch.softmax(scores, dim=-1)  # (batch, heads, queries, encoder_length)
    rows = _recording["query_positions"]
    _recording["layers"][layer] = (probabilities if rows is None else probabilities[:, :, rows, :]).detach()
    output = torch.matmul(probabilities.to(value.dtype), value).transpose(1, 2).contiguous()
    return output, None


AttentionInterface.register(IMPLEMENTATION, _capture_attention)
AttentionMaskInterface.register(IMPLEMENTATION, sdpa_mask)


def cross_attention_modules(model) -> list[torch.nn.Module]:
    try:
        return [block.layer[1].EncDecAttention for block in model.decoder.block]
    except (AttributeError, IndexError):
        raise CaptureError(
            f"{type(model).__name__} has no T5 decoder cross-attention (decoder.block[i].layer[1].EncDecAttention); "
            f"the harness reads Chronos-T5 encoder-decoder checkpoints"
        ) from None


def prepare(model) -> None:
    """Route the model's attention through the capturing function (idempotent)."""
    for layer, module in enumerate(cross_attention_modules(model)):
        _CROSS_ATTENTION_LAYER[module] = layer
    model.set_attn_implementation(IMPLEMENTATION)


@contextmanager
def _record(query_positions):
    global _recording
    if _recording is not None:
        raise CaptureError("cross-attention capture is not re-entrant; run one capture at a time per process")
    _recording = {"query_positions": query_positions, "layers": {}}
    try:
        yield _recording["layers"]
    finally:
        _recording = None


@torch.inference_mode()
def cross_attention(
    model,
    encoder_ids,
    decoder_ids,
    query_positions: list[int] | None = None,
    attention_mask=None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Cross-attention probabilities, float32 on cpu: (batch, decoder layers, heads, queries, encoder length).

    ``query_positions`` picks decoder rows (all rows when None); ``chunk_size`` splits the batch.
    """
    if model.config._attn_implementation != IMPLEMENTATION:
        prepare(model)
    encoder_ids = to_device(model, encoder_ids)
    decoder_ids = to_device(model, decoder_ids)
    if encoder_ids.shape[0] == 0:
        raise CaptureError("the batch is empty; give at least one sequence")
    if attention_mask is None:
        attention_mask = torch.ones_like(encoder_ids)
    else:
        attention_mask = to_device(model, attention_mask)
    layers = len(cross_attention_modules(model))
    chunk_size = chunk_size or encoder_ids.shape[0]
    chunks = []
    for start in range(0, encoder_ids.shape[0], chunk_size):
        part = slice(start, start + chunk_size)
        with _record(query_positions) as recorded:
            encoded = model.encoder(input_ids=encoder_ids[part], attention_mask=attention_mask[part]).last_hidden_state
            model.decoder(
                input_ids=decoder_ids[part],
                encoder_hidden_states=encoded,
                encoder_attention_mask=attention_mask[part],
                use_cache=False,
            )
        missing = [layer for layer in range(layers) if layer not in recorded]
        if missing:
            raise CaptureError(
                f"no cross-attention was recorded for decoder layers {missing}; the model's attention implementation "
                f"was changed after loading; reload it with harness.models.load_model"
            )
        chunks.append(torch.stack([recorded[layer] for layer in range(layers)], dim=1).float().cpu())
    rows = torch.cat(chunks, dim=0)
    check_probabilities(rows)
    return rows


@torch.inference_mode()
def eager_cross_attention(model, encoder_ids, decoder_ids, attention_mask=None) -> torch.Tensor:
    """Reference path: the whole model in eager attention with output_attentions (slow, memory-hungry)."""
    encoder_ids = to_device(model, encoder_ids)
    decoder_ids = to_device(model, decoder_ids)
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else to_device(model, attention_mask)
    previous = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        output = model(input_ids=encoder_ids, attention_mask=attention_mask, decoder_input_ids=decoder_ids, output_attentions=True)
    finally:
        model.set_attn_implementation(previous)
    if not output.cross_attentions:
        raise CaptureError("eager attention returned no cross-attentions; this transformers version changed its T5 outputs")
    return torch.stack(output.cross_attentions, dim=1).float().cpu()
