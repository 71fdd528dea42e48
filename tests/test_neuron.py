"""Tests of dlcore.neuron: the weighted sum, the neuron, the perceptron."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.activations import sigmoid
from dlcore.gradcheck import numerical_backward, relative_error
from dlcore.neuron import neuron, perceptron_predict, perceptron_train, step, weighted_sum

BOOLEAN_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])

SIZES = st.integers(1, 6)


def floats(width: int = 64) -> st.SearchStrategy:
    return st.floats(-10, 10, allow_nan=False, width=width)


@st.composite
def neuron_inputs(draw, dtype=np.float64):
    n, d = draw(SIZES), draw(SIZES)
    width = 32 if dtype == np.float32 else 64
    X = draw(hnp.arrays(dtype, (n, d), elements=floats(width)))
    w = draw(hnp.arrays(dtype, (d,), elements=floats(width)))
    b = draw(floats(width))
    return X, w, b


# ------------------------------------------------------------------ known values


def test_weighted_sum_known_values():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    w = np.array([0.5, -1.0])
    np.testing.assert_allclose(weighted_sum(X, w, 2.0), [0.5, -0.5, 2.0], rtol=1e-15)


def test_weighted_sum_accepts_integer_lists():
    out = weighted_sum([[1, 2]], [3, 4], 1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [12.0])


def test_neuron_known_values():
    X = np.array([[1.0, 1.0], [2.0, -1.0]])
    w = np.array([1.0, -1.0])
    # z = [0, 3]
    np.testing.assert_allclose(neuron(X, w, 0.0, sigmoid), [0.5, 1.0 / (1.0 + np.exp(-3.0))], rtol=1e-15)
    np.testing.assert_array_equal(neuron(X, w, 0.0, step), [0.0, 1.0])
    np.testing.assert_array_equal(neuron(X, w, 0.0, lambda z: 2 * z), [0.0, 6.0])


def test_step_known_values():
    out = step(np.array([[-1.0, 0.0], [1e-300, 5.0]]))
    np.testing.assert_array_equal(out, [[0.0, 0.0], [1.0, 1.0]])
    assert out.dtype == np.float64
    assert step(np.array([-0.0, 0.0], dtype=np.float32)).dtype == np.float32


def test_perceptron_predict_known_values():
    X = np.array([[1.0, 1.0], [0.0, 0.0], [-1.0, 2.0]])
    pred = perceptron_predict(X, np.array([1.0, -1.0]), 0.0)
    np.testing.assert_array_equal(pred, [0, 0, 0])  # z = [0, 0, -3]: 0 is not > 0
    pred = perceptron_predict(X, np.array([1.0, -1.0]), 0.5)
    np.testing.assert_array_equal(pred, [1, 1, 0])
    assert pred.dtype.kind == "i"


def test_perceptron_train_follows_the_online_rule_by_hand():
    # i=0: x=[1,0], z=0 -> 0, err=1: w=[1,0], b=1
    # i=1: x=[0,1], z=1 -> 1, err=-1: w=[1,-1], b=0
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, 0])
    w, b = perceptron_train(X, y, lr=1.0, epochs=1)
    np.testing.assert_array_equal(w, [1.0, -1.0])
    assert b == 0.0
    # with lr = 0.5 every step is halved
    w, b = perceptron_train(X, y, lr=0.5, epochs=1)
    np.testing.assert_array_equal(w, [0.5, -0.5])
    assert b == 0.0
    # one mistake with lr = 0.5: w = 0.5 x, b = 0.5
    w, b = perceptron_train(np.array([[2.0, -1.0]]), np.array([1]), lr=0.5, epochs=3)
    np.testing.assert_array_equal(w, [1.0, -0.5])
    assert b == 0.5
    # epoch 2 makes no mistake, so nothing changes
    w2, b2 = perceptron_train(X, y, lr=1.0, epochs=2)
    np.testing.assert_array_equal(w2, [1.0, -1.0])
    assert b2 == 0.0


def test_perceptron_train_updates_after_each_sample_not_after_the_epoch():
    # An epoch-averaged (batch) rule would add both errors at once: w=[1,1], b=0.
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([1, 0])
    w, b = perceptron_train(X, y, epochs=1)
    # i=0: z=0 -> 0, err=1: w=[1,0], b=1; i=1: z=2 -> 1, err=-1: w=[0,0], b=0
    np.testing.assert_array_equal(w, [0.0, 0.0])
    assert b == 0.0


def test_perceptron_train_returns_float64_weights_and_a_float_bias():
    w, b = perceptron_train(BOOLEAN_INPUTS.astype(np.float32), AND, epochs=0)
    assert w.dtype == np.float64 and w.shape == (2,)
    assert type(b) is float
    np.testing.assert_array_equal(w, [0.0, 0.0])
    assert b == 0.0


def test_perceptron_train_accepts_boolean_labels():
    w, b = perceptron_train(BOOLEAN_INPUTS, AND == 1)
    np.testing.assert_array_equal(perceptron_predict(BOOLEAN_INPUTS, w, b), AND)


@pytest.mark.parametrize(("name", "y"), [("AND", AND), ("OR", OR)])
def test_perceptron_learns_linearly_separable_gates(name, y):
    w, b = perceptron_train(BOOLEAN_INPUTS, y, lr=1.0, epochs=10)
    np.testing.assert_array_equal(perceptron_predict(BOOLEAN_INPUTS, w, b), y, err_msg=name)


@pytest.mark.parametrize("epochs", [1, 10, 100])
def test_perceptron_cannot_fit_xor(epochs):
    w, b = perceptron_train(BOOLEAN_INPUTS, XOR, lr=1.0, epochs=epochs)
    assert np.any(perceptron_predict(BOOLEAN_INPUTS, w, b) != XOR)


def test_perceptron_cycles_on_xor_by_hand():
    # Epoch 1 from w=0, b=0: mistakes on [0,1] (w=[0,1], b=1) and [1,1] (w=[-1,0], b=0).
    # From epoch 2 on, each epoch makes 4 mistakes and ends where it started: w=[-1,0], b=1.
    w, b = perceptron_train(BOOLEAN_INPUTS, XOR, epochs=1)
    np.testing.assert_array_equal(w, [-1.0, 0.0])
    assert b == 0.0
    for epochs in (2, 3, 7):
        w, b = perceptron_train(BOOLEAN_INPUTS, XOR, epochs=epochs)
        np.testing.assert_array_equal(w, [-1.0, 0.0])
        assert b == 1.0
        np.testing.assert_array_equal(perceptron_predict(BOOLEAN_INPUTS, w, b), [1, 1, 0, 0])


def test_perceptron_separates_a_random_separable_set():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (200, 2))
    margin = X @ np.array([1.0, -2.0]) + 0.5
    X, margin = X[np.abs(margin) > 0.5], margin[np.abs(margin) > 0.5]
    y = (margin > 0).astype(int)
    w, b = perceptron_train(X, y, epochs=100)
    np.testing.assert_array_equal(perceptron_predict(X, w, b), y)


# ------------------------------------------------------------------ gradients


GRADIENT_CASES = {
    # the neuron's z = X @ w + b is linear: dX = dz w^T, dw = X^T dz, db = sum dz
    "weighted_sum dX": (0, lambda X, w, dz: np.outer(dz, w)),
    "weighted_sum dw": (1, lambda X, w, dz: X.T @ dz),
    "weighted_sum db": (2, lambda X, w, dz: np.sum(dz)),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_weighted_sum_gradients_match_centred_differences(name):
    wrt, analytic = GRADIENT_CASES[name]
    rng = np.random.default_rng(0)
    X, w, b, dz = rng.standard_normal((5, 3)), rng.standard_normal(3), np.float64(0.3), rng.standard_normal(5)
    numeric = numerical_backward(weighted_sum, [X, w, b], dz, wrt=wrt)
    assert relative_error(analytic(X, w, dz), numeric) < 1e-7


def test_sigmoid_neuron_gradient_matches_centred_differences():
    # d sum(sigma(Xw + b) * da) / dw = X^T (da * sigma'(z))
    rng = np.random.default_rng(1)
    X, w, da = rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(6)
    s = 1.0 / (1.0 + np.exp(-(X @ w - 0.2)))
    numeric = numerical_backward(lambda v: neuron(X, v, -0.2, sigmoid), [w], da, wrt=0)
    assert relative_error(X.T @ (da * s * (1 - s)), numeric) < 1e-7


# ------------------------------------------------------------------ properties


@given(neuron_inputs())
@settings(deadline=None, max_examples=60)
def test_weighted_sum_shape_batch_consistency_and_inputs_unchanged(args):
    X, w, b = args
    before = (X.copy(), w.copy())
    z = weighted_sum(X, w, b)
    assert z.shape == (X.shape[0],) and z.dtype == np.float64
    for i in range(X.shape[0]):
        np.testing.assert_allclose(z[i], weighted_sum(X[i : i + 1], w, b)[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(w, before[1])


@given(neuron_inputs(np.float32))
@settings(deadline=None, max_examples=40)
def test_float32_stays_float32(args):
    X, w, b = args
    assert weighted_sum(X, w, b).dtype == np.float32
    assert weighted_sum(X, w, np.float64(b)).dtype == np.float32  # a float64 scalar bias does not promote
    assert neuron(X, w, b, sigmoid).dtype == np.float32
    assert step(X).dtype == np.float32


@given(neuron_inputs())
@settings(deadline=None, max_examples=60)
def test_neuron_applies_the_activation_to_the_weighted_sum(args):
    X, w, b = args
    expected = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(neuron(X, w, b, sigmoid), expected, rtol=1e-9, atol=1e-12)
    pred = perceptron_predict(X, w, b)
    assert pred.shape == (X.shape[0],)
    assert set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, neuron(X, w, b, step).astype(int))


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0), elements=floats()))
@settings(deadline=None, max_examples=40)
def test_step_shape_values_and_input_unchanged(z):
    before = z.copy()
    out = step(z)
    assert out.shape == z.shape
    np.testing.assert_array_equal(out, np.where(z > 0, 1.0, 0.0))
    np.testing.assert_array_equal(z, before)


@given(neuron_inputs(), st.integers(0, 3))
@settings(deadline=None, max_examples=30)
def test_perceptron_train_leaves_its_inputs_alone(args, epochs):
    X, _, _ = args
    y = (X[:, 0] > 0).astype(int)
    before = (X.copy(), y.copy())
    w, b = perceptron_train(X, y, epochs=epochs)
    assert w.shape == (X.shape[1],) and np.all(np.isfinite(w)) and np.isfinite(b)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(y, before[1])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: weighted_sum(np.ones(3), np.ones(3), 0.0), r"X must have shape \(N, D\), got shape \(3,\)"),
        (lambda: weighted_sum(np.ones((2, 3)), np.ones(4), 0.0), r"w must have shape \(3,\), got shape \(4,\)"),
        (lambda: weighted_sum(np.ones((2, 3)), np.ones(3), np.ones(2)), r"b must have shape \(\)"),
        (lambda: weighted_sum(np.ones((2, 3)), np.ones(3), np.nan), "b contains NaN"),
        (lambda: weighted_sum(np.full((2, 3), np.inf), np.ones(3), 0.0), "X contains NaN or infinite"),
        (lambda: neuron(np.ones((2, 3)), np.ones(3), 0.0, "sigmoid"), "activation must be a callable"),
        (lambda: neuron(np.ones((2, 3)), np.ones(3), 0.0, np.sum), "activation must be element-wise"),
        (lambda: step(np.array(["x"])), "z must be a numeric array"),
        (lambda: perceptron_predict(np.ones((2, 3)), np.ones(2), 0.0), r"w must have shape \(3,\)"),
        (lambda: perceptron_train(np.ones((4, 2)), np.array([0, 1, 2, 0])), r"y must hold labels in \[0, 2\)"),
        (lambda: perceptron_train(np.ones((4, 2)), np.array([0, 1, 1])), r"y must have shape \(4,\)"),
        (lambda: perceptron_train(np.ones((4, 2)), np.array([0.5, 1, 1, 0])), "y must hold integer class labels"),
        (lambda: perceptron_train(BOOLEAN_INPUTS, AND, lr=0.0), "lr must be a positive number"),
        (lambda: perceptron_train(BOOLEAN_INPUTS, AND, epochs=-1), "epochs must be an integer >= 0"),
        (lambda: perceptron_train(BOOLEAN_INPUTS, AND, epochs=2.5), "epochs must be an integer >= 0"),
        (lambda: perceptron_train(BOOLEAN_INPUTS, AND, epochs=True), "epochs must be an integer >= 0"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
