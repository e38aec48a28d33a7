"""Each loading error is one line that names the problem and the fix."""

import json
import shutil

import pytest

from harness.errors import ModelLoadError
from harness.models import load_model, resolve_checkpoint, resolve_device, resolve_dtype


@pytest.fixture
def checkpoint(planted_dirs, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(planted_dirs("reference"), path)
    return path


def assert_one_line(error, *fragments):
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_path_says_what_to_pass(tmp_path):
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(tmp_path / "nope"))
    assert_one_line(error, "does not exist", "config.json and model.safetensors")


def test_hub_id_outside_the_cache_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint("amazon/chronos-t5-small")
    assert_one_line(error, "not in the local Hugging Face cache", str(tmp_path / "hub"), "download amazon/chronos-t5-small")


def test_hub_id_in_the_cache_loads_offline(checkpoint, tmp_path, monkeypatch):
    repo = tmp_path / "hub" / "models--amazon--chronos-t5-small"
    shutil.copytree(checkpoint, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    loaded = load_model("amazon/chronos-t5-small", device="cpu", dtype="float32")
    assert loaded.name == "amazon/chronos-t5-small"
    assert loaded.path == repo / "snapshots" / "abc123"


def test_pickle_only_checkpoint_is_refused(checkpoint):
    (checkpoint / "model.safetensors").rename(checkpoint / "pytorch_model.bin")
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(checkpoint))
    assert_one_line(error, "only pickle weights (pytorch_model.bin)", "never unpickles", "model.safetensors")


def test_config_without_chronos_config_is_refused(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    del config["chronos_config"]
    (checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(checkpoint))
    assert_one_line(error, "is not a checkpoint of any installed family", "point --model at one of")


def test_non_t5_model_is_refused(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    config["model_type"] = "gpt2"
    (checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(checkpoint))
    assert_one_line(error, "'gpt2' model", "Chronos-T5")


def test_missing_config_is_refused(checkpoint):
    (checkpoint / "config.json").unlink()
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(checkpoint))
    assert_one_line(error, "no config.json")


def test_corrupted_safetensors_is_refused(checkpoint):
    (checkpoint / "model.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError) as error:
        load_model(str(checkpoint), device="cpu", dtype="float32")
    assert_one_line(error, "could not load the weights", "re-copy model.safetensors")


@pytest.mark.parametrize("bf16_rate, expected", [(900.0, "bfloat16"), (100.0, "float32"), (50.0, "float32")])
def test_dtype_auto_follows_the_measured_matmul_rates(tmp_path, monkeypatch, bf16_rate, expected):
    from harness import hardware

    rates = {"float32": 100.0, "bfloat16": bf16_rate}
    calls = []
    monkeypatch.setenv("CHRONOS_CLAIMS_CACHE", str(tmp_path))
    monkeypatch.setattr(hardware, "matmul_gflops", lambda dtype, *a, **k: calls.append(dtype) or rates[dtype])
    assert resolve_dtype("auto", "cpu") == expected
    assert resolve_dtype("auto", "cpu") == expected
    assert calls == ["float32", "bfloat16"], "measured once, then read from the cache"
    cached = json.loads((tmp_path / "hardware.json").read_text())
    assert list(cached.values())[0]["fast"] == (expected == "bfloat16")


def test_the_bfloat16_probe_tells_apart_cpus_of_one_name_by_their_bf16_instructions():
    from harness.hardware import cpu_name

    plain, native = (f"model name\t: AMD EPYC\nflags\t\t: fpu avx2 {extra}\n" for extra in ("", "avx512f avx512_bf16"))
    assert cpu_name(plain) == "AMD EPYC"
    assert cpu_name(native) == "AMD EPYC avx512_bf16"


def test_device_and_dtype_resolution(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_dtype("auto", "cuda") == "bfloat16"
    assert resolve_dtype("bf16", "cpu") == "bfloat16"
    with pytest.raises(ModelLoadError, match="no usable CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ModelLoadError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    with pytest.raises(ModelLoadError, match="unknown dtype 'int8'"):
        resolve_dtype("int8", "cpu")
    with pytest.raises(ModelLoadError, match="float16 is not supported .* on cpu"):
        resolve_dtype("float16", "cpu")


def test_loaded_model_describes_itself(checkpoint):
    loaded = load_model(str(checkpoint), device="cpu", dtype="float32")
    description = loaded.describe()
    assert (description["decoder_layers"], description["heads"]) == (6, 4)
    assert description["parameters"] == sum(p.numel() for p in loaded.model.parameters())
    assert description["planted"]["layout"] == "reference"


@pytest.mark.parametrize("pipeline, architecture, family", [("ChronosBoltPipeline", "ChronosBoltModelForForecasting", "Chronos-Bolt"),
                                                            ("Chronos2Pipeline", "Chronos2Model", "Chronos-2")])
def test_a_chronos_t5_config_labelled_as_a_patch_model_is_read_as_that_family_and_refused(checkpoint, pipeline, architecture, family):
    config = json.loads((checkpoint / "config.json").read_text())
    (checkpoint / "config.json").write_text(json.dumps({**config, "chronos_pipeline_class": pipeline, "architectures": [architecture]}))
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(checkpoint))
    assert_one_line(error, "chronos_config has fields", f"that {family} does not define", "tokenizer_class")
