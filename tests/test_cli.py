import json
import subprocess
import sys

from harness.cli import main


def test_mosaic_prints_and_writes_the_planted_heads(planted_dirs, tmp_path, capsys):
    path = planted_dirs("reference")
    out = tmp_path / "mosaic.json"
    code = main(["mosaic", "--model", str(path), "--sequence-length", "10", "--repetitions", "2",
                 "--batch-size", "100", "--seed", "0", "--json", str(out), "--device", "cpu"])
    assert code == 0
    truth = json.loads((path / "planted.json").read_text())["kinds"]
    printed = capsys.readouterr().out
    assert f"current-token heads: {[tuple(h) for h in truth['current']]}" in printed
    assert f"right-token heads:   {[tuple(h) for h in truth['right']]}" in printed
    report = json.loads(out.read_text())
    assert report["model"] == path.name
    assert report["params"]["sequence_length"] == 10 and report["params"]["batch_size"] == 100
    assert len(report["center"]) == 6 and len(report["center"][0]) == 4
    assert sorted(report["right_heads"]) == sorted(truth["right"])


def test_plant_then_mosaic_round_trip(tmp_path, capsys):
    assert main(["plant", str(tmp_path / "m"), "--layers", "2", "--heads", "2", "--current", "0:1", "--right", "1:0"]) == 0
    assert main(["mosaic", "--model", str(tmp_path / "m"), "--batch-size", "20", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "current-token heads: [(0, 1)]" in printed and "right-token heads:   [(1, 0)]" in printed


def test_errors_are_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness.cli", "mosaic", "--model", str(tmp_path / "missing")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "does not exist" in result.stderr


def test_zoo_train_refuses_a_device_it_cannot_use_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness.cli", "zoo", "train", "--size", "nano", "--steps", "20", "--device", "tpu",
                             "--out", str(tmp_path / "nano")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "unknown device 'tpu'" in result.stderr and not (tmp_path / "nano").exists()
