"""Counting induction heads across RRT settings: seeds, token ranges, and sequence-length x repetitions grids."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from harness.chronos.induction import InductionMosaic, RRTSettings

MeasureAll = Callable[[list[RRTSettings]], list[InductionMosaic]]


def head_counts(mosaic: InductionMosaic, threshold: float, chance_multiple: float | None = None) -> dict:
    """Current, right and total counts by CI lower bound; optionally also heads clearing chance_multiple x 1/T."""
    heads = mosaic.classify(threshold)
    by_mean = mosaic.classify(threshold, by="mean")
    counts = {
        "current": len(heads["current"]),
        "right": len(heads["right"]),
        "total": len(heads["current"]) + len(heads["right"]),
        "total_by_mean": len(by_mean["current"]) + len(by_mean["right"]),
        "heads": mosaic.layers * mosaic.heads_per_layer,
        "chance_level": mosaic.chance,
    }
    counts["share"] = counts["total"] / counts["heads"]
    if chance_multiple is not None:
        above = mosaic.classify(chance_multiple * mosaic.chance)
        counts["chance_multiple"] = chance_multiple
        counts["total_above_chance_multiple"] = len(above["current"]) + len(above["right"])
    return counts


def per_seed_counts(measure_all: MeasureAll, base: RRTSettings, seeds: int, threshold: float) -> list[dict]:
    mosaics = measure_all([replace(base, seed=seed) for seed in range(seeds)])
    return [{"seed": seed, **head_counts(mosaic, threshold)} for seed, mosaic in enumerate(mosaics)]


def grid_counts(measure_all: MeasureAll, base: RRTSettings, sequence_lengths, repetitions, threshold: float, chance_multiple: float,
                max_encoder_length: int | None = None) -> list[dict]:
    """One cell per (sequence_length, repetitions), with the chance level and the strongest head beside the counts.

    Cells whose input (length x repetitions + 2 tokens) exceeds ``max_encoder_length`` are left out."""
    grid = [(length, reps) for length in sequence_lengths for reps in repetitions
            if max_encoder_length is None or length * reps + 2 <= max_encoder_length]
    mosaics = measure_all([replace(base, sequence_length=length, repetitions=reps) for length, reps in grid])
    return [{"sequence_length": length, "repetitions": reps, "encoder_length": mosaic.inputs["encoder_length"],
             **head_counts(mosaic, threshold, chance_multiple), "strongest_head": mosaic.strongest_head(by="mean")}
            for (length, reps), mosaic in zip(grid, mosaics)]
