"""Chapter 06 (backpropagation): what its checks promise beyond the catalogue of mistakes.

The catalogue itself is covered for every chapter by test_grading.py (in process) and
test_mutations.py (through nbgrader); these tests pin the behaviours specific to checking
backward passes: caches described by shape, the functions a backward pass may call, and
numerical_gradient's handling of its input.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcore.grading import CheckFailed, check

DENSE_BACKWARD = (
    "def dense_backward(dout, cache):\n"
    "    X, W, b = cache\n"
    "    return dout @ W.T, X.T @ dout, dout.sum(axis=0)\n"
)

BACKWARD_WITH_CACHED_ACTIVATIONS = DENSE_BACKWARD + (
    "def backward(dscores, caches):\n"
    "    grads, dh = [], dscores\n"
    "    for dense_cache, act_backward, act_cache in reversed(caches):\n"
    "        dz = dh if act_backward is None else act_backward(dh, act_cache)\n"
    "        dh, dW, db = dense_backward(dz, dense_cache)\n"
    "        grads.append((dW, db))\n"
    "    return grads[::-1]\n"
)


def student(code: str, name: str) -> object:
    namespace: dict[str, object] = {"np": np}
    exec(code, namespace)  # noqa: S102 - test fixtures
    return namespace[name]


def test_a_failed_check_describes_a_cache_by_its_shapes_not_its_values() -> None:
    wrong = student("def dense_backward(dout, cache):\n    X, W, b = cache\n"
                    "    return dout @ W.T, X.T @ dout, dout.sum(axis=1)\n", "dense_backward")
    with pytest.raises(CheckFailed) as info:
        check(wrong, "dense_backward")
    text = str(info.value)
    assert "[dense-db-wrong-axis]" in text
    assert "cache=(array(2, 3) float64, array(3, 4) float64, array(4,) float64)" in text, text
    assert "array([[" not in text.split("input:")[1].split("\n")[0], "the input line must not print array values"


def test_mlp_caches_are_described_with_the_activation_by_name() -> None:
    wrong = student(BACKWARD_WITH_CACHED_ACTIVATIONS.replace("return grads[::-1]", "return grads"), "backward")
    with pytest.raises(CheckFailed) as info:
        check(wrong, "backward")
    line = next(x for x in str(info.value).splitlines() if "input:" in x)
    assert "relu_backward" in line and "<function" not in line, line


def test_backward_may_call_the_activation_stored_in_the_cache() -> None:
    solution = student(BACKWARD_WITH_CACHED_ACTIVATIONS, "backward")
    check(solution, "backward")
    check(solution, "backward", hidden=True, seed=3)


def test_backward_may_not_call_the_reference_backward_pass() -> None:
    cheat = student("from dlcore import mlp\n\ndef backward(dscores, caches):\n"
                    "    return mlp.backward(dscores, caches)\n", "backward")
    with pytest.raises(CheckFailed, match=r"backward calls dlcore\.mlp\.backward: write your own"):
        check(cheat, "backward")


def test_a_python_loop_over_the_samples_fails_dense_backward() -> None:
    looped = student(
        "def dense_backward(dout, cache):\n"
        "    X, W, b = cache\n"
        "    dW = np.zeros_like(W)\n"
        "    for n in range(X.shape[0]):\n"
        "        dW += np.outer(X[n], dout[n])\n"
        "    return dout @ W.T, dW, dout.sum(axis=0)\n",
        "dense_backward",
    )
    with pytest.raises(CheckFailed, match="runs a Python loop over the samples"):
        check(looped, "dense_backward")


def test_numerical_gradient_may_work_in_place_if_it_restores_every_entry() -> None:
    in_place = student(
        "def numerical_gradient(f, x, eps=1e-6):\n"
        "    grad = np.zeros(x.shape)\n"
        "    work = x.astype(np.float64)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        old = work[i]\n"
        "        work[i] = old + eps\n"
        "        up = f(work)\n"
        "        work[i] = old - eps\n"
        "        down = f(work)\n"
        "        work[i] = old\n"
        "        grad[i] = (up - down) / (2 * eps)\n"
        "    return grad\n",
        "numerical_gradient",
    )
    check(in_place, "numerical_gradient")
    check(in_place, "numerical_gradient", hidden=True, seed=11)


def test_numerical_gradient_input_changed_in_place_is_named() -> None:
    not_restored = student(
        "def numerical_gradient(f, x, eps=1e-6):\n"
        "    grad = np.zeros(x.shape)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        x[i] += eps\n"
        "        up = f(x)\n"
        "        x[i] -= 2 * eps\n"
        "        down = f(x)\n"
        "        grad[i] = (up - down) / (2 * eps)\n"
        "    return grad\n",
        "numerical_gradient",
    )
    with pytest.raises(CheckFailed) as info:
        check(not_restored, "numerical_gradient")
    text = str(info.value)
    assert "changed its input argument 2 in place" in text and "[numgrad-not-restored]" in text, text
    assert "f=sum(exp(x))" in text, "the test function is shown by its formula"
