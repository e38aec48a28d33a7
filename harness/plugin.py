"""pytest plugin: --model and friends, the session-scoped model fixtures, and the run report.

Registered through the pytest11 entry point. Nothing heavy happens at import or collection: torch is
imported when the first model fixture runs. Each claim test's record (outcome, statistics, model) is
attached to its teardown report, so under pytest-xdist the workers measure and the controller alone
writes one merged report.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from harness.errors import HarnessError

FALLBACK_MODELS = ("planted:reference",)


def default_models() -> list[str]:
    """The shipped zoo: every Chronos size (so the cross-model claims have something to compare) and the attention-only
    language model; planted:reference without it."""
    from harness.zoo import shipped

    return shipped() or list(FALLBACK_MODELS)


RECORD_PROPERTY = "chronos_claims_record"
HYPOTHESIS_PROFILES = {
    # CI: few examples, reproducible, no deadline (a forward pass has no fixed duration)
    "fast": settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], print_blob=True),
    "thorough": settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True),
}
for _name, _profile in HYPOTHESIS_PROFILES.items():
    settings.register_profile(_name, _profile)

SESSION_KEY = pytest.StashKey["ClaimsSession"]()


def pytest_addoption(parser):
    group = parser.getgroup("chronos-claims", "Chronos interpretability claims")
    group.addoption("--model", action="append", default=[], metavar="MODEL",
                    help="checkpoint directory (Chronos-T5 or decoder-only causal LM), hub id in the local HF cache, "
                         "zoo:NAME or planted:NAME; repeatable (default: the shipped zoo, zoo:nano zoo:micro zoo:milli "
                         "zoo:attn-only-2l)")
    group.addoption("--device", default="auto", metavar="DEVICE", help="auto, cpu or cuda[:N] (default: auto = cuda if available)")
    group.addoption("--dtype", default="auto", metavar="DTYPE", help="auto, float32 or bfloat16 (default: auto = bfloat16 on cuda, float32 on cpu)")
    group.addoption("--reports-dir", default="reports", metavar="DIR", help="where claim runs write their reports (default: reports)")
    group.addoption("--no-report", action="store_true", help="do not write a report for this run")
    group.addoption("--baseline", default=None, metavar="REPORT",
                    help="an earlier report.json (or its run directory): list verdicts that changed and statistics that moved beyond their CI")
    group.addoption("--fail-on-regression", action="store_true",
                    help="with --baseline: the exit status says whether a claim went from passed to failed; claims that failed "
                         "in the baseline too do not fail the run (errors still do)")


def check_registries(config) -> None:
    """Validate the registry beside each claims path before collection, so a bad entry is one line, not a traceback."""
    from harness.registry import load_registry

    candidates = {config.rootpath / "claims" / "registry.yaml"}
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        candidates.add((path if path.is_dir() else path.parent) / "registry.yaml")
    for candidate in sorted(candidates):
        if candidate.is_file():
            load_registry(candidate.resolve())


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(claim_id): a test that decides one registry claim on each model")
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
    try:
        check_registries(config)
        session = ClaimsSession.from_config(config)
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "chronos_claims_session")


def plain(value: Any) -> Any:
    """JSON-safe Python values (numpy scalars and arrays included), as xdist and report.json need."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


class Evidence:
    """What a claim test hands to the report: the statistics that decided it, and any counterexample."""

    def __init__(self):
        self.by_test: dict[str, dict[str, Any]] = {}
        self.current: str | None = None

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"statistics": {}, "counterexample": None, "inconclusive": None}

    def slot(self) -> dict[str, Any]:
        return self.by_test.setdefault(self.current, self._empty())

    def take(self, nodeid: str) -> dict[str, Any]:
        """What the test recorded, removed so the next test starts clean."""
        return self.by_test.pop(nodeid, None) or self._empty()

    def record(self, **statistics: Any) -> None:
        self.slot()["statistics"].update(statistics)

    def counterexample(self, example: dict[str, Any]) -> None:
        """Called on each failing input; Hypothesis replays the shrunk one last, so it is the one kept."""
        self.slot()["counterexample"] = example

    def inconclusive(self, reason: str, **statistics: Any) -> None:
        self.record(**statistics)
        self.slot()["inconclusive"] = reason
        pytest.skip(f"inconclusive: {reason}")


class ClaimsSession:
    def __init__(self, specs, device, dtype, reports_dir: Path | None, root: Path, profile: str, is_worker: bool,
                 baseline: tuple[str, dict] | None = None, fail_on_regression: bool = False, families: dict[str, str] | None = None):
        self.specs = list(specs)
        self.families = families or {}
        self.baseline, self.fail_on_regression = baseline, fail_on_regression
        self.comparison = None
        self.failed_reports = 0
        self.device, self.dtype = device, dtype
        self.reports_dir, self.root, self.profile = reports_dir, root, profile
        self.is_worker = is_worker
        self.models: dict[str, Any] = {}
        self.measurements: dict[tuple, Any] = {}
        self.evidence = Evidence()
        self.outcomes: dict[str, dict] = {}
        self.run_dir: Path | None = None
        self.report = None
        self.interrupted = False
        self._previous_sigint = None

    @classmethod
    def from_config(cls, config) -> "ClaimsSession":
        from harness.models import resolve_device, resolve_dtype, spec_family

        specs = config.getoption("model") or default_models()
        if len(set(specs)) != len(specs):
            raise HarnessError(f"--model lists the same model twice ({', '.join(specs)}); give each model once")
        families = {spec: spec_family(spec) for spec in specs}  # fails at start-up, in one line, rather than in every test
        device = resolve_device(config.getoption("device"))
        dtype = resolve_dtype(config.getoption("dtype"), device)
        reports_dir = None if config.getoption("no_report") else Path(config.getoption("reports_dir"))
        profile = settings._current_profile or "default"
        baseline = config.getoption("baseline")
        if config.getoption("fail_on_regression") and not baseline:
            raise HarnessError("--fail-on-regression compares against a baseline; add --baseline PATH/report.json")
        if baseline:
            from harness.compare import load_report

            if reports_dir is None:
                raise HarnessError("--baseline compares this run's report with an earlier one; drop --no-report")
            baseline = (baseline, load_report(baseline))
        return cls(specs, device, dtype, reports_dir, config.rootpath, profile, hasattr(config, "workerinput"),
                   baseline, config.getoption("fail_on_regression"), families)

    def specs_of(self, family: str) -> list[str]:
        return [spec for spec in self.specs if self.families.get(spec) == family]

    def model(self, spec: str):
        if spec not in self.models:
            from harness.models import load_model

            self.models[spec] = load_model(spec, self.device, self.dtype)
        return self.models[spec]

    def rrt_mosaic(self, loaded, rrt_settings):
        """One measurement per (model, settings), shared by every claim that reads it."""
        from harness.induction import measure_rrt

        key = (loaded.spec, rrt_settings)
        if key not in self.measurements:
            self.measurements[key] = measure_rrt(loaded, rrt_settings)
        return self.measurements[key]

    def cached(self, key: tuple, compute):
        """One measurement per key (model spec first), shared by every claim that reads it."""
        if key not in self.measurements:
            self.measurements[key] = compute()
        return self.measurements[key]

    def measure_for(self, loaded):
        """A callable RRTSettings -> InductionMosaic on this model, cached like rrt_mosaic."""
        return lambda rrt_settings: self.rrt_mosaic(loaded, rrt_settings)

    # ---- records: built where the test ran ----
    def build_record(self, item, state: dict) -> dict:
        from harness import report
        from harness.registry import load_registry

        claim = load_registry(Path(item.fspath).with_name("registry.yaml"))[item.get_closest_marker("claim").args[0]]
        evidence = self.evidence.take(item.nodeid)
        outcome, reason = state["outcome"], state["reason"]
        if outcome == "skipped" and evidence["inconclusive"]:
            outcome, reason = "inconclusive", evidence["inconclusive"]
        params = item.callspec.params if hasattr(item, "callspec") else {}
        spec = params.get("chronos", params.get("causal_lm"))
        models = [self.models[spec]] if spec in self.models else list(self.models.values()) if spec is None else []
        record = report.ClaimRecord(
            claim_id=claim.id,
            model=self.models[spec].name if spec in self.models else spec,
            test_id=item.nodeid,
            outcome=outcome,
            reason=reason,
            statement=claim.statement,
            source=claim.source,
            decision=claim.decision,
            parameters=claim.parameters,
            statistics=evidence["statistics"],
            counterexample=evidence["counterexample"],
            duration_s=round(state["duration"], 4),
        )
        return plain({"record": record, "models": {m.name: m.describe() for m in models}})

    # ---- report: written by the process that is not an xdist worker ----
    def add_record(self, payload: dict) -> None:
        from harness import report

        if self.reports_dir is None or self.is_worker:
            return
        if self.report is None:
            self.start_report()
        self.report["models"].update(payload["models"])
        self.report["claims"].append(payload["record"])
        report.write(self.run_dir, self.report)

    def start_report(self) -> None:
        from harness import report

        try:
            self.run_dir = report.new_run_dir(self.reports_dir)
        except OSError as error:
            raise pytest.UsageError(f"cannot write reports under {self.reports_dir}: {error}; pass a writable --reports-dir") from None
        self.report = report.new_report(report.run_info(self.root, self.device, self.dtype, self.profile))
        report.write(self.run_dir, self.report)

    # hooks: this object is registered as a plugin, so these run with the session at hand
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

    def pytest_runtest_logreport(self, report) -> None:
        self.failed_reports += report.failed
        if report.when == "teardown":
            for name, payload in report.user_properties:
                if name == RECORD_PROPERTY:
                    self.add_record(payload)

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        from harness import report

        if self._previous_sigint is not None:
            signal.signal(signal.SIGINT, self._previous_sigint)
        if self.report is None:
            return
        interrupted = self.interrupted or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        self.report["status"] = "incomplete" if interrupted else "complete"
        self.report["finished_at"] = report.now()
        if self.baseline is not None:
            from harness.compare import compare

            self.comparison = compare(self.baseline[1], self.report)
            self.report["comparison"] = {"baseline": str(self.baseline[0]), **self.comparison.to_dict()}
            if self.fail_on_regression:
                # the run is gated on regressions: claims that failed in the baseline too (or are new) do not fail it
                claim_failures = sum(r["outcome"] == "failed" for r in self.report["claims"])
                if self.comparison.regressions:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
                elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and self.failed_reports == claim_failures:
                    session.exitstatus = pytest.ExitCode.OK
        self.report["run"]["exit_status"] = int(session.exitstatus)
        report.write(self.run_dir, self.report, final=True)


def _session(config) -> ClaimsSession:
    return config.stash[SESSION_KEY]


MODEL_FIXTURES = {"chronos": "chronos-t5", "causal_lm": "causal-lm"}


def pytest_generate_tests(metafunc):
    session = _session(metafunc.config)
    for fixture, family in MODEL_FIXTURES.items():
        if fixture not in metafunc.fixturenames:
            continue
        specs = session.specs_of(family)
        if specs:
            metafunc.parametrize(fixture, specs, ids=[spec.replace("/", "_") for spec in specs], indirect=True, scope="session")
        else:
            given = ", ".join(f"{spec} ({session.families[spec]})" for spec in session.specs)
            reason = f"this claim applies to {family} models and none was given (--model: {given}); add a {family} --model"
            metafunc.parametrize(fixture, [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=[f"no-{family}-model"],
                                 indirect=True, scope="session")


@pytest.fixture(scope="session")
def chronos(request):
    """The loaded Chronos-T5 model (harness.models.LoadedModel) for this parametrisation; loaded once per session."""
    return _parametrised_model(request)


@pytest.fixture(scope="session")
def causal_lm(request):
    """The loaded decoder-only causal LM (harness.models.LoadedModel, family causal-lm) for this parametrisation."""
    return _parametrised_model(request)


def _parametrised_model(request):
    try:
        return _session(request.config).model(request.param)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def all_models(request) -> list:
    """Every Chronos-T5 --model, loaded (the same objects the chronos fixture hands out), smallest first."""
    session = _session(request.config)
    try:
        return sorted((session.model(spec) for spec in session.specs_of("chronos-t5")), key=lambda loaded: loaded.parameter_count)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def claims_session(request) -> ClaimsSession:
    return _session(request.config)


@pytest.fixture(scope="session")
def evidence(claims_session) -> Evidence:
    return claims_session.evidence


def pytest_collection_modifyitems(session, config, items):
    from harness.registry import load_registry

    for item in items:
        marker = item.get_closest_marker("claim")
        if marker is not None:
            try:
                load_registry(Path(item.fspath).with_name("registry.yaml"))[marker.args[0]]
            except HarnessError as error:
                raise pytest.UsageError(f"{item.nodeid}: {error}") from None
    claims = _session(config)
    if not claims.is_worker and claims.reports_dir is not None and any(item.get_closest_marker("claim") for item in items):
        claims.start_report()  # written at once, so an interrupted run still leaves a report marked incomplete


def pytest_runtest_setup(item):
    _session(item.config).evidence.current = item.nodeid


def _reason(report) -> str | None:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1]
        return message.splitlines()[0].removeprefix("AssertionError: ")
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if item.get_closest_marker("claim") is None:
        return
    report = outcome.get_result()
    claims = _session(item.config)
    state = claims.outcomes.setdefault(item.nodeid, {"outcome": None, "reason": None, "duration": 0.0})
    state["duration"] += report.duration
    if report.when == "setup" and not report.passed:
        state["outcome"] = "error" if report.failed else "skipped"
        state["reason"] = _reason(report)
    elif report.when == "call":
        state["outcome"] = "passed" if report.passed else "failed" if report.failed else "skipped"
        state["reason"] = _reason(report)
    elif report.when == "teardown":
        if report.failed and state["outcome"] == "passed":
            state["outcome"], state["reason"] = "error", _reason(report)
        claims.outcomes.pop(item.nodeid)
        if state["outcome"] is not None and not claims.interrupted:
            report.user_properties.append((RECORD_PROPERTY, claims.build_record(item, state)))


def pytest_terminal_summary(terminalreporter, config):
    claims = _session(config)
    if claims.comparison is not None:
        from harness.compare import render

        terminalreporter.section(f"compared with {claims.baseline[0]}")
        for line in render(claims.comparison):
            terminalreporter.write_line(line)
        if claims.fail_on_regression and claims.comparison.regressions:
            terminalreporter.write_line(f"--fail-on-regression: {len(claims.comparison.regressions)} claim(s) went from passed to failed")
    if claims.run_dir is not None:
        terminalreporter.write_line(f"claims report: {claims.run_dir / 'report.json'} (and report.md, report.html; reports/latest points at it)")
