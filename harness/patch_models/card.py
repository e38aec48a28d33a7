"""The model card of a Chronos-Bolt or Chronos-2 zoo model: README.md in its directory."""

from __future__ import annotations

from pathlib import Path

from harness.chronos.synthetic import MIX
from harness.patch_models import bolt
from harness.zoo import card
from harness.zoo.card import benchmark_section, claims_section, forecast_table, head_lines, results, schedule, table, training_time


# Recipes tried before the shipped ones, with what they gave; failures included.
EARLIER_RECIPES = {
    "bolt-nano": [("lr 1e-3, 3,000 steps", "held-out loss 42.18 (still falling: 48.24 at 2k, 43.04 at 2.5k); MASE 14.67 vs seasonal naive "
                   "3.64: the median forecast stayed near the context's mean, so piecewise and trend series were far off; no RRP head >= 0.3"),
                  ("lr 3e-3, 6,000-step schedule (probe)", "stopped at 1k steps: held-out loss 54.09 against 53.80 at lr 1e-3, so the "
                   "learning rate was not what held it back"),
                  ("lr 1e-3, 12,000 steps", "held-out loss 33.08 (still falling); MASE 3.75 vs seasonal naive 3.64, CI of the difference "
                   "-0.78..+0.91: a tie, losing on motifs (0.67 vs 0) and clean seasonals (1.44 vs 0.39)")],
    "bolt-micro": [("lr 1e-3, 3,000 steps", "held-out loss 41.97 (40.63 in the last evaluation before the end); as nano, still falling"),
                   ("lr 1e-3, 9,000 steps", "held-out loss 35.21 stored in bfloat16 (33.7 in float32, still falling); MASE 4.85 vs "
                    "seasonal naive 3.64, CI of the difference +0.39..+1.99: it lost"),
                   ("lr 1e-3, 25,000 steps, stored in bfloat16 (shipped before; the shipped run's first cycle)", "held-out loss 29.17 "
                    "stored in bfloat16 (27.57 in float32 at the end of training); MASE 4.19 vs seasonal naive 3.64, CI of the difference "
                    "-0.29..+1.30: a tie")],
}


def _architecture(log: dict) -> str:
    recipe = log["recipe"]
    shape = (f"d_model {recipe['d_model']}, d_ff {recipe['d_ff']} (relu), {recipe['heads']} heads of d_kv {recipe['d_kv']}, "
             f"patches of 16 values, REG token, {len(log['quantiles'])} quantiles ({log['quantiles'][0]}-{log['quantiles'][-1]})")
    if log["family"] == bolt.NAME:
        return (f"Chronos-Bolt (`ChronosBoltModelForForecasting`): a T5 encoder over patches with {recipe['layers']} layers and a "
                f"{recipe['layers']}-layer decoder that runs one step; {shape}")
    return f"Chronos-2 (`Chronos2Model`): {recipe['layers']} encoder layers, each time self-attention (RoPE) then group self-attention; {shape}"


def _cycle_storage(recipe: dict) -> str:
    cycle_dtype = recipe.get("cycle_dtype", "float32")
    if not recipe.get("restarts") or cycle_dtype == recipe["stored_dtype"]:
        return ""
    return (f" Each cycle but the last saves its checkpoint in {cycle_dtype}, and the next cycle starts from those stored weights; the "
            f"last is stored in {recipe['stored_dtype']}.")


def render_card(name: str, log: dict, evaluation: dict, report: dict | None, report_path: str | None) -> str:
    recipe, forecast, rrp = log["recipe"], evaluation["forecast"], evaluation["rrp"]
    stored = recipe["stored_dtype"]
    storage = [f"Weights are stored in {stored} (trained in float32) to keep the zoo under 40 MB; the evaluation below was made on the "
               "stored weights.", ""] if stored != "float32" else []
    lines = [
        f"# {name}",
        "",
        f"A miniature {'Chronos-Bolt' if log['family'] == bolt.NAME else 'Chronos-2'} trained from random init on synthetic series "
        f"generated in code (`harness zoo train --size {log['size']}`).",
        "",
        "## Architecture",
        "",
        f"{_architecture(log)}; **{log['parameters']:,} parameters**. Context {log['context_length']} values, prediction "
        f"{log['prediction_length']}.",
        "",
        "## Training",
        "",
        *storage,
        f"The family's own quantile loss (the loss its forward computes from a target). Trainer: {log['trainer']}; lr "
        f"{recipe['learning_rate']}, weight decay {recipe['weight_decay']}, {recipe['warmup']:.0%} warm-up, gradient clip {recipe['clip']}, "
        f"batch {recipe['batch_size']}, dropout 0, seed {recipe['seed']}, {schedule(log)}. Contexts vary in length from "
        f"{log['min_context']} to {log['context_length']} values.{_cycle_storage(recipe)}",
        "",
        "Data mix (share of each batch): " + ", ".join(f"{family} {share:.0%}" for family, share in MIX.items())
        + " (the Chronos-T5 zoo's generators; see the README's Model zoo section).",
        "",
        training_time(log),
        "",
        *results(log, evaluation["held_out_loss"]),
        f"Held-out forecasts (horizon {log['prediction_length']}), MASE (lower is better) against seasonal naive:",
        "",
        *forecast_table(forecast),
        "",
        *benchmark_section(evaluation["benchmark"]),
        "## Induction heads (repeated random patches, sl=10, rf=2)",
        "",
        f"{rrp['procedure']}. Batch {rrp['batch_size']}, seed {rrp['seed']}, {rrp['dtype']}; a head counts when {rrp['rule']} "
        f"({rrp['threshold']}); chance level 1/T = {rrp['chance_level']}.",
        "",
        *head_lines(rrp, "patch"),
    ]
    lines += ["## Claims", ""] + claims_section(report, report_path, f"zoo:{log['size']}", "C")
    if EARLIER_RECIPES.get(log["size"]):
        lines += ["", "## Recipes tried before", ""] + table(["recipe", "what it gave"], [list(r) for r in EARLIER_RECIPES[log["size"]]])
    lines += ["", "Training curve:", ""]
    lines += table(["step", "train loss", "held-out loss"], [[p["step"], p["train_loss"], p["held_out_loss"]] for p in log["curve"]
                                                             if "held_out_loss" in p])
    return "\n".join(lines) + "\n"


def write_card(model_dir: Path, log: dict, evaluation: dict, report: dict | None, report_path: str | None) -> Path:
    return card.write_card(model_dir, render_card(Path(model_dir).name, log, evaluation, report, report_path))
