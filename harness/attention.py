"""What every family's capture shares: attention rows must be probability distributions, and inputs go to the
model's device as token ids."""

from __future__ import annotations

import torch

from harness.errors import CaptureError

ROW_SUM_TOLERANCE = 1e-3
LOW_PRECISION_ROW_SUM_TOLERANCE = 2e-2


def to_device(model, array) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.long, device=model.device)


def check_probabilities(rows: torch.Tensor, tolerance: float = ROW_SUM_TOLERANCE, what: str = "cross-attention") -> None:
    """Attention rows must be probability distributions; anything else means the capture is wrong."""
    if rows.numel() == 0:
        raise CaptureError(f"{what} came back empty; the model did not run the capturing attention function")
    if not torch.isfinite(rows).all():
        raise CaptureError(f"{what} holds NaN or inf; check the checkpoint's weights and the --dtype")
    deviation = (rows.sum(dim=-1) - 1).abs().max().item()
    if deviation > tolerance:
        raise CaptureError(f"{what} rows sum to 1 +/- {deviation:.2e}, beyond {tolerance:.0e}; the capture or the checkpoint is broken")
