"""What a claim test hands to the report, through the `evidence` fixture: the decisive statistic, how it was
measured, further statistics, figures, and for a quantified claim each evaluated input."""

from __future__ import annotations

import numbers
from collections import Counter
from typing import Any

import pytest

from harness import verdict as v
from harness.figures import KINDS, Figure


def number(value: Any) -> float | int | None:
    """A plain int or float (numpy scalars included); None stays None; anything else is a mistake in the claim."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"a statistic must be a number or None, got {value!r}; put text in the reason, not in a number field")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _empty() -> dict[str, Any]:
    return {"statistics": {}, "figures": [], "counterexample": None, "inconclusive": None, "reason_kind": None}


class Evidence:
    def __init__(self):
        self.by_test: dict[str, dict[str, Any]] = {}
        self.current: str | None = None  # the node id of the running test

    def _slot(self) -> dict[str, Any]:
        return self.by_test.setdefault(self.current, _empty())

    def take(self, nodeid: str) -> dict[str, Any]:
        """What the test recorded, removed so the next test starts clean."""
        return self.by_test.pop(nodeid, None) or _empty()

    # ---- the authoring API ----
    def decisive(self, statistic: str, value: Any, *, ci: Any = None, chance: Any = None, null: str | None = None) -> None:
        """The number the verdict turns on, with its confidence interval and its null: ``chance``, the value it takes
        when the effect is absent, and ``null``, how that value was measured or derived."""
        interval = None if ci is None else [number(ci[0]), number(ci[1])]
        self._slot()["statistics"]["decisive"] = {"statistic": statistic, "value": number(value), "ci": interval, "chance": number(chance),
                                                  "null": null}

    def conclude(self, verdict: v.Verdict, message: str) -> None:
        """Decide the claim: passed returns, failed fails with ``message`` (one line with the numbers), inconclusive
        skips with it. The verdict's kind goes into the record (``reason_kind``)."""
        self._slot()["reason_kind"] = verdict.kind
        if verdict.outcome == v.FAILED:
            raise AssertionError(message)
        if verdict.outcome == v.INCONCLUSIVE:
            self.inconclusive(message, kind=verdict.kind)

    def measured(self, source: Any = None, **details: Any) -> None:
        """How it was measured: ``source.measurement()`` (model, device, dtype, seed, batch, inputs, chance), plus ``details``."""
        block = dict(source.measurement() if hasattr(source, "measurement") else source or {})
        self._slot()["statistics"]["measurement"] = {**block, **details}

    def record(self, **statistics: Any) -> None:
        """Further statistics, kept in report.json under their names."""
        self._slot()["statistics"].update(statistics)

    def figure(self, figure: Figure) -> None:
        if figure["kind"] not in KINDS:
            raise ValueError(f"unknown figure kind {figure['kind']!r}; use one of {', '.join(KINDS)} (harness.figures)")
        self._slot()["figures"].append(figure)

    def example(self, example: dict[str, Any], verdict: v.Verdict, message: str) -> None:
        """One evaluated input of a quantified claim ("for every input ..."), decided three-way: a failed input fails
        the claim with ``message`` and becomes the counterexample (Hypothesis replays the shrunk input last, so the one
        kept is the shrunk one); an undecided input is counted, and leaves the claim inconclusive if none fails."""
        slot = self._slot()
        statistics = slot["statistics"]
        statistics.setdefault("examples", []).append({**example, "outcome": verdict.outcome, "reason_kind": verdict.kind})
        statistics["examples_evaluated"] = len(statistics["examples"])
        slot["reason_kind"] = verdict.kind
        if verdict.outcome == v.INCONCLUSIVE:
            statistics["examples_undecided"] = statistics.get("examples_undecided", 0) + 1
        if verdict.outcome == v.FAILED:
            slot["counterexample"] = example
            raise AssertionError(message)

    @property
    def examples(self) -> list[dict[str, Any]]:
        return self._slot()["statistics"].get("examples", [])

    def require_examples(self, minimum: int) -> None:
        """A quantified claim that evaluates fewer drawn inputs than ``minimum`` is inconclusive, whatever they showed."""
        self._slot()["statistics"]["min_examples"] = minimum

    def note_shrink(self, budget_s: float, new_inputs: int, seconds: float) -> None:
        """How the counterexample was shrunk: inputs measured after the first failure and the seconds they took, against
        the budget; once it is spent, inputs not measured yet are taken to hold."""
        self._slot()["statistics"]["shrink"] = {"budget_s": budget_s, "inputs_measured_after_first_failure": new_inputs,
                                                "seconds_after_first_failure": round(seconds, 3), "budget_spent": seconds >= budget_s}

    def mark_inconclusive(self, nodeid: str, reason: str, kind: str) -> None:
        """After the test ran: the verdict is inconclusive (the plugin found it could not be decided)."""
        slot = self.by_test.setdefault(nodeid, _empty())
        slot["inconclusive"], slot["reason_kind"] = reason, kind

    def shortfall(self, nodeid: str) -> tuple[str, str] | None:
        """Why a passed quantified test is inconclusive, and the reason kind: too few inputs evaluated, or some
        evaluated inputs undecided (none failed); None when the verdict stands."""
        statistics = self.by_test.get(nodeid, _empty())["statistics"]
        evaluated, minimum = statistics.get("examples_evaluated", 0), statistics.get("min_examples")
        if minimum is not None and evaluated < minimum:
            dropped = ", ".join(f"{count} {reason}" for reason, count in statistics.get("examples_not_evaluated", {}).items()) or "none"
            return (f"evaluated {evaluated} drawn inputs, fewer than the {minimum} the claim needs (not evaluated: {dropped})",
                    v.FLOOR + "min-examples")
        undecided = [e for e in statistics.get("examples", []) if e.get("outcome") == v.INCONCLUSIVE]
        if undecided:
            kinds = ", ".join(f"{count} {kind}" for kind, count in Counter(e["reason_kind"] for e in undecided).items())
            return f"no input failed, but {len(undecided)} of {evaluated} evaluated inputs could not be decided ({kinds})", v.UNDECIDED_INPUTS
        return None

    def not_evaluated(self, reason: str) -> None:
        """A drawn input the claim cannot evaluate: counted by reason, then dropped (Hypothesis draws another)."""
        from hypothesis import reject

        statistics = self._slot()["statistics"]
        statistics["examples_not_evaluated"] = dict(Counter(statistics.get("examples_not_evaluated", {})) + Counter({reason: 1}))
        reject()

    def inconclusive(self, reason: str, *, kind: str) -> None:
        """The data cannot decide: the claim is reported inconclusive (never passed), with the reason and its kind
        (harness.verdict: straddles-bar, or floor:<which floor is missing>)."""
        slot = self._slot()
        slot["inconclusive"], slot["reason_kind"] = reason, kind
        pytest.skip(f"inconclusive: {reason}")
