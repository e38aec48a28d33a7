"""Figures a claim declares through `evidence.figure(...)`: a kind and plain data, rendered by report.html and
report.md without knowing which claim made them. Five kinds cover the claims so far:

- heatmaps: one or more layer x head (or any 2-d) panels, each cell with an optional CI for the hover text;
- bars: grouped bars over categories, each with an optional CI;
- points: markers on a numeric axis, one row per category;
- lines: panels of line traces over a shared x, with optional vertical markers;
- table: rows of cells under named columns (numbers already formatted as the claim wants them read).
"""

from __future__ import annotations

from typing import Any, TypedDict

KINDS = ("heatmaps", "bars", "points", "lines", "table")


class Figure(TypedDict):
    kind: str
    title: str
    subtitle: str | None
    data: dict[str, Any]


def _rounded(values, digits: int = 6):
    if isinstance(values, (list, tuple)):
        return [_rounded(v, digits) for v in values]
    if hasattr(values, "tolist"):
        return _rounded(values.tolist(), digits)
    return round(float(values), digits) if isinstance(values, float) else values


def panel(title: str, z, *, ci_low=None, ci_high=None, zmin: float | None = 0.0, zmax: float | None = 1.0, colors: str = "Viridis",
          x: list | None = None, y: list | None = None, x_title: str = "head", y_title: str = "layer", show_values: bool = False) -> dict:
    """One heatmap panel; rows are y (layers), columns x (heads) unless labels are given."""
    return {"title": title, "z": _rounded(z), "ci_low": _rounded(ci_low) if ci_low is not None else None,
            "ci_high": _rounded(ci_high) if ci_high is not None else None, "zmin": zmin, "zmax": zmax, "colors": colors,
            "x": x, "y": y, "x_title": x_title, "y_title": y_title, "show_values": show_values}


def heatmaps(title: str, panels: list[dict], subtitle: str | None = None) -> Figure:
    return Figure(kind="heatmaps", title=title, subtitle=subtitle, data={"panels": panels})


def bars(title: str, categories: list[str], series: list[dict], y_title: str, subtitle: str | None = None) -> Figure:
    """series: [{"name", "values", "ci_low"?, "ci_high"?}], one value per category."""
    return Figure(kind="bars", title=title, subtitle=subtitle,
                  data={"categories": categories, "series": [{**s, "values": _rounded(s["values"])} for s in series], "y_title": y_title})


def points(title: str, series: list[dict], x_title: str, x_range: tuple[float, float] | None = None, subtitle: str | None = None) -> Figure:
    """series: [{"name", "x": [numbers], "y": [category labels]}]."""
    return Figure(kind="points", title=title, subtitle=subtitle,
                  data={"series": series, "x_title": x_title, "x_range": list(x_range) if x_range else None})


def lines(title: str, panels: list[dict], subtitle: str | None = None) -> Figure:
    """panels: [{"title", "x_title", "traces": [{"name", "x", "y"}], "vlines": [x, ...]}]; traces with equal names share a colour."""
    return Figure(kind="lines", title=title, subtitle=subtitle,
                  data={"panels": [{**p, "traces": [{**t, "x": _rounded(t["x"]), "y": _rounded(t["y"])} for t in p["traces"]]} for p in panels]})


def table(title: str, columns: list[str], rows: list[list], subtitle: str | None = None) -> Figure:
    return Figure(kind="table", title=title, subtitle=subtitle, data={"columns": columns, "rows": [[str(c) for c in row] for row in rows]})
