"""What every family's capture shares: attention rows must be probability distributions, and inputs go to the
model's device as token ids."""

from __future__ import annotations

import torch

from harness.errors import CaptureError

ROW_SUM_TOLERANCE = 1e-3
LOW_PRECISION_ROW_SUM_TOLERANCE = 2e-2


def to_device(model, array) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.long, device=model.device)


def tolerance_for(model) -> float:
    """How far rows may stray from summing to 1: softmax weights kept in a low-precision dtype are rounded."""
    return ROW_SUM_TOLERANCE if model.dtype == torch.float32 else LOW_PRECISION_ROW_SUM_TOLERANCE


def check_probabilities(rows: torch.Tensor, tolerance: float = ROW_SUM_TOLERANCE, what: str = "cross-attention") -> None:
    """Attention rows must be probability distributions; anything else means the capture is wrong."""
    if rows.numel() == 0:
        raise CaptureError(f"{what} came back empty; the model did not run the capturing attention function")
    if not torch.isfinite(rows).all():
        raise CaptureError(f"{what} holds NaN or inf; check the checkpoint's weights and the --dtype")
    deviation = (rows.sum(dim=-1) - 1).abs().max().item()
    if deviation > tolerance:
        raise CaptureError(f"{what} rows sum to 1 +/- {deviation:.2e}, beyond {tolerance:.0e}; the capture or the checkpoint is broken")
