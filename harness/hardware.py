"""What this machine multiplies fastest: measured once per CPU and torch version, cached on disk."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from harness import atomic

CACHE_FILE = "hardware.json"
# bfloat16 counts as fast where its matmul beats float32 by this factor (this 2-core CPU: about 4.7x)
FAST_FACTOR = 1.2


def matmul_gflops(dtype: str, device: str = "cpu", n: int = 1024, repeats: int = 5, budget_s: float = 1.0) -> float:
    """GFLOP/s of an n x n matmul in this dtype, best of ``repeats`` after a warm-up; the warm-up alone where it took over
    ``budget_s`` (a CPU that emulates bfloat16 takes seconds a product)."""
    import torch

    a = torch.randn(n, n, device=device).to(getattr(torch, dtype))
    b = torch.randn(n, n, device=device).to(getattr(torch, dtype))

    def seconds() -> float:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    best = warmup = seconds()
    if warmup < budget_s:
        best = min(seconds() for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def cpu_name(cpuinfo: str) -> str:
    """The CPU's model name and its bfloat16 instructions, from /proc/cpuinfo's text: one name ("AMD EPYC") covers CPUs
    with and without them."""
    lines = cpuinfo.splitlines()
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine())
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return " ".join([name, *sorted(flag for flag in set(flags) if "bf16" in flag)])


def _cpu_model() -> str:
    try:
        return cpu_name(Path("/proc/cpuinfo").read_text())
    except OSError:
        return platform.processor() or platform.machine()


def cpu_bf16_measurement(cache_dir: Path) -> dict:
    """{"float32": GFLOP/s, "bfloat16": GFLOP/s, "fast": bool}, measured on first use and cached."""
    import torch

    key = f"{_cpu_model()} | torch {torch.__version__} | {torch.get_num_threads()} threads"
    path = Path(cache_dir) / CACHE_FILE
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if key not in cached:
        rates = {dtype: round(matmul_gflops(dtype), 1) for dtype in ("float32", "bfloat16")}
        cached[key] = {**rates, "fast": rates["bfloat16"] >= FAST_FACTOR * rates["float32"]}
        atomic.write_json(path, cached)
    return cached[key]


def fast_bfloat16(device: str, cache_dir: Path) -> bool:
    return device.startswith("cuda") or cpu_bf16_measurement(cache_dir)["fast"]
