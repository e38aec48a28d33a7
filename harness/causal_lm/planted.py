"""Decoder-only (GPT-2, attention-only) checkpoints whose self-attention heads are set by construction.

Residual stream (d_model = 4 x 64, one 64-dim block each): TOKEN holds a one-hot token id (vocabulary 64),
POSITION a one-hot position (64 positions), PREVIOUS the token one position back (written by a
previous-token head) and OUTPUT what the model predicts (read by the unembedding, and nothing else).
Layer norms have unit gain and no bias; they only rescale these one-hot blocks and add a constant.

Head kinds (a head's query, key and value each read one block through an identity map):

- previous:  query POSITION shifted by one against key POSITION, so it attends to position - 1; its value
             copies TOKEN into PREVIOUS. Layer 0 only (it reads the raw embeddings).
- back-two:  as previous with a shift of two; writes nothing (an attention pattern without a job).
- spread-two: a positional head spread over the previous five tokens and peaking two back (weights SPREAD_TWO on
             offsets 1-5, the look-back head the source describes: "distributes its attention over the previous 4-5
             tokens, peaking at two back"); writes nothing. Layer 0 only.
- induction: query TOKEN against key PREVIOUS, so it attends to the position after an earlier occurrence of
             the current token; its value copies that position's TOKEN into OUTPUT: it predicts it.
             Needs a previous-token head in an earlier layer.
- offset-K:  query POSITION shifted by K against key POSITION, value TOKEN into OUTPUT: a purely positional
             head that looks K tokens back. On repeated random tokens with period K + 1 it scores exactly
             like an induction head without matching anything (a decoy for the induction-score detector).
- uniform:   no query or key: attention spread evenly over the causal prefix, output zero.

A layout may gate heads (``gated``: [layer, head, n]): the head behaves as planted only for queries whose token is
1..n; every other query attends to BOS (position 0, or for an induction head the positions whose previous token is
BOS) instead. A gated head's score varies from sequence to sequence with the share of its tokens in the sequence, so
its interval can be made to contain a claim's threshold (the straddling cells of the ground truth).
``neighbour_share`` sets how much of B's unembedding direction its group of ``neighbour_groups`` shares.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness import atomic
from harness.errors import HarnessError

BUILDER_VERSION = 3
BLOCK = 64
VOCAB_SIZE = BLOCK
POSITIONS = BLOCK
D_MODEL = 4 * BLOCK
BOS_TOKEN_ID = 0
TOKEN, POSITION, PREVIOUS, OUTPUT = (slice(i * BLOCK, (i + 1) * BLOCK) for i in range(4))
QUERY_GAIN = 2.0  # attention logits of ~20 over the rest: the planted patterns are sharp to ~1e-6
KINDS = ("previous", "back-two", "spread-two", "induction", "uniform")
# the spread-two head's attention over offsets 1-5: peaks two back, spread over five tokens (effective number 4.3)
SPREAD_TWO = (0.2, 0.35, 0.2, 0.15, 0.1)
SPREAD_LOGIT = 14.0  # the smallest offset's logit above the rest of the row: weight off offsets 1-5 is ~1e-5
GATE_GAIN = 2 * QUERY_GAIN  # a gated head's pull to BOS for tokens outside its set, above its planted pattern


NEIGHBOUR_SHARE = 0.6
FAINT_NEIGHBOUR_SHARE = 0.35
GATED_INDUCTION_TOKENS = 25
RARE_INDUCTION_TOKENS = 2
GATED_PREVIOUS_TOKENS = 25
GATED_SPREAD_TOKENS = 32


def _layout(layers: int = 2, heads: int = 4, neighbour_groups: int | None = None, neighbour_share: float | None = None,
            gated=(), **kinds) -> dict:
    layout = {"layers": layers, "heads": heads, "kinds": {kind.replace("_", "-"): [list(h) for h in heads_] for kind, heads_ in kinds.items()}}
    if neighbour_groups is not None:
        layout["neighbour_groups"] = neighbour_groups
    if neighbour_share is not None:
        layout["neighbour_share"] = neighbour_share
    if gated:
        layout["gated"] = [list(g) for g in gated]
    return layout


LAYOUTS = {
    # the textbook circuit: previous-token head and a look-back head (spread over five tokens, peaking two back) in
    # layer 0, induction head in layer 1
    "lm-reference": _layout(previous=[(0, 0)], spread_two=[(0, 2)], induction=[(1, 1)]),
    # nothing planted: every head attends evenly over its prefix
    "lm-none": _layout(),
    # a layer-0 head that looks 19 tokens back: the induction pattern of period-20 repeats, by position alone
    "lm-positional": _layout(offset_19=[(0, 1)]),
    # the textbook circuit with an unembedding of token neighbourhoods: tokens in groups of 8 share part of their
    # unembedding direction, so raising B's logit also raises its group's. A share of 0.6 puts the neighbours' strength
    # about half-way between random tokens' and B's (the source's "roughly half-way"); 0.3 put it at ~0.2 of the way
    "lm-neighbours": _layout(previous=[(0, 0)], spread_two=[(0, 2)], induction=[(1, 1)], neighbour_groups=8, neighbour_share=NEIGHBOUR_SHARE),
    # the same with a fainter neighbourhood, tuned so the neighbours' position sits at the edge of L7's band
    "lm-faint-neighbours": _layout(previous=[(0, 0)], spread_two=[(0, 2)], induction=[(1, 1)], neighbour_groups=8,
                                   neighbour_share=FAINT_NEIGHBOUR_SHARE),
    # the textbook circuit with a sharp look-back-two head (all its weight two back): a peak two back but no spread
    "lm-sharp-two": _layout(previous=[(0, 0)], back_two=[(0, 2)], induction=[(1, 1)]),
    # an induction head that works for tokens 1-25 only (25 of 63): its induction score and the share of tokens with an
    # A-power sit near 0.4, straddling L1's threshold and L6's share
    "lm-gated": _layout(previous=[(0, 0)], induction=[(1, 1)], gated=[(1, 1, GATED_INDUCTION_TOKENS)]),
    # an induction head that works for token 1 and 2 only: [B] beats [D] at pattern length 2 in a few sequences only
    "lm-rare-induction": _layout(previous=[(0, 0)], induction=[(1, 1)], gated=[(1, 1, RARE_INDUCTION_TOKENS)]),
    # layer-0 heads that work for part of the tokens: a previous-token head and a spread look-back head whose scores
    # straddle L2's and L5's bars
    "lm-gated-layer-0": _layout(previous=[(0, 0)], spread_two=[(0, 2)], gated=[(0, 0, GATED_PREVIOUS_TOKENS), (0, 2, GATED_SPREAD_TOKENS)]),
}


def _offset(kind: str) -> int | None:
    if kind == "previous":
        return 1
    if kind in ("back-two", "spread-two"):
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
            if kind in ("previous", "back-two", "spread-two") and layer != 0:
                raise HarnessError(f"a {kind} head reads the raw embeddings, so it must sit in layer 0 (got layer {layer})")
            assignment[(layer, head)] = kind
    for (layer, head), kind in assignment.items():
        if kind == "induction" and not any(k == "previous" and l < layer for (l, _), k in assignment.items()):
            raise HarnessError(f"induction head ({layer}, {head}) needs a previous-token head in an earlier layer to match on")
    return assignment


def parse_gates(assignment: dict[tuple[int, int], str], gated) -> dict[tuple[int, int], int]:
    gates = {}
    for layer, head, tokens in gated or ():
        if assignment.get((layer, head), "uniform") == "uniform":
            raise HarnessError(f"gated head ({layer}, {head}) is not planted; give it a kind first")
        if not 0 < int(tokens) < VOCAB_SIZE - 1:
            raise HarnessError(f"gated head ({layer}, {head}): {tokens} tokens; use 1-{VOCAB_SIZE - 2}")
        gates[(layer, head)] = int(tokens)
    return gates


def _plant(model, assignment: dict[tuple[int, int], str], neighbour_groups: int | None, neighbour_share: float = NEIGHBOUR_SHARE,
           gates: dict[tuple[int, int], int] | None = None) -> None:
    import math

    import torch

    eye = torch.eye(BLOCK)
    # shift[i, i - k] = 1: a query at position i asks for position i - k
    offsets = {_offset(kind) for kind in assignment.values()} - {None}
    if "spread-two" in assignment.values():
        offsets |= set(range(1, len(SPREAD_TWO) + 1))
    shifts = {k: torch.diag(torch.ones(BLOCK - k), -k) for k in offsets}
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.fill_(1.0 if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) else 0.0)
        model.transformer.wte.weight[:, TOKEN] = eye
        model.transformer.wpe.weight[:, POSITION] = eye
        model.lm_head.weight[:, OUTPUT] = eye
        if neighbour_groups:
            group = torch.arange(BLOCK) // neighbour_groups
            model.lm_head.weight[:, OUTPUT] += neighbour_share * ((group[:, None] == group[None, :]).float() - eye)
        for (layer, head), kind in assignment.items():
            attention = model.transformer.h[layer].attn
            # Conv1D weights map input rows to output columns: c_attn's columns are [q | k | v], each split by head
            q, k, v = (slice(part * D_MODEL + head * BLOCK, part * D_MODEL + (head + 1) * BLOCK) for part in range(3))
            out = slice(head * BLOCK, (head + 1) * BLOCK)
            # layer norm scales a one-hot block by about sqrt(d_model / blocks in use): 11.3 in layer 0, 9.2 after it
            norm_scale = (D_MODEL / (2 if layer == 0 else 3)) ** 0.5
            offset = _offset(kind)
            if kind == "spread-two":
                # logits log(weight) above the rest of the row; a unit of query weight gives QUERY_GAIN / 2 x 16 logits
                smallest = min(SPREAD_TWO)
                query = sum(shifts[k] * (SPREAD_LOGIT + math.log(w / smallest)) / 16.0 for k, w in enumerate(SPREAD_TWO, start=1))
                attention.c_attn.weight[POSITION, q] = query
                attention.c_attn.weight[POSITION, k] = eye
            elif offset is not None:
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
            tokens = (gates or {}).get((layer, head))
            if tokens is not None:
                # queries from tokens outside 1..tokens pull to key dimension 0: position 0 (BOS) for a positional head,
                # the positions whose previous token is BOS for an induction head. The weights sum to zero over the token
                # block, so the small negative value layer norm leaves on every other token dimension adds nothing
                outside = BLOCK - tokens - 1
                attention.c_attn.weight[TOKEN.start + tokens + 1 : TOKEN.stop, q.start] += GATE_GAIN
                attention.c_attn.weight[TOKEN.start : TOKEN.start + tokens + 1, q.start] -= GATE_GAIN * outside / (tokens + 1)


def build(out: Path, layers: int, heads: int, kinds: dict[str, list], *, name: str = "custom", overwrite: bool = True,
          neighbour_groups: int | None = None, neighbour_share: float | None = None, gated=()) -> Path:
    import torch
    from transformers import GPT2LMHeadModel

    from harness.causal_lm.architectures import attention_only_gpt2_config

    assignment = parse_layout(layers, heads, kinds)
    gates = parse_gates(assignment, gated)
    share = NEIGHBOUR_SHARE if neighbour_share is None else float(neighbour_share)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(attention_only_gpt2_config(VOCAB_SIZE, D_MODEL, layers, heads, POSITIONS, BOS_TOKEN_ID))
    _plant(model, assignment, neighbour_groups, share, gates)
    truth = {"layout": name, "family": "causal-lm", "builder_version": BUILDER_VERSION, "layers": layers, "heads": heads,
             "neighbour_groups": neighbour_groups, "neighbour_share": share if neighbour_groups else None,
             "gated": [[layer, head, tokens] for (layer, head), tokens in sorted(gates.items())],
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
        build_layout(path, name, overwrite=False)
    return path


def build_layout(out: Path, name: str, *, overwrite: bool = True) -> Path:
    """Build the named decoder-only layout at ``out``, with every key of its layout."""
    layout = LAYOUTS[name]
    return build(out, layout["layers"], layout["heads"], layout["kinds"], name=name, overwrite=overwrite,
                 neighbour_groups=layout.get("neighbour_groups"), neighbour_share=layout.get("neighbour_share"), gated=layout.get("gated", ()))
