"""The claims registry (a registry.yaml beside the claim modules): one entry per finding. Imports no torch.

This module checks the structure of each entry; a claim's parameters are checked against the settings class its
test module binds to it (harness.claims.claim), so each parameter is read by exactly the code that uses it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from harness.errors import RegistryError
from harness.models import FAMILIES

ENTRY_KEYS = {"id", "statement", "source", "origin", "null_model", "family", "not_applicable", "parameters", "decision"}
REQUIRED_KEYS = ENTRY_KEYS - {"family", "not_applicable", "origin", "null_model"}
ORIGINS = ("finding", "extension")  # one of the studies' findings, or an extension of this project's
TOP_LEVEL_KEYS = {"claims", "family"}
CLAIM_ID = re.compile(r"^[A-Z][A-Za-z]*\d+[a-z]?(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    source: str
    decision: str
    families: tuple[str, ...]  # the model families it runs on, the first its primary one
    parameters: dict[str, Any] = field(default_factory=dict)
    position: int = 0  # index in its registry file: reports list claims in this order
    registry: Path = Path("registry.yaml")
    not_applicable: dict[str, str] = field(default_factory=dict)  # family -> why the claim has no meaning there (skipped)
    origin: str = "finding"  # "finding": one of the studies' findings; "extension": this project's
    null_model: str = ""  # the value the deciding statistic takes when the effect is absent, and how it is obtained

    @property
    def family(self) -> str:
        return self.families[0]

    @property
    def label(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def where(self) -> str:
        """How errors name this entry."""
        return f"{self.registry}: entry '{self.id}'"


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


def _check_families(path: Path, where: str, family: Any) -> tuple[str, ...]:
    """A `family:` value, one name or a list of names, as a tuple."""
    families = tuple(family) if isinstance(family, list) else (family,)
    if not families:
        raise _entry_error(path, where, f"family is an empty list; name at least one of {', '.join(FAMILIES)}")
    for name in families:
        if name not in FAMILIES:
            raise _entry_error(path, where, f"family {name!r} is unknown; use one of {', '.join(FAMILIES)}")
    if len(set(families)) < len(families):
        raise _entry_error(path, where, f"family lists {', '.join(families)} with a repeat; name each family once")
    return families


def _check_entry(path: Path, index: int, entry: Any, default_family: str | None) -> Claim:
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
    for key in ("statement", "source", "decision", *(k for k in ("null_model",) if k in entry)):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise _entry_error(path, where, f"'{key}' must be non-empty text")
    origin = entry.get("origin", "finding")
    if origin not in ORIGINS:
        raise _entry_error(path, where, f"origin {origin!r} is unknown; use finding (one of the studies' findings) or extension (your own)")
    family = entry.get("family", default_family)
    if family is None:
        raise _entry_error(path, where, f"no family; add `family:` to the entry or at the top of the file ({', '.join(FAMILIES)})")
    families = _check_families(path, where, family)
    not_applicable = entry.get("not_applicable", {})
    if not isinstance(not_applicable, dict) or not all(isinstance(reason, str) and reason.strip() for reason in not_applicable.values()):
        raise _entry_error(path, where, "'not_applicable' must map family names to the reason the claim has no meaning there")
    _check_families(path, where, list(not_applicable) or families[0])
    both = sorted(set(not_applicable) & set(families))
    if both:
        raise _entry_error(path, where, f"{', '.join(both)} is both a family of the claim and not applicable; keep one")
    parameters = entry["parameters"]
    if not isinstance(parameters, dict):
        raise _entry_error(path, where, "'parameters' must be a mapping of parameter names to values")
    return Claim(entry["id"], entry["statement"].strip(), entry["source"].strip(), entry["decision"].strip(), families, dict(parameters),
                 index, path, {name: reason.strip() for name, reason in not_applicable.items()}, origin, entry.get("null_model", "").strip())


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
    unknown = sorted(set(document) - TOP_LEVEL_KEYS)
    if unknown:
        raise RegistryError(f"{path}: unknown top-level key {', '.join(map(repr, unknown))}; allowed are {', '.join(sorted(TOP_LEVEL_KEYS))}")
    default_family = document.get("family")
    if default_family is not None:
        _check_families(path, "(top level)", default_family)
    claims = [_check_entry(path, index, entry, default_family) for index, entry in enumerate(document["claims"])]
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
        raise RegistryError(f"no claims registry at {path}; create registry.yaml beside the claim modules")
    return parse_registry(path, path.read_text(encoding="utf-8"))
