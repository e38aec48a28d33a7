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
    """The learning-rate schedule in words: one one-cycle schedule, or several with warm restarts, and a last cycle at a
    longer context where the recipe has one."""
    cycles = cycles_of(log)
    short = [c for c in cycles if "context_length" not in c]
    long = [c for c in cycles if "context_length" in c]
    if len(short) == 1:
        text = f"{short[0]['steps']:,} steps"
    else:
        restarts = "; ".join(f"{c['steps']:,} steps on data seed {c['data_seed']}" for c in short[1:])
        text = (f"{short[0]['steps']:,} steps, then warm restarts of the same schedule ({restarts}), each from the previous cycle's "
                f"stored weights with a fresh AdamW")
    for c in long:
        text += (f"; then, from those stored weights with a fresh AdamW, {c['steps']:,} steps at context {c['context_length']} and "
                 f"prediction {c['prediction_length']} (lr {c['learning_rate']}, batch {c['batch_size']}, data seed {c['data_seed']}"
                 f"{', a broader data mix' if 'data_mix' in c else ''})")
    return f"**{text}**" if len(cycles) == 1 else f"{text}; **{sum(c['steps'] for c in cycles):,} steps** in all"


def table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def results(log: dict, held_out_loss: float) -> list[str]:
    """The Results heading with the final training loss and the held-out loss of a Chronos zoo model."""
    held_out = log["held_out"]
    return ["## Results", "", f"- final training loss (mean of the last 100 steps): **{log['final_train_loss']}**",
            f"- held-out loss ({held_out['series']} series from seed {held_out['seed']}, full {held_out['context']}-value context): "
            f"**{held_out_loss}**", ""]


def forecast_table(forecast: dict) -> list[str]:
    """harness.zoo.forecasts.mase_table as a table, then how it was measured."""
    return table(["series", "n", "model MASE", "seasonal-naive MASE", "difference, 95% CI", "share where the model is better"],
                 [[family, v["series"], v["model_mase"], v["seasonal_naive_mase"], "{:+.3f} .. {:+.3f}".format(*v["difference_ci"]),
                   f"{v['model_better_share']:.0%}"] for family, v in forecast.items() if family != "procedure"]) + ["", forecast["procedure"] + "."]


def benchmark_section(benchmark: dict) -> list[str]:
    """harness.zoo.benchmark's tables side by side (model MASE vs seasonal naive, CI of the difference), then where the
    model falls short of the zoo's goal in each setting."""
    settings = list(benchmark["tables"])
    first = benchmark["tables"][settings[0]]

    def cell(row: dict) -> str:
        return "{} vs {} ({:+.2f} .. {:+.2f})".format(row["model_mase"], row["seasonal_naive_mase"], *row["difference_ci"])

    lines = ["## Forecasting benchmark", "",
             f"{benchmark['series_per_family']} held-out series of each named family (seed {benchmark['seed']}), the same forecast "
             "windows from a short and a long context; each cell: MASE of the model vs seasonal naive (95% CI of the difference):", ""]
    lines += table(["family", *settings], [[family, *(cell(benchmark["tables"][setting][family]) for setting in settings)]
                                            for family in first if family != "procedure"])
    lines += ["", benchmark["procedure"] + ".", "", "Against the goal (overall MASE at most 0.9 x seasonal naive, and no family but random "
              "walks where the CI says the model is worse):", ""]
    for setting, short in benchmark["shortfalls"].items():
        worse = ", ".join(short["families_worse_than_seasonal_naive"]) or "none"
        verdict = "meets" if short["meets_overall"] else "misses"
        lines.append(f"- {setting}: overall ratio {short['overall_ratio']} ({verdict} {short['target_ratio']}); worse than seasonal naive on: {worse}")
    return lines + [""]


def head_lines(counts: dict, unit: str) -> list[str]:
    """Current and right heads, the strongest head, and each kind's score grid (layers x heads) of a mosaic summary."""
    best = counts["strongest_head"]
    lines = [f"- current-{unit} heads: **{len(counts['current_heads'])}** {counts['current_heads']}",
             f"- right-{unit} heads: **{len(counts['right_heads'])}** {counts['right_heads']}",
             f"- strongest head: {best['kind']} L{best['layer']}H{best['head']}, mean {best['mean']:.3f} [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}]",
             ""]
    for kind in ("current", "right"):
        grid = counts["mosaic"][kind]["mean"]
        lines += [f"{kind}-{unit} score per {'decoder ' if unit == 'token' else ''}layer (rows) and head (columns):", ""]
        lines += table(["layer"] + [f"h{h}" for h in range(len(grid[0]))], [[layer] + [f"{v:.3f}" for v in row] for layer, row in enumerate(grid)])
        lines.append("")
    return lines


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
