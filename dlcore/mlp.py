"""A multilayer perceptron as plain functions (chapters 05 forward and 06 backprop).

The network is a list of parameters ``params = [(W1, b1), ..., (WL, bL)]``
with W_l of shape (M_{l-1}, M_l) and b_l of shape (M_l,), M_0 = D and
M_L = C. Hidden layers are a dense layer followed by an activation; the last
layer is dense only, so it returns scores (logits), to be fed to e.g.
:func:`dlcore.losses.softmax_cross_entropy`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcore._validate import as_float_array
from dlcore.layers import (
    dense_backward,
    dense_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)

__all__ = ["ACTIVATIONS", "backward", "forward", "predict"]

#: Hidden-layer activations by name: (forward, backward) pairs of dlcore.layers.
ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def _check_params(params: object, n_features: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate ``params`` as a chain of (W, b) pairs starting from D inputs."""
    if not isinstance(params, Sequence) or isinstance(params, (str, bytes)) or len(params) == 0:
        raise ValueError("params must be a non-empty list [(W1, b1), ..., (WL, bL)]")
    checked = []
    fan_in = n_features
    for layer, pair in enumerate(params, start=1):
        if not (isinstance(pair, Sequence) and len(pair) == 2):
            raise ValueError(f"params[{layer - 1}] must be a pair (W{layer}, b{layer})")
        W = as_float_array(pair[0], f"W{layer} (params[{layer - 1}][0])", (fan_in, "M"))
        b = as_float_array(pair[1], f"b{layer} (params[{layer - 1}][1])", (W.shape[1],))
        checked.append((W, b))
        fan_in = W.shape[1]
    return checked


def _activation(activation: object) -> tuple:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        valid = ", ".join(repr(name) for name in ACTIVATIONS)
        raise ValueError(f"activation must be one of {valid}, got {activation!r}")
    return ACTIVATIONS[activation]


def forward(
    X: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]], activation: str = "relu"
) -> tuple[np.ndarray, list]:
    """Forward pass of a multilayer perceptron.

    h_0 = X;  h_l = act(h_{l-1} @ W_l + b_l) for l < L;  scores = h_{L-1} @ W_L + b_L

    Args:
        X: inputs of shape (N, D).
        params: ``[(W1, b1), ..., (WL, bL)]``, W_l of shape (M_{l-1}, M_l),
            b_l of shape (M_l,), with M_0 = D.
        activation: hidden-layer activation, ``"relu"``, ``"sigmoid"`` or
            ``"tanh"``.

    Returns:
        ``(scores, caches)``: scores of shape (N, C) with C = M_L, and one
        cache per layer, ``(dense_cache, activation_backward, activation_cache)``
        (the last two are ``None`` for the output layer), for :func:`backward`.
    """
    act_forward, act_backward = _activation(activation)
    X = as_float_array(X, "X", ("N", "D"))
    layers = _check_params(params, X.shape[1])
    caches = []
    h = X
    for W, b in layers[:-1]:
        z, dense_cache = dense_forward(h, W, b)
        h, act_cache = act_forward(z)
        caches.append((dense_cache, act_backward, act_cache))
    scores, dense_cache = dense_forward(h, *layers[-1])
    caches.append((dense_cache, None, None))
    return scores, caches


def backward(dscores: np.ndarray, caches: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """Backward pass of a multilayer perceptron (backpropagation).

    dz_L = dscores;  dh_{l-1}, dW_l, db_l = dense_backward(dz_l);  dz_{l-1} = act_backward(dh_{l-1})

    The gradient with respect to X is not needed, so the first layer skips
    its (N, D) product.

    Args:
        dscores: gradient of the loss with respect to the scores, shape (N, C).
        caches: the caches returned by :func:`forward`.

    Returns:
        ``[(dW1, db1), ..., (dWL, dbL)]``, shaped like ``params``.
    """
    if not isinstance(caches, list) or len(caches) == 0:
        raise ValueError("caches must be the non-empty list returned by forward")
    last = len(caches) - 1
    grads = []
    dh = None
    for layer in range(last, -1, -1):
        entry = caches[layer]
        valid = isinstance(entry, tuple) and len(entry) == 3
        if not (valid and isinstance(entry[0], tuple) and len(entry[0]) == 3):
            raise ValueError(f"caches[{layer}] is not a cache returned by forward")
        dense_cache, act_backward, act_cache = entry
        if layer == last:
            if act_backward is not None:
                raise ValueError(f"caches[{layer}] must be the output layer's cache (the last from forward)")
            X, W = dense_cache[0], dense_cache[1]
            dz = as_float_array(dscores, "dscores", (np.shape(X)[0], np.shape(W)[1]))
        else:
            if act_backward is None:
                raise ValueError(f"caches[{layer}] is an output layer's cache but is not the last one")
            dz = act_backward(dh, act_cache)
        if layer > 0:
            dh, dW, db = dense_backward(dz, dense_cache)
        else:
            X, W, b = dense_cache
            dW = (X.T @ dz).astype(W.dtype, copy=False)
            db = dz.sum(axis=0).astype(b.dtype, copy=False)
        grads.append((dW, db))
    grads.reverse()
    return grads


def predict(
    X: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]], activation: str = "relu"
) -> np.ndarray:
    """Class predicted by a multilayer perceptron for each sample.

    y_hat[n] = argmax_c scores[n, c]

    Args:
        X: inputs of shape (N, D).
        params: ``[(W1, b1), ..., (WL, bL)]`` as for :func:`forward`.
        activation: hidden-layer activation, ``"relu"``, ``"sigmoid"`` or
            ``"tanh"``.

    Returns:
        Integer (int64) labels of shape (N,), values in [0, C).
    """
    scores, _ = forward(X, params, activation)
    return np.argmax(scores, axis=1).astype(np.int64, copy=False)
