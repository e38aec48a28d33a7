"""The claims registry (claims/registry.yaml): one validated entry per finding. Imports no torch."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

from harness.errors import RegistryError

FAMILIES = ("chronos-t5", "causal-lm")
ENTRY_KEYS = {"id", "statement", "source", "family", "parameters", "decision"}
REQUIRED_KEYS = ENTRY_KEYS - {"family"}
CLAIM_ID = re.compile(r"^[CL]\d+[a-z]?(-[a-z0-9]+)+$")
VOCAB_SIZE = 4096


def _integer(minimum: int) -> Callable[[Any], str | None]:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"must be an integer >= {minimum}"
        return None

    return check


def _open_unit(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        return "must be a number strictly between 0 and 1"
    return None


def _interval(minimum: int, maximum: int | None = None) -> Callable[[Any], str | None]:
    def check(value):
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or not minimum <= value[0] <= value[1]
            or (maximum is not None and value[1] > maximum)
        ):
            upper = f" <= {maximum}" if maximum is not None else ""
            return f"must be [low, high] integers with {minimum} <= low <= high{upper}"
        return None

    return check


def _integer_list(minimum: int) -> Callable[[Any], str | None]:
    def check(value):
        if (
            not isinstance(value, list)
            or len(value) < 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value)
            or value != sorted(set(value))
        ):
            return f"must be an increasing list of at least two integers >= {minimum}"
        return None

    return check


def _above_one(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 1:
        return "must be a number greater than 1"
    return None


def _positive(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return "must be a positive number"
    return None


PARAMETERS: dict[str, tuple[Callable[[Any], str | None], str]] = {
    "sequence_length": (_integer(2), "RRT: length of the random sequence S"),
    "repetitions": (_integer(1), "RRT: how many times S is repeated"),
    "batch_size": (_integer(2), "inputs per measurement"),
    "seed": (_integer(0), "seed of the input draw and the bootstrap"),
    "token_range": (_interval(2, VOCAB_SIZE - 1), "RRT token ids, inclusive, no special tokens"),
    "threshold": (_open_unit, "attention score a head must reach"),
    "confidence": (_open_unit, "confidence level of the intervals"),
    "n_resamples": (_integer(100), "bootstrap resamples"),
    "min_heads": (_integer(1), "heads needed for the claim to hold"),
    "alpha": (_open_unit, "significance level of a test"),
    "min_heads_per_group": (_integer(2), "heads each group needs before a comparison is decided"),
    "sequence_lengths": (_interval(2), "range of sequence lengths an input strategy draws from"),
    "repetitions_range": (_interval(1), "range of repetitions an input strategy draws from"),
    "seeds": (_integer(2), "RRT draws per model (seeds 0..seeds-1), for intervals across draws"),
    "share_tolerance": (_open_unit, "largest difference in induction-head share that still counts as level"),
    "sequence_length_grid": (_integer_list(2), "sequence lengths of a sweep"),
    "repetitions_grid": (_integer_list(1), "repetitions of a sweep"),
    "chance_multiple": (_above_one, "a head also counts when its CI lower bound clears this multiple of chance 1/T"),
    "wide_token_range": (_interval(2, VOCAB_SIZE - 1), "the comparison token range (all non-special tokens: [2, 4095])"),
    "min_variation": (_positive, "a head's attention row needs std/mean at least this to count as having spectral energy"),
    "min_share": (_open_unit, "share of heads that must agree, at the CI lower bound"),
    "top_k": (_integer(1), "size of the top sets compared"),
    "frequency_count": (_interval(1), "how many frequencies a drawn multisine has"),
    "steps_range": (_interval(16), "how many samples a drawn multisine has (t1 = 3 s)"),
    "pattern_lengths": (_interval(2), "triplet pattern lengths [A] X.. [B], inclusive"),
    "gap_length": (_integer(0), "random tokens between the triplet's segments"),
    "tokens": (_integer(2), "tokens that get an A-power and a B-power"),
    "sequences_per_token": (_integer(2), "induction sequences per token and role"),
    "context_tokens": (_integer(1), "random tokens in each filler of an induction sequence"),
    "neighbours": (_integer(1), "tokens nearest to B in unembedding space"),
}


def settings_from(cls, parameters: dict[str, Any]):
    """A frozen settings dataclass from a claim's parameters: its own fields only, lists as tuples so that the
    settings stay hashable (they key the session's measurement cache)."""
    names = {f.name for f in fields(cls)}
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in parameters.items() if key in names})


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    source: str
    decision: str
    parameters: dict[str, Any] = field(default_factory=dict)
    family: str = "chronos-t5"

    @property
    def label(self) -> str:
        return self.id.split("-", 1)[0]

    def describe(self) -> dict[str, Any]:
        return {"statement": self.statement, "source": self.source, "family": self.family, "decision": self.decision, "parameters": self.parameters}


class Registry(dict):
    """claim id -> Claim; an unknown id fails with the closest known ids."""

    def __init__(self, path: Path, claims: list[Claim]):
        super().__init__((claim.id, claim) for claim in claims)
        self.path = path

    def __missing__(self, claim_id):
        close = difflib.get_close_matches(claim_id, self.keys(), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known claims: {', '.join(self)}"
        raise RegistryError(f"unknown claim id '{claim_id}' in {self.path}; {hint}")


def _entry_error(path: Path, where: str, problem: str) -> RegistryError:
    return RegistryError(f"{path}: entry {where}: {problem}")


def _check_entry(path: Path, index: int, entry: Any) -> Claim:
    where = f"#{index + 1}"
    if not isinstance(entry, dict):
        raise _entry_error(path, where, "is not a mapping; write each claim as `- id: ...` with its keys")
    if isinstance(entry.get("id"), str):
        where = f"'{entry['id']}'"
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise _entry_error(path, where, f"unknown key {', '.join(map(repr, unknown))}; allowed keys are {', '.join(sorted(ENTRY_KEYS))}")
    missing = sorted(REQUIRED_KEYS - set(entry))
    if missing:
        raise _entry_error(path, where, f"missing {', '.join(map(repr, missing))}; every claim needs {', '.join(sorted(REQUIRED_KEYS))}")
    if not isinstance(entry["id"], str) or not CLAIM_ID.match(entry["id"]):
        raise _entry_error(path, where, f"id {entry['id']!r} must start with its finding's label and use lowercase words, e.g. C1-induction-heads-exist")
    for key in ("statement", "source", "decision"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise _entry_error(path, where, f"'{key}' must be non-empty text")
    family = entry.get("family", "chronos-t5")
    if family not in FAMILIES:
        raise _entry_error(path, where, f"family {family!r} is unknown; use one of {', '.join(FAMILIES)}")
    parameters = entry["parameters"]
    if not isinstance(parameters, dict):
        raise _entry_error(path, where, "'parameters' must be a mapping of parameter names to values")
    for name, value in parameters.items():
        if name not in PARAMETERS:
            close = difflib.get_close_matches(str(name), PARAMETERS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known parameters: {', '.join(PARAMETERS)}"
            raise _entry_error(path, where, f"unknown parameter '{name}'; {hint}")
        problem = PARAMETERS[name][0](value)
        if problem:
            raise _entry_error(path, where, f"parameter '{name}' = {value!r} {problem}")
    return Claim(entry["id"], entry["statement"].strip(), entry["source"].strip(), entry["decision"].strip(), dict(parameters), family)


def parse_registry(path: Path, text: str) -> Registry:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise RegistryError(f"{path}: {line}{problem}; fix the YAML syntax there") from None
    if not isinstance(document, dict) or not isinstance(document.get("claims"), list):
        raise RegistryError(f"{path}: expected a top-level 'claims:' list of entries")
    claims = [_check_entry(path, index, entry) for index, entry in enumerate(document["claims"])]
    seen = set()
    for claim in claims:
        if claim.id in seen:
            raise RegistryError(f"{path}: entry '{claim.id}': the id appears twice; give each claim its own id")
        seen.add(claim.id)
    return Registry(path, claims)


@lru_cache(maxsize=None)
def load_registry(path: Path) -> Registry:
    path = Path(path)
    if not path.is_file():
        raise RegistryError(f"no claims registry at {path}; create it or run pytest from the project root")
    return parse_registry(path, path.read_text(encoding="utf-8"))
