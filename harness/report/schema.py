"""The run report's schema: report.json is the record; report.md and report.html are rendered from it alone.

Schema (SCHEMA_VERSION 5; version 4 lacked the models' fingerprint and snapshot and kept another comparison, version 3
the records' reason_kind and origin, version 2 the records' family, registry, position and figures, version 1 also
"comparison"); every key is always present, with null where a value does not apply:

    {
      "schema_version": 5,
      "status": "running" | "complete" | "incomplete",   # incomplete: interrupted or crashed; what finished is kept
      "started_at": ISO-8601 UTC, "finished_at": ISO-8601 UTC | null,
      "run": {harness, python, platform, torch, transformers, chronos, numpy, scipy, hypothesis versions,
              git_commit, command, device, dtype, hypothesis_profile, exit_status},
      "models": {label: LoadedModel.describe()},   # label: unique in the run (harness.identity); spec (path, hub id,
                                                   # zoo: or planted:), path, snapshot, fingerprint, family, parameters,
                                                   # layers, heads, device, dtype, planted
      "claims": [ClaimRecord, ...],
      "summary": {"passed": n, "failed": n, "inconclusive": n, "error": n, "skipped": n},
      "comparison": null | {"baseline": path, **harness.report.compare.compare(...)}   # --baseline
    }

ClaimRecord: claim_id, model (the model's label, or "across <family>" for a claim that compares models), family, test_id, registry (the registry.yaml it came from) and position (its index
there: reports list claims in registry order), outcome (passed | failed | inconclusive | error | skipped),
reason (why, for anything but passed), reason_kind (machine-readable: clears-bar, excludes-bar, straddles-bar,
undecided-inputs, floor:<which floor is missing>, not-applicable, skipped, error; harness.verdict), origin (finding:
one of the studies' findings; extension: this project's), statement, source, decision, parameters (from the registry),
statistics (the numbers that decided it: "decisive" {statistic, value, ci, chance, null}, chance being the
value the statistic takes when the effect is absent and null how that value was obtained, plus claim-specific detail,
and a "measurement" block with model, dtype, device, seed, batch, inputs, CI level and chance level; a
quantified claim adds "examples" (each evaluated input), "examples_evaluated" and "examples_not_evaluated"
{reason: count}), figures (harness.figures: kind, title, subtitle, data), counterexample (the shrunk failing
input of a quantified claim, else null), duration_s.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypedDict


SCHEMA_VERSION = 5
READABLE_VERSIONS = (1, 2, 3, 4, 5)
# Stated tolerance between bfloat16 and float32 batch-mean head scores, checked by tests/test_dtype.py (measured at
# most 1.1e-4 on the random-init checkpoint, 2e-6 on the planted one, 0.0021 on nano, micro, milli and three earlier
# zoo:milli runs, and 0.021 on another earlier zoo:milli trained at lr 1.5e-3; the README quotes the same numbers).
BF16_SCORE_TOLERANCE = 0.03
OUTCOMES = ("passed", "failed", "inconclusive", "error", "skipped")


class ClaimRecord(TypedDict):
    claim_id: str
    model: str | None
    family: str
    test_id: str
    registry: str
    position: int
    outcome: Literal["passed", "failed", "inconclusive", "error", "skipped"]
    reason: str | None
    reason_kind: str
    origin: Literal["finding", "extension"]
    statement: str
    source: str
    decision: str
    parameters: dict[str, Any]
    statistics: dict[str, Any]
    figures: list[dict[str, Any]]
    counterexample: dict[str, Any] | None
    duration_s: float


class Report(TypedDict):
    schema_version: int
    status: Literal["running", "complete", "incomplete"]
    started_at: str
    finished_at: str | None
    run: dict[str, Any]
    models: dict[str, dict[str, Any]]
    claims: list[ClaimRecord]
    summary: dict[str, int]
    comparison: dict[str, Any] | None


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def git_commit(root: Path) -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def run_info(root: Path, device: str, dtype: str, hypothesis_profile: str) -> dict[str, Any]:
    return {
        "harness": _version("chronos-claims"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{name: _version(name) for name in ("torch", "transformers", "numpy", "scipy", "hypothesis")},
        "chronos": _version("chronos-forecasting"),
        "git_commit": git_commit(root),
        "command": sys.argv,
        "device": device,
        "dtype": dtype,
        "hypothesis_profile": hypothesis_profile,
        "exit_status": None,
    }


def new_report(run: dict[str, Any]) -> Report:
    return Report(schema_version=SCHEMA_VERSION, status="running", started_at=now(), finished_at=None, run=run, models={}, claims=[], summary=summarize([]),
                  comparison=None)


def summarize(claims: list[ClaimRecord]) -> dict[str, int]:
    return {outcome: sum(record["outcome"] == outcome for record in claims) for outcome in OUTCOMES}


def load(path: Path) -> Report:
    report = json.loads(Path(path).read_text())
    if report.get("schema_version") not in READABLE_VERSIONS:
        raise ValueError(f"{path} has schema_version {report.get('schema_version')!r}; this harness reads versions {READABLE_VERSIONS}")
    return report
