"""report.html: one self-contained page (plotly.js inlined, no network) rendered from report.json alone."""

from __future__ import annotations

import html
import json
from typing import Any

from harness.report import BF16_SCORE_TOLERANCE, decisive_text

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

COLORS = {"current": "Blues", "right": "Oranges"}


def _figure(fig, figure_id: str, top_margin: int = 60) -> str:
    fig.update_layout(margin={"l": 60, "r": 20, "t": top_margin, "b": 50}, template="plotly_white")
    return f'<div class="figure" data-figure="{figure_id}">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=figure_id) + "</div>"


def _first_with(report, key: str) -> dict[str, dict]:
    """Per model, the statistics of the first claim record that carries ``key``."""
    found: dict[str, dict] = {}
    for record in report["claims"]:
        if key in record["statistics"] and record["model"] and record["model"] not in found:
            found[record["model"]] = record["statistics"]
    return found


def _escape(value: Any) -> str:
    return html.escape(str(value))


def verdict_table(report) -> str:
    rows = "".join(
        f'<tr class="{r["outcome"]}"><td>{_escape(r["claim_id"])}</td><td>{_escape(r["model"] or "all models")}</td>'
        f'<td><b>{r["outcome"]}</b></td><td>{_escape(decisive_text(r["statistics"]))}</td>'
        f'<td>{_escape((r["reason"] or "").splitlines()[0] if r["reason"] else "")}</td></tr>'
        for r in report["claims"]
    )
    return ('<table id="verdicts"><tr><th>claim</th><th>model</th><th>outcome</th><th>deciding statistic (CI; chance)</th><th>reason</th></tr>'
            + rows + "</table>")


def model_table(report) -> str:
    rows = "".join(
        f"<tr><td>{_escape(name)}</td><td>{m.get('family', 'chronos-t5')}</td><td>{m['parameters']:,}</td><td>{m['encoder_layers']}/{m['decoder_layers']}</td><td>{m['heads']}</td>"
        f"<td>{m['device']}</td><td>{m['dtype']}</td><td><code>{_escape(m['path'])}</code></td></tr>"
        for name, m in report["models"].items()
    )
    return ("<table><tr><th>model</th><th>family</th><th>parameters</th><th>layers (enc/dec)</th><th>heads</th><th>device</th><th>dtype</th><th>path</th></tr>"
            + rows + "</table>")


def _grid_hover(grid: dict) -> list[list[str]]:
    """Hover text per (layer, head) of a ScoreGrid record: mean and CI."""
    return [[f"L{layer} H{head}: {grid['mean'][layer][head]:.3f} [{grid['ci_low'][layer][head]:.3f}, {grid['ci_high'][layer][head]:.3f}]"
             for head in range(len(grid["mean"][layer]))] for layer in range(len(grid["mean"]))]


def mosaic_figures(report, go, make_subplots) -> list[str]:
    figures = []
    for index, (model, statistics) in enumerate(_first_with(report, "mosaic").items()):
        mosaic = statistics["mosaic"]
        measurement = statistics.get("measurement", {})
        fig = make_subplots(rows=1, cols=2, subplot_titles=("current-token score", "token-to-the-right score"), horizontal_spacing=0.12)
        for col, kind in enumerate(("current", "right"), start=1):
            grid = mosaic[kind]
            fig.add_trace(go.Heatmap(z=grid["mean"], zmin=0, zmax=1, colorscale=COLORS[kind], text=_grid_hover(grid), hoverinfo="text",
                                     colorbar={"x": 0.45 if col == 1 else 1.0, "len": 0.9}), row=1, col=col)
            fig.update_xaxes(title_text="head", dtick=1, row=1, col=col)
            fig.update_yaxes(title_text="decoder layer", dtick=1, autorange="reversed", row=1, col=col)
        subtitle = ", ".join(f"{k}={measurement[k]}" for k in ("sequence_length", "repetitions", "batch", "seed", "dtype") if k in measurement)
        fig.update_layout(title=f"Induction mosaic: {model}<br><sup>{_escape(subtitle)}; chance {measurement.get('chance_level', 0):.3g}</sup>",
                          height=420)
        figures.append(_figure(fig, f"mosaic-{index}", top_margin=100))
    return figures


def count_figures(report, go) -> list[str]:
    """Counts per model: the size table of the cross-model claims if present, else each model's mosaic counts."""
    size_tables = [r["statistics"]["size_table"] for r in report["claims"] if r["statistics"].get("size_table")]
    if size_tables:
        rows = size_tables[0]
        names = [f"{row['model']} ({row['parameters']:,})" for row in rows]
        fig = go.Figure([go.Bar(name=kind, x=names, y=[row[kind]["mean"] for row in rows],
                                error_y={"type": "data", "symmetric": False, "array": [row[kind]["ci"][1] - row[kind]["mean"] for row in rows],
                                         "arrayminus": [row[kind]["mean"] - row[kind]["ci"][0] for row in rows]})
                         for kind in ("current", "right", "total")])
        fig.update_layout(title="Induction heads per model (seed means, bootstrap CI over seeds)", barmode="group", yaxis_title="heads", height=380)
        return [_figure(fig, "counts")]
    counted = _first_with(report, "counts")
    if not counted:
        return []
    names = list(counted)
    fig = go.Figure([go.Bar(name=kind, x=names, y=[counted[n]["counts"][kind] for n in names]) for kind in ("current", "right")])
    fig.update_layout(title="Induction heads per model (CI lower bound >= threshold)", barmode="group", yaxis_title="heads", height=360)
    return [_figure(fig, "counts")]


def position_figures(report, go) -> list[str]:
    positioned = _first_with(report, "current_positions")
    if not positioned:
        return []
    fig = go.Figure()
    for kind, symbol in (("current", "circle"), ("right", "diamond")):
        xs, ys = [], []
        for model, statistics in positioned.items():
            xs += statistics[f"{kind}_positions"]
            ys += [model] * len(statistics[f"{kind}_positions"])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=f"{kind}-token heads", marker={"symbol": symbol, "size": 11, "opacity": 0.7}))
    fig.update_layout(title="Layer position of induction heads (decoder layer / (layers - 1))", xaxis={"range": [-0.05, 1.05], "title": "relative layer"},
                      height=160 + 60 * len(positioned))
    return [_figure(fig, "positions")]


def grid_figures(report, go) -> list[str]:
    figures = []
    for index, record in enumerate(r for r in report["claims"] if r["statistics"].get("grid")):
        cells = record["statistics"]["grid"]
        lengths = sorted({c["sequence_length"] for c in cells})
        repetitions = sorted({c["repetitions"] for c in cells})
        by_cell = {(c["sequence_length"], c["repetitions"]): c for c in cells}
        z = [[by_cell[(sl, rf)]["total"] if (sl, rf) in by_cell else None for sl in lengths] for rf in repetitions]
        text = [[f"sl={sl}, rf={rf}: {by_cell[(sl, rf)]['total']} heads (chance 1/T={by_cell[(sl, rf)]['chance_level']:.3f}); "
                 f">= {by_cell[(sl, rf)]['chance_multiple']}x chance: {by_cell[(sl, rf)]['total_above_chance_multiple']}"
                 if (sl, rf) in by_cell else "" for sl in lengths] for rf in repetitions]
        fig = go.Figure(go.Heatmap(z=z, x=[str(v) for v in lengths], y=[str(v) for v in repetitions], text=text, hoverinfo="text", colorscale="Viridis",
                                   texttemplate="%{z}"))
        fig.update_layout(title=f"Induction heads over sequence length x repetitions: {record['model']} ({record['claim_id']})",
                          xaxis_title="sequence length", yaxis_title="repetitions", height=380)
        figures.append(_figure(fig, f"grid-{index}"))
        break  # C6 and C7 share one sweep per model; one figure per model is enough
    return figures


def multisine_figures(report, go, make_subplots) -> list[str]:
    figures = []
    for index, (model, statistics) in enumerate(_first_with(report, "spectra_figure").items()):
        data = statistics["spectra_figure"]
        fig = make_subplots(rows=3, cols=1, vertical_spacing=0.1,
                            subplot_titles=("series", "cross-attention rows (decoder position 0)", "spectra of the rows"))
        fig.add_trace(go.Scatter(x=data["time_s"], y=data["series"], name="series", line={"color": "#444"}), row=1, col=1)
        for head in data["heads"]:
            label = f"L{head['layer']}H{head['head']} (period {head['period_hz']} Hz)"
            fig.add_trace(go.Scatter(x=data["time_s"], y=head["row"], name=label, legendgroup=label), row=2, col=1)
            fig.add_trace(go.Scatter(x=data["frequencies_hz"], y=head["magnitude"], name=label, legendgroup=label, showlegend=False), row=3, col=1)
        for frequency in data["signal_frequencies_hz"]:
            fig.add_vline(x=frequency, line={"dash": "dot", "color": "#999"}, row=3, col=1)
        fig.update_xaxes(title_text="time (s)", row=2, col=1)
        fig.update_xaxes(title_text="frequency (Hz); dotted: signal frequencies", row=3, col=1)
        fig.update_layout(title=f"Multisine {data['signal_frequencies_hz']} Hz on {model}: smallest gap {data['smallest_gap_hz']} Hz, "
                                f"fundamental {data['fundamental_hz']} Hz",
                          height=820)
        figures.append(_figure(fig, f"multisine-{index}", top_margin=100))
    return figures


def lm_figures(report, go, make_subplots) -> list[str]:
    """Per language model: induction and previous-token scores per head (L1, L2), and L4's patching per head and length."""
    figures = []
    for index, (model, statistics) in enumerate(_first_with(report, "induction_scores").items()):
        previous = next((r["statistics"]["previous_token_scores"] for r in report["claims"]
                         if r["model"] == model and "previous_token_scores" in r["statistics"]), None)
        panels = [("induction score", statistics["induction_scores"], "Purples")] + ([("previous-token score", previous, "Greens")] if previous else [])
        fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[title for title, _, _ in panels], horizontal_spacing=0.12)
        for col, (title, grid, colors) in enumerate(panels, start=1):
            fig.add_trace(go.Heatmap(z=grid["mean"], zmin=0, zmax=1, colorscale=colors, text=_grid_hover(grid), hoverinfo="text",
                                     colorbar={"x": 0.45 if col == 1 and len(panels) > 1 else 1.0, "len": 0.9}), row=1, col=col)
            fig.update_xaxes(title_text="head", dtick=1, row=1, col=col)
            fig.update_yaxes(title_text="layer", dtick=1, autorange="reversed", row=1, col=col)
        measurement = statistics.get("measurement", {})
        subtitle = ", ".join(f"{k}={measurement[k]}" for k in ("sequence_length", "batch_size", "dtype") if k in measurement)
        fig.update_layout(title=f"Attention patterns: {model}<br><sup>{_escape(subtitle)}</sup>", height=380)
        figures.append(_figure(fig, f"lm-patterns-{index}", top_margin=100))
    for index, (model, statistics) in enumerate(_first_with(report, "by_length").items()):
        rows = [r for r in statistics["by_length"] if r.get("patching")]
        if not rows:
            continue
        heads = list(rows[0]["patching"]["restored_fraction"])
        values = [[r["patching"]["restored_fraction"][h] for h in heads] for r in rows]
        hover = [[f"length {r['pattern_length']}, {h}: {r['patching']['restored_fraction'][h]}; logit diff clean {r['logit_difference']}, "
                  f"corrupted {r['patching']['corrupted_logit_difference']}" for h in heads] for r in rows]
        fig = go.Figure(go.Heatmap(z=values, x=heads, y=[r["pattern_length"] for r in rows], zmin=-1, zmax=1, colorscale="RdBu",
                                   text=hover, hoverinfo="text"))
        fig.update_yaxes(title_text="pattern length", dtick=1)
        fig.update_layout(title=f"Activation patching (0 = corrupted, 1 = clean): {model}", height=360)
        figures.append(_figure(fig, f"lm-patching-{index}"))
    return figures


def render_html(report) -> str:
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs
    from plotly.subplots import make_subplots

    run = report["run"]
    sections = [
        ("Verdicts", [verdict_table(report)]),
        ("Models", [model_table(report)]),
        ("Induction mosaics", mosaic_figures(report, go, make_subplots)),
        ("Induction heads per model", count_figures(report, go)),
        ("Layer positions", position_figures(report, go)),
        ("Sequence length x repetitions", grid_figures(report, go)),
        ("Multisine spectra", multisine_figures(report, go, make_subplots)),
        ("Language models", lm_figures(report, go, make_subplots)),
    ]
    comparison = report.get("comparison")
    if comparison:
        from harness.compare import Comparison, render

        sections.insert(1, (f"Compared with {comparison['baseline']}", ["<pre>" + _escape("\n".join(render(Comparison(**{
            k: v for k, v in comparison.items() if k not in ("baseline", "regressions")})))) + "</pre>"]))
    dtype_note = (f"<p>Measured in {run['dtype']}: head scores agree with float32 within {BF16_SCORE_TOLERANCE}, so a score that close to a "
                  "threshold may flip.</p>" if run["dtype"] != "float32" else "")
    body = "".join(f"<h2>{_escape(title)}</h2>" + "".join(parts) for title, parts in sections if parts)
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
