"""The training loop every zoo model shares, and what its log says about the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import MISSING, asdict, fields
from pathlib import Path

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


def resumable_log(size: str, recipe, cycle_steps: list[int], resume: Path, continuations: tuple[str, ...]) -> dict:
    """The training log of a checkpoint that ``recipe`` (a dataclass) can continue: same size, the same recipe but for
    the ``continuations`` fields that add cycles, the same steps in the cycles it ran, and fewer cycles than
    ``cycle_steps`` lists."""
    log_path = Path(resume) / "training_log.json"
    if not log_path.is_file():
        raise ValueError(f"{resume} has no training_log.json; --resume takes a directory written by `harness zoo train`")
    log = json.loads(log_path.read_text())
    done = cycles_of(log)
    defaults = {f.name: f.default for f in fields(recipe) if f.default is not MISSING}  # logs written before a field existed ran its default
    theirs = {**defaults, **log["recipe"]}
    same = all(theirs.get(k) == v for k, v in asdict(recipe).items() if k not in continuations)
    if log["size"] != size or not same or [c["steps"] for c in done] != cycle_steps[: len(done)]:
        raise ValueError(f"{resume} was trained with another recipe than {size}'s; resume it with the code that wrote it, or train from scratch")
    if len(done) >= len(cycle_steps):
        raise ValueError(f"{resume} has already run all {len(done)} cycles of {size}'s recipe; there is nothing to resume")
    return log


def round_to_stored_dtype(model, dtype) -> None:
    """What saving and reloading the checkpoint does to the weights, so a restart in one process matches a resumed one."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(parameter.to(dtype).to(parameter.dtype))
