"""Dense layer forward + backward against numpy's own matrix products, measured side by side.

dense f+b does three products of 2 N D M flops each (X @ W, dout @ W^T, X^T @ dout).
The reference is the same three products called directly (the most the layer
can reach), and numpy's peak: square products, re-measured in this run.

How the peak is measured, so that the fraction is neither flattered nor noisy:
the layer, the three products and the square products of 1024 and 2048 are
timed in turn, one call each, many times over (a slow spell of a shared
machine then hits all of them alike), and each keeps its fastest call. The
1024^2 product takes about as long as one layer call and gets the same number
of timed calls (40); the 2048^2 product, 8 times longer, one in 5 (8 calls). The peak is the faster
of the two square products, in the dtype of the layer.
"""

from __future__ import annotations

import time

import numpy as np

from _common import table
from dlcore.layers import dense_backward, dense_forward


def run(N: int = 256, D: int = 1024, M: int = 1024, rounds: int = 8, calls_per_round: int = 5) -> tuple[str, dict[str, float]]:
    rows, results = [], {}
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((N, D)).astype(dtype)
        W = rng.standard_normal((D, M)).astype(dtype) * 0.03
        b = np.zeros(M, dtype)
        dout = rng.standard_normal((N, M)).astype(dtype)
        squares = {n: rng.standard_normal((n, n)).astype(dtype) for n in (1024, 2048)}

        def layer() -> None:
            _, cache = dense_forward(X, W, b)
            dense_backward(dout, cache)

        def raw() -> None:
            X @ W
            dout @ W.T
            X.T @ dout

        # key: (function, called in every how many-th step)
        calls = {"layer": (layer, 1), "raw": (raw, 1), 1024: (lambda: squares[1024] @ squares[1024], 1),
                 2048: (lambda: squares[2048] @ squares[2048], calls_per_round)}
        best = {key: float("inf") for key in calls}
        for fn, _ in calls.values():
            fn()  # warm-up
        for step in range(rounds * calls_per_round):  # one call each in turn: a slow spell hits all alike
            for key, (fn, every) in calls.items():
                if step % every == 0:
                    t0 = time.perf_counter()
                    fn()
                    best[key] = min(best[key], time.perf_counter() - t0)
        flops = 3 * 2.0 * N * D * M
        t_layer, t_raw = best["layer"], best["raw"]
        peak = max(2.0 * n**3 / best[n] / 1e9 for n in squares)
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
    text = table(["case", "ms/call", "GFLOP/s", "same matmuls", "peak (1024^2, 2048^2)", "vs matmuls", "vs peak (target >= 0.85)"], rows)
    return text, results


if __name__ == "__main__":
    print(run()[0])
