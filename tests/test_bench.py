"""The benchmark's three paths measure the same thing, and `harness bench` reports ratios and rates."""

import json

import numpy as np
import torch

from harness.chronos import bench, capture
from harness.cli import main


def test_the_three_paths_see_the_same_cross_attention():
    model = bench.make_model("tiny")
    inputs = bench.make_input("rrt", batch=3)
    generated = bench.run_path("generate", model, inputs)
    eager_rows = torch.stack([layer[:, :, inputs.query_position, :] for layer in generated.cross_attentions[0]], dim=1).float()
    capture.prepare(model)
    captured = bench.run_path("capture", model, inputs)[:, :, :, 0, :]
    np.testing.assert_allclose(captured.numpy(), eager_rows.numpy(), atol=1e-5)
    logits = bench.run_path("plain", model, inputs)
    assert logits.shape == (3, 2, model.config.vocab_size)


def test_lean_capture_computes_fewer_flops_than_the_generate_call():
    model = bench.make_model("tiny")
    inputs = bench.make_input("context512", batch=1)
    plain = bench.count_flops("plain", model, inputs)
    capture.prepare(model)
    lean = bench.count_flops("capture", model, inputs)
    study = bench.count_flops("generate", model, inputs)
    assert lean <= 1.01 * plain and plain < study  # the study also computes every self-attention map and hidden state


def test_harness_bench_prints_ratios_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "tiny", "--inputs", "rrt", "--dtypes", "float32", "--repeats", "1", "--batch-size", "2",
                 "--device", "cpu", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "b/a" in printed and "c/b" in printed and "matmul peak" in printed
    (row,) = json.loads(out.read_text())["rows"]
    assert row["batch"] == 2 and row["capture_over_plain"] > 0 and row["generate_over_capture"] > 0
    assert row["plain"]["gflop_per_s"] > 0 and row["matmul_peak_gflop_per_s"] > 0
