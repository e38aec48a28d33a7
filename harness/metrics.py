"""Pure functions over attention tensors: tensors in, numbers out. Inputs are never modified."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import stats


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


# ---- decoder-only self-attention and logits ----

def attention_back(attention, offset: int, first_query: int) -> np.ndarray:
    """(batch, layers, heads, T, T) self-attention -> (batch, layers, heads) mean weight from each query
    position i >= first_query to position i - offset."""
    attention = np.asarray(attention, dtype=np.float64)
    length = attention.shape[-1]
    queries = np.arange(first_query, length)
    keys = queries - offset
    if len(queries) == 0 or keys.min() < 0:
        raise ValueError(f"query positions from {first_query} look back before position 0 in a sequence of {length}")
    return attention[..., queries, keys].mean(axis=-1)


def causal_chance(length: int, first_query: int) -> float:
    """Mean weight a key gets from a causal row spread evenly over its prefix, over query positions >= first_query."""
    return float(np.mean(1.0 / (np.arange(first_query, length) + 1)))


def log_odds(log_probabilities) -> np.ndarray:
    """log p - log(1 - p), from log-probabilities, stable near p = 1."""
    log_p = np.asarray(log_probabilities, dtype=np.float64)
    return log_p - np.log(-np.expm1(np.minimum(log_p, -1e-12)))


def restored_fraction(patched: float, corrupted: float, clean: float) -> float | None:
    """Where a patched metric lies between the corrupted run (0) and the clean run (1); None when they coincide."""
    gap = clean - corrupted
    return None if abs(gap) < 1e-6 else float((patched - corrupted) / gap)


# ---- per-head scores with intervals ----

@dataclass(frozen=True)
class ScoreGrid:
    """Batch-mean attention to one position, per (layer, head), with its bootstrap interval."""

    mean: np.ndarray  # (layers, heads)
    ci_low: np.ndarray
    ci_high: np.ndarray

    def heads(self, threshold: float, *, by: str = "ci_low") -> list[tuple[int, int]]:
        return heads_at_or_above(getattr(self, by), threshold)

    def kth_best(self, k: int, layers: tuple[int, ...] | None = None) -> dict:
        """The interval that decides "at least k heads clear a threshold" (among ``layers``): the k-th largest CI lower
        bound (at or above it: k heads clear it) and the k-th largest CI upper bound (below it: fewer than k heads can reach
        it), with the head holding that lower bound and its mean, rounded to 4 digits; None values where there are fewer
        than k heads."""
        keep = np.ones(self.mean.shape, bool) if layers is None else np.isin(np.arange(self.mean.shape[0]), layers)[:, None] & np.ones(self.mean.shape, bool)
        lows, highs = np.sort(self.ci_low[keep])[::-1], np.sort(self.ci_high[keep])[::-1]
        if len(lows) < k:
            return {"head": None, "mean": None, "ci": None}
        flat = np.where(keep, self.ci_low, -np.inf)
        layer, head = np.unravel_index(int(np.argsort(-flat, axis=None, kind="stable")[k - 1]), flat.shape)
        return {"head": f"L{layer}H{head}", "mean": round(float(self.mean[layer, head]), 4),
                "ci": [round(float(lows[k - 1]), 4), round(float(highs[k - 1]), 4)]}

    def to_dict(self) -> dict:
        return {key: np.round(getattr(self, key), 6).tolist() for key in ("mean", "ci_low", "ci_high")}


def score_grid(scores: np.ndarray, confidence: float, n_resamples: int, seed: int) -> ScoreGrid:
    """(samples, layers, heads) scores -> their mean per head with a percentile bootstrap CI over samples."""
    return ScoreGrid(*stats.bootstrap_mean_ci(scores, confidence, n_resamples, seed))


def prefix_matching(rows, sequence_length: int, repetitions: int, offset: int = 0) -> np.ndarray:
    """(batch, layers, heads, T, T) self-attention over an RRT sequence -> (batch, layers, heads) mean weight from each
    token of the last repeat to the token after its previous occurrence (Olsson et al.'s prefix matching).
    ``offset`` shifts every position (1 when a decoder start token comes first)."""
    if repetitions < 2:
        raise ValueError(f"repetitions={repetitions}: prefix matching needs a previous occurrence; use 2 or more")
    rows = np.asarray(rows, dtype=np.float64)
    queries = offset + (repetitions - 1) * sequence_length + np.arange(sequence_length)
    keys = queries - sequence_length + 1
    return rows[..., queries, keys].mean(axis=-1)


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
