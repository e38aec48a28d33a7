"""Three-way decisions, pure functions over numbers (no torch).

passed: the evidence clears the bar in the finding's direction. failed: it excludes the bar on the other side, which is
evidence against the finding. inconclusive: it straddles the bar, or a floor is missing (too few heads, a test that
cannot reach alpha with the data it has). Every verdict carries a machine-readable kind, which report.json keeps as
the record's ``reason_kind`` and the ground-truth table checks exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

PASSED, FAILED, INCONCLUSIVE = "passed", "failed", "inconclusive"

# reason kinds of a decided verdict
CLEARS_BAR = "clears-bar"  # passed: the interval (or test) clears the bar, beating the null
EXCLUDES_BAR = "excludes-bar"  # failed: the interval lies on the other side of the bar
# reason kinds of an inconclusive verdict
STRADDLES_BAR = "straddles-bar"  # the interval contains the bar: the data cannot decide
UNDECIDED_INPUTS = "undecided-inputs"  # a quantified claim: no input failed, some could not be decided
FLOOR = "floor:"  # a floor is missing: floor:<which>


@dataclass(frozen=True)
class Verdict:
    outcome: str
    kind: str

    @property
    def decided(self) -> bool:
        return self.outcome != INCONCLUSIVE


def passed() -> Verdict:
    return Verdict(PASSED, CLEARS_BAR)


def failed() -> Verdict:
    return Verdict(FAILED, EXCLUDES_BAR)


def straddles() -> Verdict:
    return Verdict(INCONCLUSIVE, STRADDLES_BAR)


def floor(which: str) -> Verdict:
    """Inconclusive because the floor ``which`` is missing (a short hyphenated name, e.g. 'too-few-heads')."""
    return Verdict(INCONCLUSIVE, FLOOR + which)


def against_bar(low: float, high: float, bar: float, *, direction: str = "above") -> Verdict:
    """An interval against a bar: ``direction`` 'above' means the finding predicts values at or above the bar (passed
    when low >= bar, failed when high < bar); 'below' predicts values at or below it (passed when high <= bar, failed
    when low > bar)."""
    if direction == "above":
        return passed() if low >= bar else failed() if high < bar else straddles()
    if direction == "below":
        return passed() if high <= bar else failed() if low > bar else straddles()
    raise ValueError(f"direction must be 'above' or 'below', got {direction!r}")


def beyond_bar(low: float, high: float, bar: float) -> Verdict:
    """As against_bar 'above' with a strict bar: passed when low > bar, failed when high <= bar."""
    return passed() if low > bar else failed() if high <= bar else straddles()


def head_count(clearing: int, possible: int, minimum: int) -> Verdict:
    """``clearing``: heads whose interval lies above the threshold; ``possible``: heads whose interval reaches it.
    Passed with at least ``minimum`` clearing heads; failed when fewer than ``minimum`` heads can reach it (every other
    head's interval lies below the threshold); inconclusive when only straddling heads could make up the count."""
    return passed() if clearing >= minimum else failed() if possible < minimum else straddles()


def by_p_values(p_for: float, p_against: float, alpha: float, smallest_p: float) -> Verdict:
    """A one-sided test in the finding's direction (``p_for``) and in the opposite one (``p_against``): passed when
    p_for < alpha, failed when p_against < alpha, inconclusive otherwise, and inconclusive below the floor where the
    test cannot reach alpha with the data it has (``smallest_p``, its smallest attainable p-value)."""
    if smallest_p >= alpha:
        return floor("test-cannot-reach-alpha")
    return passed() if p_for < alpha else failed() if p_against < alpha else straddles()


def smallest_rank_sum_p(n_first: int, n_second: int) -> float:
    """The smallest one-sided p-value an exact two-sample rank test (Mann-Whitney U) can reach: one arrangement in
    C(n1 + n2, n1), with no ties."""
    return 1.0 / comb(n_first + n_second, n_first)


def smallest_wilson_share(n: int, confidence: float) -> float:
    """The Wilson lower bound of n successes in n trials: no share can clear a bar above it with n trials."""
    from scipy import stats

    if n == 0:
        return 0.0
    return float(stats.binomtest(n, n).proportion_ci(confidence_level=confidence, method="wilson").low)
