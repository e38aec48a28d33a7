"""Pure functions over numbers: intervals and tests that decide claims."""

from __future__ import annotations

from math import factorial, hypot, prod

import numpy as np
from scipy import stats


BOOTSTRAP_BYTES = 2**28  # resamples are drawn in batches of at most this much memory


def bootstrap_mean_ci(samples, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0):
    """Percentile bootstrap CI of the mean over axis 0; returns (mean, low, high) of shape samples.shape[1:]."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.shape[0] < 2:
        raise ValueError(f"a bootstrap interval needs at least 2 samples, got {samples.shape[0]}; use a larger batch")
    per_resample = samples.size * 8  # the resampled copy, float64
    result = stats.bootstrap(
        (samples,),
        np.mean,
        axis=0,
        vectorized=True,
        batch=max(1, BOOTSTRAP_BYTES // per_resample),
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return samples.mean(axis=0), result.confidence_interval.low, result.confidence_interval.high


def mann_whitney_less(early, late, seed: int = 0) -> dict:
    """One-sided Mann-Whitney U that ``early`` values lie below ``late`` ones.

    Ties (heads in the same layer) are common, so the p-value comes from a permutation distribution,
    exact when there are few enough arrangements. The effect size is the probability that a random
    early value lies below a random late one (ties count half): 1.0 means complete separation.
    """
    early = np.asarray(early, dtype=np.float64)
    late = np.asarray(late, dtype=np.float64)
    result = stats.mannwhitneyu(
        early, late, alternative="less", method=stats.PermutationMethod(n_resamples=9999, rng=np.random.default_rng(seed))
    )
    u_statistic = float(result.statistic)
    return {
        "u": u_statistic,
        "p_value": float(result.pvalue),
        "effect_probability_early_below_late": 1.0 - u_statistic / (len(early) * len(late)),
        "n_early": int(len(early)),
        "n_late": int(len(late)),
        "median_early": float(np.median(early)),
        "median_late": float(np.median(late)),
    }


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def rank_trend(x, y, *, method: str = "spearman", alternative: str = "greater") -> dict:
    """Rank correlation of y with x and its one-sided p-value; a constant y has no trend (rho None, p 1)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if np.ptp(y) == 0 or np.ptp(x) == 0:
        return {"method": method, "statistic": None, "p_value": 1.0, "alternative": alternative, "n": int(len(x)),
                "note": "no variation, so no trend"}
    if method == "spearman":
        result = stats.spearmanr(x, y, alternative=alternative)
    elif method == "kendall":
        result = stats.kendalltau(x, y, alternative=alternative)
    else:
        raise ValueError(f"unknown rank method {method!r}; use spearman or kendall")
    p_value = _finite_or_none(result.pvalue)
    return {"method": method, "statistic": _finite_or_none(result.statistic), "p_value": 1.0 if p_value is None else p_value,
            "alternative": alternative, "n": int(len(x))}


def share_ci(successes: int, trials: int, confidence: float = 0.95) -> dict:
    """A share with its Wilson score interval."""
    interval = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return {"share": successes / trials, "ci": [float(interval.low), float(interval.high)], "successes": int(successes), "n": int(trials),
            "method": "Wilson score interval"}


def differs_across_groups(groups) -> dict:
    """Kruskal-Wallis H test that the groups' values do not all come from one distribution."""
    groups = [np.asarray(g, dtype=np.float64) for g in groups]
    if np.ptp(np.concatenate(groups)) == 0:
        return {"test": "Kruskal-Wallis H", "h": 0.0, "p_value": 1.0, "groups": len(groups), "note": "all values are equal"}
    result = stats.kruskal(*groups)
    return {"test": "Kruskal-Wallis H", "h": float(result.statistic), "p_value": float(result.pvalue), "groups": len(groups)}


def permutation_p_value(observed: float, null) -> float:
    """One-sided p-value that ``observed`` exceeds a null distribution: (1 + #null >= observed) / (1 + n); ties count
    against the observation, so equal effects never pass."""
    null = np.asarray(null, dtype=np.float64)
    return float((1 + np.sum(null >= observed)) / (1 + len(null)))


def blocked_spearman(x, y, blocks) -> np.ndarray | float:
    """The mean over blocks of Spearman's rho between x and y within each block (0 where a block has no variation).
    ``x`` may carry a leading axis of alternatives (one row each): then one mean rho per row."""
    x, y, blocks = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), np.asarray(blocks)
    rows = np.atleast_2d(x)
    rhos = []
    for block in np.unique(blocks):
        members = blocks == block
        xr = stats.rankdata(rows[:, members], axis=1)
        yr = stats.rankdata(y[members])
        xc, yc = xr - xr.mean(axis=1, keepdims=True), yr - yr.mean()
        norm = np.sqrt((xc**2).sum(axis=1) * (yc**2).sum())
        rhos.append(np.divide(xc @ yc, norm, out=np.zeros(len(rows)), where=norm > 0))
    mean = np.mean(rhos, axis=0)
    return float(mean[0]) if np.ndim(x) == 1 else mean


def permutation_trend(x, y, blocks, units, strata, n_permutations: int = 1999, seed: int = 0) -> dict:
    """Blocked Spearman trend of y with x against a permutation null that respects shared inputs.

    Cells (the entries of x, y) belong to ``units``: cells of one unit share their inputs, keep one x and move together.
    Under the null, x is exchanged among the units of each stratum (``strata``, given per cell, constant within a unit)
    and rho is recomputed. Returns the observed mean rho over ``blocks``, the null's median, and one-sided p-values in
    both directions ((1 + #null at least as extreme) / (1 + n)), with the smallest attainable p."""
    x, y, blocks, units, strata = (np.asarray(a) for a in (x, y, blocks, units, strata))
    observed = blocked_spearman(x, y, blocks)
    unit_ids, cell_unit = np.unique(units, return_inverse=True)
    first_cell = np.array([np.flatnonzero(cell_unit == u)[0] for u in range(len(unit_ids))])
    unit_x, unit_stratum = x[first_cell].astype(np.float64), strata[first_cell]
    rng = np.random.default_rng(seed)
    shuffled = np.tile(unit_x, (n_permutations, 1))
    arrangements = 1  # distinct assignments of x to units: a multinomial coefficient per stratum
    for stratum in np.unique(unit_stratum):
        members = np.flatnonzero(unit_stratum == stratum)
        shuffled[:, members] = rng.permuted(shuffled[:, members], axis=1)
        _, counts = np.unique(unit_x[members], return_counts=True)
        arrangements *= factorial(int(counts.sum())) // prod(factorial(int(c)) for c in counts)
    null = blocked_spearman(shuffled[:, cell_unit.ravel()], y, blocks)
    return {"statistic": observed, "null_median": float(np.median(null)), "n_permutations": n_permutations,
            "p_greater": float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations)),
            "p_less": float((1 + np.sum(null <= observed + 1e-12)) / (1 + n_permutations)),
            "smallest_possible_p": max(1 / (1 + n_permutations), 1 / arrangements)}


def difference_interval(old: float, old_ci, new: float, new_ci) -> tuple[float, float]:
    """An interval for new - old from each value's own interval (MOVER, Zou & Donner 2008): the lower end widens by
    new's distance to its lower bound and old's to its upper, the upper end the other way round. Asymmetric intervals
    (Wilson, percentile bootstrap) keep their shape; two independent 95% intervals give about 95% for the difference."""
    difference = new - old
    low = difference - hypot(max(new - new_ci[0], 0.0), max(old_ci[1] - old, 0.0))
    high = difference + hypot(max(new_ci[1] - new, 0.0), max(old - old_ci[0], 0.0))
    return low, high
