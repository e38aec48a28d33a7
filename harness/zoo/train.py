"""Train a miniature Chronos-T5 from random init with the Chronos objective on in-code synthetic series.

Objective as in Chronos: mean-scale the context, tokenize with the chronos tokenizer (uniform bins over
[-15, 15]), append EOS; cross-entropy on the next prediction_length tokens plus EOS; AdamW.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness import atomic
from harness.zoo.data import MIX, SeriesSource

CONTEXT_LENGTH = 64
PREDICTION_LENGTH = 16
MIN_CONTEXT = 12  # shorter contexts are left-padded with NaN, as real series of varying length are
HELD_OUT_SEED = 10_000
HELD_OUT_SERIES = 512


@dataclass(frozen=True)
class Recipe:
    d_model: int
    d_ff: int
    layers: int
    heads: int
    d_kv: int
    steps: int
    learning_rate: float
    batch_size: int = 64
    warmup: float = 0.05
    weight_decay: float = 0.01
    clip: float = 1.0
    dropout: float = 0.0
    bf16_autocast: bool = False  # mixed precision: bf16 matmuls, float32 weights and optimizer state
    stored_dtype: str = "float32"  # the dtype written to model.safetensors (bfloat16 keeps the shipped zoo under 40 MB)
    seed: int = 0


SIZES = {
    "nano": Recipe(d_model=64, d_ff=256, layers=2, heads=4, d_kv=16, steps=12_000, learning_rate=3e-3),
    "micro": Recipe(d_model=128, d_ff=512, layers=3, heads=4, d_kv=32, steps=18_000, learning_rate=2e-3, bf16_autocast=True),
    "milli": Recipe(d_model=256, d_ff=1024, layers=4, heads=8, d_kv=32, steps=18_000, learning_rate=4e-4, bf16_autocast=True,
                    stored_dtype="bfloat16"),
}


def tokenizer():
    from chronos import ChronosConfig

    from harness.architectures import CHRONOS_CONFIG

    return ChronosConfig(**{**CHRONOS_CONFIG, "context_length": CONTEXT_LENGTH, "prediction_length": PREDICTION_LENGTH}).create_tokenizer()


def encode(tok, values: np.ndarray, context_lengths: np.ndarray, device="cpu"):
    """Token tensors for one batch, on ``device``: NaN-padded contexts of the given lengths and their forecast windows."""
    import torch

    context = torch.as_tensor(values[:, :CONTEXT_LENGTH], dtype=torch.float32).clone()
    for row, kept in enumerate(context_lengths):
        context[row, : CONTEXT_LENGTH - int(kept)] = float("nan")
    input_ids, attention_mask, scale = tok.context_input_transform(context)
    labels, labels_mask = tok.label_input_transform(torch.as_tensor(values[:, CONTEXT_LENGTH:], dtype=torch.float32), scale)
    labels[~labels_mask] = -100
    return input_ids.to(device), attention_mask.to(device), labels.to(device)


def held_out_set():
    """Fixed held-out series: their own seed, so the training stream never draws them."""
    return SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, HELD_OUT_SEED).batch(HELD_OUT_SERIES)


def held_out_loss(model, tok, values) -> float:
    import torch

    model.eval()
    losses = []
    with torch.no_grad():
        for start in range(0, len(values), 128):
            chunk = values[start : start + 128]
            input_ids, attention_mask, labels = encode(tok, chunk, np.full(len(chunk), CONTEXT_LENGTH), model.device)
            losses.append(float(model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss) * len(chunk))
    model.train()
    return sum(losses) / len(values)


def build_model(recipe: Recipe):
    import torch
    from transformers import T5ForConditionalGeneration

    from harness.architectures import t5_config

    torch.manual_seed(recipe.seed)
    config = t5_config(recipe.d_model, recipe.d_ff, recipe.layers, recipe.heads, recipe.d_kv, dropout=recipe.dropout,
                       context_length=CONTEXT_LENGTH, prediction_length=PREDICTION_LENGTH)
    return T5ForConditionalGeneration(config)


def fit(parameters: list, batch_loss, evaluate, *, steps: int, learning_rate: float, weight_decay: float, warmup: float, clip: float,
        log_every: int, eval_every: int, progress=None) -> tuple[list[dict], float]:
    """AdamW with a one-cycle cosine schedule and gradient clipping; returns the logged curve and the seconds taken.

    ``batch_loss()`` draws the next batch and returns its loss; ``evaluate()`` returns the held-out loss.
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
            point = {"step": step, "train_loss": round(float(np.mean(recent)), 4), "seconds": round(time.perf_counter() - started, 1)}
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


def train(size: str, out: Path, *, steps: int | None = None, device: str = "cpu", log_every: int = 100, eval_every: int = 1000,
          progress=None) -> dict:
    """Train one zoo size on ``device`` and write its checkpoint directory (with training_log.json) atomically at ``out``."""
    import torch

    from harness.architectures import save_checkpoint

    recipe = SIZES[size]
    if steps is not None:
        recipe = Recipe(**{**asdict(recipe), "steps": steps})
    model = build_model(recipe).to(device)
    model.train()
    tok = tokenizer()
    source = SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, recipe.seed)
    length_rng = np.random.default_rng([recipe.seed, 2])
    held_out_values, _, _ = held_out_set()

    def batch_loss():
        values, _, _ = source.batch(recipe.batch_size)
        input_ids, attention_mask, labels = encode(tok, values, length_rng.integers(MIN_CONTEXT, CONTEXT_LENGTH + 1, recipe.batch_size), device)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=recipe.bf16_autocast):
            return model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss

    curve, seconds = fit(list(model.parameters()), batch_loss, lambda: held_out_loss(model, tok, held_out_values), steps=recipe.steps,
                         learning_rate=recipe.learning_rate, weight_decay=recipe.weight_decay, warmup=recipe.warmup, clip=recipe.clip,
                         log_every=log_every, eval_every=eval_every, progress=progress)
    log = {
        "size": size,
        "recipe": asdict(recipe),
        "context_length": CONTEXT_LENGTH,
        "prediction_length": PREDICTION_LENGTH,
        "min_context": MIN_CONTEXT,
        "data_mix": MIX,
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_train_loss": curve[-1]["train_loss"],
        "held_out_loss": curve[-1]["held_out_loss"],
        "held_out": {"seed": HELD_OUT_SEED, "series": HELD_OUT_SERIES, "context": CONTEXT_LENGTH},
        "training_seconds": round(seconds, 1),
        **machine_facts(device),
        "curve": curve,
    }
    model.eval()

    def fill(staging: Path) -> None:
        save_checkpoint(model.to("cpu", getattr(torch, recipe.stored_dtype)), staging)
        (staging / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")

    atomic.write_directory(out, fill)
    return log
