"""The command-line options of `pytest claims/`, read once into RunOptions; the Hypothesis profiles. No torch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from harness.checkpoints import check_device, check_dtype
from harness.memory import parse_size
from harness.errors import HarnessError

FALLBACK_MODELS = ("planted:reference",)
HYPOTHESIS_PROFILES = {
    # CI: few examples, reproducible, no deadline (a forward pass has no fixed duration)
    "fast": settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], print_blob=True),
    "thorough": settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True),
}
for _name, _profile in HYPOTHESIS_PROFILES.items():
    settings.register_profile(_name, _profile)


def add_options(parser) -> None:
    group = parser.getgroup("chronos-claims", "interpretability claims")
    group.addoption("--model", action="append", default=[], metavar="[NAME=]MODEL",
                    help="checkpoint directory, hub id in the local HF cache, zoo:NAME or planted:NAME, reported under NAME= "
                         "where given (else the directory's name, lengthened until no two models share it); repeatable "
                         "(default: the shipped zoo)")
    group.addoption("--device", default="auto", metavar="DEVICE", help="auto, cpu or cuda[:N] (default: auto = cuda if available)")
    group.addoption("--dtype", default="auto", metavar="DTYPE",
                    help="auto, float32 or bfloat16 (default: auto = bfloat16 on cuda and on a CPU where it is measured faster)")
    group.addoption("--max-memory", default=None, metavar="SIZE",
                    help="memory budget for a measurement's batch, e.g. 4GB (default: half of the memory available); batches are "
                         "chunked to fit it, and one whose inputs alone cannot fit is refused")
    group.addoption("--claim", action="append", default=[], metavar="ID",
                    help="run only this claim: its id, or the beginning of ids up to a hyphen (C1 selects C1-... and C1-...-across-inputs, "
                         "not C10); repeatable")
    group.addoption("--reports-dir", default="reports", metavar="DIR", help="where claim runs write their reports (default: reports)")
    group.addoption("--no-report", action="store_true", help="do not write a report for this run")
    group.addoption("--baseline", default=None, metavar="REPORT",
                    help="an earlier report.json (or its run directory): models paired by label, verdicts that changed, and "
                         "deciding statistics whose difference between the runs is significant")
    group.addoption("--fail-on-regression", action="store_true",
                    help="with --baseline: the exit status says whether a claim went from passed to failed or nothing was "
                         "compared; claims that failed in the baseline too do not fail the run (errors still do)")


def load_hypothesis_profile(config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def default_models() -> list[str]:
    """The shipped zoo (every model, so the cross-model claims have something to compare); planted:reference without it."""
    from harness.models import shipped_zoo

    return shipped_zoo() or list(FALLBACK_MODELS)


@dataclass(frozen=True)
class RunOptions:
    specs: tuple[str, ...]
    labels: dict[str, str]  # spec -> the model's label in this run (harness.identity)
    families: dict[str, str]  # spec -> family name
    device: str  # as given: resolved when the first model loads
    dtype: str
    reports_dir: Path | None
    root: Path
    profile: str
    is_worker: bool
    baseline: tuple[str, dict[str, Any]] | None
    fail_on_regression: bool
    max_memory: int | None  # bytes, from --max-memory

    @classmethod
    def from_config(cls, config) -> "RunOptions":
        from harness.identity import labelled_models
        from harness.models import spec_family
        from harness.report.compare import load_report

        labels = labelled_models(config.getoption("model") or default_models())
        specs = list(labels)
        families = {spec: spec_family(spec) for spec in specs}  # fails at start-up, in one line, rather than in every test
        device = check_device(config.getoption("device"))
        max_memory = None if config.getoption("max_memory") is None else parse_size(config.getoption("max_memory"))
        dtype = check_dtype(config.getoption("dtype"), device)
        reports_dir = None if config.getoption("no_report") else Path(config.getoption("reports_dir"))
        baseline = config.getoption("baseline")
        if config.getoption("fail_on_regression") and not baseline:
            raise HarnessError("--fail-on-regression compares against a baseline; add --baseline PATH/report.json")
        if baseline:
            if reports_dir is None:
                raise HarnessError("--baseline compares this run's report with an earlier one; drop --no-report")
            baseline = (str(Path(baseline).resolve()), load_report(baseline))  # resolved: reports/latest moves on
        return cls(tuple(specs), labels, families, device, dtype, reports_dir, config.rootpath, settings._current_profile or "default",
                   hasattr(config, "workerinput"), baseline, config.getoption("fail_on_regression"), max_memory)

    def specs_of(self, family: str) -> list[str]:
        return [spec for spec in self.specs if self.families[spec] == family]
