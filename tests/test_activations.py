"""Tests of dlcore.activations: known values, gradients, properties, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.activations import (
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_grad,
    softmax_jacobian,
    tanh,
    tanh_grad,
)
from dlcore.gradcheck import numerical_backward, relative_error

ELEMENTWISE = [sigmoid, sigmoid_grad, tanh, tanh_grad, relu, relu_grad, leaky_relu, leaky_relu_grad]
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
MATRICES = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)


def floats64(low: float = -50.0, high: float = 50.0) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, width=64)


# ------------------------------------------------------------------ known values


def test_sigmoid_known_values():
    z = np.array([0.0, math.log(3.0), -math.log(3.0)])
    np.testing.assert_allclose(sigmoid(z), [0.5, 0.75, 0.25], rtol=1e-15)
    assert sigmoid(np.array(0.0)) == 0.5


def test_sigmoid_saturates_without_overflow():
    # exp(800) overflows float64; a naive 1 / (1 + exp(-z)) warns (an error here).
    out = sigmoid(np.array([-800.0, 800.0, -40.0]))
    assert out[0] == 0.0 and out[1] == 1.0
    assert out[2] == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_sigmoid_grad_known_values():
    np.testing.assert_allclose(sigmoid_grad(np.array([0.0, math.log(3.0)])), [0.25, 0.75 * 0.25], rtol=1e-15)


def test_tanh_known_values():
    z = np.array([0.0, math.log(2.0)])
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
    np.testing.assert_allclose(tanh(z), [0.0, 0.6], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(tanh_grad(z), [1.0, 1.0 - 0.36], rtol=1e-15)


def test_relu_known_values():
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.5])), [0.0, 0.0, 3.5])
    np.testing.assert_array_equal(relu_grad(np.array([-2.0, 0.0, 3.5])), [0.0, 0.0, 1.0])


def test_leaky_relu_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu(z), [-0.02, 0.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(leaky_relu(z, alpha=0.1), [-0.2, 0.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(leaky_relu_grad(z, alpha=0.1), [0.1, 0.1, 1.0], rtol=1e-15)
    np.testing.assert_allclose(leaky_relu_grad(z), [0.01, 0.01, 1.0], rtol=1e-15)


def test_softmax_known_values():
    # softmax([0, ln 2]) = [1, 2] / 3
    out = softmax(np.array([[0.0, math.log(2.0)], [5.0, 5.0]]))
    np.testing.assert_allclose(out, [[1 / 3, 2 / 3], [0.5, 0.5]], rtol=1e-15)


def test_softmax_of_magnitude_1e4():
    Z = np.array([[1e4, 1e4 + math.log(2.0)], [-1e4, 1e4], [-1e4, -1e4]])
    out = softmax(Z)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[1 / 3, 2 / 3], [0.0, 1.0], [0.5, 0.5]], rtol=1e-10, atol=1e-300)


def test_softmax_grad_known_values():
    # S = [1/3, 2/3], dS = [1, 0]: dZ = S * (dS - S.dS) = [1/3 * 2/3, 2/3 * -1/3]
    dZ = softmax_grad(np.array([[0.0, math.log(2.0)]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(dZ, [[2 / 9, -2 / 9]], rtol=1e-14)


def test_softmax_jacobian_known_values():
    np.testing.assert_allclose(softmax_jacobian(np.zeros(2)), [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-15)
    s1, s2 = 1 / 3, 2 / 3
    np.testing.assert_allclose(
        softmax_jacobian(np.array([0.0, math.log(2.0)])),
        [[s1 * (1 - s1), -s1 * s2], [-s1 * s2, s2 * (1 - s2)]],
        rtol=1e-14,
    )


# ------------------------------------------------------------------ gradients


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 3.0):
    """Points whose magnitude lies in [low, high]: no kink of relu within eps."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def _elementwise_case(f, f_grad, **kwargs):
    def run(rng):
        z = _away_from_zero(rng, (4, 5))
        dout = rng.standard_normal(z.shape)
        numeric = numerical_backward(lambda v: f(v, **kwargs), [z], dout, wrt=0)
        return dout * f_grad(z, **kwargs), numeric

    return run


def _softmax_grad_case(rng):
    Z = rng.standard_normal((4, 5))
    dS = rng.standard_normal(Z.shape)
    return softmax_grad(Z, dS), numerical_backward(softmax, [Z], dS, wrt=0)


def _softmax_jacobian_case(rng):
    z = rng.standard_normal(4)
    rows = [numerical_backward(lambda v: softmax(v[None, :])[0], [z], np.eye(4)[i], wrt=0) for i in range(4)]
    return softmax_jacobian(z), np.array(rows)  # row i: d s_i / d z


GRADIENT_CASES = {
    "sigmoid_grad": _elementwise_case(sigmoid, sigmoid_grad),
    "tanh_grad": _elementwise_case(tanh, tanh_grad),
    "relu_grad": _elementwise_case(relu, relu_grad),
    "leaky_relu_grad": _elementwise_case(leaky_relu, leaky_relu_grad),
    "leaky_relu_grad alpha=0.2": _elementwise_case(leaky_relu, leaky_relu_grad, alpha=0.2),
    "softmax_grad": _softmax_grad_case,
    "softmax_jacobian": _softmax_jacobian_case,
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradient_matches_centred_differences(name, seed):
    analytic, numeric = GRADIENT_CASES[name](np.random.default_rng(seed))
    assert analytic.shape == numeric.shape
    assert relative_error(analytic, numeric) < 1e-7


def test_gradient_check_would_catch_a_wrong_derivative():
    # The check above can fail: sigma(z) instead of sigma'(z) is far off.
    rng = np.random.default_rng(0)
    z = _away_from_zero(rng, (3, 3))
    dout = np.ones_like(z)
    numeric = numerical_backward(sigmoid, [z], dout, wrt=0)
    assert relative_error(sigmoid(z), numeric) > 0.1


def test_softmax_jacobian_agrees_with_softmax_grad():
    rng = np.random.default_rng(3)
    z, ds = rng.standard_normal(5), rng.standard_normal(5)
    vjp = softmax_grad(z[None, :], ds[None, :])[0]
    np.testing.assert_allclose(ds @ softmax_jacobian(z), vjp, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ properties


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.__name__)
@given(z=hnp.arrays(np.float64, SHAPES, elements=floats64()))
@settings(deadline=None, max_examples=40)
def test_elementwise_shape_and_dtype_preserved_and_input_unchanged(f, z):
    before = z.copy()
    out = f(z)
    assert out.shape == z.shape
    assert out.dtype == np.float64
    np.testing.assert_array_equal(z, before)


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.__name__)
@given(z=hnp.arrays(np.float32, SHAPES, elements=st.floats(-50, 50, width=32)))
@settings(deadline=None, max_examples=25)
def test_elementwise_float32_stays_float32(f, z):
    out = f(z)
    assert out.dtype == np.float32
    assert out.shape == z.shape


@given(Z=hnp.arrays(np.float32, MATRICES, elements=st.floats(-50, 50, width=32)))
@settings(deadline=None, max_examples=25)
def test_softmax_float32_stays_float32(Z):
    assert softmax(Z).dtype == np.float32
    assert softmax_grad(Z, np.ones_like(Z)).dtype == np.float32


@given(z=hnp.arrays(np.float64, SHAPES, elements=floats64()))
@settings(deadline=None, max_examples=60)
def test_sigmoid_is_symmetric(z):
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), rtol=1e-12, atol=1e-15)


@given(z=hnp.arrays(np.float64, SHAPES, elements=floats64()))
@settings(deadline=None, max_examples=60)
def test_ranges_of_the_elementwise_functions(z):
    s, t = sigmoid(z), tanh(z)
    assert np.all((s >= 0) & (s <= 1)) and np.all((t >= -1) & (t <= 1))
    assert np.all((sigmoid_grad(z) >= 0) & (sigmoid_grad(z) <= 0.25))
    assert np.all((tanh_grad(z) >= 0) & (tanh_grad(z) <= 1))
    assert np.all(relu(z) >= 0)
    np.testing.assert_array_equal(relu(z) - relu(-z), z)  # max(z, 0) - max(-z, 0) = z exactly


@given(Z=hnp.arrays(np.float64, MATRICES, elements=floats64(-1e3, 1e3)))
@settings(deadline=None, max_examples=60)
def test_softmax_rows_are_distributions(Z):
    before = Z.copy()
    S = softmax(Z)
    assert S.shape == Z.shape
    assert np.all(S >= 0)
    np.testing.assert_allclose(S.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(Z, before)


@given(Z=hnp.arrays(np.float64, MATRICES, elements=floats64(-100, 100)), data=st.data())
@settings(deadline=None, max_examples=60)
def test_softmax_is_invariant_to_a_constant_per_row(Z, data):
    c = data.draw(hnp.arrays(np.float64, (Z.shape[0], 1), elements=floats64(-100, 100)))
    np.testing.assert_allclose(softmax(Z + c), softmax(Z), rtol=1e-10, atol=1e-13)


@given(Z=hnp.arrays(np.float64, MATRICES, elements=floats64(-1e4, 1e4)))
@settings(deadline=None, max_examples=60)
def test_softmax_is_finite_and_correct_for_magnitude_1e4(Z):
    S = softmax(Z)
    assert np.all(np.isfinite(S))
    # independent reference: the row maximum is subtracted by hand
    e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    np.testing.assert_allclose(S, e / np.sum(e, axis=1, keepdims=True), rtol=1e-12, atol=1e-300)


@given(Z=hnp.arrays(np.float64, MATRICES, elements=floats64(-20, 20)), data=st.data())
@settings(deadline=None, max_examples=40)
def test_softmax_grad_is_orthogonal_to_constant_shifts(Z, data):
    # Adding the same to every score of a row changes nothing, so dZ sums to 0 per row.
    dS = data.draw(hnp.arrays(np.float64, Z.shape, elements=floats64(-10, 10)))
    before = (Z.copy(), dS.copy())
    dZ = softmax_grad(Z, dS)
    assert dZ.shape == Z.shape
    np.testing.assert_allclose(dZ.sum(axis=1), 0.0, atol=1e-12 * (1 + np.abs(dS).max()))
    np.testing.assert_array_equal(Z, before[0])
    np.testing.assert_array_equal(dS, before[1])


@given(Z=hnp.arrays(np.float64, MATRICES, elements=floats64(-20, 20)))
@settings(deadline=None, max_examples=30)
def test_softmax_batch_consistency(Z):
    S = softmax(Z)
    for i in range(Z.shape[0]):
        np.testing.assert_allclose(S[i], softmax(Z[i : i + 1])[0], rtol=1e-14)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: softmax(np.ones(3)), r"Z must have shape \(N, C\), got shape \(3,\)"),
        (lambda: softmax(np.ones((2, 2, 2))), r"Z must have shape \(N, C\)"),
        (lambda: softmax(np.array([[0.0, np.nan]])), "Z contains NaN"),
        (lambda: softmax_grad(np.ones((2, 3)), np.ones((3, 2))), r"dS must have shape \(2, 3\), got shape \(3, 2\)"),
        (lambda: softmax_grad(np.ones((2, 3)), np.ones(3)), r"dS must have shape \(N, C\)"),
        (lambda: softmax_jacobian(np.ones((2, 2))), r"z must have shape \(C,\)"),
        (lambda: sigmoid(np.array(["a", "b"])), "z must be a numeric array"),
        (lambda: relu(np.array([1.0, np.inf])), "z contains NaN or infinite"),
        (lambda: tanh([[1.0], [2.0, 3.0]]), "z must be a numeric array"),
        (lambda: leaky_relu_grad(np.array([np.nan])), "z contains NaN"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integer_input_is_accepted_as_float64():
    out = relu(np.array([-1, 2]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 2.0])
