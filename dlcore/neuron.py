"""The artificial neuron and the perceptron (chapter 01).

A neuron computes a weighted sum of its inputs plus a bias and passes it
through an activation function. The perceptron is a neuron with a step
activation, trained by Rosenblatt's online rule.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from dlcore._validate import as_float_array, as_labels, check_positive, result_dtype

__all__ = [
    "neuron",
    "perceptron_predict",
    "perceptron_train",
    "step",
    "weighted_sum",
]


def _inputs(X: object, w: object, b: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``X`` (N, D), ``w`` (D,) and the scalar ``b``."""
    X = as_float_array(X, "X", ("N", "D"))
    w = as_float_array(w, "w", (X.shape[1],))
    b = as_float_array(b, "b", ())
    return X, w, b


def weighted_sum(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Weighted sum of the inputs of one neuron, for a batch.

    z = X @ w + b

    Args:
        X: inputs of shape (N, D).
        w: weights of shape (D,).
        b: bias, a single number.

    Returns:
        z of shape (N,); float32 when ``X`` and ``w`` are float32.
    """
    X, w, b = _inputs(X, w, b)
    dtype = result_dtype(X, w)
    return (X @ w + b.astype(dtype)).astype(dtype, copy=False)


def neuron(
    X: np.ndarray, w: np.ndarray, b: float, activation: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Output of one neuron for a batch: an activation of the weighted sum.

    a = activation(X @ w + b)

    Args:
        X: inputs of shape (N, D).
        w: weights of shape (D,).
        b: bias, a single number.
        activation: element-wise function, e.g. ``dlcore.activations.sigmoid``
            or :func:`step`.

    Returns:
        a of shape (N,).

    Raises:
        ValueError: when ``activation`` is not callable or does not return
            an array of shape (N,).
    """
    if not callable(activation):
        raise ValueError(
            f"activation must be a callable applied element-wise, got {type(activation).__name__}"
        )
    z = weighted_sum(X, w, b)
    a = np.asarray(activation(z))
    if a.shape != z.shape:
        raise ValueError(
            f"activation must be element-wise: it returned shape {a.shape} for input of shape {z.shape}"
        )
    return a


def step(z: np.ndarray) -> np.ndarray:
    """Heaviside step function, element-wise; 0 at z = 0.

    step(z) = 1 if z > 0 else 0

    Args:
        z: array of any shape.

    Returns:
        Array of zeros and ones of the shape and dtype of ``z``.
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Class predicted by a perceptron for each sample.

    y_hat = 1 if X @ w + b > 0 else 0

    Args:
        X: inputs of shape (N, D).
        w: weights of shape (D,).
        b: bias, a single number.

    Returns:
        Integer (int64) labels of shape (N,), each 0 or 1.
    """
    return (weighted_sum(X, w, b) > 0).astype(np.int64)


def perceptron_train(
    X: np.ndarray, y: np.ndarray, lr: float = 1.0, epochs: int = 10
) -> tuple[np.ndarray, float]:
    """Train a perceptron with Rosenblatt's online rule.

    For each epoch, for each sample i in order:
    err = y[i] - perceptron_predict(x_i);  w <- w + lr * err * x_i;  b <- b + lr * err

    Training starts from w = 0 (float64) and b = 0.0. The loop over samples is
    the algorithm itself: each update changes the prediction of the next
    sample. When the classes are linearly separable, the rule stops changing
    w and b after finitely many mistakes; otherwise it never settles.

    Args:
        X: inputs of shape (N, D).
        y: labels of shape (N,), each 0 or 1 (booleans are accepted).
        lr: learning rate, > 0.
        epochs: number of passes over the data, an integer >= 0.

    Returns:
        ``(w, b)``: float64 weights of shape (D,) and the bias as a float.
    """
    X = as_float_array(X, "X", ("N", "D"))
    if np.asarray(y).dtype == np.bool_:  # y = (something > 0) is a fine way to make labels
        y = np.asarray(y).astype(np.int64)
    y = as_labels(y, "y", X.shape[0], num_classes=2)
    check_positive(lr, "lr")
    if isinstance(epochs, bool):
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    try:
        epochs = operator.index(epochs)
    except TypeError:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}") from None
    if epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs}")
    X = X.astype(np.float64, copy=False)
    lr = float(lr)
    w = np.zeros(X.shape[1], dtype=np.float64)
    b = 0.0
    for _ in range(epochs):
        for x_i, y_i in zip(X, y):
            predicted = 1 if x_i @ w + b > 0 else 0
            err = int(y_i) - predicted
            if err:
                w = w + lr * err * x_i
                b = b + lr * err
    return w, float(b)
