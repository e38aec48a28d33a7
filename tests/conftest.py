import functools
import os

import pytest

# Under pytest-xdist (`-n`), each worker and the claims runs it starts get an equal share of the cores: torch's default of
# one thread per core in every worker oversubscribes the CPU. Set before any test module imports torch.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))


@pytest.fixture(scope="session")
def planted_dirs(tmp_path_factory):
    """Named planted layouts, built once per test session: planted_dirs('reference') -> Path."""
    from harness.chronos.planted import build_named

    root = tmp_path_factory.mktemp("planted")
    built = {}

    def get(name: str, seed: int = 0):
        if (name, seed) not in built:
            built[(name, seed)] = build_named(name, root / f"{name}-{seed}", seed=seed)
        return built[(name, seed)]

    return get


@pytest.fixture
def small_kernel_pool(monkeypatch):
    """small_kernel_pool(training_module): that module's training draws KernelSynth windows from 8 Gaussian-process draws
    instead of 256 (about 25 s a seed to build), for tests of the training loop rather than of its data."""
    from harness.chronos.synthetic import SeriesSource

    return lambda module: monkeypatch.setattr(module, "SeriesSource", functools.partial(SeriesSource, kernel_pool_size=8))


@pytest.fixture(scope="session")
def load():
    from harness.models import load_model

    cache = {}

    def get(path, dtype="float32"):
        key = (str(path), dtype)
        if key not in cache:
            cache[key] = load_model(str(path), device="cpu", dtype=dtype)
        return cache[key]

    return get


BFLOAT16_SLOWDOWN_LIMIT = 3  # a CPU with no bfloat16 instructions emulates its matmuls, about 100x slower than float32


@pytest.fixture(scope="session")
def bfloat16_at_speed():
    """Skips a test that runs models in bfloat16 on a CPU that emulates it, where it would take hours, with the rates."""
    from harness.checkpoints import cache_dir
    from harness.hardware import cpu_bf16_measurement

    rates = cpu_bf16_measurement(cache_dir())
    if rates["bfloat16"] * BFLOAT16_SLOWDOWN_LIMIT < rates["float32"]:
        pytest.skip(f"bfloat16 matmul runs at {rates['bfloat16']} GFLOP/s on this CPU against {rates['float32']} in float32 "
                    f"(more than {BFLOAT16_SLOWDOWN_LIMIT}x slower): no bfloat16 instructions")


OPT_IN = {"throughput": "throughput benchmark: select with -m throughput (README, Performance)",
          "slow": "takes minutes: select with -m slow"}


def pytest_collection_modifyitems(config, items):
    """Benchmarks and slow tests run only when their marker is named in -m."""
    expression = config.option.markexpr or ""
    for item in items:
        for marker, reason in OPT_IN.items():
            if item.get_closest_marker(marker) and marker not in expression:
                item.add_marker(pytest.mark.skip(reason=reason))
