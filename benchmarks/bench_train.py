"""End to end: seconds of training until a test accuracy is reached.

LeNet-5 on the digits resized to 32x32 (dlcore.data.digits(32)) and a 2-layer
MLP (64 -> 128 -> 10) on the 8x8 digits, with Adam; the learning rate drops to a
quarter after ``drop_after`` epochs (as in tests/test_network.py). Only training
time counts: the test accuracy is measured after every epoch, outside the clock.
LeNet-5 also runs with one BLAS thread: its small products gain little from more.
"""

from __future__ import annotations

import time

import numpy as np

from dlcore.data import digits
from dlcore.losses import softmax_cross_entropy
from dlcore.network import Dense, ReLU, Sequential, accuracy, fit, lenet5
from dlcore.optim import Adam

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

TARGETS = (0.97, 0.98)

# The settings of the LeNet-5 test and of the chapter's demo.
LENET = {"lr": 2e-3, "batch_size": 32, "drop_after": 4}
MLP = {"lr": 3e-3, "batch_size": 32, "drop_after": 10}


def time_to_accuracy(model, data, lr, batch_size, drop_after, max_epochs):
    X_tr, y_tr, X_te, y_te = data
    optimizer = Adam(lr)
    reached: dict[float, float] = {}
    train_time, epochs = 0.0, 0
    best = 0.0
    while epochs < max_epochs and len(reached) < len(TARGETS):
        if epochs == drop_after:
            optimizer.lr = lr / 4
        t0 = time.perf_counter()
        fit(model, softmax_cross_entropy, optimizer, X_tr, y_tr, 1, batch_size, rng=epochs, progress=False)
        train_time += time.perf_counter() - t0
        epochs += 1
        acc = accuracy(model, X_te, y_te)
        best = max(best, acc)
        for target in TARGETS:
            if acc >= target and target not in reached:
                reached[target] = train_time
    return reached, epochs / train_time, epochs, best


def run(max_epochs: int = 15) -> tuple[list[list[str]], dict[str, float]]:
    rows, results = [], {}
    def lenet(dtype):
        return lambda: lenet5(np.random.default_rng(0), dtype=dtype)

    d32, d64 = digits(32, rng=0, dtype=np.float32), digits(32, rng=0)
    cases = [
        ("lenet5 digits 32x32 float32", lenet(np.float32), d32, LENET, None),
        ("lenet5 digits 32x32 float32, 1 thread", lenet(np.float32), d32, LENET, 1),
        ("lenet5 digits 32x32 float64", lenet(np.float64), d64, LENET, None),
        ("lenet5 digits 32x32 float64, 1 thread", lenet(np.float64), d64, LENET, 1),
    ]
    X_tr, y_tr, X_te, y_te = digits(8, rng=0)
    flat = (X_tr.reshape(len(X_tr), -1), y_tr, X_te.reshape(len(X_te), -1), y_te)

    def mlp() -> Sequential:
        rng = np.random.default_rng(0)
        return Sequential([Dense(64, 128, rng), ReLU(), Dense(128, 10, rng)])

    cases.append(("mlp 64-128-10 digits 8x8 float64", mlp, flat, MLP, None))
    for name, make, data, settings, threads in cases:
        if threads is not None and threadpool_limits is None:
            continue
        limit = threadpool_limits(threads, user_api="blas") if threads else None
        try:
            reached, eps, epochs, best = time_to_accuracy(make(), data, **settings, max_epochs=max_epochs)
        finally:
            if limit is not None:
                limit.restore_original_limits()
        cells = [f"{reached[t]:.2f}" if t in reached else f"not in {epochs} epochs" for t in TARGETS]
        what = f"Adam {settings['lr']:g} (/4 after {settings['drop_after']} ep.), batch {settings['batch_size']}"
        rows.append([name, what, *cells, f"{eps:.2f}", f"{best:.4f}"])
        for t in TARGETS:
            results[f"{name} s to {t:.0%}"] = reached.get(t, float("nan"))
    return rows, results


HEADERS = ["model", "settings", "s to 97%", "s to 98%", "epochs/s", "best test acc"]
