"""The causal-lm family's figures, built from its measurements in the generic kinds of harness.figures."""

from __future__ import annotations

from harness import figures


def patterns(measured) -> figures.Figure:
    """Induction and previous-token scores per layer and head (AttentionPatterns), with CIs on hover."""
    panels = [figures.panel(title, grid.mean, ci_low=grid.ci_low, ci_high=grid.ci_high, colors=colors)
              for title, grid, colors in (("induction score", measured.induction, "Purples"), ("previous-token score", measured.back[1], "Greens"))]
    measurement = measured.measurement()
    subtitle = ", ".join(f"{k}={measurement[k]}" for k in ("sequence_length", "batch_size", "dtype") if k in measurement)
    return figures.heatmaps(f"Attention patterns: {measured.model['model']}", panels, subtitle)


def patching(model_name: str, by_length: list[dict]) -> figures.Figure:
    """Each head's output patched from the clean into the corrupted run: 0 = corrupted, 1 = clean, per pattern length."""
    rows = [r for r in by_length if r.get("patching")]
    heads = list(rows[0]["patching"]["restored_fraction"]) if rows else []
    z = [[r["patching"]["restored_fraction"][h] for h in heads] for r in rows]
    return figures.heatmaps(f"Activation patching (0 = corrupted, 1 = clean): {model_name}", [
        figures.panel("restored fraction of the logit difference", z, zmin=-1, zmax=1, colors="RdBu", x=heads,
                      y=[r["pattern_length"] for r in rows], x_title="head", y_title="pattern length")])
