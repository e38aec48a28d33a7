"""The training loop every zoo model shares, and what its log says about the machine it ran on."""

from __future__ import annotations

import os
import platform
import time

import numpy as np


def fit(parameters: list, batch_loss, evaluate, *, steps: int, learning_rate: float, weight_decay: float, warmup: float, clip: float,
        log_every: int, eval_every: int, steps_before: int = 0, progress=None) -> tuple[list[dict], float]:
    """AdamW with a one-cycle cosine schedule and gradient clipping; returns the logged curve and the seconds taken.

    ``batch_loss()`` draws the next batch and returns its loss; ``evaluate()`` returns the held-out loss. The curve
    counts steps from ``steps_before``, the steps earlier schedules of the same run took.
    """
    import torch

    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps, pct_start=warmup, anneal_strategy="cos")
    curve, recent, started = [], [], time.perf_counter()
    for step in range(1, steps + 1):
        loss = batch_loss()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, clip)
        optimizer.step()
        schedule.step()
        recent = (recent + [loss.item()])[-log_every:]
        if step % log_every == 0 or step == steps:
            point = {"step": steps_before + step, "train_loss": round(float(np.mean(recent)), 4), "seconds": round(time.perf_counter() - started, 1)}
            if step % eval_every == 0 or step == steps:
                point["held_out_loss"] = round(evaluate(), 4)
            curve.append(point)
            if progress:
                progress(point)
    return curve, time.perf_counter() - started


def machine_facts(device: str = "cpu") -> dict:
    """Where a training run ran, for its log: the thread count and load decide its speed (and, for threads, its float sums)."""
    import torch

    accelerator = f", {torch.cuda.get_device_name(device)}" if device.startswith("cuda") else ""
    return {"hardware": f"{platform.machine()}, {torch.get_num_threads()} torch threads, {platform.processor() or 'cpu'}{accelerator}",
            "torch": torch.__version__, "load_average": round(os.getloadavg()[0], 2)}


def cycles_of(log: dict) -> list[dict]:
    """The schedule cycles a training log ran; a log written before logs listed them ran one cycle, the whole run."""
    if "cycles" in log:
        return log["cycles"]
    return [{"cycle": 1, "steps": log["recipe"]["steps"], "data_seed": log["recipe"]["seed"], "training_seconds": log["training_seconds"],
             **{k: log[k] for k in ("hardware", "torch", "load_average") if k in log}}]
