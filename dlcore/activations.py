"""Activation functions and their derivatives (chapter 03).

Each function is written next to its derivative. Element-wise functions take
an array of any shape and return an array of the same shape and dtype
(float32 stays float32); ``softmax`` works on the rows of an (N, C) array.
Nothing is modified in place.
"""

from __future__ import annotations

import numpy as np

from dlcore._validate import as_float_array, check_same_shape


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    return float(alpha)


def _scores(Z: np.ndarray, name: str) -> np.ndarray:
    Z = as_float_array(Z, name, ("N", "C"))
    if Z.shape[1] == 0:
        raise ValueError(f"{name} must have at least one class (shape (N, C) with C >= 1), got shape {Z.shape}")
    return Z

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "softmax",
    "softmax_grad",
    "softmax_jacobian",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, element-wise.

    sigma(z) = 1 / (1 + exp(-z)), computed without overflow for large |z|.

    Args:
        z: array of any shape.

    Returns:
        Array of the shape of ``z`` with values in [0, 1].
    """
    z = as_float_array(z, "z")
    # exp(-|z|) never overflows; use it for both signs.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid with respect to its input, element-wise.

    sigma'(z) = sigma(z) * (1 - sigma(z))

    Args:
        z: array of any shape (the *input* of the sigmoid, not its output).

    Returns:
        Array of the shape of ``z`` with values in [0, 0.25].
    """
    z = as_float_array(z, "z")
    # e / (1 + e)^2 with e = exp(-|z|) equals s(1 - s) and loses no precision
    # in the tails, where 1 - s would cancel.
    e = np.exp(-np.abs(z))
    # min(.., 0.25): rounding can exceed the exact maximum 1/4 by one ulp near z = 0.
    return np.minimum(e / (1.0 + e) ** 2, 0.25).astype(z.dtype, copy=False)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise.

    tanh(z) = (exp(z) - exp(-z)) / (exp(z) + exp(-z)) = 2 sigma(2z) - 1

    Args:
        z: array of any shape.

    Returns:
        Array of the shape of ``z`` with values in [-1, 1].
    """
    return np.tanh(as_float_array(z, "z"))


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of tanh, element-wise.

    tanh'(z) = 1 - tanh(z)^2

    Args:
        z: array of any shape.

    Returns:
        Array of the shape of ``z`` with values in [0, 1].
    """
    t = tanh(z)
    return 1 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit, element-wise.

    relu(z) = max(0, z)

    Args:
        z: array of any shape.

    Returns:
        Array of the shape of ``z``.
    """
    z = as_float_array(z, "z")
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU, element-wise; taken as 0 at z = 0.

    relu'(z) = 1 if z > 0 else 0

    Args:
        z: array of any shape.

    Returns:
        Array of zeros and ones of the shape and dtype of ``z``.
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU, element-wise: a small slope ``alpha`` for negative inputs.

    leaky_relu(z) = z if z > 0 else alpha * z

    Args:
        z: array of any shape.
        alpha: slope for z <= 0, usually small and positive.

    Returns:
        Array of the shape of ``z``.
    """
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha)
    return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)


def leaky_relu_grad(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU, element-wise; taken as ``alpha`` at z = 0.

    leaky_relu'(z) = 1 if z > 0 else alpha

    Args:
        z: array of any shape.
        alpha: slope for z <= 0.

    Returns:
        Array of the shape of ``z`` holding 1 and ``alpha``.
    """
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Softmax over the classes of each row, stable for large inputs.

    softmax(Z)[n, c] = exp(Z[n, c] - max_k Z[n, k]) / sum_j exp(Z[n, j] - max_k Z[n, k])

    Subtracting the row maximum changes nothing mathematically (softmax is
    unchanged by adding a constant to a row) but keeps ``exp`` from
    overflowing: the largest exponent becomes exp(0) = 1.

    Args:
        Z: scores (logits) of shape (N, C).

    Returns:
        Probabilities of shape (N, C); every row is non-negative and sums to 1.
    """
    Z = _scores(Z, "Z")
    shifted = Z - Z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_grad(Z: np.ndarray, dS: np.ndarray) -> np.ndarray:
    """Backward pass of softmax: the gradient with respect to the scores.

    dZ[n] = S[n] * (dS[n] - sum_c dS[n, c] S[n, c]),  where S = softmax(Z)

    This is the vector-Jacobian product dS @ J for each row, without ever
    building the (C, C) Jacobian.

    Args:
        Z: scores of shape (N, C).
        dS: upstream gradient with respect to softmax(Z), shape (N, C).

    Returns:
        dZ of shape (N, C).
    """
    S = softmax(Z)
    dS = as_float_array(dS, "dS", ("N", "C"))
    check_same_shape(dS, "dS", S.shape)
    return S * (dS - np.sum(dS * S, axis=1, keepdims=True))


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """Jacobian of the softmax of one score vector.

    J[i, j] = s_i (delta_ij - s_j),  where s = softmax(z)

    Args:
        z: scores of shape (C,).

    Returns:
        Matrix of shape (C, C).
    """
    z = as_float_array(z, "z", ("C",))
    s = softmax(_scores(z[None, :], "z"))[0]
    return np.diag(s) - np.outer(s, s)
