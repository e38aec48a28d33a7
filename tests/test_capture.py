import numpy as np
import pytest
import torch

from generators.chronos.rrt import rrt_batch
from harness.chronos import capture
from harness.errors import CaptureError


@pytest.fixture(scope="module", params=["reference", "random"])
def loaded(request, planted_dirs, load):
    return load(planted_dirs(request.param))


def test_capture_matches_eager_attention(loaded):
    batch = rrt_batch(10, 2, 16, seed=3)
    lean = capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids)
    eager = capture.eager_cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids)
    assert lean.shape == (16, loaded.decoder_layers, loaded.heads, 2, batch.encoder_length)
    torch.testing.assert_close(lean, eager, rtol=0, atol=1e-5)


@pytest.mark.parametrize("site", ["encoder", "decoder"])
def test_self_attention_capture_matches_eager_attention(loaded, site):
    batch = rrt_batch(6, 3, 8, seed=2)
    decoder_ids = batch.encoder_ids[:, :-1]  # a causal decoder over several positions
    lean = capture.attention(loaded.model, site, batch.encoder_ids, decoder_ids)
    eager = capture.eager_attention(loaded.model, site, batch.encoder_ids, decoder_ids)
    torch.testing.assert_close(lean, eager, rtol=0, atol=1e-5)
    if site == "decoder":  # causal: nothing above the diagonal
        assert torch.triu(lean, diagonal=1).abs().max() == 0


def test_capture_matches_eager_attention_with_padding(loaded):
    batch = rrt_batch(8, 3, 6, seed=4)
    mask = np.ones_like(batch.encoder_ids)
    mask[:3, :5] = 0  # left padding, as Chronos uses for short series
    lean = capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids, attention_mask=mask)
    eager = capture.eager_cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids, attention_mask=mask)
    torch.testing.assert_close(lean, eager, rtol=0, atol=1e-5)
    assert lean[:3, ..., :5].abs().max() == 0


def test_query_rows_are_identical_and_chunks_agree_to_rounding(loaded):
    batch = rrt_batch(10, 2, 20, seed=5)
    full = capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids)
    row = capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids, query_positions=[1])
    assert torch.equal(row[:, :, :, 0], full[:, :, :, 1])
    # Some CPUs' matmul kernels round a batch of 7 differently from one of 20 (3.4e-7 measured on an Intel Xeon).
    chunked = capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids, query_positions=[1], chunk_size=7)
    torch.testing.assert_close(chunked, row, rtol=0, atol=1e-6)


def test_sdpa_alone_returns_no_attention_which_is_why_capture_exists(loaded):
    batch = rrt_batch(10, 2, 2, seed=0)
    loaded.model.set_attn_implementation("sdpa")
    try:
        output = loaded.model(
            input_ids=torch.as_tensor(batch.encoder_ids), decoder_input_ids=torch.as_tensor(batch.decoder_ids), output_attentions=True
        )
        assert not output.cross_attentions
        # capture re-routes the model and still gets the rows
        assert capture.cross_attention(loaded.model, batch.encoder_ids, batch.decoder_ids).numel() > 0
    finally:
        capture.prepare(loaded.model)


@pytest.mark.parametrize("site", capture.SITES)
def test_a_layer_that_records_nothing_is_an_error(loaded, site):
    batch = rrt_batch(10, 2, 2, seed=0)
    module = capture.site_modules(loaded.model, site)[-1]
    where = getattr(module, capture.WHERE)
    delattr(module, capture.WHERE)  # the module no longer says which layer it is: its rows go uncaptured
    try:
        with pytest.raises(CaptureError, match=rf"{capture.SITE_NAMES[site]} was recorded for layers \[{where[1]}\]"):
            capture.attention(loaded.model, site, batch.encoder_ids, batch.decoder_ids)
    finally:
        setattr(module, capture.WHERE, where)


@pytest.mark.parametrize(
    "rows, message",
    [
        (torch.empty(0, 2, 2, 1, 5), "empty"),
        (torch.full((1, 1, 1, 1, 4), 0.3), "sum to 1"),
        (torch.tensor([[[[[0.5, float("nan")]]]]]), "NaN"),
    ],
)
def test_probability_check_rejects_bad_rows(rows, message):
    with pytest.raises(CaptureError, match=message):
        capture.check_probabilities(rows)


def test_empty_batch_is_an_error(loaded):
    with pytest.raises(CaptureError, match="batch is empty"):
        capture.cross_attention(loaded.model, np.zeros((0, 5), dtype=np.int64), np.zeros((0, 2), dtype=np.int64))
