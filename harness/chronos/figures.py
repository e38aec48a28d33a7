"""The chronos-t5 family's figures, built from its measurements in the generic kinds of harness.figures."""

from __future__ import annotations

from harness import figures


def _subtitle(measurement: dict, keys=("sequence_length", "repetitions", "batch_size", "seed", "dtype")) -> str:
    shown = ", ".join(f"{k}={measurement[k]}" for k in keys if k in measurement)
    return f"{shown}; chance {measurement['chance_level']:.3g}" if "chance_level" in measurement else shown


def mosaic(mosaic) -> figures.Figure:
    """Current-token and token-to-the-right scores per decoder layer and head, with CIs on hover."""
    panels = [figures.panel(title, grid.mean, ci_low=grid.ci_low, ci_high=grid.ci_high, colors=colors, y_title="decoder layer")
              for title, grid, colors in (("current-token score", mosaic.current, "Blues"), ("token-to-the-right score", mosaic.right, "Oranges"))]
    return figures.heatmaps(f"Induction mosaic: {mosaic.model['name']}", panels, _subtitle(mosaic.measurement()))


def layer_positions(model_name: str, current: list[float], right: list[float]) -> figures.Figure:
    return figures.points(f"Layer position of induction heads: {model_name}",
                          [{"name": "current-token heads", "x": current, "y": [model_name] * len(current)},
                           {"name": "right-token heads", "x": right, "y": [model_name] * len(right)}],
                          x_title="relative decoder layer, (layer + 1) / layers", x_range=(0.0, 1.05))


def size_table(rows: list[dict]) -> figures.Figure:
    """Seed-mean head counts per model, smallest first, with bootstrap CIs over seeds."""
    return figures.bars("Induction heads per model (seed means, bootstrap CI over seeds)",
                        [f"{row['model']} ({row['parameters']:,})" for row in rows],
                        [{"name": kind, "values": [row[kind]["mean"] for row in rows], "ci_low": [row[kind]["ci"][0] for row in rows],
                          "ci_high": [row[kind]["ci"][1] for row in rows]} for kind in ("current", "right", "total")],
                        y_title="heads")


def size_rows(rows: list[dict]) -> figures.Figure:
    """The study's size table: counts and share per model, seed means with bootstrap CIs over seeds."""
    def cell(row, key, fmt="{:.1f}"):
        return f"{fmt.format(row[key]['mean'])} [{fmt.format(row[key]['ci'][0])}, {fmt.format(row[key]['ci'][1])}]"

    return figures.table("Induction heads per model (seed means [bootstrap CI over seeds])",
                         ["model", "parameters", "current-token heads", "right-token heads", "total", "share of all heads"],
                         [[row["model"], f"{row['parameters']:,}", cell(row, "current"), cell(row, "right"), cell(row, "total"),
                           cell(row, "share", "{:.1%}")] for row in rows])


def sweep_rows(model_name: str, cells: list[dict]) -> figures.Figure:
    """Every cell of the sweep with its chance level and strongest head."""
    return figures.table(f"Sweep cells: {model_name}",
                         ["sequence_length", "repetitions", "T", "chance 1/T", "current", "right", "total", "total >= k x chance",
                          "strongest head (mean)"],
                         [[c["sequence_length"], c["repetitions"], c["encoder_length"], f"{c['chance_level']:.4f}", c["current"], c["right"],
                           c["total"], c["total_above_chance_multiple"],
                           f"{c['strongest_head']['kind']} L{c['strongest_head']['layer']}H{c['strongest_head']['head']} {c['strongest_head']['mean']:.3f}"]
                          for c in cells])


def sweep_grid(model_name: str, cells: list[dict]) -> figures.Figure:
    """Head counts (CI lower bound >= threshold) over sequence length x repetitions."""
    lengths = sorted({c["sequence_length"] for c in cells})
    repetitions = sorted({c["repetitions"] for c in cells})
    by_cell = {(c["sequence_length"], c["repetitions"]): c for c in cells}
    z = [[by_cell[(sl, rf)]["total"] if (sl, rf) in by_cell else None for sl in lengths] for rf in repetitions]
    above = [[by_cell[(sl, rf)]["total_above_chance_multiple"] if (sl, rf) in by_cell else None for sl in lengths] for rf in repetitions]
    multiple = cells[0]["chance_multiple"] if cells else None
    return figures.heatmaps(f"Induction heads over sequence length x repetitions: {model_name}", [
        figures.panel("heads, CI lower bound >= threshold", z, zmin=None, zmax=None, x=lengths, y=repetitions, x_title="sequence length",
                      y_title="repetitions", show_values=True),
        figures.panel(f"heads >= {multiple} x chance 1/T", above, zmin=None, zmax=None, x=lengths, y=repetitions, x_title="sequence length",
                      y_title="repetitions", show_values=True)])


def spectra(model_name: str, data: dict) -> figures.Figure:
    """The multisine series, the attention rows of the most varied heads and their spectra (SpectralMeasurement.figure_data)."""
    heads = [(f"L{h['layer']}H{h['head']} (period {h['period_hz']} Hz)", h) for h in data["heads"]]
    return figures.lines(
        f"Multisine {data['signal_frequencies_hz']} Hz on {model_name}",
        [{"title": "series", "x_title": "time (s)", "traces": [{"name": "series", "x": data["time_s"], "y": data["series"]}]},
         {"title": "attention rows of the forecasting query", "x_title": "time (s)",
          "traces": [{"name": name, "x": data["row_time_s"], "y": h["row"]} for name, h in heads]},
         {"title": "spectra of the rows", "x_title": "frequency (Hz); dotted: signal frequencies", "vlines": data["signal_frequencies_hz"],
          "traces": [{"name": name, "x": data["frequencies_hz"], "y": h["magnitude"]} for name, h in heads]}],
        subtitle=f"smallest gap {data['smallest_gap_hz']} Hz, fundamental {data['fundamental_hz']} Hz")


def ablation(effect) -> figures.Figure:
    """Each head's attention score beside what ablating it alone does to log p(S[2])."""
    drops = effect.head_drops
    bound = float(max(abs(drops.min()), abs(drops.max()), 1e-6))
    panels = [figures.panel("induction score, max(current, right)", effect.attention_scores, colors="Blues", y_title="decoder layer"),
              figures.panel("drop in log p(S[2]) with the head alone ablated (nats)", drops, zmin=-bound, zmax=bound, colors="RdBu",
                            y_title="decoder layer")]
    return figures.heatmaps(f"Attention and ablation effect per head: {effect.model['name']}", panels, _subtitle(effect.measurement()))


def random_sets(effect, observed: float) -> figures.Figure:
    """The drop from each random head set, and the induction heads' drop."""
    name = effect.model["name"]
    return figures.points(f"Drop in log p(S[2]): induction heads against {len(effect.random_drops)} random sets of "
                          f"{len(effect.induction_heads)} other heads: {name}",
                          [{"name": "random head sets", "x": [float(d) for d in effect.random_drops], "y": ["random sets"] * len(effect.random_drops)},
                           {"name": "induction heads", "x": [observed], "y": ["induction heads"]}],
                          x_title="mean drop in log p(S[2]) (nats)")


def prefix_mosaic(mosaic) -> figures.Figure:
    panel = figures.panel(f"prefix-matching score ({mosaic.site} self-attention)", mosaic.scores.mean, ci_low=mosaic.scores.ci_low,
                          ci_high=mosaic.scores.ci_high, colors="Greens", y_title=f"{mosaic.site} layer")
    return figures.heatmaps(f"Prefix matching, {mosaic.site}: {mosaic.model['name']}", [panel], _subtitle(mosaic.measurement()))
