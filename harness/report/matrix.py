"""Verdicts at a glance: one row per claim in registry order, one column per model (and one for the claims that
compare models), each cell the outcome and the deciding number."""

from __future__ import annotations

from harness.report.format import format_value, in_registry_order

SHORT = {"passed": "pass", "failed": "FAIL", "inconclusive": "incon.", "skipped": "skip", "error": "ERROR"}
ACROSS = "across models"
WIDTH = 120


NARROW = {"passed": "P", "failed": "F"}  # where "pass 0.545" does not fit a cell


def cell_text(record: dict, width: int | None = None) -> str:
    """The outcome, and for a decided claim the deciding number (n/a where it could not be computed); within ``width``
    the outcome shortens to P or F and the number loses digits rather than being cut."""
    decisive = record["statistics"].get("decisive") or {}
    decided = record["outcome"] in ("passed", "failed") and "value" in decisive
    text = SHORT[record["outcome"]] + (f" {format_value(decisive['value'])}" if decided else "")
    if width is None or len(text) <= width or not decided:
        return text
    value = decisive["value"]
    for digits in (3, 2, 1):
        number = f"{value:.{digits}g}" if isinstance(value, float) and value == value else format_value(value)
        narrow = f"{NARROW[record['outcome']]} {number}"
        if len(narrow) <= width:
            return narrow
    return narrow


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
    for row in rows:
        line = [(shorten(row, label).ljust(label), None)]
        for column in columns:
            record = cells.get((row, column))
            line.append((" " + (cell_text(record, cell) if record else "-")[:cell].ljust(cell), record["outcome"] if record else None))
        lines.append(line)
    return lines
