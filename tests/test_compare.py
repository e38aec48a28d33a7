"""Baseline comparison: `harness compare` and `pytest claims/ --baseline`, on crafted and real reports."""

import copy
import json

import pytest

from claims_run import run_claims
from harness.report import compare
from harness.cli import main
from harness.errors import HarnessError


def record(claim_id, model, outcome, value, ci, family="f"):
    return {"claim_id": claim_id, "model": model, "family": family, "test_id": f"claims/x.py::{claim_id}", "outcome": outcome,
            "reason": None, "statement": "", "source": "", "decision": "", "parameters": {}, "counterexample": None, "duration_s": 0.1,
            "statistics": {"decisive": {"statistic": "s", "value": value, "ci": ci, "chance": 0.05}}}


def crafted(claims, models=("m1", "m2"), fingerprints=None):
    fingerprints = fingerprints or {}
    return {"schema_version": 5, "status": "complete", "started_at": "t", "finished_at": "t", "run": {}, "summary": {},
            "comparison": None, "models": {m: {"family": "f", "fingerprint": fingerprints.get(m)} for m in models}, "claims": claims}


OLD = crafted([record("C1", "m1", "passed", 5.0, [4.0, 6.0]), record("C4", "m1", "passed", 1.0, [0.5, 1.5]),
               record("C5", "m1", "passed", 0.3, [0.2, 0.4]), record("C1", "m2", "failed", 0.0, [0.0, 0.0])],
              fingerprints={"m1": "aaaa", "m2": "bbbb"})


def flipped_and_drifted():
    new = copy.deepcopy(OLD)
    new["claims"][1]["outcome"] = "failed"  # C4 on m1 flips, its statistic stays inside the CI
    new["claims"][1]["statistics"]["decisive"]["value"] = 1.2
    new["claims"][2]["statistics"]["decisive"].update(value=0.55, ci=[0.5, 0.6])  # C5 drifts: its difference's interval excludes 0
    new["claims"][0]["statistics"]["decisive"]["value"] = 5.5  # C1 moves within its CI: not listed
    new["models"]["m1"]["fingerprint"] = "cccc"
    return new


def test_lists_exactly_the_flip_and_the_significant_drift():
    result = compare.compare(OLD, flipped_and_drifted())
    assert result["compared"] == 4 and not result["not_compared"]
    assert [(c["claim_id"], c["model"], c["old"], c["new"]) for c in result["verdict_changes"]] == [("C4", "m1", "passed", "failed")]
    assert [(m["claim_id"], m["model"], m["old"], m["new"]) for m in result["moved"]] == [("C5", "m1", 0.3, 0.55)]
    assert result["moved"][0]["difference_ci"][0] > 0 and result["steady"] == 3
    assert [c["claim_id"] for c in result["regressions"]] == ["C4"]
    assert {pair["label"]: pair["weights"] for pair in result["models"]} == {"m1": "differ", "m2": "equal"}
    assert compare.gate(result).startswith("1 claim(s) went from passed to failed: C4 on m1")


def test_a_value_outside_the_other_runs_interval_has_not_moved_while_the_intervals_overlap():
    old = crafted([record("C9", "m1", "failed", 0.125, [0.035, 0.36])])
    new = crafted([record("C9", "m1", "failed", 0.0, [0.0, 0.19])])
    result = compare.compare(old, new)
    assert result["moved"] == [] and result["steady"] == 1


def test_identical_reports_compare_every_record_and_change_nothing():
    result = compare.compare(OLD, copy.deepcopy(OLD))
    assert result["compared"] == 4 and not result["verdict_changes"] and not result["moved"] and compare.gate(result) is None
    lines = compare.render(result)
    assert lines[0].startswith("compared 4 records") and "0 verdict(s) changed" in lines[0]
    assert "2 with the same config and weights" in lines[1]


def test_unpaired_models_and_claims_are_listed_with_why_they_were_not_compared():
    new = crafted([record("C1", "m1", "passed", 5.0, [4.0, 6.0]), record("C9", "m3", "failed", 0.0, None)], models=("m1", "m3"))
    result = compare.compare(OLD, new)
    assert result["compared"] == 1 and result["unpaired"] == {"baseline": ["m2"], "new": ["m3"]}
    assert {(r["claim_id"], r["model"], r["why"]) for r in result["not_compared"]} == {
        ("C4", "m1", "claim only in the baseline"), ("C5", "m1", "claim only in the baseline"),
        ("C1", "m2", "model only in the baseline"), ("C9", "m3", "model only in the new run")}


def test_a_claim_over_models_is_compared_only_when_both_runs_hold_the_same_models():
    across = record("C2", "across f", "passed", 6.0, [5.0, 7.0])
    old = crafted([across], models=("m1", "m2"))
    assert compare.compare(old, crafted([across], models=("m1", "m2")))["compared"] == 1
    result = compare.compare(old, crafted([across], models=("m1", "m3")))
    assert result["compared"] == 0 and result["not_compared"][0]["why"] == "compares other models in each run"


def test_runs_that_share_no_model_compare_nothing_and_fail_the_gate(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(crafted([record("C1", "x", "passed", 5.0, [4.0, 6.0])], models=("x",))))
    assert main(["compare", str(old), str(new)]) == 0
    assert capsys.readouterr().out.startswith("compared 0 records")
    assert main(["compare", str(old), str(new), "--fail-on-regression"]) == 1
    assert "nothing was compared: no model label is in both runs (baseline: m1, m2; this run: x)" in capsys.readouterr().err


def test_cli_exits_non_zero_on_regression_only_when_asked(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(flipped_and_drifted()))
    assert main(["compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "C4 on m1: passed -> failed  (regression)" in out and "C5 on m1: s 0.3 [0.2, 0.4] -> 0.55 [0.5, 0.6], difference +0.25" in out
    assert main(["compare", str(old), str(new), "--fail-on-regression"]) == 1
    assert main(["compare", str(new), str(old), "--fail-on-regression"]) == 0  # failed -> passed is no regression


@pytest.mark.parametrize("content, message", [(None, "no report at"), ("{not json", "cannot read"), ('{"schema_version": 9}', "schema_version 9")])
def test_unreadable_baselines_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HarnessError, match=message):
        compare.load_report(path)


@pytest.mark.e2e
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
    assert compared["comparison"]["compared"] == 1 and compared["comparison"]["models"][0]["weights"] == "equal"
    assert "compared 1 records (one claim on one model, in both runs): 0 verdict(s) changed" in same.stdout
    for page in ("report.md", "report.html"):
        assert "compared 1 records" in (tmp_path / "same" / "reports" / "latest" / page).read_text()
    renamed, compared = run_claims(tmp_path / "renamed", "--model", "other=planted:none", *only_c1[2:], "--baseline", str(path),
                                   "--fail-on-regression")
    assert renamed.returncode == 1 and compared["comparison"]["compared"] == 0, renamed.stdout
    assert "--fail-on-regression: nothing was compared: no model label is in both runs (baseline: planted:none; this run: other)" in renamed.stdout
    report["claims"][0]["outcome"] = "passed"
    path.write_text(json.dumps(report))
    regressed, compared = run_claims(tmp_path / "regressed", *only_c1, "--baseline", str(path), "--fail-on-regression")
    assert regressed.returncode == 1, regressed.stdout
    assert [c["claim_id"] for c in compared["comparison"]["regressions"]] == ["C1-induction-heads-exist"]
    assert "passed -> failed  (regression)" in regressed.stdout


@pytest.mark.e2e
def test_fail_on_regression_without_baseline_is_a_usage_error(tmp_path):
    result, _ = run_claims(tmp_path, "--fail-on-regression", "-k", "nothing")
    assert result.returncode == 4 and "add --baseline" in result.stderr
