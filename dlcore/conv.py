"""Convolution and max pooling, forward and backward (chapter 08).

Images are batches of shape (N, C, H, W): N samples, C channels, H rows and
W columns. Filters have shape (F, C, HH, WW): F filters of C channels and
HH x WW pixels.

The convolution is vectorised with the *im2col* trick: every receptive field
is copied into a column of a matrix, so that the whole convolution becomes ONE
matrix product, out = W_r @ cols with W_r of shape (F, C HH WW). The only
Python loops run over the HH * WW kernel offsets (or the offsets inside a
pooling window), never over samples or output pixels.

Memory layout: internally the batch axis is the *last* one (C, H, W, N), so
that the copies of im2col and col2im move runs of Wo * N contiguous numbers
instead of rows of Wo, and the matrix product is one large BLAS call. The
arrays returned still have the shape (N, C, H, W), but may be transposed
views of a (C, H, W, N) buffer (like PyTorch's "channels last"); every numpy
operation handles them, and ``np.ascontiguousarray`` gives a C-ordered copy.
Passing such an array on to the next layer saves a transposing copy.

Scratch buffers: the big temporaries (the padded batch, the gradients of the
column matrix and of the padded batch) are borrowed from a small module-level
pool and given back after use, instead of being allocated afresh on every
call. A fresh array of megabytes costs a page fault per 4 KiB page on its
first write; in a float64 conv -> pool step these faults made the step up to
about twice as slow as the sum of its parts timed alone. Pooled arrays are
never returned to the caller nor kept in a cache: every array a function
returns (and the column matrix kept for the backward pass) is freshly allocated.

Threads: max pooling splits its work into parts of about 1 MiB of the input
(a range of channels or images and of output rows), small enough for the CPU
cache; for an input of 2 MiB or more the parts are shared among the cores
(numpy releases the GIL inside its element-wise loops). Each part writes its
own cells of the output, so the result is the same on any number of threads.
The convolution's products get their threads from BLAS; for a column matrix
of 8 MiB or more, im2col (one copy per kernel offset) and col2im (one block of
image rows per thread) are shared among the cores too. The threads of
max pooling, im2col and col2im come from :mod:`dlcore._parallel`.

Outputs and gradients keep the dtype of the input (float32 stays float32).
Nothing is modified in place.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from dlcore import _parallel
from dlcore._parallel import run_parts
from dlcore._validate import as_float_array, check_same_shape, result_dtype

__all__ = [
    "conv_output_size",
    "conv2d_forward",
    "conv2d_backward",
    "maxpool_forward",
    "maxpool_backward",
]


def _check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int after checking that it is an integer >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def conv_output_size(size: int, kernel: int, stride: int = 1, pad: int = 0, name: str = "H") -> int:
    """Length of one output axis of a convolution or pooling window sweep.

    Ho = (H + 2 pad - HH) // stride + 1

    Args:
        size: input length H (or W).
        kernel: window length HH (or WW).
        stride: step between two windows.
        pad: zeros added on each side.
        name: the axis name used in error messages.

    Returns:
        The output length Ho (or Wo).

    Raises:
        ValueError: when the windows do not tile the padded input exactly,
            i.e. (H + 2 pad - HH) is negative or not a multiple of the stride.
    """
    span = size + 2 * pad - kernel
    if span < 0:
        raise ValueError(
            f"the window ({kernel}) is larger than the padded input: {name} + 2 pad = {size + 2 * pad}"
        )
    if span % stride != 0:
        raise ValueError(
            f"windows do not tile the input: ({name} + 2 pad - kernel) = {span} "
            f"is not a multiple of stride = {stride}"
        )
    return span // stride + 1


# ------------------------------------------------------------------ scratch buffers

_POOL: dict[tuple[Any, ...], np.ndarray] = {}  # idle scratch arrays, least recently used first
_POOL_LOCK = threading.Lock()
_POOL_MAX_BYTES = 256 * 2**20  # the pool never holds more than 256 MiB (per process, not per thread)


@contextlib.contextmanager
def _scratch(name: object, shape: tuple[int, ...], dtype: np.dtype, zero: bool = False) -> Iterator[np.ndarray]:
    """Borrow an uninitialised work array of ``shape`` and ``dtype`` for the ``with`` block.

    The array is taken out of the pool while it is in use, so two threads (or
    two nested calls) never share one; it goes back to the pool afterwards.
    ``name`` tells apart arrays of the same shape with different contents. A
    newly allocated array is zero-filled when ``zero`` is true (see _batch_last).
    """
    key = (name, shape, np.dtype(dtype).str)
    with _POOL_LOCK:
        buf = _POOL.pop(key, None)
    if buf is None:
        buf = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    try:
        yield buf
    finally:
        if buf.nbytes <= _POOL_MAX_BYTES:  # a larger array is not kept: it would evict all the others
            with _POOL_LOCK:
                _POOL[key] = buf  # most recently used last
                while sum(a.nbytes for a in _POOL.values()) > _POOL_MAX_BYTES:
                    del _POOL[next(iter(_POOL))]  # evict the least recently used


# ------------------------------------------------------------------ im2col and col2im

_COPY_BLOCK = 8  # indices of the inner axis per step of a transposing copy (see _copy_in_steps)


def _copy_in_steps(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Copy ``src`` into ``dst`` (same shape), a few indices of dst's innermost axis at a time when that is faster.

    A transposing copy (e.g. a C-ordered array into a batch-last layout) reads,
    for each run of the innermost axis of ``dst``, one number from each of
    many rows of ``src``. When those rows lie a multiple of 4 KiB apart they all
    fall into one set of the CPU cache, which then misses on nearly every
    number (the copy ran 2-4x slower); the copy then goes 8 indices of that
    axis at a time, so that each step reads only 8 such rows.
    """
    inner, step = -1, 0  # the innermost axis of dst (of length > 1) and its stride
    for k, (length, stride) in enumerate(zip(dst.shape, dst.strides)):
        if length > 1 and (inner < 0 or abs(stride) < step):
            inner, step = k, abs(stride)
    if inner < 0 or dst.shape[inner] <= _COPY_BLOCK or abs(src.strides[inner]) % 4096:
        np.copyto(dst, src)
        return dst
    index = [slice(None)] * dst.ndim
    for start in range(0, dst.shape[inner], _COPY_BLOCK):
        index[inner] = slice(start, start + _COPY_BLOCK)
        np.copyto(dst[tuple(index)], src[tuple(index)])
    return dst


@contextlib.contextmanager
def _batch_last(X: np.ndarray, pad: int) -> Iterator[np.ndarray]:
    """Yield X (N, C, H, W) as a C-contiguous, zero-padded (C, H + 2 pad, W + 2 pad, N) array.

    A view of X when X is already batch-last in memory (a conv output) and
    pad = 0; otherwise a scratch copy. The border of the scratch array was
    zeroed when it was allocated and only its interior is ever written (its
    pool key includes pad, so the interior is always the same), so it stays zero.
    """
    N, C, H, W = X.shape
    Xt = X.transpose(1, 2, 3, 0)
    if not pad and Xt.flags.c_contiguous:
        yield Xt
        return
    with _scratch(("Xp", pad), (C, H + 2 * pad, W + 2 * pad, N), X.dtype, zero=True) as Xp:
        _copy_in_steps(Xp[:, pad : pad + H, pad : pad + W], Xt)  # 4x faster than np.copyto for X of (64, 1, 32, 32)
        yield Xp


# Column matrices of this many bytes (8 MiB) or more are copied on all threads:
# measured side by side on 2 cores, threads saved 30-45% of im2col and col2im
# from about 10 MiB on (LeNet conv1 at N = 64 in float64 and larger), and
# cost up to 50% more below about 5 MiB, where handing out the parts takes longer.
_PARALLEL_COLS_BYTES = 2**23


def _im2col(Xp: np.ndarray, HH: int, WW: int, stride: int, Ho: int, Wo: int, cols: np.ndarray) -> np.ndarray:
    """Copy every receptive field of a padded, batch-last batch into a column of ``cols``.

    cols[(c, i, j), (y, x, n)] = Xp[c, y * stride + i, x * stride + j, n]

    One copy per kernel offset (i, j); each writes its own rows of ``cols``,
    so a large ``cols`` is filled by all threads at once.

    Args:
        Xp: padded images of shape (C, H, W, N).
        HH, WW: kernel height and width.
        stride: step between two receptive fields.
        Ho, Wo: output height and width.
        cols: the array to fill, of shape (C * HH * WW, Ho * Wo * N).

    Returns:
        ``cols``, filled.
    """
    C, N = Xp.shape[0], Xp.shape[3]
    cols6 = cols.reshape(C, HH, WW, Ho, Wo, N)  # a view: writing into it fills cols

    def copy(offset: tuple[int, int]) -> None:
        i, j = offset
        np.copyto(cols6[:, i, j], Xp[:, i : i + stride * Ho : stride, j : j + stride * Wo : stride])

    offsets = [(i, j) for i in range(HH) for j in range(WW)]
    run_parts(copy, offsets, cols.nbytes >= _PARALLEL_COLS_BYTES)
    return cols


def _col2im(dcols: np.ndarray, HH: int, WW: int, stride: int, Ho: int, Wo: int, dXp: np.ndarray) -> np.ndarray:
    """Add the columns back onto the image they came from (the adjoint of :func:`_im2col`).

    dXp[c, y * stride + i, x * stride + j, n] += dcols[(c, i, j), (y, x, n)]

    Receptive fields overlap, so two kernel offsets add onto the same pixels;
    the threads (for a large ``dcols``) share the rows of dXp instead, each
    adding every offset's columns onto its own block of rows.

    Args:
        dcols: gradient of the columns, shape (C * HH * WW, Ho * Wo * N).
        HH, WW, stride, Ho, Wo: as for :func:`_im2col`.
        dXp: the array to fill, of the shape (C, H, W, N) of the padded images.

    Returns:
        ``dXp``, the gradient of the padded images.
    """
    C, Hp, N = dXp.shape[0], dXp.shape[1], dXp.shape[3]
    d6 = dcols.reshape(C, HH, WW, Ho, Wo, N)

    def add_rows(rows: tuple[int, int]) -> None:
        h0, h1 = rows
        dXp[:, h0:h1].fill(0)
        for i in range(HH):
            y0, y1 = max(0, -(-(h0 - i) // stride)), min(Ho, -(-(h1 - i) // stride))  # h0 <= y stride + i < h1
            if y0 >= y1:
                continue
            target = slice(y0 * stride + i, (y1 - 1) * stride + i + 1, stride)
            for j in range(WW):
                dXp[:, target, j : j + stride * Wo : stride] += d6[:, i, j, y0:y1]

    parallel = dcols.nbytes >= _PARALLEL_COLS_BYTES
    blocks = _parallel.THREADS if parallel else 1
    edges = [Hp * k // blocks for k in range(blocks + 1)]
    run_parts(add_rows, [(a, b) for a, b in zip(edges, edges[1:]) if a < b], parallel)
    return dXp


# A product with a small result but a long sum, (K, P) @ (P, F) with K F <= this,
# is summed in parts of _SUM_PART columns (see _long_sum_product).
_SMALL_RESULT = 1024
_SUM_PART = 4096


def _long_sum_product(cols: np.ndarray, d: np.ndarray) -> np.ndarray:
    """cols @ d^T, of shape (K, F), for cols of shape (K, P) and d of shape (F, P).

    This orientation of the long P-sum ran 10-25% faster than d @ cols^T in
    float64 with two BLAS threads (the same on one). When the result is small
    (LeNet conv1: K = 25, F = 6) the sum goes in parts of 4096 columns: OpenBLAS
    ran one such call slowly, on one thread as on two, and the parts, summed
    one after the other, ran 1.4-2x (float64) and 2.3-2.7x (float32) faster at
    P = 50176; for conv2 (K F = 2400) and larger results they were no faster.
    """
    K, P = cols.shape
    if K * d.shape[0] > _SMALL_RESULT or P <= 2 * _SUM_PART:
        return cols @ d.T
    total = cols[:, :_SUM_PART] @ d[:, :_SUM_PART].T
    for start in range(_SUM_PART, P, _SUM_PART):
        total += cols[:, start : start + _SUM_PART] @ d[:, start : start + _SUM_PART].T
    return total


def conv2d_forward(
    X: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Forward pass of a 2-D convolution layer (a cross-correlation, as in every framework).

    out[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] * Xp[n, c, y * stride + i, x * stride + j]

    where Xp is X with ``pad`` zeros on each side of both spatial axes. The
    kernel is *not* flipped: strictly this is a cross-correlation, which is
    what deep-learning libraries call convolution. The output size is

        Ho = (H + 2 pad - HH) // stride + 1,   Wo = (W + 2 pad - WW) // stride + 1

    and the division must be exact.

    Args:
        X: images of shape (N, C, H, W).
        W: filters of shape (F, C, HH, WW).
        b: biases of shape (F,).
        stride: step between two receptive fields, an integer >= 1.
        pad: zeros added on each side of H and W, an integer >= 0.

    Returns:
        ``(out, cache)``: ``out`` of shape (N, F, Ho, Wo), float32 when X, W and b
        are all float32 and float64 otherwise; ``cache`` for :func:`conv2d_backward`.

    Raises:
        ValueError: on a wrong shape, a channel mismatch, NaN, a bad stride or
            pad, or windows that do not tile the padded input exactly.
    """
    X = as_float_array(X, "X", ("N", "C", "H", "W"))
    W = as_float_array(W, "W", ("F", "C", "HH", "WW"))
    stride = _check_int(stride, "stride", 1)
    pad = _check_int(pad, "pad", 0)
    N, C, H, Wd = X.shape
    F, _, HH, WW = W.shape
    if W.shape[1] != C:
        raise ValueError(f"W must have shape (F, {C}, HH, WW) to match the C = {C} channels of X, got shape {W.shape}")
    b = as_float_array(b, "b", (F,))
    Ho = conv_output_size(H, HH, stride, pad, "H")
    Wo = conv_output_size(Wd, WW, stride, pad, "W")
    dtype = result_dtype(X, W, b)
    X, W, b = X.astype(dtype, copy=False), W.astype(dtype, copy=False), b.astype(dtype, copy=False)

    K, P = C * HH * WW, Ho * Wo * N
    cols = np.empty((K, P), dtype=dtype)  # kept in the cache for the backward pass: never a scratch array
    with _batch_last(X, pad) as Xp:  # (C, Hp, Wp, N)
        _im2col(Xp, HH, WW, stride, Ho, Wo, cols)  # (K, P) with K = C HH WW, P = Ho Wo N
    out = np.empty((F, Ho, Wo, N), dtype=dtype)  # batch-last
    np.matmul(W.reshape(F, K), cols, out=out.reshape(F, P))  # (F, K) @ (K, P): one BLAS call for the batch
    out += b[:, None, None, None]
    cache = (X.shape, (C, H + 2 * pad, Wd + 2 * pad, N), cols, W, stride, pad, Ho, Wo)
    return out.transpose(3, 0, 1, 2), cache


def conv2d_backward(dout: np.ndarray, cache: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`conv2d_forward`.

    db[f] = sum_{n, y, x} dout[n, f, y, x]
    dW[f, c, i, j] = sum_{n, y, x} dout[n, f, y, x] * Xp[n, c, y * stride + i, x * stride + j]
    dX[n, c, h, w] = sum_{f, i, j} W[f, c, i, j] * dout[n, f, y, x]  over y * stride + i = h + pad, x * stride + j = w + pad

    Args:
        dout: upstream gradient of shape (N, F, Ho, Wo).
        cache: the cache returned by :func:`conv2d_forward`.

    Returns:
        ``(dX, dW, db)`` of shapes (N, C, H, W), (F, C, HH, WW) and (F,), in the
        dtype of the forward output.
    """
    return _conv2d_backward(dout, cache, input_grad=True)


def _conv2d_backward(
    dout: np.ndarray, cache: tuple[Any, ...], input_grad: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """:func:`conv2d_backward`, skipping dX (returned as None) when ``input_grad`` is false.

    The first layer of a network needs no dX; its col2im is the costliest step.
    """
    if not (isinstance(cache, tuple) and len(cache) == 8):
        raise ValueError("cache must be the tuple returned by conv2d_forward")
    x_shape, xp_shape, cols, W, stride, pad, Ho, Wo = cache
    N, C, H, Wd = x_shape
    F, _, HH, WW = W.shape
    dout = as_float_array(dout, "dout", ("N", "F", "Ho", "Wo"))
    check_same_shape(dout, "dout", (N, F, Ho, Wo))
    dout = dout.astype(W.dtype, copy=False)
    d = np.ascontiguousarray(dout.transpose(1, 2, 3, 0)).reshape(F, Ho * Wo * N)  # batch-last
    db = d.sum(axis=1)  # a contiguous reduction, faster than summing over three axes of dout
    dW = np.ascontiguousarray(_long_sum_product(cols, d).T).reshape(W.shape)
    if not input_grad:
        return None, dW, db
    with _scratch("dcols", cols.shape, W.dtype) as dcols, _scratch("dXp", xp_shape, W.dtype) as dXp:
        np.matmul(W.reshape(F, C * HH * WW).T, d, out=dcols)  # (K, F) @ (F, P)
        _col2im(dcols, HH, WW, stride, Ho, Wo, dXp)
        dX = dXp[:, pad : pad + H, pad : pad + Wd].copy()  # a fresh (C, H, W, N) array
    return dX.transpose(3, 0, 1, 2), dW, db


# ------------------------------------------------------------------ max pooling

_PARALLEL_MIN_BYTES = 2**21  # inputs smaller than this (2 MiB) are pooled by the calling thread alone
_PART_BYTES = 2**20  # about this many bytes of X per part (1 MiB): fewer parts cost less Python time


def _pooling_parts(X: np.ndarray, Ho: int, stride: int) -> list[tuple[slice, slice, slice]]:
    """Split the pooling of X into independent parts: index tuples (n, c, y) of the output.

    A part takes a range of the memory-outermost of the axes N and C (C when X
    is batch-last, N when it is C-ordered) and a range of output rows, so that
    the part of X it reads is about _PART_BYTES long and mostly contiguous.
    """
    if X.nbytes <= _PART_BYTES:
        return [(slice(None), slice(None), slice(0, Ho))]  # all of X
    N, C, H, Wd = X.shape
    outer = 1 if abs(X.strides[1]) >= abs(X.strides[0]) else 0
    n_outer = X.shape[outer]
    row_bytes = X.itemsize * X.shape[1 - outer] * stride * Wd  # X bytes per (outer index, output row)
    if row_bytes * Ho >= _PART_BYTES:
        step_outer, step_rows = 1, max(1, _PART_BYTES // row_bytes)
    else:
        step_outer, step_rows = max(1, _PART_BYTES // (row_bytes * Ho)), Ho
    chunks = []
    for a in range(0, n_outer, step_outer):
        for y in range(0, Ho, step_rows):
            sa, sy = slice(a, min(a + step_outer, n_outer)), slice(y, min(y + step_rows, Ho))
            chunks.append((slice(None), sa, sy) if outer == 1 else (sa, slice(None), sy))
    return chunks


def _max_into(arrays: list[np.ndarray], out: np.ndarray) -> np.ndarray:
    """Element-wise maximum of arrays of one shape, written into ``out`` (no temporaries)."""
    if len(arrays) == 1:
        np.copyto(out, arrays[0])
        return out
    np.maximum(arrays[0], arrays[1], out=out)
    for a in arrays[2:]:
        np.maximum(out, a, out=out)
    return out


def maxpool_forward(X: np.ndarray, size: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Forward pass of max pooling over size x size windows of each channel.

    out[n, c, y, x] = max_{0 <= i, j < size} X[n, c, y * stride + i, x * stride + j]

    with Ho = (H - size) // stride + 1 (and Wo likewise); the division must be
    exact. Computed as the element-wise maximum of the size strided row
    sub-grids X[:, :, i::stride, :], then of the size column sub-grids of that,
    part by part (a range of channels or images and of output rows at a time,
    so that the temporaries stay in the CPU cache); a large X is shared out
    among the cores (:mod:`dlcore._parallel`).

    Args:
        X: input of shape (N, C, H, W).
        size: window height and width, an integer >= 1.
        stride: step between two windows, an integer >= 1.

    Returns:
        ``(out, cache)``: ``out`` of shape (N, C, Ho, Wo) and dtype of X, laid out
        in memory like X (batch-last after a convolution); ``cache`` for
        :func:`maxpool_backward`.

    Raises:
        ValueError: on a wrong shape, NaN, a bad size or stride, or windows
            that do not tile the input exactly.
    """
    # NaN and infinities are looked for part by part below, while each part of X
    # is in the CPU cache, instead of in a separate pass over the whole of X.
    X = as_float_array(X, "X", ("N", "C", "H", "W"), allow_nan=True)
    try:
        size = _check_int(size, "size", 1)
        stride = _check_int(stride, "stride", 1)
        Ho = conv_output_size(X.shape[2], size, stride, 0, "H")
        Wo = conv_output_size(X.shape[3], size, stride, 0, "W")
    except ValueError:
        if not np.all(np.isfinite(X)):  # a NaN is reported first, as by as_float_array
            raise ValueError("X contains NaN or infinite values") from None
        raise
    H = X.shape[2]
    out = np.empty_like(X[:, :, :Ho, :Wo])  # (N, C, Ho, Wo), laid out in memory like X
    not_finite = []  # the parts of X that hold a NaN or an infinity

    def pool(part: tuple[slice, slice, slice]) -> None:
        n, c, y = part
        rows_of_x = slice(y.start * stride, (y.stop - 1) * stride + size)
        Xc, h = X[n, c, rows_of_x], y.stop - y.start
        # The maximum over a window is the maximum over its rows of the maximum over
        # its columns: 2 * size passes over strided views instead of size * size.
        row_grids = [Xc[:, :, i : i + stride * h : stride, :] for i in range(size)]
        rows = row_grids[0] if size == 1 else _max_into(row_grids, np.empty_like(row_grids[0]))  # (n, c, h, W)
        _max_into([rows[:, :, :, j : j + stride * Wo : stride] for j in range(size)], out[n, c, y])
        # The parts' rows y.start * stride ... (y.stop * stride, or H for the last
        # rows) cover X exactly, also the rows between windows when stride > size.
        if not np.isfinite(X[n, c, y.start * stride : (y.stop * stride if y.stop < Ho else H)]).all():
            not_finite.append(part)  # list.append is atomic: safe from several threads

    run_parts(pool, _pooling_parts(X, Ho, stride), X.nbytes >= _PARALLEL_MIN_BYTES)
    if not_finite:
        raise ValueError("X contains NaN or infinite values")  # as as_float_array words it
    return out, (X, out, size, stride)


def _same_layout(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A copy of ``a`` laid out in memory like ``like`` (same shape; np.empty_like keeps the layout)."""
    return _copy_in_steps(np.empty_like(like), a)


def maxpool_backward(dout: np.ndarray, cache: tuple[Any, ...]) -> np.ndarray:
    """Backward pass of :func:`maxpool_forward`: route each gradient to its window's maximum.

    dX[n, c, y * stride + i*, x * stride + j*] += dout[n, c, y, x]

    where (i*, j*) is the argmax of the window; on a tie, exactly one cell gets
    the gradient: the first maximum in row-major order (smallest i, then j).

    When the windows tile X (stride == size, the usual 2x2 pooling), the work
    is split into parts as in :func:`maxpool_forward` (and shared among threads
    for a large X); the result does not depend on the split.

    Args:
        dout: upstream gradient of shape (N, C, Ho, Wo).
        cache: the cache returned by :func:`maxpool_forward`.

    Returns:
        dX of the shape and dtype of the forward input, (N, C, H, W), laid out
        in memory like it.
    """
    X, out, size, stride = cache
    Ho, Wo = out.shape[2:]
    dout = as_float_array(dout, "dout", ("N", "C", "Ho", "Wo"))
    check_same_shape(dout, "dout", out.shape)
    dout = dout.astype(X.dtype, copy=False)
    if stride == size:
        return _maxpool_backward_tiled(X, out, dout, size)
    if dout.strides != out.strides:
        # Give dout the memory layout of out (and of X, e.g. batch-last after a
        # convolution): element-wise operations between arrays of different
        # layouts walk memory with large strides and run several times slower.
        dout = _same_layout(dout, out)
    dX = np.zeros_like(X)  # windows overlap (stride < size) or leave gaps (stride > size)
    free = np.ones_like(out, dtype=bool)  # windows whose maximum has not been routed yet
    hit = np.empty_like(out, dtype=bool)
    last = size * size - 1
    for k in range(size * size):
        i, j = divmod(k, size)
        rows = slice(i, i + stride * Ho, stride)
        cols = slice(j, j + stride * Wo, stride)
        if k < last:
            np.equal(X[:, :, rows, cols], out, out=hit)
            hit &= free  # only windows without a maximum yet: the first one wins ties
            free ^= hit
        else:
            hit = free  # every window left has its maximum in its last cell
        dX[:, :, rows, cols] += dout * hit  # += : a cell of X may belong to several windows
    return dX


def _maxpool_backward_tiled(X: np.ndarray, out: np.ndarray, dout: np.ndarray, size: int) -> np.ndarray:
    """:func:`maxpool_backward` when the windows tile X exactly (stride == size, the usual 2x2 pooling).

    X of shape (N, C, H, W) is viewed as (N, C, Ho, size, Wo, size): window
    (y, x) of image n, channel c is X6[n, c, y, :, x, :], and the sub-grid of
    the cells (i, j) of all windows is X6[:, :, :, i, :, j]. Every cell of dX
    belongs to exactly one window, so dX is written once, straight into it:

        dX6 = dout[:, :, :, None, :, None] * is_max,   is_max = (X6 == out[:, :, :, None, :, None])

    where, in a window with a tie, is_max keeps only the first maximum in
    row-major (i, j) order. This runs part by part (see :func:`_pooling_parts`),
    so that the mask and the copy of dout in the layout of X stay in the CPU
    cache; the parts of a large X are shared among threads, each writing (and
    first touching) its own part of the fresh dX.
    """
    N, C, Ho, Wo = out.shape
    window_shape = (N, C, Ho, size, Wo, size)
    X6 = np.reshape(X, window_shape, copy=False)  # a view: splitting an axis never copies
    dX = np.empty_like(X)  # laid out like X; every cell is written below
    dX6 = np.reshape(dX, window_shape, copy=False)
    # Element-wise operations between arrays of different layouts walk memory with
    # large strides: a part of dout laid out otherwise than X (e.g. C-ordered dout,
    # batch-last X after a convolution) is first copied into X's layout.
    relayout = dout.strides != out.strides

    def route(part: tuple[slice, slice, slice]) -> None:
        oc = out[part]
        d = _same_layout(dout[part], oc) if relayout else dout[part]
        Xc = X6[part]
        is_max = np.empty_like(Xc, dtype=bool)  # (n, c, h, size, Wo, size), in the layout of X
        np.equal(Xc, oc[:, :, :, None, :, None], out=is_max)  # True at every maximum
        # Every window holds at least one maximum, so more True cells than windows
        # means a tie somewhere (common after a ReLU: windows of zeros). Then keep
        # only the first maximum of each window, in row-major (i, j) order.
        if np.count_nonzero(is_max) > oc.size:
            free = np.ones_like(oc, dtype=bool)  # windows whose first maximum is not found yet
            for i in range(size):
                for j in range(size):
                    first = is_max[:, :, :, i, :, j]  # a view: the edits below change is_max
                    first &= free
                    free ^= first
        np.multiply(is_max, d[:, :, :, None, :, None], out=dX6[part])

    run_parts(route, _pooling_parts(X, Ho, size), X.nbytes >= _PARALLEL_MIN_BYTES)
    return dX
