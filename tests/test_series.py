import numpy as np
import pytest

from harness.chronos import capture, series
from harness.errors import HarnessError


def test_tokens_follow_mean_scaling_and_end_with_eos(planted_dirs, load):
    loaded = load(planted_dirs("reference"))
    values = np.array([[1.0, -1.0, 2.0, -2.0, np.nan]])
    ids, mask, scale = series.tokenize(loaded, values)
    assert scale[0] == pytest.approx(1.5)  # mean |x| over observed values
    assert ids[0, -1] == 1 and mask[0, -1] == 1  # EOS appended
    assert ids[0, 4] == 0 and mask[0, 4] == 0  # NaN is missing: PAD, masked
    # bin centre of token t is -15 + (t - 3) * 30 / 4092; scaled values +/-0.667 and +/-1.333
    centres = -15 + (ids[0, :4] - 3) * 30 / 4092
    np.testing.assert_allclose(centres, values[0, :4] / 1.5, atol=30 / 4092)
    rows = capture.cross_attention(loaded.model, ids, np.zeros((1, 1), dtype=np.int64), attention_mask=mask)
    assert rows[0, :, :, 0, 4].abs().max() == 0  # a missing value gets no attention


@pytest.mark.parametrize(
    "values, message",
    [
        (np.array([[1.0, np.inf, 2.0]]), "series 0 holds inf at position 1; replace it"),
        (np.array([[np.nan, np.nan]]), "series 0 is all NaN"),
        (np.zeros((1, 600)), "series has 600 points but the model reads at most 512"),
        (np.zeros((0, 10)), "must be (batch, length) with both > 0"),
    ],
)
def test_bad_series_are_refused_in_one_line(values, message):
    with pytest.raises(HarnessError) as error:
        series.check_series(values, context_length=512)
    assert message in str(error.value) and "\n" not in str(error.value)
