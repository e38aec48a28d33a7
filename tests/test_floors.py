"""A quantified claim counts the drawn inputs it could not evaluate, by reason, and is inconclusive (never passed)
when it evaluated fewer than it needs, or when some evaluated inputs could not be decided and none failed."""

import json
import textwrap

import pytest

pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


pytest_plugins = ["pytester"]

REGISTRY = """
family: chronos-t5
claims:
  - id: Z1-every-drawn-number-is-small
    statement: Every drawn number below 100 is below 1000.
    source: a test of the harness
    parameters: {min_examples: 5}
    decision: Holds when every evaluated input is below 1000, over at least min_examples inputs; odd inputs are not evaluated, and inputs of UNDECIDED cannot be decided.
"""
MODULE = """
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from harness import verdict
from harness.claims import claim
from harness.settings import integer, parameter


@dataclass(frozen=True)
class Small:
    min_examples: int = parameter(3, integer(1), "inputs to evaluate")


Z1 = claim("Z1-every-drawn-number-is-small", Small)


@Z1.mark
@settings(max_examples=EXAMPLES, database=None)
@given(number=st.integers(0, 99))
def test_every_drawn_number_is_small(evidence, number):
    evidence.require_examples(Z1.settings.min_examples)
    if number % 2:
        evidence.not_evaluated("odd")
    evidence.decisive("largest evaluated number", max([number] + [e["number"] for e in evidence.examples]), chance=1000, null="the bound")
    decided = verdict.straddles() if number in UNDECIDED else verdict.passed() if number < 1000 else verdict.failed()
    evidence.example({"number": number}, decided, f"{number} is not below 1000")
"""


def run(pytester, examples: int, undecided=()) -> dict:
    (pytester.path / "registry.yaml").write_text(REGISTRY)
    module = textwrap.dedent(MODULE).replace("EXAMPLES", str(examples)).replace("UNDECIDED", repr(set(undecided) or "{-1}"))
    (pytester.path / "test_small.py").write_text(module.replace("'{-1}'", "{-1}"))
    result = pytester.runpytest_subprocess("--model", "planted:reference", "--reports-dir", "reports", "-p", "no:cacheprovider")
    [record] = json.loads((pytester.path / "reports" / "latest" / "report.json").read_text())["claims"]
    return result, record


def test_too_few_evaluated_inputs_make_a_passing_claim_inconclusive(pytester):
    result, record = run(pytester, examples=2)
    assert result.parseoutcomes() == {"inconclusive": 1}  # counted as inconclusive on the terminal, not as skipped
    assert (record["outcome"], record["reason_kind"]) == ("inconclusive", "floor:min-examples")
    statistics = record["statistics"]
    assert statistics["examples_evaluated"] < 5 and statistics["min_examples"] == 5
    assert record["reason"].startswith(f"evaluated {statistics['examples_evaluated']} drawn inputs, fewer than the 5 the claim needs")
    assert "odd" in record["reason"] or "not evaluated: none" in record["reason"]


def test_enough_evaluated_inputs_pass_and_the_dropped_ones_are_counted(pytester):
    result, record = run(pytester, examples=40)
    result.assert_outcomes(passed=1)
    assert (record["outcome"], record["reason_kind"]) == ("passed", "clears-bar")
    statistics = record["statistics"]
    assert statistics["examples_evaluated"] >= 5
    assert statistics["examples_not_evaluated"]["odd"] >= 1


def test_an_undecided_input_leaves_a_claim_with_no_failing_input_inconclusive(pytester):
    result, record = run(pytester, examples=40, undecided=range(0, 100, 4))
    assert result.parseoutcomes() == {"inconclusive": 1}  # counted as inconclusive on the terminal, not as skipped
    assert (record["outcome"], record["reason_kind"]) == ("inconclusive", "undecided-inputs")
    undecided = [e for e in record["statistics"]["examples"] if e["outcome"] == "inconclusive"]
    assert undecided and all(e["number"] % 4 == 0 and e["reason_kind"] == "straddles-bar" for e in undecided)
    assert record["statistics"]["examples_undecided"] == len(undecided)
