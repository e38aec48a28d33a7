"""Verdicts at a glance: one row per claim in registry order, one column per model (and one for the claims that
compare models), each cell the outcome and the deciding number."""

from __future__ import annotations

from harness.report.format import ORIGINS, format_value, in_registry_order, origin

SHORT = {"passed": "pass", "failed": "FAIL", "inconclusive": "incon.", "skipped": "skip", "error": "ERROR"}
ACROSS = "across models"
WIDTH = 120


NARROW = {"passed": "P", "failed": "F"}  # where "pass 0.545" does not fit a cell


LEGEND = "cells: outcome, the deciding value | its null (the value when the effect is absent)"
TERMINAL_TITLE = "claims x models: outcome and deciding value, its null on the line below"


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


def header_lines(name: str, cell: int) -> list[str]:
    """A column's name on one or two header lines of ``cell`` characters; a longer name keeps its start and its end."""
    if len(name) <= 2 * cell:
        return [name[:cell], name[cell:]] if len(name) > cell else [name]
    return [name[:cell], ".." + name[len(name) - cell + 2:]]


def label_width(rows: list[str], columns: int, width: int) -> int:
    """How wide the claim ids are shown: whole up to 40 characters, cut down to leave each column 8 (never below 16)."""
    label = min(max((len(row) for row in rows), default=5), 40)
    return max(min(label, 16), min(label, width - 9 * max(columns, 1)))


def text_rows(claims: list[dict], width: int = WIDTH) -> list[list[tuple[str, str | None]]]:
    """The matrix as padded text: rows of (text, outcome or None), the header first (model names longer than a cell
    wrap onto a second header line, and keep their start and end where two lines do not hold them), fitting ``width``
    columns: claim ids are cut before cells narrow below 8."""
    rows, columns, cells = matrix(claims)
    label = label_width(rows, len(columns), width)
    cell = max(8, min(20, (width - label) // max(len(columns), 1) - 1))
    parts = [header_lines(column, cell) for column in columns]
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
    return lines


def _why(kind: str) -> str:
    return kind.removeprefix("floor:")


def inconclusive_lines(claims: list[dict], width: int = WIDTH, *, verbose: bool = False) -> list[str]:
    """Why each inconclusive cell is inconclusive, under the matrix: one line per claim, its reason kinds with the
    models they hold for (each kind's count of models where the names do not fit ``width``); verbose: every reason in
    full, one line per cell."""
    rows, columns, cells = matrix(claims)
    label = label_width(rows, len(columns), width)
    lines = []
    for row in rows:
        undecided = [cells[(row, column)] for column in columns if cells.get((row, column), {}).get("outcome") == "inconclusive"]
        if verbose:
            lines += [f"  {row} on {record['model'] or ACROSS}: {record['reason'].removeprefix(str(record['model']) + ': ')}"
                      for record in undecided]
            continue
        by_kind: dict[str, list[str]] = {}
        for record in undecided:
            by_kind.setdefault(_why(record["reason_kind"]), []).append(record["model"] or ACROSS)
        if by_kind:
            named = "; ".join(f"{kind}: {', '.join(models)}" for kind, models in by_kind.items())
            counted = "; ".join(f"{kind} ({len(models)} model{'s' * (len(models) > 1)})" for kind, models in by_kind.items())
            start = "  " + shorten(row, label).ljust(label) + " "
            lines.append(start + (named if len(start + named) <= width else counted))
    title = "inconclusive, each reason:" if verbose else "inconclusive, why (reason kinds as in report.json; -v gives each reason in full):"
    return [title, *lines] if lines else []
