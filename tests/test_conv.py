"""Tests of dlcore.conv: direct-loop references, gradients, properties, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.conv import conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward
from dlcore.gradcheck import numerical_backward, relative_error

# ------------------------------------------------------------ direct loop references


def conv_loops(X, W, b, stride, pad):
    """out[n, f, y, x] = b[f] + sum W[f] * window, one output pixel at a time."""
    N, C, H, Wd = X.shape
    F, _, HH, WW = W.shape
    Xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    Xp[:, :, pad : pad + H, pad : pad + Wd] = X
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (Wd + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for y in range(Ho):
                for x in range(Wo):
                    window = Xp[n, :, y * stride : y * stride + HH, x * stride : x * stride + WW]
                    out[n, f, y, x] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_loops(dout, X, W, stride, pad):
    """Scatter every output pixel's gradient onto its window and filter."""
    N, C, H, Wd = X.shape
    F, _, HH, WW = W.shape
    Xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    Xp[:, :, pad : pad + H, pad : pad + Wd] = X
    dXp, dW = np.zeros_like(Xp), np.zeros(W.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x in range(dout.shape[3]):
                    g = dout[n, f, y, x]
                    rows, cols = slice(y * stride, y * stride + HH), slice(x * stride, x * stride + WW)
                    dXp[n, :, rows, cols] += g * W[f]
                    dW[f] += g * Xp[n, :, rows, cols]
                    db[f] += g
    return dXp[:, :, pad : pad + H, pad : pad + Wd], dW, db


def pool_loops(X, size, stride):
    """Max of each window and the gradient routing of a dout of ones, first maximum wins."""
    N, C, H, Wd = X.shape
    Ho, Wo = (H - size) // stride + 1, (Wd - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    best = None
                    for i in range(size):
                        for j in range(size):
                            v = X[n, c, y * stride + i, x * stride + j]
                            if best is None or v > best:
                                best, argmax[n, c, y, x] = v, (y * stride + i, x * stride + j)
                    out[n, c, y, x] = best
    return out, argmax


def pool_backward_loops(dout, X, size, stride):
    _, argmax = pool_loops(X, size, stride)
    dX = np.zeros(X.shape)
    for n, c, y, x in np.ndindex(dout.shape):
        r, s = argmax[n, c, y, x]
        dX[n, c, r, s] += dout[n, c, y, x]
    return dX


# (N, C, H, W, F, HH, WW, stride, pad)
CONV_CASES = [
    (2, 3, 5, 5, 4, 3, 3, 1, 0),
    (2, 3, 5, 5, 4, 3, 3, 1, 1),
    (1, 2, 7, 5, 3, 3, 3, 2, 1),
    (2, 1, 6, 8, 2, 2, 4, 2, 0),
    (3, 2, 4, 4, 3, 1, 1, 1, 0),
    (1, 2, 5, 7, 2, 5, 3, 1, 2),
    (2, 2, 9, 9, 2, 3, 3, 3, 0),
    (1, 1, 3, 3, 1, 3, 3, 1, 0),
]
# (N, C, H, W, size, stride)
POOL_CASES = [
    (2, 3, 4, 4, 2, 2),
    (1, 2, 6, 4, 2, 2),
    (2, 2, 5, 5, 3, 1),
    (1, 2, 7, 7, 3, 2),
    (2, 1, 6, 6, 3, 3),
    (1, 1, 4, 6, 1, 1),
]


def conv_inputs(case, seed=0, dtype=np.float64):
    N, C, H, Wd, F, HH, WW, stride, pad = case
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, Wd)).astype(dtype)
    W = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return X, W, b, stride, pad


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_matches_loops(case):
    X, W, b, stride, pad = conv_inputs(case)
    out, _ = conv2d_forward(X, W, b, stride, pad)
    np.testing.assert_allclose(out, conv_loops(X, W, b, stride, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_matches_loops(case):
    X, W, b, stride, pad = conv_inputs(case, seed=1)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    for got, want in zip(conv2d_backward(dout, cache), conv_backward_loops(dout, X, W, stride, pad)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_conv_is_cross_correlation_not_convolution():
    # A kernel with a single 1 in its top-left corner copies the top-left pixel of each window.
    X = np.arange(16.0).reshape(1, 1, 4, 4)
    W = np.zeros((1, 1, 2, 2))
    W[0, 0, 0, 0] = 1.0
    out, _ = conv2d_forward(X, W, np.zeros(1))
    np.testing.assert_array_equal(out[0, 0], X[0, 0, :3, :3])


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("wrt", [0, 1, 2], ids=["dX", "dW", "db"])
def test_conv_backward_gradcheck(case, wrt):
    X, W, b, stride, pad = conv_inputs(case, seed=3)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    analytic = conv2d_backward(dout, cache)[wrt]
    numeric = numerical_backward(lambda *a: conv2d_forward(*a, stride, pad)[0], [X, W, b], dout, wrt)
    assert relative_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_matches_loops(case):
    N, C, H, Wd, size, stride = case
    X = np.random.default_rng(5).standard_normal((N, C, H, Wd))
    out, cache = maxpool_forward(X, size, stride)
    want, _ = pool_loops(X, size, stride)
    np.testing.assert_array_equal(out, want)
    dout = np.random.default_rng(6).standard_normal(out.shape)
    np.testing.assert_allclose(maxpool_backward(dout, cache), pool_backward_loops(dout, X, size, stride), atol=1e-15)


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_ties_go_to_the_first_maximum(case):
    N, C, H, Wd, size, stride = case
    X = np.random.default_rng(7).integers(0, 2, size=(N, C, H, Wd)).astype(np.float64)  # many ties
    out, cache = maxpool_forward(X, size, stride)
    dout = np.random.default_rng(8).standard_normal(out.shape)
    dX = maxpool_backward(dout, cache)
    np.testing.assert_allclose(dX, pool_backward_loops(dout, X, size, stride), atol=1e-15)
    assert np.isclose(dX.sum(), dout.sum())  # no gradient duplicated or lost


def test_maxpool_constant_window_routes_to_top_left_only():
    X = np.full((1, 1, 2, 2), 3.0)
    out, cache = maxpool_forward(X)
    dX = maxpool_backward(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dX[0, 0], [[5.0, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_backward_gradcheck(case):
    N, C, H, Wd, size, stride = case
    X = np.random.default_rng(9).permutation(N * C * H * Wd).reshape(N, C, H, Wd) / 7.0  # distinct values
    out, cache = maxpool_forward(X, size, stride)
    dout = np.random.default_rng(10).standard_normal(out.shape)
    numeric = numerical_backward(lambda x: maxpool_forward(x, size, stride)[0], [X], dout, 0)
    assert relative_error(maxpool_backward(dout, cache), numeric) < 1e-7


# ------------------------------------------------------------------------ properties


@st.composite
def conv_problems(draw, dtype=np.float64):
    N, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    HH, WW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 2))
    Ho, Wo = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    H = (Ho - 1) * stride + HH - 2 * pad
    Wd = (Wo - 1) * stride + WW - 2 * pad
    if H < 1 or Wd < 1:
        H, Wd, pad = (Ho - 1) * stride + HH, (Wo - 1) * stride + WW, 0
    bound = 1.0 if dtype == np.float32 else 10.0
    elems = st.floats(-bound, bound, allow_nan=False, width=32 if dtype == np.float32 else 64)
    X = draw(hnp.arrays(dtype, (N, C, H, Wd), elements=elems))
    W = draw(hnp.arrays(dtype, (F, C, HH, WW), elements=elems))
    b = draw(hnp.arrays(dtype, (F,), elements=elems))
    return X, W, b, stride, pad


@settings(max_examples=60, deadline=None)
@given(conv_problems())
def test_conv_shapes_batches_and_inputs_unchanged(problem):
    X, W, b, stride, pad = problem
    copies = [a.copy() for a in (X, W, b)]
    out, cache = conv2d_forward(X, W, b, stride, pad)
    N, C, H, Wd = X.shape
    F, _, HH, WW = W.shape
    assert out.shape == (N, F, (H + 2 * pad - HH) // stride + 1, (Wd + 2 * pad - WW) // stride + 1)
    for i in range(N):
        np.testing.assert_allclose(conv2d_forward(X[i : i + 1], W, b, stride, pad)[0][0], out[i], rtol=1e-12, atol=1e-10)
    dout = np.ones_like(out)
    dout_copy = dout.copy()
    dX, dW, db = conv2d_backward(dout, cache)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    for a, c in zip((X, W, b, dout), copies + [dout_copy]):
        np.testing.assert_array_equal(a, c)


@settings(max_examples=30, deadline=None)
@given(conv_problems(dtype=np.float32))
def test_conv_keeps_float32(problem):
    X, W, b, stride, pad = problem
    out, cache = conv2d_forward(X, W, b, stride, pad)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv2d_backward(np.ones_like(out), cache))
    want = conv_loops(X.astype(np.float64), W.astype(np.float64), b.astype(np.float64), stride, pad)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-3)


@st.composite
def pool_problems(draw, dtype=np.float64):
    size, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    Ho, Wo = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), (Ho - 1) * stride + size, (Wo - 1) * stride + size)
    # few distinct values, so that ties are common
    elems = st.sampled_from([-1.0, 0.0, 0.5, 2.0])
    return draw(hnp.arrays(dtype, shape, elements=elems)), size, stride


@settings(max_examples=60, deadline=None)
@given(pool_problems(), st.sampled_from([np.float32, np.float64]))
def test_maxpool_properties(problem, dtype):
    X, size, stride = problem
    X = X.astype(dtype)
    X_copy = X.copy()
    out, cache = maxpool_forward(X, size, stride)
    assert out.dtype == dtype and out.shape[:2] == X.shape[:2]
    for i in range(X.shape[0]):
        np.testing.assert_array_equal(maxpool_forward(X[i : i + 1], size, stride)[0][0], out[i])
    dout = np.arange(1.0, out.size + 1).reshape(out.shape).astype(dtype)
    dX = maxpool_backward(dout, cache)
    assert dX.dtype == dtype and dX.shape == X.shape
    np.testing.assert_allclose(dX, pool_backward_loops(dout, X, size, stride), rtol=1e-6)
    np.testing.assert_array_equal(X, X_copy)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "X_shape, W_shape, b_shape, stride, pad, message",
    [
        ((2, 3, 5), (4, 3, 3, 3), (4,), 1, 0, r"X must have shape \(N, C, H, W\), got shape \(2, 3, 5\)"),
        ((2, 3, 5, 5), (4, 2, 3, 3), (4,), 1, 0, r"W must have shape \(F, 3, HH, WW\).*got shape \(4, 2, 3, 3\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), (3,), 1, 0, r"b must have shape \(4,\), got shape \(3,\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), (4,), 0, 0, r"stride must be an integer >= 1, got 0"),
        ((2, 3, 5, 5), (4, 3, 3, 3), (4,), 1.0, 0, r"stride must be an integer >= 1, got 1.0"),
        ((2, 3, 5, 5), (4, 3, 3, 3), (4,), 1, -1, r"pad must be an integer >= 0, got -1"),
        ((2, 3, 6, 6), (4, 3, 3, 3), (4,), 2, 0, r"\(H \+ 2 pad - kernel\) = 3 is not a multiple of stride = 2"),
        ((2, 3, 5, 6), (4, 3, 3, 3), (4,), 2, 0, r"\(W \+ 2 pad - kernel\) = 3 is not a multiple of stride = 2"),
        ((2, 3, 2, 2), (4, 3, 3, 3), (4,), 1, 0, r"window \(3\) is larger than the padded input"),
    ],
)
def test_conv_forward_errors(X_shape, W_shape, b_shape, stride, pad, message):
    with pytest.raises(ValueError, match=message):
        conv2d_forward(np.zeros(X_shape), np.zeros(W_shape), np.zeros(b_shape), stride, pad)


def test_conv_rejects_nan_and_bad_dout():
    X, W, b = np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), np.zeros(1)
    X[0, 0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        conv2d_forward(X, W, b)
    out, cache = conv2d_forward(np.zeros((1, 1, 3, 3)), W, b)
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 1, 2, 2\), got shape \(1, 1, 3, 3\)"):
        conv2d_backward(np.zeros((1, 1, 3, 3)), cache)
    with pytest.raises(ValueError, match="cache must be the tuple returned by conv2d_forward"):
        conv2d_backward(out, (1, 2))


@pytest.mark.parametrize(
    "shape, size, stride, message",
    [
        ((2, 4, 4), 2, 2, r"X must have shape \(N, C, H, W\), got shape \(2, 4, 4\)"),
        ((1, 1, 4, 4), 0, 2, "size must be an integer >= 1, got 0"),
        ((1, 1, 4, 4), 2, 0, "stride must be an integer >= 1, got 0"),
        ((1, 1, 5, 4), 2, 2, r"\(H \+ 2 pad - kernel\) = 3 is not a multiple of stride = 2"),
        ((1, 1, 4, 4), 5, 1, r"window \(5\) is larger than the padded input"),
    ],
)
def test_maxpool_errors(shape, size, stride, message):
    with pytest.raises(ValueError, match=message):
        maxpool_forward(np.zeros(shape), size, stride)


def test_maxpool_backward_rejects_wrong_dout():
    _, cache = maxpool_forward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 2, 2\), got shape \(1, 2, 2, 3\)"):
        maxpool_backward(np.zeros((1, 2, 2, 3)), cache)


# ------------------------------------------------------------------ memory layouts


# stride > size leaves cells of X outside every window: their gradient must be 0
@pytest.mark.parametrize("case", POOL_CASES + [(1, 2, 5, 5, 1, 2), (2, 1, 8, 8, 2, 3)])
@pytest.mark.parametrize("layout", ["C order", "batch last", "Fortran order"])
def test_maxpool_backward_any_layout_of_x_and_dout(case, layout):
    """maxpool_backward copies dout into the layout of X; the result must not depend on either layout."""
    N, C, H, Wd, size, stride = case
    X = np.random.default_rng(11).integers(0, 3, size=(N, C, H, Wd)).astype(np.float64)  # ties too
    if layout == "batch last":  # as conv2d_forward returns it: a view of a (C, H, W, N) buffer
        X = np.ascontiguousarray(X.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    elif layout == "Fortran order":
        X = np.asfortranarray(X)
    X_before = X.copy()
    out, cache = maxpool_forward(X, size, stride)
    dout = np.random.default_rng(12).standard_normal(out.shape)  # C order, unlike X in two of the layouts
    dout_before = dout.copy()
    dX = maxpool_backward(dout, cache)
    np.testing.assert_allclose(dX, pool_backward_loops(dout, np.ascontiguousarray(X), size, stride), atol=1e-15)
    np.testing.assert_array_equal(X, X_before)  # inputs unchanged
    np.testing.assert_array_equal(dout, dout_before)


def test_conv_then_pool_backward_matches_loops():
    """The chain of the benchmark: conv output (batch-last in memory) -> pool -> C-ordered dout -> back."""
    rng = np.random.default_rng(13)
    X, W, b = rng.standard_normal((3, 2, 8, 8)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    out, conv_cache = conv2d_forward(X, W, b, 1, 1)
    pooled, pool_cache = maxpool_forward(out, 2, 2)
    dpooled = rng.standard_normal(pooled.shape)
    dout = maxpool_backward(dpooled, pool_cache)
    np.testing.assert_allclose(dout, pool_backward_loops(dpooled, np.ascontiguousarray(out), 2, 2), atol=1e-15)
    dX, dW, db = conv2d_backward(dout, conv_cache)
    for got, want in zip((dX, dW, db), conv_backward_loops(dout, X, W, 1, 1)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ scratch buffers


def test_returned_arrays_are_fresh_not_scratch_buffers():
    """Calling again with other inputs of the same shapes must leave earlier results and caches intact."""
    import dlcore.conv as conv

    rng = np.random.default_rng(14)
    X1, X2 = rng.standard_normal((2, 3, 2, 6, 6))
    W, b = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    out1, cache1 = conv2d_forward(X1, W, b, 1, 1)
    out1_copy = out1.copy()
    dout1 = rng.standard_normal(out1.shape)
    grads1 = conv2d_backward(dout1, cache1)
    grads1_copy = [g.copy() for g in grads1]
    pooled1, pool_cache1 = maxpool_forward(out1)
    pooled1_copy = pooled1.copy()
    dpool1 = maxpool_backward(np.ones_like(pooled1), pool_cache1)
    dpool1_copy = dpool1.copy()

    out2, cache2 = conv2d_forward(X2, W, b, 1, 1)  # same shapes: the same scratch buffers
    conv2d_backward(rng.standard_normal(out2.shape), cache2)
    maxpool_backward(rng.standard_normal(pooled1.shape), maxpool_forward(out2)[1])

    np.testing.assert_array_equal(out1, out1_copy)
    for g, c in zip(grads1, grads1_copy):
        np.testing.assert_array_equal(g, c)
    np.testing.assert_array_equal(pooled1, pooled1_copy)
    np.testing.assert_array_equal(dpool1, dpool1_copy)
    # the first cache still gives the first gradients
    for g, c in zip(conv2d_backward(dout1, cache1), grads1_copy):
        np.testing.assert_array_equal(g, c)
    # and nothing returned shares memory with a pooled scratch array
    for a in [out1, pooled1, dpool1, *grads1, out2]:
        assert not any(np.shares_memory(a, buf) for buf in conv._POOL.values())


def test_scratch_border_stays_zero_across_pads():
    """A 6x6 image with pad 1 and an 8x8 one with pad 0 both pad to 8x8: their scratch arrays must differ."""
    rng = np.random.default_rng(15)
    W, b = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)
    for shape, pad in [((2, 1, 6, 6), 1), ((2, 1, 8, 8), 0), ((2, 1, 6, 6), 1)]:
        X = rng.standard_normal(shape)
        out, _ = conv2d_forward(X, W, b, 1, pad)
        np.testing.assert_allclose(out, conv_loops(X, W, b, 1, pad), rtol=1e-12, atol=1e-12)


def test_scratch_pool_is_bounded(monkeypatch):
    import dlcore.conv as conv

    monkeypatch.setattr(conv, "_POOL_MAX_BYTES", 200_000)
    rng = np.random.default_rng(16)
    for n in range(1, 12):  # eleven batch sizes: eleven sets of scratch shapes
        X = rng.standard_normal((n, 2, 10, 10))
        out, cache = conv2d_forward(X, np.ones((3, 2, 3, 3)), np.zeros(3), 1, 1)
        conv2d_backward(np.ones_like(out), cache)
        assert sum(a.nbytes for a in conv._POOL.values()) <= 200_000
    out, cache = conv2d_forward(rng.standard_normal((64, 2, 10, 10)), np.ones((3, 2, 3, 3)), np.zeros(3), 1, 1)
    conv2d_backward(np.ones_like(out), cache)  # its column gradient (18 x 6400 numbers) is larger than the bound
    assert all(a.nbytes <= 200_000 for a in conv._POOL.values())  # not kept...
    assert any(key[0] == "dXp" and key[1][3] == 64 for key in conv._POOL)  # ...and it did not flush the pool


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_concurrent_calls_match_sequential_ones(dtype):
    """Threads running convolutions of the same shapes at once never share a scratch array."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(17)
    W, b = rng.standard_normal((4, 3, 3, 3)).astype(dtype), rng.standard_normal(4).astype(dtype)
    inputs = [rng.standard_normal((8, 3, 12, 12)).astype(dtype) for _ in range(8)]

    def run(X):
        out, cache = conv2d_forward(X, W, b, 1, 1)
        pooled, pool_cache = maxpool_forward(out)
        dX, dW, db = conv2d_backward(maxpool_backward(np.ones_like(pooled), pool_cache), cache)
        return out, pooled, dX, dW, db

    sequential = [run(X) for X in inputs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            concurrent = list(pool.map(run, inputs))
            for got, want in zip(concurrent, sequential):
                for g, w in zip(got, want):
                    np.testing.assert_array_equal(g, w)


def test_maxpool_keeps_the_layout_of_its_input():
    """out is laid out like X (batch-last after a convolution), so that the next layer needs no transposing copy."""
    X = np.random.default_rng(18).standard_normal((3, 2, 8, 8))
    batch_last = np.ascontiguousarray(X.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    for x in (X, batch_last):
        out, cache = maxpool_forward(x)
        assert out.strides == np.empty_like(x[:, :, ::2, ::2]).strides
        assert maxpool_backward(np.ones_like(out), cache).strides == x.strides


# ------------------------------------------------------------------ parts and threads


def _layouts(X):
    """X in the three memory layouts: C order, batch-last (as conv2d_forward returns it), Fortran order."""
    return {
        "C order": np.ascontiguousarray(X),
        "batch last": np.ascontiguousarray(X.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
        "Fortran order": np.asfortranarray(X),
    }


def _split(monkeypatch, chunk_bytes, threaded):
    """Make maxpool split X into parts of about ``chunk_bytes`` bytes, shared among threads or not."""
    import dlcore._parallel as _parallel
    import dlcore.conv as conv

    monkeypatch.setattr(conv, "_PART_BYTES", chunk_bytes)
    monkeypatch.setattr(conv, "_PARALLEL_MIN_BYTES", 0 if threaded else 2**62)
    monkeypatch.setattr(_parallel, "THREADS", max(_parallel.THREADS, 3))  # threads even on a 1-core machine


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C order", "batch last", "Fortran order"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 3), (3, 1), (2, 3)])
def test_maxpool_parts_and_threads_give_the_serial_result(monkeypatch, dtype, layout, size, stride):
    """Many small parts on several threads: exactly the numbers of one part on one thread, ties included."""
    rng = np.random.default_rng(19)
    Ho, Wo = 5, 4
    shape = (6, 5, (Ho - 1) * stride + size, (Wo - 1) * stride + size)
    X = _layouts(rng.integers(0, 3, size=shape).astype(dtype))[layout]  # few values: many ties
    X_before = X.copy()
    dout = rng.standard_normal((6, 5, Ho, Wo)).astype(dtype)  # C order, unlike X in two of the layouts

    _split(monkeypatch, 2**40, threaded=False)  # one part, the calling thread
    out_serial, cache = maxpool_forward(X, size, stride)
    dX_serial = maxpool_backward(dout, cache)
    np.testing.assert_array_equal(out_serial, pool_loops(X.astype(np.float64), size, stride)[0])
    np.testing.assert_allclose(dX_serial, pool_backward_loops(dout, X, size, stride), rtol=1e-6)

    for chunk_bytes in (1, 200, 3000):  # one row of one image or channel per part, and more
        _split(monkeypatch, chunk_bytes, threaded=True)
        out, cache = maxpool_forward(X, size, stride)
        dX = maxpool_backward(dout, cache)
        np.testing.assert_array_equal(out, out_serial)
        np.testing.assert_array_equal(dX, dX_serial)
        assert out.dtype == dX.dtype == dtype
        assert out.strides == out_serial.strides and dX.strides == X.strides
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("part", [1, 3, 7])
def test_conv_dW_summed_in_parts_matches_loops(monkeypatch, case, part):
    """dW of a small filter bank is summed over the batch in parts of columns: the parts must add up to the loops' sum."""
    import dlcore.conv as conv

    monkeypatch.setattr(conv, "_SUM_PART", part)  # parts of 1, 3 or 7 columns (4096 by default)
    X, W, b, stride, pad = conv_inputs(case, seed=31)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(37).standard_normal(out.shape)
    _, dW, _ = conv2d_backward(dout, cache)
    np.testing.assert_allclose(dW, conv_backward_loops(dout, X, W, stride, pad)[1], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_copies_on_threads_give_the_serial_result(monkeypatch, case):
    """im2col per kernel offset and col2im per block of rows, on several threads: exactly the serial numbers."""
    import dlcore._parallel as _parallel
    import dlcore.conv as conv

    X, W, b, stride, pad = conv_inputs(case, seed=23)
    dout = np.random.default_rng(29).standard_normal(conv2d_forward(X, W, b, stride, pad)[0].shape)
    monkeypatch.setattr(conv, "_PARALLEL_COLS_BYTES", 2**62)
    out_serial, cache = conv2d_forward(X, W, b, stride, pad)
    grads_serial = conv2d_backward(dout, cache)

    monkeypatch.setattr(conv, "_PARALLEL_COLS_BYTES", 0)
    for threads in (2, 3, 64):  # 64: more blocks than rows of dX
        monkeypatch.setattr(_parallel, "THREADS", threads)
        out, cache = conv2d_forward(X, W, b, stride, pad)
        np.testing.assert_array_equal(out, out_serial)
        for got, want in zip(conv2d_backward(dout, cache), grads_serial):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(out_serial, conv_loops(X, W, b, stride, pad), rtol=1e-10, atol=1e-10)
    for got, want in zip(grads_serial, conv_backward_loops(dout, X, W, stride, pad)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_maxpool_parts_cover_a_large_batch_last_input():
    """The default split and threads, on an input large enough to use them (a conv output, batch-last)."""
    import dlcore.conv as conv

    rng = np.random.default_rng(20)
    X = _layouts(rng.integers(-2, 3, size=(16, 16, 32, 32)).astype(np.float64))["batch last"]
    assert X.nbytes >= conv._PARALLEL_MIN_BYTES and len(conv._pooling_parts(X, 16, 2)) > 1
    out, cache = maxpool_forward(X)
    np.testing.assert_array_equal(out, X.reshape(16, 16, 16, 2, 16, 2).max(axis=(3, 5)))
    dout = rng.standard_normal(out.shape)
    dX = maxpool_backward(dout, cache)
    np.testing.assert_array_equal(dX, pool_backward_loops(dout, X, 2, 2))


@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("size, stride", [(2, 2), (2, 3), (3, 1)])
def test_maxpool_rejects_nan_and_infinity_anywhere(monkeypatch, threaded, bad, size, stride):
    """Every cell is checked, also the rows and columns between windows when stride > size."""
    Ho, Wo = 3, 3
    shape = (2, 3, (Ho - 1) * stride + size, (Wo - 1) * stride + size)
    _split(monkeypatch, 100, threaded)
    for index in np.ndindex(shape):
        X = np.zeros(shape)
        X[index] = bad
        with pytest.raises(ValueError, match="X contains NaN or infinite values"):
            maxpool_forward(X, size, stride)


def test_maxpool_reports_nan_before_a_bad_window():
    """As before the check moved into the parts: NaN in X is reported before windows that do not tile X."""
    X = np.zeros((1, 1, 5, 4))
    X[0, 0, 4, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        maxpool_forward(X, 2, 2)
    with pytest.raises(ValueError, match="size must be an integer >= 1, got 0"):
        maxpool_forward(np.zeros((1, 1, 4, 4)), 0, 2)


def test_maxpool_accepts_the_largest_finite_values():
    big = np.finfo(np.float32).max
    X = np.full((1, 2, 4, 4), big, dtype=np.float32)
    out, cache = maxpool_forward(X)
    np.testing.assert_array_equal(out, np.full((1, 2, 2, 2), big, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transposing_copy_in_steps_matches_a_plain_copy(dtype):
    """_same_layout copies 8 images at a time when rows of dout lie a multiple of 4 KiB apart."""
    from dlcore.conv import _same_layout

    rng = np.random.default_rng(21)
    for shape in [(64, 64, 4, 4), (20, 8, 8, 8), (9, 3, 5, 5), (8, 128, 2, 2)]:
        dout = rng.standard_normal(shape).astype(dtype)  # C order
        like = np.empty(shape[1:] + shape[:1], dtype).transpose(3, 0, 1, 2)  # batch-last
        copy = _same_layout(dout, like)
        np.testing.assert_array_equal(copy, dout)
        assert copy.strides == like.strides
        back = _same_layout(copy, dout)  # batch-last into C order
        np.testing.assert_array_equal(back, dout)
        assert back.strides == dout.strides


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pad", [0, 2])
def test_padded_batch_last_copy_in_steps_matches_the_images(dtype, pad):
    """conv2d_forward's batch-last copy of X goes 8 images at a time when images lie a multiple of 4 KiB apart."""
    from dlcore.conv import _batch_last

    rng = np.random.default_rng(22)
    for shape in [(20, 1, 32, 32), (64, 1, 32, 32), (9, 2, 32, 16), (3, 1, 5, 7)]:  # 4 KiB apart but the last
        X = rng.standard_normal(shape).astype(dtype)
        want = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).transpose(1, 2, 3, 0)
        with _batch_last(X, pad) as Xp:
            np.testing.assert_array_equal(Xp, want)
            assert Xp.flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_pooling_from_many_threads_at_once(monkeypatch, dtype):
    """Calls from several threads share the helper threads without waiting for each other forever."""
    from concurrent.futures import ThreadPoolExecutor

    _split(monkeypatch, 500, threaded=True)
    rng = np.random.default_rng(22)
    inputs = [_layouts(rng.integers(0, 4, size=(4, 3, 8, 8)).astype(dtype))["batch last"] for _ in range(12)]
    dout = rng.standard_normal((4, 3, 4, 4)).astype(dtype)

    def run(X):
        out, cache = maxpool_forward(X)
        return out, maxpool_backward(dout, cache)

    want = [(X.reshape(4, 3, 4, 2, 4, 2).max(axis=(3, 5)), pool_backward_loops(dout, X, 2, 2)) for X in inputs]
    with ThreadPoolExecutor(6) as pool:
        for got, (out, dX) in zip(pool.map(run, inputs), want):
            np.testing.assert_array_equal(got[0], out)
            np.testing.assert_allclose(got[1], dX, rtol=1e-6)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threaded_pooling_in_a_forked_child(monkeypatch):
    """A child forked after the helper threads started (as multiprocessing does) pools correctly."""
    import multiprocessing

    _split(monkeypatch, 500, threaded=True)
    X = _layouts(np.random.default_rng(23).integers(0, 4, size=(4, 3, 8, 8)).astype(np.float64))["batch last"]
    out, cache = maxpool_forward(X)  # starts the helper threads in this process
    dX = maxpool_backward(np.ones_like(out), cache)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child_out, child_dX = pool.apply(_pool_in_child, (X,), {})
    np.testing.assert_array_equal(child_out, out)
    np.testing.assert_array_equal(child_dX, dX)


def _pool_in_child(X):
    import dlcore.conv as conv

    conv._PARALLEL_MIN_BYTES, conv._PART_BYTES = 0, 500  # the monkeypatched values reach the child by fork anyway
    out, cache = maxpool_forward(X)
    return out, maxpool_backward(np.ones_like(out), cache)
