"""Forward-pass throughput benchmarks (pytest-benchmark): plain sdpa vs the harness's capture vs the study's generate.

Run:      pytest tests/benchmarks -m throughput --benchmark-json out.json
Compare:  pytest tests/benchmarks -m throughput --benchmark-compare
base and large run on CUDA, or on CPU when CHRONOS_BENCH_SIZES names them (e.g. tiny,small,base).
"""

import os

import pytest

from harness.chronos import bench

pytestmark = pytest.mark.throughput


def selected_sizes() -> list[str]:
    import torch

    if os.environ.get("CHRONOS_BENCH_SIZES"):
        return [s.strip() for s in os.environ["CHRONOS_BENCH_SIZES"].split(",")]
    return list(bench.SIZES) if torch.cuda.is_available() else ["tiny", "mini", "small"]


@pytest.fixture(scope="module")
def models():
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    cache = {}

    def get(size, dtype):
        if (size, dtype) not in cache:
            cache.clear()  # one model at a time: base and large are large
            cache[(size, dtype)] = bench.make_model(size, dtype, device)
        return cache[(size, dtype)], device

    return get


@pytest.mark.parametrize("dtype", bench.DTYPES)
@pytest.mark.parametrize("input_name", list(bench.INPUTS))
@pytest.mark.parametrize("size", selected_sizes())
@pytest.mark.parametrize("path", bench.PATHS)
def test_forward(benchmark, models, path, size, input_name, dtype):
    from harness.chronos import capture

    model, device = models(size, dtype)
    inputs = bench.make_input(input_name, device)
    if path == "capture":
        capture.prepare(model)
    benchmark.group = f"{size}-{input_name}-{dtype}"
    flops = bench.count_flops(path, model, inputs)
    result = benchmark.pedantic(bench.run_path, args=(path, model, inputs), rounds=3, warmup_rounds=1, iterations=1)
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(batch=inputs.batch, tokens=inputs.tokens, gflops=flops / 1e9, device=device,
                                sequences_per_s=inputs.batch / median, tokens_per_s=inputs.tokens / median, gflop_per_s=flops / median / 1e9)
    assert result is not None
