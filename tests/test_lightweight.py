"""Nothing heavy before it is needed: importing the plugin and collecting claims load neither torch nor transformers,
and the bfloat16 probe runs only when a model is loaded with --dtype auto."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # every test here starts a whole claims run or another process


ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers")
PROBE = '''
import sys

def pytest_collection_finish(session):
    print("HEAVY MODULES:", sorted(m for m in ("torch", "transformers") if m in sys.modules))

def pytest_sessionfinish(session):
    print("HEAVY AT THE END:", sorted(m for m in ("torch", "transformers") if m in sys.modules))
'''


def run_pytest(tmp_path, *args):
    (tmp_path / "heavy_probe.py").write_text(PROBE)
    env = {"PYTHONPATH": str(tmp_path), "CHRONOS_CLAIMS_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "heavy_probe", "-p", "no:cacheprovider", "-q"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def test_importing_the_plugin_loads_no_torch():
    code = "import sys, harness.plugin, harness.claims, harness.models; print(sorted(m for m in %r if m in sys.modules))" % (HEAVY,)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_collecting_the_claims_loads_no_torch_and_probes_nothing(tmp_path):
    result = run_pytest(tmp_path, "claims/", "--collect-only", "--no-report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HEAVY MODULES: []" in result.stdout
    assert not (tmp_path / "cache" / "hardware.json").exists()  # --dtype auto measures only when a model is loaded


def test_the_registry_tests_never_import_torch(tmp_path):
    result = run_pytest(tmp_path, "tests/test_registry.py", "-k", "not stops_pytest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HEAVY AT THE END: []" in result.stdout
