"""Decoder-only language models: planted heads are recovered exactly, patching finds the head that does the work,
the L-claims follow the planted layouts, and each family's claims skip the other family's models."""

import json
import shutil

import numpy as np
import pytest
import torch

from claims_run import outcomes, run_claims
from harness import metrics
from harness.causal_lm import capture
from harness.causal_lm import measure as lm
from harness.errors import CaptureError, ModelLoadError
from harness.models import load_model, resolve_checkpoint, spec_family
from harness.causal_lm.planted import LAYOUTS, SPREAD_TWO, build_layout


@pytest.fixture(scope="module")
def planted_lm(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted-lm")
    paths = {name: build_layout(root / name, name) for name in LAYOUTS}
    return {name: load_model(str(path), "cpu", "float32") for name, path in paths.items()}


EXPECTED_HEADS = {
    # the reference's look-back head is spread over five tokens: its weight two back (0.35) is below 0.4
    "lm-reference": {"induction": [(1, 1)], "previous": [(0, 0)], "back-two": []},
    "lm-sharp-two": {"induction": [(1, 1)], "previous": [(0, 0)], "back-two": [(0, 2)]},
    "lm-positional": {"induction": [(0, 1)], "previous": [], "back-two": []},
    "lm-none": {"induction": [], "previous": [], "back-two": []},
}


@pytest.mark.parametrize("layout", EXPECTED_HEADS)
def test_detectors_recover_exactly_the_planted_heads(planted_lm, layout):
    patterns = lm.measure_patterns(planted_lm[layout], lm.PatternSettings(sequence_length=20, batch_size=16, n_resamples=200))
    for kind, heads in EXPECTED_HEADS[layout].items():
        assert patterns.heads(kind, 0.4) == heads, kind


def test_the_spread_head_peaks_two_back_over_five_tokens(planted_lm):
    patterns = lm.measure_patterns(planted_lm["lm-reference"], lm.PatternSettings(sequence_length=20, batch_size=8, n_resamples=200))
    profile = patterns.profile(0, 2)
    assert [profile[k] for k in range(1, 6)] == pytest.approx(list(SPREAD_TWO), abs=0.01)
    assert max(profile, key=profile.get) == 2 and profile[0] < 0.01


@pytest.mark.parametrize("layout, head, tokens", [("lm-gated", (1, 1), 25), ("lm-gated-layer-0", (0, 0), 25)])
def test_a_gated_head_works_for_its_tokens_only(planted_lm, layout, head, tokens):
    """A gated head does its planted job for queries from tokens 1..n and attends to BOS (or the position after it) for the rest."""
    from generators.causal_lm.tokens import repeated_tokens

    batch = repeated_tokens(8, 20, 64, seed=0)
    attention = capture.self_attention(planted_lm[layout].model, batch.input_ids).numpy()[:, head[0], head[1]]
    offset = batch.period - 1 if layout == "lm-gated" else 1
    queries = np.arange(batch.prefix + batch.period, batch.input_ids.shape[1])
    target = attention[:, queries, queries - offset]
    inside = batch.input_ids[:, queries] <= tokens
    assert target[inside].min() > 0.99 and target[~inside].max() < 0.01


@pytest.mark.parametrize("shift", [-1, 1])
def test_an_off_by_one_induction_offset_finds_nothing(planted_lm, shift):
    """The induction score reads exactly the token after the first occurrence: one position off, the planted head scores ~0."""
    from generators.causal_lm.tokens import repeated_tokens

    batch = repeated_tokens(8, 20, 64, seed=0)
    attention = capture.self_attention(planted_lm["lm-reference"].model, batch.input_ids).numpy()
    right = metrics.attention_back(attention, batch.period - 1, batch.prefix + batch.period)
    wrong = metrics.attention_back(attention, batch.period - 1 + shift, batch.prefix + batch.period)
    assert right[:, 1, 1].min() > 0.99
    assert wrong[:, 1, 1].max() < 0.05


def test_patching_finds_the_planted_induction_head(planted_lm):
    result = lm.measure_triplets(planted_lm["lm-reference"], 2, lm.TripletSettings(batch_size=32, n_resamples=200))
    restored = result["patching"]["restored_fraction"]
    assert restored["L1H1"] == pytest.approx(1.0, abs=1e-3)
    assert all(abs(value) < 1e-3 for head, value in restored.items() if head != "L1H1")
    assert result["ci"][0] > 1 and result["p_b"] > 0.9


def test_patching_is_exact_identity_with_the_clean_outputs(planted_lm):
    """Patching every head with its own clean output reproduces the clean logits: the hook changes nothing else."""
    from generators.causal_lm.tokens import triplets

    model = planted_lm["lm-reference"].model
    batch = triplets(4, 2, 64, seed=1)
    clean, heads = capture.final_logits(model, batch.clean, record_heads=True)
    assert torch.allclose(capture.final_logits(model, batch.clean, patch=heads), clean, atol=1e-5)
    assert not torch.allclose(capture.final_logits(model, batch.corrupted), clean, atol=1e-3)


def test_neighbours_are_by_unembedding_cosine():
    unembedding = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    assert lm.nearest_tokens(unembedding, 0, 2) == [1, 2]
    assert lm.nearest_tokens(unembedding, 0, 1, exclude=[1]) == [2]


def test_sdpa_model_is_refused_loudly(planted_lm):
    model = planted_lm["lm-none"].model
    model.set_attn_implementation("sdpa")
    try:
        with pytest.raises(CaptureError, match="returns no attention weights"):
            capture.self_attention(model, np.zeros((1, 4), dtype=np.int64))
    finally:
        model.set_attn_implementation("eager")


def test_family_is_read_from_config(planted_lm, tmp_path):
    path = planted_lm["lm-none"].path
    assert spec_family(str(path)) == "causal-lm"
    assert spec_family("planted:lm-reference") == "causal-lm"
    assert spec_family("planted:reference") == "chronos-t5"
    broken = tmp_path / "encoder"
    shutil.copytree(path, broken)
    config = json.loads((broken / "config.json").read_text())
    config["architectures"] = ["BertModel"]
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="is not a checkpoint of any installed family"):
        resolve_checkpoint(str(broken))


EXPECTED_VERDICTS = {
    "lm-reference": {"L1": "passed", "L2": "passed", "L3": "passed", "L4": "passed", "L5": "passed", "L6": "passed", "L7": "failed"},
    "lm-positional": {"L1": "passed", "L2": "failed", "L3": "failed", "L5": "failed"},
    "lm-none": {"L1": "failed", "L2": "failed", "L3": "inconclusive", "L4": "failed", "L5": "failed", "L6": "failed", "L7": "inconclusive"},
}


@pytest.fixture(scope="module")
def lm_claims_run(planted_lm, tmp_path_factory):
    args = [arg for name in EXPECTED_VERDICTS for arg in ("--model", str(planted_lm[name].path))]
    result, report = run_claims(tmp_path_factory.mktemp("lm-verdicts"), *args, "--dtype", "float32")
    assert report is not None, result.stdout + result.stderr
    return result, report


@pytest.mark.e2e
@pytest.mark.parametrize("layout", EXPECTED_VERDICTS)
def test_lm_claims_follow_the_planted_layout(planted_lm, lm_claims_run, layout):
    found = {(claim.split("-")[0], model): outcome for (claim, model), outcome in outcomes(lm_claims_run[1]).items()}
    for label, outcome in EXPECTED_VERDICTS[layout].items():
        assert found[(label, planted_lm[layout].path.name)] == outcome, (label, layout)


@pytest.mark.e2e
def test_chronos_claims_skip_language_models_with_a_reason(lm_claims_run):
    result, report = lm_claims_run
    chronos_records = [r for r in report["claims"] if r["claim_id"].startswith("C")]
    assert chronos_records and all(r["outcome"] == "skipped" for r in chronos_records)
    assert all(("applies to chronos-t5" in r["reason"] and "models and none was given" in r["reason"]) or "compares chronos-t5 models" in r["reason"]
               for r in chronos_records)
    described = report["models"]
    assert {m["family"] for m in described.values()} == {"causal-lm"}


@pytest.mark.e2e
def test_lm_claims_skip_chronos_models_with_a_reason(planted_dirs, tmp_path):
    result, report = run_claims(tmp_path, "--model", str(planted_dirs("reference")), "-k", "lm_induction")
    records = report["claims"]
    assert len(records) == 7 and all(r["outcome"] == "skipped" for r in records)
    assert all("applies to causal-lm models and none was given" in r["reason"] and "(chronos-t5)" in r["reason"] for r in records)
