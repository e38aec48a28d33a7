"""Train a miniature Chronos-T5 from random init with the Chronos objective on in-code synthetic series.

Objective as in Chronos: mean-scale the context, tokenize with the chronos tokenizer (uniform bins over
[-15, 15]), append EOS; cross-entropy on the next prediction_length tokens plus EOS; AdamW.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness import atomic
from harness.zoo.fit import cycles_of, fit, machine_facts
from harness.chronos.synthetic import MIX, SeriesSource

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
    # Warm restarts: the step counts of further one-cycle schedules. Each starts from the previous cycle's weights as
    # stored (rounded to stored_dtype), with a fresh AdamW and a fresh data stream, so a run resumed from a saved
    # checkpoint (`--resume`) continues exactly as one run in a single process would.
    restarts: tuple[int, ...] = ()

    @property
    def cycles(self) -> list[int]:
        return [self.steps, *self.restarts]


SIZES = {
    "nano": Recipe(d_model=64, d_ff=256, layers=2, heads=4, d_kv=16, steps=12_000, learning_rate=3e-3),
    "micro": Recipe(d_model=128, d_ff=512, layers=3, heads=4, d_kv=32, steps=18_000, learning_rate=2e-3, bf16_autocast=True),
    "milli": Recipe(d_model=256, d_ff=1024, layers=4, heads=8, d_kv=32, steps=18_000, learning_rate=4e-4, bf16_autocast=True,
                    stored_dtype="bfloat16", restarts=(15_000,)),
}


def tokenizer():
    from chronos import ChronosConfig

    from harness.chronos.architectures import CHRONOS_CONFIG

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

    from harness.chronos.architectures import t5_config

    torch.manual_seed(recipe.seed)
    config = t5_config(recipe.d_model, recipe.d_ff, recipe.layers, recipe.heads, recipe.d_kv, dropout=recipe.dropout,
                       context_length=CONTEXT_LENGTH, prediction_length=PREDICTION_LENGTH)
    return T5ForConditionalGeneration(config)


def resumable_log(size: str, recipe: Recipe, resume: Path) -> dict:
    """The training log of a checkpoint that ``recipe`` can continue: same size and recipe, fewer cycles done."""
    log_path = resume / "training_log.json"
    if not log_path.is_file():
        raise ValueError(f"{resume} has no training_log.json; --resume takes a directory written by `harness zoo train`")
    log = json.loads(log_path.read_text())
    done = len(cycles_of(log))
    mine = {k: v for k, v in asdict(recipe).items() if k != "restarts"}
    theirs = {k: v for k, v in log["recipe"].items() if k != "restarts"}
    if log["size"] != size or mine != theirs or list(log["recipe"].get("restarts", []))[: done - 1] != list(recipe.restarts[: done - 1]):
        raise ValueError(f"{resume} was trained with another recipe than {size}'s; resume it with the code that wrote it, or train from scratch")
    if done >= len(recipe.cycles):
        raise ValueError(f"{resume} has already run all {done} cycles of {size}'s recipe; there is nothing to resume")
    return log


def round_to_stored_dtype(model, dtype) -> None:
    """What saving and reloading the checkpoint does to the weights, so a restart in one process matches a resumed one."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(parameter.to(dtype).to(parameter.dtype))


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
        recipe = Recipe(**{**asdict(recipe), "steps": steps, "restarts": ()})
    earlier = resumable_log(size, recipe, Path(resume)) if resume is not None else None
    if earlier is None:
        model = build_model(recipe).to(device)
    else:
        from transformers import T5ForConditionalGeneration

        model = T5ForConditionalGeneration.from_pretrained(resume, dtype=torch.float32, use_safetensors=True).to(device)
    tok = tokenizer()
    held_out_values, _, _ = held_out_set()
    curve = list(earlier["curve"]) if earlier else []
    cycles = list(cycles_of(earlier)) if earlier else []
    stored_dtype = getattr(torch, recipe.stored_dtype)
    for cycle in range(len(cycles), len(recipe.cycles)):
        if cycle:
            round_to_stored_dtype(model, stored_dtype)
        model.train()
        source = SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, recipe.seed + cycle)
        length_rng = np.random.default_rng([recipe.seed + cycle, 2])

        def batch_loss():
            values, _, _ = source.batch(recipe.batch_size)
            input_ids, attention_mask, labels = encode(tok, values, length_rng.integers(MIN_CONTEXT, CONTEXT_LENGTH + 1, recipe.batch_size), device)
            with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=recipe.bf16_autocast):
                return model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss

        cycle_curve, seconds = fit(list(model.parameters()), batch_loss, lambda: held_out_loss(model, tok, held_out_values),
                                   steps=recipe.cycles[cycle], learning_rate=recipe.learning_rate, weight_decay=recipe.weight_decay,
                                   warmup=recipe.warmup, clip=recipe.clip, log_every=log_every, eval_every=eval_every,
                                   steps_before=sum(recipe.cycles[:cycle]), progress=progress)
        curve += cycle_curve
        cycles.append({"cycle": cycle + 1, "steps": recipe.cycles[cycle], "data_seed": recipe.seed + cycle, "training_seconds": round(seconds, 1),
                       **machine_facts(device)})
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
