"""Chronos-Bolt and Chronos-2: recognised from config.json, loaded offline with eager attention, captured at every
site, measured on repeated random patches, refused in one line when the checkpoint or the series is wrong; planted
heads recovered exactly."""

import json
import shutil

import numpy as np
import pytest
import torch
from hypothesis import given, settings

from generators.patches.rrp import check_rrp_arguments, rrp_batch
from generators.patches.strategies import rrp_params
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.errors import CaptureError, HarnessError, InputTooLong, ModelLoadError
from harness.models import load_model, resolve_checkpoint, shipped_zoo, spec_family
from harness.patch_models import bolt, chronos2, planted
from harness.zoo import model_dir
from harness.zoo.fit import cycles_of

PLANTED = list(planted.LAYOUTS)


def assert_one_line(error, *fragments):
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture(scope="module")
def planted_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted-patch")
    return lambda name: planted.planted_checkpoint(name, root)


@pytest.fixture(scope="module")
def loaded(planted_dir):
    return lambda name: load_model(str(planted_dir(name)), "cpu", "float32")


@pytest.fixture
def copy_of(planted_dir, tmp_path):
    def copy(name):
        path = tmp_path / name
        shutil.copytree(planted_dir(name), path)
        return path

    return copy


@pytest.mark.parametrize("name, family", [("bolt-reference", bolt.NAME), ("chronos2-reference", chronos2.NAME)])
def test_each_family_is_recognised_from_its_config(planted_dir, name, family):
    assert spec_family(str(planted_dir(name))) == family
    config = json.loads((planted_dir(name) / "config.json").read_text())
    assert "chronos_config" in config and config["model_type"] == "t5"  # what made the harness read Bolt as Chronos-T5


@pytest.mark.parametrize("name", ["bolt-reference", "chronos2-reference"])
@pytest.mark.parametrize("change, fragments", [
    (lambda c: c.pop("chronos_config"), ("without a chronos_config", "re-save it")),
    (lambda c: c["chronos_config"].update(tokenizer_class="MeanScaleUniformBins"), ("fields ['tokenizer_class']", "does not define")),
    (lambda c: c["chronos_config"].pop("input_patch_size"), ("lacks ['input_patch_size']",)),
    (lambda c: c["chronos_config"].update(input_patch_stride=8), ("input_patch_stride 8 differs", "non-overlapping")),
    (lambda c: c["chronos_config"].update(context_length=1000), ("context_length 1000 is not a whole number of patches",)),
])
def test_a_bad_patch_model_config_is_one_line_and_writes_nothing(copy_of, name, change, fragments):
    path = copy_of(name)
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))
    before = sorted(p.name for p in path.iterdir())
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(path))
    assert_one_line(error, *fragments)
    assert sorted(p.name for p in path.iterdir()) == before


def test_a_chronos2_checkpoint_without_the_reg_token_is_refused(copy_of):
    path = copy_of("chronos2-reference")
    config = json.loads((path / "config.json").read_text())
    config["chronos_config"]["use_reg_token"] = False
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError) as error:
        resolve_checkpoint(str(path))
    assert_one_line(error, "use_reg_token is false", "requires the REG token")


@pytest.mark.parametrize("name, site, module", [("bolt-reference", "cross", bolt), ("bolt-reference", "encoder", bolt),
                                                 ("chronos2-reference", "time", chronos2), ("chronos2-reference", "group", chronos2)])
def test_every_site_is_captured_as_probability_rows_and_chunking_changes_nothing(loaded, name, site, module):
    model = loaded(name).model
    values = rrp_batch(4, 2, 6, 0, 16).values
    rows = module.attention(model, site, values)
    patches = values.shape[1] // 16
    expected = {"cross": (6, 5, 4, 1, patches + 1), "encoder": (6, 1, 4, patches + 1, patches + 1),
                "time": (6, 6, 4, patches + 2, patches + 2), "group": (patches + 2, 6, 4, 6, 6)}[site]
    assert tuple(rows.shape) == expected
    assert torch.allclose(rows.sum(-1), torch.ones(()), atol=1e-5)
    if site != "group":
        assert torch.allclose(module.attention(model, site, values, chunk_size=4), rows, atol=1e-6)


def test_group_attention_stays_inside_each_group(loaded):
    model = loaded("chronos2-reference").model
    rows = chronos2.attention(model, "group", rrp_batch(4, 2, 4, 0, 16).values, group_ids=np.array([0, 0, 1, 1]))
    assert float(rows[..., :2, 2:].abs().max()) == 0.0 and float(rows[..., 2:, :2].abs().max()) == 0.0


def test_eager_loading_does_not_change_the_forecast(planted_dir):
    from chronos.chronos_bolt import ChronosBoltModelForForecasting

    path = planted_dir("bolt-reference")
    eager = load_model(str(path), "cpu", "float32").model
    sdpa = ChronosBoltModelForForecasting.from_pretrained(path, attn_implementation="sdpa").eval()
    values = torch.as_tensor(rrp_batch(5, 2, 3, 1, 16).values)
    with torch.no_grad():
        assert torch.allclose(eager(values).quantile_preds, sdpa(values).quantile_preds, atol=1e-5)


def test_attention_that_comes_back_empty_is_an_error_not_a_measurement(planted_dir):
    from chronos.chronos_bolt import ChronosBoltModelForForecasting

    sdpa = ChronosBoltModelForForecasting.from_pretrained(planted_dir("bolt-reference"), attn_implementation="sdpa").eval()
    with pytest.raises(CaptureError) as error:
        bolt.attention(sdpa, "cross", rrp_batch(4, 2, 2, 0, 16).values)
    assert_one_line(error, "returned no decoder cross-attention weights", "sdpa", "eager attention")


@pytest.mark.parametrize("values, fragments", [
    (np.zeros((2, 8)), ("8 values is shorter than one patch of 16",)),
    (np.zeros((2, 40)), ("40 values is not a whole number of patches of 16", "trim the series to 32")),
    (np.zeros((2, 2048)), ("2048 values is longer than the model's context of 1024",)),
    (np.zeros((0, 32)), ("at least one series",)),
])
def test_a_bad_series_is_one_line(loaded, values, fragments):
    for name, module, site in (("bolt-reference", bolt, "cross"), ("chronos2-reference", chronos2, "time")):
        with pytest.raises(HarnessError) as error:
            module.attention(loaded(name).model, site, values)
        assert_one_line(error, *fragments)


@pytest.mark.parametrize("name", PLANTED)
def test_the_detector_recovers_exactly_the_planted_heads(loaded, name):
    model = loaded(name)
    mosaic = measure_rrt(model, RRTSettings(n_resamples=200))
    found = mosaic.classify(0.3)
    truth = {kind: sorted(map(tuple, heads)) for kind, heads in model.planted["kinds"].items()}
    assert sorted(found["current"]) == truth["current"] and sorted(found["right"]) == truth["right"]
    assert mosaic.chance == pytest.approx(1 / mosaic.inputs["encoder_length"])
    assert mosaic.inputs["context_patches"] == 21 and mosaic.measurement()["procedure"].startswith("RRP")


def test_an_rrp_input_longer_than_the_context_is_inconclusive_not_an_error(loaded):
    with pytest.raises(InputTooLong) as error:
        measure_rrt(loaded("bolt-reference"), RRTSettings(sequence_length=20, repetitions=4))
    assert_one_line(error, "81 patches", "context of 64 patches", "1024 values")


def test_chronos_t5_measurements_refuse_a_patch_model_in_one_line(loaded):
    from harness.chronos.ablation import measure_prefix

    with pytest.raises(HarnessError) as error:
        measure_prefix(loaded("bolt-reference"), RRTSettings())
    assert_one_line(error, "is a chronos-bolt model", "Chronos-T5 token ids")


def test_rrp_repeats_patches_of_mean_zero_and_norm_one_that_are_well_separated():
    batch = rrp_batch(7, 3, 20, 4, 16)
    patches = batch.values.reshape(20, -1, 16).astype(float)
    assert patches.shape[1] == 7 * 3 + 1 == batch.context_patches
    assert np.array_equal(patches[:, :7], patches[:, 7:14]) and np.array_equal(patches[:, 14:21], patches[:, :7])
    assert np.array_equal(patches[:, 21], patches[:, 0])  # ends on S[0]
    assert np.allclose(patches.mean(-1), 0, atol=1e-6) and np.allclose(np.linalg.norm(patches, axis=-1), 1, atol=1e-5)
    similarity = np.einsum("bid,bjd->bij", patches[:, :7], patches[:, :7]) - np.eye(7)
    assert similarity.max() <= 0.5 + 1e-6
    assert (batch.current_position, batch.right_position) == (14, 15)
    assert np.array_equal(rrp_batch(7, 3, 20, 4, 16).values, batch.values)
    assert not np.array_equal(rrp_batch(7, 3, 20, 5, 16).values, batch.values)


@pytest.mark.parametrize("arguments, fragment", [((1, 2, 4, 16), "at least 2 patches"), ((4, 0, 4, 16), "at least once"),
                                                  ((4, 2, 0, 16), "at least one sequence"), ((4, 2, 4, 2), "patch_size=2")])
def test_bad_rrp_arguments_name_the_fix(arguments, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_rrp_arguments(*arguments)
    with pytest.raises(ValueError, match="exceeds the model's context of 64"):
        check_rrp_arguments(10, 2, 4, 16, max_context_values=64)


def test_the_rrp_strategy_is_validated_when_built():
    with pytest.raises(ValueError, match="exceeds max_context_patches=8"):
        rrp_params((6, 20), (2, 3), max_context_patches=8)


@settings(max_examples=25, deadline=None)
@given(params=rrp_params((2, 20), (1, 4), max_context_patches=32))
def test_drawn_rrp_inputs_fit_the_context(params):
    assert params.sequence_length * params.repetitions + 1 <= 32


@pytest.mark.e2e
def test_a_claims_run_on_both_families_reports_induction_heads_by_family(tmp_path):
    from claims_run import run_claims

    result, report = run_claims(tmp_path, "--model", "planted:bolt-reference", "--model", "planted:chronos2-none", "--dtype", "float32",
                                "-k", "induction_heads_exist and not across or common_tokens")
    assert report is not None, result.stdout + result.stderr
    outcomes = {(r["claim_id"], r["model"]): (r["outcome"], r["family"]) for r in report["claims"]}
    assert outcomes[("C1-induction-heads-exist", "planted:bolt-reference")] == ("passed", bolt.NAME)
    assert outcomes[("C1-induction-heads-exist", "planted:chronos2-none")] == ("failed", chronos2.NAME)
    assert outcomes[("C8-common-tokens-find-more-heads", "planted:bolt-reference")][0] == "skipped"
    markdown = (tmp_path / "reports" / "latest" / "report.md").read_text()
    assert "## Induction heads by family" in markdown
    assert "| chronos-2 | planted:chronos2-none | 0 | 0 | 24 | 0.0 |" in markdown
    assert "| chronos-bolt | planted:bolt-reference | 4 | 5 | 20 | 0.45 |" in markdown
    assert "Induction heads by family" in (tmp_path / "reports" / "latest" / "report.html").read_text()


@pytest.mark.parametrize("size", ["bolt-nano", "chronos2-nano"])
def test_a_few_training_steps_lower_the_loss_and_write_a_checkpoint_of_the_family(tmp_path, monkeypatch, small_kernel_pool, size):
    from harness.patch_models import training

    # a small kernel pool and few series: the test checks the loop, not the data
    small_kernel_pool(training)
    monkeypatch.setattr(training, "HELD_OUT_SERIES", 32)
    monkeypatch.setattr(training, "CHRONOS2_POOL", 256)
    log = training.train(size, tmp_path / size, steps=200)
    losses = [point["train_loss"] for point in log["curve"]]
    assert losses[-1] < losses[0], losses
    loaded = load_model(str(tmp_path / size), "cpu", "float32")
    assert loaded.family == training.SIZES[size].family and loaded.facts["context_values"] == training.CONTEXT_LENGTH
    assert np.isfinite(log["held_out_loss"]) and log["trainer"].startswith("chronos.chronos2" if "chronos2" in size else "harness.zoo.fit")


def test_a_resumed_bolt_run_ends_where_one_uninterrupted_run_ends(tmp_path, monkeypatch, small_kernel_pool):
    from dataclasses import asdict

    from safetensors.torch import load_file

    from harness.patch_models import training

    two_cycles = training.Recipe(**{**asdict(training.SIZES["bolt-nano"]), "steps": 30, "restarts": (30,), "cycle_dtype": "bfloat16",
                                    "batch_size": 8})
    monkeypatch.setitem(training.SIZES, "bolt-nano", two_cycles)
    small_kernel_pool(training)
    monkeypatch.setattr(training, "HELD_OUT_SERIES", 16)  # the held-out loss only has to match, not to be precise
    whole = training.train("bolt-nano", tmp_path / "whole")
    monkeypatch.setitem(training.SIZES, "bolt-nano", training.Recipe(**{**asdict(two_cycles), "restarts": ()}))
    training.train("bolt-nano", tmp_path / "first")
    monkeypatch.setitem(training.SIZES, "bolt-nano", two_cycles)
    resumed = training.train("bolt-nano", tmp_path / "resumed", resume=tmp_path / "first")
    assert [c["data_seed"] for c in resumed["cycles"]] == [c["data_seed"] for c in whole["cycles"]] == [0, 1]
    assert resumed["held_out_loss"] == whole["held_out_loss"]
    first, second = load_file(tmp_path / "whole" / "model.safetensors"), load_file(tmp_path / "resumed" / "model.safetensors")
    assert all(torch.equal(first[k], second[k]) for k in first)
    with pytest.raises(ValueError, match="nothing to resume"):
        training.train("bolt-nano", tmp_path / "again", resume=tmp_path / "resumed")
    assert not (tmp_path / "again").exists()


def test_zoo_training_refuses_resume_and_gpu_in_one_line(tmp_path):
    from harness.patch_models import zoo

    with pytest.raises(HarnessError, match="nothing to resume; drop --resume"):
        zoo.train("bolt-nano", tmp_path / "x", steps=1, device="cpu", resume=str(tmp_path))
    with pytest.raises(HarnessError, match="CPU only"):
        zoo.train("bolt-nano", tmp_path / "x", steps=1, device="cuda", resume=None)
    assert not (tmp_path / "x").exists()


PATCH_SHIPPED = [spec.removeprefix("zoo:") for spec in shipped_zoo() if spec.removeprefix("zoo:").startswith(("bolt-", "chronos2-"))]


@pytest.mark.skipif(not PATCH_SHIPPED, reason="no patch model is shipped")
@pytest.mark.parametrize("size", PATCH_SHIPPED)
def test_shipped_patch_models_carry_their_recipe_card_and_measurements(size):
    from harness.patch_models import training

    directory = model_dir(size)
    log = json.loads((directory / "training_log.json").read_text())
    evaluation = json.loads((directory / "evaluation.json").read_text())
    card = (directory / "README.md").read_text()
    recipe = training.SIZES[size]
    assert [c["steps"] for c in cycles_of(log)] == recipe.cycles and log["recipe"]["learning_rate"] == recipe.learning_rate, \
        "the shipped weights come from the recipe in harness/patch_models/training.py"
    assert json.loads((directory / "config.json").read_text()).get("dtype", "float32") == recipe.stored_dtype
    for number in (f"{log['parameters']:,}", str(log["final_train_loss"]), str(evaluation["held_out_loss"]),
                   str(evaluation["forecast"]["all"]["model_mase"]), str(evaluation["forecast"]["all"]["seasonal_naive_mase"])):
        assert number in card
    assert "## Claims" in card and f"current-patch heads: **{len(evaluation['rrp']['current_heads'])}**" in card


def test_a_card_without_its_logs_names_the_commands_to_run(tmp_path, capsys):
    from harness.cli import main

    assert main(["zoo", "card", "--size", "bolt-nano", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "lacks training_log.json or evaluation.json; run `harness zoo train` and `harness zoo evaluate` first" in error
    assert error.count("\n") == 1 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["bolt-multisine", "chronos2-multisine"])
def test_a_planted_value_head_attends_by_the_patch_mean_one_position_per_patch(loaded, name):
    from generators.patches.multisine import PATCH_EXAMPLE
    from harness.chronos.multisine import measure_multisine

    model = loaded(name)
    measurement = measure_multisine(model, PATCH_EXAMPLE)
    values = PATCH_EXAMPLE.values()
    normalised = (values - values.mean()) / values.std()
    patch_means = normalised.reshape(32, 16).mean(-1)
    for layer, head in model.planted["kinds"]["value"]:
        row = measurement.rows[layer, head]
        assert np.allclose(np.log(row) - np.log(row[0]), planted.VALUE_SHARPNESS * (patch_means - patch_means[0]), atol=0.01)
    description = measurement.measurement()
    assert (description["positions"], description["values_per_position"], description["chance_level"]) == (32, 16, 1 / 32)
    assert measurement.bin_width == 0.5 and measurement.frequencies_axis[-1] == 8.0  # 32 patches over 2 s: up to 8 Hz
    assert "instance normalisation and patching" in description["procedure"]


@pytest.mark.e2e
def test_a_claim_split_by_family_reports_once_per_model_and_not_for_absent_families(tmp_path):
    from claims_run import run_claims

    result, report = run_claims(tmp_path, "--model", "planted:bolt-none", "--dtype", "float32", "-k", "period_is_smallest_gap")
    assert report is not None, result.stdout + result.stderr
    records = [(r["claim_id"], r["model"], r["outcome"]) for r in report["claims"]]
    assert records == [("C9-spectral-period-is-smallest-gap", "planted:bolt-none", "inconclusive")]
