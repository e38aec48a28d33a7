"""Model cards for the zoo: README.md in each model directory, written from its training log, its
evaluation and a claims report, so every number on the card was measured by a command."""

from __future__ import annotations

from pathlib import Path

from harness import atomic
from harness.zoo.data import MIX
from harness.zoo.train import cycles_of

# Recipes tried before the shipped ones, with what RRT (sl=10, rf=2) found; failures included.
EARLIER_RECIPES = [
    ("d64, 2+2 layers, lr 1e-3; 50% periodic patterns, 30% multisine, 20% random walk", "1.5k", "loss 5.7; no head >= 0.3 (max 0.07)"),
    ("d96, 3+3 layers, lr 3e-3; 70% exact periodic patterns, multisine, random walk", "3k", "loss 2.0; no head >= 0.3 (max 0.09)"),
    ("d64, 2+2, lr 3e-3, variable context; patterns uniform in [-1, 1]", "3k", "loss 2.2; none"),
    ("same; 60% random values with an earlier segment copied into the forecast window", "4k", "loss 2.7; none"),
    ("d128, 2+2, initializer_factor 0.05", "1.75k", "loss 6.0 (slow to learn); none"),
    ("d64, 2+2, lr 3e-3; 60% motifs repeated 1-3 times (no KernelSynth)", "4k", "loss 1.4; none; cross-attention near uniform"),
    ("same motif recipe, longer", "20k", "phase change at 7-8k steps; 4 of 8 heads right-token heads (0.31-0.40), no current-token heads"),
    ("d256, 4+4 layers, 4 heads of 64, lr 1.5e-3, 5,000-step schedule", "stopped at 600", "train loss 5.44 when stopped: too slow for the "
     "CPU budget (about 1 step/s); restarted with a shorter schedule"),
    ("micro's shape, bf16 autocast, lr 2e-3, shipped for a while", "3k", "held-out loss 4.05, MASE 5.44 (seasonal naive 1.96); no head "
     ">= 0.3 (strongest right L0H3 0.197)"),
    ("d256, 4+4 layers, 4 heads of 64, lr 1.5e-3, 6,500-step schedule, beside micro's 18k-step run (shipped)", "stopped at 1.2k", "held-out loss 5.29 at 1k; about 1 "
     "step/s with micro on the other core, so it could not finish in the CPU time at hand"),
    ("d256, 4+4 layers, 4 heads of 64, lr 1.5e-3, 1,500-step schedule, 1 thread beside other runs (shipped before)", "1.5k", "held-out loss 5.26, MASE 5.45 "
     "(seasonal naive 1.96); no head >= 0.3 (strongest right L1H0 0.09)"),
    ("d256, 4+4 layers, 4 heads of 64, lr 1.5e-3, 16,000-step schedule, 2 threads (shipped before)", "16k", "plateau near 5.05 from 1.5k to 8k steps, then "
     "a slow fall: held-out loss 4.64, MASE 5.17 (seasonal naive 1.96); no head >= 0.3 (strongest current L2H3 0.095)"),
    ("d256, 4+4 layers, 4 heads of 64, lr 1e-3, 12,000-step schedule (probe)", "stopped at 3.2k", "held-out loss 5.14 at 1k, 4.80 at 2k, 4.71 at 3k "
     "(the run at lr 6e-4 below: 5.17, 4.56, 4.33)"),
    ("d256, 4+4 layers, 4 heads of 64, lr 3e-4, 12,000-step schedule (probe)", "stopped at 3k", "held-out loss 5.70 at 1k, 4.77 at 2k, 4.39 at 3k"),
    ("d256, 4+4 layers, 4 heads of 64, lr 6e-4, 12,000-step schedule (shipped before)", "12k", "left the plateau by 2k steps, then a "
     "slow fall with no phase change: held-out loss 3.53, MASE 5.14 (seasonal naive 1.96); no head >= 0.3 (strongest right L1H0 0.067)"),
    ("d256, 4+4 layers, 8 heads of 32, lr 1e-3, 18,000-step schedule", "18k", "a slow fall with no drop: held-out loss 4.58 at 2k, "
     "4.10 at 6k, 3.74 at 9k, 3.38 at 18k (the run at lr 6e-4 below: 4.45, 3.73, 3.33, 2.57 at 16k); no head >= 0.3 (strongest "
     "right L1H2 0.076)"),
    ("d256, 4+4 layers, 8 heads of 32, lr 6e-4, 16,000-step schedule (shipped before)", "16k", "a drop near 9-10k steps: held-out loss "
     "4.45 at 2k, 3.33 at 9k, 2.71 at 12k, 2.57 at 16k; MASE 2.31 (seasonal naive 1.96); 16 right-token heads (strongest L2H4 0.54)"),
    ("d256, 4+4 layers, 8 heads of 32, lr 6e-4, batch 256, 6,000-step schedule, on an H100 (`--device cuda`, 7.1 min)", "6k",
     "a drop near 2-3k steps: held-out loss 4.35 at 1k, 3.79 at 2k, 3.00 at 3k, 2.61 at 4k, 2.50 at 6k; MASE 2.25 (seasonal naive 1.96; "
     "motifs 0.50); 25 right-token heads (strongest L1H5 0.82). Not shipped: its held-out loss is within 0.01 of the shipped run's, "
     "less than run-to-run variation, and the shipped run reproduces on 2 CPU cores"),
    ("d256, 4+4 layers, 8 heads of 32, lr 4e-4, 18,000-step schedule (shipped before; the shipped run's first cycle)", "18k",
     "a drop near 9-10k steps: held-out loss 4.60 at 2k, 3.41 at 9k, 2.71 at 12k, 2.51 at 18k; MASE 2.21 (seasonal naive 1.96; motifs "
     "0.30, clean seasonal 1.23); 24 right-token heads (strongest L2H3 0.76)"),
    ("d256, 4+4 layers, 8 heads of 32, lr 4e-4, one 36,000-step schedule", "stopped at 2.5k", "held-out loss 6.55 at 1k, 4.98 at 2k "
     "when the process was ended; 4 hours on 2 cores is long for one process, so the shipped recipe splits its steps into "
     "cycles (the second of 15,000 steps, what one process could run here), and a run saved after a cycle resumes with `--resume`"),
    ("nano's recipe, 1 torch thread, beside the other runs (shipped before)", "12k", "held-out loss 2.38, MASE 2.06 (seasonal naive 1.96); "
     "no head >= 0.3 (strongest right L1H1 0.092)"),
]


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


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def claim_outcomes(report: dict, model_name: str, label: str) -> list[list]:
    """Rows for the claims whose id starts with ``label`` (C or L) measured on this model or across models."""
    rows = []
    for record in report["claims"]:
        if record["model"] in (model_name, None) and record["claim_id"].startswith(label):
            from harness.report import decisive_text

            reason = (record["reason"] or "").splitlines()[0][:160] if record["reason"] else ""
            rows.append([record["claim_id"], record["outcome"], decisive_text(record["statistics"]) or reason])
    return rows


def claims_section(report: dict | None, report_path: str | None, model_name: str, label: str) -> list[str]:
    """The card's table of claim outcomes, with how the report was measured."""
    if report is None:
        return ["No claims report was given when this card was written."]
    run = report["run"]
    return [f"From `pytest claims/` ({run['dtype']}, {run['device']}, Hypothesis profile {run['hypothesis_profile']}, commit "
            f"{run['git_commit'] or '-'}; report {report_path}):", ""] + _table(
        ["claim", "outcome", "deciding statistic or reason"], claim_outcomes(report, model_name, label))


def render_card(name: str, log: dict, evaluation: dict, report: dict | None, report_path: str | None) -> str:
    recipe = log["recipe"]
    forecast = evaluation["forecast"]
    rrt = evaluation["rrt"]
    stored = recipe.get("stored_dtype", "float32")  # logs written before the recipe named it stored float32
    storage = [f"Weights are stored in {stored} (trained in float32) to keep the zoo under 40 MB; the evaluation below was made on the "
               "stored weights.", ""] if stored != "float32" else []
    lines = [
        f"# {name}",
        "",
        f"A miniature Chronos-T5 trained from random init on synthetic series generated in code (`harness zoo train --size {log['size']}`).",
        "",
        "## Architecture",
        "",
        f"T5 encoder-decoder, d_model {recipe['d_model']}, d_ff {recipe['d_ff']} (relu), {recipe['layers']} encoder + {recipe['layers']} decoder "
        f"layers, {recipe['heads']} heads of d_kv {recipe['d_kv']}, tied embeddings, 4096-token chronos vocabulary; "
        f"**{log['parameters']:,} parameters**. Context {log['context_length']} values (+ EOS), prediction {log['prediction_length']}.",
        "",
        "## Training",
        "",
        *storage,
        f"Chronos objective: mean-scaled uniform bins over [-15, 15] (the chronos tokenizer), context + EOS, cross-entropy on the next "
        f"{log['prediction_length']} tokens + EOS. AdamW (lr {recipe['learning_rate']}, weight decay {recipe['weight_decay']}), one-cycle "
        f"schedule with {recipe['warmup']:.0%} warm-up, gradient clip {recipe['clip']}, batch {recipe['batch_size']}, dropout {recipe['dropout']}, "
        f"{'bf16 autocast (float32 weights), ' if recipe.get('bf16_autocast') else ''}seed {recipe['seed']}, {schedule(log)}. "
        f"Contexts are left-padded with NaN to a random length of {log['min_context']}-{log['context_length']}.",
        "",
        "Data mix (share of each batch): " + ", ".join(f"{family} {share:.0%}" for family, share in MIX.items())
        + " (see the README's Model zoo section).",
        "",
        training_time(log),
        "",
        "## Results",
        "",
        f"- final training loss (mean of the last 100 steps): **{log['final_train_loss']}**",
        f"- held-out loss ({log['held_out']['series']} series from seed {log['held_out']['seed']}, full {log['held_out']['context']}-value "
        f"context): **{evaluation['held_out_loss']}**",
        "",
        "Held-out forecasts, MASE (lower is better) against seasonal naive:",
        "",
    ]
    lines += _table(["series", "n", "model MASE", "seasonal-naive MASE", "difference, 95% CI", "share where the model is better"],
                    [[family, v["series"], v["model_mase"], v["seasonal_naive_mase"],
                      "{:+.3f} .. {:+.3f}".format(*v["difference_ci"]), f"{v['model_better_share']:.0%}"]
                     for family, v in forecast.items() if family != "procedure"])
    lines += ["", forecast["procedure"] + ".", "", "## Induction heads (RRT, sl=10, rf=2)", ""]
    best = rrt["strongest_head"]
    lines += [
        f"Batch {rrt['batch_size']}, seed {rrt['seed']}, tokens {rrt['token_range'][0]}-{rrt['token_range'][1]}, {rrt['dtype']}; a head counts "
        f"when {rrt['rule']} ({rrt['threshold']}); chance level 1/T = {rrt['chance_level']}.",
        "",
        f"- current-token heads: **{len(rrt['current_heads'])}** {rrt['current_heads']}",
        f"- right-token heads: **{len(rrt['right_heads'])}** {rrt['right_heads']}",
        f"- strongest head: {best['kind']} L{best['layer']}H{best['head']}, mean {best['mean']:.3f} [{best['ci'][0]:.3f}, {best['ci'][1]:.3f}]",
        "",
    ]
    for kind in ("current", "right"):
        grid = rrt["mosaic"][kind]["mean"]
        lines += [f"{kind}-token score per decoder layer (rows) and head (columns):", ""]
        lines += _table(["layer"] + [f"h{h}" for h in range(len(grid[0]))], [[layer] + [f"{v:.3f}" for v in row] for layer, row in enumerate(grid)])
        lines.append("")
    lines += ["## Claims", ""] + claims_section(report, report_path, f"zoo:{log['size']}", "C")
    lines += ["", "## Recipes tried before", ""]
    lines += _table(["recipe", "steps", "what RRT found"], [list(r) for r in EARLIER_RECIPES])
    lines += ["", "Training curve (every 1000 steps):", ""]
    lines += _table(["step", "train loss", "held-out loss"], [[p["step"], p["train_loss"], p["held_out_loss"]] for p in log["curve"] if "held_out_loss" in p])
    return "\n".join(lines) + "\n"


def write_card(model_dir: Path, log: dict, evaluation: dict, report: dict | None, report_path: str | None) -> Path:
    path = Path(model_dir) / "README.md"
    atomic.write_text(path, render_card(Path(model_dir).name, log, evaluation, report, report_path))
    return path


# Language-model recipes tried before the shipped one, with what the attention patterns showed.
EARLIER_LM_RECIPES = [
    ("GPT-2 (learned absolute positions), d128, 4 heads, vocab 512, 128 positions, lr 1e-3; bigram language with 1-4 copied "
     "bigram segments", "4k", "held-out loss 3.75; no head above 0.04 induction score; attention near uniform"),
    ("same, lr 3e-3, half of the copied segments uniform random tokens", "2k", "loss 4.5; strongest induction score 0.03, "
     "previous-token 0.09"),
    ("same, every copied segment random, 2-5 copies", "1.5k", "loss 5.35; strongest induction score 0.03"),
    ("Llama (rotary positions), same data and size", "1.5k", "loss 5.33; induction score rising slowly (0.06)"),
    ("Llama, vocab 128, 64 positions, 1-3 random segments of 4-20 tokens (the shipped recipe)", "3k",
     "phase change at 1k-1.25k steps: induction score 0.75, previous-token 0.83, look-back-two 0.56"),
]


def render_lm_card(name: str, log: dict, report: dict | None, report_path: str | None) -> str:
    recipe = log["recipe"]
    lines = [
        f"# {name}",
        "",
        f"A 2-layer attention-only language model trained from random init on synthetic token streams (`harness zoo train --size {name}`).",
        "",
        "## Architecture",
        "",
        f"Llama blocks (rotary positions, RMS norm, no biases): {recipe['layers']} layers, {recipe['heads']} heads of "
        f"{recipe['d_model'] // recipe['heads']} dims, d_model {recipe['d_model']}, vocabulary {recipe['vocab_size']} (token 0 is BOS), "
        f"{recipe['positions']} positions, untied unembedding; **{log['parameters']:,} parameters**. The MLP of each block is one unit "
        "wide and its output projection is zero and frozen, so every block adds only its attention output to the residual stream: "
        "an attention-only transformer that any transformers version loads as `LlamaForCausalLM`.",
        "",
        "## Training",
        "",
        f"Next-token cross-entropy on streams of {recipe['sequence_length']} tokens (BOS first). A stream is a fixed random bigram "
        f"language (each token has {recipe['successors']} likely successors, followed with probability {recipe['bigram_weight']}, "
        f"else a Zipf unigram draw) in which {recipe['copies'][0]}-{recipe['copies'][1]} segments of {recipe['copy_lengths'][0]}-"
        f"{recipe['copy_lengths'][1]} tokens are copied to a later position; {recipe['random_segment_share']:.0%} of the copied segments "
        f"are first overwritten with uniform random tokens, so only copying predicts their repeat. AdamW (lr {recipe['learning_rate']}, "
        f"weight decay {recipe['weight_decay']}), one-cycle schedule with {recipe['warmup']:.0%} warm-up, gradient clip 1.0, batch "
        f"{recipe['batch_size']}, seed {recipe['seed']} (language seed {recipe['data_seed']}), **{recipe['steps']:,} steps**.",
        "",
        training_time(log),
        "",
        "## Results",
        "",
        f"- final training loss (mean of the last 100 steps): **{log['final_train_loss']}**",
        f"- held-out loss ({log['held_out']['sequences']} streams from seed {log['held_out']['seed']}): **{log['held_out_loss']}**",
        "",
    ]
    lines += _table(["step", "train loss", "held-out loss"], [[p["step"], p["train_loss"], p["held_out_loss"]] for p in log["curve"] if "held_out_loss" in p])
    lines += ["", "## Claims L1-L7", ""] + claims_section(report, report_path, f"zoo:{name}", "L")
    if report is not None:
        triplets = next((r for r in report["claims"] if r["claim_id"].startswith("L4-") and r["model"] == f"zoo:{name}"), None)
        if triplets and triplets["statistics"].get("by_length"):
            rows = triplets["statistics"]["by_length"]
            heads = list(rows[0].get("patching", {}).get("restored_fraction", {}))
            lines += ["", "Triplet completion and activation patching (each head's output patched from the clean run into the "
                      "corrupted one; 0 = corrupted, 1 = clean):", ""]
            lines += _table(["pattern length", "P([B])", "P([D])", "logit diff [B]-[D]", "95% CI", "corrupted logit diff", *heads],
                            [[r["pattern_length"], r["p_b"], r["p_d"], r["logit_difference"], r["ci"], r["patching"]["corrupted_logit_difference"],
                              *[r["patching"]["restored_fraction"][h] for h in heads]] for r in rows])
            lines += ["", "Where the corrupted logit difference is close to the clean one, the fractions divide by a small gap and "
                      "swing beyond 0-1: there the corruption (last [A] -> [C]) barely matters."]
    lines += ["", "## Recipes tried before", ""]
    lines += _table(["recipe", "steps", "what the attention patterns showed"], [list(r) for r in EARLIER_LM_RECIPES])
    return "\n".join(lines) + "\n"


def write_lm_card(model_dir: Path, log: dict, report: dict | None, report_path: str | None) -> Path:
    path = Path(model_dir) / "README.md"
    atomic.write_text(path, render_lm_card(Path(model_dir).name, log, report, report_path))
    return path
