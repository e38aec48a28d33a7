"""Attention of a Chronos-T5, out of transformers' T5, and interventions on its heads.

This is the only module that knows T5's transformers internals. transformers 5.x runs T5 with sdpa and then
returns no attention weights, silently. Instead of switching the whole model to eager attention, the
model gets a registered attention function that runs sdpa everywhere except in the attention modules of
the site being recorded, where it computes the softmax itself and keeps the requested query rows.
Three sites: ``cross`` (decoder cross-attention over the encoder), ``encoder`` (encoder self-attention)
and ``decoder`` (causal decoder self-attention).

Interventions act on a head's output before the attention output projection ``o``: zeroed, replaced by
its mean over the batch at each position, or replaced by its value from another run (patching).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from harness.attention import check_probabilities, to_device
from harness.errors import CaptureError, HarnessError

IMPLEMENTATION = "chronos_claims_capture"
SITES = ("cross", "encoder", "decoder")
SITE_NAMES = {"cross": "decoder cross-attention", "encoder": "encoder self-attention", "decoder": "decoder self-attention"}

# Set by prepare() on the model, on each attention module and on each output projection o: the model's CaptureState,
# and the (site, layer) of a module. The state lives on the model, so two models capture independently.
STATE = "_chronos_claims_capture_state"
WHERE = "_chronos_claims_capture_where"


@dataclass
class CaptureState:
    """What one model is capturing now: a recording of attention rows, or an intervention on head outputs."""

    recording: dict | None = None
    intervention: dict | None = None


def _tag(module, state: CaptureState, where: tuple[str, int]) -> None:
    setattr(module, STATE, state)
    setattr(module, WHERE, where)


def _capture_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, position_bias=None, **kwargs):
    where, state = getattr(module, WHERE, None), getattr(module, STATE, None)
    recording = state.recording if state is not None else None
    if where is None or recording is None or where[0] != recording["site"]:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, position_bias=position_bias, **kwargs
        )
    # query: (batch, heads, queries, d_kv); key/value: (batch, heads, keys, d_kv)
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
    elif getattr(module, "is_causal", False) and query.shape[2] > 1:  # sdpa was to apply the causal mask itself
        queries, keys = query.shape[2], key.shape[2]
        future = torch.ones(queries, keys, dtype=torch.bool, device=scores.device).triu(keys - queries + 1)
        scores = scores.masked_fill(future, torch.finfo(scores.dtype).min)
    probabilities = torch.softmax(scores, dim=-1)  # (batch, heads, queries, keys)
    rows = recording["query_positions"]
    recording["layers"][where[1]] = (probabilities if rows is None else probabilities[:, :, rows, :]).detach()
    output = torch.matmul(probabilities.to(value.dtype), value).transpose(1, 2).contiguous()
    return output, None


def _intervene(projection, inputs):
    """Forward pre-hook on ``o``: replace the chosen heads' outputs, or record them."""
    where, state = getattr(projection, WHERE, None), getattr(projection, STATE, None)
    intervention = state.intervention if state is not None else None
    if intervention is None or where is None:
        return None
    (hidden,) = inputs
    heads = projection.in_features // intervention["d_kv"]
    per_head = hidden.view(*hidden.shape[:-1], heads, -1)  # (batch, positions, heads, d_kv)
    if intervention["record"] is not None and where in intervention["record"]:
        intervention["recorded"][where] = per_head.detach().clone()
    keep = intervention["keep"].get(where)
    if keep is None:
        return None
    replacement = intervention["replacement"].get(where)
    kept = keep[:, None, :, None].to(per_head.dtype)  # (batch, 1, heads, 1)
    changed = per_head * kept if replacement is None else per_head * kept + replacement.to(per_head.dtype) * (1 - kept)
    return (changed.reshape(hidden.shape),)


AttentionInterface.register(IMPLEMENTATION, _capture_attention)
AttentionMaskInterface.register(IMPLEMENTATION, sdpa_mask)


def site_modules(model, site: str) -> list[torch.nn.Module]:
    """The attention modules of one site, by layer."""
    if site not in SITES:
        raise HarnessError(f"unknown attention site '{site}'; use one of {', '.join(SITES)}")
    try:
        if site == "cross":
            return [block.layer[1].EncDecAttention for block in model.decoder.block]
        stack = model.encoder if site == "encoder" else model.decoder
        return [block.layer[0].SelfAttention for block in stack.block]
    except (AttributeError, IndexError):
        raise CaptureError(
            f"{type(model).__name__} has no T5 {SITE_NAMES[site]} ({'decoder' if site != 'encoder' else 'encoder'}.block[i]); "
            f"the harness reads Chronos-T5 encoder-decoder checkpoints"
        ) from None


def cross_attention_modules(model) -> list[torch.nn.Module]:
    return site_modules(model, "cross")


def prepare(model) -> None:
    """Route the model's attention through the capturing function and hook every head output (idempotent)."""
    state = getattr(model, STATE, None) or CaptureState()
    setattr(model, STATE, state)
    for site in SITES:
        for layer, module in enumerate(site_modules(model, site)):
            _tag(module, state, (site, layer))
            if not hasattr(module.o, WHERE):
                module.o.register_forward_pre_hook(_intervene)
            _tag(module.o, state, (site, layer))
    model.set_attn_implementation(IMPLEMENTATION)


def _ready(model) -> CaptureState:
    if model.config._attn_implementation != IMPLEMENTATION or not any(hasattr(m, WHERE) for m in site_modules(model, "cross")):
        prepare(model)
    return getattr(model, STATE)


@contextmanager
def _record(state: CaptureState, site: str, query_positions):
    if state.recording is not None:
        raise CaptureError("attention capture is not re-entrant; run one capture at a time per model")
    state.recording = {"site": site, "query_positions": query_positions, "layers": {}}
    try:
        yield state.recording["layers"]
    finally:
        state.recording = None


@torch.inference_mode()
def attention(model, site: str, encoder_ids, decoder_ids, query_positions: list[int] | None = None, attention_mask=None,
              chunk_size: int | None = None) -> torch.Tensor:
    """Attention probabilities of one site, float32 on cpu: (batch, layers, heads, queries, keys).

    ``query_positions`` picks query rows (all rows when None); ``chunk_size`` splits the batch.
    """
    layers = len(site_modules(model, site))
    state = _ready(model)
    encoder_ids = to_device(model, encoder_ids)
    decoder_ids = to_device(model, decoder_ids)
    if encoder_ids.shape[0] == 0:
        raise CaptureError("the batch is empty; give at least one sequence")
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else to_device(model, attention_mask)
    chunk_size = chunk_size or encoder_ids.shape[0]
    chunks = []
    for start in range(0, encoder_ids.shape[0], chunk_size):
        part = slice(start, start + chunk_size)
        with _record(state, site, query_positions) as recorded:
            encoded = model.encoder(input_ids=encoder_ids[part], attention_mask=attention_mask[part]).last_hidden_state
            if site != "encoder":
                model.decoder(input_ids=decoder_ids[part], encoder_hidden_states=encoded, encoder_attention_mask=attention_mask[part],
                              use_cache=False)
        missing = [layer for layer in range(layers) if layer not in recorded]
        if missing:
            raise CaptureError(
                f"no {SITE_NAMES[site]} was recorded for layers {missing}; the model's attention implementation "
                f"was changed after loading; reload it with harness.models.load_model"
            )
        chunks.append(torch.stack([recorded[layer] for layer in range(layers)], dim=1).float().cpu())
    rows = torch.cat(chunks, dim=0)
    check_probabilities(rows, what=SITE_NAMES[site])
    return rows


def cross_attention(model, encoder_ids, decoder_ids, query_positions: list[int] | None = None, attention_mask=None,
                    chunk_size: int | None = None) -> torch.Tensor:
    """Decoder cross-attention probabilities: (batch, decoder layers, heads, queries, encoder length)."""
    return attention(model, "cross", encoder_ids, decoder_ids, query_positions, attention_mask, chunk_size)


@torch.inference_mode()
def eager_attention(model, site: str, encoder_ids, decoder_ids, attention_mask=None) -> torch.Tensor:
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
    maps = {"cross": output.cross_attentions, "encoder": output.encoder_attentions, "decoder": output.decoder_attentions}[site]
    if not maps:
        raise CaptureError(f"eager attention returned no {SITE_NAMES[site]}; this transformers version changed its T5 outputs")
    return torch.stack(maps, dim=1).float().cpu()


def eager_cross_attention(model, encoder_ids, decoder_ids, attention_mask=None) -> torch.Tensor:
    return eager_attention(model, "cross", encoder_ids, decoder_ids, attention_mask)


# ---- interventions ----

def check_heads(model, heads) -> list[tuple[str, int, int]]:
    """(site, layer, head) triples, validated against the model: one line naming the problem otherwise."""
    heads = [tuple(h) for h in heads]
    if not heads:
        raise HarnessError("the head set is empty; name at least one (site, layer, head) to ablate")
    config = model.config
    for site, layer, head in heads:
        layers = len(site_modules(model, site))
        if not 0 <= layer < layers:
            raise HarnessError(f"layer {layer} is outside the {layers} layers of the {SITE_NAMES[site]}; use 0-{layers - 1}")
        if not 0 <= head < config.num_heads:
            raise HarnessError(f"head {head} is outside the {config.num_heads} heads per layer; use 0-{config.num_heads - 1}")
    return heads


@contextmanager
def _intervening(model, keep: dict, replacement: dict, record=None):
    state = _ready(model)
    if state.intervention is not None:
        raise CaptureError("interventions are not re-entrant; run one at a time per model")
    state.intervention = {"d_kv": model.config.d_kv, "keep": keep, "replacement": replacement, "record": record, "recorded": {}}
    try:
        yield state.intervention["recorded"]
    finally:
        state.intervention = None


def _keep_masks(model, head_sets: list[list[tuple[str, int, int]]], batch: int) -> dict:
    """(site, layer) -> (sets x batch, heads) tensor: 0 where the set ablates the head, 1 elsewhere."""
    keep = {}
    for index, heads in enumerate(head_sets):
        for site, layer, head in heads:
            mask = keep.setdefault((site, layer), torch.ones(len(head_sets), model.config.num_heads, device=model.device))
            mask[index, head] = 0.0
    return {where: mask.repeat_interleave(batch, dim=0) for where, mask in keep.items()}


class _Fixed(torch.nn.Module):
    """Stands in for a projection whose output is already known."""

    def __init__(self, output: torch.Tensor):
        super().__init__()
        self.output = output

    def forward(self, _):
        return self.output


@contextmanager
def _fixed_cross_projections(model, encoded, tile):
    """The cross-attention keys and values depend only on the encoder output: project it once, tile the result, instead
    of projecting every tiled copy (most of an ablation pass's arithmetic otherwise)."""
    if encoded is None:
        yield
        return
    modules = site_modules(model, "cross")
    originals = [(module.k, module.v) for module in modules]
    try:
        for module in modules:
            module.k, module.v = _Fixed(tile(module.k(encoded))), _Fixed(tile(module.v(encoded)))
        yield
    finally:
        for module, (k, v) in zip(modules, originals):
            module.k, module.v = k, v


def _logits(model, encoder_ids, decoder_ids, attention_mask, encoded=None, position: int | None = None):
    if encoded is None:
        encoded = model.encoder(input_ids=encoder_ids, attention_mask=attention_mask).last_hidden_state
    hidden = model.decoder(input_ids=decoder_ids, encoder_hidden_states=encoded, encoder_attention_mask=attention_mask,
                           use_cache=False).last_hidden_state
    if position is not None:
        hidden = hidden[:, [position]]
    if model.config.tie_word_embeddings:
        hidden = hidden * model.model_dim**-0.5
    return model.lm_head(hidden).float()


@torch.inference_mode()
def logits(model, encoder_ids, decoder_ids, position: int, attention_mask=None) -> np.ndarray:
    """The unablated next-token logits at decoder ``position``: (batch, vocabulary), float32."""
    encoder_ids, decoder_ids = to_device(model, encoder_ids), to_device(model, decoder_ids)
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else to_device(model, attention_mask)
    return _logits(model, encoder_ids, decoder_ids, attention_mask, position=position)[:, 0].cpu().numpy()


@torch.inference_mode()
def head_outputs(model, encoder_ids, decoder_ids, sites: set[tuple[str, int]], attention_mask=None) -> dict:
    """(site, layer) -> the heads' outputs before ``o`` on a clean run: (batch, positions, heads, d_kv)."""
    encoder_ids, decoder_ids = to_device(model, encoder_ids), to_device(model, decoder_ids)
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else to_device(model, attention_mask)
    with _intervening(model, {}, {}, record=set(sites)) as recorded:
        _logits(model, encoder_ids, decoder_ids, attention_mask)
    return recorded


@torch.inference_mode()
def ablated_log_probs(model, encoder_ids, decoder_ids, head_sets: list[list[tuple[str, int, int]]], targets, *,
                      method: str = "mean", position: int | None = None, attention_mask=None, sets_per_pass: int | None = None,
                      patch_from=None) -> torch.Tensor:
    """log p(target) with each head set ablated: (sets, batch, target positions), float32 on cpu.

    ``targets``: (batch, target positions) token ids predicted at decoder positions ``position`` (one position) or all
    positions (None). ``method``: ``zero``, ``mean`` (the head's mean output over the batch at each position) or
    ``patch`` (its output on ``patch_from``, encoder ids of the same shape: a clean run patched into this one). An empty
    set is the unablated model. Sets are tiled along the batch, ``sets_per_pass`` at a time (all when None).
    """
    if method not in ("zero", "mean", "patch"):
        raise HarnessError(f"unknown ablation '{method}'; use zero, mean or patch")
    if method == "patch" and patch_from is None:
        raise HarnessError("patching needs the clean run's encoder ids (patch_from)")
    for heads in head_sets:
        if heads:
            check_heads(model, heads)
    encoder_ids, decoder_ids = to_device(model, encoder_ids), to_device(model, decoder_ids)
    targets = to_device(model, targets)
    attention_mask = torch.ones_like(encoder_ids) if attention_mask is None else to_device(model, attention_mask)
    batch = encoder_ids.shape[0]
    sites = {(site, layer) for heads in head_sets for site, layer, _ in heads}
    replacement = {}
    if method != "zero" and sites:
        clean = head_outputs(model, patch_from if method == "patch" else encoder_ids, decoder_ids, sites, attention_mask)
        replacement = {where: (outputs.mean(dim=0, keepdim=True) if method == "mean" else outputs) for where, outputs in clean.items()}
    # cross and decoder sites leave the encoder as it is: run it once
    encoded = None if any(site == "encoder" for site, _ in sites) else \
        model.encoder(input_ids=encoder_ids, attention_mask=attention_mask).last_hidden_state
    sets_per_pass = sets_per_pass or len(head_sets)
    results = []
    for start in range(0, len(head_sets), sets_per_pass):
        chunk = head_sets[start:start + sets_per_pass]
        tiles = len(chunk)
        keep = _keep_masks(model, chunk, batch)
        tiled_replacement = {where: (value if value.shape[0] == 1 else value.repeat(tiles, *[1] * (value.dim() - 1)))
                             for where, value in replacement.items()}
        tile = (lambda tensor: tensor.repeat(tiles, *[1] * (tensor.dim() - 1)))
        with _intervening(model, keep, tiled_replacement), _fixed_cross_projections(model, encoded, tile):
            logits = _logits(model, tile(encoder_ids), tile(decoder_ids), tile(attention_mask), None if encoded is None else tile(encoded),
                             position=position)
        log_probs = torch.log_softmax(logits, dim=-1)
        picked = log_probs.gather(-1, tile(targets)[..., None])[..., 0]
        results.append(picked.view(tiles, batch, -1).cpu())
    return torch.cat(results, dim=0)
