"""Train the shipped 2-layer attention-only language model from random init on synthetic token streams.

A stream is a sparse random bigram "language" (each token has a few likely successors, mixed with a Zipf
unigram) in which earlier segments of 2-24 tokens are copied forward at random: only in-context copying
predicts a copied segment beyond its first token, so the repeats reward an induction circuit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness import atomic
from harness.zoo.fit import fit, machine_facts

NAME = "attn-only-2l"
BOS_TOKEN_ID = 0
HELD_OUT_SEED = 10_000
HELD_OUT_SEQUENCES = 256


@dataclass(frozen=True)
class LMRecipe:
    vocab_size: int = 128
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    positions: int = 64
    sequence_length: int = 64
    batch_size: int = 32
    steps: int = 3000
    learning_rate: float = 3e-3
    warmup: float = 0.05
    weight_decay: float = 0.01
    successors: int = 6  # likely next tokens per token in the bigram language
    bigram_weight: float = 0.6  # probability of following the bigram table rather than the unigram
    copies: tuple[int, int] = (1, 3)  # copied segments per stream
    copy_lengths: tuple[int, int] = (4, 20)
    random_segment_share: float = 1.0
    data_seed: int = 1
    seed: int = 0


RECIPE = LMRecipe()


class TokenStreams:
    """Streams of the synthetic language with copied segments; one fixed language per data_seed."""

    def __init__(self, recipe: LMRecipe, seed: int):
        language = np.random.default_rng(recipe.data_seed)
        tokens = np.arange(1, recipe.vocab_size)
        ranks = language.permutation(len(tokens)) + 1
        self.unigram = (1.0 / ranks) / np.sum(1.0 / ranks)
        self.successors = np.stack([language.choice(tokens, size=recipe.successors, replace=False) for _ in range(recipe.vocab_size)])
        self.tokens, self.recipe = tokens, recipe
        self.rng = np.random.default_rng(seed)

    def stream(self) -> np.ndarray:
        r, rng = self.recipe, self.rng
        length = r.sequence_length
        out = np.empty(length, dtype=np.int64)
        out[0] = BOS_TOKEN_ID
        follow = rng.random(length) < r.bigram_weight
        unigram_draws = rng.choice(self.tokens, size=length, p=self.unigram)
        successor_draws = rng.integers(0, r.successors, size=length)
        out[1] = unigram_draws[1]
        for i in range(2, length):
            out[i] = self.successors[out[i - 1], successor_draws[i]] if follow[i] else unigram_draws[i]
        for _ in range(rng.integers(r.copies[0], r.copies[1] + 1)):
            span = int(rng.integers(r.copy_lengths[0], r.copy_lengths[1] + 1))
            source = int(rng.integers(1, length - 2 * span + 1))
            target = int(rng.integers(source + span, length - span + 1))
            if rng.random() < r.random_segment_share:  # a segment of uniform random tokens: only copying predicts its repeat
                out[source : source + span] = rng.choice(self.tokens, size=span)
            out[target : target + span] = out[source : source + span]
        return out

    def batch(self, size: int) -> np.ndarray:
        return np.stack([self.stream() for _ in range(size)])


def build_model(recipe: LMRecipe):
    import torch
    from transformers import LlamaForCausalLM

    from harness.causal_lm.architectures import attention_only_llama_config, zero_mlps

    torch.manual_seed(recipe.seed)
    model = LlamaForCausalLM(attention_only_llama_config(recipe.vocab_size, recipe.d_model, recipe.layers, recipe.heads, recipe.positions, BOS_TOKEN_ID))
    zero_mlps(model)
    return model


def held_out_loss(model, values: np.ndarray) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        ids = torch.as_tensor(values)
        loss = float(model(input_ids=ids, labels=ids).loss)
    model.train()
    return loss


def train(out: Path, recipe: LMRecipe = RECIPE, *, steps: int | None = None, log_every: int = 100, eval_every: int = 500, progress=None) -> dict:
    """Train and write the checkpoint directory (weights, config, training_log.json) atomically at ``out``."""
    import torch

    if steps is not None:
        recipe = LMRecipe(**{**asdict(recipe), "steps": steps})
    model = build_model(recipe)
    model.train()
    streams = TokenStreams(recipe, recipe.seed)
    held_out = TokenStreams(recipe, HELD_OUT_SEED).batch(HELD_OUT_SEQUENCES)
    trainable = [p for p in model.parameters() if p.requires_grad]

    def batch_loss():
        ids = torch.as_tensor(streams.batch(recipe.batch_size))
        return model(input_ids=ids, labels=ids).loss

    curve, seconds = fit(trainable, batch_loss, lambda: held_out_loss(model, held_out), steps=recipe.steps, learning_rate=recipe.learning_rate,
                         weight_decay=recipe.weight_decay, warmup=recipe.warmup, clip=1.0, log_every=log_every, eval_every=eval_every,
                         progress=progress)
    log = {
        "name": NAME,
        "recipe": asdict(recipe),
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_train_loss": curve[-1]["train_loss"],
        "held_out_loss": curve[-1]["held_out_loss"],
        "held_out": {"seed": HELD_OUT_SEED, "sequences": HELD_OUT_SEQUENCES},
        "training_seconds": round(seconds, 1),
        **machine_facts(),
        "curve": curve,
    }
    model.eval()

    def fill(staging: Path) -> None:
        model.save_pretrained(staging, safe_serialization=True)
        (staging / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")

    atomic.write_directory(out, fill)
    return log
