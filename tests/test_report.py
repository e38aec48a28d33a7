import json
import os
import threading
import typing
from pathlib import Path

import pytest

from harness import atomic
from harness.report import schema as report
from harness.report import writer
from harness.report.markdown import render_markdown
from harness.report.schema import ClaimRecord, Report


def claim_record(**overrides) -> ClaimRecord:
    record = ClaimRecord(
        claim_id="C1-induction-heads-exist", model="m", family="chronos-t5", test_id="claims/test_x.py::test_y[m]",
        registry="claims/registry.yaml", position=0, outcome="passed", reason=None, reason_kind="clears-bar", origin="finding", statement="s", source="src", decision="d",
        parameters={"threshold": 0.3},
        statistics={"decisive": {"statistic": "heads", "value": 3, "ci": [2, 4], "chance": 0.05}, "measurement": {"model": "m"}},
        figures=[], counterexample=None, duration_s=0.5,
    )
    record.update(overrides)
    return record


def test_report_matches_its_documented_schema(tmp_path):
    run_dir = writer.new_run_dir(tmp_path)
    document = report.new_report(report.run_info(tmp_path, "cpu", "float32", "fast"))
    document["claims"].append(claim_record())
    document["claims"].append(claim_record(outcome="inconclusive", reason="too few heads", reason_kind="floor:too-few-heads"))
    writer.write(run_dir, document, final=True)
    written = json.loads((tmp_path / "latest" / "report.json").read_text())
    assert set(written) == set(typing.get_type_hints(Report))
    for record in written["claims"]:
        assert set(record) == set(typing.get_type_hints(ClaimRecord))
        assert record["outcome"] in report.OUTCOMES
    assert written["schema_version"] == report.SCHEMA_VERSION
    assert written["summary"]["passed"] == 1 and written["summary"]["inconclusive"] == 1
    for key in ("torch", "transformers", "chronos", "device", "dtype", "git_commit", "hypothesis_profile"):
        assert key in written["run"]
    assert report.load(tmp_path / "latest" / "report.json") == written


def test_markdown_is_rendered_from_the_json_alone(tmp_path):
    document = report.new_report(report.run_info(tmp_path, "cpu", "float32", "fast"))
    document["claims"].append(claim_record(outcome="failed", reason="0 heads", reason_kind="excludes-bar", counterexample={"sequence_length": 6}))
    document["claims"].append(claim_record(claim_id="C9-alt-spectral-period-is-fundamental", origin="extension", position=1))
    document["claims"][0]["statistics"]["decisive"]["null"] = "uniform attention"
    text = render_markdown(json.loads(json.dumps(document)))
    assert ("| C1-induction-heads-exist | finding | m | **failed** | excludes-bar | heads = 3 (CI 2..4); null 0.05 (uniform attention) |"
            in text)
    assert 'Counterexample (shrunk): `{"sequence_length": 6}`' in text
    assert "Reason (excludes-bar): 0 heads" in text
    findings, extensions = text.index("Findings of the studies:"), text.index("Extensions of this project:")
    assert findings < text.index("| C1-induction-heads-exist | FAIL 3 | 0.05 |") < extensions < text.index("| C9-alt-spectral-period-is-fundamental | pass 3 | 0.05 |")


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    atomic.write_json(target, {"old": True})

    def broken_dump(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dumps", broken_dump)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_json(target, {"new": True})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no staging file left behind


def test_non_finite_numbers_are_refused_rather_than_written_as_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        atomic.write_json(tmp_path / "x.json", {"value": float("nan")})
    assert not (tmp_path / "x.json").exists()


def test_simultaneous_runs_get_their_own_directories_and_a_valid_latest(tmp_path):
    run_dirs = [writer.new_run_dir(tmp_path / "r")]
    os_getpid = os.getpid
    try:
        os.getpid = lambda: os_getpid() + 1  # a second process in the same second
        run_dirs.append(writer.new_run_dir(tmp_path / "r"))
    finally:
        os.getpid = os_getpid
    assert run_dirs[0] != run_dirs[1]

    def finish(run_dir):
        for _ in range(50):
            atomic.point_symlink(tmp_path / "r" / "latest", run_dir.name)

    threads = [threading.Thread(target=finish, args=(d,)) for d in run_dirs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert os.readlink(tmp_path / "r" / "latest") in {d.name for d in run_dirs}


def test_report_of_an_older_schema_is_refused(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"schema_version": 0}))
    with pytest.raises(ValueError, match="schema_version 0"):
        report.load(Path(tmp_path / "r.json"))
