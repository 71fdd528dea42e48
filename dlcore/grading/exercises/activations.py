"""Chapter 03, activation functions: exercises and known mistakes."""

from __future__ import annotations

import numpy as np

from dlcore import activations
from dlcore.grading.exercises._inputs import elementwise_cases, matrix_cases, visible_rng
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "03_activations"


def _elementwise(name: str, **kwargs: object) -> Exercise:
    def visible() -> list[Case]:
        cases = elementwise_cases(visible_rng(), hidden=False)
        if kwargs:
            cases += elementwise_cases(visible_rng(), hidden=False, **kwargs)[:2]
        return cases

    def hidden(rng: np.random.Generator) -> list[Case]:
        cases = elementwise_cases(rng, hidden=True)
        if kwargs:
            cases += elementwise_cases(rng, hidden=True, alpha=float(rng.uniform(0.05, 0.5)))
        return cases

    return Exercise(
        name=name,
        chapter=CHAPTER,
        reference=getattr(activations, name),
        visible_cases=visible,
        hidden_cases=hidden,
        vectorised=lambda n: Case((np.linspace(-3, 3, n * 4).reshape(n, 4),)),
        rtol=1e-4,
        atol=1e-6,
    )


EXERCISES = [
    _elementwise("sigmoid"),
    _elementwise("sigmoid_grad"),
    _elementwise("relu"),
    _elementwise("relu_grad"),
    _elementwise("leaky_relu", alpha=0.2),
    _elementwise("leaky_relu_grad", alpha=0.2),
    Exercise(
        name="softmax",
        chapter=CHAPTER,
        reference=activations.softmax,
        visible_cases=lambda: matrix_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: matrix_cases(rng, hidden=True),
        vectorised=lambda n: Case((np.linspace(-3, 3, n * 5).reshape(n, 5),)),
        rtol=1e-4,
        atol=1e-7,
    ),
]


MISTAKES = [
    Mistake(
        "sigmoid-exp-sign",
        "sigmoid",
        "you wrote exp(z) where exp(-z) belongs: your curve is mirrored, it computes sigmoid(-z) = 1 - sigmoid(z).",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n",
    ),
    Mistake(
        "sigmoid-is-tanh",
        "sigmoid",
        "you computed tanh, whose outputs lie in (-1, 1); the sigmoid squashes into (0, 1): 1 / (1 + exp(-z)).",
        "def sigmoid(z):\n    return np.tanh(z)\n",
    ),
    Mistake(
        "sigmoid-grad-is-sigmoid",
        "sigmoid_grad",
        "you returned sigmoid(z) itself; its derivative is sigmoid(z) * (1 - sigmoid(z)).",
        "def sigmoid_grad(z):\n    return 1 / (1 + np.exp(-z))\n",
    ),
    Mistake(
        "sigmoid-grad-of-z",
        "sigmoid_grad",
        "you applied s * (1 - s) to z itself; s must be the sigmoid's output: s = sigmoid(z), then s * (1 - s).",
        "def sigmoid_grad(z):\n    return z * (1 - z)\n",
    ),
    Mistake(
        "relu-keeps-negative-part",
        "relu",
        "you kept the negative part with min(0, z); ReLU keeps max(0, z).",
        "def relu(z):\n    return np.minimum(z, 0)\n",
    ),
    Mistake(
        "relu-grad-one-at-zero",
        "relu_grad",
        "your derivative is 1 at z = 0; in this course (as in PyTorch and TensorFlow) ReLU's derivative at exactly 0 is 0: use z > 0, not z >= 0.",
        "def relu_grad(z):\n    return (z >= 0).astype(float)\n",
    ),
    Mistake(
        "relu-grad-minus-one-below-zero",
        "relu_grad",
        "your derivative is -1 for negative inputs; ReLU is flat there, so its slope is 0 for z <= 0 and 1 for z > 0.",
        "def relu_grad(z):\n    return np.sign(z)\n",
    ),
    Mistake(
        "relu-grad-is-relu",
        "relu_grad",
        "you returned relu(z) itself; the derivative is the slope: 1 where z > 0 and 0 elsewhere.",
        "def relu_grad(z):\n    return np.maximum(z, 0)\n",
    ),
    Mistake(
        "leaky-relu-slope-wrong-side",
        "leaky_relu",
        "the small slope alpha is on the wrong side: keep z where z > 0 and use alpha * z where z <= 0.",
        "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, alpha * z, z)\n",
    ),
    Mistake(
        "leaky-relu-ignores-alpha",
        "leaky_relu",
        "you used a fixed slope of 0.01 instead of the alpha argument: the caller chooses the slope.",
        "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, z, 0.01 * z)\n",
    ),
    Mistake(
        "leaky-relu-grad-slope-wrong-side",
        "leaky_relu_grad",
        "the slopes are swapped: the derivative is 1 where z > 0 and alpha where z <= 0.",
        "def leaky_relu_grad(z, alpha=0.01):\n    return np.where(z > 0, alpha, 1.0)\n",
    ),
    Mistake(
        "leaky-relu-grad-zero-below",
        "leaky_relu_grad",
        "for z <= 0 the derivative is alpha, not 0: what you wrote is ReLU's derivative.",
        "def leaky_relu_grad(z, alpha=0.01):\n    return (z > 0).astype(float)\n",
    ),
    Mistake(
        "softmax-no-max-shift",
        "softmax",
        "exp overflows for large scores: subtract each row's maximum before exponentiating (softmax is unchanged when a constant is added to a row).",
        "def softmax(Z):\n    E = np.exp(Z)\n    return E / E.sum(axis=1, keepdims=True)\n",
    ),
    Mistake(
        "softmax-axis0",
        "softmax",
        "your columns sum to 1 but your rows do not: you normalised over axis 0; each row (one sample's scores) must be normalised over axis 1.",
        "def softmax(Z):\n    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n    return E / E.sum(axis=0, keepdims=True)\n",
    ),
    Mistake(
        "softmax-global-sum",
        "softmax",
        "you divided by the sum of the whole array, so only the grand total is 1; divide each row by its own sum: E.sum(axis=1, keepdims=True).",
        "def softmax(Z):\n    E = np.exp(Z - Z.max())\n    return E / E.sum()\n",
    ),
    Mistake(
        "softmax-no-keepdims",
        "softmax",
        "the row sums lost their axis: E.sum(axis=1) has shape (N,), which numpy lines up with the columns; write E.sum(axis=1, keepdims=True) (and the same for the maximum).",
        "def softmax(Z):\n    E = np.exp(Z - Z.max(axis=1))\n    return E / E.sum(axis=1)\n",
    ),
]
