"""Dense layers, activation layers and weight initialisation (chapters 02, 05, 06).

Layers come as functional pairs: ``name_forward(x, ...) -> (out, cache)`` and
``name_backward(dout, cache) -> (dx, ...)``, where ``cache`` holds what the
backward pass needs (documented on each forward function) and ``dout`` is the
gradient of the loss with respect to ``out``. Every gradient has the shape and
dtype of the variable it belongs to (float32 stays float32). Nothing is
modified in place, and caches hold references to the inputs, not copies.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from dlcore._validate import as_float_array, check_same_shape, result_dtype
from dlcore.activations import (
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh,
    tanh_grad,
)

__all__ = [
    "INIT_SCHEMES",
    "count_parameters",
    "dense",
    "dense_backward",
    "dense_forward",
    "init_layer",
    "init_network",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "tanh_backward",
    "tanh_forward",
]

#: Standard deviation of the initial weights of each scheme, from (n_in, n_out).
INIT_SCHEMES = {
    "he": lambda n_in, n_out: math.sqrt(2.0 / n_in),
    "xavier": lambda n_in, n_out: math.sqrt(2.0 / (n_in + n_out)),
}


# --------------------------------------------------------------------------- dense


def _dense_inputs(X: object, W: object, b: object, allow_nan: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", ("N", "D"), allow_nan=allow_nan)
    W = as_float_array(W, "W", (X.shape[1], "M"), allow_nan=allow_nan)
    b = as_float_array(b, "b", (W.shape[1],), allow_nan=allow_nan)
    return X, W, b


def _fortran_ordered(a: np.ndarray) -> bool:
    """True for an (N, D) array laid out column by column (e.g. a transposed view), not row by row."""
    return not a.flags.c_contiguous and a.flags.f_contiguous


def dense_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Forward pass of a dense (fully connected) layer.

    out = X @ W + b

    Args:
        X: inputs of shape (N, D).
        W: weights of shape (D, M).
        b: biases of shape (M,).

    Returns:
        ``(out, cache)``: out of shape (N, M), float32 only when X, W and b
        all are; cache is the tuple ``(X, W, b)`` (the validated inputs, not
        copies).
    """
    # NaN and infinities are looked for in out, not in X and W: out is small
    # and still in the CPU cache, while a pass over a (1024, 1024) W reads 4-8 MiB
    # from memory: 0.2-0.5 ms at N = 256, 5-10% of the forward pass (measured
    # side by side, 2 threads). A NaN or an infinity anywhere in X,
    # W or b makes some entry of out non-finite (NaN * 0 is NaN; inf * 0 is NaN,
    # inf * w is inf), and only then are the inputs checked one by one, so the
    # error still names the argument (tests/test_layers.py puts NaNs where they
    # meet zeros, for one sample and for many).
    X, W, b = _dense_inputs(X, W, b, allow_nan=True)
    # X @ W as written, a C-ordered out. Measured side by side with two BLAS
    # threads (256 x 1024 @ 1024 x 1024), it ran 5-15% faster than the same
    # numbers as (W^T @ X^T)^T in float64, for C- and Fortran-ordered X alike,
    # and as fast in float32. A C-ordered out also keeps the arrays of the
    # element-wise layers after it in one layout (mixed layouts made
    # relu_backward 3x slower), and dense_backward gives dX the layout of dout.
    with np.errstate(invalid="ignore"):  # inf * 0 in bad input: reported below as a ValueError
        out = X @ W
        dtype = result_dtype(X, W, b)
        if out.dtype != dtype:
            out = out.astype(dtype)
        out += b  # in place on our own new array: no temporary of shape (N, M)
    if out.size == 0 or not np.isfinite(out).all():
        _dense_inputs(X, W, b)  # raises naming the argument; finite inputs that overflow pass
    return out, (X, W, b)


def dense(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A dense (fully connected) layer applied to a batch.

    out = X @ W + b

    Args:
        X: inputs of shape (N, D).
        W: weights of shape (D, M).
        b: biases of shape (M,).

    Returns:
        out of shape (N, M).
    """
    return dense_forward(X, W, b)[0]


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of a dense layer.

    dX = dout @ W^T,  dW = X^T @ dout,  db = sum_n dout[n]

    The transposes are views: numpy hands them to BLAS without copying.
    dX is laid out in memory like dout: dout @ W^T for a C-ordered dout,
    (W @ dout^T)^T (a transposed view) for a Fortran-ordered one, so that the
    element-wise backward of the layer before meets arrays of one layout. On a
    Fortran-ordered dout that orientation is also the faster one (10-15% in
    float32); on a C-ordered dout, (W @ dout^T)^T ran 5-10% faster in float32
    (alike in float64), but its Fortran-ordered dX made the relu_backward
    that follows 3x slower (0.3 ms more at N = 256, D = 1024), more than it saved.

    Args:
        dout: gradient with respect to the output, shape (N, M).
        cache: ``(X, W, b)`` as returned by :func:`dense_forward`.

    Returns:
        ``(dX, dW, db)`` of shapes (N, D), (D, M), (M,), each with the dtype
        of X, W and b respectively.
    """
    if not (isinstance(cache, tuple) and len(cache) == 3):
        raise ValueError("cache must be the tuple (X, W, b) returned by dense_forward")
    X = as_float_array(cache[0], "cache X", ("N", "D"), allow_nan=True)
    W = as_float_array(cache[1], "cache W", (X.shape[1], "M"), allow_nan=True)
    b = as_float_array(cache[2], "cache b", (W.shape[1],), allow_nan=True)
    dout = as_float_array(dout, "dout", (X.shape[0], W.shape[1]))
    dX = (W @ dout.T).T if _fortran_ordered(dout) else dout @ W.T  # laid out like dout, see the docstring
    dX = dX.astype(X.dtype, copy=False)
    dW = (X.T @ dout).astype(W.dtype, copy=False)
    db = dout.sum(axis=0).astype(b.dtype, copy=False)
    return dX, dW, db


# --------------------------------------------------------------------- activations


def _upstream(dout: object, x: np.ndarray) -> np.ndarray:
    dout = as_float_array(dout, "dout")
    check_same_shape(dout, "dout", x.shape)
    return dout


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a ReLU layer, element-wise.

    out = max(0, x)

    Args:
        x: array of any shape.

    Returns:
        ``(out, cache)``: out of the shape and dtype of ``x``; cache is ``x``.
    """
    x = as_float_array(x, "x")
    return relu(x), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of a ReLU layer.

    dx = dout * (x > 0)

    Args:
        dout: gradient with respect to the output, the shape of ``x``.
        cache: ``x``, as returned by :func:`relu_forward`.

    Returns:
        dx of the shape and dtype of ``x``.
    """
    x = as_float_array(cache, "cache")
    return (_upstream(dout, x) * relu_grad(x)).astype(x.dtype, copy=False)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a sigmoid layer, element-wise.

    out = 1 / (1 + exp(-x))

    Args:
        x: array of any shape.

    Returns:
        ``(out, cache)``: out of the shape and dtype of ``x``; cache is ``x``.
    """
    x = as_float_array(x, "x")
    return sigmoid(x), x


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of a sigmoid layer.

    dx = dout * sigma(x) (1 - sigma(x))

    Args:
        dout: gradient with respect to the output, the shape of ``x``.
        cache: ``x``, as returned by :func:`sigmoid_forward`.

    Returns:
        dx of the shape and dtype of ``x``.
    """
    x = as_float_array(cache, "cache")
    return (_upstream(dout, x) * sigmoid_grad(x)).astype(x.dtype, copy=False)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a tanh layer, element-wise.

    out = tanh(x)

    Args:
        x: array of any shape.

    Returns:
        ``(out, cache)``: out of the shape and dtype of ``x``; cache is ``x``.
    """
    x = as_float_array(x, "x")
    return tanh(x), x


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of a tanh layer.

    dx = dout * (1 - tanh(x)^2)

    Args:
        dout: gradient with respect to the output, the shape of ``x``.
        cache: ``x``, as returned by :func:`tanh_forward`.

    Returns:
        dx of the shape and dtype of ``x``.
    """
    x = as_float_array(cache, "cache")
    return (_upstream(dout, x) * tanh_grad(x)).astype(x.dtype, copy=False)


def leaky_relu_forward(x: np.ndarray, alpha: float = 0.01) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
    """Forward pass of a leaky ReLU layer, element-wise.

    out = x if x > 0 else alpha * x

    Args:
        x: array of any shape.
        alpha: slope for x <= 0, a finite number (usually small and positive).

    Returns:
        ``(out, cache)``: out of the shape and dtype of ``x``; cache is the
        tuple ``(x, alpha)``.
    """
    x = as_float_array(x, "x")
    alpha = _slope(alpha)
    return leaky_relu(x, alpha), (x, alpha)


def leaky_relu_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """Backward pass of a leaky ReLU layer.

    dx = dout * (1 if x > 0 else alpha)

    Args:
        dout: gradient with respect to the output, the shape of ``x``.
        cache: ``(x, alpha)``, as returned by :func:`leaky_relu_forward`.

    Returns:
        dx of the shape and dtype of ``x``.
    """
    if not (isinstance(cache, tuple) and len(cache) == 2):
        raise ValueError("cache must be the tuple (x, alpha) returned by leaky_relu_forward")
    x = as_float_array(cache[0], "cache x")
    alpha = _slope(cache[1])
    return (_upstream(dout, x) * leaky_relu_grad(x, alpha)).astype(x.dtype, copy=False)


def _slope(alpha: object) -> float:
    number = isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool)
    if not number or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    return float(alpha)


# -------------------------------------------------------------------- initialisation


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be a positive integer, got {number}")
    return number


def _layer_sizes(layer_sizes: object) -> list[int]:
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, (Sequence, np.ndarray)):
        kind = type(layer_sizes).__name__
        raise ValueError(f"layer_sizes must be a sequence of positive integers, got {kind}")
    if len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes must hold at least 2 sizes (inputs, outputs), got {list(layer_sizes)}")
    return [_positive_int(n, f"layer_sizes[{i}]") for i, n in enumerate(layer_sizes)]


def init_layer(
    n_in: int, n_out: int, rng: np.random.Generator, scheme: str = "he"
) -> tuple[np.ndarray, np.ndarray]:
    """Random initial weights and zero biases of one dense layer.

    W = rng.standard_normal((n_in, n_out)) * std,  b = 0

    with std = sqrt(2 / n_in) for ``"he"`` and sqrt(2 / (n_in + n_out)) for
    ``"xavier"`` (Glorot normal).

    He initialisation keeps the variance of activations roughly constant
    through ReLU layers; Xavier (Glorot normal) through tanh and sigmoid
    layers.

    Args:
        n_in: D, number of inputs, a positive integer.
        n_out: M, number of units, a positive integer.
        rng: the random generator to draw from, e.g.
            ``np.random.default_rng(0)``.
        scheme: ``"he"`` or ``"xavier"``.

    Returns:
        ``(W, b)``: float64 W of shape (D, M) and zeros b of shape (M,).

    Raises:
        ValueError: for a size that is not a positive integer, an ``rng``
            that is not a ``np.random.Generator``, or an unknown scheme.
    """
    n_in = _positive_int(n_in, "n_in")
    n_out = _positive_int(n_out, "n_out")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a np.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    if scheme not in INIT_SCHEMES:
        valid = ", ".join(repr(name) for name in INIT_SCHEMES)
        raise ValueError(f"scheme must be one of {valid}, got {scheme!r}")
    std = INIT_SCHEMES[scheme](n_in, n_out)
    W = rng.standard_normal((n_in, n_out)) * std
    return W, np.zeros(n_out, dtype=np.float64)


def init_network(
    layer_sizes: Sequence[int], rng: np.random.Generator, scheme: str = "he"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Initial parameters of a multilayer perceptron.

    params[l] = init_layer(layer_sizes[l], layer_sizes[l + 1], rng, scheme)

    Layers are drawn in order from the same ``rng``.

    Args:
        layer_sizes: sizes ``[D, M1, ..., C]`` of the layers, at least two
            positive integers.
        rng: the random generator to draw from.
        scheme: ``"he"`` or ``"xavier"``.

    Returns:
        List of ``(W, b)``, one per pair of consecutive sizes.
    """
    sizes = _layer_sizes(layer_sizes)
    return [init_layer(n_in, n_out, rng, scheme) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def count_parameters(layer_sizes: Sequence[int]) -> int:
    """Number of weights and biases of a multilayer perceptron.

    count = sum_l (n_l * n_{l+1} + n_{l+1})

    Args:
        layer_sizes: sizes ``[D, M1, ..., C]``, at least two positive integers.

    Returns:
        The count as an int.
    """
    sizes = _layer_sizes(layer_sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
