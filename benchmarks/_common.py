"""Helpers shared by the benchmarks: timing, the machine's description, tables."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import numpy as np


def best_time(fn: Callable[[], object], min_time: float = 0.4, min_repeats: int = 3, max_repeats: int = 50) -> float:
    """Fastest of several calls of ``fn`` (seconds), after one warm-up call.

    Repeats until ``min_time`` seconds have been spent and at least
    ``min_repeats`` calls were timed. The minimum is the least disturbed by
    other processes on a shared machine.
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def blas_info() -> str:
    """The BLAS numpy uses, as threadpoolctl reports it (if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "unknown"
    return "; ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')}, {i.get('num_threads')} threads)" for i in infos
    )


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return [
        f"cpu      {cpu_model()}, {os.cpu_count()} cores (load average {load} at start)",
        f"python   {platform.python_version()}, numpy {np.__version__}",
        f"blas     {blas_info()}",
        f"env      {env if env else 'no OPENBLAS_* / OMP_* variables set'}",
    ]


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table with right-aligned columns (the first left-aligned)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)
