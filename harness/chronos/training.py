"""Train a miniature Chronos-T5 from random init with the Chronos objective on in-code synthetic series.

Objective as in Chronos: mean-scale the context, tokenize with the chronos tokenizer (uniform bins over
[-15, 15]), append EOS; cross-entropy on the next prediction_length tokens plus EOS; AdamW.
Each size first learns at a short context (64 values, 16 predicted), where the cycles are cheap, and then, warm-started
from those weights, at the published context (512 values, 64 predicted) on contexts of mixed length.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness import atomic
from harness.zoo.fit import cycles_of, fit, machine_facts, resumable_log, round_to_stored_dtype
from harness.chronos.synthetic import MIX, MIXES, SeriesSource

SHORT_CONTEXT = 64
SHORT_PREDICTION = 16
CONTEXT_LENGTH = 512  # the shipped models read what the published Chronos-T5 models read
PREDICTION_LENGTH = 64
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
    # Warm restarts: the step counts of further one-cycle schedules. Each starts from the previous cycle's weights as
    # stored (rounded to stored_dtype), with a fresh AdamW and a fresh data stream, so a run resumed from a saved
    # checkpoint (`--resume`) continues exactly as one run in a single process would.
    restarts: tuple[int, ...] = ()
    # The last cycle, at CONTEXT_LENGTH values and PREDICTION_LENGTH predicted, from the short cycles' stored weights.
    # Each of its batches has one context length drawn from MIN_CONTEXT..CONTEXT_LENGTH, so short batches cost less.
    long_steps: int = 0
    long_learning_rate: float = 0.0
    long_batch_size: int = 32
    long_mix: str = "base"  # a key of synthetic.MIXES

    @property
    def cycles(self) -> list["Cycle"]:
        short = [Cycle(steps, self.learning_rate, self.batch_size, SHORT_CONTEXT, SHORT_PREDICTION) for steps in (self.steps, *self.restarts)]
        return short + ([Cycle(self.long_steps, self.long_learning_rate, self.long_batch_size, CONTEXT_LENGTH, PREDICTION_LENGTH, self.long_mix)]
                        if self.long_steps else [])


@dataclass(frozen=True)
class Cycle:
    """One one-cycle schedule of a recipe: its steps, peak learning rate, batch, the window it trains on and its data mix."""

    steps: int
    learning_rate: float
    batch_size: int
    context_length: int
    prediction_length: int
    mix: str = "base"

    @property
    def long(self) -> bool:
        return self.context_length > SHORT_CONTEXT


SIZES = {
    "nano": Recipe(d_model=64, d_ff=256, layers=2, heads=4, d_kv=16, steps=12_000, learning_rate=3e-3,
                   long_steps=2_000, long_learning_rate=1e-3),
    "micro": Recipe(d_model=128, d_ff=512, layers=3, heads=4, d_kv=32, steps=18_000, learning_rate=2e-3, bf16_autocast=True,
                    long_steps=1_500, long_learning_rate=6e-4),
    "milli": Recipe(d_model=256, d_ff=1024, layers=4, heads=8, d_kv=32, steps=18_000, learning_rate=4e-4, bf16_autocast=True,
                    stored_dtype="bfloat16", restarts=(15_000,), long_steps=800, long_learning_rate=2e-4),
}


def tokenizer(context_length: int = CONTEXT_LENGTH, prediction_length: int = PREDICTION_LENGTH):
    from chronos import ChronosConfig

    from harness.chronos.architectures import CHRONOS_CONFIG

    return ChronosConfig(**{**CHRONOS_CONFIG, "context_length": context_length, "prediction_length": prediction_length}).create_tokenizer()


def encode(tok, values: np.ndarray, context_lengths: np.ndarray, context_length: int, device="cpu"):
    """Token tensors for one batch, on ``device``: the first ``context_length`` values NaN-padded to each row's kept
    length, and the rest as the forecast window."""
    import torch

    context = torch.as_tensor(values[:, :context_length], dtype=torch.float32).clone()
    for row, kept in enumerate(context_lengths):
        context[row, : context_length - int(kept)] = float("nan")
    input_ids, attention_mask, scale = tok.context_input_transform(context)
    labels, labels_mask = tok.label_input_transform(torch.as_tensor(values[:, context_length:], dtype=torch.float32), scale)
    labels[~labels_mask] = -100
    return input_ids.to(device), attention_mask.to(device), labels.to(device)


def held_out_set(context_length: int = CONTEXT_LENGTH, prediction_length: int = PREDICTION_LENGTH):
    """Fixed held-out series: their own seed, so the training stream never draws them."""
    return SeriesSource(context_length + prediction_length, HELD_OUT_SEED).batch(HELD_OUT_SERIES)


def held_out_loss(model, tok, values, context_length: int = CONTEXT_LENGTH) -> float:
    import torch

    model.eval()
    losses = []
    with torch.no_grad():
        for start in range(0, len(values), 128):
            chunk = values[start : start + 128]
            input_ids, attention_mask, labels = encode(tok, chunk, np.full(len(chunk), context_length), context_length, model.device)
            losses.append(float(model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss) * len(chunk))
    model.train()
    return sum(losses) / len(values)


def build_model(recipe: Recipe):
    import torch
    from transformers import T5ForConditionalGeneration

    from harness.chronos.architectures import t5_config

    torch.manual_seed(recipe.seed)
    config = t5_config(recipe.d_model, recipe.d_ff, recipe.layers, recipe.heads, recipe.d_kv, dropout=recipe.dropout,
                       context_length=SHORT_CONTEXT, prediction_length=SHORT_PREDICTION)
    return T5ForConditionalGeneration(config)


CONTINUATIONS = ("restarts", "long_steps", "long_learning_rate", "long_batch_size", "long_mix")  # recipe fields a resumed run may add cycles with


def train(size: str, out: Path, *, steps: int | None = None, device: str = "cpu", resume: Path | None = None, log_every: int = 100,
          eval_every: int = 1000, progress=None) -> dict:
    """Train one zoo size on ``device`` and write its checkpoint directory (with training_log.json) atomically at ``out``.

    ``steps`` replaces the recipe's schedule by one cycle of that many steps; ``resume`` continues a checkpoint
    of this recipe that stopped after fewer cycles than the recipe has.
    """
    import torch

    from harness.chronos.architectures import save_checkpoint

    recipe = SIZES[size]
    if steps is not None:
        recipe = Recipe(**{**asdict(recipe), "steps": steps, "restarts": (), "long_steps": 0})
    earlier = resumable_log(size, recipe, [c.steps for c in recipe.cycles], Path(resume), CONTINUATIONS) if resume is not None else None
    if earlier is None:
        model = build_model(recipe).to(device)
    else:
        from transformers import T5ForConditionalGeneration

        model = T5ForConditionalGeneration.from_pretrained(resume, dtype=torch.float32, use_safetensors=True).to(device)
    curve = list(earlier["curve"]) if earlier else []
    cycles = list(cycles_of(earlier)) if earlier else []
    stored_dtype = getattr(torch, recipe.stored_dtype)
    for index in range(len(cycles), len(recipe.cycles)):
        cycle = recipe.cycles[index]
        if index:
            round_to_stored_dtype(model, stored_dtype)
        model.config.chronos_config = {**model.config.chronos_config, "context_length": cycle.context_length,
                                       "prediction_length": cycle.prediction_length}
        model.train()
        tok = tokenizer(cycle.context_length, cycle.prediction_length)
        held_out_values, _, _ = held_out_set(cycle.context_length, cycle.prediction_length)
        source = SeriesSource(cycle.context_length + cycle.prediction_length, recipe.seed + index, mix=cycle.mix)
        length_rng = np.random.default_rng([recipe.seed + index, 2])

        def batch_loss():
            values, _, _ = source.batch(cycle.batch_size)
            if cycle.long:  # one length per batch: the batch is cut to it rather than padded
                kept = int(length_rng.integers(MIN_CONTEXT, cycle.context_length + 1))
                values, kept_lengths, width = values[:, cycle.context_length - kept :], np.full(cycle.batch_size, kept), kept
            else:
                kept_lengths, width = length_rng.integers(MIN_CONTEXT, cycle.context_length + 1, cycle.batch_size), cycle.context_length
            input_ids, attention_mask, labels = encode(tok, values, kept_lengths, width, device)
            with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=recipe.bf16_autocast):
                return model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss

        cycle_curve, seconds = fit(list(model.parameters()), batch_loss,
                                   lambda: held_out_loss(model, tok, held_out_values, cycle.context_length),
                                   steps=cycle.steps, learning_rate=cycle.learning_rate, weight_decay=recipe.weight_decay,
                                   warmup=recipe.warmup, clip=recipe.clip, log_every=log_every,
                                   eval_every=max(1, cycle.steps // 2) if cycle.long else eval_every,
                                   steps_before=sum(c.steps for c in recipe.cycles[:index]), progress=progress)
        curve += [{**point, "context_length": cycle.context_length} if cycle.long else point for point in cycle_curve]
        cycles.append({"cycle": index + 1, "steps": cycle.steps, "data_seed": recipe.seed + index, "training_seconds": round(seconds, 1),
                       **({"context_length": cycle.context_length, "prediction_length": cycle.prediction_length,
                           "learning_rate": cycle.learning_rate, "batch_size": cycle.batch_size} if cycle.long else {}),
                       **({"data_mix": MIXES[cycle.mix]} if cycle.mix != "base" else {}),  # the log's data_mix is the base mix
                       **machine_facts(device)})
    last = recipe.cycles[-1]
    log = {
        "size": size,
        "recipe": asdict(recipe),
        "context_length": last.context_length,
        "prediction_length": last.prediction_length,
        "min_context": MIN_CONTEXT,
        "data_mix": MIX,
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_train_loss": curve[-1]["train_loss"],
        "held_out_loss": curve[-1]["held_out_loss"],
        "held_out": {"seed": HELD_OUT_SEED, "series": HELD_OUT_SERIES, "context": last.context_length},
        "training_seconds": round(sum(c["training_seconds"] for c in cycles), 1),
        **{k: cycles[-1][k] for k in ("hardware", "torch", "load_average") if k in cycles[-1]},
        "cycles": cycles,
        "curve": curve,
    }
    model.eval()

    def fill(staging: Path) -> None:
        save_checkpoint(model.to("cpu", stored_dtype), staging)
        (staging / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")

    atomic.write_directory(out, fill)
    return log
