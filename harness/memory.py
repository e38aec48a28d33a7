"""How much memory a measurement may use: a budget from the machine (half of what is available now) or from
--max-memory, the batch split into chunks that fit it, and a refusal, with the estimate, when even the inputs and
the attention rows kept for scoring would not fit."""

from __future__ import annotations

import os
import re

from harness.errors import HarnessError

DEFAULT_SHARE = 0.5
_UNITS = {"": 1, "b": 1, "kb": 2**10, "k": 2**10, "mb": 2**20, "m": 2**20, "gb": 2**30, "g": 2**30, "tb": 2**40}


def available_bytes() -> int:
    """Memory available to new allocations now (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise HarnessError(f"--max-memory {text!r} is not a size; write it like 4GB, 512MB or 2000000000")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def budget_bytes(max_memory: str | int | None = None) -> int:
    """A size given (bytes, or text like 4GB), else DEFAULT_SHARE of the memory available now."""
    if max_memory is None:
        return int(available_bytes() * DEFAULT_SHARE)
    return max_memory if isinstance(max_memory, int) else parse_size(max_memory)


def human_size(count: float) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.0f} B"


def plan_chunks(batch: int, kept_per_sequence: int, working_per_sequence: int, budget: int, what: str) -> int:
    """The chunk size that keeps one chunk's working memory, plus what is kept for every sequence, within ``budget``;
    a one-line HarnessError when what is kept alone does not fit."""
    kept = batch * kept_per_sequence
    if kept + working_per_sequence > budget:
        most = max(0, (budget - working_per_sequence) // max(kept_per_sequence, 1))
        raise HarnessError(f"{what}: a batch of {batch:,} needs {human_size(kept)} for its inputs and attention rows alone, more than the "
                           f"memory budget of {human_size(budget)}; use a batch of at most {most:,} (or raise --max-memory)")
    return max(1, min(batch, (budget - kept) // max(working_per_sequence, 1)))
