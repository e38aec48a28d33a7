"""Time to verdict (pytest-benchmark): a whole `pytest claims/` run on a random-init checkpoint of a published shape.

Run:  pytest tests/benchmarks -m throughput -k suite --benchmark-json out.json
Sizes: tiny on CPU by default; CHRONOS_SUITE_SIZES=tiny,small,base (or a GPU: tiny..large) for more.
"""

import os

import pytest

from claims_run import ROOT
from harness.chronos import bench

pytestmark = pytest.mark.throughput


def suite_sizes() -> list[str]:
    import torch

    if os.environ.get("CHRONOS_SUITE_SIZES"):
        return [s.strip() for s in os.environ["CHRONOS_SUITE_SIZES"].split(",")]
    return list(bench.SIZES) if torch.cuda.is_available() else ["tiny"]


@pytest.mark.parametrize("size", suite_sizes())
def test_time_to_verdict(benchmark, size):
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    benchmark.group = f"suite-{device}"
    row = benchmark.pedantic(bench.run_suite, args=(size, ROOT / "claims", "float32", device), rounds=1, iterations=1)
    benchmark.extra_info.update(wall_s=row["wall_s"], columns_s=row["columns_s"], claims_s=row["claims_s"], outcomes=row["outcomes"])
    assert row["outcomes"] and "error" not in row["outcomes"].values(), row["outcomes"]
