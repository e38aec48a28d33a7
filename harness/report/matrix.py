"""Verdicts at a glance: one row per claim in registry order, one column per model (and one for the claims that
compare models), each cell the outcome and the deciding number."""

from __future__ import annotations

from harness.report.format import ORIGINS, format_value, in_registry_order, origin

SHORT = {"passed": "pass", "failed": "FAIL", "inconclusive": "incon.", "skipped": "skip", "error": "ERROR"}
ACROSS = "across models"
WIDTH = 120


NARROW = {"passed": "P", "failed": "F"}  # where "pass 0.545" does not fit a cell


LEGEND = "cells: outcome, the deciding value | its null (the value when the effect is absent)"
TERMINAL_LEGEND = "cells: outcome and the deciding value; the line below: each decided value's null (its value with no effect)"


def _number(value, digits: int) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) and value == value else format_value(value)


def _fit(candidates: list[str], width: int | None, fallback: str) -> str:
    return next((text for text in candidates if width is None or len(text) <= width), fallback)


def null_of(record: dict) -> float | int | None:
    """The null beside a decided verdict's value (None for a verdict that was not decided)."""
    decisive = record["statistics"].get("decisive") or {}
    return decisive.get("chance") if record["outcome"] in ("passed", "failed") and "value" in decisive else None


def cell_text(record: dict, width: int | None = None, *, with_null: bool = True) -> str:
    """The outcome, and for a decided claim the deciding number beside its null, "pass 0.495 | 0.045" (n/a where it
    could not be computed); within ``width`` the outcome shortens to P or F and the numbers lose digits, then the null
    goes, rather than being cut."""
    decisive = record["statistics"].get("decisive") or {}
    if record["outcome"] not in ("passed", "failed") or "value" not in decisive:
        return SHORT[record["outcome"]]
    value, chance = decisive["value"], null_of(record) if with_null else None
    null = "" if chance is None else f" | {format_value(chance)}"
    letter = NARROW[record["outcome"]]
    candidates = [f"{SHORT[record['outcome']]} {format_value(value)}{null}"]
    candidates += [f"{letter} {_number(value, digits)}" + ("" if chance is None else f"|{_number(chance, digits)}") for digits in (3, 2, 1)]
    candidates += [f"{letter} {_number(value, digits)}" for digits in (2, 1)]
    return _fit(candidates, width, SHORT[record["outcome"]])


def null_text(record: dict | None, width: int) -> str:
    chance = None if record is None else null_of(record)
    return "" if chance is None else _fit([format_value(chance)] + [_number(chance, digits) for digits in (2, 1)], width, "")


def shorten(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters, so ids that share a beginning stay apart."""
    if len(text) <= width:
        return text
    tail = (width - 2) // 2
    return text[:width - 2 - tail] + ".." + text[len(text) - tail:]


def matrix(claims: list[dict]) -> tuple[list[str], list[str], dict[tuple[str, str], dict]]:
    """(claim ids in registry order, model columns in run order, (claim, column) -> record)."""
    columns = list(dict.fromkeys(record["model"] or ACROSS for record in claims))
    cells = {(record["claim_id"], record["model"] or ACROSS): record for record in claims}
    rows = list(dict.fromkeys(record["claim_id"] for record in in_registry_order(claims)))
    return rows, columns, cells


def text_rows(claims: list[dict], width: int = WIDTH) -> list[list[tuple[str, str | None]]]:
    """The matrix as padded text: rows of (text, outcome or None), the header first (model names longer than a cell
    wrap onto further header lines), fitting ``width`` columns: claim ids are cut before cells narrow below 8."""
    rows, columns, cells = matrix(claims)
    count = max(len(columns), 1)
    label = min(max((len(row) for row in rows), default=5), 40)
    label = max(min(label, 16), min(label, width - 9 * count))
    cell = max(8, min(20, (width - label) // count - 1))
    parts = [[column[i:i + cell] for i in range(0, len(column), cell)] or [""] for column in columns]
    lines = [[(("claim" if depth == 0 else "").ljust(label), None)] + [(" " + (p[depth] if depth < len(p) else "").ljust(cell), None)
                                                                      for p in parts]
             for depth in range(max((len(p) for p in parts), default=1))]
    origins, shown = {record["claim_id"]: origin(record) for record in claims}, None
    for row in rows:
        if origins[row] != shown:
            shown = origins[row]
            lines.append([(f"-- {ORIGINS[shown].lower()} --", None)])
        line = [(shorten(row, label).ljust(label), None)]
        for column in columns:
            record = cells.get((row, column))
            line.append((" " + (cell_text(record, cell, with_null=False) if record else "-")[:cell].ljust(cell), record["outcome"] if record else None))
        lines.append(line)
        nulls = [null_text(cells.get((row, column)), cell) for column in columns]
        if any(nulls):
            lines.append([("  null".ljust(label), None)] + [(" " + text.ljust(cell), None) for text in nulls])
    return lines + [[(TERMINAL_LEGEND, None)]]
