"""Gradient checking by centred finite differences.

An analytic gradient (from a ``*_grad`` or ``*_backward`` function) is checked
against the centred difference

    df/dx[i] ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

whose error is O(eps^2) from truncation plus O(machine epsilon * |f| / eps)
from rounding; eps = 1e-6 balances the two in float64. Checks always run in
float64: float32 has too few digits for differences this small.

The loop over the entries of ``x`` is deliberate (each entry needs two
evaluations of ``f``), so use small arrays: a few dozen to a few hundred
entries.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlcore._validate import as_float_array, check_positive, check_same_shape

__all__ = [
    "GradCheckResult",
    "check_gradient",
    "numerical_backward",
    "numerical_gradient",
    "relative_error",
]

_TINY = np.finfo(np.float64).tiny


def _as_index(value: object, name: str) -> int:
    """``value`` as a Python int (bool refused), or ``ValueError`` naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _scalar_of(value: object, name: str) -> float:
    """The single number returned by ``name``, or ``ValueError`` if it is not one."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must return a single number, got {type(value).__name__}") from None
    if arr.size != 1:
        raise ValueError(f"{name} must return a single number, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by centred differences.

    grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

    ``f`` receives a fresh float64 copy of ``x`` at every call, so neither
    ``x`` nor the working copy can be changed by it.

    Args:
        f: function of an array shaped like ``x`` returning a single number.
        x: point at which to differentiate, any shape (not modified).
        eps: step of the difference, > 0.

    Returns:
        float64 array of the shape of ``x``.

    Raises:
        ValueError: when ``x`` is not a finite numeric array, ``eps`` is not
            positive, or ``f`` does not return a single number.
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    check_positive(eps, "eps")
    point = np.array(as_float_array(x, "x"), dtype=np.float64, order="C", copy=True)
    grad = np.zeros_like(point)
    for idx in np.ndindex(point.shape):
        old = point[idx]
        point[idx] = old + eps
        f_plus = _scalar_of(f(point.copy()), "f")
        point[idx] = old - eps
        f_minus = _scalar_of(f(point.copy()), "f")
        point[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def numerical_backward(
    forward: Callable[..., np.ndarray],
    inputs: Sequence[object],
    dout: np.ndarray,
    wrt: int,
    eps: float = 1e-6,
) -> np.ndarray:
    """What a backward function should return, by centred differences.

    dinputs[wrt][i] = sum((forward(.., x + eps e_i, ..) - forward(.., x - eps e_i, ..)) * dout) / (2 eps)

    This is d(sum(forward(*inputs) * dout)) / d inputs[wrt]: the
    vector-Jacobian product a ``*_backward`` function computes. The difference
    of the two outputs is taken before the sum with ``dout``, which keeps the
    rounding error proportional to the entries that change rather than to
    the whole sum.

    Args:
        forward: function of ``*inputs`` returning one array shaped like
            ``dout``. A function returning ``(out, cache)`` must be wrapped,
            e.g. ``lambda *a: dense_forward(*a)[0]``.
        inputs: the positional arguments of ``forward`` (none is modified).
        dout: upstream gradient, shaped like the output of ``forward``.
        wrt: index in ``inputs`` of the argument to differentiate.
        eps: step of the difference, > 0.

    Returns:
        float64 array shaped like ``inputs[wrt]``.

    Raises:
        ValueError: when ``wrt`` is out of range, ``forward`` does not return
            an array of the shape of ``dout``, or an argument is invalid.
    """
    if not callable(forward):
        raise ValueError(f"forward must be callable, got {type(forward).__name__}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"inputs must be a list of the arguments of forward, got {type(inputs).__name__}")
    wrt = _as_index(wrt, "wrt")
    if not 0 <= wrt < len(inputs):
        raise ValueError(f"wrt must be an index in [0, {len(inputs)}), got {wrt}")
    check_positive(eps, "eps")
    dout = np.asarray(as_float_array(dout, "dout"), dtype=np.float64)
    before, after = list(inputs[:wrt]), list(inputs[wrt + 1 :])
    point = np.array(as_float_array(inputs[wrt], f"inputs[{wrt}]"), dtype=np.float64, order="C", copy=True)

    def output_at(value: np.ndarray) -> np.ndarray:
        out = forward(*before, value, *after)
        if isinstance(out, tuple):
            raise ValueError(
                "forward must return one array, got a tuple: wrap it, e.g. lambda *a: dense_forward(*a)[0]"
            )
        out = np.asarray(out, dtype=np.float64)
        check_same_shape(out, "the output of forward (shaped like dout)", dout.shape)
        return out

    grad = np.zeros_like(point)
    for idx in np.ndindex(point.shape):
        old = point[idx]
        point[idx] = old + eps
        out_plus = output_at(point.copy())
        point[idx] = old - eps
        out_minus = output_at(point.copy())
        point[idx] = old
        grad[idx] = np.sum((out_plus - out_minus) * dout) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error between two arrays of the same shape.

    relative_error(a, b) = max_i |a_i - b_i| / max(|a_i| + |b_i|, tiny)

    ``tiny`` is the smallest positive normal float64, so entries where both
    arrays are exactly 0 count as 0 error. The error is symmetric, lies in
    [0, 1], and is 1 when the signs differ or one entry alone is 0. Every
    entry counts, so entries near 0 with noisy differences dominate: check
    gradients at points where they are not tiny.

    Args:
        a: array of any shape.
        b: array of the shape of ``a``.

    Returns:
        The largest relative error as a float (0.0 for empty arrays).

    Raises:
        ValueError: when the shapes differ or an entry is NaN or infinite.
    """
    a = np.asarray(as_float_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b"), dtype=np.float64)
    check_same_shape(b, "b", a.shape)
    if a.size == 0:
        return 0.0
    return float(np.max(_elementwise_relative_error(a, b)))


def _elementwise_relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), _TINY)


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of :func:`check_gradient`.

    Attributes:
        max_relative_error: :func:`relative_error` of the analytic and
            numerical gradients.
        worst: the entries with the largest relative errors, worst first,
            as ``(index, analytic, numeric)`` with ``index`` a tuple.
    """

    max_relative_error: float
    worst: list[tuple[tuple[int, ...], float, float]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"max relative error {self.max_relative_error:.3e}"]
        if self.worst:
            lines.append("worst entries (index: analytic vs numeric, relative error):")
        for index, analytic, numeric in self.worst:
            error = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), _TINY)
            lines.append(f"  {index}: {analytic:.10g} vs {numeric:.10g}, {error:.3e}")
        return "\n".join(lines)


def check_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic: np.ndarray,
    eps: float = 1e-6,
    worst: int = 5,
) -> GradCheckResult:
    """Compare an analytic gradient of ``f`` at ``x`` with centred differences.

    max_relative_error = relative_error(analytic, numerical_gradient(f, x, eps))

    Args:
        f: scalar function of an array shaped like ``x``.
        x: point of the check, any shape (not modified).
        analytic: the gradient to check, shaped like ``x``.
        eps: step of the difference, > 0.
        worst: how many of the worst entries to report, >= 0.

    Returns:
        A :class:`GradCheckResult`; ``print`` it to see the worst entries.

    Raises:
        ValueError: when ``analytic`` is not shaped like ``x`` or an argument
            is invalid.
    """
    worst = _as_index(worst, "worst")
    if worst < 0:
        raise ValueError(f"worst must be >= 0, got {worst}")
    x = as_float_array(x, "x")
    analytic = np.asarray(as_float_array(analytic, "analytic"), dtype=np.float64)
    check_same_shape(analytic, "analytic", x.shape)
    numeric = numerical_gradient(f, x, eps)
    if x.size == 0:
        return GradCheckResult(0.0, [])
    errors = _elementwise_relative_error(analytic, numeric)
    order = np.argsort(errors, axis=None, kind="stable")[::-1][:worst]
    entries = []
    for flat in order:
        idx = tuple(int(i) for i in np.unravel_index(flat, x.shape))
        entries.append((idx, float(analytic[idx]), float(numeric[idx])))
    return GradCheckResult(float(errors.max()), entries)
