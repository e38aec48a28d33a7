"""Memory-bounded measurements: batches are chunked to fit a budget, with the same scores, and a batch whose inputs and
kept attention rows cannot fit is refused up front, in one line, before anything is allocated."""

import subprocess
import sys

import numpy as np
import pytest

from harness.chronos.induction import RRTSettings, measure_rrt, rrt_chunk_size
from harness.errors import HarnessError
from harness.memory import budget_bytes, parse_size


def test_a_small_budget_chunks_the_batch_and_changes_no_score(planted_dirs, load):
    loaded = load(planted_dirs("reference"))
    settings = RRTSettings(batch_size=60, n_resamples=200)
    assert rrt_chunk_size(loaded, settings, "3MB") < 60 == rrt_chunk_size(loaded, settings)
    chunked, whole = measure_rrt(loaded, settings, max_memory="3MB"), measure_rrt(loaded, settings)
    for kind in ("current", "right"):
        np.testing.assert_allclose(getattr(chunked, kind).mean, getattr(whole, kind).mean, rtol=0, atol=1e-6)
        np.testing.assert_allclose(getattr(chunked, kind).ci_low, getattr(whole, kind).ci_low, rtol=0, atol=1e-6)


@pytest.mark.e2e
def test_a_batch_far_beyond_memory_is_refused_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness.cli", "mosaic", "--model", "planted:reference", "--batch-size", "100000000",
                             "--device", "cpu"], capture_output=True, text=True, timeout=120, env={"CHRONOS_CLAIMS_CACHE": str(tmp_path),
                                                                                                     "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "a batch of 100,000,000 needs" in line and "use a batch of at most" in line and "Traceback" not in result.stderr


def test_a_budget_below_the_kept_rows_is_refused(planted_dirs, load):
    with pytest.raises(HarnessError, match="more than the memory budget"):
        rrt_chunk_size(load(planted_dirs("reference")), RRTSettings(batch_size=1000), "100KB")


@pytest.mark.parametrize("text, size", [("4GB", 4 * 2**30), ("512 MB", 512 * 2**20), ("2000", 2000), ("1.5g", int(1.5 * 2**30))])
def test_sizes_parse(text, size):
    assert parse_size(text) == size


def test_a_bad_size_names_the_fix():
    with pytest.raises(HarnessError, match="write it like 4GB"):
        parse_size("lots")
    assert budget_bytes() > 0


@pytest.mark.e2e
def test_pytest_claims_takes_a_memory_budget_and_a_refusal_is_one_line_not_a_traceback(tmp_path):
    from claims_run import run_claims

    result, report = run_claims(tmp_path, "--model", "planted:reference", "-k", "induction_heads_exist and not across", "--max-memory", "10KB")
    (record,) = report["claims"]
    assert record["outcome"] == "error" and "more than the memory budget of 10 KB" in record["reason"]
    assert "cannot measure: RRT on planted:reference" in result.stdout and "Traceback" not in result.stdout
    _, report = run_claims(tmp_path / "fits", "--model", "planted:reference", "-k", "induction_heads_exist and not across",
                           "--max-memory", "3MB", "--dtype", "float32")
    assert report["claims"][0]["outcome"] == "passed"
