"""Writing a claim: bind a test to its registry entry and its settings, then measure, decide and explain.

    from harness.claims import claim

    C1 = claim("C1-induction-heads-exist", InductionHeadsExist)   # the entry in registry.yaml beside this module

    @C1.mark
    def test_induction_heads_exist(chronos, measure, evidence):
        mosaic = measure(measure_rrt, chronos, C1.settings)          # cached per model and settings
        best = mosaic.strongest_head()
        evidence.decisive("strongest head's score", best["mean"], ci=best["ci"], chance=mosaic.chance, null="uniform attention, 1/T")
        evidence.measured(mosaic)
        evidence.conclude(verdict.head_count(clearing, reaching, C1.settings.min_heads), "one sentence with the numbers")

The guide is README.md, "Writing a claim".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.errors import RegistryError
from harness.registry import Claim, load_registry
from harness.settings import parse

@dataclass(frozen=True)
class BoundClaim:
    """A registry entry and its parsed settings."""

    entry: Claim
    settings: Any

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def family(self) -> str:
        return self.entry.family

    @property
    def mark(self) -> pytest.MarkDecorator:
        """The decorator that makes a test decide this claim on each model of its families."""
        return pytest.mark.claim(self.id)

    def mark_for(self, *families: str) -> pytest.MarkDecorator:
        """As ``mark``, on the models of ``families`` only: for a claim whose families need inputs of their own (a
        Hypothesis strategy per family), one test per group of families."""
        return pytest.mark.claim(self.id, families=families)


def claim(claim_id: str, settings: type | None = None, *, registry: str | Path | None = None) -> BoundClaim:
    """The entry ``claim_id`` of ``registry`` (default: registry.yaml beside the calling module), its parameters
    parsed into ``settings`` (a frozen dataclass of harness.settings.parameter fields)."""
    if registry is None:
        registry = Path(sys._getframe(1).f_globals["__file__"]).with_name("registry.yaml")
    entry = load_registry(Path(registry).resolve())[claim_id]
    if settings is None:
        if entry.parameters:
            raise RegistryError(f"{entry.where}: has parameters but its test reads none; pass a settings class to claim()")
        return BoundClaim(entry, None)
    return BoundClaim(entry, parse(settings, entry.parameters, entry.where))
