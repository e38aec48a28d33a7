"""Ground truth for every claim: the planted models (or pairs of models, for the claims that compare models) on which
it must pass, fail, and, where its decision has a floor, be inconclusive. GROUND_TRUTH is the table the README's
claims section points at; None marks a cell no planted layout fills yet."""

import pytest

from claims_run import run_claims
from harness.chronos.planted import build_planted

# claim -> (passes on, fails on, inconclusive on); a model is a planted:NAME layout or a pair of PAIRS
GROUND_TRUTH = {
    "C1-induction-heads-exist": ("reference", "none", None),  # floor: threshold above chance, never reached at sl=10, rf=2
    "C1-induction-heads-exist-across-inputs": ("reference", "none", None),
    "C4-right-token-heads-outnumber-current": ("reference", "swapped", "none"),
    "C5-current-heads-precede-right-heads": ("reference", "swapped", "none"),
    "C2-induction-heads-grow-with-size": ("growing", "shrinking", "empty"),
    "C3-induction-share-levels-off": ("growing", "shrinking", "empty"),
    "C6-longer-sequences-more-induction-heads": (None, "reference", "none"),
    "C7-more-repetitions-fewer-induction-heads": (None, "reference", "none"),
    "C8-common-tokens-find-more-heads": ("common-tokens", "reference", "none"),
    "C9-spectral-period-is-smallest-gap": (None, "multisine", "uniform"),
    "C9-alt-spectral-period-is-fundamental": (None, "multisine", "uniform"),
    "C10-attention-spectra-peak-at-signal-frequencies": ("multisine", "reference", "uniform"),
    "C11-induction-heads-carry-largest-spectral-amplitude": ("two-right", "reference", "multisine"),
    "L1-lm-induction-head-exists": ("lm-reference", "lm-none", None),
    "L2-lm-previous-token-head-in-layer-0": ("lm-reference", "lm-positional", None),
    "L3-lm-induction-after-previous-token-head": ("lm-reference", "lm-positional", "lm-none"),
    "L4-lm-triplet-completion-has-a-length-limit": ("lm-reference", "lm-positional", None),
    "L5-lm-look-back-two-head-in-layer-0": ("lm-reference", "lm-none", None),
    "L6-lm-induction-strength-varies-by-token": ("lm-reference", "lm-none", None),
    "L7-lm-induction-bleeds-to-neighbours": ("lm-neighbours", "lm-reference", None),
}
OUTCOMES = ("passed", "failed", "inconclusive")
# pairs of models for the claims that compare sizes: (layers, heads, planted heads) per model
PAIRS = {
    "growing": {"small": (2, 4, {"current": [(0, 1)]}), "large": (4, 4, {"current": [(0, 1)], "right": [(3, 2)]})},
    "shrinking": {"small": (2, 4, {"current": [(0, 1), (0, 2)], "right": [(1, 3)]}), "large": (6, 4, {"right": [(5, 3)]})},
    "empty": {"small": (2, 4, {"left": [(1, 0)]}), "large": (4, 4, {"eos": [(3, 1)]})},
}
# which claim tests run on which single models (-k expressions), so each model runs only the claims it has a cell for
RUNS = {
    "rrt_induction or input_sweeps": ("reference", "swapped", "none", "common-tokens"),
    "multisine": ("reference", "multisine", "uniform", "two-right"),
    "lm_induction": ("lm-reference", "lm-positional", "lm-none", "lm-neighbours"),
}


def expected_cells():
    return [(claim, model, outcome) for claim, row in GROUND_TRUTH.items() for model, outcome in zip(row, OUTCOMES) if model]


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(claim, model) -> its record, from float32 runs of `pytest claims/` on every model of the table."""
    records = {}
    for expression, models in RUNS.items():
        args = [arg for model in models for arg in ("--model", f"planted:{model}")]
        _, report = run_claims(tmp_path_factory.mktemp("truth"), *args, "--dtype", "float32", "-k", expression)
        records.update({(r["claim_id"], r["model"].removeprefix("planted:")): r for r in report["claims"] if r["model"]})
    for pair, models in PAIRS.items():
        root = tmp_path_factory.mktemp(pair)
        paths = [build_planted(root / name, layers, heads, kinds) for name, (layers, heads, kinds) in models.items()]
        _, report = run_claims(root, *[arg for path in paths for arg in ("--model", str(path))], "--dtype", "float32",
                               "-k", "model_size or share_levels_off")
        records.update({(r["claim_id"], pair): r for r in report["claims"]})
    return records


def test_every_claim_in_the_registry_has_a_row():
    from harness.registry import load_registry
    from claims_run import ROOT

    assert set(GROUND_TRUTH) == set(load_registry(ROOT / "claims" / "registry.yaml"))
    assert all(row[1] for row in GROUND_TRUTH.values()), "every claim has a planted model it fails on"


@pytest.mark.parametrize("claim, model, outcome", expected_cells(), ids=lambda v: str(v))
def test_the_verdict_matches_the_ground_truth(measured, claim, model, outcome):
    record = measured[(claim, model)]
    assert record["outcome"] == outcome, f"{claim} on {model}: {record['outcome']} ({record['reason']})"
    if outcome != "passed":
        assert record["reason"], "a verdict other than passed names its reason"
    if outcome == "inconclusive":
        assert any(word in record["reason"] for word in ("no ", "need", "fewer", "0 ")), record["reason"]  # names the missing floor
