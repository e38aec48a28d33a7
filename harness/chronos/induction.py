"""The RRT induction mosaic: per decoder layer and head, attention to the current and right-token positions."""

from __future__ import annotations

from dataclasses import dataclass


from generators.chronos.rrt import CHRONOS_COMMON_TOKENS, rrt_batch
from harness import metrics
from harness.errors import HarnessError, InputTooLong
from harness.metrics import ScoreGrid, score_grid
from harness.settings import confidence, integer, interval, n_resamples, parameter

DEFAULT_THRESHOLD = 0.3


VOCAB_SIZE = 4096  # Chronos' tokenizer: 4093 bins and 3 special tokens (PAD 0, EOS 1)


@dataclass(frozen=True)
class RRTSettings:
    sequence_length: int = parameter(10, integer(2), "RRT: length of the random sequence S")
    repetitions: int = parameter(2, integer(1), "RRT: how many times S is repeated")
    batch_size: int = parameter(100, integer(2), "sequences per measurement")
    seed: int = parameter(0, integer(0), "seed of the input draw and the bootstrap")
    token_range: tuple[int, int] = parameter(CHRONOS_COMMON_TOKENS, interval(2, VOCAB_SIZE - 1), "RRT token ids, inclusive, no special tokens")
    confidence: float = confidence()
    n_resamples: int = n_resamples(2000)

    @property
    def encoder_length(self) -> int:
        """S repeated, then S[0] and EOS."""
        return self.sequence_length * self.repetitions + 2


@dataclass(frozen=True)
class InductionMosaic:
    settings: RRTSettings
    inputs: dict  # RRTBatch.describe()
    model: dict  # LoadedModel.describe()
    current: ScoreGrid
    right: ScoreGrid

    @property
    def layers(self) -> int:
        return self.current.mean.shape[0]

    @property
    def heads_per_layer(self) -> int:
        return self.current.mean.shape[1]

    @property
    def chance(self) -> float:
        return metrics.chance_level(self.inputs["encoder_length"])

    def classify(self, threshold: float = DEFAULT_THRESHOLD, *, by: str = "ci_low") -> dict[str, list[tuple[int, int]]]:
        """Current-token and right-token heads: by the CI lower bound (default) or the plain mean, as the study did."""
        return {"current": self.current.heads(threshold, by=by), "right": self.right.heads(threshold, by=by)}

    def strongest_head(self, *, by: str = "ci_low") -> dict:
        """The (kind, layer, head) with the highest score ``by`` (ci_low or mean), with its mean and CI."""
        candidates = [(getattr(getattr(self, kind), by)[layer, head], kind, layer, head)
                      for kind in ("current", "right") for layer in range(self.layers) for head in range(self.heads_per_layer)]
        _, kind, layer, head = max(candidates)
        grid = getattr(self, kind)
        return {"kind": kind, "layer": layer, "head": head, "mean": float(grid.mean[layer, head]),
                "ci": [float(grid.ci_low[layer, head]), float(grid.ci_high[layer, head])]}

    def measurement(self) -> dict:
        """How these numbers were measured, for every statistic that quotes them."""
        return {
            "model": self.model["name"],
            "device": self.model["device"],
            "dtype": self.model["dtype"],
            "procedure": self.inputs.get("procedure", "RRT cross-attention from decoder position 1 (token S[1]), batch mean with percentile bootstrap CI"),
            **self.inputs,
            "confidence": self.settings.confidence,
            "n_resamples": self.settings.n_resamples,
            "chance_level": self.chance,
        }

    def summary(self, threshold: float = DEFAULT_THRESHOLD) -> dict:
        by_ci = self.classify(threshold)
        by_mean = self.classify(threshold, by="mean")
        total_heads = self.layers * self.heads_per_layer
        return {
            "measurement": self.measurement(),
            "threshold": threshold,
            "rule": "a head counts when the CI lower bound of its batch-mean score is >= threshold",
            "current_heads": by_ci["current"],
            "right_heads": by_ci["right"],
            "counts": {"current": len(by_ci["current"]), "right": len(by_ci["right"]), "total_heads": total_heads},
            "counts_by_mean": {"current": len(by_mean["current"]), "right": len(by_mean["right"])},
            "mosaic": {"current": self.current.to_dict(), "right": self.right.to_dict()},
        }


def mosaic_from_rows(rows, batch, settings: RRTSettings, model_description: dict, inputs: dict | None = None) -> InductionMosaic:
    """rows: (batch, layers, heads, keys), the query's attention in every head; ``batch`` gives the current and right
    positions (an RRTBatch, or a family's own repeated input) and, unless ``inputs`` is given, the description."""
    current = metrics.attention_to_position(rows, batch.current_position)
    right = metrics.attention_to_position(rows, batch.right_position)
    return InductionMosaic(settings, inputs or batch.describe(), model_description,
                          score_grid(current, settings.confidence, settings.n_resamples, settings.seed),
                          score_grid(right, settings.confidence, settings.n_resamples, settings.seed))


def check_fits(loaded, settings: RRTSettings) -> None:
    """An RRT input longer than the model's context cannot decide a claim on that model: InputTooLong (inconclusive).
    A model of another family cannot take token ids at all: a one-line error."""
    if loaded.family != "chronos-t5":
        raise HarnessError(f"{loaded.name} is a {loaded.family} model; this measurement feeds Chronos-T5 token ids, so it reads "
                           "chronos-t5 checkpoints only")
    length = settings.encoder_length
    if length > loaded.context_length + 1:
        raise InputTooLong(f"the RRT input of {length} tokens (sequence_length {settings.sequence_length} x repetitions "
                           f"{settings.repetitions} + S[0] and EOS) is longer than {loaded.name}'s context of {loaded.context_length} "
                           "tokens and EOS: the claim cannot be decided on this model")


def rrt_chunk_size(loaded, settings: RRTSettings, max_memory: str | int | None = None) -> int:
    """Sequences per forward pass that fit the memory budget; refuses a batch whose inputs and kept rows cannot fit."""
    from harness.memory import budget_bytes, plan_chunks

    config = loaded.model.config
    length, layers, heads = settings.encoder_length, config.num_decoder_layers, config.num_heads
    kept = 24 * (length + 2) + 16 * layers * heads * length + 16 * layers * heads  # ids, rows (float32 and float64), scores
    working = 4 * length * (8 * config.d_model + 2 * config.d_ff) + 8 * heads * length * length
    budget = budget_bytes(max_memory if max_memory is not None else loaded.memory_budget)
    return plan_chunks(settings.batch_size, kept, working, budget, f"RRT on {loaded.name}")


def measure_rrt(loaded, settings: RRTSettings = RRTSettings(), chunk_size: int | None = None,
                max_memory: str | int | None = None) -> InductionMosaic:
    """Run RRT on a LoadedModel and score every decoder cross-attention head, in chunks that fit the memory budget
    (``max_memory``, default half of the memory available) unless ``chunk_size`` is given."""
    import harness.chronos.capture as capture

    if "rrt" in loaded.own_measurements:  # a family with its own repeated input (patch models)
        return loaded.own_measurements["rrt"](loaded, settings, chunk_size, max_memory)
    check_fits(loaded, settings)
    chunk_size = chunk_size or rrt_chunk_size(loaded, settings, max_memory)
    batch = rrt_batch(
        settings.sequence_length,
        settings.repetitions,
        settings.batch_size,
        settings.seed,
        settings.token_range,
        vocab_size=loaded.vocab_size,
        max_encoder_length=loaded.context_length + 1,  # the context plus EOS
    )
    rows = capture.cross_attention(
        loaded.model, batch.encoder_ids, batch.decoder_ids, query_positions=[batch.query_position], chunk_size=chunk_size
    )[:, :, :, 0, :]
    return mosaic_from_rows(rows.numpy(), batch, settings, loaded.describe())


def measure_rrt_many(loaded, settings_list: list[RRTSettings], max_memory: str | int | None = None) -> list[InductionMosaic]:
    """measure_rrt for many settings at once: inputs of equal encoder length share forward passes (chunked to the memory
    budget), so a grid or a run of seeds costs one pass per length instead of one per setting. Same scores as one at a
    time, to float32 rounding."""
    import sys
    from dataclasses import replace

    import numpy as np
    from tqdm import tqdm

    import harness.chronos.capture as capture

    if "rrt" in loaded.own_measurements:
        return [measure_rrt(loaded, settings, max_memory=max_memory) for settings in settings_list]
    groups: dict[int, list[int]] = {}
    for index, settings in enumerate(settings_list):
        groups.setdefault(settings.encoder_length, []).append(index)
    mosaics: list[InductionMosaic | None] = [None] * len(settings_list)
    for length, indices in tqdm(sorted(groups.items()), desc=f"{loaded.name}: RRT inputs by length", file=sys.__stderr__, leave=False,
                                disable=None):
        check_fits(loaded, settings_list[indices[0]])
        batches = [rrt_batch(settings_list[i].sequence_length, settings_list[i].repetitions, settings_list[i].batch_size,
                             settings_list[i].seed, settings_list[i].token_range, vocab_size=loaded.vocab_size,
                             max_encoder_length=loaded.context_length + 1) for i in indices]
        together = replace(settings_list[indices[0]], batch_size=sum(b.batch_size for b in batches))
        query = batches[0].query_position  # every RRT batch queries decoder position 1
        rows = capture.cross_attention(loaded.model, np.concatenate([b.encoder_ids for b in batches]),
                                       np.concatenate([b.decoder_ids for b in batches]), query_positions=[query],
                                       chunk_size=rrt_chunk_size(loaded, together, max_memory))[:, :, :, 0, :].numpy()
        start = 0
        for i, batch in zip(indices, batches):
            mosaics[i] = mosaic_from_rows(rows[start:start + batch.batch_size], batch, settings_list[i], loaded.describe())
            start += batch.batch_size
    return mosaics


measure_rrt.batched = measure_rrt_many  # ModelPool.measure_all measures many settings in shared passes through this
