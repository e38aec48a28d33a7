"""Token generators for decoder-only models: the structure each claim relies on, checked on Hypothesis draws."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.causal_lm.strategies import repeated_token_inputs, triplet_inputs
from generators.causal_lm.tokens import induction_pairs, repeated_tokens, triplets

VOCAB = 64


@given(repeated_token_inputs(VOCAB, sequence_lengths=(2, 30)))
def test_repeated_tokens_repeat_distinct_tokens_after_bos(batch):
    ids = batch.input_ids
    assert (ids[:, 0] == 0).all()
    first, second = ids[:, 1 : 1 + batch.period], ids[:, 1 + batch.period :]
    assert (first == second).all()
    assert all(len(set(row)) == batch.period and 0 not in row for row in first)


@given(triplet_inputs(VOCAB))
def test_triplets_share_the_pattern_and_differ_only_in_the_last_a(batch):
    shared = batch.pattern_length - 2
    for clean, corrupted, b, d in zip(batch.clean, batch.corrupted, batch.b_tokens, batch.d_tokens):
        tokens = clean[1:]
        a, x = tokens[0], tokens[1 : 1 + shared]
        assert tokens[1 + shared] == b
        c_start = 2 + shared + batch.gap_length
        c = tokens[c_start]
        assert (tokens[c_start + 1 : c_start + 1 + shared] == x).all() and tokens[c_start + 1 + shared] == d
        assert tokens[-(shared + 1)] == a and (tokens[len(tokens) - shared :] == x).all()
        assert (np.flatnonzero(clean != corrupted) == [len(clean) - shared - 1]).all() and corrupted[-(shared + 1)] == c
        assert len(set(tokens)) == 4 + shared + 2 * batch.gap_length  # every other token is distinct


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1))
def test_shuffled_controls_keep_the_tokens_and_the_last_one(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(1, VOCAB, size=8)
    b = (a % (VOCAB - 2)) + 1
    b[b == a] += 1
    pairs = induction_pairs(a, b, VOCAB, context_tokens=10, seed=seed)
    assert (pairs.induction[:, 11] == a).all() and (pairs.induction[:, 12] == b).all() and (pairs.induction[:, -1] == a).all()
    assert (np.sort(pairs.induction, axis=1) == np.sort(pairs.shuffled, axis=1)).all()
    assert (pairs.shuffled[:, -1] == a).all() and (pairs.shuffled[:, 0] == 0).all()


def test_generators_refuse_what_cannot_be_built():
    with pytest.raises(ValueError, match="distinct tokens"):
        repeated_tokens(2, 80, VOCAB)
    with pytest.raises(ValueError, match="at least \\[A\\]\\[B\\]"):
        triplets(2, 1, VOCAB)
