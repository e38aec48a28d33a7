"""C2/C3 on planted models of known sizes and head counts; C6/C7 sweeps on identity-matching heads."""


import pytest

from claims_run import outcomes, run_claims
from harness.chronos.induction import RRTSettings, measure_rrt
from harness.chronos.planted import build_planted
from harness.chronos.sweeps import grid_counts

# (layers, heads, planted induction heads): 1/8, 2/16 and 3/24 heads, a 12.5% share at every size
GROWING = {
    "small": (2, 4, {"current": [(0, 1)]}),
    "medium": (4, 4, {"current": [(0, 1)], "right": [(3, 2)]}),
    "large": (6, 4, {"current": [(0, 1)], "right": [(4, 2), (5, 3)], "left": [(2, 0)]}),
}
SHRINKING = {
    "small": (2, 4, {"current": [(0, 1), (0, 2)], "right": [(1, 3)]}),
    "large": (6, 4, {"right": [(5, 3)]}),
}
SIZE_CLAIMS = "model_size or share_levels_off"


def build(root, family):
    return {name: build_planted(root / name, layers, heads, kinds) for name, (layers, heads, kinds) in family.items()}


@pytest.fixture(scope="module")
def growing_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("growing")
    paths = build(root, GROWING)
    args = [arg for path in paths.values() for arg in ("--model", str(path))]
    result, report = run_claims(root, *args, "-k", f"{SIZE_CLAIMS} or longer_sequences")
    assert report is not None, result.stdout + result.stderr
    return paths, result, report


@pytest.mark.e2e
def test_size_claims_pass_with_exactly_the_planted_counts(growing_run):
    _, _, report = growing_run
    found = outcomes(report)
    assert found[("C2-induction-heads-grow-with-size", None)] == "passed"
    assert found[("C3-induction-share-levels-off", None)] == "passed"
    record = next(r for r in report["claims"] if r["claim_id"].startswith("C2"))
    table = {row["model"]: row for row in record["statistics"]["size_table"]}
    assert list(table) == ["small", "medium", "large"]  # ordered by parameter count
    for name, (layers, heads, kinds) in GROWING.items():
        row = table[name]
        assert row["current"] == {"mean": len(kinds.get("current", [])), "ci": [len(kinds.get("current", []))] * 2}
        assert row["right"]["mean"] == len(kinds.get("right", []))
        assert row["total"]["mean"] == len(kinds.get("current", [])) + len(kinds.get("right", []))
        assert row["share"]["mean"] == pytest.approx(0.125)
        assert row["heads"] == layers * heads and len(row["per_seed"]) == 5
    steps = record["statistics"]["steps"]  # each step up in size, decided by its CI over seeds
    assert [(step["smaller"], step["larger"]) for step in steps] == [("small", "medium"), ("medium", "large")]
    assert all(step["ci"][0] > 0 for step in steps)
    # the model-level rank test is recorded, not decided on: three models cannot reach p < 0.05
    assert record["statistics"]["model_level_kendall"]["p_value"] >= 1 / 6 - 1e-9


@pytest.mark.e2e
def test_size_table_and_sweep_grids_land_in_both_reports(growing_run, tmp_path):
    paths, _, report = growing_run
    sweeps = [r for r in report["claims"] if r["claim_id"].startswith("C6")]
    assert {r["model"] for r in sweeps} == set(paths)
    for record in sweeps:
        assert len(record["statistics"]["grid"]) == 25 * 3  # the grid at each of 3 seeds
        assert sorted({cell["seed"] for cell in record["statistics"]["grid"]}) == [0, 1, 2]
        for cell in record["statistics"]["grid"]:
            assert cell["chance_level"] == pytest.approx(1 / (cell["sequence_length"] * cell["repetitions"] + 2))
    markdown = (next(iter(paths.values())).parent / "reports" / "latest" / "report.md").read_text()
    assert "| model | parameters | current-token heads | right-token heads | total | share of all heads |" in markdown
    assert "| small |" in markdown and "12.5%" in markdown
    assert "| sequence_length | repetitions | T | chance 1/T |" in markdown


@pytest.mark.e2e
def test_size_claims_fail_when_counts_shrink(tmp_path):
    paths = build(tmp_path, SHRINKING)
    args = [arg for path in paths.values() for arg in ("--model", str(path))]
    result, report = run_claims(tmp_path, *args, "-k", SIZE_CLAIMS)
    found = outcomes(report)
    assert found[("C2-induction-heads-grow-with-size", None)] == "failed"
    assert found[("C3-induction-share-levels-off", None)] == "failed"
    record = next(r for r in report["claims"] if r["claim_id"].startswith("C2"))
    assert [row["total"]["mean"] for row in record["statistics"]["size_table"]] == [3, 1]


@pytest.mark.e2e
def test_model_comparisons_are_skipped_with_one_model(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-k", SIZE_CLAIMS)
    assert result.returncode == 0
    for record in report["claims"]:
        assert record["outcome"] == "skipped"
        assert "run with two or more chronos-t5 --model options" in record["reason"]


def test_identity_heads_score_one_over_repetitions_at_every_length(planted_dirs, load):
    loaded = load(planted_dirs("reference"))
    base = RRTSettings(batch_size=100, seed=0, n_resamples=200)
    cells = grid_counts(lambda many: [measure_rrt(loaded, s) for s in many], base, [2, 4, 6, 8, 10], [2, 4, 6, 8, 10], 0.3, 5)
    for cell in cells:
        # repeated tokens inside S add occurrences and pull the mean slightly below 1/repetitions
        assert cell["strongest_head"]["mean"] == pytest.approx(1 / cell["repetitions"], abs=0.015), cell
    from harness.stats import rank_trend

    threshold_trend = rank_trend([c["sequence_length"] for c in cells], [c["total"] for c in cells])
    assert threshold_trend["p_value"] >= 0.05  # the source's count does not rise with sequence length


@pytest.mark.e2e
def test_c6_neither_passes_nor_fails_on_identity_heads(planted_dirs, tmp_path):
    """The same count at every sequence length: no evidence for the finding, and none against it."""
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-k", "longer_sequences")
    [record] = report["claims"]
    assert (record["outcome"], record["reason_kind"]) == ("inconclusive", "straddles-bar")
    trend = record["statistics"]["threshold_count_trend"]
    assert trend["p_greater"] >= 0.05 and trend["p_less"] >= 0.05


def test_many_settings_in_shared_passes_score_as_one_at_a_time(planted_dirs, load):
    from dataclasses import replace

    import numpy as np

    from harness.chronos.induction import RRTSettings, measure_rrt_many

    loaded = load(planted_dirs("reference"))
    base = RRTSettings(batch_size=30, n_resamples=200)
    settings = [replace(base, sequence_length=length, repetitions=reps, seed=seed)
                for length, reps, seed in [(2, 4, 0), (4, 2, 1), (4, 2, 2), (10, 2, 0), (3, 3, 5)]]  # lengths 10, 10, 10, 22, 11
    for together, alone in zip(measure_rrt_many(loaded, settings), (measure_rrt(loaded, s) for s in settings)):
        assert together.inputs == alone.inputs
        for kind in ("current", "right"):
            np.testing.assert_allclose(getattr(together, kind).mean, getattr(alone, kind).mean, rtol=0, atol=1e-6)
            np.testing.assert_allclose(getattr(together, kind).ci_low, getattr(alone, kind).ci_low, rtol=0, atol=1e-6)
