"""Tests of dlcore.layers: dense and activation layers, initialisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.gradcheck import numerical_backward, relative_error
from dlcore.layers import (
    count_parameters,
    dense,
    dense_backward,
    dense_forward,
    init_layer,
    init_network,
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)

ACTIVATION_PAIRS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
}
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def floats(width: int = 64, bound: float = 10.0) -> st.SearchStrategy:
    return st.floats(-bound, bound, allow_nan=False, width=width)


@st.composite
def dense_inputs(draw, dtype=np.float64):
    n, d, m = (draw(st.integers(1, 6)) for _ in range(3))
    width = 32 if dtype == np.float32 else 64
    X = draw(hnp.arrays(dtype, (n, d), elements=floats(width)))
    W = draw(hnp.arrays(dtype, (d, m), elements=floats(width)))
    b = draw(hnp.arrays(dtype, (m,), elements=floats(width)))
    dout = draw(hnp.arrays(dtype, (n, m), elements=floats(width)))
    return X, W, b, dout


# ------------------------------------------------------------------ known values


def test_dense_known_values():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 2.0]])
    b = np.array([0.5, 0.0, 0.0])
    expected = [[1.5, 2.0, 3.0], [0.5, -1.0, -2.0]]
    np.testing.assert_array_equal(dense(X, W, b), expected)
    out, cache = dense_forward(X, W, b)
    np.testing.assert_array_equal(out, expected)
    assert cache[0] is X and cache[1] is W and cache[2] is b  # references, not copies


def test_dense_backward_known_values():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 2.0]])
    b = np.zeros(3)
    dout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    dX, dW, db = dense_backward(dout, dense_forward(X, W, b)[1])
    np.testing.assert_array_equal(dX, [[1.0, 0.0], [-1.0, 3.0]])  # dout W^T
    np.testing.assert_array_equal(dW, [[1.0, 0.0, 0.0], [2.0, -1.0, -1.0]])  # X^T dout
    np.testing.assert_array_equal(db, [1.0, 1.0, 1.0])


def test_activation_layers_known_values():
    x = np.array([[-2.0, 0.0, 3.0]])
    dout = np.array([[1.0, 2.0, 3.0]])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu_backward(dout, cache), [[0.0, 0.0, 3.0]])
    out, cache = leaky_relu_forward(x, alpha=0.1)
    np.testing.assert_allclose(out, [[-0.2, 0.0, 3.0]], rtol=1e-15)
    np.testing.assert_allclose(leaky_relu_backward(dout, cache), [[0.1, 0.2, 3.0]], rtol=1e-15)
    out, cache = sigmoid_forward(np.array([0.0, math.log(3.0)]))
    np.testing.assert_allclose(out, [0.5, 0.75], rtol=1e-15)
    np.testing.assert_allclose(sigmoid_backward(np.array([4.0, 1.0]), cache), [1.0, 0.1875], rtol=1e-15)
    out, cache = tanh_forward(np.array([0.0, math.log(2.0)]))
    np.testing.assert_allclose(out, [0.0, 0.6], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(tanh_backward(np.array([2.0, 1.0]), cache), [2.0, 0.64], rtol=1e-15)


def test_count_parameters_known_values():
    assert count_parameters([2, 3, 1]) == 13  # (2*3 + 3) + (3*1 + 1)
    assert count_parameters((784, 100, 10)) == 79510
    assert count_parameters(np.array([4, 4])) == 20
    assert type(count_parameters([2, 3])) is int


# ------------------------------------------------------------------ gradients


def _dense_case(wrt):
    def run(rng):
        X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
        dout = rng.standard_normal((4, 5))
        analytic = dense_backward(dout, dense_forward(X, W, b)[1])[wrt]
        return analytic, numerical_backward(dense, [X, W, b], dout, wrt=wrt)

    return run


def _activation_case(name, **kwargs):
    forward, backward = ACTIVATION_PAIRS[name]

    def run(rng):
        # magnitudes in [0.1, 3]: no kink of relu within eps, gradients not tiny
        x = rng.uniform(0.1, 3.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
        dout = rng.standard_normal(x.shape)
        analytic = backward(dout, forward(x, **kwargs)[1])
        return analytic, numerical_backward(lambda v: forward(v, **kwargs)[0], [x], dout, wrt=0)

    return run


GRADIENT_CASES = {
    "dense_backward dX": _dense_case(0),
    "dense_backward dW": _dense_case(1),
    "dense_backward db": _dense_case(2),
    "relu_backward": _activation_case("relu"),
    "sigmoid_backward": _activation_case("sigmoid"),
    "tanh_backward": _activation_case("tanh"),
    "leaky_relu_backward": _activation_case("leaky_relu"),
    "leaky_relu_backward alpha=0.3": _activation_case("leaky_relu", alpha=0.3),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_backward_matches_centred_differences(name, seed):
    analytic, numeric = GRADIENT_CASES[name](np.random.default_rng(seed))
    assert analytic.shape == numeric.shape
    assert relative_error(analytic, numeric) < 1e-7


def test_gradient_check_would_catch_a_missing_transpose():
    rng = np.random.default_rng(0)
    X, W, dout = (rng.standard_normal((3, 3)) for _ in range(3))
    b = np.zeros(3)
    numeric = numerical_backward(dense, [X, W, b], dout, wrt=0)
    assert relative_error(dout @ W, numeric) > 0.1


# ------------------------------------------------------------------ properties


@given(dense_inputs())
@settings(deadline=None, max_examples=60)
def test_dense_shapes_batch_consistency_and_inputs_unchanged(args):
    X, W, b, dout = args
    before = [a.copy() for a in args]
    out, cache = dense_forward(X, W, b)
    assert out.shape == (X.shape[0], W.shape[1]) and out.dtype == np.float64
    scale = 1.0 + np.abs(X).sum(axis=1).max() * np.abs(W).max() + np.abs(b).max()
    np.testing.assert_allclose(out, X @ W + b, rtol=0, atol=1e-13 * scale)
    for i in range(X.shape[0]):
        np.testing.assert_allclose(out[i], dense(X[i : i + 1], W, b)[0], rtol=0, atol=1e-13 * scale)
    dX, dW, db = dense_backward(dout, cache)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    # batch consistency of the parameter gradients: the sum of per-sample gradients
    per_sample = [dense_backward(dout[i : i + 1], dense_forward(X[i : i + 1], W, b)[1]) for i in range(X.shape[0])]
    dscale = 1.0 + np.abs(dout).sum() * max(np.abs(X).max(), np.abs(W).max(), 1.0)
    np.testing.assert_allclose(dW, sum(g[1] for g in per_sample), rtol=0, atol=1e-13 * dscale)
    np.testing.assert_allclose(db, sum(g[2] for g in per_sample), rtol=0, atol=1e-13 * dscale)
    for i in range(X.shape[0]):
        np.testing.assert_allclose(dX[i], per_sample[i][0][0], rtol=0, atol=1e-13 * dscale)
    for original, copy in zip(args, before):
        np.testing.assert_array_equal(original, copy)


@given(dense_inputs(np.float32))
@settings(deadline=None, max_examples=30)
def test_dense_float32_stays_float32(args):
    X, W, b, dout = args
    out, cache = dense_forward(X, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in dense_backward(dout, cache))


def test_dense_gradients_have_the_dtype_of_their_variable():
    X = np.ones((2, 3), dtype=np.float32)
    W, b = np.ones((3, 4)), np.ones(4, dtype=np.float32)
    out, cache = dense_forward(X, W, b)
    assert out.dtype == np.float64
    dX, dW, db = dense_backward(np.ones((2, 4)), cache)
    assert (dX.dtype, dW.dtype, db.dtype) == (np.float32, np.float64, np.float32)


@pytest.mark.parametrize("name", sorted(ACTIVATION_PAIRS))
@given(x=hnp.arrays(np.float64, SHAPES, elements=floats(bound=50.0)), data=st.data())
@settings(deadline=None, max_examples=30)
def test_activation_layers_any_shape_and_inputs_unchanged(name, x, data):
    forward, backward = ACTIVATION_PAIRS[name]
    dout = data.draw(hnp.arrays(np.float64, x.shape, elements=floats()))
    before = (x.copy(), dout.copy())
    out, cache = forward(x)
    dx = backward(dout, cache)
    assert out.shape == x.shape and dx.shape == x.shape
    # every pair is element-wise: the gradient is dout times a local slope in [0, 1]
    assert np.all(np.abs(dx) <= np.abs(dout) + 1e-300)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(dout, before[1])


@pytest.mark.parametrize("name", sorted(ACTIVATION_PAIRS))
@given(x=hnp.arrays(np.float32, SHAPES, elements=floats(32, 50.0)))
@settings(deadline=None, max_examples=20)
def test_activation_layers_float32_stays_float32(name, x):
    forward, backward = ACTIVATION_PAIRS[name]
    out, cache = forward(x)
    assert out.dtype == np.float32
    assert backward(np.ones(x.shape), cache).dtype == np.float32


# ------------------------------------------------------------------ initialisation


@pytest.mark.parametrize(("scheme", "variance"), [("he", 2 / 400), ("xavier", 2 / (400 + 300))])
def test_init_layer_variance_scale(scheme, variance):
    W, b = init_layer(400, 300, np.random.default_rng(0), scheme=scheme)
    assert W.shape == (400, 300) and W.dtype == np.float64
    np.testing.assert_array_equal(b, np.zeros(300))
    # 120000 draws: the sample variance is within 1.5% (about 4 standard errors)
    assert W.var() == pytest.approx(variance, rel=0.015)
    assert abs(W.mean()) < 4 * math.sqrt(variance / W.size)
    # the other scheme's variance is far outside that tolerance
    other = 2 / (400 + 300) if scheme == "he" else 2 / 400
    assert W.var() != pytest.approx(other, rel=0.1)


def test_init_layer_draws_standard_normals_from_the_given_generator():
    W, _ = init_layer(3, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(W, np.random.default_rng(7).standard_normal((3, 4)) * math.sqrt(2 / 3))
    W, _ = init_layer(3, 4, np.random.default_rng(7), scheme="xavier")
    np.testing.assert_array_equal(W, np.random.default_rng(7).standard_normal((3, 4)) * math.sqrt(2 / 7))
    rng = np.random.default_rng(1)
    first, _ = init_layer(2, 2, rng)
    second, _ = init_layer(2, 2, rng)
    assert not np.array_equal(first, second)  # the generator advances


def test_init_network_shapes_and_order():
    params = init_network([5, 4, 3, 2], np.random.default_rng(0))
    assert [(W.shape, b.shape) for W, b in params] == [((5, 4), (4,)), ((4, 3), (3,)), ((3, 2), (2,))]
    rng = np.random.default_rng(0)
    expected = [init_layer(5, 4, rng), init_layer(4, 3, rng), init_layer(3, 2, rng)]
    for (W, b), (W_ref, b_ref) in zip(params, expected):
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(b, b_ref)
    assert sum(W.size + b.size for W, b in params) == count_parameters([5, 4, 3, 2])


@given(st.lists(st.integers(1, 20), min_size=2, max_size=5))
@settings(deadline=None, max_examples=30)
def test_count_parameters_matches_init_network(sizes):
    params = init_network(sizes, np.random.default_rng(0), scheme="xavier")
    assert count_parameters(sizes) == sum(W.size + b.size for W, b in params)
    assert len(params) == len(sizes) - 1


# ------------------------------------------------------------------ errors


RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: dense(np.ones(3), np.ones((3, 2)), np.ones(2)), r"X must have shape \(N, D\), got shape \(3,\)"),
        (lambda: dense(np.ones((2, 3)), np.ones((4, 2)), np.ones(2)), r"W must have shape \(3, M\), got shape \(4, 2\)"),
        (lambda: dense_forward(np.ones((2, 3)), np.ones((3, 2)), np.ones(3)), r"b must have shape \(2,\), got shape \(3,\)"),
        (lambda: dense(np.ones((2, 3)), np.full((3, 2), np.nan), np.ones(2)), "W contains NaN"),
        (lambda: dense_backward(np.ones((2, 3)), dense_forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(4))[1]),
         r"dout must have shape \(2, 4\), got shape \(2, 3\)"),
        (
            lambda: dense_backward(np.ones((2, 4)), (np.ones((2, 3)), np.ones((3, 4)))),
            r"cache must be the tuple \(X, W, b\)",
        ),
        (lambda: relu_backward(np.ones((3, 2)), relu_forward(np.ones((2, 3)))[1]), r"dout must have shape \(2, 3\)"),
        (lambda: sigmoid_forward(np.array(["a"])), "x must be a numeric array"),
        (lambda: tanh_backward(np.array([np.nan]), np.ones(1)), "dout contains NaN"),
        (lambda: leaky_relu_forward(np.ones(2), alpha=float("nan")), "alpha must be a finite number"),
        (lambda: leaky_relu_forward(np.ones(2), alpha="0.1"), "alpha must be a finite number"),
        (lambda: leaky_relu_backward(np.ones(2), np.ones(2)), r"cache must be the tuple \(x, alpha\)"),
        (lambda: init_layer(0, 3, RNG), "n_in must be a positive integer"),
        (lambda: init_layer(3, 2.0, RNG), "n_out must be a positive integer"),
        (lambda: init_layer(3, True, RNG), "n_out must be a positive integer"),
        (lambda: init_layer(3, 2, np.random.RandomState(0)), "rng must be a np.random.Generator"),
        (lambda: init_layer(3, 2, 0), "rng must be a np.random.Generator"),
        (lambda: init_layer(3, 2, RNG, scheme="glorot"), "scheme must be one of 'he', 'xavier', got 'glorot'"),
        (lambda: init_network([3], RNG), "layer_sizes must hold at least 2 sizes"),
        (lambda: init_network([3, 0, 2], RNG), r"layer_sizes\[1\] must be a positive integer"),
        (lambda: init_network("32", RNG), "layer_sizes must be a sequence"),
        (lambda: init_network([3, 2], RNG, scheme="HE"), "scheme must be one of"),
        (lambda: count_parameters([3, -1]), r"layer_sizes\[1\] must be a positive integer"),
        (lambda: count_parameters(5), "layer_sizes must be a sequence"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


_NON_FINITE = [("X", np.nan), ("X", np.inf), ("X", -np.inf), ("W", np.nan), ("W", np.inf), ("b", np.nan), ("b", -np.inf)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("where", "value", "N"),
    # one sample (a matrix-vector product), a few, many; an empty batch has no X to spoil
    [(where, value, N) for where, value in _NON_FINITE for N in (0, 1, 7, 256) if N or where != "X"],
)
@pytest.mark.parametrize("layout", ["C order", "Fortran order", "strided views"])  # BLAS and numpy's own loops
def test_dense_forward_finds_a_non_finite_input_that_meets_only_zeros(N, dtype, where, value, layout):
    """dense_forward looks for NaN and inf in its output: one that meets only zeros in the product must still be found."""
    rng = np.random.default_rng(N)
    D, M = 33, 17
    arrays = {"X": rng.standard_normal((N, D)).astype(dtype), "W": rng.standard_normal((D, M)).astype(dtype),
              "b": rng.standard_normal(M).astype(dtype)}
    d = 5
    if where == "X":
        arrays["W"][d] = 0  # X[:, d] multiplies only zeros
        arrays["X"][N // 2, d] = value
    elif where == "W":
        arrays["X"][:, d] = 0  # W[d] multiplies only zeros
        arrays["W"][d, M // 2] = value
    elif where == "b":
        arrays["b"][M // 2] = value
    if layout == "Fortran order":
        arrays = {name: np.asfortranarray(a) for name, a in arrays.items()}
    elif layout == "strided views":
        arrays = {name: np.repeat(a, 2, axis=-1)[..., ::2] for name, a in arrays.items()}  # every other number
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinite values"):
        dense_forward(arrays["X"], arrays["W"], arrays["b"])


def test_dense_forward_lets_finite_inputs_overflow():
    """Finite inputs whose product overflows are not bad input: out holds inf, with numpy's own warning."""
    X = np.full((2, 2), 1e30, np.float32)
    with pytest.warns(RuntimeWarning, match="overflow encountered in matmul"):
        out, _ = dense_forward(X, X, np.zeros(2, np.float32))
    assert np.isinf(out).all()


@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_values_do_not_depend_on_memory_order(order):
    """dense_forward/backward compute transposed products for speed: the numbers must be the plain formulas."""
    rng = np.random.default_rng(21)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((5, 3))
    X, W, dout = (np.asarray(a, order=order) for a in (X, W, dout))
    out, cache = dense_forward(X, W, b)
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-13)
    dX, dW, db = dense_backward(dout, cache)
    np.testing.assert_allclose(dX, dout @ W.T, rtol=1e-13)
    np.testing.assert_allclose(dW, X.T @ dout, rtol=1e-13)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-13)
    assert out.shape == (5, 3) and dX.shape == (5, 4) and dW.shape == (4, 3)
