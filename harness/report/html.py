"""report.html: one self-contained page (plotly.js inlined, no network) rendered from report.json alone."""

from __future__ import annotations

import html
import itertools
import json
import re
from typing import Any

from harness.report.compare import render
from harness.report.format import (HEAD_COUNT_COLUMNS, MODEL_COLUMNS, ORIGINS, compact_json, decisive_text, figure_heading,
                                   head_counts_by_family, in_registry_order, model_rows, origin)
from harness.report.matrix import LEGEND, cell_text, matrix
from harness.report.schema import BF16_SCORE_TOLERANCE

# Console errors and uncaught exceptions are written onto <html data-console-errors>, so a headless
# browser's dumped DOM shows whether the page ran cleanly.
ERROR_PROBE = """<script>
(function () {
  var errors = [];
  function note(text) { errors.push(String(text)); document.documentElement.setAttribute('data-console-errors', JSON.stringify(errors)); }
  window.addEventListener('error', function (e) { note(e.message || e); });
  var original = console.error;
  console.error = function () { note(Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); };
  document.documentElement.setAttribute('data-console-errors', '[]');
})();
</script>"""

STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.passed { background: #dff3df; } .failed { background: #f8d9d9; } .inconclusive, .skipped { background: #f3f0d9; } .error { background: #f0c0f0; }
.figure { margin: 0.5em 0 1.5em; } .meta { color: #555; font-size: 0.9em; }
</style>"""


def _figure(fig, figure_id: str, top_margin: int = 60) -> str:
    fig.update_layout(margin={"l": 60, "r": 20, "t": top_margin, "b": 50}, template="plotly_white")
    return f'<div class="figure" data-figure="{figure_id}">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=figure_id) + "</div>"


def _escape(value: Any) -> str:
    return html.escape(str(value))


def anchor(name: str) -> str:
    return "section-" + re.sub(r"[^A-Za-z0-9-]", "-", name)


def verdict_matrix(report) -> str:
    """Claims x models, colour-coded; each cell links to the claim's section."""
    rows, columns, cells = matrix(report["claims"])
    origins = {record["claim_id"]: origin(record) for record in report["claims"]}
    header = "<tr><th>claim</th>" + "".join(f"<th>{_escape(column)}</th>" for column in columns) + "</tr>"
    body, shown = "", None
    for row in rows:
        if origins[row] != shown:
            shown = origins[row]
            body += f'<tr class="origin"><th colspan="{len(columns) + 1}">{_escape(ORIGINS[shown])}</th></tr>'
        body += f'<tr><th><a href="#{anchor(row)}">{_escape(row)}</a></th>' + "".join(
            f'<td class="{cells[(row, column)]["outcome"]}" data-cell="{_escape(row)}|{_escape(column)}">'
            f'<a href="#{anchor(row)}">{_escape(cell_text(cells[(row, column)]))}</a></td>' if (row, column) in cells else "<td>-</td>"
            for column in columns) + "</tr>"
    return f'<p class="meta">{_escape(LEGEND)}.</p><table id="matrix">{header}{body}</table>'


def head_count_table(report) -> list[str]:
    claim_id, rows = head_counts_by_family(report)
    if not rows:
        return []
    cells = "".join("<tr>" + "".join(f"<td>{_escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return [f"<p>From {_escape(claim_id)} (each head counted by its CI lower bound):</p><table><tr>"
            + "".join(f"<th>{_escape(c)}</th>" for c in HEAD_COUNT_COLUMNS) + "</tr>" + cells + "</table>"]


def model_table(report) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{_escape(cell)}</td>" for cell in row[:-1]) + f"<td><code>{_escape(row[-1])}</code></td></tr>"
                   for row in model_rows(report))
    return "<table><tr>" + "".join(f"<th>{column}</th>" for column in MODEL_COLUMNS) + "</tr>" + rows + "</table>"


def _hover(panel: dict) -> list[list[str]] | None:
    """Hover text per cell: its value and, where given, its CI."""
    z, low, high = panel["z"], panel["ci_low"], panel["ci_high"]
    xs = panel["x"] or list(range(len(z[0]) if z else 0))
    ys = panel["y"] or list(range(len(z)))

    def cell(i, j):
        value = z[i][j]
        if value is None:
            return ""
        text = f"{panel['y_title']} {ys[i]}, {panel['x_title']} {xs[j]}: {value:.3f}" if isinstance(value, float) else f"{ys[i]}, {xs[j]}: {value}"
        return text + (f" [{low[i][j]:.3f}, {high[i][j]:.3f}]" if low is not None else "")

    return [[cell(i, j) for j in range(len(z[i]))] for i in range(len(z))]


def heatmaps(figure, go, make_subplots):
    panels = figure["data"]["panels"]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p["title"] for p in panels], horizontal_spacing=0.12)
    for col, panel in enumerate(panels, start=1):
        labels = {"x": [str(v) for v in panel["x"]]} if panel["x"] else {}
        labels.update({"y": [str(v) for v in panel["y"]]} if panel["y"] else {})
        fig.add_trace(go.Heatmap(z=panel["z"], zmin=panel["zmin"], zmax=panel["zmax"], colorscale=panel["colors"], text=_hover(panel),
                                 hoverinfo="text", texttemplate="%{z}" if panel["show_values"] else None,
                                 colorbar={"x": (col / len(panels)) - 0.05 if col < len(panels) else 1.0, "len": 0.9}, **labels), row=1, col=col)
        fig.update_xaxes(title_text=panel["x_title"], dtick=None if panel["x"] else 1, row=1, col=col)
        fig.update_yaxes(title_text=panel["y_title"], dtick=None if panel["y"] else 1, autorange=None if panel["y"] else "reversed", row=1, col=col)
    return fig, 420


def bars(figure, go, make_subplots):
    data = figure["data"]
    fig = go.Figure([go.Bar(name=s["name"], x=data["categories"], y=s["values"],
                            error_y={"type": "data", "symmetric": False, "array": [h - v for h, v in zip(s["ci_high"], s["values"])],
                                     "arrayminus": [v - lo for lo, v in zip(s["ci_low"], s["values"])]} if s.get("ci_low") else None)
                     for s in data["series"]])
    fig.update_layout(barmode="group", yaxis_title=data["y_title"])
    return fig, 380


def points(figure, go, make_subplots):
    data = figure["data"]
    fig = go.Figure([go.Scatter(x=s["x"], y=s["y"], mode="markers", name=s["name"], marker={"size": 11, "opacity": 0.7}) for s in data["series"]])
    rows = len({y for s in data["series"] for y in s["y"]})
    fig.update_layout(xaxis={"range": data["x_range"], "title": data["x_title"]})
    return fig, 200 + 60 * rows


def lines(figure, go, make_subplots):
    panels = figure["data"]["panels"]
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.1, subplot_titles=[p["title"] for p in panels])
    shown = set()
    for row, panel in enumerate(panels, start=1):
        for trace in panel["traces"]:
            fig.add_trace(go.Scatter(x=trace["x"], y=trace["y"], name=trace["name"], legendgroup=trace["name"],
                                     showlegend=trace["name"] not in shown), row=row, col=1)
            shown.add(trace["name"])
        for x in panel.get("vlines") or []:
            fig.add_vline(x=x, line={"dash": "dot", "color": "#999"}, row=row, col=1)
        fig.update_xaxes(title_text=panel.get("x_title"), row=row, col=1)
    return fig, 280 * len(panels)


RENDERERS = {"heatmaps": heatmaps, "bars": bars, "points": points, "lines": lines}


def html_table(record: dict, figure: dict, index: int) -> str:
    data = figure["data"]
    header = "".join(f"<th>{_escape(c)}</th>" for c in data["columns"])
    rows = "".join("<tr>" + "".join(f"<td>{_escape(c)}</td>" for c in row) + "</tr>" for row in data["rows"])
    return (f'<div class="figure" data-figure="figure-{index}"><h3>{_escape(figure_heading(record, figure))}</h3>'
            f"<table><tr>{header}</tr>{rows}</table></div>")


def claim_sections(records, go, make_subplots) -> list[str]:
    """One section per claim, in registry order: its statement, source and decision rule; per model the outcome, the
    deciding statistic (CI; chance) and the reason; the counterexample if any; and the claim's figures. A figure
    identical to one already shown (the same measurement declared by two claims) is shown once."""
    parts, seen, shown = [], set(), 0
    for claim_id, group in itertools.groupby(records, key=lambda r: r["claim_id"]):
        group = list(group)
        first = group[0]
        rows = "".join(
            f'<tr class="{r["outcome"]}"><td>{_escape(r["model"] or "all models")}</td><td><b>{r["outcome"]}</b></td>'
            f'<td>{_escape(decisive_text(r["statistics"]))}</td><td>{_escape(r.get("reason_kind", ""))}</td>'
            f'<td>{_escape((r["reason"] or "").splitlines()[0] if r["reason"] else "")}</td></tr>'
            for r in group)
        body = [f'<section id="{anchor(claim_id)}"><h3>{_escape(claim_id)}</h3><p>{_escape(first["statement"])}</p>',
                f'<p class="meta">{_escape(ORIGINS[origin(first)])}. Source: {_escape(first["source"])}. Decision: {_escape(first["decision"])}</p>',
                "<table><tr><th>model</th><th>outcome</th><th>deciding statistic (CI; null)</th><th>reason kind</th><th>reason</th></tr>"
                + rows + "</table>"]
        body += [f'<p>Counterexample on {_escape(r["model"])} (shrunk): <code>{_escape(compact_json(r["counterexample"]))}</code></p>'
                 for r in group if r["counterexample"]]
        for record in group:
            for figure in record.get("figures", []):
                key = json.dumps([figure["kind"], figure["title"], figure["data"]], sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                body.append(render_figure(record, figure, shown, go, make_subplots))
                shown += 1
        parts.append("".join(body) + "</section>")
    return parts


def render_figure(record, figure, index: int, go, make_subplots) -> str:
    if figure["kind"] == "table":
        return html_table(record, figure, index)
    fig, height = RENDERERS[figure["kind"]](figure, go, make_subplots)
    title = _escape(figure_heading(record, figure)) + (f"<br><sup>{_escape(figure['subtitle'])}</sup>" if figure.get("subtitle") else "")
    fig.update_layout(title=title, height=height)
    return _figure(fig, f"figure-{index}", top_margin=100)


def render_html(report) -> str:
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs
    from plotly.subplots import make_subplots

    run = report["run"]
    records = in_registry_order(report["claims"])
    sections = [
        ("Verdicts at a glance", [verdict_matrix(report)]),
        ("Models", [model_table(report)]),
        ("Induction heads by family", head_count_table(report)),
        ("Claims", claim_sections(records, go, make_subplots)),
    ]
    comparison = report.get("comparison")
    if comparison:
        sections.insert(1, (f"Compared with {comparison['baseline']}", ["<pre>" + _escape("\n".join(render(comparison))) + "</pre>"]))
    dtype_note = (f"<p>Measured in {run['dtype']}: head scores agree with float32 within {BF16_SCORE_TOLERANCE}, so a score that close to a "
                  "threshold may flip.</p>" if run["dtype"] != "float32" else "")
    contents = "<nav><b>Contents</b><ul>" + "".join(
        f'<li><a href="#{anchor(title)}">{_escape(title)}</a>' + ("<ul>" + "".join(f'<li><a href="#{anchor(c)}">{_escape(c)}</a></li>' for c in
                                                                              dict.fromkeys(r["claim_id"] for r in records)) + "</ul>" if title == "Claims" else "")
        + "</li>" for title, parts in sections if parts) + "</ul></nav>"
    body = contents + "".join(f'<h2 id="{anchor(title)}">{_escape(title)}</h2>' + "".join(parts) for title, parts in sections if parts)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in report["summary"].items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Claims report</title>"
        + ERROR_PROBE + STYLE + f"<script>{get_plotlyjs()}</script></head><body>"
        + f"<h1>Claims report</h1><p class='meta'>Status <b>{report['status']}</b>, started {report['started_at']}, finished "
        + f"{report['finished_at'] or '-'}; harness {run['harness']}, torch {run['torch']}, transformers {run['transformers']}, device "
        + f"{run['device']}, dtype {run['dtype']}, Hypothesis profile {run['hypothesis_profile']}, commit {run['git_commit'] or '-'}.</p>"
        + f"<p>Summary: {summary}. The full record, with every measurement's settings, is report.json beside this file.</p>"
        + dtype_note + body + "</body></html>\n"
    )
