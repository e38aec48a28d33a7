"""Measurements on decoder-only language models: attention-pattern scores per head, triplet completion with
per-head activation patching, and induction strength against shuffled controls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.causal_lm.tokens import induction_pairs, repeated_tokens, triplets, vocabulary
from harness import metrics, stats
from harness.metrics import ScoreGrid, score_grid
from harness.settings import confidence, integer, interval, n_resamples, parameter

PROFILE_OFFSETS = (0, 1, 2, 3, 4, 5)  # attention k tokens back; 0 is the token itself


def _model_facts(loaded) -> dict:
    return {"model": loaded.name, "device": loaded.device, "dtype": loaded.dtype}


@dataclass(frozen=True)
class PatternSettings:
    sequence_length: int = parameter(20, integer(2), "length of the random token sequence that is repeated")
    batch_size: int = parameter(64, integer(2), "sequences per measurement")
    seed: int = parameter(0, integer(0), "seed of the input draw and the bootstrap")
    confidence: float = confidence()
    n_resamples: int = n_resamples()


@dataclass(frozen=True)
class AttentionPatterns:
    """Per (layer, head): induction score on repeated random tokens and attention k tokens back."""

    settings: PatternSettings
    inputs: dict
    model: dict
    induction: ScoreGrid
    back: dict[int, ScoreGrid]  # offset -> grid
    induction_chance: float
    back_chance: dict[int, float]
    # (batch, layers, heads, offsets) per-sequence weight k back for k in PROFILE_OFFSETS, over the query positions where
    # every offset's target is a real token (i >= prefix + the largest offset): one query set for all offsets, so they compare
    profile_samples: np.ndarray | None = None

    def heads(self, kind: str, threshold: float, *, layers: tuple[int, ...] | None = None) -> list[tuple[int, int]]:
        grid = self.induction if kind == "induction" else self.back[{"previous": 1, "back-two": 2}[kind]]
        return [h for h in grid.heads(threshold) if layers is None or h[0] in layers]

    def strongest(self, grid: ScoreGrid, layers: tuple[int, ...] | None = None) -> dict:
        mean = grid.mean if layers is None else np.where(np.isin(np.arange(grid.mean.shape[0]), layers)[:, None], grid.mean, -np.inf)
        layer, head = np.unravel_index(int(np.argmax(mean)), mean.shape)
        return {"layer": int(layer), "head": int(head), "mean": round(float(grid.mean[layer, head]), 4),
                "ci": [round(float(grid.ci_low[layer, head]), 4), round(float(grid.ci_high[layer, head]), 4)]}

    def profile(self, layer: int, head: int) -> dict[int, float]:
        return {offset: round(float(grid.mean[layer, head]), 4) for offset, grid in self.back.items()}

    def measurement(self) -> dict:
        return {**self.model, **self.inputs, "confidence": self.settings.confidence, "n_resamples": self.settings.n_resamples,
                "bootstrap_seed": self.settings.seed,
                "procedure": "self-attention (eager) per layer and head, mean over query positions per sequence, batch mean with "
                             "percentile bootstrap CI; induction score: weight from each token of the second copy to the token "
                             "after its first occurrence; k back: weight from position i to i - k over positions whose target is "
                             "not BOS",
                "chance_level": {"induction": round(self.induction_chance, 4), **{f"back_{k}": round(c, 4) for k, c in self.back_chance.items()}}}


def measure_patterns(loaded, settings: PatternSettings = PatternSettings()) -> AttentionPatterns:
    import harness.causal_lm.capture as capture

    bos = loaded.bos_token_id
    batch = repeated_tokens(settings.batch_size, settings.sequence_length, loaded.vocab_size, bos=bos, seed=settings.seed)
    if batch.input_ids.shape[1] > loaded.context_length:
        raise ValueError(f"repeated tokens of length {batch.input_ids.shape[1]} exceed {loaded.name}'s {loaded.context_length} positions; "
                         f"lower sequence_length")
    attention = capture.self_attention(loaded.model, batch.input_ids).numpy()
    length = batch.input_ids.shape[1]
    second_copy = batch.prefix + batch.period
    induction = metrics.attention_back(attention, batch.period - 1, second_copy)
    back, back_chance = {}, {}
    common_first = batch.prefix + max(PROFILE_OFFSETS)
    samples = np.stack([metrics.attention_back(attention, offset, common_first) for offset in PROFILE_OFFSETS], axis=-1)
    for offset in PROFILE_OFFSETS:
        first_query = batch.prefix + offset  # the target is a real token, not BOS
        back[offset] = score_grid(metrics.attention_back(attention, offset, first_query), settings.confidence, settings.n_resamples, settings.seed)
        back_chance[offset] = metrics.causal_chance(length, first_query)
    return AttentionPatterns(settings, {**batch.describe(), "bos_token_id": bos}, _model_facts(loaded),
                             score_grid(induction, settings.confidence, settings.n_resamples, settings.seed), back,
                             metrics.causal_chance(length, second_copy), back_chance, samples)


@dataclass(frozen=True)
class TripletSettings:
    pattern_lengths: tuple[int, int] = parameter((2, 6), interval(2), "triplet pattern lengths [A] X.. [B], inclusive")
    gap_length: int = parameter(0, integer(0), "random tokens between the triplet's segments")
    batch_size: int = parameter(200, integer(2), "sequences per pattern length")
    seed: int = parameter(0, integer(0), "seed of the input draw and the bootstrap")
    confidence: float = confidence()
    n_resamples: int = n_resamples()


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def measure_triplets(loaded, pattern_length: int, settings: TripletSettings, *, patching: bool = True) -> dict:
    """Logit difference [B] - [D] after ``[A] X.. [B] [C] X.. [D] [A] X..``, and each head patched from the clean
    run into the corrupted one (last [A] -> [C]), scored 0 (corrupted) to 1 (clean) on the mean logit difference."""
    import harness.causal_lm.capture as capture

    batch = triplets(settings.batch_size, pattern_length, loaded.vocab_size, gap_length=settings.gap_length,
                     bos=loaded.bos_token_id, seed=settings.seed + pattern_length)
    rows = np.arange(len(batch.b_tokens))

    def difference(logits):
        logits = logits.numpy()
        return logits[rows, batch.b_tokens] - logits[rows, batch.d_tokens]

    clean_logits, clean_heads = capture.final_logits(loaded.model, batch.clean, record_heads=True)
    clean = difference(clean_logits)
    mean, low, high = stats.bootstrap_mean_ci(clean, settings.confidence, settings.n_resamples, settings.seed)
    log_p = _log_softmax(clean_logits.numpy())
    result = {
        "pattern_length": pattern_length,
        "inputs": batch.describe(),
        "p_b": round(float(np.exp(log_p[rows, batch.b_tokens]).mean()), 4),
        "p_d": round(float(np.exp(log_p[rows, batch.d_tokens]).mean()), 4),
        "logit_difference": round(float(mean), 4),
        "ci": [round(float(low), 4), round(float(high), 4)],
    }
    if patching:
        corrupted = float(difference(capture.final_logits(loaded.model, batch.corrupted)).mean())
        restored = {}
        for (layer, head), value in sorted(clean_heads.items()):
            patched = float(difference(capture.final_logits(loaded.model, batch.corrupted, patch={(layer, head): value})).mean())
            fraction = metrics.restored_fraction(patched, corrupted, float(clean.mean()))
            restored[f"L{layer}H{head}"] = None if fraction is None else round(fraction, 4)
        result["patching"] = {"corrupted_logit_difference": round(corrupted, 4), "restored_fraction": restored}
    return result


def measure_triplet_lengths(loaded, settings: TripletSettings) -> list[dict]:
    """measure_triplets at every pattern length of ``settings.pattern_lengths``, shortest first."""
    low, high = settings.pattern_lengths
    return [measure_triplets(loaded, length, settings) for length in range(low, high + 1)]


@dataclass(frozen=True)
class StrengthSettings:
    tokens: int = parameter(48, integer(2), "tokens that get an A-power and a B-power")
    sequences_per_token: int = parameter(16, integer(2), "induction sequences per token and role")
    context_tokens: int = parameter(10, integer(1), "random tokens in each filler of an induction sequence")
    neighbours: int = parameter(5, integer(1), "tokens nearest to B in unembedding space")
    seed: int = parameter(0, integer(0), "seed of the input draw and the bootstrap")
    confidence: float = confidence()
    n_resamples: int = n_resamples()


def _strength(loaded, pairs, targets: np.ndarray) -> np.ndarray:
    """Induction strength of each target column: log-odds after the induction sequence minus after the shuffled one."""
    import harness.causal_lm.capture as capture

    rows = np.arange(len(targets))[:, None]
    induced = _log_softmax(capture.final_logits(loaded.model, pairs.induction).numpy())
    control = _log_softmax(capture.final_logits(loaded.model, pairs.shuffled).numpy())
    return metrics.log_odds(induced[rows, targets]) - metrics.log_odds(control[rows, targets])


def nearest_tokens(unembedding: np.ndarray, token: int, count: int, exclude=()) -> list[int]:
    """The ``count`` tokens closest to ``token`` by cosine similarity of their unembedding vectors."""
    vectors = unembedding / np.maximum(np.linalg.norm(unembedding, axis=1, keepdims=True), 1e-12)
    similarity = vectors @ vectors[token]
    similarity[[token, *exclude]] = -np.inf
    return [int(t) for t in np.argsort(-similarity, kind="stable")[:count]]


def measure_strengths(loaded, settings: StrengthSettings = StrengthSettings()) -> dict:
    """A- and B-powers per token, and the strength for B, its unembedding neighbours and random tokens."""
    import harness.causal_lm.capture as capture

    rng = np.random.default_rng(settings.seed)
    bos = loaded.bos_token_id
    vocab = vocabulary(loaded.vocab_size, bos)
    chosen = rng.choice(vocab, size=settings.tokens, replace=False)
    per = settings.sequences_per_token

    def partners(fixed):
        out = rng.choice(vocab, size=per)
        while np.any(out == fixed):
            out[out == fixed] = rng.choice(vocab, size=int(np.sum(out == fixed)))
        return out

    a_tokens = np.concatenate([np.full(per, t) for t in chosen] + [partners(t) for t in chosen])
    b_tokens = np.concatenate([partners(t) for t in chosen] + [np.full(per, t) for t in chosen])
    pairs = induction_pairs(a_tokens, b_tokens, loaded.vocab_size, context_tokens=settings.context_tokens, bos=bos, seed=settings.seed)
    if pairs.induction.shape[1] > loaded.context_length:
        raise ValueError(f"context_tokens={settings.context_tokens} makes sequences longer than {loaded.name}'s {loaded.context_length} positions")
    unembedding = capture.unembedding(loaded.model).numpy()
    neighbours = np.array([nearest_tokens(unembedding, int(b), settings.neighbours, exclude=[a] if bos is None else [a, bos])
                           for a, b in zip(a_tokens, b_tokens)])
    randoms = np.array([rng.choice(np.setdiff1d(vocab, [a, b, *n]), size=settings.neighbours, replace=False)
                        for a, b, n in zip(a_tokens, b_tokens, neighbours)])
    targets = np.concatenate([b_tokens[:, None], neighbours, randoms], axis=1)
    strength = _strength(loaded, pairs, targets)
    b_strength, neighbour_strength, random_strength = strength[:, 0], strength[:, 1 : 1 + settings.neighbours], strength[:, 1 + settings.neighbours :]
    half = settings.tokens * per
    return {
        "tokens": [int(t) for t in chosen],
        "a_strengths": b_strength[:half].reshape(settings.tokens, per),  # rows: the chosen token as A
        "b_strengths": b_strength[half:].reshape(settings.tokens, per),  # rows: the chosen token as B
        "b_strength": b_strength,
        "neighbour_strength": neighbour_strength,  # (sequences, neighbours), nearest first
        "random_strength": random_strength,
        "inputs": {**pairs.describe(), "tokens": settings.tokens, "sequences_per_token": per, "neighbours": settings.neighbours,
                   "neighbour_rule": "cosine similarity of unembedding rows (excluding B and A)", "seed": settings.seed,
                   "bos_token_id": bos},
        "model": _model_facts(loaded),
    }
