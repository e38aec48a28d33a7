"""Real-valued series to Chronos tokens, with the model's own tokenizer and checked inputs."""

from __future__ import annotations

import numpy as np

from harness.errors import HarnessError


def check_series(series: np.ndarray, context_length: int) -> np.ndarray:
    """A (batch, length) float array the model can read, or a one-line error naming the fix.

    NaN is allowed: Chronos reads it as a missing value (masked, PAD token, left out of the mean scale).
    A series longer than the context is refused: Chronos would silently keep only its last
    context_length points, which changes what a spectrum or a position means.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim == 1:
        series = series[None, :]
    if series.ndim != 2 or series.shape[0] == 0 or series.shape[1] == 0:
        raise HarnessError(f"a series batch must be (batch, length) with both > 0, got shape {series.shape}; pass at least one non-empty series")
    if np.isinf(series).any():
        row, column = np.argwhere(np.isinf(series))[0]
        raise HarnessError(f"series {row} holds inf at position {column}; replace it with a finite value, or NaN to mark it missing")
    empty = np.isnan(series).all(axis=1)
    if empty.any():
        raise HarnessError(f"series {int(np.argmax(empty))} is all NaN (all missing); give it at least one observed value")
    if series.shape[1] > context_length:
        raise HarnessError(
            f"series has {series.shape[1]} points but the model reads at most {context_length} (its context_length); "
            f"pass the last {context_length} points (Chronos itself would silently drop the earlier ones)"
        )
    return series


def tokenize(loaded, series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(encoder_ids with EOS, attention_mask, scale) from the checkpoint's own chronos tokenizer."""
    import torch
    from chronos import ChronosConfig

    series = check_series(series, loaded.context_length)
    tokenizer = ChronosConfig(**loaded.config["chronos_config"]).create_tokenizer()
    token_ids, attention_mask, scale = tokenizer.context_input_transform(torch.as_tensor(series, dtype=torch.float32))
    return token_ids.numpy(), attention_mask.numpy().astype(np.int64), scale.numpy()
