"""Tests of dlcore.mlp: forward, backpropagation and prediction of an MLP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcore.gradcheck import check_gradient, numerical_backward, relative_error
from dlcore.layers import init_network
from dlcore.losses import softmax_cross_entropy
from dlcore.mlp import backward, forward, predict

ACTIVATIONS = ["relu", "sigmoid", "tanh"]

# A hand-computed network: z1 = X W1 + b1 = [[0, -1.5], [3, -0.5]], h = relu(z1) = [[0, 0], [3, 0]]
X_HAND = np.array([[1.0, -1.0], [2.0, 1.0]])
PARAMS_HAND = [
    (np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([0.0, 0.5])),
    (np.array([[1.0, -1.0, 0.0], [2.0, 0.0, 1.0]]), np.array([0.0, 0.0, 1.0])),
]


def _network(seed: int, sizes: list[int], n: int):
    """Inputs, labels and parameters (Xavier weights, small random biases)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    params = [(W, 0.1 * rng.standard_normal(b.shape)) for W, b in init_network(sizes, rng, scheme="xavier")]
    y = rng.integers(0, sizes[-1], n)
    return X, y, params


def _replace(params, layer, which, value):
    new = list(params)
    W, b = new[layer]
    new[layer] = (value, b) if which == 0 else (W, value)
    return new


@st.composite
def networks(draw, dtype=np.float64):
    sizes = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    n = draw(st.integers(1, 5))
    width = 32 if dtype == np.float32 else 64
    elements = st.floats(-3, 3, allow_nan=False, width=width)
    X = draw(hnp.arrays(dtype, (n, sizes[0]), elements=elements))
    params = [
        (draw(hnp.arrays(dtype, (a, b), elements=elements)), draw(hnp.arrays(dtype, (b,), elements=elements)))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    return X, params, draw(st.sampled_from(ACTIVATIONS))


# ------------------------------------------------------------------ known values


def test_forward_and_predict_known_values():
    scores, caches = forward(X_HAND, PARAMS_HAND)
    np.testing.assert_array_equal(scores, [[0.0, 0.0, 1.0], [3.0, -3.0, 1.0]])
    assert len(caches) == 2
    np.testing.assert_array_equal(predict(X_HAND, PARAMS_HAND), [2, 0])
    assert predict(X_HAND, PARAMS_HAND).dtype.kind == "i"


def test_backward_known_values():
    # dh = dscores W2^T = [[1, 2], [-1, 0]], dz1 = dh * (z1 > 0) = [[0, 0], [-1, 0]]
    _, caches = forward(X_HAND, PARAMS_HAND)
    (dW1, db1), (dW2, db2) = backward(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), caches)
    np.testing.assert_array_equal(dW2, [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])  # h^T dscores
    np.testing.assert_array_equal(db2, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(dW1, [[-2.0, 0.0], [-1.0, 0.0]])  # X^T dz1
    np.testing.assert_array_equal(db1, [-1.0, 0.0])


@pytest.mark.parametrize(
    ("activation", "hidden"),
    [
        ("sigmoid", 1 / (1 + np.exp(-np.array([[0.0, -1.5], [3.0, -0.5]])))),
        ("tanh", np.tanh([[0.0, -1.5], [3.0, -0.5]])),
    ],
)
def test_forward_uses_the_named_activation(activation, hidden):
    W2, b2 = PARAMS_HAND[1]
    scores, _ = forward(X_HAND, PARAMS_HAND, activation=activation)
    np.testing.assert_allclose(scores, hidden @ W2 + b2, rtol=1e-14)


def test_a_single_layer_network_is_a_dense_layer():
    W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])
    scores, caches = forward(X_HAND, [(W, b)], activation="tanh")  # no activation on the output layer
    np.testing.assert_array_equal(scores, [[-1.5, -2.5], [5.5, 7.5]])
    (dW, db), = backward(np.ones((2, 2)), caches)
    np.testing.assert_array_equal(dW, [[3.0, 3.0], [0.0, 0.0]])
    np.testing.assert_array_equal(db, [2.0, 2.0])


# ------------------------------------------------------------------ gradients


# (seed, layer sizes, N): the elementwise relative error is dominated by the
# smallest gradient entries, so these fixed networks have none tiny (their
# errors are ~1e-9, well below 1e-7).
END_TO_END = [(9, [3, 4, 3], 3), (13, [3, 4, 3], 3), (34, [4, 5, 4, 3], 2), (20, [4, 5, 4, 3], 3)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("seed", "sizes", "n"), END_TO_END)
def test_end_to_end_gradient_through_softmax_cross_entropy(seed, sizes, n, activation):
    X, y, params = _network(seed, sizes, n)
    scores, caches = forward(X, params, activation)
    _, dscores = softmax_cross_entropy(scores, y)
    grads = backward(dscores, caches)
    if activation == "relu":  # no kink of relu within reach of the finite differences
        h = X
        for W, b in params[:-1]:
            z = h @ W + b
            assert np.abs(z).min() > 1e-3
            h = np.maximum(z, 0)
    for layer, (W, b) in enumerate(params):
        for which, value in enumerate((W, b)):
            result = check_gradient(
                lambda v: softmax_cross_entropy(forward(X, _replace(params, layer, which, v), activation)[0], y)[0],
                value,
                grads[layer][which],
                eps=1e-5,
            )
            name = f"{'dW' if which == 0 else 'db'}{layer + 1}"
            assert result.max_relative_error < 1e-7, f"{name}:\n{result}"


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 2, 4])
def test_backward_matches_centred_differences_of_the_scores(seed, activation):
    # The vector-Jacobian product of the whole network, checked entry by entry
    # (fixed networks whose smallest gradient entries are not tiny; errors ~2e-9).
    X, _, params = _network(seed, [4, 5, 4, 3], 4)
    dscores = np.random.default_rng(100 + seed).standard_normal((4, 3))
    grads = backward(dscores, forward(X, params, activation)[1])
    for layer, (W, b) in enumerate(params):
        for which, value in enumerate((W, b)):
            numeric = numerical_backward(
                lambda v: forward(X, _replace(params, layer, which, v), activation)[0],
                [value],
                dscores,
                wrt=0,
                eps=1e-5,
            )
            assert relative_error(grads[layer][which], numeric) < 1e-7


def test_gradient_check_would_catch_a_missing_activation_derivative():
    X, _, params = _network(0, [4, 5, 3], 4)
    dscores = np.ones((4, 3))
    W2 = params[1][0]
    wrong_dW1 = X.T @ (dscores @ W2.T)  # forgot to multiply by tanh'(z1)
    numeric = numerical_backward(
        lambda v: forward(X, _replace(params, 0, 0, v), "tanh")[0], [params[0][0]], dscores, wrt=0
    )
    assert relative_error(wrong_dW1, numeric) > 0.01


def test_a_hidden_layer_learns_xor():
    # Plain gradient descent with forward/backward: what the perceptron cannot do.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    params = init_network([2, 8, 2], np.random.default_rng(0), scheme="xavier")
    first_loss = softmax_cross_entropy(forward(X, params, "tanh")[0], y)[0]
    for _ in range(500):
        scores, caches = forward(X, params, "tanh")
        _, dscores = softmax_cross_entropy(scores, y)
        params = [(W - 0.5 * dW, b - 0.5 * db) for (W, b), (dW, db) in zip(params, backward(dscores, caches))]
    assert softmax_cross_entropy(forward(X, params, "tanh")[0], y)[0] < 0.1 * first_loss
    np.testing.assert_array_equal(predict(X, params, "tanh"), y)


# ------------------------------------------------------------------ properties


@given(networks())
@settings(deadline=None, max_examples=50)
def test_shapes_batch_consistency_and_inputs_unchanged(net):
    X, params, activation = net
    before = (X.copy(), [(W.copy(), b.copy()) for W, b in params])
    scores, caches = forward(X, params, activation)
    n, c = X.shape[0], params[-1][0].shape[1]
    assert scores.shape == (n, c) and len(caches) == len(params)
    for i in range(n):
        row = forward(X[i : i + 1], params, activation)[0][0]
        np.testing.assert_allclose(scores[i], row, rtol=1e-12, atol=1e-12)
    grads = backward(np.ones((n, c)), caches)
    assert [(dW.shape, db.shape) for dW, db in grads] == [(W.shape, b.shape) for W, b in params]
    labels = predict(X, params, activation)
    assert labels.shape == (n,) and np.all((labels >= 0) & (labels < c))
    np.testing.assert_array_equal(labels, np.argmax(scores, axis=1))
    np.testing.assert_array_equal(X, before[0])
    for (W, b), (W0, b0) in zip(params, before[1]):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


@given(networks(np.float32))
@settings(deadline=None, max_examples=30)
def test_float32_stays_float32(net):
    X, params, activation = net
    scores, caches = forward(X, params, activation)
    assert scores.dtype == np.float32
    grads = backward(np.ones(scores.shape, dtype=np.float32), caches)
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: forward(X_HAND, PARAMS_HAND, "softplus"), "activation must be one of 'relu', 'sigmoid', 'tanh'"),
        (lambda: predict(X_HAND, PARAMS_HAND, activation=None), "activation must be one of"),
        (lambda: forward(X_HAND, []), "params must be a non-empty list"),
        (lambda: forward(X_HAND, PARAMS_HAND[0]), r"params\[0\] must be a pair \(W1, b1\)"),
        (lambda: forward(np.ones(2), PARAMS_HAND), r"X must have shape \(N, D\), got shape \(2,\)"),
        (
            lambda: forward(np.ones((2, 3)), PARAMS_HAND),
            r"W1 \(params\[0\]\[0\]\) must have shape \(3, M\), got shape \(2, 2\)",
        ),
        (
            lambda: forward(X_HAND, [PARAMS_HAND[0], (np.ones((3, 2)), np.ones(2))]),
            r"W2 \(params\[1\]\[0\]\) must have shape \(2, M\)",
        ),
        (lambda: forward(X_HAND, [(np.ones((2, 2)), np.ones(3))]), r"b1 \(params\[0\]\[1\]\) must have shape \(2,\)"),
        (lambda: forward(X_HAND, [(np.ones((2, 2)), np.array([np.nan, 0.0]))]), r"b1 \(params\[0\]\[1\]\) contains NaN"),
        (
            lambda: backward(np.ones((2, 2)), forward(X_HAND, PARAMS_HAND)[1]),
            r"dscores must have shape \(2, 3\), got shape \(2, 2\)",
        ),
        (lambda: backward(np.ones((2, 3)), ()), "caches must be the non-empty list returned by forward"),
        (lambda: backward(np.ones((2, 3)), [None]), r"caches\[0\] is not a cache returned by forward"),
        (lambda: backward(np.ones((2, 3)), forward(X_HAND, PARAMS_HAND)[1][::-1]), "output layer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
