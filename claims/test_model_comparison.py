"""Findings that compare models: how induction heads scale with model size."""

from dataclasses import dataclass

import numpy as np
import pytest

from harness import verdict
from harness.chronos import figures
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.chronos.sweeps import per_seed_counts
from harness.claims import claim
from harness.settings import open_unit, parameter, seeds, threshold
from harness.stats import bootstrap_mean_ci, rank_trend


@dataclass(frozen=True)
class SizeTrend(RRTSettings):
    threshold: float = threshold()
    seeds: int = seeds()


@dataclass(frozen=True)
class ShareLevel(RRTSettings):
    threshold: float = threshold()
    seeds: int = seeds()
    share_tolerance: float = parameter(0.03, open_unit, "largest difference in induction-head share that still counts as level")


C2 = claim("C2-induction-heads-grow-with-size", SizeTrend)
C3 = claim("C3-induction-share-levels-off", ShareLevel)


def size_table(measure, models, s) -> list[dict]:
    """The original study's table, one row per model, each count with a bootstrap CI over RRT seeds."""
    rows = []
    for loaded in models:
        cells = per_seed_counts(lambda many: measure.all(measure_rrt, loaded, many), s, s.seeds, s.threshold)
        row = {"model": loaded.name, "parameters": loaded.parameter_count, "heads": cells[0]["heads"], "per_seed": cells}
        for key in ("current", "right", "total", "share"):
            mean, low, high = bootstrap_mean_ci(np.array([cell[key] for cell in cells], dtype=float), s.confidence, s.n_resamples, seed=0)
            row[key] = {"mean": float(mean), "ci": [float(low), float(high)]}
        rows.append(row)
    return rows


def needs_two_models(models, claim_id):
    if len(models) < 2:
        pytest.skip(f"{claim_id} compares chronos-t5 models; run with two or more chronos-t5 --model options (got {len(models)})")


def measurement(models, s) -> dict:
    return {"models": [m.name for m in models], "device": models[0].device, "dtype": models[0].dtype, "seeds": list(range(s.seeds)),
            "batch_size": s.batch_size, "sequence_length": s.sequence_length, "repetitions": s.repetitions, "token_range": list(s.token_range),
            "threshold": s.threshold, "confidence": s.confidence, "interval": "percentile bootstrap over seeds",
            "chance_level": 1 / s.encoder_length}


def size_steps(table: list[dict], s) -> list[dict]:
    """Each step up in size: the per-seed difference in head count (larger minus smaller, the same seed's inputs),
    with its bootstrap CI over seeds. Seeds redraw the RRT inputs, so the CI is the measurement noise of these
    checkpoints, not a sample of models."""
    steps = []
    for smaller, larger in zip(table, table[1:]):
        differences = [b["total"] - a["total"] for a, b in zip(smaller["per_seed"], larger["per_seed"])]
        mean, low, high = bootstrap_mean_ci(differences, s.confidence, s.n_resamples, seed=0)
        steps.append({"smaller": smaller["model"], "larger": larger["model"], "per_seed": differences,
                      "mean": float(mean), "ci": [float(low), float(high)]})
    return steps


@C2.mark
def test_induction_heads_grow_with_model_size(models, measure, evidence):
    needs_two_models(models, C2.id)
    s = C2.settings
    table = size_table(measure, models, s)
    steps = size_steps(table, s)
    weakest = min(steps, key=lambda step: step["ci"][0])
    decided = [verdict.beyond_bar(*step["ci"], 0.0) for step in steps]
    evidence.decisive("head count gained by the weakest step up in size (seed mean)", weakest["mean"], ci=weakest["ci"], chance=0.0,
                      null="models of different sizes with as many heads: a difference of 0")
    evidence.measured(measurement(models, s))
    evidence.record(size_table=table, steps=steps, unit_of_analysis="the given checkpoints; seeds estimate measurement noise",
                    model_level_kendall=rank_trend([row["parameters"] for row in table], [row["total"]["mean"] for row in table],
                                                   method="kendall", alternative="greater"))
    evidence.figure(figures.size_table(table))
    evidence.figure(figures.size_rows(table))
    if not any(row["total"]["mean"] for row in table):
        evidence.inconclusive(f"no head clears {s.threshold} in any model at any seed: nothing to grow", kind="floor:no-induction-heads")
    outcome = (verdict.failed() if any(d.outcome == verdict.FAILED for d in decided) else
               verdict.passed() if all(d.outcome == verdict.PASSED for d in decided) else verdict.straddles())
    summary = "; ".join(f"{step['smaller']} -> {step['larger']}: {step['mean']:+.2f} (CI {step['ci'][0]:+.2f}..{step['ci'][1]:+.2f})"
                        for step in steps)
    evidence.conclude(outcome, f"head count per step up in size, larger minus smaller over {s.seeds} seeds: {summary}")


@C3.mark
def test_induction_share_levels_off(models, measure, evidence):
    needs_two_models(models, C3.id)
    s = C3.settings
    table = size_table(measure, models, s)
    second, largest = table[-2], table[-1]
    differences = np.array([abs(a["share"] - b["share"]) for a, b in zip(largest["per_seed"], second["per_seed"])])
    mean, low, high = bootstrap_mean_ci(differences, s.confidence, s.n_resamples, seed=0)
    evidence.decisive("|share difference| of the two largest models", mean, ci=(low, high), chance=s.share_tolerance,
                      null="an equivalence test: shares that have not levelled off differ by more than share_tolerance, its boundary")
    evidence.measured(measurement(models, s))
    evidence.record(size_table=table, compared=[second["model"], largest["model"]], share_tolerance=s.share_tolerance)
    evidence.figure(figures.size_table(table))
    evidence.figure(figures.size_rows(table))
    if largest["share"]["ci"][0] <= 0:
        evidence.inconclusive(f"no clear induction heads in the largest model, {largest['model']} (share CI {largest['share']['ci'][0]:.3f}.."
                              f"{largest['share']['ci'][1]:.3f} reaches 0): a share of zero cannot level off", kind="floor:no-induction-heads")
    evidence.conclude(verdict.against_bar(low, high, s.share_tolerance, direction="below"), (
        f"shares {second['model']} {second['share']['mean']:.3f} vs {largest['model']} {largest['share']['mean']:.3f}: "
        f"|difference| {mean:.3f} (CI {low:.3f}..{high:.3f}) against tolerance {s.share_tolerance}"))
