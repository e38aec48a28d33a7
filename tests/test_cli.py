import json
import subprocess
import sys

import pytest

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


def test_mosaic_of_the_encoder_site_finds_the_planted_prefix_heads(planted_dirs, tmp_path, capsys):
    path = planted_dirs("prefix")
    out = tmp_path / "prefix.json"
    assert main(["mosaic", "--model", str(path), "--site", "encoder", "--batch-size", "20", "--device", "cpu", "--json", str(out)]) == 0
    truth = [tuple(h) for h in json.loads((path / "planted.json").read_text())["encoder_prefix"]]
    assert f"prefix-matching heads: {truth}" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["site"] == "encoder" and [tuple(h) for h in report["prefix_heads"]] == truth


def test_plant_then_mosaic_round_trip(tmp_path, capsys):
    assert main(["plant", str(tmp_path / "m"), "--layers", "2", "--heads", "2", "--current", "0:1", "--right", "1:0"]) == 0
    assert main(["mosaic", "--model", str(tmp_path / "m"), "--batch-size", "20", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "current-token heads: [(0, 1)]" in printed and "right-token heads:   [(1, 0)]" in printed


@pytest.mark.e2e
def test_errors_are_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness.cli", "mosaic", "--model", str(tmp_path / "missing")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "does not exist" in result.stderr


@pytest.mark.e2e
def test_zoo_train_refuses_a_device_it_cannot_use_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness.cli", "zoo", "train", "--size", "nano", "--steps", "20", "--device", "tpu",
                             "--out", str(tmp_path / "nano")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "unknown device 'tpu'" in result.stderr and not (tmp_path / "nano").exists()


def test_zoo_card_is_written_by_each_models_family_with_claims_in_registry_order(tmp_path, capsys):
    import shutil

    from harness.zoo import model_dir

    def record(claim_id, model, position):
        return {"claim_id": claim_id, "model": model, "registry": "claims/registry.yaml", "position": position, "outcome": "passed",
                "reason": None, "statistics": {"decisive": {"statistic": "heads", "value": 3, "ci": None, "chance": 0.05}}}

    report = {"run": {"dtype": "float32", "device": "cpu", "hypothesis_profile": "fast", "git_commit": None},
              "claims": [record("C4-b", "zoo:nano", 2), record("C1-a", "zoo:nano", 0), record("L1-c", "zoo:attn-only-2l", 5)]}
    (tmp_path / "report.json").write_text(json.dumps(report))
    for name in ("nano", "attn-only-2l"):
        shutil.copytree(model_dir(name), tmp_path / name, ignore=shutil.ignore_patterns("*.safetensors"))
        assert main(["zoo", "card", "--size", name, "--out", str(tmp_path / name), "--claims-report", str(tmp_path / "report.json")]) == 0
    chronos_card, lm_card = ((tmp_path / name / "README.md").read_text() for name in ("nano", "attn-only-2l"))
    assert chronos_card.index("| C1-a | passed |") < chronos_card.index("| C4-b | passed |") and "L1-c" not in chronos_card
    assert "| L1-c | passed | heads = 3; null 0.05 |" in lm_card and "C1-a" not in lm_card
    assert main(["zoo", "evaluate", "--size", "attn-only-2l", "--out", str(tmp_path / "attn-only-2l")]) == 2
    assert "evaluated by `pytest claims/`" in capsys.readouterr().err


@pytest.mark.parametrize("layout, family", [("reference", "chronos-t5"), ("bolt-reference", "chronos-bolt"), ("lm-reference", "causal-lm")])
def test_plant_writes_a_named_layout_of_any_family_through_the_family_table(tmp_path, layout, family):
    from harness.models import spec_family

    assert main(["plant", str(tmp_path / layout), "--layout", layout]) == 0
    assert spec_family(str(tmp_path / layout)) == family
    assert layout in json.loads((tmp_path / layout / "planted.json").read_text()).values()  # its ground truth names the layout


def test_plant_refuses_a_seed_that_a_layout_would_ignore(tmp_path, capsys):
    assert main(["plant", str(tmp_path / "m"), "--layout", "lm-reference", "--seed", "3"]) == 2
    assert "sets every weight by construction, so --seed 3 would change nothing" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
