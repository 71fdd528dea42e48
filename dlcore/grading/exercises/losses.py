"""Chapter 04, loss functions: exercises and known mistakes."""

from __future__ import annotations

import numpy as np

from dlcore import losses
from dlcore.grading.exercises._inputs import from_cases
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "04_losses"


# -- inputs ------------------------------------------------------------------


def _regression_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(y_pred, y) pairs of one shape for mse and mse_grad."""
    cases = [
        Case((np.array([0.5, 2.0, -1.0, 3.0]), np.array([1.0, 2.0, 0.0, 1.0])), label="four predictions"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2))), label="a batch of 3 samples with 2 outputs"),
        Case((np.zeros((2, 3)), np.zeros((2, 3))), label="perfect predictions (zeros)"),
        Case((np.array([[1e3, -2e3], [5e2, 0.0]]), np.array([[-1e3, 2e3], [0.0, 1.0]])), label="large magnitudes"),
        Case((rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)),
             label="float32"),
        Case((rng.standard_normal((1, 5)) * 3, rng.standard_normal((1, 5))), label="a single row"),
    ]
    if hidden:
        for _ in range(3):
            shape = tuple(int(s) for s in rng.integers(2, 9, size=rng.integers(1, 4)))
            scale = rng.uniform(0.5, 20)
            cases.append(Case((rng.standard_normal(shape) * scale, rng.standard_normal(shape) * scale), label="random"))
    return cases


def _binary_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(p, y) pairs for binary_cross_entropy; p in [0, 1] of shape (N,), y 0/1 labels."""
    cases = [
        Case((np.array([0.9, 0.2, 0.6, 0.4, 0.99]), np.array([1.0, 0.0, 1.0, 1.0, 0.0])), label="mixed predictions"),
        Case((np.array([0.0, 1.0, 1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.0, 1.0, 1.0])),
             label="probabilities exactly 0 and 1"),
        Case((np.array([0.0, 1.0, 0.7]), np.array([1.0, 0.0, 1.0])), {"eps": 1e-7},
             label="probabilities 0 and 1 with eps=1e-7"),
        Case((np.array([0.3]), np.array([1.0])), label="a single sample"),
        Case((rng.uniform(0.05, 0.95, 6).astype(np.float32), np.array([1, 0, 0, 1, 1, 0], dtype=np.float32)),
             label="float32"),
        Case((np.full(4, 0.5), np.array([1.0, 1.0, 0.0, 0.0])), label="every prediction 0.5"),
    ]
    if hidden:
        cases.append(Case((np.array([1.0, 0.0, 1e-15, 1 - 1e-15]), np.array([0.0, 1.0, 1.0, 0.0])),
                          label="probabilities at and near 0 and 1"))
        cases.append(Case((np.array([0.0, 1.0, 0.25, 0.75]), np.array([1.0, 0.0, 1.0, 0.0])),
                          {"eps": float(rng.choice([1e-6, 1e-5, 1e-4]))},
                          label="probabilities 0 and 1 with a given eps"))
        for _ in range(3):
            n = int(rng.integers(2, 40))
            p = rng.uniform(0.001, 0.999, n)
            y = rng.integers(0, 2, n).astype(np.float64)
            y[:2] = [0.0, 1.0]
            cases.append(Case((p, y), label="random"))
    return cases


def _softmax_rows(rng: np.random.Generator, n: int, c: int, scale: float = 1.0) -> np.ndarray:
    z = rng.standard_normal((n, c)) * scale
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _categorical_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(P, y) pairs for cross_entropy; P rows of probabilities (N, C), y int labels (N,)."""
    cases = [
        Case((_softmax_rows(rng, 4, 3), np.array([0, 2, 1, 2])), label="probabilities from a softmax"),
        Case((np.array([[1.0, 0.0, 0.0], [0.2, 0.8, 0.0], [0.0, 0.0, 1.0]]), np.array([1, 1, 2])),
             label="probability 0 for a true class"),
        Case((np.array([[0.0, 1.0], [0.5, 0.5]]), np.array([0, 0])), {"eps": 1e-7},
             label="probability 0 for a true class, eps=1e-7"),
        Case((_softmax_rows(rng, 1, 5), np.array([3])), label="a single row"),
        Case((_softmax_rows(rng, 5, 3).astype(np.float32), np.array([0, 1, 2, 1, 0])), label="float32"),
        Case((_softmax_rows(rng, 6, 10, 2.0), np.array([9, 0, 3, 3, 7, 1])), label="ten classes"),
    ]
    if hidden:
        cases.append(Case((np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), np.array([0, 1])),
                          {"eps": float(rng.choice([1e-6, 1e-5, 1e-4]))}, label="zero probabilities with a given eps"))
        for _ in range(3):
            n, c = int(rng.integers(2, 30)), int(rng.integers(2, 12))
            cases.append(Case((_softmax_rows(rng, n, c, rng.uniform(0.5, 5)), rng.integers(0, c, n)), label="random"))
    return cases


def _logit_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(logits, y) pairs for softmax_cross_entropy."""
    cases = [
        Case((np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 4.0], [0.5, -2.0, 0.0]]),
              np.array([2, 0, 1, 1])), label="small scores"),
        Case((np.zeros((2, 4)), np.array([0, 3])), label="zeros"),
        Case((np.array([[1e3, 0.0, -1e3], [-1e3, -999.0, -998.0]]), np.array([2, 0])), label="large magnitudes"),
        Case((rng.standard_normal((1, 6)) * 2, np.array([4])), label="a single row"),
        Case((rng.standard_normal((5, 3)).astype(np.float32), np.array([0, 1, 2, 2, 1])), label="float32"),
        Case((rng.standard_normal((6, 10)) * 3, np.array([9, 0, 3, 3, 7, 1])), label="ten classes"),
    ]
    if hidden:
        cases.append(Case((np.array([[1e4, -1e4], [-1e4, 1e4], [800.0, 799.0]]), np.array([1, 1, 1])),
                          label="very large magnitudes"))
        for _ in range(3):
            n, c = int(rng.integers(2, 30)), int(rng.integers(2, 12))
            logits = rng.standard_normal((n, c)) * rng.uniform(0.5, 50)
            cases.append(Case((logits, rng.integers(0, c, n)), label="random"))
    return cases


def _labels(n: int, c: int) -> np.ndarray:
    return np.arange(n) % c


# -- exercises -----------------------------------------------------------------


def _exercise(name: str, cases, vectorised, **kwargs: object) -> Exercise:
    return from_cases(name, CHAPTER, getattr(losses, name), cases, vectorised=vectorised, rtol=1e-4, atol=1e-7,
                      **kwargs)


def _vector_regression(n: int) -> Case:
    return Case((np.linspace(-3, 3, n * 3).reshape(n, 3), np.linspace(2, -1, n * 3).reshape(n, 3)))


EXERCISES = [
    _exercise("mse", _regression_cases, _vector_regression),
    _exercise("mse_grad", _regression_cases, _vector_regression),
    _exercise(
        "binary_cross_entropy",
        _binary_cases,
        lambda n: Case((np.linspace(0.05, 0.95, n), (np.arange(n) % 2).astype(np.float64))),
    ),
    _exercise(
        "cross_entropy",
        _categorical_cases,
        lambda n: Case((np.full((n, 4), 0.25), _labels(n, 4))),
    ),
    _exercise(
        "softmax_cross_entropy",
        _logit_cases,
        lambda n: Case((np.linspace(-3, 3, n * 5).reshape(n, 5), _labels(n, 5))),
        outputs=("loss", "dlogits"),
    ),
]


# -- known mistakes --------------------------------------------------------------

MISTAKES = [
    # mse
    Mistake(
        "mse-sum-not-mean",
        "mse",
        "you summed the squared errors instead of averaging them: divide by the number of entries (np.mean), "
        "so that the loss does not grow with the batch size.",
        "def mse(y_pred, y):\n    return np.sum((y_pred - y) ** 2)\n",
    ),
    Mistake(
        "mse-half",
        "mse",
        "your loss is half the expected one: you added a factor 1/2. Some books put 1/2 in front of the squared "
        "error to cancel the 2 of the derivative, but this course's mse is the plain mean of (y_pred - y)^2.",
        "def mse(y_pred, y):\n    return 0.5 * np.mean((y_pred - y) ** 2)\n",
    ),
    # mse_grad
    Mistake(
        "mse-grad-missing-2",
        "mse_grad",
        "the factor 2 is missing: the derivative of (y_pred - y)^2 is 2 (y_pred - y), so the gradient of the mean "
        "is 2 (y_pred - y) / y.size.",
        "def mse_grad(y_pred, y):\n    return (y_pred - y) / y.size\n",
    ),
    Mistake(
        "mse-grad-not-divided",
        "mse_grad",
        "you did not divide by the number of entries: the loss is a mean, so each entry's gradient is "
        "2 (y_pred - y) / y.size.",
        "def mse_grad(y_pred, y):\n    return 2 * (y_pred - y)\n",
    ),
    Mistake(
        "mse-grad-wrong-sign",
        "mse_grad",
        "the sign is flipped: you wrote (y - y_pred); the gradient with respect to y_pred is 2 (y_pred - y) / y.size, "
        "positive when the prediction is too high.",
        "def mse_grad(y_pred, y):\n    return 2 * (y - y_pred) / y.size\n",
    ),
    Mistake(
        "mse-grad-divided-by-rows",
        "mse_grad",
        "you divided by the number of rows (len(y)); mse averages over every entry, so divide by y.size "
        "(rows times outputs).",
        "def mse_grad(y_pred, y):\n    return 2 * (y_pred - y) / len(y)\n",
    ),
    # binary_cross_entropy. bce-ignores-eps comes before bce-no-clip: the comparison treats an
    # infinite value as close to any finite one, so an inf-producing entry listed first would
    # also claim the students who hard-coded eps.
    Mistake(
        "bce-ignores-eps",
        "binary_cross_entropy",
        "you clipped with a fixed 1e-12 instead of the eps argument: the caller chooses the margin, "
        "clip with np.clip(p, eps, 1 - eps).",
        "def binary_cross_entropy(p, y, eps=1e-12):\n"
        "    p = np.clip(p, 1e-12, 1 - 1e-12)\n"
        "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\n",
    ),
    Mistake(
        "bce-no-clip",
        "binary_cross_entropy",
        "log(0) gave inf or nan: a probability of exactly 0 or 1 reached the log. Clip first: "
        "p = np.clip(p, eps, 1 - eps).",
        "def binary_cross_entropy(p, y, eps=1e-12):\n"
        "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\n",
    ),
    Mistake(
        "bce-sign-flipped",
        "binary_cross_entropy",
        "your loss is negative: the logs of probabilities are negative, so the loss needs a minus sign in front: "
        "-mean(y log p + (1 - y) log(1 - p)).",
        "def binary_cross_entropy(p, y, eps=1e-12):\n"
        "    p = np.clip(p, eps, 1 - eps)\n"
        "    return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\n",
    ),
    Mistake(
        "bce-only-positive-term",
        "binary_cross_entropy",
        "you dropped the (1 - y) log(1 - p) term, so samples of class 0 cost nothing; keep both terms.",
        "def binary_cross_entropy(p, y, eps=1e-12):\n"
        "    p = np.clip(p, eps, 1 - eps)\n"
        "    return -np.mean(y * np.log(p))\n",
    ),
    Mistake(
        "bce-sum-not-mean",
        "binary_cross_entropy",
        "you summed over the batch instead of averaging: use np.mean, so the loss does not grow with the batch size.",
        "def binary_cross_entropy(p, y, eps=1e-12):\n"
        "    p = np.clip(p, eps, 1 - eps)\n"
        "    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))\n",
    ),
    # cross_entropy
    Mistake(
        "ce-sum-not-mean",
        "cross_entropy",
        "you summed over the batch instead of averaging: divide by the number of samples N (np.mean over the rows).",
        "def cross_entropy(P, y, eps=1e-12):\n"
        "    picked = P[np.arange(len(y)), y]\n"
        "    return -np.sum(np.log(np.maximum(picked, eps)))\n",
    ),
    Mistake(
        "ce-no-clip",
        "cross_entropy",
        "log(0) gave inf: the true class had probability 0. Floor the picked probabilities at eps before the log: "
        "np.log(np.maximum(picked, eps)).",
        "def cross_entropy(P, y, eps=1e-12):\n"
        "    picked = P[np.arange(len(y)), y]\n"
        "    return -np.mean(np.log(picked))\n",
    ),
    Mistake(
        "ce-mean-over-all-entries",
        "cross_entropy",
        "you took the mean of onehot * log(P) over all N * C entries, which divides by C too many: sum over the "
        "classes first, then average over the N samples.",
        "def cross_entropy(P, y, eps=1e-12):\n"
        "    Y = np.eye(P.shape[1])[y]\n"
        "    return -np.mean(Y * np.log(np.maximum(P, eps)))\n",
    ),
    Mistake(
        "ce-index-columns",
        "cross_entropy",
        "P[:, y] picks whole columns (an N x N array), not one entry per row: index rows and columns together, "
        "P[np.arange(N), y].",
        "def cross_entropy(P, y, eps=1e-12):\n"
        "    return -np.mean(np.log(np.maximum(P[:, y], eps)))\n",
    ),
    # softmax_cross_entropy
    Mistake(
        "sce-no-max-shift",
        "softmax_cross_entropy",
        "exp overflowed for large logits (inf / inf = nan): subtract each row's maximum before exponentiating, "
        "and compute the loss as logsumexp(z) - z[y] on the shifted scores.",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    E = np.exp(logits)\n"
        "    P = E / E.sum(axis=1, keepdims=True)\n"
        "    loss = -np.mean(np.log(P[np.arange(n), y]))\n"
        "    Y = np.eye(logits.shape[1])[y]\n"
        "    return loss, (P - Y) / n\n",
    ),
    Mistake(
        "sce-log-of-softmax",
        "softmax_cross_entropy",
        "you took the log of the softmax probabilities: when the true class scores far below the best one its "
        "probability underflows to 0, and log(0) (even clipped) is wrong. Compute the loss from the shifted scores: "
        "log(sum(exp(z - m))) - (z[y] - m).",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    E = np.exp(z)\n"
        "    P = E / E.sum(axis=1, keepdims=True)\n"
        "    loss = -np.mean(np.log(np.maximum(P[np.arange(n), y], 1e-12)))\n"
        "    return loss, (P - np.eye(logits.shape[1])[y]) / n\n",
    ),
    Mistake(
        "sce-dlogits-not-divided",
        "softmax_cross_entropy",
        "dlogits is N times too large: the loss is a mean over the N samples, so its gradient is "
        "(softmax(logits) - onehot(y)) / N.",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    E = np.exp(z)\n"
        "    S = E.sum(axis=1, keepdims=True)\n"
        "    loss = np.mean(np.log(S[:, 0]) - z[np.arange(n), y])\n"
        "    return loss, E / S - np.eye(logits.shape[1])[y]\n",
    ),
    Mistake(
        "sce-dlogits-no-onehot",
        "softmax_cross_entropy",
        "dlogits is the softmax itself: subtract the one-hot labels, dlogits = (softmax(logits) - onehot(y)) / N; "
        "without it no gradient ever pushes the true class up.",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    E = np.exp(z)\n"
        "    S = E.sum(axis=1, keepdims=True)\n"
        "    loss = np.mean(np.log(S[:, 0]) - z[np.arange(n), y])\n"
        "    return loss, E / S / n\n",
    ),
    Mistake(
        "sce-dlogits-sign",
        "softmax_cross_entropy",
        "dlogits has the wrong sign: you wrote onehot - softmax; the gradient is (softmax(logits) - onehot(y)) / N "
        "(gradient descent then subtracts it).",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    E = np.exp(z)\n"
        "    S = E.sum(axis=1, keepdims=True)\n"
        "    loss = np.mean(np.log(S[:, 0]) - z[np.arange(n), y])\n"
        "    return loss, (np.eye(logits.shape[1])[y] - E / S) / n\n",
    ),
    Mistake(
        "sce-loss-sum-not-mean",
        "softmax_cross_entropy",
        "the loss is summed over the batch instead of averaged: take the mean over the N samples "
        "(your dlogits, divided by N, already assume a mean).",
        "def softmax_cross_entropy(logits, y):\n"
        "    n = logits.shape[0]\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    E = np.exp(z)\n"
        "    S = E.sum(axis=1, keepdims=True)\n"
        "    loss = np.sum(np.log(S[:, 0]) - z[np.arange(n), y])\n"
        "    return loss, (E / S - np.eye(logits.shape[1])[y]) / n\n",
    ),
]
