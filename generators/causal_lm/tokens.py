"""Token inputs for decoder-only language models: repeated random tokens, triplet sequences, and the
induction / shuffled pairs of the capacity experiments. Tokens within one sequence are distinct unless a
pattern repeats them on purpose, so every match an induction head could make is the intended one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _distinct_tokens(rng: np.random.Generator, rows: int, count: int, vocabulary: np.ndarray) -> np.ndarray:
    if count > len(vocabulary):
        raise ValueError(f"need {count} distinct tokens per sequence but the vocabulary offers {len(vocabulary)}; use shorter inputs")
    return np.stack([rng.choice(vocabulary, size=count, replace=False) for _ in range(rows)])


def vocabulary(vocab_size: int, bos: int | None) -> np.ndarray:
    """Token ids the generators draw from: all but the BOS token."""
    return np.array([t for t in range(vocab_size) if t != bos])


def _with_bos(tokens: np.ndarray, bos: int | None) -> np.ndarray:
    return tokens if bos is None else np.concatenate([np.full((len(tokens), 1), bos), tokens], axis=1)


@dataclass(frozen=True)
class RepeatedTokens:
    input_ids: np.ndarray  # (batch, prefix + sequence_length * repeats)
    sequence_length: int
    repeats: int
    prefix: int  # 1 with a BOS token, else 0

    @property
    def period(self) -> int:
        return self.sequence_length

    def describe(self) -> dict:
        return {"kind": "repeated random tokens", "batch_size": len(self.input_ids), "sequence_length": self.sequence_length,
                "repeats": self.repeats, "bos": bool(self.prefix), "length": self.input_ids.shape[1]}


def repeated_tokens(batch_size: int, sequence_length: int, vocab_size: int, *, repeats: int = 2, bos: int | None = 0,
                    seed: int = 0) -> RepeatedTokens:
    """A random sequence of distinct tokens repeated ``repeats`` times, after an optional BOS token."""
    rng = np.random.default_rng(seed)
    sequence = _distinct_tokens(rng, batch_size, sequence_length, vocabulary(vocab_size, bos))
    return RepeatedTokens(_with_bos(np.tile(sequence, repeats), bos), sequence_length, repeats, int(bos is not None))


@dataclass(frozen=True)
class Triplets:
    clean: np.ndarray  # [BOS] [A] X.. [B] gap [C] X.. [D] gap [A] X..
    corrupted: np.ndarray  # the same with the last [A] replaced by [C]
    b_tokens: np.ndarray  # (batch,) the clean completion
    d_tokens: np.ndarray  # (batch,) the corrupted completion
    pattern_length: int
    gap_length: int

    def describe(self) -> dict:
        return {"kind": "triplet sequences", "batch_size": len(self.clean), "pattern_length": self.pattern_length,
                "shared_tokens": self.pattern_length - 2, "gap_length": self.gap_length, "length": self.clean.shape[1]}


def triplets(batch_size: int, pattern_length: int, vocab_size: int, *, gap_length: int = 0, bos: int | None = 0,
             seed: int = 0) -> Triplets:
    """``[A] X.. [B] gap [C] X.. [D] gap [A] X..`` with pattern_length - 2 shared tokens X (pattern [A] X.. [B]).

    The model should complete [B]: the last [A] X.. matches the first pattern, while X.. alone matches both.
    """
    if pattern_length < 2:
        raise ValueError(f"pattern_length={pattern_length}: a pattern is at least [A][B]; use 2 or more")
    shared = pattern_length - 2
    rng = np.random.default_rng(seed)
    drawn = _distinct_tokens(rng, batch_size, 4 + shared + 2 * gap_length, vocabulary(vocab_size, bos))
    a, b, c, d = drawn[:, 0:1], drawn[:, 1:2], drawn[:, 2:3], drawn[:, 3:4]
    x = drawn[:, 4 : 4 + shared]
    gap1, gap2 = drawn[:, 4 + shared : 4 + shared + gap_length], drawn[:, 4 + shared + gap_length :]
    clean = np.concatenate([a, x, b, gap1, c, x, d, gap2, a, x], axis=1)
    corrupted = clean.copy()
    corrupted[:, -(shared + 1)] = c[:, 0]
    return Triplets(_with_bos(clean, bos), _with_bos(corrupted, bos), b[:, 0], d[:, 0], pattern_length, gap_length)


@dataclass(frozen=True)
class InductionPairs:
    induction: np.ndarray  # [BOS] r.. [A] [B] r.. [A]
    shuffled: np.ndarray  # the same tokens but the last, shuffled (so B rarely follows A)
    a_tokens: np.ndarray
    b_tokens: np.ndarray
    context_tokens: int

    def describe(self) -> dict:
        return {"kind": "induction sequences with shuffled controls", "batch_size": len(self.induction),
                "context_tokens": self.context_tokens, "length": self.induction.shape[1]}


def induction_pairs(a_tokens, b_tokens, vocab_size: int, *, context_tokens: int = 10, bos: int | None = 0, seed: int = 0) -> InductionPairs:
    """For each (A, B): ``r.. A B r.. A`` with context_tokens random tokens in each r.., and its shuffled control."""
    a_tokens, b_tokens = np.asarray(a_tokens), np.asarray(b_tokens)
    if np.any(a_tokens == b_tokens):
        raise ValueError("each pair needs A != B")
    rng = np.random.default_rng(seed)
    vocab = vocabulary(vocab_size, bos)
    rows = []
    for a, b in zip(a_tokens, b_tokens):
        fillers = rng.choice(vocab[(vocab != a) & (vocab != b)], size=2 * context_tokens, replace=False)
        rows.append(np.concatenate([fillers[:context_tokens], [a, b], fillers[context_tokens:], [a]]))
    induction = np.array(rows)
    shuffled = induction.copy()
    for row in shuffled:
        row[:-1] = rng.permutation(row[:-1])
    return InductionPairs(_with_bos(induction, bos), _with_bos(shuffled, bos), a_tokens, b_tokens, context_tokens)
