"""Numbers and the decisive statistic as text, shared by report.md, report.html and the comparison."""

from __future__ import annotations

import json
from typing import Any


def format_value(value: Any) -> str:
    """Three significant digits (scientific notation below 0.001); n/a where nothing could be computed."""
    if value is None or isinstance(value, float) and value != value:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def decisive_text(statistics: dict[str, Any]) -> str:
    decisive = statistics.get("decisive")
    if not decisive:
        return ""
    text = f"{decisive['statistic']} = {format_value(decisive['value'])}"
    if decisive.get("ci"):
        low, high = decisive["ci"]
        text += f" (CI {format_value(low)}..{format_value(high)})"
    if decisive.get("chance") is not None:
        text += f"; null {format_value(decisive['chance'])}" + (f" ({decisive['null']})" if decisive.get("null") else "")
    return text


ORIGINS = {"finding": "Findings of the studies", "extension": "Extensions of this project"}


def origin(record: dict) -> str:
    return record.get("origin", "finding")  # records of report schema < 4 carry no origin


def in_registry_order(claims: list[dict]) -> list[dict]:
    """Records ordered as their registries list the claims, the studies' findings before this project's extensions
    (records of report schema < 3 keep their order)."""
    return sorted(claims, key=lambda r: (r.get("registry", ""), origin(r) != "finding", r.get("position", 0)))


def figure_heading(record: dict, figure: dict) -> str:
    return f"{figure['title']} ({record['claim_id']})"


def compact_json(value: Any) -> str:
    """JSON with every float at three significant digits, for reading (report.json keeps the full values)."""
    def rounded(v):
        if isinstance(v, float):
            return float(f"{v:.3g}")
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return [rounded(x) for x in v] if isinstance(v, list) else v

    return json.dumps(rounded(value))


def head_counts_by_family(report: dict) -> tuple[str | None, list[list]]:
    """Induction heads and their share per model, grouped by family: from the first claim in registry order whose
    records carry head counts (``counts`` with ``total_heads``). (claim id or None, rows)."""
    counted = [r for r in in_registry_order(report["claims"]) if r["model"] and "total_heads" in (r["statistics"].get("counts") or {})]
    if not counted:
        return None, []
    claim_id = counted[0]["claim_id"]
    rows = []
    for record in sorted((r for r in counted if r["claim_id"] == claim_id), key=lambda r: (r["family"], report["models"].get(r["model"], {})
                                                                                              .get("parameters", 0))):
        counts, measured = record["statistics"]["counts"], record["statistics"].get("measurement") or {}
        found = counts["current"] + counts["right"]
        rows.append([record["family"], record["model"], counts["current"], counts["right"], counts["total_heads"],
                     round(found / counts["total_heads"], 3), format_value(measured.get("chance_level"))])
    return claim_id, rows


HEAD_COUNT_COLUMNS = ["family", "model", "current heads", "right heads", "heads measured", "induction share", "chance level"]


MODEL_COLUMNS = ["label", "model", "family", "parameters", "layers (enc/dec)", "heads", "snapshot", "fingerprint", "path"]


def model_rows(report: dict) -> list[list[str]]:
    """One row per model: its label in the run, what --model named (path, hub id, zoo: or planted:), and what it is."""
    return [[label, m.get("spec", label), m["family"], f"{m['parameters']:,}", f"{m['encoder_layers']}/{m['decoder_layers']}",
             str(m["heads"]), m.get("snapshot") or "-", m.get("fingerprint") or "-", m["path"]] for label, m in report["models"].items()]
