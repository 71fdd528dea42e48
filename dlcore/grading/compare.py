"""Compare a student's answer with the expected one and say what differs.

The functions here take their numpy helpers from private names bound when
this module is imported, so a student who rebinds ``np.allclose`` or
``np.testing.assert_allclose`` cannot change how answers are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_asarray = np.asarray
_abs = np.abs
_isfinite = np.isfinite
_isnan = np.isnan
_argwhere = np.argwhere
_logical_and = np.logical_and
_logical_or = np.logical_or
_count_nonzero = np.count_nonzero
_array2string = np.array2string
_median = np.median
_float64 = np.float64

TINY = 1e-12


def format_array(value: Any, limit: int = 24) -> str:
    """A short printout of an array: whole when small, summarised when large."""
    if value is None:
        return "None"
    try:
        arr = _asarray(value)
    except Exception:
        return repr(value)
    if arr.dtype.kind not in "biuf":
        return repr(value)
    if arr.size > limit:
        text = _array2string(arr, precision=4, threshold=limit, edgeitems=2, suppress_small=True)
        return f"{text}  (shape {arr.shape})"
    return _array2string(arr, precision=6, suppress_small=False)


def _close(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Element-wise closeness; NaN matches NaN and inf matches the same inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        # The tolerance applies to finite expected values only: |x - inf| <= rtol * inf
        # would make every finite x "close" to infinity.
        near = _logical_and(_isfinite(expected), _abs(got - expected) <= atol + rtol * _abs(expected))
    both_nan = _logical_and(_isnan(expected), _isnan(got))
    same_inf = _logical_and(~_isfinite(expected), expected == got)
    return _logical_or(near, _logical_or(both_nan, same_inf))


def _index(idx: np.ndarray) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + (",)" if len(idx) == 1 else ")")


def describe_array_difference(
    expected: np.ndarray, got: Any, rtol: float, atol: float, *, reveal: bool = True
) -> str | None:
    """``None`` when ``got`` matches ``expected``; otherwise what is wrong, in words.

    With ``reveal=False`` (hidden tests) the words name positions but no values.
    """
    if got is None:
        return "returned None: did you forget the `return` statement?"
    if isinstance(got, tuple) and expected.ndim == 0:
        return f"returned a tuple of {len(got)} values instead of a single number"
    try:
        got_arr = _asarray(got)
    except Exception:
        return f"returned {type(got).__name__}, which is not a number or an array"
    if got_arr.dtype.kind not in "biuf":
        return f"returned values of type {got_arr.dtype} ({type(got).__name__}), not numbers"
    if expected.ndim == 0:
        if got_arr.size != 1:
            return f"returned an array of shape {got_arr.shape} instead of a single number"
        got_arr = got_arr.reshape(())
    if got_arr.shape != expected.shape:
        if got_arr.shape == expected.shape[::-1] and _close(expected.T, got_arr, rtol, atol).all():
            return f"returned the transpose of the expected result: shape {got_arr.shape} instead of {expected.shape}"
        if got_arr.size == expected.size and _close(expected.ravel(), got_arr.ravel(), rtol, atol).all():
            return f"wrong shape {got_arr.shape} instead of {expected.shape} (the values are right: check your reshape or keepdims)"
        return f"wrong shape {got_arr.shape} instead of {expected.shape}"
    got_arr = got_arr.astype(_float64) if got_arr.dtype.kind != "f" else got_arr
    close = _close(expected, got_arr, rtol, atol)
    if close.all():
        return None
    bad_finite = _logical_and(~_isfinite(got_arr), _isfinite(expected))
    if bad_finite.any():
        first = _argwhere(bad_finite)[0]
        where = f"at index {_index(first)}"
        if reveal:
            where += f" where {expected[tuple(first)]:.6g} was expected"
        return (
            f"returned {got_arr[tuple(first)]} {where} ({_count_nonzero(bad_finite)} value(s) are NaN or "
            "infinite): an overflow, a division by zero or log(0)?"
        )
    factor = _constant_factor(expected, got_arr, rtol, atol)
    if factor is not None:
        if abs(factor + 1) < 1e-6:
            return "every value has the wrong sign: check the direction (a minus sign)"
        return f"every value is {factor:.4g} times the expected one: a constant factor is off"
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(expected.T, got_arr, rtol, atol).all():
        return "returned the transpose of the expected result"
    first = _argwhere(~close)[0]
    count = f"{_count_nonzero(~close)} of {close.size} values are wrong"
    if not reveal:
        return f"first wrong value at index {_index(first)} ({count})"
    return (
        f"first wrong value at index {_index(first)}: expected {expected[tuple(first)]:.6g}, "
        f"got {got_arr[tuple(first)]:.6g} ({count})"
    )


def _constant_factor(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> float | None:
    """The k with got == k * expected everywhere (k != 1), or None."""
    nonzero = _abs(expected) > max(atol, TINY)
    if _count_nonzero(nonzero) < 1:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        k = float(_median(got[nonzero] / expected[nonzero]))
    if not np.isfinite(k) or abs(k - 1) < 1e-6 or abs(k) < 1e-9:
        return None
    return k if _close(k * expected, got, rtol, atol).all() else None


def describe_difference(
    expected: Any, got: Any, names: tuple[str, ...], rtol: float, atol: float, *, reveal: bool = True
) -> str | None:
    """Compare a result (a value, or a tuple named by ``names``) with the expected one."""
    if len(names) > 1:
        if got is None:
            return f"returned None instead of {len(names)} values ({', '.join(names)}): did you forget `return`?"
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            kind = f"{len(got)} values" if isinstance(got, (tuple, list)) else type(got).__name__
            return f"returned {kind} instead of {len(names)} values ({', '.join(names)})"
        for name, want, have in zip(names, expected, got):
            problem = describe_difference(want, have, (name,), rtol, atol, reveal=reveal)
            if problem is not None:
                return f"{name}: {problem}"
        return None
    if isinstance(expected, (list, tuple)) and not _is_array_like(expected):
        return _describe_sequence_difference(expected, got, rtol, atol, reveal=reveal)
    return describe_array_difference(_asarray(expected, dtype=_float64), got, rtol, atol, reveal=reveal)


def _is_array_like(value: Any) -> bool:
    try:
        _asarray(value, dtype=_float64)
    except (ValueError, TypeError):
        return False
    return True


def _describe_sequence_difference(
    expected: list | tuple, got: Any, rtol: float, atol: float, *, reveal: bool = True
) -> str | None:
    """Compare ragged nested results, such as a list of (W, b) pairs, item by item."""
    if got is None:
        return "returned None: did you forget the `return` statement?"
    if not isinstance(got, (list, tuple)):
        return f"returned {type(got).__name__} instead of a list of {len(expected)} items"
    if len(got) != len(expected):
        return f"returned {len(got)} items instead of {len(expected)}"
    for i, (want, have) in enumerate(zip(expected, got)):
        problem = describe_difference(want, have, ("result",), rtol, atol, reveal=reveal)
        if problem is not None:
            return f"item {i}: {problem}"
    return None
