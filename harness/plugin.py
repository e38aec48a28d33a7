"""pytest plugin: --model and friends, the session-scoped model fixtures, and the run report.

Registered through the pytest11 entry point. Nothing heavy happens at import or collection: torch is
imported when the first model fixture runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from harness.errors import HarnessError

DEFAULT_MODELS = ("planted:reference",)
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
                    help="checkpoint directory, hub id in the local HF cache, or planted:NAME; repeatable "
                         f"(default: {', '.join(DEFAULT_MODELS)})")
    group.addoption("--device", default="auto", metavar="DEVICE", help="auto, cpu or cuda[:N] (default: auto = cuda if available)")
    group.addoption("--dtype", default="auto", metavar="DTYPE", help="auto, float32 or bfloat16 (default: auto = bfloat16 on cuda, float32 on cpu)")
    group.addoption("--reports-dir", default="reports", metavar="DIR", help="where claim runs write their reports (default: reports)")
    group.addoption("--no-report", action="store_true", help="do not write a report for this run")


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


class Evidence:
    """What a claim test hands to the report: the statistics that decided it, and any counterexample."""

    def __init__(self):
        self.by_test: dict[str, dict[str, Any]] = {}
        self.current: str | None = None

    def _slot(self) -> dict[str, Any]:
        return self.by_test.setdefault(self.current, {"statistics": {}, "counterexample": None, "inconclusive": None})

    def record(self, **statistics: Any) -> None:
        self._slot()["statistics"].update(statistics)

    def counterexample(self, example: dict[str, Any]) -> None:
        """Called on each failing input; Hypothesis replays the shrunk one last, so it is the one kept."""
        self._slot()["counterexample"] = example

    def inconclusive(self, reason: str, **statistics: Any) -> None:
        self.record(**statistics)
        self._slot()["inconclusive"] = reason
        pytest.skip(f"inconclusive: {reason}")


class ClaimsSession:
    def __init__(self, specs, device, dtype, reports_dir: Path | None, root: Path, profile: str):
        self.specs = list(specs)
        self.device, self.dtype = device, dtype
        self.reports_dir, self.root, self.profile = reports_dir, root, profile
        self.models: dict[str, Any] = {}
        self.measurements: dict[tuple, Any] = {}
        self.evidence = Evidence()
        self.run_dir: Path | None = None
        self.report = None
        self.records: dict[str, dict] = {}

    @classmethod
    def from_config(cls, config) -> "ClaimsSession":
        from harness.models import PLANTED_PREFIX, resolve_checkpoint

        specs = config.getoption("model") or list(DEFAULT_MODELS)
        for spec in specs:
            if not spec.startswith(PLANTED_PREFIX):
                resolve_checkpoint(spec)  # fail at start-up, in one line, rather than in every test
        if len(set(specs)) != len(specs):
            raise HarnessError(f"--model lists the same model twice ({', '.join(specs)}); give each model once")
        reports_dir = None if config.getoption("no_report") else Path(config.getoption("reports_dir"))
        profile = settings._current_profile or "default"
        return cls(specs, config.getoption("device"), config.getoption("dtype"), reports_dir, config.rootpath, profile)

    def model(self, spec: str):
        if spec not in self.models:
            from harness.models import load_model

            self.models[spec] = load_model(spec, self.device, self.dtype)
            if self.report is not None:
                self.report["models"][self.models[spec].name] = self.models[spec].describe()
        return self.models[spec]

    def rrt_mosaic(self, loaded, rrt_settings):
        """One measurement per (model, settings), shared by every claim that reads it."""
        from harness.induction import measure_rrt

        key = (loaded.spec, rrt_settings)
        if key not in self.measurements:
            self.measurements[key] = measure_rrt(loaded, rrt_settings)
        return self.measurements[key]

    def measure_for(self, loaded):
        """A callable RRTSettings -> InductionMosaic on this model, cached like rrt_mosaic."""
        return lambda rrt_settings: self.rrt_mosaic(loaded, rrt_settings)

    # ---- report ----
    def start_report(self):
        from harness import report

        if self.reports_dir is None:
            return
        self.run_dir = report.new_run_dir(self.reports_dir)
        from harness.models import resolve_device, resolve_dtype

        device = resolve_device(self.device)
        self.report = report.new_report(report.run_info(self.root, device, resolve_dtype(self.dtype, device), self.profile))
        report.write(self.run_dir, self.report)

    def add_result(self, item, outcome: str, reason: str | None, duration: float) -> None:
        from harness import report
        from harness.registry import load_registry

        if self.report is None:
            return
        claim = load_registry(Path(item.fspath).with_name("registry.yaml"))[item.get_closest_marker("claim").args[0]]
        evidence = self.evidence.by_test.get(item.nodeid, {"statistics": {}, "counterexample": None, "inconclusive": None})
        if outcome == "skipped" and evidence["inconclusive"]:
            outcome, reason = "inconclusive", evidence["inconclusive"]
        spec = getattr(item, "callspec", None) and item.callspec.params.get("chronos")
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
            duration_s=round(duration, 4),
        )
        self.report["claims"].append(record)
        report.write(self.run_dir, self.report)

    def finish_report(self, exit_status: int) -> None:
        from harness import report

        if self.report is None:
            return
        interrupted = exit_status in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        self.report["status"] = "incomplete" if interrupted else "complete"
        self.report["finished_at"] = report.now()
        self.report["run"]["exit_status"] = int(exit_status)
        report.write(self.run_dir, self.report, final=True)


def _session(config) -> ClaimsSession:
    return config.stash[SESSION_KEY]


def pytest_generate_tests(metafunc):
    if "chronos" in metafunc.fixturenames:
        specs = _session(metafunc.config).specs
        metafunc.parametrize("chronos", specs, ids=[spec.replace("/", "_") for spec in specs], indirect=True, scope="session")


@pytest.fixture(scope="session")
def chronos(request):
    """The loaded Chronos-T5 model (harness.models.LoadedModel) for this parametrisation; loaded once per session."""
    try:
        return _session(request.config).model(request.param)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def all_models(request) -> list:
    """Every --model, loaded (the same objects the chronos fixture hands out), smallest first."""
    session = _session(request.config)
    try:
        return sorted((session.model(spec) for spec in session.specs), key=lambda loaded: loaded.parameter_count)
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
    if any(item.get_closest_marker("claim") for item in items):
        try:
            _session(config).start_report()
        except OSError as error:
            raise pytest.UsageError(f"cannot write reports under {_session(config).reports_dir}: {error}; pass a writable --reports-dir") from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    claims = _session(item.config)
    claims.evidence.current = item.nodeid
    claims.records[item.nodeid] = {"outcome": None, "reason": None, "duration": 0.0}
    yield
    state = claims.records.pop(item.nodeid)
    if item.get_closest_marker("claim") and state["outcome"] is not None:
        claims.add_result(item, state["outcome"], state["reason"], state["duration"])
    claims.evidence.current = None


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
    report = outcome.get_result()
    state = _session(item.config).records.get(item.nodeid)
    if state is None:
        return
    state["duration"] += report.duration
    if report.when == "setup" and not report.passed:
        state["outcome"] = "error" if report.failed else "skipped"
        state["reason"] = _reason(report)
    elif report.when == "call":
        state["outcome"] = "passed" if report.passed else "failed" if report.failed else "skipped"
        state["reason"] = _reason(report)
    elif report.when == "teardown" and report.failed and state["outcome"] == "passed":
        state["outcome"], state["reason"] = "error", _reason(report)


def pytest_sessionfinish(session, exitstatus):
    _session(session.config).finish_report(exitstatus)


def pytest_terminal_summary(terminalreporter, config):
    claims = _session(config)
    if claims.run_dir is not None:
        terminalreporter.write_line(f"claims report: {claims.run_dir / 'report.json'} (and report.md; reports/latest points at it)")
