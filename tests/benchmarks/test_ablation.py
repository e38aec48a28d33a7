"""Ablation throughput (pytest-benchmark): head sets per second on the small Chronos-T5 shape, random init.

Run:  pytest tests/benchmarks -m throughput -k ablation --benchmark-json out.json
"""

import numpy as np
import pytest

from generators.chronos.rrt import rrt_batch
from harness.chronos import bench
from harness.chronos.ablation import random_head_sets

pytestmark = pytest.mark.throughput
SETS = 40


@pytest.mark.parametrize("sets_per_pass", [1, 20])
def test_ablation_sets_per_second(benchmark, sets_per_pass):
    from harness.chronos import capture

    model = bench.make_model("small")
    capture.prepare(model)
    batch = rrt_batch(10, 2, 100, seed=0)
    heads = [(layer, head) for layer in range(model.config.num_decoder_layers) for head in range(model.config.num_heads)]
    sets = [[("cross", layer, head) for layer, head in s] for s in random_head_sets(heads, 9, SETS, seed=0)]
    targets = batch.encoder_ids[:, 2:3]
    benchmark.group = "ablation-small-rrt-batch100"
    result = benchmark.pedantic(capture.ablated_log_probs, args=(model, batch.encoder_ids, batch.decoder_ids, sets, targets),
                                kwargs={"position": 1, "sets_per_pass": sets_per_pass}, rounds=2, warmup_rounds=1, iterations=1)
    benchmark.extra_info.update(sets=SETS, sets_per_pass=sets_per_pass, batch=100, sets_per_s=SETS / benchmark.stats.stats.median)
    assert result.shape == (SETS, 100, 1) and np.isfinite(result.numpy()).all()
