"""Bounded shrinking: a quantified claim that fails keeps a shrunk counterexample, measured at the registry's batch
size, while the measurements spent shrinking it stay within the profile's budget."""

import pytest

from claims_run import ROOT, run_claims
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.models import load_model
from harness.plugin.shrinking import SHRINK_BUDGETS
from harness.registry import load_registry


pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


def test_the_counterexample_is_shrunk_within_budget_and_fails_at_the_full_batch(tmp_path):
    _, report = run_claims(tmp_path, "--model", "planted:none", "--dtype", "float32", "-k", "across_inputs")
    (record,) = report["claims"]
    assert record["outcome"] == "failed"
    shrink = record["statistics"]["shrink"]
    assert shrink["budget_s"] == SHRINK_BUDGETS["fast"] and shrink["inputs_measured_after_first_failure"] >= 1
    counterexample = record["counterexample"]
    # planted:none fails every input: the shrinker reaches the smallest the strategy draws (sl 6, rf 2, seed 0)
    assert (counterexample["sequence_length"], counterexample["repetitions"], counterexample["seed"]) == (6, 2, 0)
    parameters = load_registry(ROOT / "claims" / "registry.yaml")[record["claim_id"]].parameters
    at_full_batch = measure_rrt(load_model("planted:none", "cpu", "float32"), RRTSettings(
        counterexample["sequence_length"], counterexample["repetitions"], parameters["batch_size"], counterexample["seed"],
        tuple(counterexample["token_range"])))
    heads = at_full_batch.classify(parameters["threshold"])
    assert not heads["current"] and not heads["right"], "the reported counterexample fails at the registry's batch size"


def test_an_expensive_shrink_stops_at_its_budget(tmp_path):
    from harness.plugin import shrinking

    _, report = run_claims(tmp_path, "--model", "planted:none", "--dtype", "float32", "-k", "across_inputs",
                           env={"HYPOTHESIS_PROFILE": "fast", "CHRONOS_SHRINK_BUDGET_S": "0.001"})
    (record,) = report["claims"]
    shrink = record["statistics"]["shrink"]
    assert record["outcome"] == "failed" and shrink["budget_spent"] and shrink["budget_s"] == 0.001
    assert shrink["inputs_measured_after_first_failure"] == 1, "one measurement spends a 1 ms budget; the rest are taken to hold"
    assert shrinking.DEFAULT_SHRINK_BUDGET > 0
