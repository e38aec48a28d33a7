"""Self-attention, final logits and per-head outputs of a decoder-only causal LM, out of transformers.

This is the only module that knows causal LMs' transformers internals. They run eager attention (set when
loading) so that output_attentions returns weights; per-head outputs are read and replaced by a forward
pre-hook on each layer's attention output projection, whose input is the heads' concatenated outputs.
"""

from __future__ import annotations

import torch

from harness.attention import check_probabilities, to_device, tolerance_for
from harness.errors import CaptureError


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
    input_ids = to_device(model, input_ids)
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
    check_probabilities(rows, tolerance_for(model), "self-attention")
    return rows


@torch.inference_mode()
def final_logits(model, input_ids, *, patch: dict[tuple[int, int], torch.Tensor] | None = None, record_heads: bool = False):
    """Logits at the last position, float32 on cpu: (batch, vocab).

    ``patch`` maps (layer, head) to that head's output (batch, positions, head_dim) to use instead of the one
    computed; with ``record_heads`` the heads' own outputs come back too, as {(layer, head): tensor}.
    """
    input_ids = to_device(model, input_ids)
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
