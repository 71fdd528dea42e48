"""Tests of dlcore.losses: known values, gradients, properties, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.gradcheck import check_gradient
from dlcore.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    mse,
    mse_grad,
    one_hot,
    softmax_cross_entropy,
)


def floats(low: float, high: float, width: int = 64) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, width=width)


@st.composite
def regression_pairs(draw, dtype=np.float64):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    width = 32 if dtype == np.float32 else 64
    return (
        draw(hnp.arrays(dtype, shape, elements=floats(-100, 100, width))),
        draw(hnp.arrays(dtype, shape, elements=floats(-100, 100, width))),
    )


@st.composite
def binary_pairs(draw, dtype=np.float64):
    n = draw(st.integers(1, 8))
    width = 32 if dtype == np.float32 else 64
    p = draw(hnp.arrays(dtype, (n,), elements=floats(0, 1, width)))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 1)))
    return p, y


@st.composite
def classification(draw, dtype=np.float64, low=-30.0, high=30.0):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    width = 32 if dtype == np.float32 else 64
    logits = draw(hnp.arrays(dtype, (n, c), elements=floats(low, high, width)))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, y


def _softmax_by_hand(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ known values


def test_mse_known_values():
    assert mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == 2.0
    assert mse(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))) == 7.5  # (1 + 4 + 9 + 16) / 4
    np.testing.assert_array_equal(mse_grad(np.array([1.0, 2.0]), np.array([1.0, 4.0])), [0.0, -2.0])
    grad = mse_grad(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2)))
    np.testing.assert_array_equal(grad, [[0.5, 1.0], [1.5, 2.0]])
    assert type(mse(np.ones(2), np.zeros(2))) is float


def test_binary_cross_entropy_known_values():
    assert binary_cross_entropy(np.array([0.5, 0.5]), np.array([1, 0])) == pytest.approx(math.log(2), rel=1e-14)
    p, y = np.array([0.8, 0.3]), np.array([1, 0])
    assert binary_cross_entropy(p, y) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-14)
    # (p - y) / (p (1 - p) N): -0.2 / (0.16 * 2), 0.3 / (0.21 * 2)
    np.testing.assert_allclose(binary_cross_entropy_grad(p, y), [-0.625, 0.3 / 0.42], rtol=1e-14)


def test_binary_cross_entropy_is_clipped_at_certain_predictions():
    # p = 0 for a positive sample would be log(0) = -inf; clipped to eps it is finite.
    assert binary_cross_entropy(np.array([0.0]), np.array([1])) == pytest.approx(-math.log(1e-12), rel=1e-9)
    assert binary_cross_entropy(np.array([1.0, 0.0]), np.array([1, 0])) == pytest.approx(0.0, abs=1e-11)
    assert binary_cross_entropy(np.array([0.0]), np.array([1]), eps=1e-3) == pytest.approx(-math.log(1e-3), rel=1e-12)
    grad = binary_cross_entropy_grad(np.array([0.0, 1.0]), np.array([1, 0]))
    # 1 - (1 - 1e-12) is 1.0000889e-12 in float64, hence the looser tolerance
    np.testing.assert_allclose(grad, [-1e12 / 2, 1e12 / 2], rtol=1e-4)


def test_cross_entropy_known_values():
    P = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    y = np.array([0, 1])
    assert cross_entropy(P, y) == pytest.approx(-(math.log(0.5) + math.log(0.8)) / 2, rel=1e-14)
    np.testing.assert_allclose(cross_entropy_grad(P, y), [[-1.0, 0.0, 0.0], [0.0, -0.625, 0.0]], rtol=1e-14)
    assert cross_entropy(np.array([[0.0, 1.0]]), np.array([1])) == 0.0


def test_cross_entropy_is_clipped_at_zero_probability():
    assert cross_entropy(np.array([[0.0, 1.0]]), np.array([0])) == pytest.approx(-math.log(1e-12), rel=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(np.array([[0.0, 1.0]]), np.array([0])), [[-1e12, 0.0]], rtol=1e-12)


def test_softmax_cross_entropy_known_values():
    loss, dlogits = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4), rel=1e-14)
    np.testing.assert_allclose(dlogits, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]], rtol=1e-14)
    # softmax([0, ln 2]) = [1/3, 2/3]
    loss, dlogits = softmax_cross_entropy(np.array([[0.0, math.log(2)]]), np.array([1]))
    assert loss == pytest.approx(math.log(1.5), rel=1e-14)
    np.testing.assert_allclose(dlogits, [[1 / 3, -1 / 3]], rtol=1e-14)
    assert type(loss) is float


def test_softmax_cross_entropy_of_magnitude_1e4():
    # softmax would round the probability of class 1 to 0; the fused form does not.
    loss, dlogits = softmax_cross_entropy(np.array([[1e4, -1e4], [1e4, -1e4]]), np.array([1, 0]))
    assert loss == pytest.approx(1e4, rel=1e-12)  # (2e4 + 0) / 2
    np.testing.assert_allclose(dlogits, [[0.5, -0.5], [0.0, 0.0]], atol=1e-12)


def test_one_hot_known_values():
    np.testing.assert_array_equal(one_hot(np.array([0, 2, 1]), 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert one_hot(np.array([1]), 4).dtype == np.float64
    assert one_hot(np.array([], dtype=int), 2).shape == (0, 2)
    np.testing.assert_array_equal(one_hot([1.0, 0.0], 2), [[0, 1], [1, 0]])


# ------------------------------------------------------------------ gradients


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def _mse_case(rng):
    y = rng.standard_normal((3, 4))
    y_pred = y + _signs(rng, y.shape) * rng.uniform(0.5, 1.5, y.shape)
    return (lambda v: mse(v, y)), y_pred, mse_grad(y_pred, y)


def _bce_case(rng):
    p, y = rng.uniform(0.1, 0.9, 6), rng.integers(0, 2, 6)
    return (lambda v: binary_cross_entropy(v, y)), p, binary_cross_entropy_grad(p, y)


def _bce_soft_case(rng):
    p, y = rng.uniform(0.1, 0.9, 6), rng.choice([0.1, 0.9], 6)
    return (lambda v: binary_cross_entropy(v, y)), p, binary_cross_entropy_grad(p, y)


def _ce_case(rng):
    P, y = rng.uniform(0.1, 0.9, (4, 3)), rng.integers(0, 3, 4)
    return (lambda v: cross_entropy(v, y)), P, cross_entropy_grad(P, y)


def _softmax_ce_case(rng):
    logits, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    return (lambda v: softmax_cross_entropy(v, y)[0]), logits, softmax_cross_entropy(logits, y)[1]


GRADIENT_CASES = {
    "mse_grad": _mse_case,
    "binary_cross_entropy_grad": _bce_case,
    "binary_cross_entropy_grad soft targets": _bce_soft_case,
    "cross_entropy_grad": _ce_case,
    "softmax_cross_entropy dlogits": _softmax_ce_case,
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradient_matches_centred_differences(name, seed):
    f, x, analytic = GRADIENT_CASES[name](np.random.default_rng(seed))
    result = check_gradient(f, x, analytic, eps=1e-5)
    assert result.max_relative_error < 1e-7, str(result)


def test_gradient_check_would_catch_a_missing_batch_average():
    f, x, analytic = _ce_case(np.random.default_rng(0))
    assert check_gradient(f, x, analytic * x.shape[0]).max_relative_error > 0.1


# ------------------------------------------------------------------ properties


@given(regression_pairs())
@settings(deadline=None, max_examples=60)
def test_mse_properties(pair):
    y_pred, y = pair
    before = (y_pred.copy(), y.copy())
    loss = mse(y_pred, y)
    assert loss >= 0 and mse(y, y) == 0.0 and loss == mse(y, y_pred)
    assert loss == pytest.approx(np.mean((y_pred - y) ** 2), rel=1e-12, abs=1e-300)
    grad = mse_grad(y_pred, y)
    assert grad.shape == y_pred.shape and grad.dtype == np.float64
    # batch consistency: the loss is the mean of per-sample losses; each
    # sample's gradient is its own gradient divided by N
    n = y.shape[0]
    per_sample = [mse(y_pred[i : i + 1], y[i : i + 1]) for i in range(n)]
    assert loss == pytest.approx(np.mean(per_sample), rel=1e-10, abs=1e-300)
    for i in range(n):
        np.testing.assert_allclose(grad[i] * n, mse_grad(y_pred[i : i + 1], y[i : i + 1])[0], rtol=1e-12)
    np.testing.assert_array_equal(y_pred, before[0])
    np.testing.assert_array_equal(y, before[1])


@given(binary_pairs())
@settings(deadline=None, max_examples=60)
def test_binary_cross_entropy_properties(pair):
    p, y = pair
    before = p.copy()
    loss = binary_cross_entropy(p, y)
    assert np.isfinite(loss) and loss >= 0
    q = np.clip(p, 1e-12, 1 - 1e-12)
    assert loss == pytest.approx(-np.mean(np.where(y == 1, np.log(q), np.log(1 - q))), rel=1e-9, abs=1e-11)
    grad = binary_cross_entropy_grad(p, y)
    assert grad.shape == p.shape and np.all(np.isfinite(grad))
    assert np.all(np.sign(grad[y == 1]) <= 0) and np.all(np.sign(grad[y == 0]) >= 0)  # pushes p towards y
    n = p.shape[0]
    for i in range(n):
        np.testing.assert_allclose(grad[i] * n, binary_cross_entropy_grad(p[i : i + 1], y[i : i + 1])[0], rtol=1e-12)
    np.testing.assert_array_equal(p, before)


@given(classification(low=0.0, high=1.0))
@settings(deadline=None, max_examples=60)
def test_cross_entropy_properties(case):
    P, y = case
    before = P.copy()
    n = P.shape[0]
    loss = cross_entropy(P, y)
    picked = np.maximum(P[np.arange(n), y], 1e-12)
    assert loss >= 0 and loss == pytest.approx(-np.mean(np.log(picked)), rel=1e-12, abs=1e-300)
    grad = cross_entropy_grad(P, y)
    assert grad.shape == P.shape
    mask = np.ones_like(P, dtype=bool)
    mask[np.arange(n), y] = False
    assert np.all(grad[mask] == 0) and np.all(grad[~mask] < 0)
    for i in range(n):
        np.testing.assert_allclose(grad[i] * n, cross_entropy_grad(P[i : i + 1], y[i : i + 1])[0], rtol=1e-12)
    np.testing.assert_array_equal(P, before)


@given(classification())
@settings(deadline=None, max_examples=60)
def test_softmax_cross_entropy_properties(case):
    logits, y = case
    before = logits.copy()
    n = logits.shape[0]
    loss, dlogits = softmax_cross_entropy(logits, y)
    S = _softmax_by_hand(logits)
    assert loss >= 0
    assert loss == pytest.approx(-np.mean(np.log(S[np.arange(n), y])), rel=1e-9, abs=1e-12)
    expected = S.copy()
    expected[np.arange(n), y] -= 1
    np.testing.assert_allclose(dlogits, expected / n, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)
    per_sample = [softmax_cross_entropy(logits[i : i + 1], y[i : i + 1]) for i in range(n)]
    assert loss == pytest.approx(np.mean([s[0] for s in per_sample]), rel=1e-10, abs=1e-14)
    for i in range(n):
        np.testing.assert_allclose(dlogits[i] * n, per_sample[i][1][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(logits, before)


@given(classification(low=-1e4, high=1e4), st.floats(-1e4, 1e4))
@settings(deadline=None, max_examples=60)
def test_softmax_cross_entropy_is_finite_and_shift_invariant(case, shift):
    logits, y = case
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    shifted_loss, shifted_dlogits = softmax_cross_entropy(logits + shift, y)
    assert shifted_loss == pytest.approx(loss, rel=1e-9, abs=1e-8)
    np.testing.assert_allclose(shifted_dlogits, dlogits, atol=1e-9)


@given(regression_pairs(np.float32), binary_pairs(np.float32), classification(np.float32))
@settings(deadline=None, max_examples=30)
def test_float32_gradients_stay_float32(regression, binary, classes):
    assert mse_grad(*regression).dtype == np.float32
    assert binary_cross_entropy_grad(*binary).dtype == np.float32
    logits, y = classes
    assert softmax_cross_entropy(logits, y)[1].dtype == np.float32
    P = (np.abs(logits) / (1 + np.abs(logits))).astype(np.float32)
    assert cross_entropy_grad(P, y).dtype == np.float32
    assert type(binary_cross_entropy(*binary)) is float and type(cross_entropy(P, y)) is float


@given(st.integers(1, 6).flatmap(lambda c: st.tuples(st.just(c), st.lists(st.integers(0, c - 1), max_size=8))))
@settings(deadline=None, max_examples=40)
def test_one_hot_rows_select_the_label(case):
    c, labels = case
    y = np.array(labels, dtype=np.int64)
    Y = one_hot(y, c)
    assert Y.shape == (len(labels), c)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argmax(Y, axis=1) if len(labels) else y, y)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mse(np.ones((2, 3)), np.ones((3, 2))), r"y must have shape \(2, 3\), got shape \(3, 2\)"),
        (lambda: mse_grad(np.ones(3), np.ones(4)), r"y must have shape \(3,\), got shape \(4,\)"),
        (lambda: mse(np.ones(0), np.ones(0)), "y_pred must not be empty"),
        (lambda: mse(np.array([np.nan]), np.ones(1)), "y_pred contains NaN"),
        (lambda: binary_cross_entropy(np.array([0.5, 1.5]), np.array([0, 1])), r"p must hold probabilities in \[0, 1\]"),
        (lambda: binary_cross_entropy(np.array([0.5, -0.1]), np.array([0, 1])), "p must hold probabilities"),
        (lambda: binary_cross_entropy_grad(np.array([0.5, 0.5]), np.array([0, 2])), r"y must hold targets in \[0, 1\]"),
        (lambda: binary_cross_entropy(np.ones((2, 1)) / 2, np.array([0, 1])), r"p must have shape \(N,\)"),
        (lambda: binary_cross_entropy(np.array([0.5]), np.array([0, 1])), r"y must have shape \(1,\)"),
        (lambda: binary_cross_entropy(np.array([0.5]), np.array([1]), eps=0.0), "eps must be a positive number"),
        (lambda: binary_cross_entropy_grad(np.array([0.5]), np.array([1]), eps=0.7), "eps must be a small positive"),
        (lambda: binary_cross_entropy(np.zeros(0), np.zeros(0)), "p must not be empty"),
        (lambda: cross_entropy(np.full(3, 0.3), np.array([0])), r"P must have shape \(N, C\), got shape \(3,\)"),
        (lambda: cross_entropy(np.full((2, 3), 0.3), np.array([0, 3])), r"y must hold labels in \[0, 3\)"),
        (lambda: cross_entropy_grad(np.full((2, 3), 0.3), np.array([0])), r"y must have shape \(2,\)"),
        (lambda: cross_entropy_grad(np.full((2, 3), 1.3), np.array([0, 1])), "P must hold probabilities"),
        (lambda: cross_entropy(np.full((1, 3), 0.3), np.array([0.5])), "y must hold integer class labels"),
        (lambda: softmax_cross_entropy(np.ones(3), np.array([0])), r"logits must have shape \(N, C\)"),
        (lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0, -1])), r"y must hold labels in \[0, 3\)"),
        (lambda: softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([0])), "logits contains NaN or infinite"),
        (lambda: softmax_cross_entropy(np.ones((0, 3)), np.zeros(0, dtype=int)), "logits must not be empty"),
        (lambda: one_hot(np.array([0, 3]), 3), r"y must hold labels in \[0, 3\)"),
        (lambda: one_hot(np.array([[0, 1]]), 3), r"y must have shape \(N,\), got shape \(1, 2\)"),
        (lambda: one_hot(np.array([0]), 0), "num_classes must be a positive integer"),
        (lambda: one_hot(np.array([0]), 2.0), "num_classes must be a positive integer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
