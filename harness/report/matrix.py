"""Verdicts at a glance: one row per claim in registry order, one column per model (and one for the claims that
compare models), each cell the outcome and the deciding number."""

from __future__ import annotations

from harness.report.format import format_value, in_registry_order

SHORT = {"passed": "pass", "failed": "FAIL", "inconclusive": "incon.", "skipped": "skip", "error": "ERROR"}
ACROSS = "across models"
WIDTH = 120


def cell_text(record: dict) -> str:
    """The outcome, and for a decided claim the deciding number (n/a where it could not be computed)."""
    decisive = record["statistics"].get("decisive") or {}
    decided = record["outcome"] in ("passed", "failed") and "value" in decisive
    return SHORT[record["outcome"]] + (f" {format_value(decisive['value'])}" if decided else "")


def matrix(claims: list[dict]) -> tuple[list[str], list[str], dict[tuple[str, str], dict]]:
    """(claim ids in registry order, model columns in run order, (claim, column) -> record)."""
    columns = list(dict.fromkeys(record["model"] or ACROSS for record in claims))
    cells = {(record["claim_id"], record["model"] or ACROSS): record for record in claims}
    rows = list(dict.fromkeys(record["claim_id"] for record in in_registry_order(claims)))
    return rows, columns, cells


def text_rows(claims: list[dict], width: int = WIDTH) -> list[list[tuple[str, str | None]]]:
    """The matrix as padded text: rows of (text, outcome or None), header first, fitting ``width`` columns."""
    rows, columns, cells = matrix(claims)
    label = min(max((len(row) for row in rows), default=5), 40)
    cell = max(8, min(20, (width - label) // max(len(columns), 1) - 1))
    lines = [[("claim".ljust(label), None)] + [(" " + column[:cell].ljust(cell), None) for column in columns]]
    for row in rows:
        line = [(row[:label].ljust(label), None)]
        for column in columns:
            record = cells.get((row, column))
            line.append((" " + (cell_text(record) if record else "-")[:cell].ljust(cell), record["outcome"] if record else None))
        lines.append(line)
    return lines
