"""Baseline comparison: `harness compare` and `pytest claims/ --baseline`, on crafted and real reports."""

import copy
import json

import pytest

from claims_run import run_claims
from harness.report import compare
from harness.cli import main
from harness.errors import HarnessError


def record(claim_id, model, outcome, value, ci):
    return {"claim_id": claim_id, "model": model, "test_id": f"claims/x.py::{claim_id}", "outcome": outcome, "reason": None,
            "statement": "", "source": "", "decision": "", "parameters": {}, "counterexample": None, "duration_s": 0.1,
            "statistics": {"decisive": {"statistic": "s", "value": value, "ci": ci, "chance": 0.05}}}


def crafted(claims, models=("m1", "m2")):
    return {"schema_version": 2, "status": "complete", "started_at": "t", "finished_at": "t", "run": {}, "summary": {},
            "comparison": None, "models": {m: {} for m in models}, "claims": claims}


OLD = crafted([record("C1", "m1", "passed", 5.0, [4.0, 6.0]), record("C4", "m1", "passed", 1.0, [0.5, 1.5]),
               record("C5", "m1", "passed", 0.3, [0.2, 0.4]), record("C1", "m2", "failed", 0.0, [0.0, 0.0])])


def flipped_and_drifted():
    new = copy.deepcopy(OLD)
    new["claims"][1]["outcome"] = "failed"  # C4 on m1 flips, its statistic stays inside the CI
    new["claims"][1]["statistics"]["decisive"]["value"] = 1.2
    new["claims"][2]["statistics"]["decisive"].update(value=0.55, ci=[0.5, 0.6])  # C5 drifts beyond its CI, verdict unchanged
    new["claims"][0]["statistics"]["decisive"]["value"] = 5.5  # C1 moves within its CI: not listed
    return new


def test_lists_exactly_the_flip_and_the_drift():
    result = compare.compare(OLD, flipped_and_drifted())
    assert [(c["claim_id"], c["model"], c["old"], c["new"]) for c in result.verdict_changes] == [("C4", "m1", "passed", "failed")]
    assert [(m["claim_id"], m["model"], m["old"], m["new"]) for m in result.moved_statistics] == [("C5", "m1", 0.3, 0.55)]
    assert [c["claim_id"] for c in result.regressions] == ["C4"]
    assert not result.only_in_old and not result.only_in_new


def test_identical_reports_have_nothing_to_list():
    result = compare.compare(OLD, copy.deepcopy(OLD))
    assert not result.verdict_changes and not result.moved_statistics
    assert compare.render(result)[0].startswith("no verdict changed")


def test_different_models_and_claims_are_reported_not_crashed():
    new = crafted([record("C1", "m1", "passed", 5.0, [4.0, 6.0]), record("C9", "m3", "failed", 0.0, None)], models=("m1", "m3"))
    result = compare.compare(OLD, new)
    assert {(r["claim_id"], r["model"]) for r in result.only_in_old} == {("C4", "m1"), ("C5", "m1"), ("C1", "m2")}
    assert result.only_in_new == [{"claim_id": "C9", "model": "m3"}]
    assert result.models_only_in_old == ["m2"] and result.models_only_in_new == ["m3"]


def test_cli_exits_non_zero_on_regression_only_when_asked(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(flipped_and_drifted()))
    assert main(["compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "C4 on m1: passed -> failed  (regression)" in out and "C5 on m1: s 0.3 [0.2, 0.4] -> 0.55 [0.5, 0.6]" in out
    assert main(["compare", str(old), str(new), "--fail-on-regression"]) == 1
    assert main(["compare", str(new), str(old), "--fail-on-regression"]) == 0  # failed -> passed is no regression


@pytest.mark.parametrize("content, message", [(None, "no report at"), ("{not json", "cannot read"), ('{"schema_version": 9}', "schema_version 9")])
def test_unreadable_baselines_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HarnessError, match=message):
        compare.load_report(path)


def test_pytest_baseline_gates_on_regressions_only(tmp_path):
    """planted:none fails C1. Against a baseline where it failed too, --fail-on-regression passes the run;
    against one where it passed, the run fails and the regression is listed."""
    only_c1 = ("--model", "planted:none", "-k", "induction_heads_exist and not across")
    first, report = run_claims(tmp_path / "first", *only_c1)
    assert first.returncode == 1 and report["claims"][0]["outcome"] == "failed", first.stdout
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(report))
    same, compared = run_claims(tmp_path / "same", *only_c1, "--baseline", str(path), "--fail-on-regression")
    assert same.returncode == 0, same.stdout
    assert compared["comparison"]["verdict_changes"] == [] and compared["comparison"]["regressions"] == []
    assert "no verdict changed" in same.stdout
    report["claims"][0]["outcome"] = "passed"
    path.write_text(json.dumps(report))
    regressed, compared = run_claims(tmp_path / "regressed", *only_c1, "--baseline", str(path), "--fail-on-regression")
    assert regressed.returncode == 1, regressed.stdout
    assert [c["claim_id"] for c in compared["comparison"]["regressions"]] == ["C1-induction-heads-exist"]
    assert "passed -> failed  (regression)" in regressed.stdout


def test_fail_on_regression_without_baseline_is_a_usage_error(tmp_path):
    result, _ = run_claims(tmp_path, "--fail-on-regression", "-k", "nothing")
    assert result.returncode == 4 and "add --baseline" in result.stderr
