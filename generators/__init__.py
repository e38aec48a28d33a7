"""Inputs for the claims, one package per model family: `generators.chronos` (repeated random tokens and
multisine series) and `generators.causal_lm` (repeated tokens, triplets, induction/shuffled pairs), each with
its Hypothesis strategies."""


def check_interval(name: str, interval: tuple[int, int], minimum: int) -> None:
    """A strategy's [low, high] argument, checked when the strategy is built."""
    low, high = interval
    if not (minimum <= low <= high):
        raise ValueError(f"{name}={interval!r}: need {minimum} <= low <= high")
