"""Dense layer forward + backward against numpy's own matrix products, measured side by side.

dense f+b does three products of 2 N D M flops each (X @ W, dout @ W^T, X^T @ dout).
The reference is the same three products called directly (the most the layer
can reach), and numpy's peak: a large square product, re-measured in this run.
"""

from __future__ import annotations

import numpy as np

from _common import best_time, table
from dlcore.layers import dense_backward, dense_forward


def run(N: int = 256, D: int = 1024, M: int = 1024) -> tuple[str, dict[str, float]]:
    rows, results = [], {}
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((N, D)).astype(dtype)
        W = rng.standard_normal((D, M)).astype(dtype) * 0.03
        b = np.zeros(M, dtype)
        dout = rng.standard_normal((N, M)).astype(dtype)
        big = rng.standard_normal((2048, 2048)).astype(dtype)

        def layer() -> None:
            _, cache = dense_forward(X, W, b)
            dense_backward(dout, cache)

        def raw() -> None:
            X @ W
            dout @ W.T
            X.T @ dout

        flops = 3 * 2.0 * N * D * M
        t_peak = t_layer = t_raw = float("inf")
        for _ in range(3):  # alternate, keeping each one's best: drift hits all three alike
            t_peak = min(t_peak, best_time(lambda: big @ big, min_time=0.2))
            t_layer = min(t_layer, best_time(layer, min_time=0.2))
            t_raw = min(t_raw, best_time(raw, min_time=0.2))
        peak = 2.0 * 2048**3 / t_peak / 1e9
        gflops, raw_gflops = flops / t_layer / 1e9, flops / t_raw / 1e9
        name = np.dtype(dtype).name
        results[f"dense_{name}_fraction_of_peak"] = gflops / peak
        rows.append(
            [
                f"dense f+b {N}x{D}->{M} {name}",
                f"{t_layer * 1e3:.2f}",
                f"{gflops:.1f}",
                f"{raw_gflops:.1f}",
                f"{peak:.1f}",
                f"{gflops / raw_gflops:.2f}",
                f"{gflops / peak:.2f}",
            ]
        )
    text = table(["case", "ms/call", "GFLOP/s", "same matmuls", "peak 2048^2", "vs matmuls", "vs peak (target >= 0.85)"], rows)
    return text, results


if __name__ == "__main__":
    print(run()[0])
