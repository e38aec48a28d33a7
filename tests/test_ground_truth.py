"""Ground truth for every claim: the planted models (or pairs of models, for the claims that compare models) on which
it must pass, fail, and, where its decision has a floor, be inconclusive. GROUND_TRUTH is the table the README's
claims section points at; None marks a cell no planted layout fills, with the reason beside it."""

import shutil

import pytest
import yaml

from claims_run import ROOT, run_claims
from harness.chronos.planted import LAYOUTS, build_planted
from harness.patch_models import planted as patch_planted

# claim -> (passes on, fails on, inconclusive on); a model is a planted:NAME layout, a model of BUILT, a run of NARROWED,
# or a pair of PAIRS
GROUND_TRUTH = {
    "C1-induction-heads-exist": ("reference", "none", "short-context"),
    "C1-induction-heads-exist-across-inputs": ("reference", "none", "short-context"),
    "C4-right-token-heads-outnumber-current": ("reference", "swapped", "none"),
    "C5-current-heads-precede-right-heads": ("reference", "swapped", "none"),
    "C2-induction-heads-grow-with-size": ("growing", "shrinking", "empty"),
    "C3-induction-share-levels-off": ("growing", "shrinking", "empty"),
    "C6-longer-sequences-more-induction-heads": ("recent", "early", "none"),
    "C7-more-repetitions-fewer-induction-heads": ("early", "recent", "none"),
    "C8-common-tokens-find-more-heads": ("common-tokens", "reference", "none"),
    "C9-spectral-period-is-smallest-gap": ("gentle-two-frequencies", "multisine", "uniform"),
    # No passing cell: a row that is a function of the series value is periodic with the fundamental period, but its
    # spectrum has lines at every multiple of the fundamental only when the row is sharp, and a row that sharp collapses
    # onto single samples. Rows of this kind (step, pulse, exponential) match the fundamental on 50-80% of drawn inputs.
    "C9-alt-spectral-period-is-fundamental": (None, "multisine", "uniform"),
    "C10-attention-spectra-peak-at-signal-frequencies": ("multisine", "reference", "uniform"),
    "C11-induction-heads-carry-largest-spectral-amplitude": ("two-right", "reference", "multisine"),
    "C12-induction-heads-drive-the-copy": ("copying", "reference", "none"),
    # No passing cell: the one planted model whose heads write, copying, copies exact tokens; on a smooth series the token
    # after an earlier occurrence of the current token is rarely the next one, so ablating its heads lowers the loss.
    "C13-induction-heads-carry-periodic-forecasts": (None, "reference", "none"),
    "C14-prefix-matching-heads-in-the-encoder": ("prefix", "reference", None),
    "L1-lm-induction-head-exists": ("lm-reference", "lm-none", None),
    "L2-lm-previous-token-head-in-layer-0": ("lm-reference", "lm-positional", None),
    "L3-lm-induction-after-previous-token-head": ("lm-reference", "lm-positional", "lm-none"),
    "L4-lm-triplet-completion-has-a-length-limit": ("lm-reference", "lm-positional", None),
    "L5-lm-look-back-two-head-in-layer-0": ("lm-reference", "lm-none", None),
    "L6-lm-induction-strength-varies-by-token": ("lm-reference", "lm-none", None),
    "L7-lm-induction-bleeds-to-neighbours": ("lm-neighbours", "lm-reference", None),
}
# The patch-model families: family -> claim -> (passes on, fails on, inconclusive on), planted:NAME layouts of the family,
# PATCH_BUILT models and PATCH_PAIRS pairs. Claims the registry marks not applicable to a family are skipped with the reason.
NO_DISTANCE = None  # no planted patch layout has a distance term: nothing on which C6 or C7 could pass
PATCH_GROUND_TRUTH = {
    family: {
        "C1-induction-heads-exist": (f"{prefix}-reference", f"{prefix}-none", f"{prefix}-short-context"),
        "C1-induction-heads-exist-across-inputs": (f"{prefix}-reference", f"{prefix}-none", f"{prefix}-short-context"),
        "C4-right-token-heads-outnumber-current": (f"{prefix}-reference", f"{prefix}-swapped", f"{prefix}-none"),
        "C5-current-heads-precede-right-heads": (f"{prefix}-reference", f"{prefix}-swapped", f"{prefix}-none"),
        "C2-induction-heads-grow-with-size": (f"{prefix}-growing", f"{prefix}-shrinking", f"{prefix}-empty"),
        "C3-induction-share-levels-off": (f"{prefix}-growing", f"{prefix}-shrinking", f"{prefix}-empty"),
        "C6-longer-sequences-more-induction-heads": (NO_DISTANCE, f"{prefix}-reference", f"{prefix}-none"),
        "C7-more-repetitions-fewer-induction-heads": (NO_DISTANCE, f"{prefix}-reference", f"{prefix}-none"),
        "C9-spectral-period-is-smallest-gap": (f"{prefix}-gentle", f"{prefix}-multisine", f"{prefix}-two-right"),
        # Unlike Chronos-T5's, a patch model's value heads pass: on 16 to 32 patches the row of a head that reads the
        # patch mean is sharp enough to repeat its spectrum at the fundamental
        "C9-alt-spectral-period-is-fundamental": (f"{prefix}-multisine", f"{prefix}-gentle", f"{prefix}-two-right"),
        "C10-attention-spectra-peak-at-signal-frequencies": (f"{prefix}-multisine", f"{prefix}-value-decoys", f"{prefix}-two-right"),
        "C11-induction-heads-carry-largest-spectral-amplitude": (f"{prefix}-two-right", f"{prefix}-value-decoys", f"{prefix}-multisine"),
    }
    for family, prefix in (("chronos-bolt", "bolt"), ("chronos-2", "chronos2"))
}
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
OUTCOMES = ("passed", "failed", "inconclusive")
# pairs of models for the claims that compare sizes: (layers, heads, planted heads) per model
PAIRS = {
    "growing": {"small": (2, 4, {"current": [(0, 1)]}), "large": (4, 4, {"current": [(0, 1)], "right": [(3, 2)]})},
    "shrinking": {"small": (2, 4, {"current": [(0, 1), (0, 2)], "right": [(1, 3)]}), "large": (6, 4, {"right": [(5, 3)]})},
    "empty": {"small": (2, 4, {"left": [(1, 0)]}), "large": (4, 4, {"eos": [(3, 1)]})},
}
# models built for a cell: the reference heads, but a context of 12 tokens, shorter than every RRT input of the claims
BUILT = {"short-context": ({**LAYOUTS["reference"], "context_length": 12}, "rrt_induction")}
# runs on a planted layout whose claim reads a narrowed registry entry: two frequencies, so a row that is close to
# linear in the value has spectral lines at k1 and k2 only, and its one autocorrelation peak is at the gap
NARROWED = {"gentle-two-frequencies": ("gentle", "C9-spectral-period-is-smallest-gap", {"frequency_count": [2, 2]}, "spectral_period")}
# which claim tests run on which planted layouts (-k expressions), so each model runs only the claims it has a cell for
RUNS = {
    "rrt_induction or common_tokens_find": ("reference", "swapped", "none", "common-tokens"),
    "input_sweeps and not common": ("recent", "early", "none"),
    "test_multisine": ("reference", "multisine", "uniform", "two-right"),
    "removes_the_copy or prefix_matching": ("copying", "reference", "none", "prefix"),
    "periodic_forecasts": ("reference", "none"),
    "lm_induction": ("lm-reference", "lm-positional", "lm-none", "lm-neighbours"),
}


def expected_cells():
    return [(claim, model, outcome) for claim, row in GROUND_TRUTH.items() for model, outcome in zip(row, OUTCOMES) if model]


def expected_patch_cells():
    return [(claim, model, outcome) for table in PATCH_GROUND_TRUTH.values() for claim, row in table.items()
            for model, outcome in zip(row, OUTCOMES) if model]


def narrowed_claims(root, claim: str, parameters: dict):
    """A copy of claims/ whose registry entry for ``claim`` has ``parameters`` changed."""
    claims = shutil.copytree(ROOT / "claims", root / "claims", ignore=shutil.ignore_patterns("__pycache__"))
    registry = yaml.safe_load((claims / "registry.yaml").read_text())
    entry = next(entry for entry in registry["claims"] if entry["id"] == claim)
    entry["parameters"] = {**entry["parameters"], **parameters}
    (claims / "registry.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    return claims


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(claim, model) -> its record, from float32 runs of `pytest claims/` on every model of the table."""
    records = {}

    def run(root, models: dict, expression: str, **kwargs):
        """models: the --model argument -> (the name the report shows, the model's name in the table)."""
        args = [arg for model in models for arg in ("--model", model)]
        _, report = run_claims(root, *args, "--dtype", "float32", "-k", expression, **kwargs)
        names = dict(models.values())
        records.update({(r["claim_id"], names[r["model"]]): r for r in report["claims"] if r["model"] in names})

    for expression, layouts in RUNS.items():
        run(tmp_path_factory.mktemp("truth"), {f"planted:{name}": (f"planted:{name}", name) for name in layouts}, expression)
    for name, (layout, expression) in BUILT.items():
        root = tmp_path_factory.mktemp(name)
        path = build_planted(root / name, layout["layers"], layout["heads"], layout["kinds"], context_length=layout["context_length"])
        run(root, {str(path): (path.name, name)}, expression)
    for name, (layout, claim, parameters, expression) in NARROWED.items():
        root = tmp_path_factory.mktemp(name)
        run(root, {f"planted:{layout}": (f"planted:{layout}", name)}, expression, claims=narrowed_claims(root, claim, parameters))
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
    assert all(row[1] for row in GROUND_TRUTH.values()), "every claim has a planted model it fails on"
    missing = [claim for claim, row in GROUND_TRUTH.items() if row[0] is None]
    assert missing == ["C9-alt-spectral-period-is-fundamental", "C13-induction-heads-carry-periodic-forecasts"], \
        f"claims with no planted model they pass on: {missing}"


@pytest.mark.parametrize("claim, model, outcome", expected_cells(), ids=lambda v: str(v))
def test_the_verdict_matches_the_ground_truth(measured, claim, model, outcome):
    record = measured[(claim, model)]
    assert record["outcome"] == outcome, f"{claim} on {model}: {record['outcome']} ({record['reason']})"
    if outcome != "passed":
        assert record["reason"], "a verdict other than passed names its reason"
    if outcome == "inconclusive":  # names the missing floor
        assert any(word in record["reason"] for word in ("no ", "need", "fewer", "0 ", "longer than")), record["reason"]


@pytest.fixture(scope="module")
def measured_patch(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(claim, model) -> its record, from float32 runs of `pytest claims/` on the planted patch models."""
    root = tmp_path_factory.mktemp("patch-truth")
    models = [f"planted:{name}" for name in patch_planted.LAYOUTS if name.endswith(INDUCTION_LAYOUTS)]
    for name, layout in PATCH_BUILT.items():
        models.append(str(patch_planted.build_layout(root / name, layout, name)))
    records = {}
    for expression, models in (("rrt_induction or input_sweeps", models),
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
        assert all(row[1] for row in table.values()), "every claim has a planted model of each family it fails on"


@pytest.mark.parametrize("claim, model, outcome", expected_patch_cells(), ids=lambda v: str(v))
def test_the_patch_model_verdict_matches_the_ground_truth(measured_patch, claim, model, outcome):
    record = measured_patch[(claim, model)]
    assert record["outcome"] == outcome, f"{claim} on {model}: {record['outcome']} ({record['reason']})"
    if outcome == "inconclusive":
        assert any(word in record["reason"] for word in ("no ", "need", "fewer", "0 ", "longer than")), record["reason"]


def test_claims_without_meaning_for_a_patch_model_are_skipped_with_the_reason(measured_patch):
    for model, family in (("bolt-reference", "chronos-bolt"), ("chronos2-reference", "chronos-2")):
        record = measured_patch[("C8-common-tokens-find-more-heads", model)]
        assert record["outcome"] == "skipped" and f"not applicable to {family}: patch models read values" in record["reason"]
