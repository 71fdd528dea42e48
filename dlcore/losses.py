"""Loss functions and their gradients (chapter 04).

Every loss is averaged over the batch and returned as a Python float; it is
computed in float64 whatever the input dtype, so that clipping at tiny
``eps`` works. Each gradient is taken with respect to the prediction and has
the prediction's shape and dtype (float32 stays float32). Nothing is modified
in place.
"""

from __future__ import annotations

import operator

import numpy as np

from dlcore._validate import as_float_array, as_labels, check_positive, check_same_shape

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "mse",
    "mse_grad",
    "one_hot",
    "softmax_cross_entropy",
]


def _not_empty(arr: np.ndarray, name: str) -> None:
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")


def _check_eps(eps: float) -> None:
    check_positive(eps, "eps")
    if eps >= 0.5:
        raise ValueError(f"eps must be a small positive number below 0.5, got {eps!r}")


def _probabilities(value: object, name: str, shape: tuple[str, ...]) -> np.ndarray:
    arr = as_float_array(value, name, shape)
    _not_empty(arr, name)
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values from {arr.min():.6g} to {arr.max():.6g}"
        )
    return arr


def mse(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error over every entry.

    L = mean((y_pred - y)^2)

    Args:
        y_pred: predictions, any non-empty shape.
        y: targets, the shape of ``y_pred``.

    Returns:
        L as a float.
    """
    y_pred = as_float_array(y_pred, "y_pred")
    y = as_float_array(y, "y")
    check_same_shape(y, "y", y_pred.shape)
    _not_empty(y_pred, "y_pred")
    diff = np.subtract(y_pred, y, dtype=np.float64)
    return float(np.mean(diff * diff))


def mse_grad(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of :func:`mse` with respect to the predictions.

    dL/dy_pred = 2 (y_pred - y) / y.size

    Args:
        y_pred: predictions, any non-empty shape.
        y: targets, the shape of ``y_pred``.

    Returns:
        Array of the shape and dtype of ``y_pred``.
    """
    y_pred = as_float_array(y_pred, "y_pred")
    y = as_float_array(y, "y")
    check_same_shape(y, "y", y_pred.shape)
    _not_empty(y_pred, "y_pred")
    return (2.0 * np.subtract(y_pred, y, dtype=np.float64) / y.size).astype(y_pred.dtype, copy=False)


def _binary_inputs(p: object, y: object, eps: float) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Validated float64 clip(p, eps, 1 - eps), float64 targets and p's dtype."""
    p = _probabilities(p, "p", ("N",))
    y = as_float_array(y, "y", (p.shape[0],))
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            f"y must hold targets in [0, 1] (usually 0/1 labels), got values from {y.min()} to {y.max()}"
        )
    _check_eps(eps)
    return np.clip(p.astype(np.float64), eps, 1.0 - eps), y.astype(np.float64, copy=False), p.dtype


def binary_cross_entropy(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Binary cross-entropy of predicted probabilities, averaged over the batch.

    L = -mean(y log p + (1 - y) log(1 - p)),  with p clipped to [eps, 1 - eps]

    Args:
        p: predicted probabilities of class 1, shape (N,), values in [0, 1].
        y: targets of shape (N,): 0/1 labels (values in [0, 1] are accepted).
        eps: clipping margin that keeps log away from 0, in (0, 0.5).

    Returns:
        L as a float.
    """
    p, y, _ = _binary_inputs(p, y, eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def binary_cross_entropy_grad(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    dL/dp = (p - y) / (p (1 - p) N),  with p clipped to [eps, 1 - eps]

    The clipped p is used in the formula (the clipping is not differentiated),
    so the gradient stays finite and points the right way at p = 0 or 1.

    Args:
        p: predicted probabilities of class 1, shape (N,), values in [0, 1].
        y: targets of shape (N,): 0/1 labels (values in [0, 1] are accepted).
        eps: clipping margin, in (0, 0.5).

    Returns:
        dp of the shape and dtype of ``p``.
    """
    p, y, dtype = _binary_inputs(p, y, eps)
    return ((p - y) / (p * (1.0 - p) * p.shape[0])).astype(dtype, copy=False)


def _categorical_inputs(P: object, y: object, eps: float) -> tuple[np.ndarray, np.ndarray]:
    P = _probabilities(P, "P", ("N", "C"))
    y = as_labels(y, "y", P.shape[0], num_classes=P.shape[1])
    _check_eps(eps)
    return P, y


def cross_entropy(P: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Cross-entropy of predicted class probabilities, averaged over the batch.

    L = -mean_n log(max(P[n, y_n], eps))

    Only the probability of the true class counts; clipping it below at
    ``eps`` keeps log(0) finite.

    Args:
        P: predicted probabilities of shape (N, C), values in [0, 1]
            (normally rows of a softmax).
        y: integer class labels of shape (N,), values in [0, C).
        eps: clipping floor, in (0, 0.5).

    Returns:
        L as a float.
    """
    P, y = _categorical_inputs(P, y, eps)
    picked = np.maximum(P[np.arange(P.shape[0]), y].astype(np.float64), eps)
    return float(-np.mean(np.log(picked)))


def cross_entropy_grad(P: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to ``P``.

    dP[n, c] = -1 / (N max(P[n, y_n], eps)) if c == y_n else 0

    Args:
        P: predicted probabilities of shape (N, C), values in [0, 1].
        y: integer class labels of shape (N,), values in [0, C).
        eps: clipping floor, in (0, 0.5).

    Returns:
        dP of the shape and dtype of ``P``.
    """
    P, y = _categorical_inputs(P, y, eps)
    n = P.shape[0]
    rows = np.arange(n)
    picked = np.maximum(P[rows, y].astype(np.float64), eps)
    dP = np.zeros_like(P)
    dP[rows, y] = -1.0 / (n * picked)
    return dP


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot encoding of integer class labels.

    Y[n, c] = 1 if c == y[n] else 0

    Args:
        y: integer class labels of shape (N,), values in [0, num_classes).
        num_classes: C, a positive integer.

    Returns:
        float64 array Y of shape (N, C).
    """
    if isinstance(num_classes, bool):
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    try:
        num_classes = operator.index(num_classes)
    except TypeError:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}") from None
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes}")
    shape = np.shape(y)
    if len(shape) != 1:
        raise ValueError(f"y must have shape (N,), got shape {shape}")
    y = as_labels(y, "y", shape[0], num_classes=num_classes)
    Y = np.zeros((y.shape[0], num_classes), dtype=np.float64)
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax followed by cross-entropy, fused and stable, with its gradient.

    L = mean_n (logsumexp(logits[n]) - logits[n, y_n]);  dlogits = (softmax(logits) - onehot(y)) / N

    logsumexp(z) = max(z) + log(sum(exp(z - max(z)))) never overflows, and
    no probability is ever rounded to 0 before its log is taken, so the loss
    stays finite even for logits of magnitude 1e4.

    Args:
        logits: scores of shape (N, C).
        y: integer class labels of shape (N,), values in [0, C).

    Returns:
        ``(L, dlogits)``: the loss as a float, and its gradient with respect
        to the logits, of the shape and dtype of ``logits``.
    """
    logits = as_float_array(logits, "logits", ("N", "C"))
    _not_empty(logits, "logits")
    n = logits.shape[0]
    y = as_labels(y, "y", n, num_classes=logits.shape[1])
    rows = np.arange(n)
    shifted = np.subtract(logits, logits.max(axis=1, keepdims=True), dtype=np.float64)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(sums[:, 0]) - shifted[rows, y]))
    dlogits = exp / sums
    dlogits[rows, y] -= 1.0
    dlogits /= n
    return loss, dlogits.astype(logits.dtype, copy=False)
