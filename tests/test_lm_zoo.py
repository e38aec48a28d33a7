"""The shipped attention-only language model: its training streams, a short run, a full reproduction, its card."""

import json
from dataclasses import asdict

import numpy as np
import pytest
import torch

from harness.models import load_model
from harness.zoo import model_dir
from harness.causal_lm.training import NAME, RECIPE, TokenStreams, train

SHIPPED = model_dir(NAME)


def test_streams_are_reproducible_and_carry_copied_segments():
    first, second = TokenStreams(RECIPE, seed=5).batch(64), TokenStreams(RECIPE, seed=5).batch(64)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (64, RECIPE.sequence_length) and (first[:, 0] == 0).all() and (first[:, 1:] > 0).all()
    shortest = RECIPE.copy_lengths[0]

    def has_repeat(row):  # some window of the shortest copy length occurs twice
        windows = [tuple(row[i : i + shortest]) for i in range(1, len(row) - shortest + 1)]
        return len(set(windows)) < len(windows)

    assert np.mean([has_repeat(row) for row in first]) > 0.95


def test_a_few_steps_lower_the_loss_and_keep_the_blocks_attention_only(tmp_path):
    log = train(tmp_path / "lm", steps=200, log_every=20, eval_every=200)
    losses = [point["train_loss"] for point in log["curve"]]
    assert losses[-1] < losses[0] - 0.1, losses
    loaded = load_model(str(tmp_path / "lm"), "cpu", "float32")
    assert loaded.family == "causal-lm" and loaded.decoder_layers == RECIPE.layers
    for block in loaded.model.model.layers:
        assert torch.count_nonzero(block.mlp.down_proj.weight) == 0


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="the attention-only model is not shipped")
def test_shipped_model_carries_its_card():
    log = json.loads((SHIPPED / "training_log.json").read_text())
    card = (SHIPPED / "README.md").read_text()
    assert log["recipe"] == json.loads(json.dumps(asdict(RECIPE))), "the shipped weights come from the recipe in harness/causal_lm/training.py"
    for number in (f"{log['parameters']:,}", str(log["final_train_loss"]), str(log["held_out_loss"])):
        assert number in card
    for label in ("L1", "L2", "L3", "L4", "L5", "L6", "L7"):
        assert f"| {label}-lm-" in card, label


@pytest.mark.slow
@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="the attention-only model is not shipped")
def test_one_command_reproduces_the_shipped_model(tmp_path):
    """The full recipe (1.5-2.5 min on 2 cores) lands within 2% of the shipped held-out loss and grows an induction head."""
    from harness.causal_lm import measure as lm

    shipped_log = json.loads((SHIPPED / "training_log.json").read_text())
    log = train(tmp_path / "lm")
    assert log["held_out_loss"] == pytest.approx(shipped_log["held_out_loss"], rel=0.02)
    patterns = lm.measure_patterns(load_model(str(tmp_path / "lm"), "cpu", "float32"), lm.PatternSettings(batch_size=32, n_resamples=200))
    assert patterns.heads("induction", 0.4)
