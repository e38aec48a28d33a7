"""Turns each claim test's outcome and evidence into a record and keeps the run report written.

A record is built where the test ran and attached to its teardown report, so under pytest-xdist the workers
measure and the controller alone writes one merged report. The report is rewritten atomically after every
claim; Ctrl-C leaves it marked incomplete.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import verdict as v
from harness.errors import HarnessError, InputTooLong
from harness.plugin.evidence import Evidence
from harness.plugin.options import RunOptions
from harness.plugin.session import ModelPool
from harness.registry import load_registry

RECORD_PROPERTY = "chronos_claims_record"


def plain(value: Any) -> Any:
    """JSON-safe Python values (numpy scalars and arrays included), as xdist and report.json need."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


def claim_of(item):
    marker = item.get_closest_marker("claim")
    return None if marker is None else load_registry(Path(item.fspath).with_name("registry.yaml"))[marker.args[0]]


def _reason(report) -> str | None:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1]
        return message.splitlines()[0].removeprefix("AssertionError: ")
    return None


def reason_kind(outcome: str, reason: str | None, recorded: str | None) -> str:
    """The record's machine-readable reason kind: what the claim concluded (harness.verdict), else what the plugin saw."""
    if outcome in ("passed", "failed", "inconclusive") and recorded:
        return recorded
    if outcome == "skipped":
        return "not-applicable" if (reason or "").startswith("not applicable") else "skipped"
    return {"passed": v.CLEARS_BAR, "failed": "assertion-failed"}.get(outcome, outcome)


class ClaimNotHeld:
    """The failure of a claim whose measurement ran but did not meet its decision: one line, no traceback. The matrix
    shows it at default verbosity; -v adds this line, -vv the traceback instead."""

    prefix = "claim did not hold"

    def __init__(self, item, message: str):
        self.reprcrash = SimpleNamespace(path=str(item.path), lineno=item.location[1] or 0, message=message)

    def toterminal(self, tw) -> None:
        tw.line(str(self))

    def __str__(self) -> str:
        return f"{self.prefix}: {self.reprcrash.message}"


class CannotMeasure(ClaimNotHeld):
    """A measurement refused with a HarnessError (the problem and its fix, in one line): an error, not a verdict."""

    prefix = "cannot measure"


def junit_properties(record: dict) -> list[tuple[str, str]]:
    decisive = record["statistics"].get("decisive") or {}
    return [("claim", record["claim_id"]), ("outcome", record["outcome"]), ("decisive_statistic", str(decisive.get("statistic"))),
            ("decisive_value", json.dumps(decisive.get("value"))), ("decisive_ci", json.dumps(decisive.get("ci"))),
            ("chance_level", json.dumps(decisive.get("chance")))]


class Recorder:
    def __init__(self, options: RunOptions, pool: ModelPool, evidence: Evidence, model_fixtures: tuple[str, ...]):
        self.options, self.pool, self.evidence = options, pool, evidence
        self.model_fixtures = model_fixtures  # parameters that name the model a test ran on
        self.outcomes: dict[str, dict] = {}
        self.failed_reports = 0
        self.comparison = None
        self.run_dir: Path | None = None
        self.report = None
        self.records: list[dict] = []  # every claim record of the run, for the terminal summary
        self.interrupted = False
        self.claims_collected = False  # some claim test was collected (a selection may still leave none to run)
        self._previous_sigint = None

    # ---- records: built where the test ran ----
    def build_record(self, item, state: dict) -> dict:
        from harness.report.schema import ClaimRecord

        claim = claim_of(item)
        evidence = self.evidence.take(item.nodeid)
        outcome, reason = state["outcome"], state["reason"]
        if outcome == "skipped" and evidence["inconclusive"]:
            outcome, reason = "inconclusive", evidence["inconclusive"]
        params = item.callspec.params if hasattr(item, "callspec") else {}
        spec = next((params[name] for name in self.model_fixtures if name in params), None)
        loaded = self.pool.models
        family = self.options.families[spec] if spec in self.options.families else params.get("models", claim.family)
        models = [loaded[spec]] if spec in loaded else [m for m in loaded.values() if m.family == family] if spec is None else []
        across = None if family == claim.family else f"across {family}"  # the primary family's comparison keeps its old key
        record = ClaimRecord(
            claim_id=claim.id,
            model=self.options.labels.get(spec, spec) if spec else across,
            family=family,
            test_id=item.nodeid,
            registry=str(claim.registry),
            position=claim.position,
            outcome=outcome,
            reason=reason,
            reason_kind=reason_kind(outcome, reason, evidence["reason_kind"]),
            origin=claim.origin,
            statement=claim.statement,
            source=claim.source,
            decision=claim.decision,
            parameters=claim.parameters,
            statistics=evidence["statistics"],
            figures=evidence["figures"],
            counterexample=evidence["counterexample"],
            duration_s=round(state["duration"], 4),
        )
        return plain({"record": record, "models": {m.name: m.describe() for m in models}})

    # ---- the report: written by the process that is not an xdist worker ----
    def start_report(self) -> None:
        from harness.report import schema, writer

        try:
            self.run_dir = writer.new_run_dir(self.options.reports_dir)
        except OSError as error:
            raise pytest.UsageError(f"cannot write reports under {self.options.reports_dir}: {error}; pass a writable --reports-dir") from None
        self.report = schema.new_report(schema.run_info(self.options.root, self.options.device, self.options.dtype, self.options.profile))
        writer.write(self.run_dir, self.report)

    def add_record(self, payload: dict) -> None:
        from harness.report import writer

        if self.options.reports_dir is None or self.options.is_worker:
            return
        if self.report is None:
            self.start_report()
        for described in payload["models"].values():  # the device and dtype the models were loaded in (auto resolved)
            self.report["run"]["device"], self.report["run"]["dtype"] = described["device"], described["dtype"]
        self.report["models"].update(payload["models"])
        self.report["claims"].append(payload["record"])
        writer.write(self.run_dir, self.report)

    # ---- hooks: this object is registered as a plugin ----
    def pytest_sessionstart(self, session) -> None:
        # Ctrl-C can land where KeyboardInterrupt is swallowed or turned into a test failure (inside a
        # Hypothesis run, or a __del__ during garbage collection); note it here so no verdict is recorded
        # for the test it interrupted and the report is marked incomplete whatever happens next.
        if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return

        def on_interrupt(signum, frame):
            self.interrupted = True
            session.shouldstop = "interrupted (SIGINT)"
            signal.default_int_handler(signum, frame)

        self._previous_sigint = signal.signal(signal.SIGINT, on_interrupt)

    def pytest_runtest_setup(self, item) -> None:
        self.evidence.current = item.nodeid

    def undecided(self, item, report, call) -> tuple[str, str] | None:
        """Why a claim that ran could not be decided, and the reason kind: too few drawn inputs evaluated (every one
        dropped, Hypothesis gave up), inputs that could not be decided, or an input the model cannot read; None when
        the verdict stands."""
        from hypothesis.errors import FailedHealthCheck, Unsatisfiable

        if report.passed or (report.failed and call.excinfo.errisinstance((Unsatisfiable, FailedHealthCheck))):
            return self.evidence.shortfall(item.nodeid)
        if report.failed and call.excinfo.errisinstance(InputTooLong):
            return str(call.excinfo.value), v.FLOOR + "input-too-long"
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if item.get_closest_marker("claim") is None:
            return
        report = outcome.get_result()
        if report.when == "call" and (undecided := self.undecided(item, report, call)):
            self.evidence.mark_inconclusive(item.nodeid, *undecided)
            report.outcome, report.longrepr = "skipped", (str(item.path), item.location[1] or 0, f"Skipped: inconclusive: {undecided[0]}")
        state = self.outcomes.setdefault(item.nodeid, {"outcome": None, "reason": None, "duration": 0.0})
        state["duration"] += report.duration
        if report.when == "call" and report.failed and call.excinfo.errisinstance(AssertionError) and item.config.get_verbosity() < 2:
            state["outcome"], state["reason"] = "failed", _reason(report)
            report.longrepr = ClaimNotHeld(item, state["reason"])
            return
        if report.when == "call" and report.failed and call.excinfo.errisinstance(HarnessError):
            state["outcome"], state["reason"] = "error", str(call.excinfo.value)
            report.longrepr = CannotMeasure(item, state["reason"])
            return
        if report.when == "setup" and not report.passed:
            state["outcome"] = "error" if report.failed else "skipped"
            state["reason"] = _reason(report)
        elif report.when == "call":
            state["outcome"] = "passed" if report.passed else "failed" if report.failed else "skipped"
            state["reason"] = _reason(report)
        elif report.when == "teardown":
            if report.failed and state["outcome"] == "passed":
                state["outcome"], state["reason"] = "error", _reason(report)
            self.outcomes.pop(item.nodeid)
            if state["outcome"] is not None and not self.interrupted:
                report.user_properties.append((RECORD_PROPERTY, self.build_record(item, state)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report) -> None:
        self.failed_reports += report.failed
        if report.when != "teardown" or self.options.is_worker:  # a worker sends the record on to the controller
            return
        for name, payload in [p for p in report.user_properties if p[0] == RECORD_PROPERTY]:
            self.records.append(payload["record"])
            self.add_record(payload)
            # what --junitxml writes: the verdict and its deciding statistic, not the whole record
            report.user_properties.remove((name, payload))
            report.user_properties.extend(junit_properties(payload["record"]))

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        from harness.report import schema, writer

        if self._previous_sigint is not None:
            signal.signal(signal.SIGINT, self._previous_sigint)
        if self.report is None:
            return
        interrupted = self.interrupted or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        self.report["status"] = "incomplete" if interrupted else "complete"
        self.report["finished_at"] = schema.now()
        if self.options.baseline is not None:
            from harness.report.compare import compare, gate

            baseline_path, baseline = self.options.baseline
            self.comparison = compare(baseline, self.report)
            self.report["comparison"] = {"baseline": str(baseline_path), **self.comparison}
            if self.options.fail_on_regression:
                # the run is gated on regressions: claims that failed in the baseline too (or are new) do not fail it
                claim_failures = sum(r["outcome"] == "failed" for r in self.report["claims"])
                if gate(self.comparison):
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
                elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and self.failed_reports == claim_failures:
                    session.exitstatus = pytest.ExitCode.OK
        self.report["run"]["exit_status"] = int(session.exitstatus)
        writer.write(self.run_dir, self.report, final=True)
