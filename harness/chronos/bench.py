"""Forward-pass throughput of the Chronos-T5 architectures (random init: speed does not depend on values).

Three ways to get cross-attention, on the same model and inputs:
  plain     sdpa forward, nothing returned but the logits (the floor)
  capture   the harness's capture: encoder on fused sdpa, decoder cross-attention rows only, no logits
  generate  the original study's call: eager attention, generate(max_new_tokens=1, output_attentions,
            output_hidden_states, output_scores, use_cache=False)
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from harness.hardware import matmul_gflops

PATHS = ("plain", "capture", "generate")
SIZES = ("tiny", "mini", "small", "base", "large")
INPUTS = {"rrt": (100, 22, 2), "context512": (32, 513, 1)}  # batch, encoder tokens (EOS included), decoder tokens
DTYPES = ("float32", "bfloat16")


@dataclass(frozen=True)
class BenchInput:
    name: str
    encoder_ids: object  # torch.LongTensor (batch, encoder tokens)
    attention_mask: object
    decoder_ids: object  # (batch, decoder tokens)
    query_position: int

    @property
    def batch(self) -> int:
        return self.encoder_ids.shape[0]

    @property
    def tokens(self) -> int:
        return self.encoder_ids.numel() + self.decoder_ids.numel()


def make_input(name: str, device: str = "cpu", batch: int | None = None) -> BenchInput:
    """The RRT input (sl=10, rf=2, tokens 1911-2187) or a context-512 series input with decoder start only."""
    import torch

    from generators.chronos.rrt import rrt_batch

    default_batch, encoder_tokens, _ = INPUTS[name]
    batch = batch or default_batch
    if name == "rrt":
        rrt = rrt_batch(10, 2, batch, seed=0, token_range=(1911, 2187))
        encoder, decoder, query = rrt.encoder_ids, rrt.decoder_ids, rrt.query_position
    else:
        rng = np.random.default_rng(0)
        encoder = np.concatenate([rng.integers(1911, 2188, (batch, encoder_tokens - 1)), np.ones((batch, 1), dtype=np.int64)], axis=1)
        decoder, query = np.zeros((batch, 1), dtype=np.int64), 0
    encoder = torch.as_tensor(encoder, dtype=torch.long, device=device)
    return BenchInput(name, encoder, torch.ones_like(encoder), torch.as_tensor(decoder, dtype=torch.long, device=device), query)


def make_model(size: str, dtype: str = "float32", device: str = "cpu"):
    import torch
    from transformers import T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    from harness.chronos.architectures import chronos_t5_config

    transformers_logging.set_verbosity_error()
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(chronos_t5_config(size)).to(device=device, dtype=getattr(torch, dtype)).eval()
    return model


def run_path(path: str, model, inputs: BenchInput):
    """One call of a path; returns what it produced (so nothing is optimised away)."""
    import torch

    import harness.chronos.capture as capture

    if path == "plain":
        if model.config._attn_implementation != "sdpa":
            model.set_attn_implementation("sdpa")
        with torch.inference_mode():
            return model(input_ids=inputs.encoder_ids, attention_mask=inputs.attention_mask, decoder_input_ids=inputs.decoder_ids,
                         use_cache=False).logits
    if path == "capture":
        return capture.cross_attention(model, inputs.encoder_ids, inputs.decoder_ids, query_positions=[inputs.query_position],
                                       attention_mask=inputs.attention_mask)
    if path == "generate":
        if model.config._attn_implementation != "eager":
            model.set_attn_implementation("eager")
        with torch.inference_mode():
            return model.generate(input_ids=inputs.encoder_ids, attention_mask=inputs.attention_mask, decoder_input_ids=inputs.decoder_ids,
                                  max_new_tokens=1, num_return_sequences=1, do_sample=False, use_cache=False, output_attentions=True,
                                  output_scores=True, output_hidden_states=True, return_dict_in_generate=True)
    raise ValueError(f"unknown path '{path}'; use one of {', '.join(PATHS)}")


def count_flops(path: str, model, inputs: BenchInput) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        run_path(path, model, inputs)
    return int(counter.get_total_flops())


def time_path(path: str, model, inputs: BenchInput, repeats: int = 5, warmup: int = 1) -> float:
    """Median seconds per call."""
    import torch

    for _ in range(warmup):
        run_path(path, model, inputs)
    times = []
    for _ in range(repeats):
        if inputs.encoder_ids.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        run_path(path, model, inputs)
        if inputs.encoder_ids.is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def peak_memory(size: str, input_name: str, path: str, dtype: str, device: str = "cpu", batch: int | None = None) -> dict:
    """Peak memory of one call, measured in a fresh process (CPU: peak RSS; CUDA: peak allocated)."""
    command = [sys.executable, "-m", "harness.chronos.bench", size, input_name, path, dtype, device, str(batch or 0)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode != 0:
        raise RuntimeError(f"memory probe {size}/{input_name}/{path}/{dtype} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _memory_child(size: str, input_name: str, path: str, dtype: str, device: str, batch: int) -> dict:
    import torch

    model = make_model(size, dtype, device)
    inputs = make_input(input_name, device, batch or None)
    if path == "capture":
        import harness.chronos.capture as capture

        capture.prepare(model)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        run_path(path, model, inputs)
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        before = _peak_rss_bytes()
        run_path(path, model, inputs)
        peak = _peak_rss_bytes()
    return {"peak_bytes": peak, "before_bytes": before, "increase_bytes": peak - before}


def measure(size: str, input_name: str, dtype: str, device: str = "cpu", repeats: int = 5, batch: int | None = None,
            memory: bool = False, peaks: dict | None = None) -> dict:
    """Time the three paths side by side on one model and input; ratios b/a and c/b, GFLOP/s against the matmul peak."""
    import harness.chronos.capture as capture

    model = make_model(size, dtype, device)
    inputs = make_input(input_name, device, batch)
    row = {"size": size, "input": input_name, "dtype": dtype, "device": device, "batch": inputs.batch, "tokens": inputs.tokens}
    for path in PATHS:
        if path == "capture":
            capture.prepare(model)
        seconds = time_path(path, model, inputs, repeats)
        flops = count_flops(path, model, inputs)
        row[path] = {"seconds": seconds, "sequences_per_s": inputs.batch / seconds, "tokens_per_s": inputs.tokens / seconds,
                     "gflops": flops / 1e9, "gflop_per_s": flops / seconds / 1e9}
        if memory:
            row[path]["peak_memory"] = peak_memory(size, input_name, path, dtype, device, batch)
    row["capture_over_plain"] = row["capture"]["seconds"] / row["plain"]["seconds"]
    row["generate_over_capture"] = row["generate"]["seconds"] / row["capture"]["seconds"]
    peaks = peaks if peaks is not None else {}
    if dtype not in peaks:
        peaks[dtype] = matmul_gflops(dtype, device)
    row["matmul_peak_gflop_per_s"] = peaks[dtype]
    return row


def machine() -> dict:
    import torch

    return {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def format_table(rows: list[dict]) -> str:
    header = (f"{'size':6} {'input':10} {'dtype':8} {'plain ms':>9} {'capture ms':>10} {'generate ms':>11} {'b/a':>5} {'c/b':>5} "
              f"{'seq/s (b)':>9} {'tok/s (b)':>10} {'GFLOP/s (a)':>11} {'of peak':>7}")
    lines = [header]
    for row in rows:
        a, b, c = row["plain"], row["capture"], row["generate"]
        lines.append(
            f"{row['size']:6} {row['input']:10} {row['dtype']:8} {a['seconds'] * 1e3:9.1f} {b['seconds'] * 1e3:10.1f} {c['seconds'] * 1e3:11.1f} "
            f"{row['capture_over_plain']:5.2f} {row['generate_over_capture']:5.2f} {b['sequences_per_s']:9.1f} {b['tokens_per_s']:10.0f} "
            f"{a['gflop_per_s']:11.1f} {a['gflop_per_s'] / row['matmul_peak_gflop_per_s']:7.0%}"
        )
        if "peak_memory" in a:
            lines.append("       peak memory (GB): " + ", ".join(f"{p} {row[p]['peak_memory']['peak_bytes'] / 1e9:.2f} "
                                                              f"(+{row[p]['peak_memory']['increase_bytes'] / 1e9:.2f})" for p in PATHS)
                         + f"; capture/plain {b['peak_memory']['peak_bytes'] / a['peak_memory']['peak_bytes']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":  # the memory probe's child process
    size, input_name, path, dtype, device, batch = sys.argv[1:7]
    print(json.dumps(_memory_child(size, input_name, path, dtype, device, int(batch))))


# ---- time to verdict: a whole `pytest claims/` run per published shape ----

SUITE_COLUMNS = {  # column -> claim ids whose durations it adds up
    "C1-across-inputs": ("C1-induction-heads-exist-across-inputs",),
    "C6/C7 sweep": ("C6-longer-sequences-more-induction-heads", "C7-more-repetitions-fewer-induction-heads"),
    "C8": ("C8-common-tokens-find-more-heads",),
    "C12-C14": ("C12-induction-heads-drive-the-copy", "C13-induction-heads-carry-periodic-forecasts",
                "C14-prefix-matching-heads-in-the-encoder"),
}


def suite_checkpoint(size: str, cache):
    """A random-init checkpoint of a published shape (float32, seed 0), written once under ``cache``; never downloaded."""
    from pathlib import Path

    from harness import atomic
    from harness.chronos.architectures import save_checkpoint

    path = Path(cache) / "bench" / f"chronos-t5-{size}-random-init"
    if not (path / "model.safetensors").is_file():
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        model = make_model(size)
        atomic.write_directory(path, lambda staging: save_checkpoint(model, staging), replace=False)
    return path


def run_suite(size: str, claims_dir, dtype: str = "float32", device: str = "cpu", cache=None) -> dict:
    """Time `pytest claims/ --model <random-init shape>` in a fresh process; per-claim durations from its report."""
    import json
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    from harness.checkpoints import cache_dir

    checkpoint = suite_checkpoint(size, cache or cache_dir())
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "pytest", str(claims_dir), "-q", "-p", "no:cacheprovider", "--model", str(checkpoint),
                   "--dtype", dtype, "--device", device, "--reports-dir", reports]
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        latest = Path(reports) / "latest" / "report.json"
        if not latest.is_file():
            raise RuntimeError(f"the claims run on {size} wrote no report:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
        report = json.loads(latest.read_text())
    durations = {record["claim_id"]: record["duration_s"] for record in report["claims"]}
    return {"size": size, "dtype": dtype, "device": device, "wall_s": wall, "claims_s": durations,
            "outcomes": {record["claim_id"]: record["outcome"] for record in report["claims"]},
            "counterexamples": {record["claim_id"]: record["counterexample"] for record in report["claims"] if record["counterexample"]},
            "columns_s": {column: sum(durations.get(claim, 0.0) for claim in claims) for column, claims in SUITE_COLUMNS.items()}}


def format_suite(rows: list[dict]) -> str:
    header = ["shape", "whole run", *SUITE_COLUMNS, "slowest other claim"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    counted = {claim for claims in SUITE_COLUMNS.values() for claim in claims}
    for row in rows:
        others = {claim: seconds for claim, seconds in row["claims_s"].items() if claim not in counted}
        slowest = max(others, key=others.get) if others else None
        cells = [row["size"], f"{row['wall_s']:.1f} s", *(f"{row['columns_s'][column]:.1f} s" for column in SUITE_COLUMNS),
                 f"{slowest} {others[slowest]:.1f} s" if slowest else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
