"""Findings that compare models: how induction heads scale with model size."""

from pathlib import Path

import numpy as np
import pytest

from harness.induction import RRTSettings
from harness.registry import load_registry
from harness.stats import bootstrap_mean_ci, rank_trend
from harness.sweeps import per_seed_counts

REGISTRY = load_registry(Path(__file__).with_name("registry.yaml"))
C2 = REGISTRY["C2-induction-heads-grow-with-size"]
C3 = REGISTRY["C3-induction-share-levels-off"]


def size_table(claims_session, models, claim) -> list[dict]:
    """The original study's table, one row per model, each count with a bootstrap CI over RRT seeds."""
    p = claim.parameters
    base = RRTSettings.from_parameters(p)
    rows = []
    for loaded in models:
        cells = per_seed_counts(claims_session.measure_for(loaded), base, p["seeds"], p["threshold"], loaded.name)
        row = {"model": loaded.name, "parameters": loaded.parameter_count, "heads": cells[0]["heads"], "per_seed": cells}
        for key in ("current", "right", "total", "share"):
            values = np.array([cell[key] for cell in cells], dtype=float)
            mean, low, high = bootstrap_mean_ci(values, p["confidence"], p["n_resamples"], seed=0)
            row[key] = {"mean": float(mean), "ci": [float(low), float(high)]}
        rows.append(row)
    return rows


def needs_two_models(models, claim):
    if len(models) < 2:
        pytest.skip(f"{claim.id} compares chronos-t5 models; run with two or more chronos-t5 --model options (got {len(models)})")


def measurement(claims_session, models, claim) -> dict:
    p = claim.parameters
    return {"models": [m.name for m in models], "device": models[0].device, "dtype": models[0].dtype,
            "seeds": list(range(p["seeds"])), "batch_size": p["batch_size"], "sequence_length": p["sequence_length"],
            "repetitions": p["repetitions"], "token_range": p["token_range"], "threshold": p["threshold"],
            "confidence": p["confidence"], "interval": "percentile bootstrap over seeds",
            "chance_level": 1 / (p["sequence_length"] * p["repetitions"] + 2)}


@pytest.mark.claim(C2.id)
def test_induction_heads_grow_with_model_size(all_models, claims_session, evidence):
    needs_two_models(all_models, C2)
    p = C2.parameters
    table = size_table(claims_session, all_models, C2)
    sizes = [row["parameters"] for row in table for _ in row["per_seed"]]
    counts = [cell["total"] for row in table for cell in row["per_seed"]]
    trend = rank_trend(sizes, counts, method="kendall", alternative="greater")
    means = [row["total"]["mean"] for row in table]
    increasing = all(later > earlier for earlier, later in zip(means, means[1:]))
    evidence.record(
        decisive={"statistic": "Kendall tau-b (parameters vs per-seed head count)", "value": trend["statistic"], "ci": None,
                  "chance": None},
        size_table=table, kendall=trend, seed_means_increase=increasing, alpha=p["alpha"],
        measurement=measurement(claims_session, all_models, C2),
    )
    summary = ", ".join(f"{row['model']} ({row['parameters']:,}): {row['total']['mean']:.1f}" for row in table)
    assert increasing and trend["p_value"] < p["alpha"], (
        f"head counts by size: {summary}; seed means increase: {increasing}; "
        f"Kendall tau={trend['statistic']}, p={trend['p_value']:.3g} (alpha {p['alpha']})"
    )


@pytest.mark.claim(C3.id)
def test_induction_share_levels_off(all_models, claims_session, evidence):
    needs_two_models(all_models, C3)
    p = C3.parameters
    table = size_table(claims_session, all_models, C3)
    second, largest = table[-2], table[-1]
    differences = np.array([abs(a["share"] - b["share"]) for a, b in zip(largest["per_seed"], second["per_seed"])])
    mean, low, high = bootstrap_mean_ci(differences, p["confidence"], p["n_resamples"], seed=0)
    evidence.record(
        decisive={"statistic": "|share difference| of the two largest models", "value": float(mean), "ci": [float(low), float(high)],
                  "chance": None},
        size_table=table, compared=[second["model"], largest["model"]], share_tolerance=p["share_tolerance"],
        measurement=measurement(claims_session, all_models, C3),
    )
    assert high <= p["share_tolerance"], (
        f"shares {second['model']} {second['share']['mean']:.3f} vs {largest['model']} {largest['share']['mean']:.3f}: "
        f"|difference| {mean:.3f} (CI {low:.3f}..{high:.3f}) exceeds tolerance {p['share_tolerance']}"
    )
