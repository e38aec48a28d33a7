"""Families are plugins: a family installed by another package (an entry point in the chronos_claims.families
group) is read like this package's own, with no line of the core changed."""

import json
import textwrap

import pytest

from harness.family import Family
from harness.models import FAMILIES, FAMILY_GROUP

pytest_plugins = ["pytester"]

TOY_FAMILY = '''
from pathlib import Path

from harness.family import Family


def recognises(config):
    return config.get("model_type") == "toy-scaler"


def load(path, config, device, dtype):
    import torch
    from safetensors.torch import load_file

    model = torch.nn.Linear(2, 2)
    model.load_state_dict(load_file(str(Path(path) / "model.safetensors")))
    return model.eval(), {"d_model": 2, "encoder_layers": 0, "decoder_layers": 1, "heads": 1, "context_length": 2, "vocab_size": 0}


def build_planted(name, cache):
    import torch
    from safetensors.torch import save_file

    out = Path(cache) / f"toy-{name}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text('{"model_type": "toy-scaler"}')
    save_file({"weight": torch.eye(2) * {"triple": 3.0, "half": 0.5}[name], "bias": torch.zeros(2)}, str(out / "model.safetensors"))
    return out


FAMILY = Family(name="toy", fixture="toy", reads="a toy scaler (config.json model_type toy-scaler)", recognises=recognises,
                check_config=lambda config, path: None, load=load, planted_layouts=("triple", "half"), build_planted=build_planted,
                zoo=lambda: None)
'''

REGISTRY = """
family: toy
claims:
  - id: T1-the-toy-amplifies
    statement: The toy model maps a vector to a longer one.
    source: a test of the harness
    origin: extension
    null_model: a gain of 1, a map that keeps lengths
    parameters: {bar: 1.0}
    decision: Passes when the gain clears the bar, fails when it is below it.
"""

MODULE = """
from dataclasses import dataclass

import torch

from harness import verdict
from harness.claims import claim
from harness.settings import parameter, positive


@dataclass(frozen=True)
class Gain:
    bar: float = parameter(1.0, positive, "the gain to clear")


T1 = claim("T1-the-toy-amplifies", Gain)


@T1.mark
def test_the_toy_amplifies(toy, evidence):
    with torch.no_grad():
        gain = float(toy.model(torch.ones(1, 2)).norm() / torch.ones(2).norm())
    evidence.decisive("gain", gain, ci=(gain, gain), chance=1.0, null="a map that keeps lengths")
    evidence.conclude(verdict.against_bar(gain, gain, T1.settings.bar), f"{toy.name}: gain {gain:.3g} against the bar {T1.settings.bar}")
"""


def install(site, name: str, module: str, entry: str) -> None:
    """What pip leaves on sys.path for a package with one entry point: the module and its dist-info."""
    (site / f"{name}.py").write_text(module)
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{FAMILY_GROUP}]\n{entry}\n")


def test_this_packages_families_are_registered_through_the_entry_point_group():
    assert set(FAMILIES) == {"chronos-t5", "chronos-bolt", "chronos-2", "causal-lm"}
    assert all(isinstance(family, Family) and family.name == name for name, family in FAMILIES.items())


@pytest.mark.e2e
def test_a_family_installed_by_another_package_gets_its_fixture_its_planted_models_and_verdicts(pytester, monkeypatch, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    install(site, "toy_family", TOY_FAMILY, "toy = toy_family:FAMILY")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("CHRONOS_CLAIMS_CACHE", str(tmp_path / "cache"))
    (pytester.path / "registry.yaml").write_text(textwrap.dedent(REGISTRY))
    (pytester.path / "test_toy.py").write_text(MODULE)
    result = pytester.runpytest_subprocess("--model", "planted:triple", "--model", "planted:half", "--device", "cpu", "--dtype", "float32",
                                           "--reports-dir", "reports", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}, result.stdout.str()
    report = json.loads((pytester.path / "reports" / "latest" / "report.json").read_text())
    assert {record["model"]: record["outcome"] for record in report["claims"]} == {"planted:triple": "passed", "planted:half": "failed"}
    assert {label: model["family"] for label, model in report["models"].items()} == {"planted:triple": "toy", "planted:half": "toy"}


@pytest.mark.e2e
def test_an_entry_point_that_names_no_family_is_one_line(pytester, monkeypatch, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    install(site, "not_a_family", "FAMILY = 'toy'\n", "toy = not_a_family:FAMILY")
    monkeypatch.setenv("PYTHONPATH", str(site))
    result = pytester.runpytest_subprocess("--co", "-p", "no:cacheprovider")
    assert "the entry point toy = not_a_family:FAMILY in chronos_claims.families does not name a harness.family.Family" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
