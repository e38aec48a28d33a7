"""Run `pytest claims/` in a subprocess, as a user would, and read back its report."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_claims(tmp_path: Path, *args: str, env: dict | None = None, timeout: int = 600, claims: Path = ROOT / "claims"):
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "pytest", str(claims), "-p", "no:cacheprovider", "-q",
               "--reports-dir", str(reports), "--device", "cpu", *args]
    environment = {**os.environ, "CHRONOS_CLAIMS_CACHE": str(tmp_path / "cache"), **(env or {})}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=environment)
    latest = reports / "latest" / "report.json"
    report = json.loads(latest.read_text()) if latest.exists() else None
    return result, report


def outcomes(report: dict) -> dict[tuple[str, str], str]:
    return {(record["claim_id"], record["model"]): record["outcome"] for record in report["claims"]}
