"""Head interventions on Chronos-T5: ablating nothing changes nothing; ablating every head of a layer is removing the
layer's attention output; patching a clean run into itself changes nothing; bad head sets are one-line errors."""

import copy

import numpy as np
import pytest
import torch

from generators.chronos.rrt import rrt_batch
from harness.chronos import capture
from harness.errors import HarnessError


@pytest.fixture(scope="module")
def loaded(planted_dirs, load):
    return load(planted_dirs("copying"))


@pytest.fixture(scope="module")
def batch():
    return rrt_batch(10, 2, 12, seed=1)


def all_targets(batch):
    return batch.encoder_ids[:, 2:3]


def reference_log_probs(model, batch, position=1):
    with torch.inference_mode():
        logits = model(input_ids=torch.as_tensor(batch.encoder_ids), decoder_input_ids=torch.as_tensor(batch.decoder_ids)).logits
    return torch.log_softmax(logits[:, position].float(), dim=-1).gather(-1, torch.as_tensor(all_targets(batch)))[:, 0]


@pytest.mark.parametrize("method", ["zero", "mean"])
def test_ablating_nothing_reproduces_the_model_exactly(loaded, batch, method):
    log_p = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, [[]], all_targets(batch), method=method, position=1)
    assert torch.equal(log_p[0, :, 0], reference_log_probs(loaded.model, batch))


@pytest.mark.parametrize("site, layer", [("cross", 5), ("cross", 0), ("decoder", 2), ("encoder", 1)])
def test_ablating_every_head_of_a_layer_removes_its_attention_output(loaded, batch, site, layer):
    heads = [(site, layer, head) for head in range(loaded.heads)]
    log_p = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, [heads], all_targets(batch), method="zero", position=1)
    stripped = copy.deepcopy(loaded.model)
    with torch.no_grad():
        capture.site_modules(stripped, site)[layer].o.weight.zero_()
    torch.testing.assert_close(log_p[0, :, 0], reference_log_probs(stripped, batch), rtol=0, atol=1e-5)


def test_sets_tiled_into_one_pass_equal_sets_run_one_at_a_time(loaded, batch):
    sets = [[], [("cross", 5, 1)], [("cross", 4, 0), ("cross", 0, 1)], [("encoder", 1, 0)]]
    together = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, sets, all_targets(batch), position=1)
    apart = torch.cat([capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, [s], all_targets(batch), position=1)
                       for s in sets])
    torch.testing.assert_close(together, apart, rtol=0, atol=1e-5)


def test_ablating_the_writing_heads_removes_the_copy_and_patching_restores_it(loaded, batch):
    writers = [("cross", layer, head) for kind in ("current", "right") for layer, head in loaded.planted["kinds"][kind]]
    clean, ablated = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, [[], writers], all_targets(batch),
                                               method="zero", position=1)
    assert clean.mean() > -0.5 > -5 > ablated.mean()  # S[2] is predicted, then it is not
    patched = capture.ablated_log_probs(loaded.model, batch.encoder_ids, batch.decoder_ids, [writers], all_targets(batch), method="patch",
                                        position=1, patch_from=batch.encoder_ids)
    torch.testing.assert_close(patched[0], clean, rtol=0, atol=1e-5)


@pytest.mark.parametrize("heads, message", [
    ([("attention", 0, 0)], "unknown attention site 'attention'"),
    ([("cross", 0, 9)], "head 9 is outside the 4 heads"),
    ([("encoder", 6, 0)], "layer 6 is outside the 6 layers of the encoder self-attention"),
    ([], "head set is empty"),
])
def test_bad_head_sets_are_one_line_errors(loaded, heads, message):
    with pytest.raises(HarnessError, match=message) as error:
        capture.check_heads(loaded.model, heads)
    assert "\n" not in str(error.value)


def test_a_site_the_model_lacks_is_named(loaded):
    encoder_only = copy.deepcopy(loaded.model)
    del encoder_only.decoder
    with pytest.raises(HarnessError, match="no T5 decoder cross-attention"):
        capture.site_modules(encoder_only, "cross")
    with pytest.raises(HarnessError, match="unknown ablation 'scramble'"):
        capture.ablated_log_probs(loaded.model, np.zeros((1, 4), dtype=np.int64), np.zeros((1, 2), dtype=np.int64), [[]],
                                  np.zeros((1, 1), dtype=np.int64), method="scramble")


@pytest.mark.parametrize("frequencies, steps, expected", [((5.0, 10.0, 20.0, 40.0), 301, 300), ((2.0, 3.0), 202, 201), ((4.0, 6.0), 205, 204)])
def test_whole_periods_makes_a_multisine_repeat_exactly_in_samples(frequencies, steps, expected):
    """C13's inputs: steps rounded to a whole number of fundamental periods, so the sampled series repeats with a whole period."""
    from generators.chronos.multisine import Multisine
    from harness.chronos.ablation import whole_periods

    signal = whole_periods(Multisine(frequencies, (1.0,) * len(frequencies), (0.3,) * len(frequencies), t1=3.0, steps=steps))
    assert signal.steps == expected and signal.frequencies == frequencies
    period = signal.steps // (3 * int(np.gcd.reduce([int(k) for k in frequencies])))
    values = signal.values()
    np.testing.assert_allclose(values[period:], values[:-period], atol=1e-9)


@pytest.mark.parametrize("ci, p_for, p_against, outcome", [
    ((0.2, 0.4), 0.01, 1.0, "passed"),  # clears the bar and beats the random sets
    ((0.0, 0.05), 0.01, 1.0, "failed"),  # the interval lies below the bar: evidence the effect is absent
    ((0.2, 0.4), 1.0, 0.01, "failed"),  # the random sets beat the induction set
    ((0.05, 0.4), 0.01, 1.0, "inconclusive"),  # straddles the bar
    ((0.2, 0.4), 0.2, 0.8, "inconclusive"),  # clears the bar but does not beat the random sets
])
def test_the_ablation_verdict_is_three_way(ci, p_for, p_against, outcome):
    from harness.chronos.ablation import ablation_verdict

    assert ablation_verdict(sum(ci) / 2, ci, p_for, p_against, 0.05, 0.1).outcome == outcome


def test_an_encoder_prefix_head_may_carry_its_own_sharpness():
    from harness.chronos.planted import parse_encoder_prefix

    assert parse_encoder_prefix(6, 4, [[2, 3, 1.5], [1, 2]], False) == [(2, 3, 1.5), (1, 2)]
    with pytest.raises(HarnessError, match="sharpness > 0"):
        parse_encoder_prefix(6, 4, [[2, 3, -1.0]], False)
