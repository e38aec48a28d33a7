"""What `pytest claims/` prints on the default zoo: the matrix and a few lines, counted as the report counts."""

import re

import pytest

from claims_run import run_claims

pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


MAX_LINES = 80


def test_the_default_run_prints_the_matrix_in_at_most_80_lines_and_counts_as_the_report_does(tmp_path):
    result, report = run_claims(tmp_path, "-v")  # claims_run passes -q: -v brings the default verbosity back
    assert report is not None, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= MAX_LINES, result.stdout
    assert "claim did not hold" not in result.stdout and "FAILED" not in result.stdout
    counted = {word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|skipped|inconclusive|errors?)\b", lines[-1])}
    counted["error"] = counted.pop("errors", counted.pop("error", 0))
    assert counted == {outcome: count for outcome, count in report["summary"].items() if count or outcome == "error"}
    assert sum(report["summary"].values()) == len(report["claims"]) > 0
