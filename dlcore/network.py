"""Layer objects, a Sequential model and a training loop (chapters 07 to 09).

Each layer is a thin wrapper over the functional pairs of :mod:`dlcore.layers`
and :mod:`dlcore.conv`: ``forward(x)`` returns the output and keeps the cache,
``backward(dout)`` returns the gradient with respect to the input and keeps
the gradients of the layer's parameters. ``params()`` and ``grads()`` list
them in the same order.

A :class:`Sequential` model chains layers. One training step is::

    logits = model.forward(X)
    loss, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits)
    model.set_parameters(optimizer.step(model.parameters(), model.grads()))

and :func:`fit` runs it over minibatches for several epochs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from dlcore._validate import as_float_array, as_labels, check_same_shape
from dlcore.conv import _check_int, _conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward
from dlcore.layers import (
    dense_backward, dense_forward, init_layer,
    leaky_relu_backward, leaky_relu_forward,
    relu_backward, relu_forward,
    sigmoid_backward, sigmoid_forward,
    tanh_backward, tanh_forward,
)

__all__ = [
    "Layer", "Dense", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Conv2D", "MaxPool2D", "Flatten",
    "Sequential", "fit", "accuracy", "lenet5",
]


def _float_dtype(dtype: object) -> np.dtype:
    if dtype not in (np.float32, np.float64, np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}")
    return np.dtype(dtype)


class Layer:
    """Base class of the layers: ``forward(x) -> out`` and ``backward(dout) -> dx``; no parameters."""

    _cache: Any = None

    def _saved(self) -> Any:
        if self._cache is None:
            raise ValueError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def params(self) -> list[np.ndarray]:
        """The layer's parameter arrays (empty for a layer without parameters)."""
        return []

    def grads(self) -> list[np.ndarray]:
        """Gradients of the parameters from the last backward, in the order of ``params()``."""
        return []

    def backward_params(self, dout: np.ndarray) -> None:
        """Like ``backward`` but only the parameters' gradients are needed (no dx)."""
        self.backward(dout)

    def set_params(self, params: Sequence[np.ndarray]) -> None:
        """Replace the parameters (same shapes, in the order of ``params()``)."""
        if len(params) != 0:
            raise ValueError(f"{type(self).__name__} has no parameters, got {len(params)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ParamLayer(Layer):
    """A layer with a weight W and a bias b."""

    W: np.ndarray
    b: np.ndarray
    dW: np.ndarray | None = None
    db: np.ndarray | None = None

    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    def grads(self) -> list[np.ndarray]:
        if self.dW is None or self.db is None:
            raise ValueError(f"{type(self).__name__}.grads called before backward")
        return [self.dW, self.db]

    def set_params(self, params: Sequence[np.ndarray]) -> None:
        if len(params) != 2:
            raise ValueError(f"{type(self).__name__} has 2 parameters (W, b), got {len(params)}")
        W, b = as_float_array(params[0], "W"), as_float_array(params[1], "b")
        check_same_shape(W, "W", self.W.shape)
        check_same_shape(b, "b", self.b.shape)
        self.W, self.b = W, b


class Dense(_ParamLayer):
    """Fully connected layer: out = x @ W + b, x (N, D), W (D, M), b (M,).

    Args:
        n_in, n_out: D inputs and M units.
        rng: random generator of the initial weights (:func:`dlcore.layers.init_layer`).
        scheme: ``"he"`` or ``"xavier"``.
        dtype: dtype of the parameters, float64 (default) or float32.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, scheme: str = "he", *, dtype: object = np.float64) -> None:
        W, b = init_layer(n_in, n_out, rng, scheme)
        dtype = _float_dtype(dtype)
        self.W, self.b = W.astype(dtype), b.astype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = dense_forward(x, self.W, self.b)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.dW, self.db = dense_backward(dout, self._saved())
        return dx

    def __repr__(self) -> str:
        return f"Dense{self.W.shape}"


class Conv2D(_ParamLayer):
    """2-D convolution (cross-correlation): x (N, C, H, W) -> (N, F, Ho, Wo), see :func:`dlcore.conv.conv2d_forward`.

    W (F, C, HH, WW) is drawn with He initialisation, std = sqrt(2 / (C HH WW)); b (F,) starts at 0.

    Args:
        c_in, c_out: C input channels and F filters.
        kernel: HH = WW, or a pair (HH, WW).
        rng: random generator of the initial weights.
        stride, pad: step between receptive fields and zeros added on each side.
        dtype: dtype of the parameters, float64 (default) or float32.
    """

    def __init__(
        self, c_in: int, c_out: int, kernel: int | tuple[int, int], rng: np.random.Generator,
        stride: int = 1, pad: int = 0, *, dtype: object = np.float64,
    ) -> None:  # fmt: skip
        hh, ww = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
        for value, name in ((c_in, "c_in"), (c_out, "c_out"), (hh, "kernel"), (ww, "kernel"), (stride, "stride")):
            _check_int(value, name, 1)
        _check_int(pad, "pad", 0)
        # W (C HH WW, F) with std sqrt(2 / (C HH WW)), then one filter per row.
        W, b = init_layer(c_in * hh * ww, c_out, rng, "he")
        dtype = _float_dtype(dtype)
        self.W = np.ascontiguousarray(W.T.reshape(c_out, c_in, hh, ww), dtype=dtype)
        self.b = b.astype(dtype)
        self.stride, self.pad = stride, pad

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = conv2d_forward(x, self.W, self.b, self.stride, self.pad)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.dW, self.db = _conv2d_backward(dout, self._saved(), input_grad=True)
        return dx

    def backward_params(self, dout: np.ndarray) -> None:
        # The first layer of a model needs no dx: skip the costly col2im.
        _, self.dW, self.db = _conv2d_backward(dout, self._saved(), input_grad=False)

    def __repr__(self) -> str:
        F, C, hh, ww = self.W.shape
        return f"Conv2D({C}, {F}, ({hh}, {ww}), stride={self.stride}, pad={self.pad})"


class _Wrapper(Layer):
    """A layer without parameters over a functional pair: forward(x, *args) -> (out, cache), backward(dout, cache)."""

    _pair: tuple[Callable[..., tuple[np.ndarray, Any]], Callable[..., np.ndarray]]
    _args: tuple[Any, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = self._pair[0](x, *self._args)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._pair[1](dout, self._saved())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(a) for a in self._args)})"


class ReLU(_Wrapper):
    """out = max(0, x), element-wise."""

    _pair = (relu_forward, relu_backward)


class Sigmoid(_Wrapper):
    """out = 1 / (1 + exp(-x)), element-wise."""

    _pair = (sigmoid_forward, sigmoid_backward)


class Tanh(_Wrapper):
    """out = tanh(x), element-wise."""

    _pair = (tanh_forward, tanh_backward)


class LeakyReLU(_Wrapper):
    """out = x if x > 0 else alpha x, element-wise, with slope ``alpha`` for x <= 0."""

    _pair = (leaky_relu_forward, leaky_relu_backward)

    def __init__(self, alpha: float = 0.01) -> None:
        self._args = (alpha,)


class MaxPool2D(_Wrapper):
    """Max pooling over size x size windows moved by ``stride``, see :func:`dlcore.conv.maxpool_forward`."""

    _pair = (maxpool_forward, maxpool_backward)

    def __init__(self, size: int = 2, stride: int = 2) -> None:
        self.size, self.stride = size, stride

    @property
    def _args(self) -> tuple[int, int]:  # one copy of the settings: forward and repr read size and stride
        return (self.size, self.stride)


class Flatten(Layer):
    """Keep the batch axis, flatten the others: (N, C, H, W) -> (N, C H W)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.ndim < 1:
            raise ValueError(f"x must have shape (N, ...), got shape {x.shape}")
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        shape = self._saved()
        dout = as_float_array(dout, "dout", (shape[0], "D"))
        return dout.reshape(shape)


class Sequential:
    """Layers applied one after the other, ``layers`` first to last."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layers[{i}] must be a dlcore.network layer, got {type(layer).__name__}")
        self.layers = layers

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output of the last layer; every layer keeps its cache for ``backward``."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``dout`` (gradient w.r.t. the output); every layer keeps its parameters' gradients.

        Returns the gradient w.r.t. the input of the last ``forward``. Training
        does not need it: with ``input_grad=False`` the first layer with
        parameters computes only their gradients, the layers before it are
        skipped, and None is returned.
        """
        first = 0
        if not input_grad:
            with_params = [i for i, layer in enumerate(self.layers) if layer.params()]
            if not with_params:
                return None
            first = with_params[0]
        for i in range(len(self.layers) - 1, first - 1, -1):
            if i == first and not input_grad:
                self.layers[i].backward_params(dout)
                return None
            dout = self.layers[i].backward(dout)
        return dout

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, layer by layer (e.g. [W1, b1, W2, b2, ...])."""
        return [p for layer in self.layers for p in layer.params()]

    def grads(self) -> list[np.ndarray]:
        """Gradients from the last ``backward``, in the order of ``parameters()``."""
        return [g for layer in self.layers for g in layer.grads()]

    def set_parameters(self, params: Sequence[np.ndarray]) -> None:
        """Replace every parameter, e.g. with the list returned by ``optimizer.step``.

        Raises:
            ValueError: when the number or a shape of the arrays differs from ``parameters()``.
        """
        params = list(params)
        counts = [len(layer.params()) for layer in self.layers]
        if len(params) != sum(counts):
            raise ValueError(f"the model has {sum(counts)} parameter arrays, got {len(params)}")
        start = 0
        for layer, count in zip(self.layers, counts):
            layer.set_params(params[start : start + count])
            start += count

    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Predicted classes, the argmax of each sample's outputs, shape (N,); runs in batches to bound memory."""
        X = as_float_array(X, "X")
        parts = [np.argmax(self.forward(X[i : i + batch_size]), axis=1) for i in range(0, len(X), batch_size)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {layer!r}" for layer in self.layers)
        return f"Sequential([\n{inner}\n])"


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Share of samples whose predicted class is the label: mean(predict(X) == y)."""
    X = as_float_array(X, "X")
    y = as_labels(y, "y", X.shape[0])
    return float(np.mean(model.predict(X) == y))


def _evaluate(model: Sequential, loss: Callable, X: np.ndarray, y: np.ndarray, batch: int = 1024) -> tuple[float, float]:
    total, correct = 0.0, 0
    for i in range(0, len(X), batch):
        logits = model.forward(X[i : i + batch])
        total += loss(logits, y[i : i + batch])[0] * len(logits)
        correct += int(np.sum(np.argmax(logits, axis=1) == y[i : i + batch]))
    return total / len(X), correct / len(X)


def fit(
    model: Sequential, loss: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]], optimizer: Any,
    X: np.ndarray, y: np.ndarray, epochs: int, batch_size: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None, rng: np.random.Generator | int | None = None,
    progress: bool = True,
) -> dict[str, list[float]]:  # fmt: skip
    """Train ``model`` by minibatch gradient descent.

    for each epoch, for each minibatch (X_b, y_b) of a new random permutation:
        L, dlogits = loss(model.forward(X_b), y_b);  model.backward(dlogits);
        model.set_parameters(optimizer.step(model.parameters(), model.grads()))

    Args:
        model: the model to train (its parameters are replaced at every step).
        loss: ``loss(logits, y) -> (L, dlogits)``, e.g. :func:`dlcore.losses.softmax_cross_entropy`.
        optimizer: an object with ``step(params, grads) -> new_params`` (:mod:`dlcore.optim`).
        X: training samples, shape (N, ...) as the first layer expects.
        y: integer labels of shape (N,).
        epochs: number of passes over the data, >= 1.
        batch_size: samples per step, >= 1 (the last batch may be smaller).
        validation: optional ``(X_val, y_val)`` evaluated after every epoch.
        rng: generator or seed of the shuffling (``None``: seed 0).
        progress: show a tqdm progress bar (one tick per minibatch).

    Returns:
        History, one entry per epoch: ``"loss"`` (mean training loss over the
        epoch's minibatches), ``"accuracy"`` (training accuracy of the
        minibatches as they were seen, before each step), ``"time"`` (seconds
        since the start, validation excluded), and with ``validation`` also
        ``"val_loss"`` and ``"val_accuracy"``.
    """
    for ok, what, value in (
        (isinstance(model, Sequential), "model must be a Sequential", model),
        (callable(loss), "loss must be callable as loss(logits, y) -> (L, dlogits)", loss),
        (callable(getattr(optimizer, "step", None)), "optimizer must have a step(params, grads) method", optimizer),
        (validation is None or isinstance(validation, (tuple, list)) and len(validation) == 2,
         "validation must be a pair (X_val, y_val)", validation),
    ):
        if not ok:
            raise ValueError(f"{what}, got {type(value).__name__}")
    X = as_float_array(X, "X")
    if X.ndim < 1 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (N, ...) with N >= 1, got shape {X.shape}")
    y = as_labels(y, "y", X.shape[0])
    epochs, batch_size = _check_int(epochs, "epochs", 1), _check_int(batch_size, "batch_size", 1)
    if validation is not None:
        X_val = as_float_array(validation[0], "X_val")
        y_val = as_labels(validation[1], "y_val", X_val.shape[0])
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        rng = np.random.default_rng(0 if rng is None else int(rng))
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator, an integer seed or None, got {type(rng).__name__}")

    n = X.shape[0]
    keys = ["loss", "accuracy", "time"] + (["val_loss", "val_accuracy"] if validation is not None else [])
    history: dict[str, list[float]] = {key: [] for key in keys}
    bar = tqdm(total=epochs * -(-n // batch_size), unit="batch", disable=not progress)
    elapsed = 0.0
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            total, correct = 0.0, 0
            for i in range(0, n, batch_size):
                idx = order[i : i + batch_size]
                yb = y[idx]
                logits = model.forward(X[idx])
                value, dlogits = loss(logits, yb)
                model.backward(dlogits, input_grad=False)
                model.set_parameters(optimizer.step(model.parameters(), model.grads()))
                total += value * len(idx)
                correct += int(np.sum(np.argmax(logits, axis=1) == yb))
                bar.update(1)
            elapsed += time.perf_counter() - start
            values = [total / n, correct / n, elapsed]
            if validation is not None:
                values += _evaluate(model, loss, X_val, y_val)
            for key, value in zip(keys, values):
                history[key].append(value)
            bar.set_postfix({"epoch": epoch + 1, **{k: f"{v:.4f}" for k, v in zip(keys, values) if k != "time"}}, refresh=False)
    finally:
        bar.close()
    return history


def lenet5(rng: np.random.Generator, *, dtype: object = np.float64) -> Sequential:
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling, for (N, 1, 32, 32) images and 10 classes.

    conv 6@5x5 -> relu -> pool 2 -> conv 16@5x5 -> relu -> pool 2 -> flatten (400) -> dense 120 -> relu -> dense 84 -> relu -> dense 10

    Shapes: (N, 1, 32, 32) -> (N, 6, 28, 28) -> (N, 6, 14, 14) -> (N, 16, 10, 10)
    -> (N, 16, 5, 5) -> (N, 400) -> (N, 120) -> (N, 84) -> (N, 10) logits.

    Args:
        rng: random generator of the initial weights.
        dtype: dtype of the parameters, float64 (default) or float32 (faster).

    Returns:
        The untrained model (61,706 parameters).
    """
    return Sequential([
        Conv2D(1, 6, 5, rng, dtype=dtype), ReLU(), MaxPool2D(2, 2),
        Conv2D(6, 16, 5, rng, dtype=dtype), ReLU(), MaxPool2D(2, 2),
        Flatten(),
        Dense(400, 120, rng, dtype=dtype), ReLU(),
        Dense(120, 84, rng, dtype=dtype), ReLU(),
        Dense(84, 10, rng, dtype=dtype),
    ])
