"""Pure functions over attention tensors: tensors in, numbers out. Inputs are never modified."""

from __future__ import annotations

import numpy as np


def attention_to_position(rows, position: int) -> np.ndarray:
    """(batch, layers, heads, encoder_length) attention rows -> (batch, layers, heads) weight on ``position``."""
    rows = np.asarray(rows, dtype=np.float64)
    if not 0 <= position < rows.shape[-1]:
        raise ValueError(f"position {position} is outside an encoder of length {rows.shape[-1]}")
    return rows[..., position].copy()


def heads_at_or_above(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(layers, heads) scores -> the (layer, head) pairs whose score is >= threshold, in layer-major order."""
    layers, heads = np.nonzero(np.asarray(scores) >= threshold)
    return [(int(layer), int(head)) for layer, head in zip(layers, heads)]


def relative_layer_positions(heads: list[tuple[int, int]], layers: int) -> list[float]:
    """The original study's relative position of a head's layer: (layer + 1) / layers, so 1.0 is the last layer."""
    return [(layer + 1) / layers for layer, _ in heads]


def chance_level(encoder_length: int) -> float:
    """The weight each position gets from a uniform attention row."""
    return 1.0 / encoder_length
