"""Counting induction heads across RRT settings: seeds, token ranges, and sequence-length x repetitions grids."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Callable

from tqdm import tqdm

from harness.chronos.induction import InductionMosaic, RRTSettings

Measure = Callable[[RRTSettings], InductionMosaic]


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


def progress(iterable, description: str, total: int):
    """A progress bar on the real terminal (pytest captures sys.stderr); silent when that is not a terminal."""
    return tqdm(iterable, desc=description, total=total, file=sys.__stderr__, leave=False, disable=None)


def per_seed_counts(measure: Measure, base: RRTSettings, seeds: int, threshold: float, label: str) -> list[dict]:
    cells = []
    for seed in progress(range(seeds), f"{label}: seeds", seeds):
        cells.append({"seed": seed, **head_counts(measure(replace(base, seed=seed)), threshold)})
    return cells


def grid_counts(measure: Measure, base: RRTSettings, sequence_lengths, repetitions, threshold: float, chance_multiple: float, label: str,
                max_encoder_length: int | None = None) -> list[dict]:
    """One cell per (sequence_length, repetitions), with the chance level and the strongest head beside the counts.

    Cells whose input (length x repetitions + 2 tokens) exceeds ``max_encoder_length`` are left out."""
    grid = [(length, reps) for length in sequence_lengths for reps in repetitions
            if max_encoder_length is None or length * reps + 2 <= max_encoder_length]
    cells = []
    for length, reps in progress(grid, f"{label}: sl x rf grid", len(grid)):
        mosaic = measure(replace(base, sequence_length=length, repetitions=reps))
        cells.append({
            "sequence_length": length,
            "repetitions": reps,
            "encoder_length": mosaic.inputs["encoder_length"],
            **head_counts(mosaic, threshold, chance_multiple),
            "strongest_head": mosaic.strongest_head(by="mean"),
        })
    return cells
