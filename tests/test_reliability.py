"""Determinism, interrupted runs, parallel runs, and bad options at the pytest level."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from claims_run import ROOT, run_claims
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.models import load_model


def test_same_seed_gives_bit_identical_statistics_in_one_process(planted_dirs):
    path = planted_dirs("random")  # real-valued attention everywhere, not only planted zeros and halves
    first = measure_rrt(load_model(str(path), "cpu", "float32"), RRTSettings(seed=11, n_resamples=300))
    second = measure_rrt(load_model(str(path), "cpu", "float32"), RRTSettings(seed=11, n_resamples=300))
    for kind in ("current", "right"):
        for field in ("mean", "ci_low", "ci_high"):
            assert np.array_equal(getattr(getattr(first, kind), field), getattr(getattr(second, kind), field))


@pytest.mark.e2e
def test_same_seed_gives_identical_json_across_process_restarts(planted_dirs, tmp_path):
    path = planted_dirs("random")
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}.json"
        subprocess.run([sys.executable, "-m", "harness.cli", "mosaic", "--model", str(path), "--device", "cpu",
                        "--dtype", "float32", "--seed", "4", "--batch-size", "50", "--json", str(out)],
                       check=True, capture_output=True, timeout=300)
        outputs.append(json.loads(out.read_text()))
    for key in ("center", "right", "center_ci", "right_ci"):
        assert outputs[0][key] == outputs[1][key]


@pytest.mark.e2e
def test_interrupt_marks_the_report_incomplete_and_keeps_earlier_reports(tmp_path, planted_dirs):
    model = str(planted_dirs("reference"))
    _, earlier = run_claims(tmp_path, "--model", model, "-k", "C4 or almost_all_right_token")
    earlier_dir = tmp_path / "reports" / os.readlink(tmp_path / "reports" / "latest")
    earlier_text = (earlier_dir / "report.json").read_text()
    command = [sys.executable, "-m", "pytest", str(ROOT / "claims"), "-p", "no:cacheprovider", "-q", "--model", model,
               "--reports-dir", str(tmp_path / "reports"), "--hypothesis-profile", "thorough", "-k", "rrt_induction"]
    # a job started in the background inherits SIGINT as ignored; a terminal's Ctrl-C is not, so restore it
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "CHRONOS_CLAIMS_CACHE": str(tmp_path / "cache")},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    current = None
    while time.monotonic() < deadline:  # wait until the run has finished at least one claim and is still going
        runs = [d for d in (tmp_path / "reports").iterdir()
                if not d.is_symlink() and d != earlier_dir and (d / "report.json").exists()]
        if runs:
            current = runs[0]
            if json.loads((current / "report.json").read_text())["claims"]:
                break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    report = json.loads((current / "report.json").read_text())
    assert report["status"] == "incomplete", output
    assert report["run"]["exit_status"] == int(pytest.ExitCode.INTERRUPTED)
    assert report["claims"] and len(report["claims"]) < 4  # what finished is kept; the rest is not pretended
    # every claim holds on this layout, so a recorded failure could only be the interrupt itself
    assert {record["outcome"] for record in report["claims"]} == {"passed"}
    assert (earlier_dir / "report.json").read_text() == earlier_text
    assert earlier["status"] == "complete"
    assert not list(current.glob(".*"))  # no staging files left behind


@pytest.mark.e2e
def test_xdist_run_writes_one_merged_report(tmp_path, planted_dirs):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-n", "2", "-k", "rrt_induction")
    assert report is not None, result.stdout + result.stderr
    assert len([d for d in (tmp_path / "reports").iterdir() if not d.is_symlink()]) == 1
    assert report["status"] == "complete"
    assert sorted(r["claim_id"] for r in report["claims"]) == [
        "C1-induction-heads-exist", "C1-induction-heads-exist-across-inputs",
        "C4-induction-heads-are-almost-all-right-token", "C5-current-heads-precede-right-heads"]
    assert (report["summary"]["passed"], report["summary"]["inconclusive"]) == (3, 1)  # C4: 9 heads are too few to show "almost all"
    assert list(report["models"]) == [planted_dirs("reference").name]


@pytest.mark.e2e
def test_simultaneous_runs_write_separate_reports(tmp_path, planted_dirs):
    command = [sys.executable, "-m", "pytest", str(ROOT / "claims"), "-p", "no:cacheprovider", "-q", "--model",
               str(planted_dirs("reference")), "--reports-dir", str(tmp_path / "reports"), "-k", "C5 or precede"]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    runs = [d for d in (tmp_path / "reports").iterdir() if not d.is_symlink()]
    assert len(runs) == 2
    for run in runs:
        assert json.loads((run / "report.json").read_text())["status"] == "complete"
    assert json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())["status"] == "complete"


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args, message",
    [
        (["--modle", "x"], "unrecognized arguments: --modle"),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--device", "cuda"], "no usable CUDA GPU"),
        (["--dtype", "float16", "--device", "cpu"], "float16 is not supported"),
        (["--dtype", "int4"], "unknown dtype 'int4'"),
        (["--model", "/nonexistent/model"], "model path '/nonexistent/model' does not exist"),
        (["--model", "planted:reference", "--model", "planted:reference"], "lists planted:reference twice"),
    ],
)
def test_bad_options_stop_pytest_in_one_line(tmp_path, args, message):
    result, report = run_claims(tmp_path, *args, env={"CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 4, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert report is None and not (tmp_path / "reports").exists()


@pytest.mark.e2e
def test_unknown_claim_id_in_a_marker_stops_collection(tmp_path):
    claims_dir = tmp_path / "claims"
    claims_dir.mkdir()
    (claims_dir / "registry.yaml").write_text((ROOT / "claims" / "registry.yaml").read_text())
    (claims_dir / "test_typo.py").write_text(
        "import pytest\n\n@pytest.mark.claim('C1-induction-head-exist')\ndef test_x():\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", str(claims_dir), "-p", "no:cacheprovider", "--no-report"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4
    assert "unknown claim id 'C1-induction-head-exist'" in result.stderr and "did you mean C1-induction-heads-exist" in result.stderr


@pytest.mark.e2e
def test_a_claim_asking_for_another_familys_model_stops_collection(tmp_path):
    claims_dir = tmp_path / "claims"
    claims_dir.mkdir()
    (claims_dir / "registry.yaml").write_text((ROOT / "claims" / "registry.yaml").read_text())
    (claims_dir / "test_wrong_family.py").write_text(
        "import pytest\n\n@pytest.mark.claim('C1-induction-heads-exist')\ndef test_x(causal_lm):\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", str(claims_dir), "-p", "no:cacheprovider", "--no-report", "--model", "planted:reference"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4
    assert "asks for causal_lm; a claim of family chronos-t5, chronos-bolt, chronos-2 takes one model as `model` or `chronos`" in result.stderr
