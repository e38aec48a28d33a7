import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.chronos.rrt import rrt_batch
from generators.chronos.strategies import rrt_params
from generators.chronos.rrt import EOS_TOKEN_ID


def test_worked_example_positions():
    # ABC ABC ABC ABC A <EOS>, decoder <start> B: the last B of the encoder is position 10, C is 11
    batch = rrt_batch(sequence_length=3, repetitions=4, batch_size=5, seed=1)
    sequence = batch.encoder_ids[:, :3]
    assert batch.encoder_length == 14
    assert batch.current_position == 10 and batch.right_position == 11
    np.testing.assert_array_equal(batch.encoder_ids[:, 10], sequence[:, 1])
    np.testing.assert_array_equal(batch.encoder_ids[:, 11], sequence[:, 2])
    np.testing.assert_array_equal(batch.decoder_ids, np.stack([np.zeros(5, dtype=np.int64), sequence[:, 1]], axis=1))


@given(rrt_params(sequence_lengths=(2, 30), repetitions=(1, 8)), st.integers(1, 8))
@settings(max_examples=60)
def test_positions_point_at_the_last_copy_of_the_decoder_token(params, batch_size):
    batch = rrt_batch(params.sequence_length, params.repetitions, batch_size, params.seed, params.token_range)
    sl, rf = params.sequence_length, params.repetitions
    sequence = batch.encoder_ids[:, :sl]
    expected_encoder = np.concatenate([np.tile(sequence, (1, rf)), sequence[:, :1], np.full((batch_size, 1), EOS_TOKEN_ID)], axis=1)
    np.testing.assert_array_equal(batch.encoder_ids, expected_encoder)
    assert batch.current_position == sl * (rf - 1) + 1
    # the current position holds the decoder's token and lies in the last full copy of S
    np.testing.assert_array_equal(batch.encoder_ids[:, batch.current_position], batch.decoder_ids[:, 1])
    assert sl * (rf - 1) <= batch.current_position < sl * rf
    # the right position holds the token that follows S[1] (S[2], or the appended S[0] when sl == 2)
    np.testing.assert_array_equal(batch.encoder_ids[:, batch.right_position], sequence[:, 2 % sl])
    low, high = params.token_range
    assert ((sequence >= low) & (sequence <= high)).all()


def test_same_seed_same_batch_other_seed_other_batch():
    first = rrt_batch(10, 2, 50, seed=7)
    np.testing.assert_array_equal(first.encoder_ids, rrt_batch(10, 2, 50, seed=7).encoder_ids)
    assert not np.array_equal(first.encoder_ids, rrt_batch(10, 2, 50, seed=8).encoder_ids)


def test_tokens_cover_the_inclusive_range():
    batch = rrt_batch(10, 1, 2000, seed=0, token_range=(1911, 1915))
    assert set(np.unique(batch.encoder_ids[:, :10])) == {1911, 1912, 1913, 1914, 1915}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sequence_length": 1}, "sequence_length=1"),
        ({"repetitions": 0}, "repetitions=0"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": -3}, "batch_size=-3"),
        ({"token_range": (0, 100)}, "special tokens"),
        ({"token_range": (50, 40)}, "is empty"),
        ({"token_range": (4000, 4096), "vocab_size": 4096}, "leaves the vocabulary"),
        ({"sequence_length": 100, "repetitions": 6, "max_encoder_length": 513}, "exceeds the model's context"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, message):
    arguments = {"sequence_length": 10, "repetitions": 2, "batch_size": 4, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        rrt_batch(**arguments)


@given(rrt_params(sequence_lengths=(6, 20), repetitions=(2, 3), vary_token_range=True, max_encoder_length=40))
def test_strategy_respects_its_bounds(params):
    assert 6 <= params.sequence_length <= 20 and 2 <= params.repetitions <= 3
    assert params.encoder_length <= 40
    low, high = params.token_range
    assert 1911 <= low and high <= 2187 and high - low + 1 >= 50


def test_strategy_rejects_impossible_bounds():
    with pytest.raises(ValueError, match="sequence_lengths"):
        rrt_params(sequence_lengths=(1, 5))
    with pytest.raises(ValueError, match="max_encoder_length"):
        rrt_params(sequence_lengths=(10, 20), repetitions=(5, 6), max_encoder_length=30)
