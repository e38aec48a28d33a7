import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.errors import RegistryError
from harness.registry import PARAMETERS, load_registry, parse_registry

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "claims" / "registry.yaml"


def entries() -> list[dict]:
    return yaml.safe_load(REGISTRY.read_text())["claims"]


def parse(claims: list[dict]):
    return parse_registry(Path("registry.yaml"), yaml.safe_dump({"claims": claims}))


def test_shipped_registry_is_valid_and_labelled():
    registry = load_registry(REGISTRY)
    assert registry
    for claim in registry.values():
        assert claim.label[0] in "CL" and claim.statement and claim.decision
        assert set(claim.parameters) <= set(PARAMETERS)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e.update(thresold=0.3), "entry 'C1-induction-heads-exist': unknown key 'thresold'"),
        (lambda e: e.pop("statement"), "entry 'C1-induction-heads-exist': missing 'statement'"),
        (lambda e: e["parameters"].update(threshold=1.5), "parameter 'threshold' = 1.5 must be a number strictly between 0 and 1"),
        (lambda e: e["parameters"].update(thresold=0.3), "unknown parameter 'thresold'; did you mean 'threshold'?"),
        (lambda e: e["parameters"].update(token_range=[0, 10]), "parameter 'token_range' = [0, 10] must be [low, high]"),
        (lambda e: e["parameters"].update(batch_size=0), "parameter 'batch_size' = 0 must be an integer >= 2"),
        (lambda e: e["parameters"].update(sequence_length="ten"), "parameter 'sequence_length' = 'ten'"),
        (lambda e: e.update(id="induction heads exist"), "must start with its finding's label"),
        (lambda e: e.update(family="bert"), "family 'bert' is unknown"),
        (lambda e: e.update(statement="  "), "'statement' must be non-empty text"),
    ],
)
def test_bad_entries_name_the_file_and_the_entry(change, message):
    claims = entries()
    change(claims[0])
    with pytest.raises(RegistryError) as error:
        parse(claims)
    assert str(error.value).startswith("registry.yaml: ")
    assert message in str(error.value)


def test_an_entry_without_an_id_is_named_by_position():
    claims = entries()
    del claims[1]["id"]
    with pytest.raises(RegistryError, match=r"entry #2: missing 'id'"):
        parse(claims)


def test_duplicate_ids_are_refused():
    claims = entries()
    with pytest.raises(RegistryError, match="appears twice"):
        parse(claims + [claims[0]])


def test_malformed_yaml_names_the_line():
    with pytest.raises(RegistryError, match=r"registry.yaml: line 3: .*fix the YAML syntax"):
        parse_registry(Path("registry.yaml"), "claims:\n  - id: C1-x\n\tstatement: tab-indented\n")


def test_unknown_claim_id_suggests_the_closest():
    with pytest.raises(RegistryError, match="did you mean C1-induction-heads-exist"):
        load_registry(REGISTRY)["C1-induction-head-exist"]


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
    assert "Traceback" not in result.stderr + result.stdout
