import pytest


@pytest.fixture(scope="session")
def planted_dirs(tmp_path_factory):
    """Named planted layouts, built once per test session: planted_dirs('reference') -> Path."""
    from harness.planted import build_named

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
