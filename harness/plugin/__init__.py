"""pytest plugin: options, the model fixtures of each family, `measure` and `evidence`, and the run report.

Registered through the pytest11 entry point, so any directory holding a registry.yaml and test modules that
bind claims to it runs with `pytest`. Nothing heavy happens at import or collection: torch is imported when the
first model is loaded. The pieces: options (RunOptions), session (ModelPool: models and measurements),
evidence (what a test records), recorder (records, report, exit status).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import zlib
from pathlib import Path

import hypothesis
import pytest

from harness.errors import HarnessError
from harness.models import FAMILIES
from harness.plugin.evidence import Evidence
from harness.plugin.options import RunOptions, add_options, load_hypothesis_profile
from harness.plugin.shrinking import DEFAULT_SHRINK_BUDGET, SHRINK_BUDGETS, bound_shrinking
from harness.plugin import terminal
from harness.plugin.recorder import Recorder, claim_of
from harness.plugin.session import ModelPool
from harness.registry import load_registry

GENERIC_FIXTURE = "model"  # one model of the claim's family, whatever the family
MODEL_FIXTURES = (GENERIC_FIXTURE, *(family.fixture for family in FAMILIES.values()))
POOL_KEY = pytest.StashKey[ModelPool]()
RECORDER_KEY = pytest.StashKey[Recorder]()


def pytest_addoption(parser):
    add_options(parser)


def check_registries(config) -> None:
    """Validate the registry beside each claims path before collection, so a bad entry is one line, not a traceback."""
    candidates = {config.rootpath / "claims" / "registry.yaml"}
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        candidates.add((path if path.is_dir() else path.parent) / "registry.yaml")
    for candidate in sorted(candidates):
        if candidate.is_file():
            load_registry(candidate.resolve())


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(claim_id): a test that decides one registry claim on each model of its family")
    load_hypothesis_profile(config)
    try:
        check_registries(config)
        options = RunOptions.from_config(config)
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None
    pool = ModelPool(options)
    recorder = Recorder(options, pool, Evidence(), MODEL_FIXTURES)
    config.stash[POOL_KEY], config.stash[RECORDER_KEY] = pool, recorder
    config.pluginmanager.register(recorder, "chronos_claims_recorder")
    config.pluginmanager.register(ModuleOrder(), "chronos_claims_module_order")
    config.pluginmanager.register(terminal.Summary(recorder), "chronos_claims_terminal")
    config.pluginmanager.register(terminal.FailuresBehindVerbose(), "chronos_claims_failures_behind_verbose")


class ModuleOrder:
    """Claim tests run module by module (each model in turn within a module): one progress line per module rather
    than one per module and model. Models stay loaded for the whole run, so the order costs no reloading."""

    @pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by model
    def pytest_collection_modifyitems(self, items):
        slots = [index for index, item in enumerate(items) if item.get_closest_marker("claim") is not None]
        modules = list(dict.fromkeys(items[index].path for index in slots))
        ordered = sorted((items[index] for index in slots), key=lambda item: modules.index(item.path))
        for index, item in zip(slots, ordered):
            items[index] = item


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A claim module that could not bind its registry entry or its model stops the run with one line, before the
    failed collection (and its traceback) reaches the terminal."""
    report = yield
    if report.failed and getattr(collector, "binding_error", None):
        raise pytest.UsageError(collector.binding_error)
    return report


class ClaimModule(pytest.Module):
    """A test module that keeps the one-line reason (a HarnessError) why it could not be collected: a registry entry
    its claim() could not bind at import, or a model fixture pytest_generate_tests could not give it."""

    binding_error: str | None = None

    def collect(self):
        try:
            return list(super().collect())
        except HarnessError as error:
            self.binding_error = str(error)
            raise


def pytest_pycollect_makemodule(module_path, parent):
    return ClaimModule.from_parent(parent, path=module_path)


def _families_of_test(metafunc, is_claim: bool):
    """(families, not applicable) from the claim's registry entry, narrowed to the families its marker names (mark_for);
    for a test without a claim marker, the family whose fixture it asks for."""
    if is_claim:
        try:
            claim = claim_of(metafunc.definition)
        except HarnessError as error:
            raise HarnessError(f"{metafunc.definition.nodeid}: {error}") from None
        named = metafunc.definition.get_closest_marker("claim").kwargs.get("families")
        if named is None:
            return [FAMILIES[name] for name in claim.families], claim.not_applicable
        unknown = sorted(set(named) - set(claim.families) - set(claim.not_applicable))
        if unknown:
            raise HarnessError(f"{metafunc.definition.nodeid}: mark_for names {', '.join(unknown)}, which {claim.id} does not list; "
                               f"use its families ({', '.join([*claim.families, *claim.not_applicable])})")
        return ([FAMILIES[name] for name in claim.families if name in named],
                {name: reason for name, reason in claim.not_applicable.items() if name in named})
    family = next((family for family in FAMILIES.values() if family.fixture in metafunc.fixturenames), None)
    return ([family] if family else []), {}


def test_id(label: str) -> str:
    """A model's part of a test id: its label, with '/' (which pytest reads as a path) as '_'."""
    return label.replace("/", "_")


def _skip(reason: str):
    return pytest.mark.skip(reason=reason)


def pytest_generate_tests(metafunc):
    requested = [name for name in MODEL_FIXTURES if name in metafunc.fixturenames]
    is_claim = metafunc.definition.get_closest_marker("claim") is not None
    options = metafunc.config.stash[POOL_KEY].options
    if is_claim and "models" in metafunc.fixturenames:
        _parametrize_families(metafunc, options)
    if not requested or requested == [GENERIC_FIXTURE] and not is_claim:  # `model` is ours only in claim tests
        return
    families, not_applicable = _families_of_test(metafunc, is_claim)
    primary = families[0] if families else None
    wrong = [name for name in requested if name not in (GENERIC_FIXTURE, primary and primary.fixture)]
    if primary is None or wrong or len(requested) > 1:
        names = ", ".join(family.name for family in families) or None
        raise HarnessError(f"{metafunc.definition.nodeid} asks for {', '.join(requested)}; a claim of family "
                           f"{names} takes one model as `{GENERIC_FIXTURE}` or `{primary and primary.fixture}`")
    params = [pytest.param(spec, id=test_id(options.labels[spec])) for family in families for spec in options.specs_of(family.name)]
    params += [pytest.param(spec, id=test_id(options.labels[spec]), marks=_skip(f"not applicable to {name}: {reason}"))
               for name, reason in not_applicable.items() for spec in options.specs_of(name)]
    if not params:
        given = ", ".join(f"{options.labels[spec]} ({options.families[spec]})" for spec in options.specs)
        names = " or ".join(claim_of(metafunc.definition).families if is_claim else [primary.name])
        reason = f"this claim applies to {names} models and none was given (--model: {given}); add a {names} --model"
        params = [pytest.param(None, marks=_skip(reason), id=f"no-{primary.name}-model")]
    metafunc.parametrize(requested[0], params, indirect=True, scope="session")


def _parametrize_families(metafunc, options) -> None:
    """A claim that compares models runs once per family of its entry that was given a model (its id the family's name)."""
    claim = claim_of(metafunc.definition)
    if len(claim.families) == 1 and not claim.not_applicable:
        return
    params = [pytest.param(name, id=name) for name in claim.families if options.specs_of(name)]
    params += [pytest.param(name, id=name, marks=_skip(f"not applicable to {name}: {reason}"))
               for name, reason in claim.not_applicable.items() if options.specs_of(name)]
    metafunc.parametrize("models", params or [pytest.param(claim.family, id=claim.family)], indirect=True)


def _one_model(request):
    try:
        return request.config.stash[POOL_KEY].model(request.param)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


for _name in MODEL_FIXTURES:  # `model`, and each family's own name for it (`chronos`, `causal_lm`)
    globals()[_name] = pytest.fixture(scope="session", name=_name)(lambda request: _one_model(request))


@pytest.fixture
def models(request) -> list:
    """Every --model of one family of the claim, loaded once per session, smallest first (for claims that compare models)."""
    claim = claim_of(request.node)
    if claim is None:
        raise pytest.UsageError(f"{request.node.nodeid} asks for `models`, which only claim tests (marked with a claim) receive")
    try:
        return request.config.stash[POOL_KEY].family_models(getattr(request, "param", claim.family))
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


class Measure:
    """measure(measurement, model, settings): ``measurement(model, settings)``, made once per model and settings and shared;
    measure.all(measurement, model, [settings, ...]): the same for many settings, in shared forward passes where the
    measurement can batch them."""

    def __init__(self, pool):
        self.pool = pool

    def __call__(self, measurement, model, settings):
        return self.pool.measure(measurement, model, settings)

    def all(self, measurement, model, settings_list):
        return self.pool.measure_all(measurement, model, list(settings_list))


@pytest.fixture(scope="session")
def measure(request) -> Measure:
    """measure(measurement, model, settings), made once per model and settings and shared; measure.all for many settings."""
    return Measure(request.config.stash[POOL_KEY])


@pytest.fixture(scope="session")
def evidence(request) -> Evidence:
    """Where a claim test records its decisive statistic, measurement, figures and examples (harness.plugin.evidence)."""
    return request.config.stash[RECORDER_KEY].evidence


def stable_draws(item, claim_id: str) -> None:
    """A derandomized Hypothesis test draws from a seed derived from the claim id, not (as Hypothesis would) from the
    test's source, so editing a claim module's code does not change which inputs it evaluates."""
    test = getattr(item, "obj", None)
    if getattr(test, "is_hypothesis_test", False) and getattr(test, "_hypothesis_internal_use_seed", None) is None:
        hypothesis.seed(zlib.crc32(claim_id.encode()))(test)


def _has_no_model(item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(name in params and params[name] is None for name in MODEL_FIXTURES)


def _without_repeated_no_model(claim_items: list, items: list, config) -> list:
    """A claim split over tests by family (mark_for) is reported once when it has no model: a test whose families were
    given no model is dropped when another test of its claim has one, and all but one such test when none has."""
    by_claim: dict[str, list] = {}
    for item in claim_items:
        by_claim.setdefault(claim_of(item).id, []).append(item)
    dropped = []
    for group in by_claim.values():
        empty = [item for item in group if _has_no_model(item)]
        dropped += empty if len(empty) < len(group) else empty[1:]
    if not dropped:
        return claim_items
    gone = {id(item) for item in dropped}  # dropped silently: the user selected nothing away
    items[:] = [item for item in items if id(item) not in gone]
    return [item for item in claim_items if id(item) not in gone]


def selects(wanted: str, claim_id: str) -> bool:
    """--claim: the claim's id, or its beginning up to a hyphen."""
    return claim_id == wanted or claim_id.startswith(wanted + "-")


def _without_report(config) -> None:
    recorder = config.stash[RECORDER_KEY]
    recorder.options = dataclasses.replace(recorder.options, reports_dir=None)


def _only_chosen_claims(claim_items: list, items: list, config) -> list:
    """--claim ID...: the claims asked for; an id that selects no claim of the run is a one-line usage error (and no
    report is written)."""
    wanted = config.getoption("claim")
    if not wanted:
        return claim_items
    ids = {claim_of(item).id for item in claim_items}
    for name in wanted:
        if not any(selects(name, claim_id) for claim_id in ids):
            _without_report(config)
            close = difflib.get_close_matches(name, sorted(ids), n=3)
            raise pytest.UsageError(f"--claim {name} selects no claim; " + (f"did you mean {', '.join(close)}?" if close else
                                                                             f"the claims are {', '.join(sorted(ids))}"))
    dropped = [item for item in claim_items if not any(selects(name, claim_of(item).id) for name in wanted)]
    config.hook.pytest_deselected(items=dropped)
    gone = {id(item) for item in dropped}
    items[:] = [item for item in items if id(item) not in gone]
    return [item for item in claim_items if id(item) not in gone]


@pytest.hookimpl(tryfirst=True)  # before -k, which matches the keywords added here
def pytest_collection_modifyitems(session, config, items):
    claim_items = []
    for item in items:
        try:
            if claim_of(item) is not None:
                claim_items.append(item)
        except HarnessError as error:
            _without_report(config)
            raise pytest.UsageError(f"{item.nodeid}: {error}") from None
    if not claim_items:
        return
    config.stash[RECORDER_KEY].claims_collected = True
    for item in claim_items:  # -k C5 (or the whole id) selects a claim's tests on every model
        claim = claim_of(item)
        item.extra_keyword_matches.update({claim.id, claim.label})
    claim_items = _only_chosen_claims(_without_repeated_no_model(claim_items, items, config), items, config)
    if config.option.collectonly:
        return
    if hypothesis.settings().derandomize:
        for item in claim_items:
            stable_draws(item, claim_of(item).id)
    recorder = config.stash[RECORDER_KEY]
    budget = float(os.environ.get("CHRONOS_SHRINK_BUDGET_S") or SHRINK_BUDGETS.get(recorder.options.profile, DEFAULT_SHRINK_BUDGET))
    for item in claim_items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            bound_shrinking(item.obj, recorder.evidence, set(item.fixturenames), budget)
    try:
        config.stash[POOL_KEY].resolve_device()
    except HarnessError as error:
        _without_report(config)
        raise pytest.UsageError(str(error)) from None


def pytest_collection_finish(session):
    """After every selection (-k, -m, --claim): a run that decides some claim starts its report at once, so an
    interrupted run still leaves one marked incomplete; a run that selected none writes none."""
    recorder = session.config.stash[RECORDER_KEY]
    if session.config.option.collectonly or recorder.options.is_worker or recorder.options.reports_dir is None:
        return
    if any(item.get_closest_marker("claim") is not None for item in session.items):
        recorder.start_report()
    else:
        _without_report(session.config)  # nothing to decide: reports/latest stays where it was
