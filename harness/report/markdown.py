"""report.md: the report as Markdown, rendered from report.json alone; figures become tables."""

from __future__ import annotations

import json
from typing import Any

from harness.report.compare import render
from harness.report.format import (HEAD_COUNT_COLUMNS, MODEL_COLUMNS, ORIGINS, compact_json, decisive_text, figure_heading, format_value,
                                   head_counts_by_family, in_registry_order, model_rows, origin)
from harness.report.matrix import LEGEND, cell_text, matrix
from harness.report.schema import BF16_SCORE_TOLERANCE, Report

SHOWN_ELSEWHERE = ("measurement", "decisive", "examples")
MAX_INLINE = 300


def _row(cells) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [_row(header), "|" + "---|" * len(header)] + [_row(row) for row in rows]


def _with_ci(value, low, high) -> str:
    text = format_value(value)
    return text if low is None else f"{text} [{format_value(low)}, {format_value(high)}]"


def _ci_at(series: dict, index: int) -> tuple:
    return (series["ci_low"][index], series["ci_high"][index]) if series.get("ci_low") else (None, None)


def _heatmap_lines(panel: dict) -> list[str]:
    z = panel["z"]
    columns = panel["x"] or [f"h{i}" for i in range(len(z[0]) if z else 0)]
    rows = panel["y"] or list(range(len(z)))
    body = [[label] + [("-" if v is None else f"{v:.3f}" if isinstance(v, float) else v) for v in values] for label, values in zip(rows, z)]
    return [f"{panel['title']} ({panel['y_title']} x {panel['x_title']}):", ""] + _table([panel["y_title"], *columns], body)


def figure_lines(figure: dict) -> list[str]:
    data = figure["data"]
    lines = [f"Figure: {figure['title']}" + (f" ({figure['subtitle']})" if figure.get("subtitle") else ""), ""]
    if figure["kind"] == "heatmaps":
        for panel in data["panels"]:
            lines += _heatmap_lines(panel) + [""]
    elif figure["kind"] == "bars":
        header = ["", *(s["name"] for s in data["series"])]
        rows = [[category] + [_with_ci(s["values"][i], *_ci_at(s, i)) for s in data["series"]] for i, category in enumerate(data["categories"])]
        lines += _table(header, rows) + [""]
    elif figure["kind"] == "points":
        rows = [[s["name"], y, format_value(x)] for s in data["series"] for x, y in zip(s["x"], s["y"])]
        lines += _table(["series", "row", data["x_title"]], rows) + [""]
    elif figure["kind"] == "table":
        lines += _table(data["columns"], data["rows"]) + [""]
    else:
        lines += ["(a line figure: see report.html)", ""]
    return lines


def examples_lines(examples: list[dict[str, Any]]) -> list[str]:
    """Each evaluated input as a table row; nested values stay JSON."""
    columns = list(dict.fromkeys(key for example in examples for key in example))
    rows = [[format_value(e.get(c)) if not isinstance(e.get(c), (dict, list)) else json.dumps(e.get(c)) for c in columns] for e in examples]
    return ["Evaluated inputs:", ""] + _table(columns, rows)


def render_markdown(report: Report) -> str:
    run = report["run"]
    lines = [
        "# Claims report",
        "",
        f"Status **{report['status']}**, started {report['started_at']}, finished {report['finished_at'] or '-'}.",
        f"harness {run['harness']}, torch {run['torch']}, transformers {run['transformers']}, chronos {run['chronos']}, "
        f"device {run['device']}, dtype {run['dtype']}, Hypothesis profile {run['hypothesis_profile']}, commit {run['git_commit'] or '-'}.",
        "",
        "Summary: " + ", ".join(f"{count} {outcome}" for outcome, count in report["summary"].items()),
        "",
    ]
    if run["dtype"] != "float32":
        lines += [f"Note: measured in {run['dtype']}; head scores agree with float32 within {BF16_SCORE_TOLERANCE} on the "
                  "planted checkpoints and the zoo (tests/test_dtype.py), so a score within that distance of a threshold may flip.", ""]
    if report.get("comparison"):
        lines += [f"## Compared with {report['comparison']['baseline']}", "", "```", *render(report["comparison"]), "```", ""]
    lines += ["## Models", ""] + _table(MODEL_COLUMNS, [[*row[:-1], f"`{row[-1]}`"] for row in model_rows(report)])
    records = in_registry_order(report["claims"])
    rows, columns, cells = matrix(report["claims"])
    lines += ["", "## Verdicts at a glance", "", LEGEND + "."]
    for kind, title in ORIGINS.items():
        shown = [row for row in rows if origin(next(r for r in records if r["claim_id"] == row)) == kind]
        if shown:
            lines += ["", f"{title}:", ""] + _table(["claim", *columns], [
                [row] + [cell_text(cells[(row, column)]) if (row, column) in cells else "-" for column in columns] for row in shown])
    claim_id, counts = head_counts_by_family(report)
    if counts:
        lines += ["", "## Induction heads by family", "", f"From {claim_id} (each head counted by its CI lower bound):", ""]
        lines += _table(HEAD_COUNT_COLUMNS, counts)
    lines += ["", "## Verdicts", ""] + _table(["claim", "origin", "model", "outcome", "reason kind", "deciding statistic (CI; null)"],
                                              [[r["claim_id"], origin(r), r["model"] or "-", f"**{r['outcome']}**", r.get("reason_kind", "-"),
                                                decisive_text(r["statistics"])] for r in records])
    for record in records:
        statistics = record["statistics"]
        lines += ["", f"### {record['claim_id']} on {record['model'] or 'all models'}: {record['outcome']}", "", record["statement"], ""]
        lines.append(f"Origin: {origin(record)} ({ORIGINS[origin(record)].lower()}). Source: {record['source']}.")
        lines += ["", f"Decision rule: {record['decision']}"]
        if record["statistics"].get("decisive"):
            lines += ["", f"Deciding statistic: {decisive_text(record['statistics'])}"]
        if record["reason"]:
            lines += ["", f"Reason ({record.get('reason_kind', '-')}): {record['reason'].splitlines()[0]}"]
        lines += ["", "Parameters: " + ", ".join(f"{key}={value}" for key, value in record["parameters"].items())]
        if statistics.get("measurement"):
            lines += ["", "Measured: " + ", ".join(f"{key}={format_value(value)}" for key, value in statistics["measurement"].items())]
        for key, value in statistics.items():
            if key not in SHOWN_ELSEWHERE:
                text = json.dumps(value)
                lines.append(f"- {key}: {text if len(text) <= MAX_INLINE else '(in report.json)'}")
        if statistics.get("examples"):
            lines += [""] + examples_lines(statistics["examples"])
        if record["counterexample"]:
            lines += ["", f"Counterexample (shrunk): `{compact_json(record['counterexample'])}`"]
        for figure in record.get("figures", []):
            lines += [""] + figure_lines({**figure, "title": figure_heading(record, figure)})
        lines.append(f"\nDuration {record['duration_s']:.2f} s.")
    return "\n".join(lines) + "\n"
