import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.chronos.induction import RRTSettings
from harness.errors import RegistryError
from harness.registry import load_registry, parse_registry
from harness.settings import min_heads, parse, threshold

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "claims" / "registry.yaml"


def entries() -> list[dict]:
    return yaml.safe_load(REGISTRY.read_text())["claims"]


def parse_entries(claims: list[dict]):
    return parse_registry(Path("registry.yaml"), yaml.safe_dump({"family": "chronos-t5", "claims": claims}))


def test_shipped_registry_is_valid_and_in_known_families():
    registry = load_registry(REGISTRY)
    assert registry
    for position, claim in enumerate(registry.values()):
        assert claim.label[0] in "CL" and claim.statement and claim.decision
        assert claim.family == ("causal-lm" if claim.label.startswith("L") else "chronos-t5")  # the primary family
        assert claim.position == position and claim.registry == REGISTRY
        # every shipped claim says whether it is a study's finding or this project's extension, and which null decides it
        assert claim.origin in ("finding", "extension") and claim.null_model, claim.id
        for outcome in ("passed", "failed", "inconclusive"):
            assert outcome in claim.decision.lower(), f"{claim.id}: the decision states when it passes, fails and is inconclusive"


def test_extensions_of_this_project_are_marked_apart_from_the_studies_findings():
    origins = {claim.id: claim.origin for claim in load_registry(REGISTRY).values()}
    assert {claim for claim, origin in origins.items() if origin == "extension"} >= {
        "C1-induction-heads-exist-across-inputs", "C9-alt-spectral-period-is-fundamental", "C12-induction-heads-drive-the-copy",
        "C13-induction-heads-carry-periodic-forecasts", "C14-prefix-matching-heads-in-the-encoder"}


@dataclass(frozen=True)
class HeadCount(RRTSettings):
    threshold: float = threshold()
    min_heads: int = min_heads()


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"threshold": 1.5}, "parameter 'threshold' = 1.5 must be a number strictly between 0 and 1"),
        ({"thresold": 0.3}, "unknown parameter 'thresold'; did you mean 'threshold'?"),
        ({"token_range": [0, 10]}, "parameter 'token_range' = [0, 10] must be [low, high]"),
        ({"token_range": [2, 5000]}, "parameter 'token_range' = [2, 5000] must be [low, high] integers with 2 <= low <= high <= 4095"),
        ({"batch_size": 0}, "parameter 'batch_size' = 0 must be an integer >= 2"),
        ({"sequence_length": "ten"}, "parameter 'sequence_length' = 'ten'"),
        ({"sequence_length": True}, "parameter 'sequence_length' = True must be an integer"),
        ({"n_resamples": 10}, "parameter 'n_resamples' = 10 must be an integer >= 100"),
    ],
)
def test_parameters_are_checked_against_the_claims_own_settings(parameters, message):
    with pytest.raises(RegistryError) as error:
        parse(HeadCount, parameters, "registry.yaml: entry 'C1-x'")
    assert str(error.value).startswith("registry.yaml: entry 'C1-x': ")
    assert message in str(error.value)


def test_settings_take_the_registry_values_and_keep_the_defaults():
    settings = parse(HeadCount, {"threshold": 0.4, "token_range": [10, 20]}, "entry")
    assert (settings.threshold, settings.token_range, settings.min_heads, settings.batch_size) == (0.4, (10, 20), 1, 100)
    assert hash(settings) == hash(parse(HeadCount, {"threshold": 0.4, "token_range": [10, 20]}, "entry"))  # keys the measurement cache


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e.update(thresold=0.3), "entry 'C1-induction-heads-exist': unknown key 'thresold'"),
        (lambda e: e.pop("statement"), "entry 'C1-induction-heads-exist': missing 'statement'"),
        (lambda e: e.update(id="induction heads exist"), "must start with its finding's label"),
        (lambda e: e.update(family="bert"), "family 'bert' is unknown"),
        (lambda e: e.update(statement="  "), "'statement' must be non-empty text"),
        (lambda e: e.update(origin="study"), "origin 'study' is unknown; use finding (one of the studies' findings) or extension"),
        (lambda e: e.update(null_model=""), "'null_model' must be non-empty text"),
    ],
)
def test_bad_entries_name_the_file_and_the_entry(change, message):
    claims = entries()
    change(claims[0])
    with pytest.raises(RegistryError) as error:
        parse_entries(claims)
    assert str(error.value).startswith("registry.yaml: ")
    assert message in str(error.value)


def test_an_entry_without_an_id_is_named_by_position():
    claims = entries()
    del claims[1]["id"]
    with pytest.raises(RegistryError, match=r"entry #2: missing 'id'"):
        parse_entries(claims)


def test_duplicate_ids_are_refused():
    claims = entries()
    with pytest.raises(RegistryError, match="appears twice"):
        parse_entries(claims + [claims[0]])


def test_malformed_yaml_names_the_line():
    with pytest.raises(RegistryError, match=r"registry.yaml: line 3: .*fix the YAML syntax"):
        parse_registry(Path("registry.yaml"), "claims:\n  - id: C1-x\n\tstatement: tab-indented\n")


def test_an_entry_without_a_family_needs_one_at_the_top():
    claims = [{key: value for key, value in entries()[0].items() if key != "family"}]
    with pytest.raises(RegistryError, match="entry 'C1-induction-heads-exist': no family; add `family:`"):
        parse_registry(Path("registry.yaml"), yaml.safe_dump({"claims": claims}))


def test_a_claim_runs_on_a_list_of_families_and_names_where_it_has_no_meaning():
    registry = load_registry(REGISTRY)
    assert registry["C1-induction-heads-exist"].families == ("chronos-t5", "chronos-bolt", "chronos-2")
    assert registry["C1-induction-heads-exist"].family == "chronos-t5"
    c8 = registry["C8-common-tokens-find-more-heads"]
    assert c8.families == ("chronos-t5",) and set(c8.not_applicable) == {"chronos-bolt", "chronos-2"}


@pytest.mark.parametrize("change, message", [
    ({"family": []}, "family is an empty list"),
    ({"family": ["chronos-t5", "chronos-t6"]}, "family 'chronos-t6' is unknown"),
    ({"family": ["chronos-t5", "chronos-t5"]}, "with a repeat"),
    ({"not_applicable": {"chronos-bolt": ""}}, "'not_applicable' must map family names to the reason"),
    ({"not_applicable": {"chronos-blot": "no tokens"}}, "family 'chronos-blot' is unknown"),
    ({"not_applicable": {"chronos-t5": "no tokens"}}, "chronos-t5 is both a family of the claim and not applicable"),
])
def test_bad_families_are_one_line(change, message):
    with pytest.raises(RegistryError, match=message):
        parse_entries([{**entries()[0], **change}])


def test_unknown_claim_id_suggests_the_closest():
    with pytest.raises(RegistryError, match="did you mean C1-induction-heads-exist"):
        load_registry(REGISTRY)["C1-induction-head-exist"]


@pytest.mark.e2e
def test_a_bad_registry_stops_pytest_with_one_line(tmp_path):
    claims_dir = tmp_path / "claims"
    shutil.copytree(ROOT / "claims", claims_dir, ignore=shutil.ignore_patterns("__pycache__"))
    text = (claims_dir / "registry.yaml").read_text().replace("threshold: 0.3, seed: 0, confidence: 0.95, n_resamples: 2000, min_heads: 1",
                                                              "thresold: 0.3, seed: 0, confidence: 0.95, n_resamples: 2000, min_heads: 1", 1)
    (claims_dir / "registry.yaml").write_text(text)
    result = subprocess.run([sys.executable, "-m", "pytest", str(claims_dir), "-p", "no:cacheprovider", "--no-report"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 4  # usage error: nothing ran
    assert "registry.yaml: entry 'C1-induction-heads-exist': unknown parameter 'thresold'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "ERROR collecting" not in result.stdout  # no frames before it


USER_REGISTRY = """
family: chronos-t5
claims:
  - id: X1-something-holds
    statement: Something holds.
    source: a test of the harness
    parameters: {threshold: 0.3, thresold: 0.2}
    decision: Passed when it holds; failed when it does not; inconclusive otherwise.
"""
USER_MODULE = """
from dataclasses import dataclass

from harness.claims import claim
from harness.settings import threshold


@dataclass(frozen=True)
class Settings:
    threshold: float = threshold()


X1 = claim("X1-something-holds", Settings)


@X1.mark
def test_something_holds(chronos, evidence):
    pass
"""


@pytest.mark.e2e
def test_a_mistake_in_a_users_own_claims_directory_is_one_line_too(tmp_path):
    (tmp_path / "registry.yaml").write_text(USER_REGISTRY)
    (tmp_path / "test_mine.py").write_text(USER_MODULE)
    result = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-p", "no:cacheprovider", "--model", "planted:reference"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 4
    assert result.stderr.strip() == (f"ERROR: {tmp_path / 'registry.yaml'}: entry 'X1-something-holds': unknown parameter 'thresold'; "
                                     "did you mean 'threshold'?")
    assert "ERROR collecting" not in result.stdout and "harness/settings.py" not in result.stdout
    assert not (tmp_path / "reports").exists()
