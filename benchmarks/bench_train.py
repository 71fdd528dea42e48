"""End to end: seconds of training until a test accuracy is reached, dlcore next to torch.

LeNet-5 on the digits resized to 32x32 (dlcore.data.digits(32)) and a 2-layer
MLP (64 -> 128 -> 10) on the 8x8 digits, with Adam; the learning rate drops to a
quarter after ``drop_after`` epochs (as in tests/test_network.py). Only training
time counts: the test accuracy is measured after every epoch, outside the clock.
LeNet-5 also runs with one BLAS thread: its small products gain little from more.

When torch is installed (it is optional, never a dependency), the same models
train in torch too: the same layers, the same initial weights (copied from the
dlcore model, whose first logits the torch model must reproduce), the same
minibatches in the same order, Adam with the same settings. Each library runs
in its own process (``python bench_train.py dlcore|torch [MAX_EPOCHS]`` prints
JSON), so their thread pools never meet.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from dlcore.data import digits
from dlcore.losses import softmax_cross_entropy
from dlcore.network import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, accuracy, fit, lenet5
from dlcore.optim import Adam

from _common import table

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

TARGETS = (0.97, 0.98)

# The settings of the LeNet-5 test and of the chapter's demo.
LENET = {"lr": 2e-3, "batch_size": 32, "drop_after": 4}
MLP = {"lr": 3e-3, "batch_size": 32, "drop_after": 10}


def _epochs_until(train_epoch, test_accuracy, lr, drop_after, max_epochs, set_lr):
    """Train epoch after epoch until every target is reached; return (seconds to each, epochs/s, epochs, best)."""
    reached: dict[float, float] = {}
    train_time, epochs, best = 0.0, 0, 0.0
    while epochs < max_epochs and len(reached) < len(TARGETS):
        if epochs == drop_after:
            set_lr(lr / 4)
        t0 = time.perf_counter()
        train_epoch(epochs)
        train_time += time.perf_counter() - t0
        epochs += 1
        acc = test_accuracy()
        best = max(best, acc)
        for target in TARGETS:
            if acc >= target and target not in reached:
                reached[target] = train_time
    return reached, epochs / train_time, epochs, best


def time_to_accuracy(model, data, lr, batch_size, drop_after, max_epochs):
    X_tr, y_tr, X_te, y_te = data
    optimizer = Adam(lr)

    def train_epoch(epoch: int) -> None:
        fit(model, softmax_cross_entropy, optimizer, X_tr, y_tr, 1, batch_size, rng=epoch, progress=False)

    def set_lr(value: float) -> None:
        optimizer.lr = value

    return _epochs_until(train_epoch, lambda: accuracy(model, X_te, y_te), lr, drop_after, max_epochs, set_lr)


def torch_model(model: Sequential):
    """The dlcore ``model`` as a torch.nn.Sequential with the same layers and a copy of its weights."""
    import torch

    dtype = torch.float64 if model.parameters()[0].dtype == np.float64 else torch.float32
    layers = []
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            F, C, hh, ww = layer.W.shape
            mirror = torch.nn.Conv2d(C, F, (hh, ww), stride=layer.stride, padding=layer.pad)
            weight, bias = layer.W, layer.b
        elif isinstance(layer, Dense):
            mirror = torch.nn.Linear(*layer.W.shape)
            weight, bias = layer.W.T, layer.b  # dlcore computes X @ W, torch X @ weight.T
        elif isinstance(layer, MaxPool2D):
            layers.append(torch.nn.MaxPool2d(layer.size, layer.stride))
            continue
        else:
            layers.append({ReLU: torch.nn.ReLU, Flatten: torch.nn.Flatten}[type(layer)]())
            continue
        mirror = mirror.to(dtype)  # before the copy: float64 weights must not pass through float32
        with torch.no_grad():
            mirror.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            mirror.bias.copy_(torch.from_numpy(bias))
        layers.append(mirror)
    return torch.nn.Sequential(*layers)


def torch_time_to_accuracy(model, data, lr, batch_size, drop_after, max_epochs):
    """:func:`time_to_accuracy` for the torch mirror of the dlcore ``model``."""
    import torch
    import torch.nn.functional as F

    X_tr, y_tr, X_te, y_te = data
    net = torch_model(model)
    X, y = torch.from_numpy(X_tr), torch.from_numpy(y_tr.astype(np.int64))
    X_test, y_test = torch.from_numpy(X_te), torch.from_numpy(y_te.astype(np.int64))
    with torch.no_grad():  # a wrong mirror would make the comparison meaningless
        gap = np.max(np.abs(net(X_test[:64]).numpy() - model.forward(X_te[:64])))
    if not gap < (1e-4 if X_tr.dtype == np.float32 else 1e-10):
        raise RuntimeError(f"the torch model does not reproduce the dlcore model's logits (gap {gap:.3g})")
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(X)

    def train_epoch(epoch: int) -> None:
        order = torch.from_numpy(np.random.default_rng(epoch).permutation(n))  # fit's minibatches
        total, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            xb, yb = X[idx], y[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = net(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)  # as fit does: the epoch's loss and accuracy
            correct += int((logits.argmax(1) == yb).sum())

    def test_accuracy() -> float:
        with torch.no_grad():
            return float((net(X_test).argmax(1) == y_test).double().mean())

    def set_lr(value: float) -> None:
        for group in optimizer.param_groups:
            group["lr"] = value

    return _epochs_until(train_epoch, test_accuracy, lr, drop_after, max_epochs, set_lr)


def _cases():
    def lenet(dtype):
        return lambda: lenet5(np.random.default_rng(0), dtype=dtype)

    d32, d64 = digits(32, rng=0, dtype=np.float32), digits(32, rng=0)
    X_tr, y_tr, X_te, y_te = digits(8, rng=0)
    flat = (X_tr.reshape(len(X_tr), -1), y_tr, X_te.reshape(len(X_te), -1), y_te)

    def mlp() -> Sequential:
        rng = np.random.default_rng(0)
        return Sequential([Dense(64, 128, rng), ReLU(), Dense(128, 10, rng)])

    return [
        ("lenet5 digits 32x32 float32", lenet(np.float32), d32, LENET, None),
        ("lenet5 digits 32x32 float32, 1 thread", lenet(np.float32), d32, LENET, 1),
        ("lenet5 digits 32x32 float64", lenet(np.float64), d64, LENET, None),
        ("lenet5 digits 32x32 float64, 1 thread", lenet(np.float64), d64, LENET, 1),
        ("mlp 64-128-10 digits 8x8 float64", mlp, flat, MLP, None),
    ]


def worker(impl: str, max_epochs: int = 15) -> dict[str, dict]:
    """Train every case with ``impl`` ("dlcore" or "torch"); name -> seconds to each target, epochs/s, best."""
    results = {}
    for name, make, data, settings, threads in _cases():
        if impl == "torch":
            import torch

            before = torch.get_num_threads()
            torch.set_num_threads(threads or before)
            try:
                reached, eps, epochs, best = torch_time_to_accuracy(make(), data, **settings, max_epochs=max_epochs)
            finally:
                torch.set_num_threads(before)
        else:
            if threads is not None and threadpool_limits is None:
                continue
            limit = threadpool_limits(threads, user_api="blas") if threads else None
            try:
                reached, eps, epochs, best = time_to_accuracy(make(), data, **settings, max_epochs=max_epochs)
            finally:
                if limit is not None:
                    limit.restore_original_limits()
        what = f"Adam {settings['lr']:g} (/4 after {settings['drop_after']} ep.), batch {settings['batch_size']}"
        results[name] = {"settings": what, "reached": {f"{t}": reached.get(t) for t in TARGETS},
                         "epochs": epochs, "epochs_per_s": eps, "best": best}
    return results


def run(results: dict[str, dict[str, dict]]) -> tuple[str, dict[str, float]]:
    """A table of the workers' ``results`` (impl -> worker output); and name -> dlcore/torch time ratios."""
    impls = list(results)
    rows, ratios = [], {}

    def cell(res: dict, t: float) -> str:
        s = res["reached"][f"{t}"]
        return f"{s:.2f}" if s is not None else f"not in {res['epochs']} epochs"

    for name, r in results["dlcore"].items():
        row = [name, r["settings"], *(cell(r, t) for t in TARGETS), f"{r['epochs_per_s']:.2f}", f"{r['best']:.4f}"]
        if "torch" in impls and name in results["torch"]:
            tr = results["torch"][name]
            row += [*(cell(tr, t) for t in TARGETS), f"{tr['epochs_per_s']:.2f}", f"{tr['best']:.4f}",
                    f"{tr['epochs_per_s'] / r['epochs_per_s']:.2f}"]
            ratios[name] = tr["epochs_per_s"] / r["epochs_per_s"]
        rows.append(row)
    headers = ["model", "settings", "s to 97%", "s to 98%", "epochs/s", "best test acc"]
    if "torch" in impls:
        headers += ["torch s to 97%", "torch s to 98%", "torch epochs/s", "torch best", "dlcore/torch time per epoch"]
    return table(headers, rows), ratios


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1] if len(sys.argv) > 1 else "dlcore",
                            int(sys.argv[2]) if len(sys.argv) > 2 else 15)))
