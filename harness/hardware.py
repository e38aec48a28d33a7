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


def matmul_gflops(dtype: str, device: str = "cpu", n: int = 1024, repeats: int = 5) -> float:
    """GFLOP/s of an n x n matmul in this dtype (best of ``repeats``)."""
    import torch

    a = torch.randn(n, n, device=device).to(getattr(torch, dtype))
    b = torch.randn(n, n, device=device).to(getattr(torch, dtype))
    for _ in range(2):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
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
