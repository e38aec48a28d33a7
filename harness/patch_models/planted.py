"""Chronos-Bolt and Chronos-2 checkpoints whose patch-induction heads are set by construction.

Residual stream (d_model 64): block A holds the patch (the instance-normalised values, norm 1 on RRP inputs), B the
previous patch, C a copy of the last context patch at the forecasting query, and single dimensions hold a large
constant (100, so that every RMS norm divides by nearly the same number everywhere and the blocks pass through
unchanged), a REG flag, a LAST flag (the position just before REG) and, in Chronos-2, a FUTURE flag.

- Bolt: encoder layer 0 has a previous-position head (relative position bias at offset -1) that copies A into B,
  and a next-position head (+1) that reads the REG flag into LAST. Decoder layer 0's cross-attention head 0 finds
  REG and copies its B (the last context patch) into C. In later decoder layers, a planted head matches C against
  an encoder block:
- Chronos-2: the same with rotary positions: time-attention layer 0 has the previous- and next-position heads
  (queries and keys in the fastest rotary pairs, peaked at offset -1 and +1), layer 1's head 0 finds REG and
  copies its B into C at every position, and planted heads sit in layers 2 and later.

Planted kinds, as the forecasting query sees them:

- current: C against A, so it attends to the earlier occurrences of the last patch S[0] (1/repetitions each), the
  last context patch itself held off by its LAST flag;
- right:   C against B, so it attends to the patches after those occurrences (S[1]), REG held off;
- reg:     a constant query against the REG flag: a sharp head that is not induction;
- value:   a constant query against the sum of A, so the row is a softmax of each patch's mean (instance-normalised):
           on a multisine, a smooth function of the series (for the multisine claims);
- gentle:  as value, but so weak that the row is close to linear in the patch mean;
- uniform: no query or key.

Planted heads write nothing, and every feed-forward and group-attention sublayer is zero, so forecasts are
meaningless: these checkpoints exist to be measured. Content matching uses query/key dimensions that rotary
positions barely turn (rope_theta 1e12: the slowest pairs turn by less than 1e-3 radians over 700 positions).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from harness import atomic
from harness.errors import HarnessError
from harness.patch_models import bolt, chronos2

BUILDER_VERSION = 2
KINDS = ("current", "right", "reg", "value", "gentle", "uniform")
PATCH = 16
D_MODEL = 64
A, B, C = slice(0, 16), slice(16, 32), slice(32, 48)
CONSTANT, REG, LAST, FUTURE = 48, 49, 50, 51
CONSTANT_VALUE = 100.0
NORM_WEIGHT = CONSTANT_VALUE / math.sqrt(D_MODEL)  # RMS norm of a residual dominated by the constant: x stays x
MATCH = 50.0  # logit of a patch matching itself (other RRP patches: cosine <= 0.5, so <= 25)
HOLD_OFF = 100.0  # logit taken from positions a head must not match (LAST, REG)
SHARP = 30.0  # logit of the relative-position heads and REG readers at their target
VALUE_SHARPNESS = 2.0  # logit change per unit of patch mean (instance-normalised), as the planted Chronos-T5 value heads
GENTLE_SHARPNESS = 0.25
CONTEXT_LENGTH = 1024  # values: 64 patches
HEADS = 4
ROPE_THETA = 1e12
D_KV_CHRONOS2 = 32  # 16 rotary pairs: 0-3 for positions, 7 for hold-off, 8-15 (dims 8-15, 24-31) for content
CONTENT_DIMS_CHRONOS2 = [*range(8, 16), *range(24, 32)]
OFFSET_PAIRS = range(4)
HOLD_DIM_CHRONOS2 = 7
D_KV_BOLT = 17  # 16 content dimensions and one hold-off
T5_BUCKET_PREVIOUS, T5_BUCKET_NEXT = 1, 17  # T5's bidirectional buckets: offset -1 and +1
FIRST_PLANTED_LAYER = {bolt.NAME: 1, chronos2.NAME: 2}  # the layers before find the last context patch


def _layout(family: str, layers: int, **kinds) -> dict:
    return {"family": family, "layers": layers, "heads": HEADS,
            "kinds": {kind: [list(h) for h in kinds.get(kind, [])] for kind in KINDS if kind != "uniform"}}


def _reference(first: int) -> dict:
    """Current-token heads early, right-token heads late (the study's picture), from layer ``first`` on."""
    return {"current": [(first, 1), (first, 3), (first + 1, 0), (first + 1, 2)],
            "right": [(first + 3, 0), (first + 3, 2), (first + 3, 1), (first + 2, 2), (first + 2, 0)]}


def _swapped(first: int) -> dict:
    reference = _reference(first)
    late = sorted(reference["right"])
    early = sorted(reference["current"])
    return {"current": late, "right": early[:4]}


def _multisine_layouts(family: str) -> dict:
    first = FIRST_PLANTED_LAYER[family]
    return {
        # heads that read the patch mean sharply: rows vary with the series, no induction head
        "multisine": _layout(family, first + 4, value=[(first, 0), (first + 1, 2), (first + 2, 1), (first + 3, 3)]),
        # every plantable head reads the patch mean gently: rows close to linear in the series
        "gentle": _layout(family, first + 2, gentle=[(layer, head) for layer in range(first, first + 2) for head in range(HEADS)]),
        # two right-patch heads among uniform ones: the only heads above chance on RRP are the only rows that vary
        "two-right": _layout(family, first + 2, right=[(first + 1, 0), (first + 1, 1)]),
        # the two right-patch heads, and every other plantable head reads the patch mean: most heads with spectral
        # amplitude have no RRP score
        "value-decoys": _layout(family, first + 2, right=[(first + 1, 0), (first + 1, 1)],
                                value=[*((first, head) for head in range(HEADS)), (first + 1, 2), (first + 1, 3)]),
    }


BOLT_DECOYS = {"reg": [(2, 1), (3, 3)]}
CHRONOS2_DECOYS = {"reg": [(3, 1), (4, 3)]}
LAYOUTS = {
    "bolt-reference": _layout(bolt.NAME, 5, **_reference(1), **BOLT_DECOYS),
    "bolt-swapped": _layout(bolt.NAME, 5, **_swapped(1), **BOLT_DECOYS),
    "bolt-none": _layout(bolt.NAME, 5, **BOLT_DECOYS),
    "chronos2-reference": _layout(chronos2.NAME, 6, **_reference(2), **CHRONOS2_DECOYS),
    "chronos2-swapped": _layout(chronos2.NAME, 6, **_swapped(2), **CHRONOS2_DECOYS),
    "chronos2-none": _layout(chronos2.NAME, 6, **CHRONOS2_DECOYS),
    # every plantable head a right-patch head: enough heads for "almost all" (C4) to clear its Wilson bound
    "bolt-right-heavy": _layout(bolt.NAME, 5, right=[(layer, head) for layer in range(1, 5) for head in range(HEADS)]),
    "chronos2-right-heavy": _layout(chronos2.NAME, 6, right=[(layer, head) for layer in range(2, 6) for head in range(HEADS)]),
    **{f"{prefix}-{name}": layout for family, prefix in ((bolt.NAME, "bolt"), (chronos2.NAME, "chronos2"))
       for name, layout in _multisine_layouts(family).items()},
}


def parse_layout(name: str, layout: dict) -> dict[tuple[int, int], str]:
    """(layer, head) -> kind; the layers that build C cannot hold planted heads."""
    first = FIRST_PLANTED_LAYER[layout["family"]]
    assignment: dict[tuple[int, int], str] = {}
    for kind, heads in layout["kinds"].items():
        for layer, head in map(tuple, heads):
            if not (first <= layer < layout["layers"] and 0 <= head < layout["heads"]):
                raise HarnessError(f"planted layout '{name}': head ({layer}, {head}) is outside layers {first}-{layout['layers'] - 1} "
                                   f"and heads 0-{layout['heads'] - 1} (the layers before {first} find the last patch)")
            if (layer, head) in assignment:
                raise HarnessError(f"planted layout '{name}': head ({layer}, {head}) is both {assignment[(layer, head)]} and {kind}")
            assignment[(layer, head)] = kind
    return assignment


def _zero_all(model) -> None:
    import torch

    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "layer_norm" in name:
                parameter.fill_(NORM_WEIGHT)
            else:
                parameter.zero_()


def _embed_patches(embedding, values: slice, mask: slice, future_flag: bool) -> None:
    """The input ResidualBlock as a linear map: values into A (norm 1 on RRP), the mask into the constant."""
    weight, bias = embedding.residual_layer.weight, embedding.residual_layer.bias
    for j in range(PATCH):
        weight[A.start + j, values.start + j] = 1 / math.sqrt(PATCH)
    if future_flag:  # Chronos-2: the constant comes from the bias, FUTURE is 1 where the mask is empty
        bias[CONSTANT], bias[FUTURE] = CONSTANT_VALUE, 1.0
        weight[FUTURE, mask] = -1.0 / PATCH
    else:
        weight[CONSTANT, mask] = CONSTANT_VALUE / PATCH


def _head_rows(head: int, d_kv: int) -> slice:
    return slice(head * d_kv, (head + 1) * d_kv)


def _copy(module, head: int, d_kv: int, source: slice | int, target: slice | int) -> None:
    """The head's value reads ``source`` and its output writes it to ``target`` (blocks of equal size, or one dimension)."""
    rows = range(head * d_kv, head * d_kv + (1 if isinstance(source, int) else source.stop - source.start))
    sources = [source] if isinstance(source, int) else range(source.start, source.stop)
    targets = [target] if isinstance(target, int) else range(target.start, target.stop)
    for row, src, dst in zip(rows, sources, targets):
        module.v.weight[row, src] = 1.0
        module.o.weight[dst, row] = 1.0


def _match(module, head: int, d_kv: int, kind: str, content_dims, hold_dim: int) -> None:
    """A planted head's query reads C, its key A (current) or B (right); or a constant query against the REG flag (reg)
    or the patch mean (value, gentle: A holds the patch / 4, so the sum of A is 4 x the mean)."""
    rows = _head_rows(head, d_kv)
    if kind in ("reg", "value", "gentle"):
        module.q.weight[rows.start + hold_dim, CONSTANT] = 1.0 / CONSTANT_VALUE
        if kind == "reg":
            module.k.weight[rows.start + hold_dim, REG] = SHARP
        else:
            module.k.weight[rows.start + hold_dim, A] = (VALUE_SHARPNESS if kind == "value" else GENTLE_SHARPNESS) / math.sqrt(PATCH)
        return
    key = A if kind == "current" else B
    for j, dim in enumerate(content_dims):
        module.q.weight[rows.start + dim, C.start + j] = MATCH
        module.k.weight[rows.start + dim, key.start + j] = 1.0
    module.q.weight[rows.start + hold_dim, CONSTANT] = 1.0 / CONSTANT_VALUE
    module.k.weight[rows.start + hold_dim, REG] = -HOLD_OFF
    if kind == "current":
        module.k.weight[rows.start + hold_dim, LAST] = -HOLD_OFF


def _plant_bolt(model, assignment: dict) -> None:
    encoder_attention = model.encoder.block[0].layer[0].SelfAttention
    _embed_patches(model.input_patch_embedding, slice(0, PATCH), slice(PATCH, 2 * PATCH), future_flag=False)
    model.shared.weight[0, CONSTANT] = CONSTANT_VALUE  # the decoder start
    model.shared.weight[1, CONSTANT], model.shared.weight[1, REG] = CONSTANT_VALUE, 1.0
    bias = encoder_attention.relative_attention_bias.weight  # (buckets, heads)
    bias[T5_BUCKET_PREVIOUS, 0] = bias[T5_BUCKET_NEXT, 1] = SHARP
    _copy(encoder_attention, 0, D_KV_BOLT, A, B)
    _copy(encoder_attention, 1, D_KV_BOLT, REG, LAST)
    finder = model.decoder.block[0].layer[1].EncDecAttention
    _match(finder, 0, D_KV_BOLT, "reg", None, 0)
    _copy(finder, 0, D_KV_BOLT, B, C)
    for (layer, head), kind in assignment.items():
        _match(model.decoder.block[layer].layer[1].EncDecAttention, head, D_KV_BOLT, kind, range(PATCH), PATCH)


def _offset_head(module, head: int, offset: int) -> None:
    """Rotary query and key from the constant whose score peaks at key position - query position = ``offset``; the
    future patches' query is zero (they attend evenly)."""
    rows = _head_rows(head, D_KV_CHRONOS2)
    amplitude = 10.0  # peak 4 x 100; the next best offset within 700 positions scores about 48 less
    for pair in OFFSET_PAIRS:
        angle = -offset * ROPE_THETA ** (-2 * pair / D_KV_CHRONOS2)
        module.q.weight[rows.start + pair, CONSTANT] = amplitude / CONSTANT_VALUE
        module.q.weight[rows.start + pair, FUTURE] = -amplitude
        module.k.weight[rows.start + pair, CONSTANT] = amplitude * math.cos(angle) / CONSTANT_VALUE
        module.k.weight[rows.start + pair + D_KV_CHRONOS2 // 2, CONSTANT] = amplitude * math.sin(angle) / CONSTANT_VALUE


def _plant_chronos2(model, assignment: dict) -> None:
    _embed_patches(model.input_patch_embedding, slice(PATCH, 2 * PATCH), slice(2 * PATCH, 3 * PATCH), future_flag=True)
    model.shared.weight[1, CONSTANT], model.shared.weight[1, REG] = CONSTANT_VALUE, 1.0
    first = model.encoder.block[0].layer[0].self_attention
    _offset_head(first, 0, -1)
    _copy(first, 0, D_KV_CHRONOS2, A, B)
    _offset_head(first, 1, +1)
    _copy(first, 1, D_KV_CHRONOS2, REG, LAST)
    finder = model.encoder.block[1].layer[0].self_attention
    _match(finder, 0, D_KV_CHRONOS2, "reg", None, HOLD_DIM_CHRONOS2)
    _copy(finder, 0, D_KV_CHRONOS2, B, C)
    for (layer, head), kind in assignment.items():
        _match(model.encoder.block[layer].layer[0].self_attention, head, D_KV_CHRONOS2, kind, CONTENT_DIMS_CHRONOS2, HOLD_DIM_CHRONOS2)


def bolt_model(layers: int, context_length: int = CONTEXT_LENGTH):
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    config = T5Config(d_model=D_MODEL, d_kv=D_KV_BOLT, d_ff=4 * D_MODEL, num_layers=1, num_decoder_layers=layers, num_heads=HEADS,
                      vocab_size=2, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, dropout_rate=0.0, feed_forward_proj="relu",
                      relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
                      architectures=[bolt.ARCHITECTURE], chronos_pipeline_class=bolt.PIPELINE,
                      chronos_config={"context_length": context_length, "prediction_length": 64, "input_patch_size": PATCH,
                                      "input_patch_stride": PATCH, "quantiles": [0.1, 0.5, 0.9], "use_reg_token": True})
    return ChronosBoltModelForForecasting(config)


def chronos2_model(layers: int, context_length: int = CONTEXT_LENGTH):
    from chronos.chronos2 import Chronos2Model
    from chronos.chronos2.config import Chronos2CoreConfig

    config = Chronos2CoreConfig(d_model=D_MODEL, d_kv=D_KV_CHRONOS2, d_ff=4 * D_MODEL, num_layers=layers, num_heads=HEADS, dropout_rate=0.0,
                                rope_theta=ROPE_THETA, attn_implementation="eager")
    config.architectures, config.chronos_pipeline_class = [chronos2.ARCHITECTURE], chronos2.PIPELINE
    config.chronos_config = {"context_length": context_length, "output_patch_size": PATCH, "input_patch_size": PATCH,
                             "input_patch_stride": PATCH, "quantiles": [0.1, 0.5, 0.9], "use_reg_token": True, "max_output_patches": 4}
    return Chronos2Model(config)


def build_layout(out: Path, layout: dict, name: str = "custom", overwrite: bool = True) -> Path:
    """Write a planted checkpoint of ``layout`` ({"family", "layers", "heads", "kinds"}) at ``out``; with overwrite=False an
    existing one (built by another process) is kept."""
    import torch
    from transformers.utils import logging as transformers_logging

    if layout.get("family") not in (bolt.NAME, chronos2.NAME) or layout.get("heads", HEADS) != HEADS:
        raise HarnessError(f"planted layout '{name}': family must be {bolt.NAME} or {chronos2.NAME}, with {HEADS} heads per layer")
    transformers_logging.disable_progress_bar()
    assignment = parse_layout(name, {**layout, "heads": HEADS})
    torch.manual_seed(0)
    is_bolt = layout["family"] == bolt.NAME
    context_length = layout.get("context_length", CONTEXT_LENGTH)
    model = (bolt_model if is_bolt else chronos2_model)(layout["layers"], context_length)
    _zero_all(model)
    with torch.no_grad():
        (_plant_bolt if is_bolt else _plant_chronos2)(model, assignment)
    truth = {"layout": name, "family": layout["family"], "builder_version": BUILDER_VERSION, "layers": layout["layers"],
             "heads": HEADS, "context_length": context_length, "patch_size": PATCH,
             "kinds": {kind: [list(h) for h, k in sorted(assignment.items()) if k == kind] for kind in KINDS}}

    def fill(staging: Path) -> None:
        model.save_pretrained(staging, safe_serialization=True)
        (staging / "planted.json").write_text(json.dumps(truth, indent=2) + "\n")

    return atomic.write_directory(out, fill, replace=overwrite)


def build_named(name: str, out: Path, overwrite: bool = True) -> Path:
    if name not in LAYOUTS:
        raise HarnessError(f"unknown planted layout '{name}'; use one of {', '.join(LAYOUTS)}")
    return build_layout(out, LAYOUTS[name], name, overwrite)


def planted_checkpoint(name: str, cache: Path) -> Path:
    """The cached checkpoint of a named layout, built on first use."""
    digest = hashlib.sha1(json.dumps(LAYOUTS.get(name, {}), sort_keys=True).encode()).hexdigest()[:8]
    path = cache / "planted" / f"{name}-v{BUILDER_VERSION}-{digest}"
    if not (path / "planted.json").is_file():
        build_named(name, path, overwrite=False)
    return path
