"""The detector must recover exactly the planted heads: precision = recall = 1, over many RRT seeds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.chronos.induction import RRTSettings, measure_rrt
from harness.chronos.planted import INDUCTION_KINDS, build_planted

SEEDS = range(10)


def truth(loaded) -> dict[str, set]:
    return {kind: {tuple(head) for head in loaded.planted["kinds"][kind]} for kind in INDUCTION_KINDS}


def precision_recall(found: set, planted: set) -> tuple[float, float]:
    true_positives = len(found & planted)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(planted) if planted else 1.0
    return precision, recall


@pytest.mark.parametrize("layout", ["reference", "swapped", "none"])
@pytest.mark.parametrize("seed", SEEDS)
def test_detector_finds_exactly_the_planted_heads(planted_dirs, load, layout, seed):
    loaded = load(planted_dirs(layout))
    found = measure_rrt(loaded, RRTSettings(seed=seed, n_resamples=500)).classify(0.3)
    for kind, planted in truth(loaded).items():
        assert precision_recall(set(found[kind]), planted) == (1.0, 1.0), (kind, found[kind], sorted(planted))


def test_layouts_carry_decoys_next_to_the_induction_positions(planted_dirs, load):
    # 'left' heads attend one position before each occurrence: an off-by-one detector would count them
    loaded = load(planted_dirs("none"))
    assert loaded.planted["kinds"]["left"] and loaded.planted["kinds"]["eos"]
    result = measure_rrt(loaded, RRTSettings(seed=0, n_resamples=500))
    for layer, head in loaded.planted["kinds"]["left"]:
        rows_before = result.current.mean[layer, head]
        assert rows_before < 0.05  # nothing at the current position; the weight sits one position earlier


@pytest.mark.parametrize("model_seed", [0, 1, 2])
@pytest.mark.parametrize("rrt_seed", [0, 5])
def test_random_initialisation_has_no_induction_heads(planted_dirs, load, model_seed, rrt_seed):
    result = measure_rrt(load(planted_dirs("random", seed=model_seed)), RRTSettings(seed=rrt_seed, n_resamples=500))
    assert result.classify(0.3) == {"current": [], "right": []}
    assert result.classify(0.3, by="mean") == {"current": [], "right": []}


@st.composite
def layouts(draw):
    layers, heads = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    kinds = draw(st.lists(st.sampled_from(["current", "right", "left", "eos", "uniform"]), min_size=layers * heads, max_size=layers * heads))
    grouped = {}
    for index, kind in enumerate(kinds):
        if kind != "uniform":
            grouped.setdefault(kind, []).append((index // heads, index % heads))
    return layers, heads, grouped


@given(layout=layouts(), rrt_seed=st.integers(0, 1000))
@settings(max_examples=8, deadline=None)
def test_any_layout_is_recovered(tmp_path_factory, layout, rrt_seed):
    from harness.models import load_model

    layers, heads, kinds = layout
    path = build_planted(tmp_path_factory.mktemp("layout"), layers, heads, kinds)
    found = measure_rrt(load_model(str(path), "cpu", "float32"), RRTSettings(seed=rrt_seed, n_resamples=300)).classify(0.3)
    for kind in INDUCTION_KINDS:
        assert set(found[kind]) == set(kinds.get(kind, []))
