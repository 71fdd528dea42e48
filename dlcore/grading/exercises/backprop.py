"""Chapter 06, backpropagation: exercises and known mistakes.

Every backward exercise is checked on caches built by dlcore's own forward
functions (:func:`dlcore.layers.dense_forward`, :func:`~dlcore.layers.relu_forward`,
:func:`~dlcore.layers.sigmoid_forward`, :func:`dlcore.mlp.forward`), so a
student's backward pass must read exactly the cache format the course uses.

``numerical_gradient`` is checked on scalar functions written here in plain
numpy (calling dlcore from inside ``f`` would count as the student calling the
reference). Their ``repr`` is a formula, which is what a failed check shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcore import gradcheck, layers, losses, mlp
from dlcore.grading.exercises._inputs import from_cases, visible_rng
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "06_backprop"


# ------------------------------------------------------------------ dense_backward


def _dense_case(X: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray, label: str) -> Case:
    _, cache = layers.dense_forward(X, W, b)
    return Case((dout, cache), label=label)


def _dense_random(rng: np.random.Generator, n: int, d: int, m: int, scale: float = 1.0,
                  dtype: type = np.float64) -> tuple[np.ndarray, ...]:
    X = (rng.standard_normal((n, d)) * scale).astype(dtype)
    W = rng.standard_normal((d, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    dout = rng.standard_normal((n, m)).astype(dtype)
    return X, W, b, dout


def _dense_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        _dense_case(
            np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]),
            np.array([[1.0, 0.0, -1.0, 2.0], [0.5, -1.0, 0.0, 1.0], [2.0, 1.0, 0.5, -0.5]]),
            np.array([0.1, -0.2, 0.0, 0.3]),
            np.array([[1.0, -1.0, 0.5, 2.0], [0.0, 2.0, -1.5, 1.0]]),
            "small numbers: N = 2 samples, D = 3 inputs, M = 4 units",
        ),
        _dense_case(*_dense_random(rng, 3, 3, 3), "square: N = D = M = 3"),
        _dense_case(*_dense_random(rng, 1, 4, 2), "a single row (N = 1)"),
        _dense_case(*_dense_random(rng, 5, 2, 3, scale=1e3), "large inputs"),
        _dense_case(*_dense_random(rng, 6, 4, 5, dtype=np.float32), "float32"),
        _dense_case(*_dense_random(rng, 4, 3, 2)[:3], np.zeros((4, 2)), "zero upstream gradient"),
    ]
    if hidden:
        for _ in range(3):
            n, d, m = (int(v) for v in rng.integers(1, 12, size=3))
            cases.append(_dense_case(*_dense_random(rng, n, d, m, scale=float(rng.uniform(0.5, 5))), "random"))
        k = int(rng.integers(2, 7))
        cases.append(_dense_case(*_dense_random(rng, k, k, k), "random, square"))
    return cases


def _dense_vectorised(n: int) -> Case:
    X = np.linspace(-2, 2, n * 3).reshape(n, 3)
    return _dense_case(X, np.ones((3, 2)), np.array([0.5, -0.5]), np.linspace(1, -1, n * 2).reshape(n, 2), "")


# ------------------------------------------------------------- activation layers


def _activation_case(forward: Any, x: np.ndarray, dout: np.ndarray, label: str) -> Case:
    _, cache = forward(x)
    return Case((dout, cache), label=label)


def _activation_cases(forward: Any, rng: np.random.Generator, hidden: bool) -> list[Case]:
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [1.0, 0.0, -1.0, 3.0, -3.0]])
    dout = np.array([[1.0, -2.0, 3.0, -4.0, 5.0], [0.5, 2.0, -1.0, -1.5, 2.5]])
    cases = [
        _activation_case(forward, x, dout, "values around 0, some exactly 0"),
        _activation_case(forward, rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3)), "a batch of 4"),
        _activation_case(forward, np.array([[-1000.0, -30.0, -1e-3, 1e-3, 30.0, 1000.0]]),
                         np.array([[1.0, 2.0, -3.0, 4.0, -5.0, 6.0]]), "large magnitudes"),
        _activation_case(forward, rng.standard_normal((3, 4)).astype(np.float32),
                         rng.standard_normal((3, 4)).astype(np.float32), "float32"),
        _activation_case(forward, rng.standard_normal(6), rng.standard_normal(6), "a 1-D array"),
    ]
    if hidden:
        for _ in range(3):
            shape = tuple(int(s) for s in rng.integers(1, 9, size=rng.integers(1, 4)))
            x = rng.standard_normal(shape) * rng.uniform(0.5, 6)
            x.flat[0] = 0.0
            cases.append(_activation_case(forward, x, rng.standard_normal(shape) * 3, "random, one entry 0"))
    return cases


def _activation_vectorised(forward: Any) -> Any:
    def build(n: int) -> Case:
        x = np.linspace(-3, 3, n * 4).reshape(n, 4)
        return _activation_case(forward, x, np.linspace(2, -1, n * 4).reshape(n, 4), "")

    return build


# ---------------------------------------------------------------------- backward


def _network_case(rng: np.random.Generator, sizes: list[int], n: int, activation: str, label: str,
                  dtype: type = np.float64) -> Case:
    params = [(W.astype(dtype), b.astype(dtype) + rng.standard_normal(b.shape).astype(dtype) * 0.1)
              for W, b in layers.init_network(sizes, rng)]
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    scores, caches = mlp.forward(X, params, activation)
    y = rng.integers(0, sizes[-1], n)
    _, dscores = losses.softmax_cross_entropy(scores, y)
    return Case((dscores, caches), label=label)


def _backward_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        _network_case(rng, [3, 5, 4, 2], 4, "relu", "ReLU network 3 -> 5 -> 4 -> 2, N = 4"),
        _network_case(rng, [4, 6, 3], 5, "sigmoid", "sigmoid network 4 -> 6 -> 3, N = 5"),
        _network_case(rng, [2, 4, 4, 4, 3], 3, "tanh", "tanh network 2 -> 4 -> 4 -> 4 -> 3, N = 3"),
        _network_case(rng, [5, 3], 4, "relu", "no hidden layer: one dense layer 5 -> 3"),
        _network_case(rng, [3, 4, 2], 1, "relu", "a single sample, 3 -> 4 -> 2"),
        _network_case(rng, [4, 8, 5, 3], 6, "relu", "float32 ReLU network 4 -> 8 -> 5 -> 3", dtype=np.float32),
    ]
    if hidden:
        for _ in range(4):
            depth = int(rng.integers(1, 5))
            sizes = [int(s) for s in rng.integers(1, 9, size=depth + 1)]
            sizes[-1] = max(sizes[-1], 2)
            activation = str(rng.choice(list(mlp.ACTIVATIONS)))
            n = int(rng.integers(1, 10))
            cases.append(_network_case(rng, sizes, n, activation, f"random {activation} network {sizes}, N = {n}"))
    return cases


def _backward_vectorised(n: int) -> Case:
    return _network_case(np.random.default_rng(0), [3, 4, 2], n, "relu", "")


# ------------------------------------------------------------ numerical_gradient


class _Function:
    """A scalar test function of an array; its repr is its formula."""

    formula = "f(x)"

    def __repr__(self) -> str:
        return self.formula

    def __call__(self, x: np.ndarray) -> Any:
        raise NotImplementedError


class _SumExp(_Function):
    formula = "sum(exp(x))"

    def __call__(self, x: np.ndarray) -> Any:
        return np.sum(np.exp(x))


class _Coupled(_Function):
    formula = "sum(x)**2 / 2 + sum(sin(x))"

    def __call__(self, x: np.ndarray) -> Any:
        return np.sum(x) ** 2 / 2 + np.sum(np.sin(x))


class _SoftmaxLoss(_Function):
    """Mean softmax cross-entropy of logits x of shape (N, C) with fixed labels."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = np.asarray(labels)
        self.formula = f"softmax cross-entropy of the logits x with labels {self.labels.tolist()}"

    def __call__(self, x: np.ndarray) -> Any:
        shifted = x - np.max(x, axis=1, keepdims=True)
        logsumexp = np.log(np.sum(np.exp(shifted), axis=1))
        return np.mean(logsumexp - shifted[np.arange(x.shape[0]), self.labels])


class _Quadratic(_Function):
    """x^T A x / 2 + c . x over the flattened x."""

    def __init__(self, A: np.ndarray, c: np.ndarray) -> None:
        self.A, self.c = A, c
        self.formula = f"x.T @ A @ x / 2 + c @ x (a random {A.shape[0]} x {A.shape[0]} A)"

    def __call__(self, x: np.ndarray) -> Any:
        v = np.reshape(x, -1)
        return v @ self.A @ v / 2 + self.c @ v


def _numerical_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((_SumExp(), np.array([-1.5, -0.5, 0.25, 1.0, 2.0])), label="five numbers"),
        Case((_Coupled(), np.array([[0.5, -1.0, 2.0, 0.0], [1.5, -0.5, 1.0, -2.0], [0.25, 3.0, -1.5, 0.75]])),
             label="a (3, 4) array, entries coupled through sum(x)"),
        Case((_SumExp(), np.array([[0.0, 1.0, -1.0], [2.0, -2.0, 0.5]])), {"eps": 1e-2}, label="eps=0.01 given"),
        Case((_SoftmaxLoss(np.array([0, 2])), np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])),
             label="the loss of a batch of 2 logits"),
        Case((_SumExp(), np.array([0.5])), label="a single entry"),
        Case((_SumExp(), np.array([[0.3, -1.2, 0.8], [1.1, -0.4, 0.0]], dtype=np.float32)), label="float32 input"),
    ]
    if hidden:
        shape = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))
        cases.append(Case((_SumExp(), rng.standard_normal(shape)), label="random"))
        shape = tuple(int(s) for s in rng.integers(2, 5, size=2))
        cases.append(Case((_Coupled(), rng.standard_normal(shape)), label="random, entries coupled"))
        eps = float(rng.choice([5e-3, 1e-2, 2e-2]))
        cases.append(Case((_SumExp(), rng.standard_normal((2, 3))), {"eps": eps}, label="eps given"))
        n, c = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        cases.append(Case((_SoftmaxLoss(rng.integers(0, c, n)), rng.standard_normal((n, c)) * 2),
                          label="the loss of a batch of logits"))
        k = int(rng.integers(3, 9))
        M = rng.standard_normal((k, k))
        cases.append(Case((_Quadratic(M + M.T, rng.standard_normal(k)), rng.standard_normal(k)),
                          label="a quadratic form"))
        cases.append(Case((_SumExp(), rng.standard_normal((3, 2)).astype(np.float32)), label="float32 input"))
    return cases


# -------------------------------------------------------------------- exercises


def _backward_exercise(name: str, reference: Any, cases: Any, vectorised: Any, **kwargs: Any) -> Exercise:
    return from_cases(name, CHAPTER, reference, cases, vectorised=vectorised, rtol=1e-4, atol=1e-6, **kwargs)


EXERCISES = [
    _backward_exercise("dense_backward", layers.dense_backward, _dense_cases, _dense_vectorised,
                       outputs=("dX", "dW", "db")),
    _backward_exercise("relu_backward", layers.relu_backward,
                       lambda rng, hidden: _activation_cases(layers.relu_forward, rng, hidden),
                       _activation_vectorised(layers.relu_forward)),
    _backward_exercise("sigmoid_backward", layers.sigmoid_backward,
                       lambda rng, hidden: _activation_cases(layers.sigmoid_forward, rng, hidden),
                       _activation_vectorised(layers.sigmoid_forward),
                       allowed=("dlcore.activations.sigmoid",)),
    _backward_exercise("backward", mlp.backward, _backward_cases, _backward_vectorised,
                       allowed=("dlcore.layers.dense_backward", "dlcore.layers.relu_backward",
                                "dlcore.layers.sigmoid_backward", "dlcore.layers.tanh_backward")),
    Exercise(
        name="numerical_gradient",
        chapter=CHAPTER,
        reference=gradcheck.numerical_gradient,
        visible_cases=lambda: _numerical_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _numerical_cases(rng, hidden=True),
        rtol=1e-7,
        atol=1e-8,
    ),
]


# ----------------------------------------------------------------------- mistakes


def _dense_code(dX: str = "dout @ W.T", dW: str = "X.T @ dout", db: str = "dout.sum(axis=0)",
                sign: str = "") -> str:
    return (
        "def dense_backward(dout, cache):\n"
        "    X, W, b = cache\n"
        f"    dX = {sign}({dX})\n"
        f"    dW = {sign}({dW})\n"
        f"    db = {sign}({db})\n"
        "    return dX, dW, db\n"
    )


_SIGMA = "1 / (1 + np.exp(-x))"


def _sigmoid_code(body: str) -> str:
    return f"def sigmoid_backward(dout, cache):\n    x = cache\n    s = {_SIGMA}\n    return {body}\n"


def _backward_code(before: str = "act_backward(dh, act_cache) if act_backward is not None else dh",
                   after: str = "", result: str = "grads[::-1]", scale: str = "") -> str:
    """A backward pass written with numpy only.

    ``before`` computes dz from dh ahead of each layer's dense backward (right: the layer's own activation
    backward); ``after`` runs once that layer's dense backward has given dh.
    """
    return (
        "def backward(dscores, caches):\n"
        "    grads = []\n"
        "    dh = dscores\n"
        "    for dense_cache, act_backward, act_cache in reversed(caches):\n"
        f"        dz = {before}\n"
        "        X, W, b = dense_cache\n"
        f"        grads.append(((X.T @ dz){scale}, dz.sum(axis=0){scale}))\n"
        "        dh = dz @ W.T\n"
        f"{after}"
        f"    return {result}\n"
    )


def _numerical_code(body: str, prepare: str = "    x = np.array(x, dtype=np.float64)\n") -> str:
    return (
        "def numerical_gradient(f, x, eps=1e-6):\n"
        f"{prepare}"
        "    grad = np.zeros(x.shape)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        old = x[i]\n"
        f"{body}"
        "    return grad\n"
    )


_CENTRED = (
    "        x[i] = old + eps\n"
    "        f_plus = f(x)\n"
    "        x[i] = old - eps\n"
    "        f_minus = f(x)\n"
    "        x[i] = old\n"
    "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
)


MISTAKES = [
    # dense_backward
    Mistake(
        "dense-db-wrong-axis",
        "dense_backward",
        "you summed dout over axis 1, the units; the bias b[m] is added to every sample, so its gradient sums "
        "the upstream gradient over the batch, axis 0: db = dout.sum(axis=0), of shape (M,) like b.",
        _dense_code(db="dout.sum(axis=1)"),
    ),
    Mistake(
        "dense-db-mean",
        "dense_backward",
        "db is the mean of dout over the batch instead of its sum; the 1/N of the averaged loss is already "
        "inside dout, so db = dout.sum(axis=0) (dividing again by N makes the bias learn N times too slowly).",
        _dense_code(db="dout.mean(axis=0)"),
    ),
    Mistake(
        "dense-db-keepdims",
        "dense_backward",
        "db has shape (1, M); b has shape (M,), and a gradient must have the shape of its parameter: sum over "
        "axis 0 without keepdims=True.",
        _dense_code(db="dout.sum(axis=0, keepdims=True)"),
    ),
    Mistake(
        "dense-dW-transposed",
        "dense_backward",
        "dW = dout.T @ X has shape (M, D), the transpose of W's (D, M); dW[d, m] sums X[n, d] * dout[n, m] over "
        "the samples n, which is X.T @ dout.",
        _dense_code(dW="dout.T @ X"),
    ),
    Mistake(
        "dense-dW-no-transpose",
        "dense_backward",
        "X @ dout multiplies (N, D) by (N, M), which only runs when D = N and then pairs the wrong axes; the "
        "sum over the samples n needs X transposed: dW = X.T @ dout, of shape (D, M) like W.",
        _dense_code(dW="X @ dout"),
    ),
    Mistake(
        "dense-dX-W-not-transposed",
        "dense_backward",
        "dX = dout @ W multiplies (N, M) by (D, M); going back through out = X @ W needs W transposed: "
        "dX = dout @ W.T, of shape (N, D) like X.",
        _dense_code(dX="dout @ W"),
    ),
    Mistake(
        "dense-sign-flipped",
        "dense_backward",
        "every gradient has the wrong sign: the backward pass multiplies by the local derivatives, with no minus "
        "sign (the minus belongs to the gradient-descent update, W -= lr * dW, not to the gradient).",
        _dense_code(sign="-"),
    ),
    # relu_backward
    Mistake(
        "relu-backward-at-zero",
        "relu_backward",
        "you let the gradient through where x == 0 (x >= 0); ReLU's derivative is taken as 0 at x = 0 in this "
        "course (and in most libraries): dx = dout * (x > 0).",
        "def relu_backward(dout, cache):\n    x = cache\n    return dout * (x >= 0)\n",
    ),
    Mistake(
        "relu-backward-dout-mask",
        "relu_backward",
        "you masked with the sign of dout (or applied ReLU to dout); the mask comes from the forward input x, "
        "kept in the cache: dx = dout * (x > 0). A negative upstream gradient must pass through where x > 0.",
        "def relu_backward(dout, cache):\n    return dout * (dout > 0)\n",
    ),
    Mistake(
        "relu-backward-no-upstream",
        "relu_backward",
        "you returned ReLU's local gradient (x > 0) alone; the chain rule multiplies it by the upstream "
        "gradient: dx = dout * (x > 0).",
        "def relu_backward(dout, cache):\n    x = cache\n    return (x > 0).astype(x.dtype)\n",
    ),
    Mistake(
        "relu-backward-times-x",
        "relu_backward",
        "you multiplied dout by relu(x), the activation's value; the local gradient of ReLU is its slope, 1 "
        "where x > 0 and 0 elsewhere: dx = dout * (x > 0).",
        "def relu_backward(dout, cache):\n    x = cache\n    return dout * np.maximum(x, 0)\n",
    ),
    Mistake(
        "relu-backward-in-place",
        "relu_backward",
        "you zeroed entries of dout itself (dout[x <= 0] = 0), which changes the caller's array; start from a "
        "copy (dx = dout.copy()) or compute a new array: dx = dout * (x > 0).",
        "def relu_backward(dout, cache):\n    x = cache\n    dout[x <= 0] = 0\n    return dout\n",
    ),
    # sigmoid_backward
    Mistake(
        "sigmoid-backward-sigma",
        "sigmoid_backward",
        "you multiplied dout by sigma(x); the local gradient is the sigmoid's derivative, "
        "sigma(x) * (1 - sigma(x)).",
        _sigmoid_code("dout * s"),
    ),
    Mistake(
        "sigmoid-backward-x-one-minus-x",
        "sigmoid_backward",
        "you computed x * (1 - x) from the cache; the formula s * (1 - s) needs s = sigma(x), and the cache holds "
        "the input x, not the output: compute s = 1 / (1 + exp(-x)) first.",
        "def sigmoid_backward(dout, cache):\n    x = cache\n    return dout * x * (1 - x)\n",
    ),
    Mistake(
        "sigmoid-backward-no-upstream",
        "sigmoid_backward",
        "you returned the sigmoid's local gradient sigma(x)(1 - sigma(x)) alone; the chain rule multiplies it by "
        "the upstream gradient dout.",
        _sigmoid_code("s * (1 - s)"),
    ),
    Mistake(
        "sigmoid-backward-tanh-derivative",
        "sigmoid_backward",
        "you used 1 - sigma(x)^2, which is the pattern of tanh's derivative (1 - tanh^2); the sigmoid's "
        "derivative is sigma(x) * (1 - sigma(x)).",
        _sigmoid_code("dout * (1 - s ** 2)"),
    ),
    # backward
    Mistake(
        "backward-no-activation-grad",
        "backward",
        "you passed the gradient from one dense layer to the one before it without going through the activation "
        "between them; a hidden layer's gradient must be multiplied by its activation's local gradient: "
        "dz = act_backward(dh, act_cache) before that layer's dense backward.",
        _backward_code(before="dh"),
    ),
    Mistake(
        "backward-activation-of-wrong-layer",
        "backward",
        "you applied each layer's activation backward after that layer's dense backward, so every gradient goes "
        "through the activation of the layer above it. A hidden layer computes dense then activation, so going "
        "back it is activation backward (with that layer's act_cache) first, then dense backward.",
        _backward_code(before="dh", after="        if act_backward is not None:\n"
                                          "            dh = act_backward(dh, act_cache)\n"),
    ),
    Mistake(
        "backward-grads-not-reversed",
        "backward",
        "your list of gradients runs from the last layer to the first; the backward pass visits the layers in "
        "reverse, so reverse the list at the end: grads[l] must be (dW, db) of params[l].",
        _backward_code(result="grads"),
    ),
    Mistake(
        "backward-divided-by-n",
        "backward",
        "your gradients are N times too small: dscores from softmax_cross_entropy already carries the 1/N of the "
        "mean over the batch, so dW = X.T @ dz and db = dz.sum(axis=0) must not divide by N again.",
        _backward_code(scale=" / dscores.shape[0]"),
    ),
    # numerical_gradient
    Mistake(
        "numgrad-one-sided",
        "numerical_gradient",
        "you used a one-sided difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps; the "
        "centred difference (f(x + eps) - f(x - eps)) / (2 eps) has an error like eps^2, far smaller.",
        _numerical_code(
            "        f_0 = f(x)\n"
            "        x[i] = old + eps\n"
            "        f_plus = f(x)\n"
            "        x[i] = old\n"
            "        grad[i] = (f_plus - f_0) / eps\n"
        ),
    ),
    Mistake(
        "numgrad-no-2",
        "numerical_gradient",
        "you divided by eps; the two points x + eps and x - eps are 2 eps apart, so the centred difference "
        "divides by 2 * eps.",
        _numerical_code(_CENTRED.replace("(2 * eps)", "eps")),
    ),
    Mistake(
        "numgrad-drifting-point",
        "numerical_gradient",
        "after nudging an entry you did not set it back to its old value, so every later entry is differentiated "
        "at a shifted point; restore it (x[i] = old) right after the two evaluations.",
        _numerical_code(
            "        x[i] = old + eps\n"
            "        f_plus = f(x)\n"
            "        x[i] = old - eps\n"
            "        f_minus = f(x)\n"
            "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
        ),
    ),
    Mistake(
        "numgrad-not-restored",
        "numerical_gradient",
        "you changed the entries of x itself and did not put them back: work on a float64 copy of x, "
        "and after the two evaluations restore the entry (x[i] = old) before moving to the next one.",
        _numerical_code(
            "        x[i] = old + eps\n"
            "        f_plus = f(x)\n"
            "        x[i] = old - eps\n"
            "        f_minus = f(x)\n"
            "        grad[i] = (f_plus - f_minus) / (2 * eps)\n",
            prepare="",
        ),
    ),
    Mistake(
        "numgrad-ignores-eps",
        "numerical_gradient",
        "you ignored the eps argument and used a fixed step; use the eps you are given (its default is 1e-6).",
        _numerical_code(_CENTRED.replace("eps", "1e-6")),
    ),
    Mistake(
        "numgrad-float32",
        "numerical_gradient",
        "you computed in the dtype of x, float32, whose 7 significant digits cannot resolve a step of 1e-6 "
        "(x + eps rounds, and f(x + eps) - f(x - eps) is mostly rounding noise); work on a float64 copy of x "
        "(np.array with dtype=np.float64 copies and converts in one call).",
        _numerical_code(_CENTRED, prepare="    x = x.copy()\n"),
    ),
]
