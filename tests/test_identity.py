"""A model's identity in a run: labels unique in the run, and fingerprints of config and weights."""

import json
import re
import shutil

import pytest

from harness.errors import ModelLoadError
from harness.identity import fingerprint, labelled_models, snapshot_of, split_named
from tests.claims_run import run_claims


def test_a_name_given_with_equals_is_split_off_and_an_existing_path_is_not(tmp_path):
    assert split_named("base=runs/a/tiny") == ("base", "runs/a/tiny")
    assert split_named("zoo:nano") == (None, "zoo:nano")
    odd = tmp_path / "x=y"
    odd.mkdir()
    assert split_named(str(odd)) == (None, str(odd))


def test_directories_with_the_same_name_get_the_shortest_endings_that_tell_them_apart(tmp_path):
    for run in ("a", "b"):
        (tmp_path / "runs" / run / "tiny").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    first, second = (str(tmp_path / "runs" / run / "tiny") for run in ("a", "b"))
    other = str(tmp_path / "other")
    assert labelled_models([first, second, other, "zoo:nano"]) == {first: "a/tiny", second: "b/tiny", other: "other",
                                                                   "zoo:nano": "zoo:nano"}
    assert labelled_models([f"old={first}", second]) == {first: "old", second: "tiny"}
    assert labelled_models([f"tiny={other}", first]) == {other: "tiny", first: "a/tiny"}  # a given name comes first


def test_a_run_never_has_two_models_under_one_label(tmp_path):
    (tmp_path / "tiny").mkdir()
    with pytest.raises(ModelLoadError, match="two models are named 'base'"):
        labelled_models(["base=zoo:nano", "base=zoo:micro"])
    with pytest.raises(ModelLoadError, match="are the same directory"):
        labelled_models([str(tmp_path / "tiny"), str(tmp_path / "tiny") + "/"])
    with pytest.raises(ModelLoadError, match="lists zoo:nano twice"):
        labelled_models(["zoo:nano", "again=zoo:nano"])


def test_the_fingerprint_follows_config_and_weights_not_the_name_or_the_saving_library(planted_dirs, tmp_path):
    original = planted_dirs("reference")
    copy = shutil.copytree(original, tmp_path / "renamed")
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "transformers_version": "0.0.1", "_name_or_path": "elsewhere"}, indent=1))
    assert fingerprint(copy) == fingerprint(original)
    weights = bytearray((copy / "model.safetensors").read_bytes())
    weights[-1] ^= 1
    (copy / "model.safetensors").write_bytes(bytes(weights))
    assert fingerprint(copy) != fingerprint(original)
    (copy / "model.safetensors").write_bytes((original / "model.safetensors").read_bytes())
    (copy / "config.json").write_text(json.dumps({**config, "d_model": config["d_model"] + 1}))
    assert fingerprint(copy) != fingerprint(original)


def test_in_the_hub_cache_the_weights_digest_is_the_blob_name_and_the_snapshot_is_recorded(planted_dirs, tmp_path):
    import hashlib

    original = planted_dirs("reference")
    weights = (original / "model.safetensors").read_bytes()
    repo = tmp_path / "models--amazon--chronos-t5-tiny"
    blob = repo / "blobs" / hashlib.sha256(weights).hexdigest()
    blob.parent.mkdir(parents=True)
    blob.write_bytes(weights)
    snapshot = repo / "snapshots" / ("ab" * 20)
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").symlink_to(blob)
    shutil.copy(original / "config.json", snapshot / "config.json")
    assert fingerprint(snapshot) == fingerprint(original)
    assert snapshot_of(snapshot) == "ab" * 20 and snapshot_of(original) is None


@pytest.mark.e2e
def test_two_checkpoints_in_directories_of_one_name_are_two_models(planted_dirs, tmp_path):
    first = shutil.copytree(planted_dirs("reference"), tmp_path / "runs" / "a" / "tiny")
    second = shutil.copytree(planted_dirs("uniform"), tmp_path / "runs" / "b" / "tiny")
    result, report = run_claims(tmp_path, "--model", str(first), "--model", str(second), "--claim", "C1-induction-heads-exist")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert sorted(report["models"]) == ["a/tiny", "b/tiny"]
    assert report["models"]["a/tiny"]["path"] == str(first) and report["models"]["b/tiny"]["path"] == str(second)
    assert report["models"]["a/tiny"]["fingerprint"] != report["models"]["b/tiny"]["fingerprint"]
    assert {record["model"] for record in report["claims"]} == {"a/tiny", "b/tiny"}
    header = next(line for line in result.stdout.splitlines() if re.match(r"claim {2,}", line))
    assert header.split()[1:] == ["a/tiny", "b/tiny"]
