"""bfloat16 against float32: head scores within BF16_SCORE_TOLERANCE and the same classification."""

import numpy as np
import pytest

from harness.induction import RRTSettings, measure_rrt
from harness.report import BF16_SCORE_TOLERANCE


@pytest.mark.parametrize("layout", ["reference", "random"])
def test_bfloat16_scores_agree_with_float32(planted_dirs, load, layout):
    path = planted_dirs(layout)
    settings = RRTSettings(seed=2, n_resamples=300)
    exact = measure_rrt(load(path, "float32"), settings)
    fast = measure_rrt(load(path, "bfloat16"), settings)
    for kind in ("current", "right"):
        difference = np.abs(getattr(exact, kind).mean - getattr(fast, kind).mean).max()
        assert difference <= BF16_SCORE_TOLERANCE, (kind, difference)
    assert exact.classify(0.3) == fast.classify(0.3)
    assert fast.model["dtype"] == "bfloat16"
