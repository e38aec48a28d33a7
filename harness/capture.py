"""Attention probabilities out of transformers models: the decoder cross-attention of a Chronos-T5, and the
self-attention, final logits and per-head outputs of a decoder-only causal LM.

This is the only module that knows transformers internals. transformers 5.x runs T5 with sdpa and then
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

from harness.errors import CaptureError

IMPLEMENTATION = "chronos_claims_capture"
ROW_SUM_TOLERANCE = 1e-3
LOW_PRECISION_ROW_SUM_TOLERANCE = 2e-2

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


def _to_device(model, array) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.long, device=model.device)


def check_probabilities(rows: torch.Tensor, tolerance: float = ROW_SUM_TOLERANCE, what: str = "cross-attention") -> None:
    """Attention rows must be probability distributions; anything else means the capture is wrong."""
    if rows.numel() == 0:
        raise CaptureError(f"{what} came back empty; the model did not run the capturing attention function")
    if not torch.isfinite(rows).all():
        raise CaptureError(f"{what} holds NaN or inf; check the checkpoint's weights and the --dtype")
    deviation = (rows.sum(dim=-1) - 1).abs().max().item()
    if deviation > tolerance:
        raise CaptureError(f"{what} rows sum to 1 +/- {deviation:.2e}, beyond {tolerance:.0e}; the capture or the checkpoint is broken")


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
    encoder_ids = _to_device(model, encoder_ids)
    decoder_ids = _to_device(model, decoder_ids)
    if encoder_ids.shape[0] == 0:
        raise CaptureError("the batch is empty; give at least one sequence")
    if attention_mask is None:
        attention_mask = torch.ones_like(encoder_ids)
    else:
        attention_mask = _to_device(model, attention_mask)
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
    encoder_ids = _to_device(model, encoder_ids)
    decoder_ids = _to_device(model, decoder_ids)
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else _to_device(model, attention_mask)
    previous = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        output = model(input_ids=encoder_ids, attention_mask=attention_mask, decoder_input_ids=decoder_ids, output_attentions=True)
    finally:
        model.set_attn_implementation(previous)
    if not output.cross_attentions:
        raise CaptureError("eager attention returned no cross-attentions; this transformers version changed its T5 outputs")
    return torch.stack(output.cross_attentions, dim=1).float().cpu()


# ---- decoder-only causal LMs: self-attention per layer and head, logits, and per-head outputs ----

_OUTPUT_PROJECTIONS = ("c_proj", "o_proj", "dense", "out_proj")  # GPT-2, Llama/Mistral/Qwen, GPT-NeoX, OPT


def decoder_blocks(model) -> list[torch.nn.Module]:
    base = model.base_model
    for name in ("h", "layers", "blocks"):
        blocks = getattr(base, name, None)
        if isinstance(blocks, torch.nn.ModuleList):
            return list(blocks)
    raise CaptureError(f"{type(model).__name__} has no list of decoder blocks (.h or .layers); this causal LM architecture is not supported")


def head_output_projections(model) -> list[torch.nn.Module]:
    """Per layer, the linear map whose input is the heads' concatenated outputs (batch, positions, heads x head_dim)."""
    projections = []
    for layer, block in enumerate(decoder_blocks(model)):
        attention = next((getattr(block, name) for name in ("attn", "self_attn", "attention") if hasattr(block, name)), None)
        projection = next((getattr(attention, name) for name in _OUTPUT_PROJECTIONS if hasattr(attention, name)), None)
        if projection is None:
            raise CaptureError(f"layer {layer} of {type(model).__name__} has no attention output projection ({', '.join(_OUTPUT_PROJECTIONS)})")
        projections.append(projection)
    return projections


def check_causal_lm(model) -> None:
    """Causal LMs run eager attention so that they return attention weights; refuse anything else loudly."""
    if model.config._attn_implementation != "eager":
        raise CaptureError(f"the model runs {model.config._attn_implementation!r} attention, which returns no attention weights; load it with harness.models.load_model")
    head_output_projections(model)


@torch.inference_mode()
def self_attention(model, input_ids, chunk_size: int | None = None) -> torch.Tensor:
    """Self-attention probabilities, float32 on cpu: (batch, layers, heads, positions, positions)."""
    check_causal_lm(model)
    input_ids = _to_device(model, input_ids)
    if input_ids.shape[0] == 0:
        raise CaptureError("the batch is empty; give at least one sequence")
    chunk_size = chunk_size or input_ids.shape[0]
    chunks = []
    for start in range(0, input_ids.shape[0], chunk_size):
        output = model(input_ids=input_ids[start : start + chunk_size], output_attentions=True, use_cache=False)
        if not output.attentions or any(a is None for a in output.attentions):
            raise CaptureError("the model returned no attention weights; it must run eager attention (load it with harness.models.load_model)")
        chunks.append(torch.stack(output.attentions, dim=1).float().cpu())
    rows = torch.cat(chunks)
    # eager attention returns probabilities in the model's dtype: bf16 rounds each to 8 bits, so rows sum to 1 less exactly
    check_probabilities(rows, ROW_SUM_TOLERANCE if model.dtype == torch.float32 else LOW_PRECISION_ROW_SUM_TOLERANCE, "self-attention")
    return rows


@torch.inference_mode()
def final_logits(model, input_ids, *, patch: dict[tuple[int, int], torch.Tensor] | None = None, record_heads: bool = False):
    """Logits at the last position, float32 on cpu: (batch, vocab).

    ``patch`` maps (layer, head) to that head's output (batch, positions, head_dim) to use instead of the one
    computed; with ``record_heads`` the heads' own outputs come back too, as {(layer, head): tensor}.
    """
    input_ids = _to_device(model, input_ids)
    heads = model.config.num_attention_heads
    recorded: dict[tuple[int, int], torch.Tensor] = {}
    hooks = []

    def hook_for(layer):
        def replace_heads(module, args):
            merged = args[0]
            split = merged.view(*merged.shape[:-1], heads, merged.shape[-1] // heads)
            if record_heads:
                for head in range(heads):
                    recorded[(layer, head)] = split[..., head, :].clone()
            if patch:
                split = split.clone()
                for (patch_layer, head), value in patch.items():
                    if patch_layer == layer:
                        split[..., head, :] = value.to(split.device, split.dtype)
                return (split.reshape(merged.shape), *args[1:])
            return None

        return replace_heads

    try:
        for layer, projection in enumerate(head_output_projections(model)):
            hooks.append(projection.register_forward_pre_hook(hook_for(layer)))
        logits = model(input_ids=input_ids, use_cache=False, logits_to_keep=1).logits[:, -1].float().cpu()
    finally:
        for hook in hooks:
            hook.remove()
    if not torch.isfinite(logits).all():
        raise CaptureError("the logits hold NaN or inf; check the checkpoint's weights and the --dtype")
    return (logits, recorded) if record_heads else logits


def unembedding(model) -> torch.Tensor:
    """The output embedding matrix (vocab, d_model), float32 on cpu."""
    return model.get_output_embeddings().weight.detach().float().cpu()
