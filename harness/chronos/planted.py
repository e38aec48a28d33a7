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
- gentle:  as value, but so weak that the row is close to linear in the series value;
- uniform: no query or key, so the row is uniform.
- sharp:   as value, four times as sharp: on a multisine the row is a train of pulses at the series' highest values,
           one per period of its fundamental (the multisine claims' layouts only);
- position: a constant query against the encoder's distance-from-EOS feature (it takes a linear distance term): the
           row decays smoothly with the distance from EOS and reads nothing of the series' values.

A layout with ``silent_start`` gives the decoder start token (0) no identity: a current or right head's query at decoder
position 0, where the multisine claims read the attention, is then zero and its row uniform, while RRT (which reads
decoder position 1) is unchanged.

A current or right head may also carry a distance term: its key adds strength x h(d), where d is the
encoder position's distance from EOS. Encoder layer 0's third head spreads over the positions to its
right and reads an EOS flag, so it writes 1/d; the layer's feed-forward turns 1/d into h(d), linear
(-d: recent copies preferred, more so the longer the sequence) or logarithmic (+log d: older copies
preferred, more so the more copies there are), interpolated exactly at d = 1..128.

With ``writes``, the current and right heads also write what they find: the token after the matched
occurrence (read from the encoder's next-token block, or the identity at the right position), a little
of it into the decoder's next-token block, which no query reads; the last decoder layer's feed-forward
amplifies that block into the identity block, and the final norm sharpens the logits, so the model
predicts S[2] after S[1] and ablating those heads removes the prediction. Without it every head
attends the same and writes nothing.

``encoder_prefix`` heads are encoder self-attention heads (layer 1 or later, a head index that encoder
layer 0 does not use) that match a token against the previous-token block and never look right: from
each token to the token after its previous occurrence (prefix matching). They write nothing.

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

KINDS = ("current", "right", "left", "eos", "value", "gentle", "uniform")
EXTRA_KINDS = ("sharp", "position")  # in a layout (and its cache key) only where planted, so older layouts keep their keys
INDUCTION_KINDS = ("current", "right")
BUILDER_VERSION = 4
ID_DIM = 64
D_MODEL = 4 * ID_DIM
IDENTITY, PREVIOUS, NEXT = slice(0, ID_DIM), slice(ID_DIM, 2 * ID_DIM), slice(2 * ID_DIM, 3 * ID_DIM)
CONSTANT = 3 * ID_DIM
SMOOTH = CONSTANT + 1
SMOOTH_SCALE = 0.25  # feature = 0.25 * bin centre, clipped to +/-1: small beside the unit identity
VALUE_SHARPNESS = 2.0  # logit change per unit of mean-scaled value
GENTLE_SHARPNESS = 0.25  # small enough that the row is close to linear in the value: its spectrum has lines at the k_i only
SHARP_SHARPNESS = 8.0  # large enough that the row keeps one pulse per fundamental period, small enough that pulses span samples
END_FLAG = SMOOTH + 1  # 1 on EOS only (layouts with distance terms)
RECIPROCAL_DISTANCE = SMOOTH + 2
DISTANCE_FEATURES = {"linear": SMOOTH + 3, "log": SMOOTH + 4}
DISTANCE_FEATURE_SCALE = 1e-3  # keeps h(d) small in the residual, so RMS norm leaves the unit blocks as they were
DISTANCE_KNOTS = 128
WRITE_SCALE = 0.05  # what one writing head adds: small, so later queries (RMS-normalised) barely change
WRITE_GAIN = 4.0  # the last decoder feed-forward's amplification of the written block
LOGIT_SHARPNESS = 20.0  # final decoder norm weight on the identity block: the copied token's logit
# T5's bidirectional relative-position buckets (32 buckets): offset -1 falls in bucket 1, offset +1 in bucket 17.
BUCKET_PREVIOUS, BUCKET_NEXT = 1, 17
BUCKETS_RIGHT = slice(17, 32)
POSITION_BIAS = 30.0
EOS_TOKEN_ID = 1



def _layout(layers, heads, identity_tokens=None, distance=None, writes=False, encoder_prefix=(), silent_start=False, **kinds) -> dict:
    layout = {"layers": layers, "heads": heads, "kinds": {kind: [list(h) for h in kinds.get(kind, [])] for kind in KINDS if kind != "uniform"}}
    layout["kinds"].update({kind: [list(h) for h in kinds[kind]] for kind in EXTRA_KINDS if kinds.get(kind)})
    if silent_start:
        layout["silent_start"] = True
    if distance:
        layout["distance"] = {shape: [list(entry) for entry in entries] for shape, entries in distance.items()}
    if writes:
        layout["writes"] = True
    if encoder_prefix:
        layout["encoder_prefix"] = [list(h) for h in encoder_prefix]
    return layout if identity_tokens is None else {**layout, "identity_tokens": list(identity_tokens)}


def _graded(shape: str, strengths: tuple[float, ...]) -> dict:
    """A current and a right head at each strength, two strengths per layer: (layer, head, strength) per head."""
    heads = [(index // 2, 2 * (index % 2) + offset) for index in range(len(strengths)) for offset in (0, 1)]
    current, right = heads[0::2], heads[1::2]
    return {"current": current, "right": right,
            "distance": {shape: [(*head, strength) for strength, pair in zip(strengths, zip(current, right)) for head in pair]}}


DECOYS = {"left": [(2, 0), (3, 3)], "eos": [(2, 2), (3, 1)]}
PREFIX_STRADDLE_SHARPNESS = 1.847  # C14's faint prefix head: RRT score 0.300, CI about +-0.002 (tuned on the prefix-faint layout)
REFERENCE_HEADS = {"current": [(0, 1), (0, 3), (1, 0), (1, 2)], "right": [(4, 0), (4, 2), (5, 1), (5, 3), (3, 2)]}
LAYOUTS = {
    # current-token heads early, right-token heads late: the picture the original study reports
    "reference": _layout(6, 4, current=[(0, 1), (0, 3), (1, 0), (1, 2)], right=[(4, 0), (4, 2), (5, 1), (5, 3), (3, 2)], **DECOYS),
    # the reference heads, and they write the token they find: ablating them removes the model's prediction of S[2]
    "copying": _layout(6, 4, writes=True, **REFERENCE_HEADS, **DECOYS),
    # the reference heads, and encoder heads that do prefix matching (from a token to the token after its previous occurrence)
    "prefix": _layout(6, 4, encoder_prefix=[(1, 3), (2, 3), (4, 3)], **REFERENCE_HEADS, **DECOYS),
    # one weak encoder prefix-matching head (key sharpness PREFIX_STRADDLE_SHARPNESS, not 40): its score sits at C14's threshold
    # 0.3, with a CI that contains it
    "prefix-faint": _layout(6, 4, encoder_prefix=[(2, 3, PREFIX_STRADDLE_SHARPNESS)], **REFERENCE_HEADS, **DECOYS),
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
    # sixteen right-token heads and no current-token head: enough heads for "almost all" to clear its Wilson bound
    "right-heavy": _layout(6, 4, right=[(layer, head) for layer in range(2, 6) for head in range(4)], left=[(0, 0)]),
    # the reference heads, but only about half of the RRT tokens (1911-2060) have identities of their own: a head finds its
    # token's occurrence in those sequences and spreads over the tokens without one in the rest, so every induction
    # score sits near 0.3 and varies from sequence to sequence (a score whose interval straddles C1's threshold)
    "half-identity": _layout(6, 4, identity_tokens=(1911, 2060), **REFERENCE_HEADS, **DECOYS),
    # two current-token heads in the first layer, two right-token heads in the last: complete separation, but an exact rank
    # test of 2 + 2 heads cannot go below p = 1/6
    "two-and-two": _layout(4, 4, current=[(0, 1), (0, 3)], right=[(3, 0), (3, 2)]),
    # nothing but uniform heads: no attention row varies
    "uniform": _layout(2, 4),
    # induction heads that prefer recent copies, more strongly the longer the sequence: counts rise with sequence length
    "recent": _layout(2, 4, **_graded("linear", (0.1, 0.2, 0.4))),
    # induction heads that prefer older copies, more strongly the longer the sequence: counts fall with sequence length
    "late": _layout(2, 4, **_graded("linear", (-0.1, -0.2, -0.4))),
    # induction heads that prefer older copies, more strongly the more copies there are: counts fall with repetitions
    "early": _layout(2, 4, **_graded("log", (0.5, 1.0, 2.0))),
    # heads whose row is nearly linear in the series value
    "gentle": _layout(4, 4, gentle=[(layer, head) for layer in range(4) for head in range(4)]),
    # two right-token heads among uniform ones: the only heads with an RRT score above chance are the only heads whose
    # attention over a multisine varies (they match the decoder token's identity sharply, so their rows are peaked)
    "two-right": _layout(2, 4, right=[(1, 0), (1, 1)]),
    # one right-token head among uniform ones: a random set of one head in eight matches it with p = 1/8, above alpha
    "one-right": _layout(2, 4, right=[(1, 0)]),
    # heads that read the series value sharply: one pulse of attention per period of the fundamental
    "sharp": _layout(4, 4, sharp=[(layer, head) for layer in range(4) for head in range(4)]),
    # three gentle heads among uniform ones: 3 of 3 agreeing heads give a Wilson lower bound of 0.44, below the bar of 0.5
    "three-gentle": _layout(2, 4, gentle=[(0, 0), (0, 1), (1, 0)]),
    # heads that read nothing of the series: rows that decay smoothly with the distance from EOS, at four rates
    "positional": _layout(2, 4, position=[(layer, head) for layer in range(2) for head in range(4)],
                          distance={"linear": [(layer, head, 0.005 * 2 ** head) for layer in range(2) for head in range(4)]}),
    # eight right-token heads, silent at decoder position 0, and eight heads that read the series value: the heads with
    # the largest spectral amplitude on a multisine are none of the induction heads
    "value-decoys": _layout(4, 4, silent_start=True, value=[(layer, head) for layer in range(2) for head in range(4)],
                            right=[(layer, head) for layer in range(2, 4) for head in range(4)]),
}
RANDOM_LAYOUT = "random"  # same architecture, default T5 initialisation, nothing planted


def parse_layout(layers: int, heads: int, kinds: dict[str, list]) -> dict[tuple[int, int], str]:
    """Validate a layout and map every (layer, head) to its kind; unlisted heads are uniform."""
    if layers < 1 or heads < 2:
        raise HarnessError(f"a planted model needs at least 1 layer and 2 heads (got {layers} x {heads}); encoder layer 0 uses two heads")
    assignment = {(layer, head): "uniform" for layer in range(layers) for head in range(heads)}
    for kind, positions in kinds.items():
        if kind not in KINDS + EXTRA_KINDS:
            raise HarnessError(f"unknown head kind '{kind}'; use one of {', '.join(KINDS + EXTRA_KINDS)}")
        for layer, head in positions:
            if (layer, head) not in assignment:
                raise HarnessError(f"head ({layer}, {head}) is outside a {layers} x {heads} model; use 0-based layer and head indices")
            if assignment[(layer, head)] != "uniform":
                raise HarnessError(f"head ({layer}, {head}) is planted twice ({assignment[(layer, head)]} and {kind}); give each head one kind")
            assignment[(layer, head)] = kind
    return assignment


def parse_distance(assignment: dict[tuple[int, int], str], heads: int, distance: dict[str, list] | None) -> dict[tuple[int, int], tuple[str, float]]:
    """Map each head with a distance term to (shape, strength); only current and right heads take one."""
    terms = {}
    for shape, entries in (distance or {}).items():
        if shape not in DISTANCE_FEATURES:
            raise HarnessError(f"unknown distance shape '{shape}'; use one of {', '.join(DISTANCE_FEATURES)}")
        for layer, head, strength in entries:
            if assignment.get((layer, head)) not in (*INDUCTION_KINDS, "position"):
                raise HarnessError(f"head ({layer}, {head}) has a distance term but is not a current, right or position head; plant it as one first")
            terms[(layer, head)] = (shape, float(strength))
    if terms and heads < 3:
        raise HarnessError(f"distance terms need 3 or more heads per layer (got {heads}); encoder layer 0 uses three heads")
    return terms


def parse_encoder_prefix(layers: int, heads: int, prefix, distance_terms: bool) -> list[tuple[int, int]]:
    """Validate encoder prefix-matching heads: layer 1 or later (they read the previous-token block layer 0 writes), and a
    head index whose relative position bias encoder layer 0 does not use."""
    reserved = 3 if distance_terms else 2
    positions = [tuple(h) for h in (prefix or [])]  # (layer, head) or (layer, head, key sharpness) for a head of its own strength
    for layer, head, *strength in positions:
        if strength and not (len(strength) == 1 and strength[0] > 0):
            raise HarnessError(f"encoder prefix head ({layer}, {head}): give [layer, head] or [layer, head, sharpness > 0], not {list(strength)}")
        if not (1 <= layer < layers and reserved <= head < heads):
            raise HarnessError(f"encoder prefix head ({layer}, {head}) needs layer 1-{layers - 1} and head {reserved}-{heads - 1}; "
                               f"encoder layer 0 and heads 0-{reserved - 1} carry the position features")
    return positions


def distance_feature_weights(shape: str, knots: int = DISTANCE_KNOTS):
    """Feed-forward weights that turn f = 1/d into h(d) (h(1) = 0), exact at d = 1..knots, linear beyond.

    Unit j computes relu(1/j - f); their sum with output weights c_j is piecewise linear in f with its
    kinks at the knots 1/j, and c_j is the change of slope there.
    """
    import numpy as np

    d = np.arange(1, knots + 1, dtype=np.float64)
    h = d - 1 if shape == "linear" else np.log(d)
    slopes = np.diff(h) / (1 / d[:-1] - 1 / d[1:])  # dh / d(-f) between knots j and j + 1
    return 1 / d[:-1], np.diff(slopes, prepend=0.0)


def _plant_distance(model, terms: dict[tuple[int, int], tuple[str, float]], d_kv: int, embedding_scale: float, encoder_scale: float) -> None:
    import torch

    model.shared.weight[1, END_FLAG] = 1.0
    reader = model.encoder.block[0].layer[0].SelfAttention
    reader.relative_attention_bias.weight[BUCKETS_RIGHT, 2] = POSITION_BIAS
    reader.v.weight[2 * d_kv, END_FLAG] = 1.0
    reader.o.weight[RECIPROCAL_DISTANCE, 2 * d_kv] = 1 / math.sqrt(D_MODEL / 3)  # EOS: identity, constant and flag, RMS-normalised
    # after RMS norm f and the constant carry the same factor s = sqrt(D_MODEL / (4 + f^2)), about sqrt(D_MODEL / 4)
    feed_forward = model.encoder.block[0].layer[1].DenseReluDense
    for index, shape in enumerate(sorted({shape for shape, _ in terms.values()})):
        knots, changes = distance_feature_weights(shape)
        units = slice(index * len(knots), (index + 1) * len(knots))
        feed_forward.wi.weight[units, RECIPROCAL_DISTANCE] = -1.0
        feed_forward.wi.weight[units, CONSTANT] = torch.tensor(knots, dtype=torch.float32)
        feed_forward.wo.weight[DISTANCE_FEATURES[shape], units] = torch.tensor(changes * DISTANCE_FEATURE_SCALE / encoder_scale, dtype=torch.float32)
    for (layer, head), (shape, strength) in terms.items():
        cross = model.decoder.block[layer].layer[1].EncDecAttention
        cross.q.weight[head * d_kv + ID_DIM, CONSTANT] = 1.0
        sign = -1.0 if shape == "linear" else 1.0
        cross.k.weight[head * d_kv + ID_DIM, DISTANCE_FEATURES[shape]] = sign * strength / (DISTANCE_FEATURE_SCALE * embedding_scale * encoder_scale)


def _plant_writes(model, assignment: dict[tuple[int, int], str], d_kv: int, encoder_scale: float) -> None:
    import torch

    eye = torch.eye(ID_DIM)
    for (layer, head), kind in assignment.items():
        if kind not in INDUCTION_KINDS:
            continue
        cross = model.decoder.block[layer].layer[1].EncDecAttention
        rows = slice(head * d_kv, head * d_kv + ID_DIM)
        cross.v.weight[rows, NEXT if kind == "current" else IDENTITY] = eye
        cross.o.weight[NEXT, rows] = eye * WRITE_SCALE / encoder_scale
    last = model.decoder.block[-1].layer[2].DenseReluDense
    last.wi.weight[0:ID_DIM, NEXT] = eye
    last.wi.weight[ID_DIM:2 * ID_DIM, NEXT] = -eye
    last.wo.weight[IDENTITY, 0:ID_DIM] = eye * WRITE_GAIN
    last.wo.weight[IDENTITY, ID_DIM:2 * ID_DIM] = -eye * WRITE_GAIN
    model.decoder.final_layer_norm.weight[IDENTITY] = LOGIT_SHARPNESS


def _plant_encoder_prefix(model, positions: list[tuple[int, int]], d_kv: int, sharpness: float, encoder_scale: float) -> None:
    import torch

    eye = torch.eye(ID_DIM)
    model.encoder.block[0].layer[0].SelfAttention.relative_attention_bias.weight[BUCKETS_RIGHT, [h for _, h, *_ in positions]] = -POSITION_BIAS
    for layer, head, *strength in positions:
        attention = model.encoder.block[layer].layer[0].SelfAttention
        rows = slice(head * d_kv, head * d_kv + ID_DIM)
        attention.q.weight[rows, IDENTITY] = eye
        # both blocks RMS-normalised among four; a head given its own sharpness takes it instead of the model's
        attention.k.weight[rows, PREVIOUS] = eye * (strength[0] if strength else sharpness) / encoder_scale**2


def _plant(model, assignment: dict[tuple[int, int], str], terms: dict, seed: int, sharpness: float, identity_tokens: tuple[int, int] | None,
           writes: bool = False, encoder_prefix: list[tuple[int, int]] = (), silent_start: bool = False) -> None:
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
        if silent_start:
            identities[0] = 0.0
        model.shared.weight[:, IDENTITY] = identities
        model.shared.weight[:, CONSTANT] = 1.0
        if {"value", "gentle", "sharp"} & set(assignment.values()):
            centres = -15.0 + (torch.arange(model.config.vocab_size, dtype=torch.float32) - 3) * 30.0 / 4092
            model.shared.weight[:, SMOOTH] = torch.clamp(SMOOTH_SCALE * centres, -1.0, 1.0)
            model.shared.weight[:2, SMOOTH] = 0.0  # PAD and EOS carry no value

        # RMS norm scales a unit identity plus the unit constant by sqrt(d_model / 2)
        embedding_scale = math.sqrt(D_MODEL / 2)
        eye = torch.eye(ID_DIM)
        copy_heads = model.encoder.block[0].layer[0].SelfAttention
        d_kv = model.config.d_kv
        copy_heads.v.weight[0:ID_DIM, IDENTITY] = eye
        copy_heads.v.weight[d_kv : d_kv + ID_DIM, IDENTITY] = eye
        copy_heads.o.weight[PREVIOUS, 0:ID_DIM] = eye / embedding_scale
        copy_heads.o.weight[NEXT, d_kv : d_kv + ID_DIM] = eye / embedding_scale
        copy_heads.relative_attention_bias.weight[BUCKET_PREVIOUS, 0] = POSITION_BIAS
        copy_heads.relative_attention_bias.weight[BUCKET_NEXT, 1] = POSITION_BIAS

        # encoder output: identity, previous, next and constant, each of unit norm, RMS-normalised
        encoder_scale = math.sqrt(D_MODEL / 4)
        key_gain = sharpness / (embedding_scale * encoder_scale)
        for (layer, head), kind in assignment.items():
            cross = model.decoder.block[layer].layer[1].EncDecAttention
            rows = slice(head * d_kv, head * d_kv + ID_DIM)
            if kind in ("current", "right", "left"):
                block = {"current": IDENTITY, "right": PREVIOUS, "left": NEXT}[kind]
                cross.q.weight[rows, IDENTITY] = eye
                cross.k.weight[rows, block] = eye * key_gain
            elif kind in ("value", "gentle", "sharp"):
                cross.q.weight[head * d_kv, CONSTANT] = 1.0
                gain = {"value": VALUE_SHARPNESS, "gentle": GENTLE_SHARPNESS, "sharp": SHARP_SHARPNESS}[kind]
                cross.k.weight[head * d_kv, SMOOTH] = gain / (SMOOTH_SCALE * embedding_scale * encoder_scale)
            elif kind == "eos":
                cross.q.weight[head * d_kv, CONSTANT] = 1.0
                cross.k.weight[head * d_kv, IDENTITY] = identities[EOS_TOKEN_ID] * key_gain
        if terms:
            _plant_distance(model, terms, d_kv, embedding_scale, encoder_scale)
        if writes:
            _plant_writes(model, assignment, d_kv, encoder_scale)
        if encoder_prefix:
            _plant_encoder_prefix(model, encoder_prefix, d_kv, sharpness, encoder_scale)


def build_planted(out: Path, layers: int, heads: int, kinds: dict[str, list], *, seed: int = 0, sharpness: float = 40.0,
                  name: str = "custom", overwrite: bool = True, identity_tokens: tuple[int, int] | None = None,
                  distance: dict[str, list] | None = None, context_length: int = 512, writes: bool = False,
                  encoder_prefix: list | None = None, silent_start: bool = False) -> Path:
    """Write a planted checkpoint directory at ``out``; with overwrite=False an existing one (built by another process) is kept."""
    import torch
    from transformers import T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    assignment = parse_layout(layers, heads, kinds)
    terms = parse_distance(assignment, heads, distance)
    prefix = parse_encoder_prefix(layers, heads, encoder_prefix, bool(terms))
    torch.manual_seed(seed)
    d_kv = ID_DIM + 1 if terms else ID_DIM  # the distance term takes one more query/key dimension
    model = T5ForConditionalGeneration(t5_config(D_MODEL, 4 * D_MODEL, layers, heads, d_kv, context_length=context_length))
    if name != RANDOM_LAYOUT:
        _plant(model, assignment, terms, seed, sharpness, identity_tokens, writes, prefix, silent_start)
    truth = {
        "layout": name,
        "builder_version": BUILDER_VERSION,
        "layers": layers,
        "heads": heads,
        "seed": seed,
        "sharpness": None if name == RANDOM_LAYOUT else sharpness,
        "identity_tokens": list(identity_tokens) if identity_tokens else None,
        "context_length": context_length,
        "writes": writes,
        "encoder_prefix": [list(h) for h in prefix],
        "distance": {shape: [[layer, head, strength] for (layer, head), (s, strength) in sorted(terms.items()) if s == shape]
                     for shape in sorted({s for s, _ in terms.values()})},
        **({"silent_start": True} if silent_start else {}),
        "kinds": {kind: [list(h) for h, k in sorted(assignment.items()) if k == kind]
                  for kind in (*KINDS, *(k for k in EXTRA_KINDS if k in assignment.values()))}
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
                         identity_tokens=layout.get("identity_tokens"), distance=layout.get("distance"),
                         writes=layout.get("writes", False), encoder_prefix=layout.get("encoder_prefix"),
                         silent_start=layout.get("silent_start", False))


def planted_checkpoint(name: str, cache: Path) -> Path:
    """The cached checkpoint of a named layout, built on first use."""
    layout = LAYOUTS.get(name, {})
    digest = hashlib.sha1(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:8]
    path = cache / "planted" / f"{name}-v{BUILDER_VERSION}-{digest}"
    if not (path / "planted.json").is_file():
        build_named(name, path, overwrite=False)
    return path
