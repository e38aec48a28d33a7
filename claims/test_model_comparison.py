"""Findings that compare models: how induction heads scale with model size."""

from dataclasses import dataclass

import numpy as np
import pytest

from harness.chronos import figures
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.chronos.sweeps import per_seed_counts
from harness.claims import claim
from harness.report.format import format_value
from harness.settings import alpha, open_unit, parameter, seeds, threshold
from harness.stats import bootstrap_mean_ci, rank_trend


@dataclass(frozen=True)
class SizeTrend(RRTSettings):
    threshold: float = threshold()
    seeds: int = seeds()
    alpha: float = alpha()


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


@C2.mark
def test_induction_heads_grow_with_model_size(models, measure, evidence):
    needs_two_models(models, C2.id)
    s = C2.settings
    table = size_table(measure, models, s)
    trend = rank_trend([row["parameters"] for row in table for _ in row["per_seed"]],
                       [cell["total"] for row in table for cell in row["per_seed"]], method="kendall", alternative="greater")
    means = [row["total"]["mean"] for row in table]
    increasing = all(later > earlier for earlier, later in zip(means, means[1:]))
    evidence.decisive("Kendall tau-b (parameters vs per-seed head count)", trend["statistic"])
    evidence.measured(measurement(models, s))
    evidence.record(size_table=table, kendall=trend, seed_means_increase=increasing, alpha=s.alpha)
    evidence.figure(figures.size_table(table))
    evidence.figure(figures.size_rows(table))
    if not any(means):
        evidence.inconclusive(f"no head clears {s.threshold} in any model at any seed: nothing to grow")
    summary = ", ".join(f"{row['model']} ({row['parameters']:,}): {row['total']['mean']:.1f}" for row in table)
    assert increasing and trend["p_value"] < s.alpha, (
        f"head counts by size: {summary}; seed means increase: {increasing}; "
        f"Kendall tau={format_value(trend['statistic'])}, p={trend['p_value']:.3g} (alpha {s.alpha})")


@C3.mark
def test_induction_share_levels_off(models, measure, evidence):
    needs_two_models(models, C3.id)
    s = C3.settings
    table = size_table(measure, models, s)
    second, largest = table[-2], table[-1]
    differences = np.array([abs(a["share"] - b["share"]) for a, b in zip(largest["per_seed"], second["per_seed"])])
    mean, low, high = bootstrap_mean_ci(differences, s.confidence, s.n_resamples, seed=0)
    evidence.decisive("|share difference| of the two largest models", mean, ci=(low, high))
    evidence.measured(measurement(models, s))
    evidence.record(size_table=table, compared=[second["model"], largest["model"]], share_tolerance=s.share_tolerance)
    evidence.figure(figures.size_table(table))
    evidence.figure(figures.size_rows(table))
    if largest["share"]["ci"][0] <= 0:
        evidence.inconclusive(f"no clear induction heads in the largest model, {largest['model']} (share CI {largest['share']['ci'][0]:.3f}.."
                              f"{largest['share']['ci'][1]:.3f} reaches 0): a share of zero cannot level off")
    assert high <= s.share_tolerance, (
        f"shares {second['model']} {second['share']['mean']:.3f} vs {largest['model']} {largest['share']['mean']:.3f}: "
        f"|difference| {mean:.3f} (CI {low:.3f}..{high:.3f}) exceeds tolerance {s.share_tolerance}")
