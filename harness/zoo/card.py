"""What every zoo model card shares: training time and schedule from the training log, tables, and the
claims section from a claims report. Each family's card (harness/chronos/card.py, harness/causal_lm/card.py)
is written from its training log, its evaluation and a claims report, so every number on it was measured by a command."""

from __future__ import annotations

from pathlib import Path

from harness import atomic
from harness.report.format import decisive_text, in_registry_order
from harness.zoo.fit import cycles_of


def training_time(log: dict) -> str:
    def described(facts: dict) -> str:
        load = f", 1-minute load average {facts['load_average']} at the end (other work on the machine slows training)" if "load_average" in facts else ""
        return f"{facts['training_seconds'] / 60:.1f} min on {facts['hardware']} (torch {facts['torch']}){load}"

    cycles = cycles_of(log)
    if len(cycles) == 1:
        return f"Training time {described(log)}."
    return f"Training time {log['training_seconds'] / 60:.1f} min: " + "; ".join(f"cycle {c['cycle']} {described(c)}" for c in cycles) + "."


def schedule(log: dict) -> str:
    """The learning-rate schedule in words: one one-cycle schedule, or several with warm restarts."""
    cycles = cycles_of(log)
    if len(cycles) == 1:
        return f"**{cycles[0]['steps']:,} steps**"
    restarts = "; ".join(f"{c['steps']:,} steps on data seed {c['data_seed']}" for c in cycles[1:])
    return (f"{cycles[0]['steps']:,} steps, then warm restarts of the same schedule ({restarts}), each from the previous cycle's "
            f"stored weights with a fresh AdamW; **{sum(c['steps'] for c in cycles):,} steps** in all")


def table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def claim_outcomes(report: dict, model_name: str, label: str) -> list[list]:
    """Rows for the claims whose id starts with ``label`` (C or L) measured on this model or across models."""
    rows = []
    family = report.get("models", {}).get(model_name, {}).get("family")
    for record in in_registry_order(report["claims"]):
        compared = record["model"] in (None, f"across {family}") and record.get("family") == family
        if (record["model"] == model_name or compared) and record["claim_id"].startswith(label):
            reason = (record["reason"] or "").splitlines()[0][:160] if record["reason"] else ""
            rows.append([record["claim_id"], record["outcome"], decisive_text(record["statistics"]) or reason])
    return rows


def claims_section(report: dict | None, report_path: str | None, model_name: str, label: str) -> list[str]:
    """The card's table of claim outcomes, with how the report was measured."""
    if report is None:
        return ["No claims report was given when this card was written."]
    run = report["run"]
    return [f"From `pytest claims/` ({run['dtype']}, {run['device']}, Hypothesis profile {run['hypothesis_profile']}, commit "
            f"{run['git_commit'] or '-'}; report {report_path}):", ""] + table(
        ["claim", "outcome", "deciding statistic or reason"], claim_outcomes(report, model_name, label))


def write_card(model_dir: Path, text: str) -> Path:
    path = Path(model_dir) / "README.md"
    atomic.write_text(path, text)
    return path
