"""bfloat16 against float32: head scores within BF16_SCORE_TOLERANCE and the same classification."""

import numpy as np
import pytest

from harness.chronos.induction import RRTSettings, measure_rrt
from harness.report.schema import BF16_SCORE_TOLERANCE

pytestmark = pytest.mark.usefixtures("bfloat16_at_speed")


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


@pytest.mark.e2e
def test_embedded_default_gives_the_same_verdicts_in_bfloat16_and_float32(tmp_path):
    """The whole `pytest claims/` on the default model(s), once per dtype: same outcome for every claim,
    and head scores within BF16_SCORE_TOLERANCE wherever a mosaic was recorded."""
    from claims_run import outcomes, run_claims

    # a claim that fails shrinks its counterexample for up to the profile's budget; that search is not what this test is about
    quick = {"CHRONOS_SHRINK_BUDGET_S": "0.5"}
    runs = {dtype: run_claims(tmp_path / dtype, "--dtype", dtype, env=quick) for dtype in ("float32", "bfloat16")}
    reports = {dtype: report for dtype, (result, report) in runs.items()}
    for dtype, (result, report) in runs.items():
        assert report is not None and report["run"]["dtype"] == dtype, result.stdout + result.stderr
    # a verdict may move between decided and inconclusive where an interval lies that close to its bar, never from
    # passed to failed or back
    verdicts = {dtype: outcomes(report) for dtype, report in reports.items()}
    assert verdicts["float32"].keys() == verdicts["bfloat16"].keys()
    for key, outcome in verdicts["float32"].items():
        assert {outcome, verdicts["bfloat16"][key]} != {"passed", "failed"}, key
    kinds = {dtype: {(r["claim_id"], r["model"]): r["reason_kind"] for r in report["claims"]} for dtype, report in reports.items()}
    for key in (key for key in verdicts["float32"] if verdicts["float32"][key] != verdicts["bfloat16"][key]):
        undecided = next(dtype for dtype in verdicts if verdicts[dtype][key] == "inconclusive")
        assert kinds[undecided][key] in ("straddles-bar", "undecided-inputs"), (key, kinds[undecided][key])
    mosaics = {dtype: {(r["claim_id"], r["model"]): r["statistics"]["mosaic"] for r in report["claims"] if "mosaic" in r["statistics"]}
               for dtype, report in reports.items()}
    assert mosaics["float32"] and mosaics["float32"].keys() == mosaics["bfloat16"].keys()
    for key, exact in mosaics["float32"].items():
        for kind in ("current", "right"):
            difference = np.abs(np.array(exact[kind]["mean"]) - np.array(mosaics["bfloat16"][key][kind]["mean"])).max()
            assert difference <= BF16_SCORE_TOLERANCE, (key, kind, difference)
    lm_scores = {dtype: {(r["claim_id"], r["model"], key): r["statistics"][key]["mean"] for r in report["claims"]
                         for key in ("induction_scores", "previous_token_scores") if key in r["statistics"]}
                 for dtype, report in reports.items()}
    assert lm_scores["float32"].keys() == lm_scores["bfloat16"].keys()
    for key, exact in lm_scores["float32"].items():
        difference = np.abs(np.array(exact) - np.array(lm_scores["bfloat16"][key])).max()
        assert difference <= BF16_SCORE_TOLERANCE, (key, difference)
