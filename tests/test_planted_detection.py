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


@pytest.mark.parametrize("shape", ["linear", "log"])
def test_distance_feature_weights_interpolate_h_exactly_at_the_knots(shape):
    import numpy as np

    from harness.chronos.planted import DISTANCE_KNOTS, distance_feature_weights

    knots, changes = distance_feature_weights(shape)
    d = np.arange(1, DISTANCE_KNOTS + 1)
    g = (changes[None, :] * np.maximum(knots[None, :] - 1 / d[:, None], 0.0)).sum(axis=1)
    expected = d - 1.0 if shape == "linear" else np.log(d)
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("layout, shape", [("recent", "linear"), ("early", "log")])
def test_the_encoder_writes_the_distance_from_eos(planted_dirs, load, layout, shape):
    import numpy as np
    import torch

    from harness.chronos.planted import DISTANCE_FEATURES

    loaded = load(planted_dirs(layout))
    length = 40
    ids = torch.tensor([[*np.random.default_rng(0).integers(1911, 2188, length - 1), 1]])
    with torch.no_grad():
        hidden = loaded.model.encoder(input_ids=ids).last_hidden_state[0, :, DISTANCE_FEATURES[shape]].numpy()
    d = length - 1 - np.arange(length - 1)  # distance from EOS; EOS itself excluded
    expected = d - 1.0 if shape == "linear" else np.log(d)
    # h(d) up to one positive factor. RMS norm scales the feature with the residual's norm, which is larger where the
    # next token is EOS (its flag) and at 1/d near the end, and smaller at position 0 (no previous token): so 10%
    inside = (d > 1) & (np.arange(length - 1) > 0)
    factor = hidden[:-1][inside] / expected[inside]
    assert factor.min() > 0 and factor.max() / factor.min() < 1.1, factor
    assert np.all(np.diff(hidden[1:-1]) < 0), "the feature grows with the distance from EOS"
