"""Chapter 01, the neuron and the perceptron: exercises and known mistakes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlcore import neuron
from dlcore.grading.exercises._inputs import visible_rng
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "01_neuron"

BOOLEAN_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


class Activation:
    """A plain-numpy activation with a readable name in check messages.

    The checks must not pass dlcore functions to the student's ``neuron``
    (calling dlcore is forbidden there), so the activations are written here.
    """

    def __init__(self, name: str, func: Callable[[np.ndarray], np.ndarray]) -> None:
        self.name = name
        self.func = func

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.func(z)

    def __repr__(self) -> str:
        return self.name


TANH = Activation("np.tanh", np.tanh)
RELU = Activation("relu (np.maximum(z, 0))", lambda z: np.maximum(z, 0))
SIGMOID = Activation("sigmoid (1 / (1 + np.exp(-z)))", lambda z: 1 / (1 + np.exp(-z)))
STEP = Activation("step ((z > 0) * 1.0)", lambda z: (z > 0) * 1.0)


# ----------------------------------------------------------------- inputs


def _sum_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(X, w, b) inputs of weighted_sum and perceptron_predict-like functions."""
    cases = [
        Case((np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]), np.array([0.5, -1.5]), 0.5), label="small numbers"),
        Case((np.zeros((2, 3)), np.array([1.0, 2.0, -0.5]), 1.0), label="zero inputs"),
        Case((np.array([[1e4, -2e4], [-3e4, 5e3]]), np.array([2.0, 0.5]), -1e3), label="large magnitudes"),
        Case(
            (rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32), 0.25),
            label="float32",
        ),
        Case((rng.standard_normal((1, 4)), rng.standard_normal(4), -0.75), label="a single row"),
        Case((rng.standard_normal((3, 3)), rng.standard_normal(3), 2.0), label="as many samples as features"),
    ]
    if hidden:
        for _ in range(3):
            n, d = (int(v) for v in rng.integers(1, 10, size=2))
            scale = float(rng.uniform(0.5, 10))
            cases.append(
                Case(
                    (rng.standard_normal((n, d)) * scale, rng.standard_normal(d), float(rng.normal(0, 3))),
                    label="random",
                )
            )
    return cases


def _neuron_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    activations = [SIGMOID, RELU, TANH, STEP, SIGMOID, TANH]
    cases = [Case(case.args + (f,), label=case.label) for case, f in zip(_sum_cases(rng, hidden=False), activations)]
    cases.append(Case((BOOLEAN_INPUTS, np.array([1.0, 1.0]), -1.5, STEP), label="the AND neuron"))
    if hidden:
        for f in (TANH, RELU, SIGMOID, STEP):
            n, d = (int(v) for v in rng.integers(1, 10, size=2))
            cases.append(
                Case((rng.standard_normal((n, d)) * 2, rng.standard_normal(d), float(rng.normal(0, 2)), f), label="random")
            )
    return cases


def _predict_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((BOOLEAN_INPUTS, np.array([1.0, 1.0]), -1.5), label="the AND perceptron"),
        Case(
            (np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]]), np.array([1.0, -1.0]), 0.0),
            label="points exactly on the boundary (z = 0)",
        ),
    ]
    cases += [c for c in _sum_cases(rng, hidden) if c.label != "zero inputs"]
    cases.append(Case((np.zeros((3, 2)), np.array([1.0, 2.0]), 0.0), label="zeros: z = 0 everywhere"))
    return cases


def _separable(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Linearly separable labelled points with both classes present."""
    w, b = rng.standard_normal(d), float(rng.normal(0, 0.5))
    X = rng.standard_normal((n, d)) * 2
    y = (X @ w + b > 0).astype(np.int64)
    y[0], y[1] = 0, 1  # both classes, still separable after moving the two points
    X[0] = -w / np.linalg.norm(w) * 3 - b * w / (w @ w)
    X[1] = w / np.linalg.norm(w) * 3 - b * w / (w @ w)
    return X, y


def _train_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    X_sep, y_sep = _separable(rng, 20, 2)
    X_3d, y_3d = _separable(rng, 15, 3)
    cases = [
        Case((BOOLEAN_INPUTS, AND), label="AND, default lr and epochs"),
        Case((BOOLEAN_INPUTS, OR), {"lr": 0.5, "epochs": 10}, label="OR with lr = 0.5"),
        Case((BOOLEAN_INPUTS, XOR), {"lr": 1.0, "epochs": 5}, label="XOR: not separable, never settles"),
        Case((X_sep, y_sep), {"lr": 0.1, "epochs": 20}, label="20 separable points"),
        Case((X_3d.astype(np.float32), y_3d), {"lr": 0.25, "epochs": 8}, label="float32, 3 features"),
    ]
    if hidden:
        cases.append(Case((BOOLEAN_INPUTS, AND), {"lr": 1.0, "epochs": 0}, label="zero epochs"))
        cases.append(Case((BOOLEAN_INPUTS, np.array([1, 1, 1, 0])), {"lr": 2.0}, label="NAND with lr = 2"))
        for _ in range(3):
            n, d = int(rng.integers(5, 40)), int(rng.integers(1, 6))
            X, y = _separable(rng, n, d)
            lr, epochs = float(rng.uniform(0.05, 2.0)), int(rng.integers(1, 15))
            cases.append(Case((X, y), {"lr": lr, "epochs": epochs}, label="random separable points"))
        X = rng.standard_normal((12, 2))
        y = rng.integers(0, 2, size=12)
        cases.append(Case((X, y), {"lr": 0.7, "epochs": 6}, label="random labels (not separable)"))
    return cases


def _rows(n: int) -> Case:
    return Case((np.linspace(-3, 3, n * 3).reshape(n, 3), np.array([0.5, -1.0, 2.0]), 0.1))


EXERCISES = [
    Exercise(
        name="weighted_sum",
        chapter=CHAPTER,
        reference=neuron.weighted_sum,
        visible_cases=lambda: _sum_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _sum_cases(rng, hidden=True),
        vectorised=_rows,
        rtol=1e-4,
        atol=1e-6,
    ),
    Exercise(
        name="neuron",
        chapter=CHAPTER,
        reference=neuron.neuron,
        visible_cases=lambda: _neuron_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _neuron_cases(rng, hidden=True),
        vectorised=lambda n: Case(_rows(n).args + (TANH,)),
        rtol=1e-4,
        atol=1e-6,
    ),
    Exercise(
        name="perceptron_predict",
        chapter=CHAPTER,
        reference=neuron.perceptron_predict,
        visible_cases=lambda: _predict_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _predict_cases(rng, hidden=True),
        vectorised=_rows,
    ),
    Exercise(
        name="perceptron_train",
        chapter=CHAPTER,
        reference=neuron.perceptron_train,
        visible_cases=lambda: _train_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _train_cases(rng, hidden=True),
        outputs=("w", "b"),
        rtol=1e-6,
        atol=1e-9,
    ),
]


MISTAKES = [
    # weighted_sum
    Mistake(
        "weighted-sum-no-bias",
        "weighted_sum",
        "you left out the bias: the weighted sum is X @ w + b.",
        "def weighted_sum(X, w, b):\n    return X @ w\n",
    ),
    Mistake(
        "weighted-sum-bias-per-feature",
        "weighted_sum",
        "you added b to every input before weighting, (X + b) @ w, which adds b * sum(w) instead of b: "
        "the bias is added once, after the sum: X @ w + b.",
        "def weighted_sum(X, w, b):\n    return (X + b) @ w\n",
    ),
    Mistake(
        "weighted-sum-axis0",
        "weighted_sum",
        "you summed over axis 0, the samples; each sample's weighted sum runs over its features, axis 1: "
        "(X * w).sum(axis=1) + b, or simply X @ w + b.",
        "def weighted_sum(X, w, b):\n    return (X * w).sum(axis=0) + b\n",
    ),
    Mistake(
        "weighted-sum-no-sum",
        "weighted_sum",
        "you multiplied each input by its weight but did not add the products up: X * w has shape (N, D); "
        "sum over the features (axis 1), or write X @ w + b.",
        "def weighted_sum(X, w, b):\n    return X * w + b\n",
    ),
    # neuron
    Mistake(
        "neuron-activation-before-bias",
        "neuron",
        "you applied the activation before adding the bias, activation(X @ w) + b; the bias belongs inside: "
        "activation(X @ w + b).",
        "def neuron(X, w, b, activation):\n    return activation(X @ w) + b\n",
    ),
    Mistake(
        "neuron-no-activation",
        "neuron",
        "you returned the weighted sum without applying the activation: return activation(X @ w + b).",
        "def neuron(X, w, b, activation):\n    return X @ w + b\n",
    ),
    Mistake(
        "neuron-activation-on-inputs",
        "neuron",
        "you applied the activation to the inputs, activation(X) @ w + b; it acts on the weighted sum: "
        "activation(X @ w + b).",
        "def neuron(X, w, b, activation):\n    return activation(X) @ w + b\n",
    ),
    # perceptron_predict
    Mistake(
        "perceptron-predict-ge-zero",
        "perceptron_predict",
        "points exactly on the boundary (z = 0) must be class 0: the perceptron fires only when z > 0, not z >= 0.",
        "def perceptron_predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)\n",
    ),
    Mistake(
        "perceptron-predict-sign",
        "perceptron_predict",
        "np.sign gives -1, 0 and 1; the classes are 0 and 1: return (X @ w + b > 0).astype(int).",
        "def perceptron_predict(X, w, b):\n    return np.sign(X @ w + b)\n",
    ),
    Mistake(
        "perceptron-predict-no-threshold",
        "perceptron_predict",
        "you returned the weighted sum z itself; the perceptron outputs a class: 1 where z > 0, else 0.",
        "def perceptron_predict(X, w, b):\n    return X @ w + b\n",
    ),
    Mistake(
        "perceptron-predict-no-bias",
        "perceptron_predict",
        "you thresholded X @ w without the bias; the boundary is X @ w + b = 0: compare X @ w + b > 0.",
        "def perceptron_predict(X, w, b):\n    return (X @ w > 0).astype(int)\n",
    ),
    # perceptron_train
    Mistake(
        "perceptron-train-wrong-sign",
        "perceptron_train",
        "your update has the wrong sign: with err = y - prediction, the rule is w += lr * err * x (you used "
        "prediction - y, which pushes the boundary the wrong way).",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            err = (1 if x_i @ w + b > 0 else 0) - y_i\n"
        "            w = w + lr * err * x_i\n"
        "            b = b + lr * err\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-no-bias-update",
        "perceptron_train",
        "you never update the bias, so the boundary must pass through the origin: add b += lr * err next to the "
        "update of w.",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            err = y_i - (1 if x_i @ w + b > 0 else 0)\n"
        "            w = w + lr * err * x_i\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-prediction-not-error",
        "perceptron_train",
        "you updated with the prediction where the error belongs: the update is lr * (y - prediction) * x, "
        "which is zero when the prediction is right.",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            pred = 1 if x_i @ w + b > 0 else 0\n"
        "            w = w + lr * pred * x_i\n"
        "            b = b + lr * pred\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-label-not-error",
        "perceptron_train",
        "you add lr * y * x for every sample (Hebb's rule), right or wrong; the perceptron learns from its "
        "errors only: err = y - prediction, then w += lr * err * x.",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            w = w + lr * y_i * x_i\n"
        "            b = b + lr * y_i\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-ignores-lr",
        "perceptron_train",
        "you ignored the learning rate: multiply every update by lr (w += lr * err * x, b += lr * err).",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            err = y_i - (1 if x_i @ w + b > 0 else 0)\n"
        "            w = w + err * x_i\n"
        "            b = b + err\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-ge-zero",
        "perceptron_train",
        "inside training you predict 1 when z >= 0; the perceptron fires only when z > 0, so at the start "
        "(w = 0, b = 0, z = 0) every prediction is 0.",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        for x_i, y_i in zip(X, y):\n"
        "            err = y_i - (1 if x_i @ w + b >= 0 else 0)\n"
        "            w = w + lr * err * x_i\n"
        "            b = b + lr * err\n"
        "    return w, b\n",
    ),
    Mistake(
        "perceptron-train-batch-update",
        "perceptron_train",
        "you updated once per epoch with the errors of all samples (a batch rule); Rosenblatt's rule updates "
        "after each sample, in order, so each update changes the next prediction.",
        "def perceptron_train(X, y, lr=1.0, epochs=10):\n"
        "    w, b = np.zeros(X.shape[1]), 0.0\n"
        "    for _ in range(epochs):\n"
        "        err = y - (X @ w + b > 0).astype(int)\n"
        "        w = w + lr * X.T @ err\n"
        "        b = b + lr * err.sum()\n"
        "    return w, b\n",
    ),
]
