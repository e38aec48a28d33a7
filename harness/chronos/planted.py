"""Chronos-T5 checkpoints whose cross-attention heads are induction heads by construction.

Residual stream (d_model = 4 x 64): block A holds the token's identity (a random unit vector per token),
B the identity of the previous token, C that of the next token, and one constant dimension.
Encoder layer 0 fills B and C with two heads driven only by relative position bias (offset -1 and +1).
Every other sublayer writes nothing, so each decoder layer sees the decoder token's identity in A.
A decoder cross-attention head then matches the decoder token against an encoder block:

- current: against A, so it attends to earlier occurrences of the token (1/repetitions each on RRT);
- right:   against B, so it attends to the positions just after those occurrences;
- left:    against C, the positions just before them: a decoy one position off;
- eos:     a constant query against the EOS identity: a sharp attention sink that is not induction;
- value:   a constant query against a smooth feature of the token's bin value, so the row is a
           softmax of the series value (used for the multisine claims; only layouts with such a head
           carry the feature);
- uniform: no query or key, so the row is uniform.

A checkpoint is an ordinary directory (config.json with chronos_config, model.safetensors) plus
planted.json, the ground truth.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from harness import atomic
from harness.chronos.architectures import save_checkpoint, t5_config
from harness.errors import HarnessError

KINDS = ("current", "right", "left", "eos", "value", "uniform")
INDUCTION_KINDS = ("current", "right")
BUILDER_VERSION = 1
ID_DIM = 64
D_MODEL = 4 * ID_DIM
IDENTITY, PREVIOUS, NEXT = slice(0, ID_DIM), slice(ID_DIM, 2 * ID_DIM), slice(2 * ID_DIM, 3 * ID_DIM)
CONSTANT = 3 * ID_DIM
SMOOTH = CONSTANT + 1
SMOOTH_SCALE = 0.25  # feature = 0.25 * bin centre, clipped to +/-1: small beside the unit identity
VALUE_SHARPNESS = 2.0  # logit change per unit of mean-scaled value
# T5's bidirectional relative-position buckets (32 buckets): offset -1 falls in bucket 1, offset +1 in bucket 17.
BUCKET_PREVIOUS, BUCKET_NEXT = 1, 17
POSITION_BIAS = 30.0
EOS_TOKEN_ID = 1



def _layout(layers, heads, identity_tokens=None, **kinds) -> dict:
    layout = {"layers": layers, "heads": heads, "kinds": {kind: [list(h) for h in kinds.get(kind, [])] for kind in KINDS if kind != "uniform"}}
    return layout if identity_tokens is None else {**layout, "identity_tokens": list(identity_tokens)}


DECOYS = {"left": [(2, 0), (3, 3)], "eos": [(2, 2), (3, 1)]}
LAYOUTS = {
    # current-token heads early, right-token heads late: the picture the original study reports
    "reference": _layout(6, 4, current=[(0, 1), (0, 3), (1, 0), (1, 2)], right=[(4, 0), (4, 2), (5, 1), (5, 3), (3, 2)], **DECOYS),
    # the same heads with the layers swapped
    "swapped": _layout(6, 4, current=[(4, 0), (4, 2), (5, 1), (5, 3), (3, 2)], right=[(0, 1), (0, 3), (1, 0), (1, 2)], **DECOYS),
    # decoys only: sharp heads, none of them induction heads
    "none": _layout(6, 4, **DECOYS),
    # heads that read the series value smoothly, beside induction heads and decoys
    "multisine": _layout(4, 4, value=[(0, 0), (1, 2), (2, 1), (3, 3)]),
    # the reference heads, but only tokens 1911-2187 (where mean-scaled inputs land) have identities of their own: every
    # other token shares one, so matching finds their occurrences only inside that range
    "common-tokens": _layout(6, 4, identity_tokens=(1911, 2187), current=[(0, 1), (0, 3), (1, 0), (1, 2)],
                             right=[(4, 0), (4, 2), (5, 1), (5, 3), (3, 2)], **DECOYS),
    # nothing but uniform heads: no attention row varies
    "uniform": _layout(2, 4),
    # two right-token heads among uniform ones: the only heads with an RRT score above chance are the only heads whose
    # attention over a multisine varies (they match the decoder token's identity sharply, so their rows are peaked)
    "two-right": _layout(2, 4, right=[(1, 0), (1, 1)]),
}
RANDOM_LAYOUT = "random"  # same architecture, default T5 initialisation, nothing planted


def parse_layout(layers: int, heads: int, kinds: dict[str, list]) -> dict[tuple[int, int], str]:
    """Validate a layout and map every (layer, head) to its kind; unlisted heads are uniform."""
    if layers < 1 or heads < 2:
        raise HarnessError(f"a planted model needs at least 1 layer and 2 heads (got {layers} x {heads}); encoder layer 0 uses two heads")
    assignment = {(layer, head): "uniform" for layer in range(layers) for head in range(heads)}
    for kind, positions in kinds.items():
        if kind not in KINDS:
            raise HarnessError(f"unknown head kind '{kind}'; use one of {', '.join(KINDS)}")
        for layer, head in positions:
            if (layer, head) not in assignment:
                raise HarnessError(f"head ({layer}, {head}) is outside a {layers} x {heads} model; use 0-based layer and head indices")
            if assignment[(layer, head)] != "uniform":
                raise HarnessError(f"head ({layer}, {head}) is planted twice ({assignment[(layer, head)]} and {kind}); give each head one kind")
            assignment[(layer, head)] = kind
    return assignment


def _plant(model, assignment: dict[tuple[int, int], str], seed: int, sharpness: float, identity_tokens: tuple[int, int] | None) -> None:
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.fill_(1.0 if "layer_norm" in name else 0.0)
        identities = torch.randn(model.config.vocab_size, ID_DIM, generator=generator)
        identities /= identities.norm(dim=1, keepdim=True)
        if identity_tokens is not None:  # tokens outside the range (special tokens kept) share the identity of token 2
            low, high = identity_tokens
            outside = torch.ones(model.config.vocab_size, dtype=torch.bool)
            outside[:2] = outside[low : high + 1] = False
            identities[outside] = identities[2].clone()
        model.shared.weight[:, IDENTITY] = identities
        model.shared.weight[:, CONSTANT] = 1.0
        if "value" in assignment.values():
            centres = -15.0 + (torch.arange(model.config.vocab_size, dtype=torch.float32) - 3) * 30.0 / 4092
            model.shared.weight[:, SMOOTH] = torch.clamp(SMOOTH_SCALE * centres, -1.0, 1.0)
            model.shared.weight[:2, SMOOTH] = 0.0  # PAD and EOS carry no value

        # RMS norm scales a unit identity plus the unit constant by sqrt(d_model / 2)
        embedding_scale = math.sqrt(D_MODEL / 2)
        eye = torch.eye(ID_DIM)
        copy_heads = model.encoder.block[0].layer[0].SelfAttention
        copy_heads.v.weight[0:ID_DIM, IDENTITY] = eye
        copy_heads.v.weight[ID_DIM : 2 * ID_DIM, IDENTITY] = eye
        copy_heads.o.weight[PREVIOUS, 0:ID_DIM] = eye / embedding_scale
        copy_heads.o.weight[NEXT, ID_DIM : 2 * ID_DIM] = eye / embedding_scale
        copy_heads.relative_attention_bias.weight[BUCKET_PREVIOUS, 0] = POSITION_BIAS
        copy_heads.relative_attention_bias.weight[BUCKET_NEXT, 1] = POSITION_BIAS

        # encoder output: identity, previous, next and constant, each of unit norm, RMS-normalised
        encoder_scale = math.sqrt(D_MODEL / 4)
        key_gain = sharpness / (embedding_scale * encoder_scale)
        for (layer, head), kind in assignment.items():
            cross = model.decoder.block[layer].layer[1].EncDecAttention
            rows = slice(head * ID_DIM, (head + 1) * ID_DIM)
            if kind in ("current", "right", "left"):
                block = {"current": IDENTITY, "right": PREVIOUS, "left": NEXT}[kind]
                cross.q.weight[rows, IDENTITY] = eye
                cross.k.weight[rows, block] = eye * key_gain
            elif kind == "value":
                cross.q.weight[head * ID_DIM, CONSTANT] = 1.0
                cross.k.weight[head * ID_DIM, SMOOTH] = VALUE_SHARPNESS / (SMOOTH_SCALE * embedding_scale * encoder_scale)
            elif kind == "eos":
                cross.q.weight[head * ID_DIM, CONSTANT] = 1.0
                cross.k.weight[head * ID_DIM, IDENTITY] = identities[EOS_TOKEN_ID] * key_gain


def build_planted(out: Path, layers: int, heads: int, kinds: dict[str, list], *, seed: int = 0, sharpness: float = 40.0,
                  name: str = "custom", overwrite: bool = True, identity_tokens: tuple[int, int] | None = None) -> Path:
    """Write a planted checkpoint directory at ``out``; with overwrite=False an existing one (built by another process) is kept."""
    import torch
    from transformers import T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    assignment = parse_layout(layers, heads, kinds)
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(t5_config(D_MODEL, 4 * D_MODEL, layers, heads, ID_DIM))
    if name != RANDOM_LAYOUT:
        _plant(model, assignment, seed, sharpness, identity_tokens)
    truth = {
        "layout": name,
        "builder_version": BUILDER_VERSION,
        "layers": layers,
        "heads": heads,
        "seed": seed,
        "sharpness": None if name == RANDOM_LAYOUT else sharpness,
        "identity_tokens": list(identity_tokens) if identity_tokens else None,
        "kinds": {kind: [list(h) for h, k in sorted(assignment.items()) if k == kind] for kind in KINDS}
        if name != RANDOM_LAYOUT
        else {},
    }

    def fill(staging: Path) -> None:
        save_checkpoint(model, staging)
        (staging / "planted.json").write_text(json.dumps(truth, indent=2) + "\n")

    return atomic.write_directory(out, fill, replace=overwrite)


def build_named(name: str, out: Path, seed: int = 0, overwrite: bool = True) -> Path:
    if name == RANDOM_LAYOUT:
        layout = {**LAYOUTS["reference"], "kinds": {}}
    elif name in LAYOUTS:
        layout = LAYOUTS[name]
    else:
        raise HarnessError(f"unknown planted layout '{name}'; use one of {', '.join([*LAYOUTS, RANDOM_LAYOUT])}")
    return build_planted(out, layout["layers"], layout["heads"], layout["kinds"], seed=seed, name=name, overwrite=overwrite,
                         identity_tokens=layout.get("identity_tokens"))


def planted_checkpoint(name: str, cache: Path) -> Path:
    """The cached checkpoint of a named layout, built on first use."""
    layout = LAYOUTS.get(name, {})
    digest = hashlib.sha1(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:8]
    path = cache / "planted" / f"{name}-v{BUILDER_VERSION}-{digest}"
    if not (path / "planted.json").is_file():
        build_named(name, path, overwrite=False)
    return path
