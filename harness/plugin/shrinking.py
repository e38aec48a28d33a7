"""A bounded shrink for quantified claims. Once a drawn input has failed, Hypothesis shrinks it, and every shrink step
is a fresh measurement (a forward pass over a whole batch). Once the profile's budget of seconds spent measuring new
inputs after the first failure is used up, an input not yet measured is taken to hold without measuring it, so the
shrinker settles on the smallest failing input found so far. A cheap measurement shrinks as far as Hypothesis would;
an expensive one stops early. The candidates come in the same order on every machine; a faster machine may follow
the same path further.
Inputs already measured run as before (their measurements are cached), so the counterexample Hypothesis reports was
measured at the registry's batch size like every other input, and replaying it fails the same way."""

from __future__ import annotations

import functools
import time

import pytest
from hypothesis.errors import UnsatisfiedAssumption

# seconds spent measuring new inputs after the first failure, per Hypothesis profile
SHRINK_BUDGETS = {"fast": 5.0, "thorough": 60.0}
DEFAULT_SHRINK_BUDGET = 5.0
_NOT_FAILURES = (pytest.skip.Exception, UnsatisfiedAssumption)


def bound_shrinking(test, evidence, fixture_names: set[str], budget: float) -> None:
    """Wrap a Hypothesis test's inner test (once per function; state per running test node)."""
    inner = test.hypothesis.inner_test
    if getattr(inner, "bounded_shrink", False):
        return
    states: dict[str, dict] = {}

    @functools.wraps(inner)
    def bounded(*args, **kwargs):
        state = states.setdefault(evidence.current, {"failed": False, "seen": set(), "new_inputs": 0, "seconds": 0.0})
        key = repr(sorted((name, repr(value)) for name, value in kwargs.items() if name not in fixture_names))
        shrinking = state["failed"] and key not in state["seen"]
        if shrinking and state["seconds"] >= budget:
            return None  # past the budget: not measured, taken to hold
        state["seen"].add(key)
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        except _NOT_FAILURES:
            raise
        except BaseException:
            state["failed"] = True
            raise
        finally:
            if shrinking:
                state["new_inputs"] += 1
                state["seconds"] += time.perf_counter() - start
            if state["failed"]:
                evidence.note_shrink(budget, state["new_inputs"], state["seconds"])

    bounded.bounded_shrink = True
    test.hypothesis.inner_test = bounded
