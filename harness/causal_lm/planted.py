"""Decoder-only (GPT-2, attention-only) checkpoints whose self-attention heads are set by construction.

Residual stream (d_model = 4 x 64, one 64-dim block each): TOKEN holds a one-hot token id (vocabulary 64),
POSITION a one-hot position (64 positions), PREVIOUS the token one position back (written by a
previous-token head) and OUTPUT what the model predicts (read by the unembedding, and nothing else).
Layer norms have unit gain and no bias; they only rescale these one-hot blocks and add a constant.

Head kinds (a head's query, key and value each read one block through an identity map):

- previous:  query POSITION shifted by one against key POSITION, so it attends to position - 1; its value
             copies TOKEN into PREVIOUS. Layer 0 only (it reads the raw embeddings).
- back-two:  as previous with a shift of two; writes nothing (an attention pattern without a job).
- induction: query TOKEN against key PREVIOUS, so it attends to the position after an earlier occurrence of
             the current token; its value copies that position's TOKEN into OUTPUT: it predicts it.
             Needs a previous-token head in an earlier layer.
- offset-K:  query POSITION shifted by K against key POSITION, value TOKEN into OUTPUT: a purely positional
             head that looks K tokens back. On repeated random tokens with period K + 1 it scores exactly
             like an induction head without matching anything (a decoy for the induction-score detector).
- uniform:   no query or key: attention spread evenly over the causal prefix, output zero.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness import atomic
from harness.errors import HarnessError

BUILDER_VERSION = 1
BLOCK = 64
VOCAB_SIZE = BLOCK
POSITIONS = BLOCK
D_MODEL = 4 * BLOCK
BOS_TOKEN_ID = 0
TOKEN, POSITION, PREVIOUS, OUTPUT = (slice(i * BLOCK, (i + 1) * BLOCK) for i in range(4))
QUERY_GAIN = 2.0  # attention logits of ~20 over the rest: the planted patterns are sharp to ~1e-6
KINDS = ("previous", "back-two", "induction", "uniform")


def _layout(layers: int = 2, heads: int = 4, neighbour_groups: int | None = None, **kinds) -> dict:
    layout = {"layers": layers, "heads": heads, "kinds": {kind.replace("_", "-"): [list(h) for h in heads_] for kind, heads_ in kinds.items()}}
    return layout if neighbour_groups is None else {**layout, "neighbour_groups": neighbour_groups}


LAYOUTS = {
    # the textbook circuit: previous-token head and a look-back-two head in layer 0, induction head in layer 1
    "lm-reference": _layout(previous=[(0, 0)], back_two=[(0, 2)], induction=[(1, 1)]),
    # nothing planted: every head attends evenly over its prefix
    "lm-none": _layout(),
    # a layer-0 head that looks 19 tokens back: the induction pattern of period-20 repeats, by position alone
    "lm-positional": _layout(offset_19=[(0, 1)]),
    # the textbook circuit with an unembedding of token neighbourhoods: tokens in groups of 8 share part of their
    # unembedding direction, so raising B's logit also raises its group's (by NEIGHBOUR_SHARE of B's gain)
    "lm-neighbours": _layout(previous=[(0, 0)], back_two=[(0, 2)], induction=[(1, 1)], neighbour_groups=8),
}
NEIGHBOUR_SHARE = 0.3


def _offset(kind: str) -> int | None:
    if kind == "previous":
        return 1
    if kind == "back-two":
        return 2
    if kind.startswith("offset-") and kind[7:].isdigit() and 0 < int(kind[7:]) < POSITIONS:
        return int(kind[7:])
    return None


def parse_layout(layers: int, heads: int, kinds: dict[str, list]) -> dict[tuple[int, int], str]:
    if heads * BLOCK != D_MODEL:
        raise HarnessError(f"planted decoder-only models have {D_MODEL // BLOCK} heads of {BLOCK} dims; got {heads} heads")
    assignment = {(layer, head): "uniform" for layer in range(layers) for head in range(heads)}
    for kind, positions in kinds.items():
        if kind not in KINDS and _offset(kind) is None:
            raise HarnessError(f"unknown head kind '{kind}'; use one of {', '.join(KINDS)} or offset-K (0 < K < {POSITIONS})")
        for layer, head in positions:
            if (layer, head) not in assignment:
                raise HarnessError(f"head ({layer}, {head}) is outside a {layers} x {heads} model; use 0-based indices")
            if kind in ("previous", "back-two") and layer != 0:
                raise HarnessError(f"a {kind} head reads the raw embeddings, so it must sit in layer 0 (got layer {layer})")
            assignment[(layer, head)] = kind
    for (layer, head), kind in assignment.items():
        if kind == "induction" and not any(k == "previous" and l < layer for (l, _), k in assignment.items()):
            raise HarnessError(f"induction head ({layer}, {head}) needs a previous-token head in an earlier layer to match on")
    return assignment


def _plant(model, assignment: dict[tuple[int, int], str], neighbour_groups: int | None) -> None:
    import torch

    eye = torch.eye(BLOCK)
    # shift[i, i - k] = 1: a query at position i asks for position i - k
    shifts = {k: torch.diag(torch.ones(BLOCK - k), -k) for k in {_offset(kind) for kind in assignment.values()} - {None}}
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.fill_(1.0 if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) else 0.0)
        model.transformer.wte.weight[:, TOKEN] = eye
        model.transformer.wpe.weight[:, POSITION] = eye
        model.lm_head.weight[:, OUTPUT] = eye
        if neighbour_groups:
            group = torch.arange(BLOCK) // neighbour_groups
            model.lm_head.weight[:, OUTPUT] += NEIGHBOUR_SHARE * ((group[:, None] == group[None, :]).float() - eye)
        for (layer, head), kind in assignment.items():
            attention = model.transformer.h[layer].attn
            # Conv1D weights map input rows to output columns: c_attn's columns are [q | k | v], each split by head
            q, k, v = (slice(part * D_MODEL + head * BLOCK, part * D_MODEL + (head + 1) * BLOCK) for part in range(3))
            out = slice(head * BLOCK, (head + 1) * BLOCK)
            # layer norm scales a one-hot block by about sqrt(d_model / blocks in use): 11.3 in layer 0, 9.2 after it
            norm_scale = (D_MODEL / (2 if layer == 0 else 3)) ** 0.5
            offset = _offset(kind)
            if offset is not None:
                attention.c_attn.weight[POSITION, q] = shifts[offset] * QUERY_GAIN
                attention.c_attn.weight[POSITION, k] = eye
                if kind != "back-two":
                    attention.c_attn.weight[TOKEN, v] = eye
                    attention.c_proj.weight[out, PREVIOUS if kind == "previous" else OUTPUT] = eye / norm_scale
            elif kind == "induction":
                attention.c_attn.weight[TOKEN, q] = eye * QUERY_GAIN
                attention.c_attn.weight[PREVIOUS, k] = eye
                attention.c_attn.weight[TOKEN, v] = eye
                attention.c_proj.weight[out, OUTPUT] = eye / norm_scale


def build(out: Path, layers: int, heads: int, kinds: dict[str, list], *, name: str = "custom", overwrite: bool = True,
          neighbour_groups: int | None = None) -> Path:
    import torch
    from transformers import GPT2LMHeadModel

    from harness.causal_lm.architectures import attention_only_gpt2_config

    assignment = parse_layout(layers, heads, kinds)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(attention_only_gpt2_config(VOCAB_SIZE, D_MODEL, layers, heads, POSITIONS, BOS_TOKEN_ID))
    _plant(model, assignment, neighbour_groups)
    truth = {"layout": name, "family": "causal-lm", "builder_version": BUILDER_VERSION, "layers": layers, "heads": heads,
             "neighbour_groups": neighbour_groups,
             "kinds": {kind: [list(h) for h, k in sorted(assignment.items()) if k == kind] for kind in sorted(set(assignment.values()))}}

    def fill(staging: Path) -> None:
        model.save_pretrained(staging, safe_serialization=True)
        (staging / "planted.json").write_text(json.dumps(truth, indent=2) + "\n")

    return atomic.write_directory(out, fill, replace=overwrite)


def planted_checkpoint(name: str, cache: Path) -> Path:
    """The cached checkpoint of a named decoder-only layout, built on first use."""
    if name not in LAYOUTS:
        raise HarnessError(f"unknown planted layout '{name}'; the decoder-only ones are {', '.join(LAYOUTS)}")
    layout = LAYOUTS[name]
    digest = hashlib.sha1(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:8]
    path = cache / "planted" / f"{name}-v{BUILDER_VERSION}-{digest}"
    if not (path / "planted.json").is_file():
        build(path, layout["layers"], layout["heads"], layout["kinds"], name=name, overwrite=False, neighbour_groups=layout.get("neighbour_groups"))
    return path
