"""Tests of dlcore.gradcheck: centred differences, relative error, reports."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.gradcheck import (
    GradCheckResult,
    check_gradient,
    numerical_backward,
    numerical_gradient,
    relative_error,
)

FINITE = st.floats(-5, 5, allow_nan=False, width=64)


# ------------------------------------------------------------ numerical_gradient


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(grad, [[2.0, -4.0, 1.0], [6.0, 0.0, -3.0]], rtol=1e-8, atol=1e-8)


def test_numerical_gradient_of_sin_sum_is_cos():
    x = np.linspace(-2.0, 2.0, 7)
    grad = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-8, atol=1e-10)


def test_numerical_gradient_of_a_product_of_entries():
    # f(x) = x0 * x1 * x2, grad = (x1 x2, x0 x2, x0 x1)
    x = np.array([2.0, 3.0, 5.0])
    grad = numerical_gradient(lambda v: v[0] * v[1] * v[2], x)
    np.testing.assert_allclose(grad, [15.0, 10.0, 6.0], rtol=1e-8)


def test_numerical_gradient_of_a_scalar_input():
    grad = numerical_gradient(lambda v: float(v) ** 3, np.float64(2.0))
    assert grad.shape == ()
    assert grad == pytest.approx(12.0, rel=1e-8)


def test_numerical_gradient_returns_float64_and_leaves_float32_input_alone():
    x = np.array([1.0, 2.0], dtype=np.float32)
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(3.0 * v), x)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(x, before)
    assert x.dtype == np.float32
    np.testing.assert_allclose(grad, [3.0, 3.0], rtol=1e-8)


def test_numerical_gradient_passes_float64_arrays_to_f():
    seen = []
    numerical_gradient(lambda v: seen.append(v.dtype) or 0.0, np.array([1, 2], dtype=np.int64))
    assert seen and all(dtype == np.float64 for dtype in seen)


def test_numerical_gradient_is_not_fooled_by_f_that_modifies_its_argument():
    x = np.array([1.0, 2.0, 3.0])

    def vandal(v):
        value = float(np.sum(v**2))
        v[:] = 100.0  # a bad f; must not corrupt the check or x
        return value

    grad = numerical_gradient(vandal, x)
    np.testing.assert_allclose(grad, 2 * np.array([1.0, 2.0, 3.0]), rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_uses_eps():
    # f(x) = x^3 has centred difference 3x^2 + eps^2, so a large eps shows.
    grad = numerical_gradient(lambda v: float(v[0]) ** 3, np.array([0.0]), eps=0.1)
    assert grad[0] == pytest.approx(0.01, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"f": lambda v: v, "x": np.ones(3)}, "f must return a single number"),
        ({"f": lambda v: "abc", "x": np.ones(2)}, "f must return a single number"),
        ({"f": lambda v: (1.0, v), "x": np.ones(2)}, "f must return a single number"),
        ({"f": "not callable", "x": np.ones(2)}, "f must be callable"),
        ({"f": np.sum, "x": np.ones(2), "eps": 0.0}, "eps must be a positive number"),
        ({"f": np.sum, "x": np.array([1.0, np.nan])}, "x contains NaN"),
        ({"f": np.sum, "x": np.array(["a"])}, "x must be a numeric array"),
    ],
)
def test_numerical_gradient_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        numerical_gradient(**kwargs)


# ------------------------------------------------------------ relative_error


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([1.0, 2.0], [1.0, 2.0], 0.0),
        ([1.0], [-1.0], 1.0),  # opposite signs: the maximum possible error
        ([0.0, 0.0], [0.0, 0.0], 0.0),  # both exactly zero: no error, no division by zero
        ([0.0], [1e-30], 1.0),  # one of the two is zero
        ([1.0, 10.0], [3.0, 10.0], 0.5),  # |1-3| / (1+3)
        ([100.0, 1e-3], [100.0 + 1e-6, 2e-3], 1.0 / 3.0),  # the worst entry counts, not the largest one
    ],
)
def test_relative_error_known_values(a, b, expected):
    assert relative_error(np.array(a), np.array(b)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_relative_error_of_empty_arrays_is_zero():
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_relative_error_returns_a_python_float():
    assert type(relative_error(np.ones(2), np.ones(2) * 2)) is float


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5), elements=FINITE), st.data())
@settings(deadline=None, max_examples=60)
def test_relative_error_is_symmetric_and_in_unit_interval(a, data):
    b = data.draw(hnp.arrays(np.float64, a.shape, elements=FINITE))
    e = relative_error(a, b)
    assert 0.0 <= e <= 1.0
    assert e == relative_error(b, a)
    assert relative_error(a, a) == 0.0


def test_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"b must have shape \(3,\), got shape \(4,\)"):
        relative_error(np.ones(3), np.ones(4))


def test_relative_error_rejects_nan():
    with pytest.raises(ValueError, match="a contains NaN"):
        relative_error(np.array([np.nan]), np.array([1.0]))


# ------------------------------------------------------------ check_gradient


def test_check_gradient_passes_a_correct_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    result = check_gradient(lambda v: np.sum(np.sin(v)), x, np.cos(x))
    assert isinstance(result, GradCheckResult)
    assert result.max_relative_error < 1e-7, str(result)
    assert len(result.worst) == 5


def test_check_gradient_finds_the_wrong_entry():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    analytic = 2 * x
    analytic[1, 2] = 0.0  # a bug in one entry
    result = check_gradient(lambda v: np.sum(v**2), x, analytic, worst=3)
    assert result.max_relative_error == pytest.approx(1.0)
    index, got_analytic, got_numeric = result.worst[0]
    assert index == (1, 2)
    assert got_analytic == 0.0
    assert got_numeric == pytest.approx(12.0, rel=1e-8)
    assert len(result.worst) == 3
    assert all(isinstance(i, int) for i in index)


def test_check_gradient_catches_a_gradient_off_by_a_factor():
    x = np.array([0.5, -1.0, 2.0])
    result = check_gradient(lambda v: np.sum(v**2), x, x)  # forgot the 2
    assert result.max_relative_error == pytest.approx(1.0 / 3.0, rel=1e-6)


def test_check_gradient_worst_is_sorted_and_limited():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    analytic = 2 * x * np.array([1.0, 1.1, 1.5, 1.01])
    result = check_gradient(lambda v: np.sum(v**2), x, analytic, worst=2)
    assert [entry[0] for entry in result.worst] == [(2,), (1,)]
    assert check_gradient(lambda v: np.sum(v**2), x, analytic, worst=0).worst == []


def test_check_gradient_result_is_frozen_and_prints_readably():
    x = np.array([[1.0, 2.0]])
    result = check_gradient(lambda v: np.sum(v**2), x, np.array([[2.0, 5.0]]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.max_relative_error = 0.0  # type: ignore[misc]
    text = str(result)
    assert "max relative error" in text
    assert "(0, 1)" in text  # the worst index is named
    assert "5" in text and "4" in text  # analytic and numeric values shown


def test_check_gradient_does_not_modify_inputs():
    x = np.array([1.0, 2.0])
    analytic = np.array([2.0, 4.0])
    check_gradient(lambda v: np.sum(v**2), x, analytic)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(analytic, [2.0, 4.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"analytic": np.ones(4)}, r"analytic must have shape \(3,\), got shape \(4,\)"),
        ({"analytic": np.ones(3), "worst": -1}, "worst must be >= 0"),
        ({"analytic": np.ones(3), "worst": 1.5}, "worst must be an integer"),
        ({"analytic": np.ones(3), "eps": -1e-6}, "eps must be a positive number"),
    ],
)
def test_check_gradient_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_gradient(np.sum, np.ones(3), **kwargs)


# ------------------------------------------------------------ numerical_backward


def test_numerical_backward_of_a_matrix_product():
    rng = np.random.default_rng(1)
    X, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    dout = rng.standard_normal((4, 2))
    dX = numerical_backward(lambda a, b: a @ b, [X, W], dout, wrt=0)
    dW = numerical_backward(lambda a, b: a @ b, [X, W], dout, wrt=1)
    # d sum((XW) * dout) / dX = dout W^T, / dW = X^T dout (written out by hand)
    expected_dX = np.array([[sum(dout[n, m] * W[d, m] for m in range(2)) for d in range(3)] for n in range(4)])
    expected_dW = np.array([[sum(X[n, d] * dout[n, m] for n in range(4)) for m in range(2)] for d in range(3)])
    np.testing.assert_allclose(dX, expected_dX, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-8, atol=1e-10)


def test_numerical_backward_of_an_elementwise_function_is_precise():
    # The difference of outputs is taken before the sum, so even entries whose
    # gradient is small compared with the other outputs come out precisely.
    x = np.array([-3.0, -0.5, 0.7, 2.0, 5.0])
    dout = np.array([1e3, -2.0, 0.5, 1e-3, 3.0])
    numeric = numerical_backward(np.exp, [x], dout, wrt=0)
    assert relative_error(numeric, dout * np.exp(x)) < 1e-8


def test_numerical_backward_keeps_other_inputs_and_leaves_everything_alone():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    dout = np.array([1.0, 1.0])
    calls = []

    def forward(a, b):
        calls.append(b is y)
        return a * b

    grad = numerical_backward(forward, [x, y], dout, wrt=0)
    np.testing.assert_allclose(grad, y, rtol=1e-8)
    assert all(calls)  # the other inputs are passed as they are
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_backward_of_a_scalar_output():
    x = np.array([1.0, -2.0])
    grad = numerical_backward(lambda v: np.sum(v**2), [x], np.float64(0.5), wrt=0)
    np.testing.assert_allclose(grad, [1.0, -2.0], rtol=1e-8)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: numerical_backward(lambda a: a, [np.ones(2)], np.ones(2), wrt=1), r"wrt must be an index in \[0, 1\)"),
        (lambda: numerical_backward(lambda a: a, [np.ones(2)], np.ones(2), wrt=-1), "wrt must be an index"),
        (lambda: numerical_backward(lambda a: a, [np.ones(2)], np.ones(2), wrt=0.0), "wrt must be an integer"),
        (lambda: numerical_backward(lambda a: a, np.ones(2), np.ones(2), wrt=0), "inputs must be a list"),
        (lambda: numerical_backward(lambda a: a, [np.ones(2)], np.ones(3), wrt=0), "shaped like dout"),
        (lambda: numerical_backward(lambda a: (a, None), [np.ones(2)], np.ones(2), wrt=0), "wrap it"),
        (lambda: numerical_backward(None, [np.ones(2)], np.ones(2), wrt=0), "forward must be callable"),
        (lambda: numerical_backward(lambda a: a, [np.ones(2)], np.array([np.inf, 1.0]), wrt=0), "dout contains NaN"),
        (lambda: numerical_backward(lambda a: a, [["x"]], np.ones(1), wrt=0), r"inputs\[0\] must be a numeric"),
    ],
)
def test_numerical_backward_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_eps_default_matches_the_documented_value():
    import inspect

    for function in (numerical_gradient, check_gradient, numerical_backward):
        assert math.isclose(inspect.signature(function).parameters["eps"].default, 1e-6)
