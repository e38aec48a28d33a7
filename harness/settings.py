"""Claim settings: frozen dataclasses whose fields are the registry parameters a claim or a measurement reads.

Each field is declared with `parameter(default, check, doc)`. `parse` builds an instance from a registry entry's
parameters: an unknown parameter (one no field reads) or a bad value is a one-line RegistryError. Lists become
tuples, so settings are hashable and key the session's measurement cache. `project` takes the fields of a
measurement's settings out of a claim's settings, so claims that share a measurement share its cache entry.
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, field, fields
from typing import Any, Callable, TypeVar

from harness.errors import RegistryError

Check = Callable[[Any], "str | None"]
T = TypeVar("T")


def parameter(default: Any, check: Check, doc: str):
    """A settings field read from the registry: its default, its check (None when fine, else what is wrong), its meaning."""
    if isinstance(default, list):
        default = tuple(default)
    return field(default=default, metadata={"check": check, "doc": doc})


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(minimum: int) -> Check:
    return lambda value: None if _int(value) and value >= minimum else f"must be an integer >= {minimum}"


def open_unit(value) -> str | None:
    return None if _number(value) and 0 < value < 1 else "must be a number strictly between 0 and 1"


def above_one(value) -> str | None:
    return None if _number(value) and value > 1 else "must be a number greater than 1"


def positive(value) -> str | None:
    return None if _number(value) and value > 0 else "must be a positive number"


def interval(minimum: int, maximum: int | None = None) -> Check:
    def check(value):
        ok = (isinstance(value, (list, tuple)) and len(value) == 2 and all(_int(v) for v in value)
              and minimum <= value[0] <= value[1] and (maximum is None or value[1] <= maximum))
        upper = f" <= {maximum}" if maximum is not None else ""
        return None if ok else f"must be [low, high] integers with {minimum} <= low <= high{upper}"

    return check


def integer_list(minimum: int) -> Check:
    def check(value):
        ok = (isinstance(value, (list, tuple)) and len(value) >= 2 and all(_int(v) and v >= minimum for v in value)
              and list(value) == sorted(set(value)))
        return None if ok else f"must be an increasing list of at least two integers >= {minimum}"

    return check


def parse(cls: type[T], parameters: dict[str, Any], where: str) -> T:
    """Settings of type ``cls`` from registry parameters; ``where`` names the file and entry in errors."""
    known = {f.name: f for f in fields(cls)}
    values = {}
    for name, value in parameters.items():
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"{cls.__name__} reads {', '.join(known)}"
            raise RegistryError(f"{where}: unknown parameter '{name}'; {hint}")
        problem = known[name].metadata.get("check", lambda v: None)(value)
        if problem:
            raise RegistryError(f"{where}: parameter '{name}' = {value!r} {problem}")
        values[name] = tuple(value) if isinstance(value, list) else value
    missing = [name for name, f in known.items() if f.default is MISSING and f.default_factory is MISSING and name not in values]
    if missing:
        raise RegistryError(f"{where}: missing parameter {', '.join(map(repr, missing))}; {cls.__name__} has no default for it")
    return cls(**values)


def project(cls: type[T], settings: Any) -> T:
    """The ``cls`` settings carried by a larger settings object (a claim's), field by field."""
    return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


# ---- decision parameters many claims read ----

def threshold(default: float = 0.3) -> Any:
    return parameter(default, open_unit, "score a head must reach, at the CI lower bound")


def alpha(default: float = 0.05) -> Any:
    return parameter(default, open_unit, "significance level of a test")


def min_heads(default: int = 1) -> Any:
    return parameter(default, integer(1), "heads needed for the claim to hold")


def seeds(default: int = 5) -> Any:
    return parameter(default, integer(2), "input draws per model (seeds 0..seeds-1), for intervals across draws")


def confidence(default: float = 0.95) -> Any:
    return parameter(default, open_unit, "confidence level of the intervals")


def n_resamples(default: int = 1000) -> Any:
    return parameter(default, integer(100), "bootstrap resamples")


def same_as(cls, name: str) -> Any:
    """A field declared like ``cls``'s field ``name`` (default, check, meaning), for settings that are not a subclass."""
    original = {f.name: f for f in fields(cls)}[name]
    return field(default=original.default, metadata=original.metadata)
