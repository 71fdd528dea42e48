"""Convolution and max pooling, forward and backward (chapter 08).

Images are batches of shape (N, C, H, W): N samples, C channels, H rows and
W columns. Filters have shape (F, C, HH, WW): F filters of C channels and
HH x WW pixels.

The convolution is vectorised with the *im2col* trick: every receptive field
is copied into a column of a matrix, so that the whole convolution becomes ONE
matrix product, out = W_r @ cols with W_r of shape (F, C HH WW). The only
Python loops run over the HH * WW kernel offsets (or the size * size window
offsets of pooling), never over samples or output pixels.

Memory layout: internally the batch axis is the *last* one (C, H, W, N), so
that the copies of im2col and col2im move runs of Wo * N contiguous numbers
instead of rows of Wo, and the matrix product is one large BLAS call. The
arrays returned still have the shape (N, C, H, W), but may be transposed
views of a (C, H, W, N) buffer (like PyTorch's "channels last"); every numpy
operation handles them, and ``np.ascontiguousarray`` gives a C-ordered copy.
Passing such an array on to the next layer saves a transposing copy.

Outputs and gradients keep the dtype of the input (float32 stays float32).
Nothing is modified in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


def _batch_last(X: np.ndarray, pad: int) -> np.ndarray:
    """(N, C, H, W) -> C-contiguous (C, H + 2 pad, W + 2 pad, N), zero-padded."""
    N, C, H, W = X.shape
    Xt = X.transpose(1, 2, 3, 0)
    if not pad:
        return np.ascontiguousarray(Xt)  # no copy when X is already batch-last in memory
    Xp = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=X.dtype)
    Xp[:, pad : pad + H, pad : pad + W] = Xt
    return Xp


def _im2col(Xp: np.ndarray, HH: int, WW: int, stride: int, Ho: int, Wo: int) -> np.ndarray:
    """Copy every receptive field of a padded, batch-last batch into a column.

    cols[(c, i, j), (y, x, n)] = Xp[c, y * stride + i, x * stride + j, n]

    Args:
        Xp: padded images of shape (C, H, W, N).
        HH, WW: kernel height and width.
        stride: step between two receptive fields.
        Ho, Wo: output height and width.

    Returns:
        Column matrix of shape (C * HH * WW, Ho * Wo * N).
    """
    C, N = Xp.shape[0], Xp.shape[3]
    cols = np.empty((C, HH, WW, Ho, Wo, N), dtype=Xp.dtype)
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = Xp[:, i : i + stride * Ho : stride, j : j + stride * Wo : stride]
    return cols.reshape(C * HH * WW, Ho * Wo * N)


def _col2im(dcols: np.ndarray, shape: tuple[int, ...], HH: int, WW: int, stride: int, Ho: int, Wo: int) -> np.ndarray:
    """Add the columns back onto the image they came from (the adjoint of :func:`_im2col`).

    dXp[c, y * stride + i, x * stride + j, n] += dcols[(c, i, j), (y, x, n)]

    Args:
        dcols: gradient of the columns, shape (C * HH * WW, Ho * Wo * N).
        shape: shape (C, H, W, N) of the padded images.
        HH, WW, stride, Ho, Wo: as for :func:`_im2col`.

    Returns:
        Gradient of the padded images, shape (C, H, W, N).
    """
    C, N = shape[0], shape[3]
    d6 = dcols.reshape(C, HH, WW, Ho, Wo, N)
    dXp = np.zeros(shape, dtype=dcols.dtype)
    for i in range(HH):
        for j in range(WW):
            dXp[:, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += d6[:, i, j]
    return dXp


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

    Xp = _batch_last(X, pad)  # (C, Hp, Wp, N)
    cols = _im2col(Xp, HH, WW, stride, Ho, Wo)  # (K, P) with K = C HH WW, P = Ho Wo N
    out = W.reshape(F, C * HH * WW) @ cols  # (F, K) @ (K, P): one BLAS call for the batch
    out += b[:, None]
    cache = (X.shape, Xp.shape, cols, W, stride, pad, Ho, Wo)
    return out.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2), cache


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
    # dW^T = cols @ d^T, (K, P) @ (P, F): with two BLAS threads this orientation of
    # the long P-sum runs 10-25% faster than d @ cols.T in float64 (the same on one).
    dW = np.ascontiguousarray((cols @ d.T).T).reshape(W.shape)
    if not input_grad:
        return None, dW, db
    dcols = W.reshape(F, C * HH * WW).T @ d  # (K, F) @ (F, P)
    dXp = _col2im(dcols, xp_shape, HH, WW, stride, Ho, Wo)
    return dXp[:, pad : pad + H, pad : pad + Wd].transpose(3, 0, 1, 2), dW, db


def maxpool_forward(X: np.ndarray, size: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Forward pass of max pooling over size x size windows of each channel.

    out[n, c, y, x] = max_{0 <= i, j < size} X[n, c, y * stride + i, x * stride + j]

    with Ho = (H - size) // stride + 1 (and Wo likewise); the division must be
    exact. Computed as the element-wise maximum of the size * size strided
    sub-grids X[:, :, i::stride, j::stride].

    Args:
        X: input of shape (N, C, H, W).
        size: window height and width, an integer >= 1.
        stride: step between two windows, an integer >= 1.

    Returns:
        ``(out, cache)``: ``out`` of shape (N, C, Ho, Wo) and dtype of X; ``cache``
        for :func:`maxpool_backward`.

    Raises:
        ValueError: on a wrong shape, NaN, a bad size or stride, or windows
            that do not tile the input exactly.
    """
    X = as_float_array(X, "X", ("N", "C", "H", "W"))
    size = _check_int(size, "size", 1)
    stride = _check_int(stride, "stride", 1)
    Ho = conv_output_size(X.shape[2], size, stride, 0, "H")
    Wo = conv_output_size(X.shape[3], size, stride, 0, "W")
    out = None
    for i in range(size):
        for j in range(size):
            sub = X[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride]
            out = sub.copy(order="K") if out is None else np.maximum(out, sub, out=out)
    return out, (X, out, size, stride)


def _same_layout(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A copy of ``a`` laid out in memory like ``like`` (same shape; np.empty_like keeps the layout)."""
    out = np.empty_like(like)
    out[...] = a
    return out


def maxpool_backward(dout: np.ndarray, cache: tuple[Any, ...]) -> np.ndarray:
    """Backward pass of :func:`maxpool_forward`: route each gradient to its window's maximum.

    dX[n, c, y * stride + i*, x * stride + j*] += dout[n, c, y, x]

    where (i*, j*) is the argmax of the window; on a tie, exactly one cell gets
    the gradient: the first maximum in row-major order (smallest i, then j).

    Args:
        dout: upstream gradient of shape (N, C, Ho, Wo).
        cache: the cache returned by :func:`maxpool_forward`.

    Returns:
        dX of the shape and dtype of the forward input, (N, C, H, W).
    """
    X, out, size, stride = cache
    Ho, Wo = out.shape[2:]
    dout = as_float_array(dout, "dout", ("N", "C", "Ho", "Wo"))
    check_same_shape(dout, "dout", out.shape)
    dout = dout.astype(X.dtype, copy=False)
    if dout.strides != out.strides:
        # Give dout the memory layout of out (and of X, e.g. batch-last after a
        # convolution): element-wise operations between arrays of different
        # layouts walk memory with large strides and run several times slower.
        dout = _same_layout(dout, out)
    # When the windows tile X exactly (stride == size), every cell of dX is
    # written once below, so it needs no zero-filling first.
    dX = np.empty_like(X) if stride == size else np.zeros_like(X)
    free = np.ones_like(out, dtype=bool)  # windows whose maximum has not been routed yet
    hit = np.empty_like(out, dtype=bool)
    overlap = stride < size
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
        if overlap:  # a cell of X may belong to several windows
            dX[:, :, rows, cols] += dout * hit
        else:
            np.multiply(dout, hit, out=dX[:, :, rows, cols])
    return dX
