"""Multisine claims on planted models whose heads read the series value (spectral period = fundamental)."""

import pytest
from hypothesis import given, settings

from claims_run import outcomes, run_claims
from generators.chronos.multisine import REFERENCE_EXAMPLE
from generators.chronos.strategies import multisines
from generators.patches.strategies import patch_multisines


@pytest.fixture(scope="module")
def multisine_run(planted_dirs, tmp_path_factory):
    root = tmp_path_factory.mktemp("multisine")
    path = planted_dirs("multisine")
    # a budget no CI machine reaches, so the shrink goes as far as Hypothesis would take it (3.9 s here)
    result, report = run_claims(root, "--model", str(path), "-k", "test_multisine", env={"CHRONOS_SHRINK_BUDGET_S": "600"})
    assert report is not None, result.stdout + result.stderr
    return path, root, report


def record(report, claim_id):
    return next(r for r in report["claims"] if r["claim_id"] == claim_id)


@pytest.mark.e2e
def test_all_multisine_verdicts_land_with_statistics(multisine_run):
    path, _, report = multisine_run
    found = outcomes(report)
    for claim_id in ("C9-spectral-period-is-smallest-gap", "C9-alt-spectral-period-is-fundamental",
                     "C10-attention-spectra-peak-at-signal-frequencies", "C11-induction-heads-carry-largest-spectral-amplitude"):
        assert (claim_id, path.name) in found
        statistics = record(report, claim_id)["statistics"]
        assert "bin_width_hz" in statistics["measurement"]
        if record(report, claim_id)["outcome"] in ("passed", "failed"):
            assert statistics["decisive"]["statistic"] and statistics["decisive"]["chance"] is not None


@pytest.mark.e2e
def test_the_study_example_is_always_evaluated(multisine_run):
    _, _, report = multisine_run
    for claim_id in ("C9-spectral-period-is-smallest-gap", "C9-alt-spectral-period-is-fundamental"):
        evaluated = record(report, claim_id)["statistics"]["examples"]
        reference = [e for e in evaluated if e["frequencies"] == list(REFERENCE_EXAMPLE.frequencies) and e["steps"] == 301]
        assert reference, claim_id
        # value-reading heads: every head with spectral energy repeats every 5 Hz on the study's example
        assert reference[0]["share_matching"] == 1.0 and reference[0]["measured_most_common_period_hz"] == pytest.approx(5.0)


@pytest.mark.e2e
def test_smallest_gap_claim_fails_with_a_shrunk_counterexample_where_gap_and_fundamental_differ(multisine_run):
    _, root, report = multisine_run
    c9 = record(report, "C9-spectral-period-is-smallest-gap")
    assert c9["outcome"] == "failed"
    counterexample = c9["counterexample"]
    assert counterexample["smallest_gap_hz"] != counterexample["fundamental_hz"]
    assert counterexample["measured_most_common_period_hz"] == pytest.approx(counterexample["fundamental_hz"], abs=1 / 3)
    assert len(counterexample["frequencies"]) == 2 and counterexample["steps"] == 201  # shrunk to the simplest such input
    assert "Counterexample (shrunk)" in (root / "reports" / "latest" / "report.md").read_text()


@given(multisines((2, 5), (201, 512)))
@settings(max_examples=50)
def test_drawn_multisines_respect_their_bounds(signal):
    sampling_rate = signal.steps / signal.t1
    assert 2 <= len(signal.frequencies) <= 5 and 201 <= signal.steps <= 512
    assert max(signal.frequencies) < sampling_rate / 4 and len(set(signal.frequencies)) == len(signal.frequencies)
    assert all(0.25 <= a <= 1.0 for a in signal.amplitudes)


@given(patch_multisines((2, 5), (256, 512)))
@settings(max_examples=50)
def test_drawn_patch_multisines_are_whole_patches_below_a_quarter_of_the_patch_rate(signal):
    patches = signal.steps // 16
    assert signal.steps % 16 == 0 and 16 <= patches <= 32 and signal.t1 == 2.0
    assert max(signal.frequencies) <= patches / signal.t1 / 4 and len(set(signal.frequencies)) == len(signal.frequencies) >= 2


@pytest.mark.parametrize("arguments, fragment", [(((2, 5), (100, 110), 3.0), "no whole number of patches of 16"),
                                                  (((3, 5), (64, 128), 3.0), "4 attention positions")])
def test_a_patch_multisine_strategy_that_cannot_draw_is_refused_when_built(arguments, fragment):
    with pytest.raises(ValueError, match=fragment):
        multisines(*arguments, patch_size=16)


@given(multisines((2, 5), (201, 512), progression=True))
@settings(max_examples=50)
def test_drawn_progressions_have_the_lowest_frequency_as_fundamental_and_repeat_at_the_gap(signal):
    from harness.chronos import spectrum

    frequencies = signal.frequencies
    assert 2 <= len(frequencies) <= 5 and max(frequencies) < signal.steps / signal.t1 / 4
    gaps = {b - a for a, b in zip(frequencies, frequencies[1:])}
    assert len(gaps) == 1 and spectrum.fundamental(frequencies, 1 / signal.t1) == frequencies[0]


def test_a_permuted_multisine_keeps_its_values_in_another_order():
    permuted = REFERENCE_EXAMPLE.permuted(0)
    assert sorted(permuted.values()) == pytest.approx(sorted(REFERENCE_EXAMPLE.values()))
    assert permuted.values() != pytest.approx(REFERENCE_EXAMPLE.values()) and permuted.describe()["shuffle_seed"] == 0
