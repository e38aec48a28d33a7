"""RRT for patch models: the induction mosaic of Chronos-Bolt and Chronos-2 on repeated random patches (RRP).

The same scores as for Chronos-T5 (attention to the current and right positions, batch means with bootstrap CIs),
read where a patch model forecasts: Bolt's decoder step over the encoder positions (cross-attention), Chronos-2's
first future patch over the whole sequence (time self-attention). Chance is one over the positions the query sees.
"""

from __future__ import annotations

from generators.patches.rrp import rrp_batch
from harness.chronos.induction import InductionMosaic, RRTSettings, mosaic_from_rows
from harness.errors import InputTooLong
from harness.patch_models import bolt, chronos2

QUERIES = {
    bolt.NAME: "decoder cross-attention from Bolt's single decoder step",
    chronos2.NAME: "time self-attention from Chronos-2's first future patch",
}


def check_fits(loaded, settings: RRTSettings) -> None:
    patches = settings.sequence_length * settings.repetitions + 1
    if patches > loaded.context_length:
        raise InputTooLong(f"the RRP input of {patches} patches (sequence_length {settings.sequence_length} x repetitions "
                           f"{settings.repetitions} + S[0]) is longer than {loaded.name}'s context of {loaded.context_length} patches "
                           f"({loaded.facts['context_values']} values): the claim cannot be decided on this model")


def query_rows(loaded, values, chunk_size: int | None = None):
    """(batch, layers, heads, keys): the forecasting query's attention row in every head."""
    if loaded.family == bolt.NAME:
        return bolt.attention(loaded.model, "cross", values, chunk_size)[:, :, :, 0, :]
    context_patches = values.shape[1] // loaded.facts["patch_size"]
    first_future = context_patches + 1  # after the context patches and REG
    return chronos2.attention(loaded.model, "time", values, chunk_size)[:, :, :, first_future, :]


def rrp_chunk_size(loaded, settings: RRTSettings, max_memory: str | int | None = None) -> int:
    from harness.memory import budget_bytes, plan_chunks

    positions = settings.sequence_length * settings.repetitions + 3
    layers, heads, d_model = loaded.facts["mosaic_layers"], loaded.heads, loaded.facts["d_model"]
    kept = 4 * positions * loaded.facts["patch_size"] + 16 * layers * heads * positions
    working = 4 * positions * 16 * d_model + 8 * (loaded.encoder_layers + layers) * heads * positions * positions
    budget = budget_bytes(max_memory if max_memory is not None else loaded.memory_budget)
    return plan_chunks(settings.batch_size, kept, working, budget, f"RRP on {loaded.name}")


def measure_rrp(loaded, settings: RRTSettings = RRTSettings(), chunk_size: int | None = None,
                max_memory: str | int | None = None) -> InductionMosaic:
    """RRP on a patch model: every head of the mosaic's site scored on the current and right patch positions."""
    check_fits(loaded, settings)
    batch = rrp_batch(settings.sequence_length, settings.repetitions, settings.batch_size, settings.seed, loaded.facts["patch_size"])
    rows = query_rows(loaded, batch.values, chunk_size or rrp_chunk_size(loaded, settings, max_memory)).numpy()
    inputs = {**batch.describe(), "encoder_length": rows.shape[-1], "procedure": "RRP " + QUERIES[loaded.family] + ", batch mean with percentile bootstrap CI"}
    return mosaic_from_rows(rows, batch, settings, loaded.describe(), inputs)
