"""Selecting claims: -k with a claim id or its label, --claim with exact ids, and a selection that leaves nothing to
decide writes no report."""

import os

import pytest

from claims_run import run_claims


pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


def claim_ids(report) -> set[str]:
    return {record["claim_id"] for record in report["claims"]}


def test_a_claim_label_selects_that_claims_tests_with_k(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-k", "C5")
    assert claim_ids(report) == {"C5-current-heads-precede-right-heads"}, result.stdout


def test_claim_selects_ids_up_to_a_hyphen_so_c1_is_not_c10(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "--claim", "C1", "--claim", "C9-alt")
    assert claim_ids(report) == {"C1-induction-heads-exist", "C1-induction-heads-exist-across-inputs",
                                 "C9-alt-spectral-period-is-fundamental"}, result.stdout


def test_a_selection_with_no_claim_writes_no_report_and_keeps_latest(planted_dirs, tmp_path):
    model = str(planted_dirs("reference"))
    run_claims(tmp_path, "--model", model, "--claim", "C5")
    latest = os.readlink(tmp_path / "reports" / "latest")
    result, report = run_claims(tmp_path, "--model", model, "-k", "no_such_claim")
    assert os.readlink(tmp_path / "reports" / "latest") == latest
    assert len([d for d in (tmp_path / "reports").iterdir() if not d.is_symlink()]) == 1
    assert "no claim was selected, so no report was written (reports/latest is unchanged)" in result.stdout


def test_an_unknown_claim_is_one_line_and_writes_nothing(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "--claim", "C5-current-heads-come-first")
    assert result.returncode == 4 and report is None
    assert "ERROR: --claim C5-current-heads-come-first selects no claim; did you mean C5-current-heads-precede-right-heads?" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())
