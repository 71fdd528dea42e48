"""Tests of dlcore.network: layer gradients, Sequential, fit, LeNet-5 and an MLP that learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from threadpoolctl import threadpool_limits

from dlcore.data import digits, spirals, train_test_split
from dlcore.gradcheck import numerical_backward, numerical_gradient, relative_error
from dlcore.losses import softmax_cross_entropy
from dlcore.network import (
    Conv2D,
    Dense,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    accuracy,
    fit,
    lenet5,
)
from dlcore.optim import SGD, Adam, Momentum


def rng(seed=0):
    return np.random.default_rng(seed)


# (name, layer factory, input shape); inputs are drawn away from ReLU's kink and pooling ties
LAYERS = [
    ("dense", lambda: Dense(4, 3, rng(1)), (5, 4)),
    ("dense-xavier", lambda: Dense(3, 2, rng(2), "xavier"), (2, 3)),
    ("relu", ReLU, (3, 4)),
    ("sigmoid", Sigmoid, (3, 4)),
    ("tanh", Tanh, (3, 4)),
    ("leaky-relu", lambda: LeakyReLU(0.2), (3, 4)),
    ("conv", lambda: Conv2D(2, 3, 3, rng(3)), (2, 2, 5, 5)),
    ("conv-stride-pad", lambda: Conv2D(2, 2, (3, 2), rng(4), stride=2, pad=1), (2, 2, 5, 6)),
    ("maxpool", MaxPool2D, (2, 2, 4, 4)),
    ("maxpool-overlap", lambda: MaxPool2D(3, 1), (1, 2, 5, 5)),
    ("flatten", Flatten, (2, 3, 2, 2)),
]


def layer_input(shape, seed=5):
    x = rng(seed).standard_normal(shape)
    return x + 0.05 * np.sign(x)  # no entry near a kink, and still no ties


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_input_gradient(name, make, shape):
    layer, x = make(), layer_input(shape)
    out = layer.forward(x)
    dout = rng(6).standard_normal(out.shape)
    numeric = numerical_backward(lambda v: make().forward(v), [x], dout, 0)
    assert relative_error(layer.backward(dout), numeric) < 1e-7


@pytest.mark.parametrize("name, make, shape", [c for c in LAYERS if c[0].startswith(("dense", "conv"))], ids=lambda c: str(c)[:20])
def test_layer_parameter_gradients(name, make, shape):
    layer, x = make(), layer_input(shape)
    dout = rng(7).standard_normal(layer.forward(x).shape)
    layer.backward(dout)
    for i, (param, grad) in enumerate(zip(layer.params(), layer.grads())):

        def forward_with(value, i=i):
            other = make()
            params = other.params()
            params[i] = value
            other.set_params(params)
            return other.forward(x)

        assert grad.shape == param.shape
        assert relative_error(grad, numerical_backward(forward_with, [param], dout, 0)) < 1e-7


def small_convnet(seed=0):
    r = rng(seed)
    return Sequential([Conv2D(1, 2, 3, r, pad=1), ReLU(), MaxPool2D(), Flatten(), Dense(8, 5, r), Tanh(), Dense(5, 3, r)])


def test_sequential_gradients_by_centred_differences():
    # Seeds chosen so that no gradient entry is tiny: the differences have an
    # absolute rounding error of ~1e-10, too much for a relative 1e-7 on an entry of 1e-5.
    model, X = small_convnet(), rng(9).standard_normal((4, 1, 4, 4))
    dout = rng(10).standard_normal(model.forward(X).shape)
    dX = model.backward(dout)
    assert relative_error(dX, numerical_backward(lambda v: small_convnet().forward(v), [X], dout, 0)) < 1e-7
    params, grads = model.parameters(), model.grads()
    assert [p.shape for p in params] == [(2, 1, 3, 3), (2,), (8, 5), (5,), (5, 3), (3,)]
    for i, (param, grad) in enumerate(zip(params, grads)):

        def forward_with(value, i=i):
            other = small_convnet()
            new = other.parameters()
            new[i] = value
            other.set_parameters(new)
            return other.forward(X)

        assert relative_error(grad, numerical_backward(forward_with, [param], dout, 0)) < 1e-7


def test_sequential_with_a_loss_by_centred_differences():
    X, y = rng(10).standard_normal((3, 1, 4, 4)), np.array([0, 2, 1])
    model = small_convnet()
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    W = model.parameters()[0]

    def loss_at(value):
        other = small_convnet()
        other.set_parameters([value] + other.parameters()[1:])
        return softmax_cross_entropy(other.forward(X), y)[0]

    # the loss is a mean: its gradients are small next to it, so differences lose digits
    assert relative_error(model.grads()[0], numerical_gradient(loss_at, W)) < 1e-5


def test_backward_without_input_gradient_gives_the_same_parameter_gradients():
    X, y = rng(9).standard_normal((3, 1, 4, 4)), np.array([1, 0, 2])
    full, lean = small_convnet(), small_convnet()
    _, d = softmax_cross_entropy(full.forward(X), y)
    full.backward(d)
    lean.forward(X)
    assert lean.backward(d, input_grad=False) is None
    for a, b in zip(full.grads(), lean.grads()):
        np.testing.assert_array_equal(a, b)


def test_set_parameters_and_errors():
    model = small_convnet()
    new = [np.ones_like(p) for p in model.parameters()]
    model.set_parameters(new)
    assert all(np.all(p == 1) for p in model.parameters())
    with pytest.raises(ValueError, match="the model has 6 parameter arrays, got 5"):
        model.set_parameters(new[:5])
    with pytest.raises(ValueError, match=r"W must have shape \(2, 1, 3, 3\), got shape \(2, 1, 2, 2\)"):
        model.set_parameters([np.ones((2, 1, 2, 2))] + new[1:])
    with pytest.raises(ValueError, match="Dense.grads called before backward"):
        Sequential([Dense(2, 2, rng())]).grads()
    with pytest.raises(ValueError, match="ReLU.backward called before forward"):
        ReLU().backward(np.ones(2))
    with pytest.raises(ValueError, match=r"layers\[1\] must be a dlcore.network layer, got function"):
        Sequential([ReLU(), lambda x: x])
    with pytest.raises(ValueError, match="kernel must be an integer >= 1, got 0"):
        Conv2D(1, 2, 0, rng())
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        Dense(2, 2, rng(), dtype=np.int64)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]))
def test_lenet5_shapes_dtype_and_batches(n, dtype):
    model = lenet5(rng(), dtype=dtype)
    X = rng(n).random((n, 1, 32, 32)).astype(dtype)
    X_copy = X.copy()
    out = model.forward(X)
    assert out.shape == (n, 10) and out.dtype == dtype
    for i in range(n):
        np.testing.assert_allclose(model.forward(X[i : i + 1])[0], out[i], rtol=1e-4, atol=1e-5)
    assert model.predict(X).shape == (n,)
    np.testing.assert_array_equal(X, X_copy)
    assert all(g.dtype == dtype for g in (model.forward(X), model.backward(np.ones((n, 10), dtype))))


def test_maxpool_layer_names_its_window_and_pools_with_it():
    layer = MaxPool2D(3, 1)
    assert (layer.size, layer.stride) == (3, 1)
    assert layer.forward(np.arange(25.0).reshape(1, 1, 5, 5)).shape == (1, 1, 3, 3)


def test_lenet5_has_61706_parameters():
    assert sum(p.size for p in lenet5(rng()).parameters()) == 61706


def test_fit_history_and_progress_bar(capsys):
    X, y = spirals(60, rng(10))
    model = Sequential([Dense(2, 8, rng(11)), ReLU(), Dense(8, 3, rng(12))])
    history = fit(model, softmax_cross_entropy, SGD(0.1), X, y, epochs=3, batch_size=16, validation=(X[:10], y[:10]), progress=True)
    assert set(history) == {"loss", "accuracy", "time", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.values())
    assert "12/12" in capsys.readouterr().err  # 3 epochs of 4 batches
    history = fit(model, softmax_cross_entropy, SGD(0.1), X, y, epochs=1, batch_size=100, progress=False)
    assert set(history) == {"loss", "accuracy", "time"} and capsys.readouterr().err == ""


def test_fit_is_reproducible_and_checks_arguments():
    X, y = spirals(50, rng(13))

    def run():
        model = Sequential([Dense(2, 6, rng(14)), Tanh(), Dense(6, 3, rng(15))])
        return fit(model, softmax_cross_entropy, Momentum(0.1), X, y, 2, 8, rng=3, progress=False)["loss"]

    assert run() == run()
    model = Sequential([Dense(2, 3, rng())])
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        fit(model, softmax_cross_entropy, SGD(0.1), X, y, 0, 8, progress=False)
    with pytest.raises(ValueError, match=r"y must have shape \(50,\), got shape \(49,\)"):
        fit(model, softmax_cross_entropy, SGD(0.1), X, y[:-1], 1, 8, progress=False)
    with pytest.raises(ValueError, match="optimizer must have a step"):
        fit(model, softmax_cross_entropy, "adam", X, y, 1, 8, progress=False)


# ------------------------------------------------------------------------- training
# One BLAS thread: under pytest-xdist every worker would otherwise start one per
# core, and oversubscribed OpenBLAS threads slow small products down many times.


def test_lenet5_learns_digits_to_97_percent():
    X_tr, y_tr, X_te, y_te = digits(32, rng=0, dtype=np.float32)
    model = lenet5(rng(0), dtype=np.float32)
    optimizer = Adam(2e-3)
    with threadpool_limits(1, user_api="blas"):
        fit(model, softmax_cross_entropy, optimizer, X_tr, y_tr, epochs=4, batch_size=32, rng=0, progress=False)
        optimizer.lr = 5e-4  # a smaller step for the last epoch steadies the weights
        history = fit(model, softmax_cross_entropy, optimizer, X_tr, y_tr, 1, 32, validation=(X_te, y_te), rng=1, progress=False)
    assert history["val_accuracy"][-1] == accuracy(model, X_te, y_te) >= 0.97


def test_mlp_learns_spirals_to_95_percent():
    X, y = spirals(900, rng(0))
    X_tr, y_tr, X_te, y_te = train_test_split(X, y, rng(1))
    r = rng(2)
    model = Sequential([Dense(2, 100, r), ReLU(), Dense(100, 100, r), ReLU(), Dense(100, 3, r)])
    with threadpool_limits(1, user_api="blas"):
        fit(model, softmax_cross_entropy, Adam(1e-2), X_tr, y_tr, epochs=60, batch_size=64, rng=3, progress=False)
    assert accuracy(model, X_te, y_te) >= 0.95
