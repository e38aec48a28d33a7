"""Ground truth for every claim: the planted models (or pairs of models, for the claims that compare models) on which
it must pass, fail, and, where its decision has a floor, be inconclusive. GROUND_TRUTH is the table the README's
claims section points at. Every claim is checked at its shipped settings; a claim with no planted model of some
outcome says why beside its row."""

import pytest

from claims_run import ROOT, run_claims
from harness.chronos.planted import LAYOUTS, build_planted
from harness.patch_models import planted as patch_planted

# claim -> its cells: (model, expected outcome, expected reason kind). A model is a planted:NAME layout, a model of BUILT,
# or a pair of PAIRS. Reason kinds are harness.verdict's: clears-bar (passed), excludes-bar (failed),
# straddles-bar and floor:<which> (inconclusive), undecided-inputs (a quantified claim with undecided inputs, none failed).
P, F, I = "passed", "failed", "inconclusive"
CLEARS, EXCLUDES, STRADDLES, UNDECIDED = "clears-bar", "excludes-bar", "straddles-bar", "undecided-inputs"
RRT_TRUTH = {
    "C1-induction-heads-exist": [("reference", P, CLEARS), ("none", F, EXCLUDES), ("short-context", I, "floor:input-too-long"),
                                 ("half-identity", I, STRADDLES)],
    "C1-induction-heads-exist-across-inputs": [("reference", P, CLEARS), ("none", F, EXCLUDES), ("short-context", I, "floor:min-examples")],
    "C4-induction-heads-are-almost-all-right-token": [("right-heavy", P, CLEARS), ("swapped", F, EXCLUDES), ("none", I, "floor:no-induction-heads"),
                                                      ("reference", I, "floor:too-few-heads")],
    "C5-current-heads-precede-right-heads": [("reference", P, CLEARS), ("swapped", F, EXCLUDES), ("none", I, "floor:too-few-heads"),
                                             ("two-and-two", I, "floor:test-cannot-reach-alpha")],
    "C2-induction-heads-grow-with-size": [("growing", P, CLEARS), ("shrinking", F, EXCLUDES), ("empty", I, "floor:no-induction-heads")],
    "C3-induction-share-levels-off": [("growing", P, CLEARS), ("shrinking", F, EXCLUDES), ("empty", I, "floor:no-induction-heads")],
    "C6-longer-sequences-more-induction-heads": [("recent", P, CLEARS), ("half-identity", F, EXCLUDES), ("none", I, "floor:no-induction-heads"),
                                                 ("late", I, STRADDLES)],
    # No failing cell: a planted head's attention is a softmax over the copies of its token, and another copy only takes
    # weight from the most recent one, so no planted head's score (and so no count) rises with repetitions.
    "C7-more-repetitions-fewer-induction-heads": [("early", P, CLEARS), ("none", I, "floor:no-induction-heads")],
    "C8-common-tokens-find-more-heads": [("common-tokens", P, CLEARS), ("reference", F, EXCLUDES), ("none", I, "floor:no-induction-heads")],
}
# positional: heads that read nothing of the series, their rows decaying smoothly from EOS; they equal their null, so
# C10 cannot pass on them. three-gentle: 3 of 3 agreeing heads give a Wilson lower bound of 0.44, below the bar of 0.5.
# one-right: one induction head in eight, so no overlap can reach p < 0.05.
MULTISINE_TRUTH = {
    "C9-spectral-period-is-smallest-gap": [("gentle", P, CLEARS), ("multisine", F, EXCLUDES), ("positional", F, EXCLUDES),
                                           ("uniform", I, "floor:too-few-heads"), ("three-gentle", I, "floor:too-few-heads")],
    "C9-alt-spectral-period-is-fundamental": [("sharp", P, CLEARS), ("gentle", F, EXCLUDES), ("uniform", I, "floor:too-few-heads")],
    "C10-attention-spectra-peak-at-signal-frequencies": [("multisine", P, CLEARS), ("reference", F, EXCLUDES), ("uniform", I, "floor:too-few-heads"),
                                                         ("positional", I, UNDECIDED)],
    "C11-induction-heads-carry-largest-spectral-amplitude": [("two-right", P, CLEARS), ("value-decoys", F, EXCLUDES),
                                                             ("multisine", I, "floor:no-induction-heads"),
                                                             ("one-right", I, "floor:test-cannot-reach-alpha")],
}
CAUSAL_TRUTH = {
    "C12-induction-heads-drive-the-copy": [("copying", P, CLEARS), ("reference", F, EXCLUDES), ("none", I, "floor:no-induction-heads")],
    # copying's induction heads write the token after the matched occurrence: on a multisine rounded to whole periods that is the next token
    "C13-induction-heads-carry-periodic-forecasts": [("copying", P, CLEARS), ("reference", F, EXCLUDES), ("none", I, "floor:no-induction-heads")],
    "C14-prefix-matching-heads-in-the-encoder": [("prefix", P, CLEARS), ("reference", F, EXCLUDES), ("prefix-faint", I, STRADDLES)],
}
LM_TRUTH = {
    "L1-lm-induction-head-exists": [("lm-reference", P, CLEARS), ("lm-none", F, EXCLUDES), ("lm-gated", I, STRADDLES)],
    "L2-lm-previous-token-head-in-layer-0": [("lm-reference", P, CLEARS), ("lm-positional", F, EXCLUDES), ("lm-gated-layer-0", I, STRADDLES)],
    "L3-lm-induction-after-previous-token-head": [("lm-reference", P, CLEARS), ("lm-positional", F, EXCLUDES), ("lm-none", I, "floor:no-induction-heads")],
    "L4-lm-triplet-completion-has-a-length-limit": [("lm-reference", P, CLEARS), ("lm-positional", F, EXCLUDES), ("lm-rare-induction", I, STRADDLES)],
    # lm-sharp-two: a head with all its weight two back peaks there but is not spread over the previous tokens
    "L5-lm-look-back-two-head-in-layer-0": [("lm-reference", P, CLEARS), ("lm-sharp-two", F, EXCLUDES), ("lm-none", F, EXCLUDES),
                                            ("lm-gated-layer-0", I, STRADDLES)],
    "L6-lm-induction-strength-varies-by-token": [("lm-reference", P, CLEARS), ("lm-none", F, EXCLUDES), ("lm-gated", I, STRADDLES)],
    "L7-lm-induction-bleeds-to-neighbours": [("lm-neighbours", P, CLEARS), ("lm-reference", F, EXCLUDES), ("lm-faint-neighbours", I, STRADDLES),
                                             ("lm-none", I, "floor:no-induction-effect")],
}
GROUND_TRUTH = {**RRT_TRUTH, **MULTISINE_TRUTH, **CAUSAL_TRUTH, **LM_TRUTH}
NO_FAILING_CELL = {"C7-more-repetitions-fewer-induction-heads"}  # the reason is beside its row; the decision's failing path is
# checked on numbers in tests/test_stats.py
# The patch-model families: family -> claim -> its cells, as above; a model is a planted:NAME layout of the family, a
# PATCH_BUILT model or a PATCH_PAIRS pair. Claims the registry marks not applicable to a family are skipped with the reason.
PATCH_RRT_TRUTH = {
    family: {
        "C1-induction-heads-exist": [(f"{prefix}-reference", P, CLEARS), (f"{prefix}-none", F, EXCLUDES),
                                     (f"{prefix}-short-context", I, "floor:input-too-long")],
        "C1-induction-heads-exist-across-inputs": [(f"{prefix}-reference", P, CLEARS), (f"{prefix}-none", F, EXCLUDES),
                                                   (f"{prefix}-short-context", I, "floor:min-examples")],
        "C4-induction-heads-are-almost-all-right-token": [(f"{prefix}-right-heavy", P, CLEARS), (f"{prefix}-swapped", F, EXCLUDES),
                                                          (f"{prefix}-none", I, "floor:no-induction-heads"),
                                                          (f"{prefix}-reference", I, "floor:too-few-heads")],
        "C5-current-heads-precede-right-heads": [(f"{prefix}-reference", P, CLEARS), (f"{prefix}-swapped", F, EXCLUDES),
                                                 (f"{prefix}-none", I, "floor:too-few-heads")],
        "C2-induction-heads-grow-with-size": [(f"{prefix}-growing", P, CLEARS), (f"{prefix}-shrinking", F, EXCLUDES),
                                              (f"{prefix}-empty", I, "floor:no-induction-heads")],
        "C3-induction-share-levels-off": [(f"{prefix}-growing", P, CLEARS), (f"{prefix}-shrinking", F, EXCLUDES),
                                          (f"{prefix}-empty", I, "floor:no-induction-heads")],
        # no planted patch layout has a distance term, so none on which C6 or C7 could fail: as on Chronos-T5, another copy
        # only takes weight from the most recent one (C7 passes), and on repeated random patches the reference heads'
        # counts rise with sequence length (C6 passes)
        "C6-longer-sequences-more-induction-heads": [(f"{prefix}-reference", P, CLEARS), (f"{prefix}-none", I, "floor:no-induction-heads")],
        "C7-more-repetitions-fewer-induction-heads": [(f"{prefix}-reference", P, CLEARS), (f"{prefix}-none", I, "floor:no-induction-heads")],
    }
    for family, prefix in (("chronos-bolt", "bolt"), ("chronos-2", "chronos2"))
}
PATCH_MULTISINE_TRUTH = {
    family: {
        "C9-spectral-period-is-smallest-gap": [(f"{prefix}-gentle", P, CLEARS), (f"{prefix}-multisine", F, EXCLUDES),
                                               (f"{prefix}-two-right", I, "floor:too-few-heads")],
        # The drawn sets are progressions k0 (1 + i m): on 16-32 patches nearly all of them are 1-4 Hz with k0 = 1 = the
        # gap, so the gentle heads match the fundamental too, and the sharper value heads miss both on e.g. [1, 2] Hz
        "C9-alt-spectral-period-is-fundamental": [(f"{prefix}-gentle", P, CLEARS), (f"{prefix}-multisine", F, EXCLUDES),
                                                  (f"{prefix}-two-right", I, "floor:too-few-heads")],
        # on 8-16 bins, one bin either side of 1-3 Hz covers most of the spectrum: the value heads' harmonics score below
        # their permuted null, the gentle heads' lines at the k_i above it
        "C10-attention-spectra-peak-at-signal-frequencies": [(f"{prefix}-gentle", P, CLEARS), (f"{prefix}-value-decoys", F, EXCLUDES),
                                                             (f"{prefix}-two-right", I, "floor:too-few-heads")],
        # no failing cell: with the amplitude divided by the row's weight on the series, value-decoys' peaked right-patch
        # rows carry the largest amplitude (it passes); no patch layout's induction heads are flat on a multisine
        "C11-induction-heads-carry-largest-spectral-amplitude": [(f"{prefix}-two-right", P, CLEARS), (f"{prefix}-value-decoys", P, CLEARS),
                                                                 (f"{prefix}-multisine", I, "floor:no-induction-heads")],
    }
    for family, prefix in (("chronos-bolt", "bolt"), ("chronos-2", "chronos2"))
}
NO_FAILING_PATCH_CELL = {"C6-longer-sequences-more-induction-heads", "C7-more-repetitions-fewer-induction-heads",
                         "C11-induction-heads-carry-largest-spectral-amplitude"}  # the reasons are beside their rows
PATCH_GROUND_TRUTH = {family: {**PATCH_RRT_TRUTH[family], **PATCH_MULTISINE_TRUTH[family]} for family in PATCH_RRT_TRUTH}
INDUCTION_LAYOUTS = ("-reference", "-swapped", "-none")  # the layouts each patch-model run measures
MULTISINE_LAYOUTS = ("-multisine", "-gentle", "-two-right", "-value-decoys")
PATCH_BUILT = {f"{prefix}-short-context": {**patch_planted.LAYOUTS[f"{prefix}-reference"], "context_length": 128}
               for prefix in ("bolt", "chronos2")}


def _patch_pair(family: str, first: int, small: dict, large: dict, small_layers: int, large_layers: int) -> dict:
    def at(kinds):
        return {kind: [(first + layer, head) for layer, head in heads] for kind, heads in kinds.items()}

    return {"small": {"family": family, "layers": first + small_layers, "kinds": at(small)},
            "large": {"family": family, "layers": first + large_layers, "kinds": at(large)}}


PATCH_PAIRS = {
    f"{prefix}-{pair}": _patch_pair(family, patch_planted.FIRST_PLANTED_LAYER[family], small, large, small_layers, large_layers)
    for family, prefix in (("chronos-bolt", "bolt"), ("chronos-2", "chronos2"))
    for pair, (small, large, small_layers, large_layers) in {
        "growing": ({"current": [(0, 1)]}, {"current": [(0, 1)], "right": [(2, 2)]}, 1, 3),
        "shrinking": ({"current": [(0, 1), (0, 2)], "right": [(0, 3)]}, {"right": [(3, 3)]}, 1, 4),
        "empty": ({"reg": [(0, 0)]}, {"reg": [(2, 1)]}, 1, 3),
    }.items()
}
# pairs of models for the claims that compare sizes: (layers, heads, planted heads) per model
PAIRS = {
    "growing": {"small": (2, 4, {"current": [(0, 1)]}), "large": (4, 4, {"current": [(0, 1)], "right": [(3, 2)]})},
    "shrinking": {"small": (2, 4, {"current": [(0, 1), (0, 2)], "right": [(1, 3)]}), "large": (6, 4, {"right": [(5, 3)]})},
    "empty": {"small": (2, 4, {"left": [(1, 0)]}), "large": (4, 4, {"eos": [(3, 1)]})},
}
# models built for a cell: the reference heads, but a context of 12 tokens, shorter than every RRT input of the claims
BUILT = {"short-context": ({**LAYOUTS["reference"], "context_length": 12}, "rrt_induction")}
# which claim tests run on which planted layouts (-k expressions), so each model runs only the claims it has a cell for
RUNS = {
    "rrt_induction or common_tokens_find": ("reference", "swapped", "none", "common-tokens"),
    "rrt_induction and not across": ("right-heavy", "half-identity", "two-and-two"),
    "input_sweeps and not common": ("recent", "early", "none"),
    "longer_sequences": ("half-identity", "late"),
    "test_multisine": ("reference", "multisine", "uniform", "two-right", "gentle", "sharp", "positional", "three-gentle", "one-right",
                       "value-decoys"),
    "removes_the_copy or prefix_matching": ("copying", "reference", "none", "prefix"),
    "prefix_matching": ("prefix-faint",),
    "periodic_forecasts": ("copying", "reference", "none"),
    "lm_induction": ("lm-reference", "lm-positional", "lm-none", "lm-neighbours", "lm-gated", "lm-rare-induction", "lm-gated-layer-0",
                     "lm-faint-neighbours", "lm-sharp-two"),
}


def expected_cells():
    return [(claim, *cell) for claim, cells in GROUND_TRUTH.items() for cell in cells]


def expected_patch_cells():
    return [(claim, *cell) for table in PATCH_GROUND_TRUTH.values() for claim, cells in table.items() for cell in cells]


def check_cell(record: dict, claim: str, model: str, outcome: str, kind: str) -> None:
    """The verdict and the path that led to it: the outcome and its machine-readable reason kind, exactly."""
    assert (record["outcome"], record["reason_kind"]) == (outcome, kind), f"{claim} on {model}: {record['outcome']}, {record['reason_kind']} ({record['reason']})"
    decisive = record["statistics"].get("decisive") or {}
    if outcome != "inconclusive":
        assert decisive.get("chance") is not None and decisive.get("null"), f"{claim} on {model}: a decided verdict stands beside its null"


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(claim, model) -> its record, from float32 runs of `pytest claims/` on every model of the table."""
    records = {}

    def run(root, models: dict, expression: str):
        """models: the --model argument -> (the name the report shows, the model's name in the table)."""
        args = [arg for model in models for arg in ("--model", model)]
        _, report = run_claims(root, *args, "--dtype", "float32", "-k", expression)
        names = dict(models.values())
        records.update({(r["claim_id"], names[r["model"]]): r for r in report["claims"] if r["model"] in names})

    for expression, layouts in RUNS.items():
        run(tmp_path_factory.mktemp("truth"), {f"planted:{name}": (f"planted:{name}", name) for name in layouts}, expression)
    for name, (layout, expression) in BUILT.items():
        root = tmp_path_factory.mktemp(name)
        path = build_planted(root / name, layout["layers"], layout["heads"], layout["kinds"], context_length=layout["context_length"])
        run(root, {str(path): (path.name, name)}, expression)
    for pair, models in PAIRS.items():
        root = tmp_path_factory.mktemp(pair)
        paths = [build_planted(root / name, layers, heads, kinds) for name, (layers, heads, kinds) in models.items()]
        _, report = run_claims(root, *[arg for path in paths for arg in ("--model", str(path))], "--dtype", "float32",
                               "-k", "model_size or share_levels_off")
        records.update({(r["claim_id"], pair): r for r in report["claims"]})
    return records


def test_every_claim_in_the_registry_has_a_row():
    from harness.registry import load_registry

    assert set(GROUND_TRUTH) == set(load_registry(ROOT / "claims" / "registry.yaml"))
    for claim, cells in GROUND_TRUTH.items():
        expected = {P, I} if claim in NO_FAILING_CELL else {P, F, I}
        assert {outcome for _, outcome, _ in cells} == expected, f"{claim}: a planted model on which it passes, fails and is inconclusive"


@pytest.mark.e2e
@pytest.mark.parametrize("claim, model, outcome, kind", expected_cells(), ids=lambda v: str(v))
def test_the_verdict_matches_the_ground_truth(measured, claim, model, outcome, kind):
    check_cell(measured[(claim, model)], claim, model, outcome, kind)


@pytest.fixture(scope="module")
def measured_patch(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(claim, model) -> its record, from float32 runs of `pytest claims/` on the planted patch models."""
    root = tmp_path_factory.mktemp("patch-truth")
    models = [f"planted:{name}" for name in patch_planted.LAYOUTS if name.endswith(INDUCTION_LAYOUTS)]
    for name, layout in PATCH_BUILT.items():
        models.append(str(patch_planted.build_layout(root / name, layout, name)))
    records = {}
    for expression, models in (("rrt_induction or input_sweeps", models),
                               ("almost_all_right_token", [f"planted:{prefix}-right-heavy" for prefix in ("bolt", "chronos2")]),
                               ("test_multisine", [f"planted:{name}" for name in patch_planted.LAYOUTS if name.endswith(MULTISINE_LAYOUTS)])):
        _, report = run_claims(root, *[arg for model in models for arg in ("--model", model)], "--dtype", "float32", "-k", expression)
        records.update({(r["claim_id"], r["model"].removeprefix("planted:")): r for r in report["claims"] if r["model"]})
    for kind in ("growing", "shrinking", "empty"):  # a Bolt pair and a Chronos-2 pair per run: each family is compared apart
        pair_root = tmp_path_factory.mktemp(kind)
        pairs = {pair: layouts for pair, layouts in PATCH_PAIRS.items() if pair.endswith(kind)}
        paths = [patch_planted.build_layout(pair_root / f"{pair}-{name}", layout, name) for pair, layouts in pairs.items()
                 for name, layout in layouts.items()]
        _, report = run_claims(pair_root, *[arg for path in paths for arg in ("--model", str(path))], "--dtype", "float32",
                               "-k", "model_size or share_levels_off")
        prefix = {"chronos-bolt": "bolt", "chronos-2": "chronos2"}
        records.update({(r["claim_id"], f"{prefix[r['family']]}-{kind}"): r for r in report["claims"] if r["family"] in prefix})
    return records


def test_every_patch_family_claim_has_a_row():
    from harness.registry import load_registry

    registry = load_registry(ROOT / "claims" / "registry.yaml")
    for family, table in PATCH_GROUND_TRUTH.items():
        assert set(table) == {claim.id for claim in registry.values() if family in claim.families}
        for claim, cells in table.items():
            expected = {P, I} if claim in NO_FAILING_PATCH_CELL else {P, F, I}
            assert {outcome for _, outcome, _ in cells} >= expected - {P}, f"{family} {claim}: planted models on which it fails and is inconclusive"


@pytest.mark.e2e
@pytest.mark.parametrize("claim, model, outcome, kind", expected_patch_cells(), ids=lambda v: str(v))
def test_the_patch_model_verdict_matches_the_ground_truth(measured_patch, claim, model, outcome, kind):
    check_cell(measured_patch[(claim, model)], claim, model, outcome, kind)


@pytest.mark.e2e
def test_claims_without_meaning_for_a_patch_model_are_skipped_with_the_reason(measured_patch):
    for model, family in (("bolt-reference", "chronos-bolt"), ("chronos2-reference", "chronos-2")):
        record = measured_patch[("C8-common-tokens-find-more-heads", model)]
        assert record["outcome"] == "skipped" and f"not applicable to {family}: patch models read values" in record["reason"]
