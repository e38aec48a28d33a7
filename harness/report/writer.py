"""Writing a run's directory: report.json and report.md after every claim, report.html at the end, then
reports/latest. Every file is replaced atomically, so a report is never half-written."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from harness import atomic
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.schema import Report, summarize


def new_run_dir(reports_dir: Path) -> Path:
    """A fresh directory per run; the pid suffix keeps simultaneous runs apart."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = Path(reports_dir) / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def write(run_dir: Path, report: Report, *, final: bool = False) -> None:
    """Write report.json and report.md; on the final write also report.html, then point reports/latest at this run."""
    report["summary"] = summarize(report["claims"])
    atomic.write_json(run_dir / "report.json", report)
    atomic.write_text(run_dir / "report.md", render_markdown(report))
    if final:
        atomic.write_text(run_dir / "report.html", render_html(report))
        atomic.point_symlink(run_dir.parent / "latest", run_dir.name)
