"""Train the miniature Chronos-Bolt and Chronos-2 models of the zoo from random init, on the zoo's synthetic mix,
with each family's own objective: the quantile loss its forward computes from a target.

Bolt: chronos-forecasting ships no trainer for it, so the zoo's AdamW loop (harness.zoo.fit) drives
``ChronosBoltModelForForecasting(context=..., target=...).loss``, contexts left-padded with NaN to a random length.
Chronos-2: the package's own ``Chronos2Trainer`` over a ``Chronos2Dataset`` of synthetic series (it slices a random
window of each series, so contexts vary in length too).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness import atomic
from harness.chronos.synthetic import MIX, SeriesSource
from harness.errors import HarnessError
from harness.patch_models import bolt, chronos2
from harness.zoo.fit import cycles_of, fit, machine_facts, resumable_log, round_to_stored_dtype

CONTEXT_LENGTH = 512
PREDICTION_LENGTH = 64
PATCH = 16
MIN_CONTEXT = 64
QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
HELD_OUT_SEED = 10_000
HELD_OUT_SERIES = 256
CHRONOS2_POOL = 4096  # synthetic series the Chronos2Dataset slices windows from
CHRONOS2_SERIES_LENGTH = 1024


@dataclass(frozen=True)
class Recipe:
    family: str
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
    stored_dtype: str = "float32"
    seed: int = 0
    # Bolt only: warm restarts, the step counts of further one-cycle schedules, each from the previous cycle's weights
    # as its checkpoint stored them (in cycle_dtype) with a fresh AdamW and data stream, so `--resume` continues a
    # checkpoint saved after a cycle exactly as one run in a single process would.
    restarts: tuple[int, ...] = ()
    cycle_dtype: str = "float32"

    @property
    def cycles(self) -> list[int]:
        return [self.steps, *self.restarts]


SIZES = {
    "bolt-nano": Recipe(bolt.NAME, d_model=64, d_ff=256, layers=2, heads=4, d_kv=16, steps=40_000, learning_rate=1e-3),
    "bolt-micro": Recipe(bolt.NAME, d_model=128, d_ff=512, layers=3, heads=4, d_kv=32, steps=25_000, learning_rate=1e-3,
                         restarts=(15_000,), cycle_dtype="bfloat16"),
    "chronos2-nano": Recipe(chronos2.NAME, d_model=64, d_ff=256, layers=2, heads=4, d_kv=16, steps=3000, learning_rate=1e-3),
    "chronos2-micro": Recipe(chronos2.NAME, d_model=128, d_ff=512, layers=3, heads=4, d_kv=32, steps=3000, learning_rate=1e-3,
                             stored_dtype="bfloat16"),
}


def build_model(recipe: Recipe):
    import torch

    torch.manual_seed(recipe.seed)
    if recipe.family == bolt.NAME:
        from chronos.chronos_bolt import ChronosBoltModelForForecasting
        from transformers import T5Config

        config = T5Config(d_model=recipe.d_model, d_kv=recipe.d_kv, d_ff=recipe.d_ff, num_layers=recipe.layers, num_decoder_layers=recipe.layers,
                          num_heads=recipe.heads, vocab_size=2, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, dropout_rate=0.0,
                          feed_forward_proj="relu", architectures=[bolt.ARCHITECTURE], chronos_pipeline_class=bolt.PIPELINE,
                          chronos_config={"context_length": CONTEXT_LENGTH, "prediction_length": PREDICTION_LENGTH, "input_patch_size": PATCH,
                                          "input_patch_stride": PATCH, "quantiles": QUANTILES, "use_reg_token": True})
        return ChronosBoltModelForForecasting(config)
    from chronos.chronos2 import Chronos2Model
    from chronos.chronos2.config import Chronos2CoreConfig

    config = Chronos2CoreConfig(d_model=recipe.d_model, d_kv=recipe.d_kv, d_ff=recipe.d_ff, num_layers=recipe.layers, num_heads=recipe.heads,
                                dropout_rate=0.0)
    config.architectures, config.chronos_pipeline_class = [chronos2.ARCHITECTURE], chronos2.PIPELINE
    config.chronos_config = {"context_length": CONTEXT_LENGTH, "output_patch_size": PATCH, "input_patch_size": PATCH, "input_patch_stride": PATCH,
                             "quantiles": QUANTILES, "use_reg_token": True, "max_output_patches": PREDICTION_LENGTH // PATCH}
    return Chronos2Model(config)


def held_out_set():
    """Fixed held-out windows (context 512, horizon 64) from their own seed, so no training stream draws them."""
    return SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, HELD_OUT_SEED).batch(HELD_OUT_SERIES)


def forward(model, context, target=None):
    """The family's own forward pass over PREDICTION_LENGTH values: quantile forecasts, and the loss when ``target`` is given."""
    if type(model).__name__ == chronos2.ARCHITECTURE:
        return model(context=context, future_target=target, num_output_patches=PREDICTION_LENGTH // PATCH)
    return model(context=context, target=target)


def quantile_loss(model, values: np.ndarray) -> float:
    """The family's own loss (mean weighted quantile loss on the instance-normalised target) at full context."""
    import torch

    was_training = model.training
    model.eval()
    losses = []
    with torch.no_grad():
        for start in range(0, len(values), 64):
            chunk = torch.as_tensor(values[start:start + 64], dtype=torch.float32)
            context, target = chunk[:, :CONTEXT_LENGTH], chunk[:, CONTEXT_LENGTH:]
            losses.append(float(forward(model, context, target).loss) * len(chunk))
    model.train(was_training)
    return sum(losses) / len(values)


def _train_bolt(model, recipe: Recipe, cycle: int, held_out: np.ndarray, progress) -> tuple[list[dict], float]:
    import torch

    source = SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, recipe.seed + cycle)
    length_rng = np.random.default_rng([recipe.seed + cycle, 2])
    model.train()

    def batch_loss():
        values, _, _ = source.batch(recipe.batch_size)
        context = torch.as_tensor(values[:, :CONTEXT_LENGTH], dtype=torch.float32).clone()
        for row, kept in enumerate(length_rng.integers(MIN_CONTEXT, CONTEXT_LENGTH + 1, recipe.batch_size)):
            context[row, :CONTEXT_LENGTH - int(kept)] = float("nan")
        return model(context=context, target=torch.as_tensor(values[:, CONTEXT_LENGTH:], dtype=torch.float32)).loss

    return fit(list(model.parameters()), batch_loss, lambda: quantile_loss(model, held_out), steps=recipe.cycles[cycle],
               learning_rate=recipe.learning_rate, weight_decay=recipe.weight_decay, warmup=recipe.warmup, clip=recipe.clip,
               log_every=100, eval_every=500, steps_before=sum(recipe.cycles[:cycle]), progress=progress)


def _train_chronos2(model, recipe: Recipe, held_out: np.ndarray, progress, scratch: Path) -> tuple[list[dict], float]:
    from chronos.chronos2.dataset import Chronos2Dataset, DatasetMode
    from chronos.chronos2.trainer import Chronos2Trainer
    from transformers import TrainerCallback, TrainingArguments

    pool, _, _ = SeriesSource(CHRONOS2_SERIES_LENGTH, recipe.seed).batch(CHRONOS2_POOL)
    dataset = Chronos2Dataset([series.astype(np.float32) for series in pool], context_length=CONTEXT_LENGTH, prediction_length=PREDICTION_LENGTH,
                              batch_size=recipe.batch_size, output_patch_size=PATCH, min_past=MIN_CONTEXT, mode=DatasetMode.TRAIN)
    curve: list[dict] = []
    started = time.perf_counter()

    class Curve(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                point = {"step": state.global_step, "train_loss": round(float(logs["loss"]), 4), "seconds": round(time.perf_counter() - started, 1)}
                if state.global_step % 500 == 0 or state.global_step == state.max_steps:
                    point["held_out_loss"] = round(quantile_loss(kwargs["model"], held_out), 4)
                curve.append(point)
                if progress:
                    progress(point)

    arguments = TrainingArguments(output_dir=str(scratch), per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
                                  weight_decay=recipe.weight_decay, max_grad_norm=recipe.clip, lr_scheduler_type="cosine",
                                  warmup_steps=int(recipe.warmup * recipe.steps), max_steps=recipe.steps, logging_steps=100, save_strategy="no",
                                  report_to="none", use_cpu=True, seed=recipe.seed, data_seed=recipe.seed, dataloader_num_workers=0,
                                  disable_tqdm=True)
    Chronos2Trainer(model=model, args=arguments, train_dataset=dataset, callbacks=[Curve()]).train()
    return curve, time.perf_counter() - started


def load_bolt(directory: Path):
    """A Bolt zoo checkpoint in float32, to continue training it."""
    import torch
    from chronos.chronos_bolt import ChronosBoltModelForForecasting

    return ChronosBoltModelForForecasting.from_pretrained(directory, dtype=torch.float32, use_safetensors=True, local_files_only=True)


def train(size: str, out: Path, *, steps: int | None = None, resume: Path | None = None, progress=None) -> dict:
    """Train one patch-model zoo size on the CPU and write its checkpoint directory (with training_log.json) atomically;
    ``resume`` continues a Bolt checkpoint of this recipe that stopped after fewer cycles than the recipe has."""
    import tempfile

    import torch

    if size not in SIZES:
        raise HarnessError(f"unknown patch-model zoo size '{size}'; use one of {', '.join(SIZES)}")
    recipe = SIZES[size] if steps is None else Recipe(**{**asdict(SIZES[size]), "steps": steps, "restarts": ()})
    if recipe.restarts and recipe.family != bolt.NAME:
        raise HarnessError(f"{size}: warm restarts are for Bolt; Chronos2Trainer runs one schedule")
    if resume is not None and len(recipe.cycles) == 1:
        raise HarnessError(f"{size} trains in one cycle and has nothing to resume; drop --resume")
    earlier = resumable_log(size, recipe, recipe.cycles, Path(resume), ("restarts", "cycle_dtype", "stored_dtype")) if resume is not None else None
    if earlier is not None and earlier["recipe"]["stored_dtype"] not in (recipe.cycle_dtype, "float32"):
        raise HarnessError(f"{resume} is stored in {earlier['recipe']['stored_dtype']}, coarser than the {recipe.cycle_dtype} {size}'s next "
                           "cycle starts from; train from scratch")
    model = build_model(recipe) if earlier is None else load_bolt(Path(resume))  # only Bolt recipes have several cycles
    held_out, _, _ = held_out_set()
    curve = list(earlier["curve"]) if earlier else []
    cycles = list(cycles_of(earlier)) if earlier else []
    for cycle in range(len(cycles), len(recipe.cycles)):
        if cycle:
            round_to_stored_dtype(model, getattr(torch, recipe.cycle_dtype))
        with tempfile.TemporaryDirectory() as scratch:
            if recipe.family == bolt.NAME:
                cycle_curve, seconds = _train_bolt(model, recipe, cycle, held_out, progress)
            else:
                cycle_curve, seconds = _train_chronos2(model, recipe, held_out, progress, Path(scratch))
        curve += cycle_curve
        cycles.append({"cycle": cycle + 1, "steps": recipe.cycles[cycle], "data_seed": recipe.seed + cycle, "training_seconds": round(seconds, 1),
                       **machine_facts("cpu")})
    model.eval()
    model.to(getattr(torch, recipe.stored_dtype)).float()  # what saving does to the weights: the evaluation sees the stored ones
    log = {
        "size": size,
        "family": recipe.family,
        "recipe": asdict(recipe),
        "trainer": "harness.zoo.fit (AdamW, one-cycle cosine schedule)" if recipe.family == bolt.NAME else
                   "chronos.chronos2.Chronos2Trainer (transformers Trainer: AdamW, cosine schedule with linear warm-up)",
        "context_length": CONTEXT_LENGTH,
        "prediction_length": PREDICTION_LENGTH,
        "min_context": MIN_CONTEXT,
        "quantiles": QUANTILES,
        "data_mix": MIX,
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_train_loss": curve[-1]["train_loss"],
        "held_out_loss": round(quantile_loss(model, held_out), 4),
        "held_out": {"seed": HELD_OUT_SEED, "series": HELD_OUT_SERIES, "context": CONTEXT_LENGTH},
        "training_seconds": round(sum(c["training_seconds"] for c in cycles), 1),
        **{k: cycles[-1][k] for k in ("hardware", "torch", "load_average") if k in cycles[-1]},
        "cycles": cycles,
        "curve": curve,
    }

    def fill(staging: Path) -> None:
        model.to(getattr(torch, recipe.stored_dtype)).save_pretrained(staging, safe_serialization=True)
        (staging / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")

    atomic.write_directory(out, fill)
    return log
