"""The run report: report.json (the record) and report.md (rendered from the JSON alone).

Schema (SCHEMA_VERSION 2; version 1 lacked "comparison"); every key is always present, with null where a value does not apply:

    {
      "schema_version": 1,
      "status": "running" | "complete" | "incomplete",   # incomplete: interrupted or crashed; what finished is kept
      "started_at": ISO-8601 UTC, "finished_at": ISO-8601 UTC | null,
      "run": {harness, python, platform, torch, transformers, chronos, numpy, scipy, hypothesis versions,
              git_commit, command, device, dtype, hypothesis_profile, exit_status},
      "models": {name: LoadedModel.describe()},           # id/path, family, parameters, layers, heads, device, dtype, planted
      "claims": [ClaimRecord, ...],
      "summary": {"passed": n, "failed": n, "inconclusive": n, "error": n, "skipped": n},
      "comparison": null | {"baseline": path, "verdict_changes", "moved_statistics", "regressions",
                            "only_in_old", "only_in_new", "models_only_in_old", "models_only_in_new"}   # --baseline
    }

ClaimRecord: claim_id, model, test_id, outcome (passed | failed | inconclusive | error | skipped),
reason (why, for anything but passed), statement, source, decision, parameters (from the registry),
statistics (the numbers that decided it: "decisive" plus claim-specific detail, each quoting a
"measurement" block with model, dtype, device, seed, batch, inputs, CI level and chance level),
counterexample (the shrunk failing input of a quantified claim, else null), duration_s.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypedDict

from harness import atomic

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Stated tolerance between bfloat16 and float32 batch-mean head scores, checked by tests/test_dtype.py (measured at
# most 1.1e-4 on the random-init checkpoint, 2e-6 on the planted one, 0.0021 on nano, micro, milli and three earlier
# zoo:milli runs, and 0.021 on another earlier zoo:milli trained at lr 1.5e-3; the README quotes the same numbers).
BF16_SCORE_TOLERANCE = 0.03
OUTCOMES = ("passed", "failed", "inconclusive", "error", "skipped")


class ClaimRecord(TypedDict):
    claim_id: str
    model: str | None
    test_id: str
    outcome: Literal["passed", "failed", "inconclusive", "error", "skipped"]
    reason: str | None
    statement: str
    source: str
    decision: str
    parameters: dict[str, Any]
    statistics: dict[str, Any]
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


def new_run_dir(reports_dir: Path) -> Path:
    """A fresh directory per run; the pid suffix keeps simultaneous runs apart."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = Path(reports_dir) / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def write(run_dir: Path, report: Report, *, final: bool = False) -> None:
    """Write report.json and report.md atomically; on the final write also report.html, then point reports/latest at this run."""
    report["summary"] = summarize(report["claims"])
    atomic.write_json(run_dir / "report.json", report)
    atomic.write_text(run_dir / "report.md", render_markdown(report))
    if final:
        from harness.html import render_html

        atomic.write_text(run_dir / "report.html", render_html(report))
        atomic.point_symlink(run_dir.parent / "latest", run_dir.name)


def load(path: Path) -> Report:
    report = json.loads(Path(path).read_text())
    if report.get("schema_version") not in READABLE_VERSIONS:
        raise ValueError(f"{path} has schema_version {report.get('schema_version')!r}; this harness reads versions {READABLE_VERSIONS}")
    return report


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def decisive_text(statistics: dict[str, Any]) -> str:
    decisive = statistics.get("decisive")
    if not decisive:
        return ""
    text = f"{decisive['statistic']} = {_format_value(decisive['value'])}"
    if decisive.get("ci"):
        low, high = decisive["ci"]
        text += f" (CI {_format_value(low)}..{_format_value(high)})"
    if decisive.get("chance") is not None:
        text += f"; chance {_format_value(decisive['chance'])}"
    return text


def _grid(rows: list[list[float]]) -> list[str]:
    heads = len(rows[0]) if rows else 0
    lines = ["| layer | " + " | ".join(f"h{head}" for head in range(heads)) + " |", "|---" * (heads + 1) + "|"]
    lines += [f"| {layer} | " + " | ".join(f"{value:.3f}" for value in row) + " |" for layer, row in enumerate(rows)]
    return lines


def render_markdown(report: Report) -> str:
    run = report["run"]
    lines = [
        "# Claims report",
        "",
        f"Status **{report['status']}**, started {report['started_at']}, finished {report['finished_at'] or '-'}.",
        f"harness {run['harness']}, torch {run['torch']}, transformers {run['transformers']}, chronos {run['chronos']}, "
        f"device {run['device']}, dtype {run['dtype']}, Hypothesis profile {run['hypothesis_profile']}, commit {run['git_commit'] or '-'}.",
        "",
        "Summary: " + ", ".join(f"{count} {outcome}" for outcome, count in report["summary"].items()),
        "",
    ]
    if run["dtype"] != "float32":
        lines += [f"Note: measured in {run['dtype']}; head scores agree with float32 within {BF16_SCORE_TOLERANCE} on the "
                  "planted checkpoints and the zoo (tests/test_dtype.py), so a score within that distance of a threshold may flip.", ""]
    lines += [
        "## Models",
        "",
        "| model | family | parameters | layers (enc/dec) | heads | device | dtype | path |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, model in report["models"].items():
        lines.append(
            f"| {name} | {model.get('family', 'chronos-t5')} | {model['parameters']:,} | {model['encoder_layers']}/{model['decoder_layers']} | {model['heads']} | "
            f"{model['device']} | {model['dtype']} | `{model['path']}` |"
        )
    lines += ["", "## Verdicts", "", "| claim | model | outcome | deciding statistic |", "|---|---|---|---|"]
    for record in report["claims"]:
        lines.append(f"| {record['claim_id']} | {record['model'] or '-'} | **{record['outcome']}** | {decisive_text(record['statistics'])} |")
    for record in report["claims"]:
        statistics = record["statistics"]
        lines += ["", f"### {record['claim_id']} on {record['model'] or 'all models'}: {record['outcome']}", "", record["statement"], ""]
        lines.append(f"Decision rule: {record['decision']}")
        if record["reason"]:
            lines += ["", f"Reason: {record['reason'].splitlines()[0]}"]
        lines += ["", "Parameters: " + ", ".join(f"{key}={value}" for key, value in record["parameters"].items())]
        measurement = statistics.get("measurement")
        if measurement:
            lines += ["", "Measured: " + ", ".join(f"{key}={_format_value(value)}" for key, value in measurement.items())]
        for key, value in statistics.items():
            if key in ("measurement", "decisive", "mosaic", "examples", "size_table", "grid", "spectra_figure"):
                continue
            text = json.dumps(value)
            lines.append(f"- {key}: {text if len(text) <= 300 else '(in report.json)'}")
        if statistics.get("size_table"):
            lines += ["", "| model | parameters | current-token heads | right-token heads | total | share of all heads |", "|---|---|---|---|---|---|"]
            for row in statistics["size_table"]:
                cells = [f"{row[key]['mean']:.1f} [{row[key]['ci'][0]:.1f}, {row[key]['ci'][1]:.1f}]" for key in ("current", "right", "total")]
                share = row["share"]
                lines.append(f"| {row['model']} | {row['parameters']:,} | " + " | ".join(cells)
                             + f" | {share['mean']:.1%} [{share['ci'][0]:.1%}, {share['ci'][1]:.1%}] |")
            lines.append("\nCounts are seed means with bootstrap CIs over seeds.")
        if statistics.get("grid"):
            lines += ["", "| sequence_length | repetitions | T | chance 1/T | current | right | total | total >= k x chance | strongest head (mean) |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for cell in statistics["grid"]:
                best = cell["strongest_head"]
                lines.append(
                    f"| {cell['sequence_length']} | {cell['repetitions']} | {cell['encoder_length']} | {cell['chance_level']:.4f} | "
                    f"{cell['current']} | {cell['right']} | {cell['total']} | {cell['total_above_chance_multiple']} | "
                    f"{best['kind']} L{best['layer']}H{best['head']} {best['mean']:.3f} |"
                )
        if statistics.get("examples"):
            lines += ["", "| sequence_length | repetitions | seed | induction heads | strongest head (mean, CI) | chance |", "|---|---|---|---|---|---|"]
            for example in statistics["examples"]:
                best = example["strongest_head"]
                lines.append(
                    f"| {example['sequence_length']} | {example['repetitions']} | {example['seed']} | {example['induction_heads']} | "
                    f"{best['kind']} L{best['layer']}H{best['head']} {best['mean']:.3f} [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}] | "
                    f"{example['chance_level']:.4f} |"
                )
        if record["counterexample"]:
            lines += ["", f"Counterexample (shrunk): `{json.dumps(record['counterexample'])}`"]
        mosaic = statistics.get("mosaic")
        if mosaic:
            for kind in ("current", "right"):
                lines += ["", f"Mosaic, {kind}-token score (batch mean):", ""] + _grid(mosaic[kind]["mean"])
        lines.append(f"\nDuration {record['duration_s']:.2f} s.")
    return "\n".join(lines) + "\n"
