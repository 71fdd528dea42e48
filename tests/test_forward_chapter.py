"""Chapter 05 (forward propagation): how the checks treat caches, and composed exercises.

The catalogue of mistakes and the solutions are tested for every chapter by
test_grading.py and test_mutations.py; this file tests what is particular to
exercises that return ``(output, cache)``: the cache is checked for what the
backward pass needs, in any layout, and never compared with the reference's.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlcore import layers, mlp
from dlcore.grading import CheckFailed, check, get_exercise
from dlcore.grading.exercises.forward import WORKED_PARAMS, WORKED_X


def relu_forward(x):
    return np.maximum(x, 0), x


def dense_forward(X, W, b):
    return X @ W + b, (X, W, b)


def _forward_with(entry):
    """A right forward pass whose cache entries are built by ``entry(h_in, W, b, z)``."""
    def forward(X, params, activation="relu"):
        act = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}
        h, caches = X, []
        for W, b in params[:-1]:
            z = h @ W + b
            caches.append(entry(h, W, b, z))
            h = act[activation](z)
        W, b = params[-1]
        caches.append(entry(h, W, b, None))
        return h @ W + b, caches
    return forward


def test_worked_example_matches_the_chapter() -> None:
    scores, _ = mlp.forward(WORKED_X, WORKED_PARAMS)
    np.testing.assert_allclose(scores, [[2.5, -2.0], [-0.5, 1.0]])
    np.testing.assert_array_equal(mlp.predict(WORKED_X, WORKED_PARAMS), [0, 1])


@pytest.mark.parametrize("cache", ["x", "out", "mask"])
def test_relu_cache_may_be_anything_that_says_where_x_is_positive(cache: str) -> None:
    def relu_forward(x):
        out = np.maximum(x, 0)
        return out, {"x": x, "out": out, "mask": x > 0}[cache]

    check(relu_forward, "relu_forward")
    check(relu_forward, "relu_forward", hidden=True, seed=3)


def test_relu_cache_that_loses_the_sign_fails() -> None:
    def relu_forward(x):
        return np.maximum(x, 0), np.abs(x)

    with pytest.raises(CheckFailed, match="cannot tell where x > 0"):
        check(relu_forward, "relu_forward")


@pytest.mark.parametrize(
    "entry",
    [
        lambda h, W, b, z: ((h, W, b), z),                                # the chapter's suggestion
        lambda h, W, b, z: ((h, W, b), layers.relu_backward, z),           # dlcore.mlp's layout
        lambda h, W, b, z: {"input": h, "weights": W, "bias": b, "z": z},  # a dict
        lambda h, W, b, z: [z, [W, [h]]],                                  # nested, any order
    ],
    ids=["suggested", "dlcore", "dict", "nested"],
)
def test_forward_caches_may_have_any_layout(entry) -> None:
    forward = _forward_with(entry)
    check(forward, "forward")
    check(forward, "forward", hidden=True, seed=5)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (lambda h, W, b, z: ((h, b), z), r"caches\[\d\] does not hold W\d"),
        (lambda h, W, b, z: ((h, W, b), None), r"does not hold z\d"),
        (lambda h, W, b, z: ((W, b), z), r"caches\[0\] does not hold the input of layer 1, X"),
    ],
    ids=["no-W", "no-z", "no-input"],
)
def test_forward_caches_missing_what_backward_needs_fail(entry, message: str) -> None:
    with pytest.raises(CheckFailed, match=message):
        check(_forward_with(entry), "forward")


def test_forward_caches_out_of_order_are_named() -> None:
    right = _forward_with(lambda h, W, b, z: ((h, W, b), z))

    def forward(X, params, activation="relu"):
        scores, caches = right(X, params, activation)
        return scores, caches[::-1]

    with pytest.raises(CheckFailed, match="keep caches in layer order"):
        check(forward, "forward")


def test_a_stub_called_by_forward_is_named() -> None:
    def dense_forward(X, W, b):
        raise NotImplementedError()

    def forward(X, params, activation="relu"):
        h = X
        for W, b in params:
            h, _ = dense_forward(h, W, b)
        return h, []

    with pytest.raises(NotImplementedError, match="forward calls dense_forward, which is not written yet"):
        check(forward, "forward")


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("name", ["dense_forward", "relu_forward", "forward"])
def test_failed_hidden_checks_print_no_expected_value(name: str) -> None:
    """Right outputs on the visible inputs, wrong on the hidden ones: the message names no reference value."""
    exercise = get_exercise(name)
    visible = [(c, exercise.reference(*c.args, **c.kwargs)) for c in exercise.visible_cases()]
    hidden = [(c, exercise.reference(*c.args, **c.kwargs)) for c in exercise.hidden_cases(np.random.default_rng(11))]

    def probe(*args, **kwargs):
        for case, (out, cache) in visible:
            if _same(case.args, args) and case.kwargs == kwargs:
                return out, cache
        for case, (out, cache) in hidden:
            if _same(case.args, args) and case.kwargs == kwargs:
                return out + 0.123456789, cache
        return None

    check(probe, name)
    with pytest.raises(CheckFailed) as failure:
        check(probe, name, hidden=True, seed=11)
    message = str(failure.value)
    assert "expected" not in message, message
    printed = [float(t) for t in re.findall(r"-?\d+\.\d{3,}", message)]
    for _, (out, _) in hidden:
        values = np.asarray(out, dtype=float).ravel()
        assert not any(np.isclose(values, p, rtol=1e-5, atol=0).any() for p in printed), message


def test_visible_checks_show_expected_values() -> None:
    def dense_forward(X, W, b):
        return X @ W, (X, W, b)

    with pytest.raises(CheckFailed, match=r"out: first wrong value at index \(0, 0\): expected 2.1, got 2"):
        check(dense_forward, "dense_forward")
