"""Hypothesis strategies over Chronos inputs: RRT parameters and multisine series."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from generators import check_interval
from generators.chronos.multisine import Multisine
from generators.chronos.rrt import CHRONOS_COMMON_TOKENS, N_SPECIAL_TOKENS


@dataclass(frozen=True)
class RRTParams:
    sequence_length: int
    repetitions: int
    seed: int
    token_range: tuple[int, int]

    @property
    def encoder_length(self) -> int:
        return self.sequence_length * self.repetitions + 2


@st.composite
def _rrt_params(draw, sequence_lengths, repetitions, token_range, min_token_span, vary_token_range, max_encoder_length):
    length_high, reps_high = sequence_lengths[1], repetitions[1]
    if max_encoder_length is not None:
        length_high = min(length_high, (max_encoder_length - 2) // repetitions[0])
    sequence_length = draw(st.integers(sequence_lengths[0], length_high))
    if max_encoder_length is not None:
        reps_high = min(reps_high, (max_encoder_length - 2) // sequence_length)
    reps = draw(st.integers(repetitions[0], reps_high))
    seed = draw(st.integers(0, 2**32 - 1))
    low, high = token_range
    if vary_token_range:
        low = draw(st.integers(token_range[0], token_range[1] - min_token_span + 1))
        high = draw(st.integers(low + min_token_span - 1, token_range[1]))
    return RRTParams(sequence_length, reps, seed, (low, high))


def rrt_params(
    sequence_lengths: tuple[int, int] = (2, 20),
    repetitions: tuple[int, int] = (1, 4),
    token_range: tuple[int, int] = CHRONOS_COMMON_TOKENS,
    *,
    vary_token_range: bool = False,
    min_token_span: int = 50,
    max_encoder_length: int | None = None,
) -> st.SearchStrategy[RRTParams]:
    """RRT parameters; shrinks towards short sequences, few repetitions, seed 0 and the lowest tokens."""
    check_interval("sequence_lengths", sequence_lengths, 2)
    check_interval("repetitions", repetitions, 1)
    check_interval("token_range", token_range, N_SPECIAL_TOKENS)
    if token_range[1] - token_range[0] + 1 < min_token_span:
        raise ValueError(f"token_range={token_range!r} is narrower than min_token_span={min_token_span}; widen it")
    if max_encoder_length is not None and sequence_lengths[0] * repetitions[0] + 2 > max_encoder_length:
        raise ValueError(
            f"even the shortest input ({sequence_lengths[0]} x {repetitions[0]} + 2 tokens) exceeds "
            f"max_encoder_length={max_encoder_length}; lower the ranges"
        )
    return _rrt_params(sequence_lengths, repetitions, token_range, min_token_span, vary_token_range, max_encoder_length)


@st.composite
def _multisines(draw, frequency_count, steps_range, t1, patch_size, progression):
    positions = draw(st.integers(-(-steps_range[0] // patch_size), steps_range[1] // patch_size))
    steps = positions * patch_size
    highest = int(positions / t1 / 4)  # below a quarter of the rate at which the attention row samples the series
    count = draw(st.integers(frequency_count[0], min(frequency_count[1], highest)))
    if progression:  # k_i = k0 + i * m * k0: a line spectrum that repeats every m * k0 (the smallest gap), fundamental k0
        step_multiple = draw(st.integers(1, (highest - 1) // (count - 1)))  # count <= highest: lowest 1 always fits
        lowest = draw(st.integers(1, highest // (1 + (count - 1) * step_multiple)))
        frequencies = [lowest * (1 + i * step_multiple) for i in range(count)]
    else:
        frequencies = draw(st.lists(st.integers(1, highest), min_size=count, max_size=count, unique=True).map(sorted))
    amplitudes = draw(st.lists(st.floats(0.25, 1.0), min_size=count, max_size=count))
    phases = draw(st.lists(st.floats(0.0, 6.283), min_size=count, max_size=count))
    return Multisine(tuple(float(f) for f in frequencies), tuple(amplitudes), tuple(phases), t1=t1, steps=steps)


def multisines(frequency_count: tuple[int, int] = (2, 5), steps_range: tuple[int, int] = (201, 512), t1: float = 3.0, *,
               patch_size: int = 1, progression: bool = False):
    """Multisine series with integer frequencies (on the 1/t1 grid) below a quarter of the rate at which the model's
    attention samples the series: every value for a token model, one position per patch of ``patch_size`` values for a
    patch model (whose series are then whole patches).

    With ``progression`` the frequencies are k0 * (1 + i * m), i = 0..count-1: their line spectrum repeats every m * k0
    (the smallest gap) and their fundamental is k0, the lowest frequency itself, so a reader that is linear in the value
    and one that is sharply non-linear predict different spectral periods whenever m > 1.

    Shrinks towards two low frequencies, the fewest samples, amplitude 0.25 and phase 0.
    """
    check_interval("frequency_count", frequency_count, 1)
    check_interval("steps_range", steps_range, 16)
    if patch_size < 1:
        raise ValueError(f"patch_size={patch_size}: give the number of values per attention position (1 for a token model)")
    fewest = -(-steps_range[0] // patch_size)
    if fewest * patch_size > steps_range[1]:
        raise ValueError(f"steps_range={steps_range!r} holds no whole number of patches of {patch_size}; widen it")
    if int(fewest / t1 / 4) < frequency_count[0]:
        raise ValueError(f"{fewest * patch_size} samples ({fewest} attention positions) over {t1} s leave fewer than {frequency_count[0]} "
                         "frequencies below a quarter of the attention's sampling rate; use more steps")
    return _multisines(frequency_count, steps_range, t1, patch_size, progression)
