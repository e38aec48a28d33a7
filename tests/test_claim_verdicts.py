"""`pytest claims/` on planted layouts gives the verdicts the layouts imply, read from report.json."""

import json

import pytest

from claims_run import outcomes, run_claims
from harness.report.matrix import shorten

pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


SINGLE_MODEL_CLAIMS = ["C1-induction-heads-exist", "C4-induction-heads-are-almost-all-right-token", "C5-current-heads-precede-right-heads"]


@pytest.fixture(scope="module")
def three_layouts(planted_dirs, tmp_path_factory):
    paths = {name: planted_dirs(name) for name in ("reference", "swapped", "none")}
    args = [arg for path in paths.values() for arg in ("--model", str(path))]
    result, report = run_claims(tmp_path_factory.mktemp("verdicts"), *args, "-k", "rrt_induction and not across_inputs")
    assert report is not None, result.stdout + result.stderr
    return paths, result, report


EXPECTED = {
    # current-token heads early, right-token heads late: the published picture
    # (5 right-token of 9 induction heads: too few heads for "almost all" to clear its Wilson bound)
    "reference": {"C1-induction-heads-exist": "passed", "C4-induction-heads-are-almost-all-right-token": "inconclusive",
                  "C5-current-heads-precede-right-heads": "passed"},
    # the same heads, layers swapped: more current than right heads, and in the wrong order
    "swapped": {"C1-induction-heads-exist": "passed", "C4-induction-heads-are-almost-all-right-token": "failed",
                "C5-current-heads-precede-right-heads": "failed"},
    # decoys only: nothing to count or order
    "none": {"C1-induction-heads-exist": "failed", "C4-induction-heads-are-almost-all-right-token": "inconclusive",
             "C5-current-heads-precede-right-heads": "inconclusive"},
}


@pytest.mark.parametrize("layout", EXPECTED)
def test_verdicts_follow_the_planted_layout(three_layouts, layout):
    paths, _, report = three_layouts
    found = outcomes(report)
    for claim, outcome in EXPECTED[layout].items():
        assert found[(claim, paths[layout].name)] == outcome, (claim, layout)


def test_every_model_is_evaluated_and_described(three_layouts):
    paths, result, report = three_layouts
    assert result.returncode == 1  # some claims fail, so pytest fails
    assert report["status"] == "complete" and report["run"]["exit_status"] == 1
    assert set(report["models"]) == {path.name for path in paths.values()}
    for model in report["models"].values():
        assert (model["decoder_layers"], model["heads"], model["parameters"] > 0) == (6, 4, True)
    assert len(report["claims"]) == 3 * len(SINGLE_MODEL_CLAIMS)
    assert report["summary"] == {"passed": 3, "failed": 3, "inconclusive": 3, "error": 0, "skipped": 0}


def test_statistics_say_how_they_were_measured(three_layouts):
    paths, _, report = three_layouts
    for record in report["claims"]:
        measurement = record["statistics"]["measurement"]
        for key in ("model", "dtype", "device", "seed", "batch_size", "sequence_length", "repetitions", "token_range",
                    "confidence", "chance_level", "encoder_length"):
            assert key in measurement, (record["claim_id"], key)
        assert measurement["chance_level"] == pytest.approx(1 / 22)
        if record["outcome"] in ("passed", "failed"):  # a decided verdict stands beside its null
            decisive = record["statistics"]["decisive"]
            assert decisive["statistic"] and decisive["chance"] is not None and decisive["null"]
        assert record["parameters"]["threshold"] == 0.3
    c1 = next(r for r in report["claims"] if r["claim_id"] == "C1-induction-heads-exist" and r["model"] == paths["reference"].name)
    assert c1["statistics"]["counts"] == {"current": 4, "right": 5, "total_heads": 24}
    assert c1["statistics"]["counts_by_mean"] == {"current": 4, "right": 5}
    low, high = c1["statistics"]["strongest_head"]["ci"]
    assert low <= c1["statistics"]["strongest_head"]["mean"] <= high
    c5 = next(r for r in report["claims"] if r["claim_id"].startswith("C5") and r["model"] == paths["reference"].name)
    assert c5["statistics"]["mann_whitney"]["p_value"] < 0.05
    assert c5["statistics"]["mann_whitney"]["effect_probability_early_below_late"] == 1.0


def test_failures_and_inconclusive_verdicts_give_reasons(three_layouts):
    paths, _, report = three_layouts
    for record in report["claims"]:
        if record["outcome"] == "passed":
            assert record["reason"] is None
        else:
            assert record["reason"], record
    inconclusive = {r["claim_id"]: r["reason"] for r in report["claims"] if r["outcome"] == "inconclusive"}
    assert "0 current-token and 0 right-token heads" in inconclusive["C5-current-heads-precede-right-heads"]
    kinds = {(r["claim_id"], r["model"]): r["reason_kind"] for r in report["claims"]}
    assert kinds[("C4-induction-heads-are-almost-all-right-token", paths["none"].name)] == "floor:no-induction-heads"
    assert kinds[("C4-induction-heads-are-almost-all-right-token", paths["reference"].name)] == "floor:too-few-heads"
    assert kinds[("C5-current-heads-precede-right-heads", paths["none"].name)] == "floor:too-few-heads"


def test_quantified_claim_reports_the_shrunk_counterexample(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("none")), "-k", "across_inputs", "-vv")  # claims_run passes -q
    assert report is not None, result.stdout + result.stderr
    [record] = report["claims"]
    assert record["outcome"] == "failed"
    # Hypothesis shrinks towards the shortest sequence, fewest repetitions, seed 0 and the lowest tokens
    counterexample = record["counterexample"]
    assert (counterexample["sequence_length"], counterexample["repetitions"], counterexample["seed"]) == (6, 2, 0)
    assert counterexample["induction_heads"] == 0 and counterexample["heads_reaching_threshold"] == 0
    assert "claim did not hold: " in result.stdout and "no head can reach 0.3 at sl=6, rf=2, seed=0" in result.stdout
    assert "Counterexample (shrunk)" in (tmp_path / "reports" / "latest" / "report.md").read_text()


def test_the_terminal_ends_with_a_claims_by_models_matrix_and_no_line_per_failure(three_layouts):
    paths, result, report = three_layouts
    out = result.stdout
    matrix = out.split("its null on the line below", 1)[1].split("inconclusive, why", 1)[0].strip("= \n").splitlines()
    header, rows = matrix[0].split(), [line.split() for line in matrix[1:] if line.startswith("C")]
    assert header == ["claim", *[path.name for path in paths.values()]]
    assert matrix[1].strip() == "-- findings of the studies --"
    assert [row[0] for row in rows] == [shorten(claim, 40) for claim in SINGLE_MODEL_CLAIMS]  # registry order, long ids cut in the middle
    assert all(len(line) <= 120 for line in matrix)
    c1 = dict(zip(header[1:], " ".join(matrix[2].split()[1:]).replace("pass ", "pass:").replace("FAIL ", "FAIL:").split()))
    assert c1 == {paths["reference"].name: "pass:0.495", paths["swapped"].name: "pass:0.495", paths["none"].name: "FAIL:0.0455"}
    assert matrix[3].split() == ["null", "0.0455", "0.0455", "0.0455"]  # each decided value's null: chance 1/T
    assert "Traceback" not in out and "def test_" not in out  # a claim that did not hold is a measurement, not a crash
    assert "claim did not hold" not in out and "FAILED" not in out  # the matrix shows it; -v adds a line per failure
    undecided = {(r["claim_id"], r["model"]): r["reason_kind"].removeprefix("floor:") for r in report["claims"] if r["outcome"] == "inconclusive"}
    why = out.split("inconclusive, why", 1)[1].split("claims report:", 1)[0].splitlines()[1:]
    assert len(why) == len({claim for claim, _ in undecided})  # one line per claim with an inconclusive cell
    for (claim, model), kind in undecided.items():
        assert any(line.split()[0] == shorten(claim, len(line.split()[0])) and kind in line and model in line for line in why), (claim, model, kind)


def test_verbose_adds_a_line_per_failure_and_very_verbose_the_full_failure_text(planted_dirs, tmp_path):
    selected = ("--model", str(planted_dirs("none")), "-k", "test_induction_heads_exist and not across")
    verbose, _ = run_claims(tmp_path / "v", *selected, "-vv")  # claims_run passes -q
    assert verbose.stdout.count("claim did not hold: ") == 1 and "AssertionError" not in verbose.stdout
    very, _ = run_claims(tmp_path / "vv", *selected, "-vvv")
    assert "claim did not hold" not in very.stdout and "AssertionError" in very.stdout


def test_junit_xml_carries_each_verdict_and_its_deciding_statistic(planted_dirs, tmp_path):
    import xml.etree.ElementTree as ElementTree

    xml = tmp_path / "out.xml"
    run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-k", "test_induction_heads_exist and not across", f"--junitxml={xml}")
    [case] = [c for c in ElementTree.parse(xml).iter("testcase") if c.get("name").startswith("test_induction_heads_exist[")]
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {"claim": "C1-induction-heads-exist", "outcome": "passed", "decisive_statistic": "strongest head's score (current or right token)",
                          "decisive_value": properties["decisive_value"], "decisive_ci": properties["decisive_ci"],
                          "chance_level": properties["chance_level"]}
    assert float(properties["decisive_value"]) > 0.3 and len(json.loads(properties["decisive_ci"])) == 2
    assert abs(float(properties["chance_level"]) - 1 / 22) < 1e-9
