"""The README's "Writing a claim" example, copied verbatim into a directory outside the checkout and run there with
the installed plugin, as a user with claims in their own repository would."""

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def guide_blocks() -> tuple[str, str]:
    section = (ROOT / "README.md").read_text().split("\n## Writing a claim\n", 1)[1].split("\n## ", 1)[0]
    [registry] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    [module] = re.findall(r"```python\n(.*?)```", section, re.S)
    return registry, module


def test_the_guide_is_a_working_claim_outside_the_checkout(pytester, tmp_path_factory, monkeypatch):
    registry, module = guide_blocks()
    (pytester.path / "registry.yaml").write_text(registry)
    (pytester.path / "test_spreading.py").write_text(module)
    assert ROOT not in pytester.path.parents and not (pytester.path / "claims").exists()
    monkeypatch.setenv("CHRONOS_CLAIMS_CACHE", str(tmp_path_factory.getbasetemp() / "planted-cache"))
    result = pytester.runpytest_subprocess("--model", "planted:reference", "--model", "planted:none", "--device", "cpu",
                                           "--dtype", "float32", "--reports-dir", "reports", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 1, "inconclusive": 1}  # the terminal counts inconclusive apart from skipped
    report = json.loads((pytester.path / "reports" / "latest" / "report.json").read_text())
    outcomes = {record["model"]: record for record in report["claims"]}
    assert {model: record["outcome"] for model, record in outcomes.items()} == {"planted:reference": "passed", "planted:none": "inconclusive"}
    passed = outcomes["planted:reference"]
    assert passed["claim_id"] == "X1-induction-heads-spread-over-earlier-occurrences" and passed["registry"].endswith("registry.yaml")
    decisive = passed["statistics"]["decisive"]
    low, high = decisive["ci"]
    assert low <= decisive["value"] <= high and decisive["value"] >= 0.5 and 0 < decisive["chance"] < 1
    assert passed["statistics"]["examples_evaluated"] == len(passed["statistics"]["examples"]) >= 2
    assert [figure["kind"] for figure in passed["figures"]] == ["heatmaps"]
    assert "no right-token head" in outcomes["planted:none"]["reason"]
    assert (pytester.path / "reports" / "latest" / "report.html").is_file()
