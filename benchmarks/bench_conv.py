"""conv2d + max-pool forward and backward: dlcore against torch.nn.functional (if installed).

Each implementation runs in its own process (``python bench_conv.py dlcore|torch``
prints JSON timings), so that neither library's threads or memory disturb the
other; run_all.py alternates the processes and keeps each case's best time.
A case is conv (stride 1) -> 2x2 max-pool, forward then backward with the
gradients of X, W and b, from a fixed upstream gradient.
"""

from __future__ import annotations

import json
import sys

import numpy as np

# name, N, C, H, F, kernel, pad
CASES = [
    ("lenet conv1 1->6 5x5 32x32", 64, 1, 32, 6, 5, 0),
    ("lenet conv1 1->6 5x5 32x32", 256, 1, 32, 6, 5, 0),
    ("lenet conv2 6->16 5x5 14x14", 64, 6, 14, 16, 5, 0),
    ("lenet conv2 6->16 5x5 14x14", 256, 6, 14, 16, 5, 0),
    ("heavy 32->64 3x3 pad 1 32x32", 64, 32, 32, 64, 3, 1),
]
DTYPES = ("float32", "float64")


def case_key(case: tuple, dtype: str) -> str:
    name, N, *_ = case
    return f"{name} N={N} {dtype}"


def conv_flops(case: tuple) -> float:
    """Multiply-adds of forward, dX and dW, as flops: 3 * 2 N F C HH WW Ho Wo."""
    _, N, C, H, F, k, pad = case
    Ho = H + 2 * pad - k + 1
    return 3 * 2.0 * N * F * C * k * k * Ho * Ho


def inputs(case: tuple, dtype: str) -> tuple[np.ndarray, ...]:
    _, N, C, H, F, k, pad = case
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, C, H, H)).astype(dtype)
    W = (rng.standard_normal((F, C, k, k)) / np.sqrt(C * k * k)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    Ho = H + 2 * pad - k + 1
    dout = rng.standard_normal((N, F, Ho // 2, Ho // 2)).astype(dtype)
    return X, W, b, dout


def dlcore_step(case: tuple, dtype: str):
    from dlcore.conv import conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward

    X, W, b, dout = inputs(case, dtype)
    pad = case[-1]

    def step() -> None:
        out, conv_cache = conv2d_forward(X, W, b, 1, pad)
        _, pool_cache = maxpool_forward(out, 2, 2)
        conv2d_backward(maxpool_backward(dout, pool_cache), conv_cache)

    return step


def dlcore_pool_step(case: tuple, dtype: str):
    """Max-pool forward + backward alone, on dlcore's own conv output (batch-last in memory)."""
    from dlcore.conv import conv2d_forward, maxpool_backward, maxpool_forward

    X, W, b, dout = inputs(case, dtype)
    out, _ = conv2d_forward(X, W, b, 1, case[-1])

    def step() -> None:
        maxpool_backward(dout, maxpool_forward(out, 2, 2)[1])

    return step


def torch_pool_step(case: tuple, dtype: str):
    """Max-pool forward + backward alone, on torch's own conv output."""
    import torch
    import torch.nn.functional as F

    X, W, b, dout = (torch.from_numpy(a) for a in inputs(case, dtype))
    out = F.conv2d(X, W, b, stride=1, padding=case[-1]).detach().requires_grad_(True)

    def step() -> None:
        out.grad = None
        F.max_pool2d(out, 2, 2).backward(dout)

    return step


def pool_key(case: tuple, dtype: str) -> str:
    _, N, C, H, F, k, pad = case
    Ho = H + 2 * pad - k + 1
    return f"maxpool 2x2 of ({N}, {F}, {Ho}, {Ho}) {dtype}"


def torch_step(case: tuple, dtype: str):
    import torch
    import torch.nn.functional as F

    X, W, b, dout = (torch.from_numpy(a) for a in inputs(case, dtype))
    for t in (X, W, b):
        t.requires_grad_(True)
    pad = case[-1]

    def step() -> None:
        X.grad = W.grad = b.grad = None
        out = F.max_pool2d(F.conv2d(X, W, b, stride=1, padding=pad), 2, 2)
        out.backward(dout)

    return step


def worker(impl: str) -> dict[str, float]:
    from _common import best_time

    if impl == "torch":
        import os

        import torch

        torch.set_num_threads(int(os.environ.get("DLCORE_BENCH_THREADS", os.cpu_count() or 1)))
        make, make_pool = torch_step, torch_pool_step
    else:
        make, make_pool = dlcore_step, dlcore_pool_step
    times = {case_key(case, dtype): best_time(make(case, dtype), min_time=0.3) for case in CASES for dtype in DTYPES}
    for case in CASES:
        for dtype in DTYPES:
            times[pool_key(case, dtype)] = best_time(make_pool(case, dtype), min_time=0.1)
    return times


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1] if len(sys.argv) > 1 else "dlcore")))
