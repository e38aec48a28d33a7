"""Repeated random tokens for Chronos' encoder-decoder.

A random sequence S of ``sequence_length`` tokens is repeated ``repetitions`` times, followed by S[0]
and EOS; that is the encoder input. The decoder receives [decoder start, S[1]], so decoder position 1
holds the token whose most recent encoder occurrence is ``current_position``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EOS_TOKEN_ID = 1
DECODER_START_TOKEN_ID = 0
N_SPECIAL_TOKENS = 2
# Ids that mean-scaled inputs almost always map to (bin centres about -1.01 .. +1.01).
CHRONOS_COMMON_TOKENS = (1911, 2187)


@dataclass(frozen=True)
class RRTBatch:
    encoder_ids: np.ndarray  # (batch, sequence_length * repetitions + 2) int64
    decoder_ids: np.ndarray  # (batch, 2) int64
    sequence_length: int
    repetitions: int
    seed: int
    token_range: tuple[int, int]

    @property
    def batch_size(self) -> int:
        return self.encoder_ids.shape[0]

    @property
    def encoder_length(self) -> int:
        return self.encoder_ids.shape[1]

    @property
    def current_position(self) -> int:
        """Encoder position of the most recent occurrence of the decoder's token S[1]."""
        return self.sequence_length * (self.repetitions - 1) + 1

    @property
    def right_position(self) -> int:
        """The encoder position just after ``current_position``."""
        return self.current_position + 1

    @property
    def query_position(self) -> int:
        """Decoder position holding S[1]."""
        return 1

    def describe(self) -> dict:
        return {
            "sequence_length": self.sequence_length,
            "repetitions": self.repetitions,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "token_range": list(self.token_range),
            "encoder_length": self.encoder_length,
            "current_position": self.current_position,
            "right_position": self.right_position,
            "decoder_query_position": self.query_position,
        }


def check_rrt_arguments(
    sequence_length: int,
    repetitions: int,
    batch_size: int,
    token_range: tuple[int, int],
    vocab_size: int | None = None,
    max_encoder_length: int | None = None,
) -> None:
    """Raise ValueError naming the bad argument and the fix."""
    if not isinstance(sequence_length, int) or sequence_length < 2:
        raise ValueError(f"sequence_length={sequence_length!r}: RRT needs at least 2 tokens (S[0] and S[1]); use 2 or more")
    if not isinstance(repetitions, int) or repetitions < 1:
        raise ValueError(f"repetitions={repetitions!r}: repeat the sequence at least once; use 1 or more")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: the batch must hold at least one sequence; use 1 or more")
    low, high = token_range
    if low > high:
        raise ValueError(f"token_range=({low}, {high}) is empty; give (low, high) with low <= high")
    if low < N_SPECIAL_TOKENS:
        raise ValueError(
            f"token_range=({low}, {high}) contains special tokens (0 = PAD, 1 = EOS); start at {N_SPECIAL_TOKENS} or above"
        )
    if vocab_size is not None and high >= vocab_size:
        raise ValueError(f"token_range=({low}, {high}) leaves the vocabulary of {vocab_size} tokens; end at {vocab_size - 1} or below")
    encoder_length = sequence_length * repetitions + 2
    if max_encoder_length is not None and encoder_length > max_encoder_length:
        raise ValueError(
            f"sequence_length x repetitions + 2 = {encoder_length} tokens exceeds the model's context of "
            f"{max_encoder_length}; shorten the sequence or use fewer repetitions"
        )


def rrt_batch(
    sequence_length: int,
    repetitions: int,
    batch_size: int,
    seed: int,
    token_range: tuple[int, int] = CHRONOS_COMMON_TOKENS,
    *,
    vocab_size: int | None = None,
    max_encoder_length: int | None = None,
) -> RRTBatch:
    """Draw ``batch_size`` RRT inputs, tokens uniform over ``token_range`` inclusive; same seed, same batch."""
    token_range = (int(token_range[0]), int(token_range[1]))
    check_rrt_arguments(sequence_length, repetitions, batch_size, token_range, vocab_size, max_encoder_length)
    rng = np.random.default_rng(seed)
    sequences = rng.integers(token_range[0], token_range[1] + 1, size=(batch_size, sequence_length), dtype=np.int64)
    eos = np.full((batch_size, 1), EOS_TOKEN_ID, dtype=np.int64)
    encoder_ids = np.concatenate([np.tile(sequences, (1, repetitions)), sequences[:, :1], eos], axis=1)
    decoder_ids = np.concatenate(
        [np.full((batch_size, 1), DECODER_START_TOKEN_ID, dtype=np.int64), sequences[:, 1:2]], axis=1
    )
    return RRTBatch(encoder_ids, decoder_ids, sequence_length, repetitions, seed, token_range)
