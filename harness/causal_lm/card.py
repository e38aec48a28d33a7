"""The model card of the shipped attention-only language model: README.md in its directory."""

from __future__ import annotations

from pathlib import Path

from harness.zoo import card
from harness.zoo.card import claims_section, table, training_time

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
    lines += table(["step", "train loss", "held-out loss"], [[p["step"], p["train_loss"], p["held_out_loss"]] for p in log["curve"] if "held_out_loss" in p])
    lines += ["", "## Claims L1-L7", ""] + claims_section(report, report_path, f"zoo:{name}", "L")
    if report is not None:
        triplets = next((r for r in report["claims"] if r["claim_id"].startswith("L4-") and r["model"] == f"zoo:{name}"), None)
        if triplets and triplets["statistics"].get("by_length"):
            rows = triplets["statistics"]["by_length"]
            heads = list(rows[0].get("patching", {}).get("restored_fraction", {}))
            lines += ["", "Triplet completion and activation patching (each head's output patched from the clean run into the "
                      "corrupted one; 0 = corrupted, 1 = clean):", ""]
            lines += table(["pattern length", "P([B])", "P([D])", "logit diff [B]-[D]", "95% CI", "corrupted logit diff", *heads],
                            [[r["pattern_length"], r["p_b"], r["p_d"], r["logit_difference"], r["ci"], r["patching"]["corrupted_logit_difference"],
                              *[r["patching"]["restored_fraction"][h] for h in heads]] for r in rows])
            lines += ["", "Where the corrupted logit difference is close to the clean one, the fractions divide by a small gap and "
                      "swing beyond 0-1: there the corruption (last [A] -> [C]) barely matters."]
    lines += ["", "## Recipes tried before", ""]
    lines += table(["recipe", "steps", "what the attention patterns showed"], [list(r) for r in EARLIER_LM_RECIPES])
    return "\n".join(lines) + "\n"


def write_lm_card(model_dir: Path, log: dict, report: dict | None, report_path: str | None) -> Path:
    return card.write_card(model_dir, render_lm_card(Path(model_dir).name, log, report, report_path))
