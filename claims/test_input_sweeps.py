"""Findings about how the RRT inputs change what is found: sequence length, repetitions, token range."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from harness.induction import RRTSettings
from harness.registry import load_registry
from harness.stats import bootstrap_mean_ci, rank_trend
from harness.sweeps import grid_counts, per_seed_counts

REGISTRY = load_registry(Path(__file__).with_name("registry.yaml"))
C6 = REGISTRY["C6-longer-sequences-more-induction-heads"]
C7 = REGISTRY["C7-more-repetitions-fewer-induction-heads"]
C8 = REGISTRY["C8-common-tokens-find-more-heads"]


def sweep(chronos, claims_session, claim) -> list[dict]:
    p = claim.parameters
    base = RRTSettings(batch_size=p["batch_size"], seed=p["seed"], token_range=tuple(p["token_range"]),
                       confidence=p["confidence"], n_resamples=p["n_resamples"])
    return grid_counts(claims_session.measure_for(chronos), base, p["sequence_length_grid"], p["repetitions_grid"],
                       p["threshold"], p["chance_multiple"], chronos.name, max_encoder_length=chronos.context_length + 1)


def decide_trend(chronos, claims_session, evidence, claim, axis: str, alternative: str):
    p = claim.parameters
    cells = sweep(chronos, claims_session, claim)
    x = [cell[axis] for cell in cells]
    trends = {
        "threshold_count": rank_trend(x, [cell["total"] for cell in cells], alternative=alternative),
        "chance_multiple_count": rank_trend(x, [cell["total_above_chance_multiple"] for cell in cells], alternative=alternative),
    }
    holds = all(t["p_value"] < p["alpha"] for t in trends.values())
    weaker = max(trends.values(), key=lambda t: t["p_value"])
    evidence.record(
        decisive={"statistic": f"Spearman rho ({axis} vs head count), the weaker of the two counts", "value": weaker["statistic"],
                  "ci": None, "chance": None},
        spearman=trends, alpha=p["alpha"], grid=cells,
        measurement={"model": chronos.name, "device": chronos.device, "dtype": chronos.dtype, "seed": p["seed"],
                     "batch_size": p["batch_size"], "token_range": p["token_range"], "threshold": p["threshold"],
                     "chance_multiple": p["chance_multiple"], "sequence_length_grid": p["sequence_length_grid"],
                     "repetitions_grid": p["repetitions_grid"], "confidence": p["confidence"],
                     "cells_beyond_context": len(p["sequence_length_grid"]) * len(p["repetitions_grid"]) - len(cells),
                     "chance_level": "1/T per cell (grid[].chance_level)"},
    )
    direction = "rise" if alternative == "greater" else "fall"
    assert holds, (
        f"{chronos.name}: head counts do not {direction} with {axis}: "
        + "; ".join(f"{name} rho={t['statistic']}, p={t['p_value']:.3g}" for name, t in trends.items())
        + f" (alpha {p['alpha']})"
    )


@pytest.mark.claim(C6.id)
def test_longer_sequences_find_more_induction_heads(chronos, claims_session, evidence):
    decide_trend(chronos, claims_session, evidence, C6, "sequence_length", "greater")


@pytest.mark.claim(C7.id)
def test_more_repetitions_find_fewer_induction_heads(chronos, claims_session, evidence):
    decide_trend(chronos, claims_session, evidence, C7, "repetitions", "less")


@pytest.mark.claim(C8.id)
def test_common_tokens_find_more_heads_than_all_tokens(chronos, claims_session, evidence):
    p = C8.parameters
    base = RRTSettings.from_parameters(p)
    measure = claims_session.measure_for(chronos)
    common = per_seed_counts(measure, base, p["seeds"], p["threshold"], f"{chronos.name} {p['token_range']}")
    wide = per_seed_counts(measure, replace(base, token_range=tuple(p["wide_token_range"])), p["seeds"], p["threshold"],
                           f"{chronos.name} {p['wide_token_range']}")
    differences = np.array([a["total"] - b["total"] for a, b in zip(common, wide)], dtype=float)
    mean, low, high = bootstrap_mean_ci(differences, p["confidence"], p["n_resamples"], seed=0)
    evidence.record(
        decisive={"statistic": "head count, common minus all tokens (seed mean)", "value": float(mean), "ci": [float(low), float(high)],
                  "chance": common[0]["chance_level"]},
        common_range=common, wide_range=wide,
        measurement={"model": chronos.name, "device": chronos.device, "dtype": chronos.dtype, "seeds": list(range(p["seeds"])),
                     "batch_size": p["batch_size"], "sequence_length": p["sequence_length"], "repetitions": p["repetitions"],
                     "token_range": p["token_range"], "wide_token_range": p["wide_token_range"], "threshold": p["threshold"],
                     "confidence": p["confidence"], "chance_level": common[0]["chance_level"]},
    )
    assert low > 0, (
        f"{chronos.name}: {np.mean([c['total'] for c in common]):.1f} heads with tokens {p['token_range']} vs "
        f"{np.mean([c['total'] for c in wide]):.1f} with {p['wide_token_range']}; difference {mean:.2f} (CI {low:.2f}..{high:.2f})"
    )
