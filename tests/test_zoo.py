"""The zoo: in-code training data, the Chronos training objective, the shipped checkpoints and their cards."""

import json
from dataclasses import asdict

import numpy as np
import pytest
import torch

from harness.models import shipped_zoo
from harness.zoo import ZOO_DIR, model_dir
from harness.chronos.synthetic import MIXES, SeriesSource, kernel_synth
from harness.zoo.forecasts import mase, seasonal_naive
from harness.chronos.training import CONTEXT_LENGTH, PREDICTION_LENGTH, SHORT_CONTEXT, SHORT_PREDICTION, SIZES, train

SHIPPED = [model_dir(spec.removeprefix("zoo:")) for spec in shipped_zoo() if spec.removeprefix("zoo:") in SIZES]


@pytest.mark.parametrize("mix", MIXES)
def test_series_are_reproducible_finite_and_mixed(mix):
    first = SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, seed=3, kernel_pool_size=8, mix=mix)
    second = SeriesSource(CONTEXT_LENGTH + PREDICTION_LENGTH, seed=3, kernel_pool_size=8, mix=mix)
    values, seasons, families = first.batch(400)
    np.testing.assert_array_equal(values, second.batch(400)[0])
    assert np.isfinite(values).all() and values.shape == (400, CONTEXT_LENGTH + PREDICTION_LENGTH)
    assert sum(MIXES[mix].values()) == pytest.approx(1.0)
    for family, share in MIXES[mix].items():
        assert abs(families.count(family) / 400 - share) < 0.08, family
    motif_rows = [i for i, f in enumerate(families) if f == "motif"]
    for i in motif_rows[:20]:  # the forecast window continues the motif
        np.testing.assert_array_equal(values[i, seasons[i]:], values[i, :-seasons[i]])


def test_kernel_synth_periodic_kernel_gives_its_period():
    rng = np.random.default_rng(0)
    for _ in range(10):
        series, period = kernel_synth(rng, max_kernels=1)
        assert series.shape == (1024,) and np.isfinite(series).all()
        assert period == 1 or period in (24, 48, 96, 168, 336, 672, 7, 14, 30, 60, 365, 730, 4, 26, 52, 6, 12, 40, 10)


def test_seasonal_naive_and_mase():
    context = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(seasonal_naive(context, 3, 5), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(seasonal_naive(context, 1, 2), [3, 3])
    assert mase(np.array([1.0, 2.0]), np.array([1.0, 2.0]), context) == 0.0
    assert mase(np.array([2.0]), np.array([1.0]), context) == pytest.approx(1 / np.mean(np.abs(np.diff(context))))
    assert np.isnan(mase(np.array([1.0]), np.array([1.0]), np.ones(5)))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU"))])
def test_a_few_training_steps_lower_the_loss_and_write_a_loadable_checkpoint(tmp_path, small_kernel_pool, device):
    from chronos import ChronosPipeline

    from harness.chronos import training
    from harness.models import load_model

    small_kernel_pool(training)
    log = train("nano", tmp_path / "nano", steps=60, device=device, log_every=20, eval_every=60)
    losses = [point["train_loss"] for point in log["curve"]]
    assert losses[-1] < losses[0] - 0.5, losses
    assert {p.name for p in (tmp_path / "nano").iterdir()} >= {"config.json", "model.safetensors", "generation_config.json", "training_log.json"}
    pipeline = ChronosPipeline.from_pretrained(str(tmp_path / "nano"), device_map="cpu")
    assert pipeline.predict(torch.sin(torch.arange(40.0)), prediction_length=SHORT_PREDICTION, num_samples=2).shape == (1, 2, SHORT_PREDICTION)
    assert load_model(str(tmp_path / "nano"), "cpu", "float32").context_length == SHORT_CONTEXT, "--steps trains one short cycle"


def test_a_resumed_run_ends_where_one_uninterrupted_run_ends(tmp_path, monkeypatch, small_kernel_pool):
    """Two short cycles and the long one in one process, or the first short cycle and then the rest from its checkpoint."""
    from safetensors.torch import load_file

    from harness.chronos import training
    from harness.chronos.training import Recipe

    three_cycles = Recipe(**{**asdict(SIZES["nano"]), "steps": 30, "restarts": (30,), "stored_dtype": "bfloat16", "long_steps": 40,
                             "long_learning_rate": 1e-3, "long_batch_size": 4, "long_mix": "forecasting"})
    monkeypatch.setitem(SIZES, "nano", three_cycles)
    small_kernel_pool(training)
    monkeypatch.setattr(training, "HELD_OUT_SERIES", 32)  # the held-out loss only has to match, not to be precise
    whole = train("nano", tmp_path / "whole", log_every=10, eval_every=30)
    monkeypatch.setitem(SIZES, "nano", Recipe(**{**asdict(three_cycles), "restarts": (), "long_steps": 0}))
    train("nano", tmp_path / "first", log_every=10, eval_every=30)
    monkeypatch.setitem(SIZES, "nano", three_cycles)
    resumed = train("nano", tmp_path / "resumed", resume=tmp_path / "first", log_every=10, eval_every=30)
    assert [p["step"] for p in resumed["curve"]] == [p["step"] for p in whole["curve"]] == list(range(10, 101, 10))
    assert resumed["held_out_loss"] == whole["held_out_loss"]
    assert [c.get("context_length") for c in resumed["cycles"]] == [None, None, CONTEXT_LENGTH]
    assert [c.get("data_mix") for c in resumed["cycles"]] == [None, None, MIXES["forecasting"]]
    first, second = load_file(tmp_path / "whole" / "model.safetensors"), load_file(tmp_path / "resumed" / "model.safetensors")
    assert all(torch.equal(first[k], second[k]) for k in first)
    chronos_config = json.loads((tmp_path / "resumed" / "config.json").read_text())["chronos_config"]
    assert (chronos_config["context_length"], chronos_config["prediction_length"]) == (CONTEXT_LENGTH, PREDICTION_LENGTH)
    with pytest.raises(ValueError, match="nothing to resume"):
        train("nano", tmp_path / "again", resume=tmp_path / "resumed")
    monkeypatch.setitem(SIZES, "nano", Recipe(**{**asdict(three_cycles), "learning_rate": 1e-3}))
    with pytest.raises(ValueError, match="another recipe"):
        train("nano", tmp_path / "other", resume=tmp_path / "first")
    assert not (tmp_path / "again").exists() and not (tmp_path / "other").exists()


@pytest.mark.skipif(not SHIPPED, reason="no zoo model is shipped")
@pytest.mark.parametrize("model_dir", SHIPPED, ids=lambda p: p.name)
def test_shipped_models_carry_their_card_and_measurements(model_dir):
    log = json.loads((model_dir / "training_log.json").read_text())
    evaluation = json.loads((model_dir / "evaluation.json").read_text())
    card = (model_dir / "README.md").read_text()
    recipe = SIZES[log["size"]]
    assert [c["steps"] for c in log["cycles"]] == [c.steps for c in recipe.cycles], \
        "the shipped weights come from the recipe in harness/chronos/training.py"
    assert [c.get("data_mix", log["data_mix"]) for c in log["cycles"]] == [MIXES[c.mix] for c in recipe.cycles]
    for number in (f"{log['parameters']:,}", str(log["final_train_loss"]), str(evaluation["held_out_loss"]),
                   str(evaluation["forecast"]["all"]["model_mase"]), str(evaluation["forecast"]["all"]["seasonal_naive_mase"])):
        assert number in card
    assert "## Claims" in card and "Recipes tried before" in card
    assert json.loads((model_dir / "config.json").read_text())["chronos_config"]["context_length"] == log["context_length"] == CONTEXT_LENGTH
    assert f"current-token heads: **{len(evaluation['rrt']['current_heads'])}**" in card


def test_shipped_weights_stay_under_40_mb_in_the_dtype_their_recipe_stores():
    for directory in SHIPPED:
        recipe = SIZES[json.loads((directory / "training_log.json").read_text())["size"]]
        assert json.loads((directory / "config.json").read_text()).get("dtype", "float32") == recipe.stored_dtype, directory.name
    weights = sum((directory / "model.safetensors").stat().st_size for directory in ZOO_DIR.iterdir() if (directory / "model.safetensors").exists())
    assert weights < 40e6, f"shipped weights total {weights / 1e6:.1f} MB"


@pytest.mark.slow
def test_training_reproduces_the_shipped_nano_held_out_loss(tmp_path):
    """From scratch, the smallest size's recipe lands within 3% of the shipped held-out loss (about 25 min on 2 idle cores: 12,000 steps at context 64, 2,000 at 512).

    The shipped nano was trained with 2 torch threads; another thread count splits float sums differently and the
    trajectory drifts (a 1-thread run ended 4.4% higher), so the test pins the shipped count.
    """
    shipped_log = json.loads((model_dir("nano") / "training_log.json").read_text())
    threads = torch.get_num_threads()
    torch.set_num_threads(int(shipped_log["hardware"].split(", ")[1].split()[0]))
    try:
        log = train("nano", tmp_path / "nano")
    finally:
        torch.set_num_threads(threads)
    assert log["held_out_loss"] == pytest.approx(shipped_log["held_out_loss"], rel=0.03)
