import pytest


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


OPT_IN = {"throughput": "throughput benchmark: select with -m throughput (README, Performance)",
          "slow": "takes minutes: select with -m slow"}


def pytest_collection_modifyitems(config, items):
    """Benchmarks and slow tests run only when their marker is named in -m."""
    expression = config.option.markexpr or ""
    for item in items:
        for marker, reason in OPT_IN.items():
            if item.get_closest_marker(marker) and marker not in expression:
                item.add_marker(pytest.mark.skip(reason=reason))
