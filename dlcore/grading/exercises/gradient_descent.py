"""Chapter 07, gradient descent and optimisers: exercises and known mistakes.

Every exercise is one update step of :mod:`dlcore.optim`. The probe inputs
include a nonzero state (so that a step which forgets the velocity or the
running means is caught), tiny gradients (where eps inside or outside the
square root makes a difference), small and large step numbers t for Adam, and
float32 parameters.
"""

from __future__ import annotations

import numpy as np

from dlcore import optim
from dlcore.grading.exercises._inputs import from_cases
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "07_gradient_descent"


# -- inputs ------------------------------------------------------------------

P = np.array([1.0, -2.0, 0.5])
G = np.array([0.5, -4.0, 0.25])


def _random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.integers(1, 7, size=rng.integers(1, 3)))


def _lr(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-3, -0.5))


def _sgd_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((P.copy(), G.copy()), {"lr": 0.1}, "a vector of 3 parameters, lr=0.1"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2))), {"lr": 0.01}, "a 3x2 weight matrix"),
        Case((rng.standard_normal(4), np.zeros(4)), {"lr": 0.5}, "a zero gradient"),
        Case((rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)),
             {"lr": 0.05}, "float32"),
    ]
    if hidden:
        for _ in range(3):
            shape = _random_shape(rng)
            cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape) * rng.uniform(0.1, 10)),
                              {"lr": _lr(rng)}, "random"))
    return cases


def _momentum_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((P.copy(), G.copy(), np.zeros(3)), {"lr": 0.1, "beta": 0.9}, "the first step (velocity zero)"),
        Case((P.copy(), G.copy(), np.array([0.3, -0.2, 0.1])), {"lr": 0.1, "beta": 0.9},
             "a velocity from earlier steps"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)) * 0.1),
             {"lr": 0.01, "beta": 0.5}, "a 3x2 weight matrix, beta=0.5"),
        Case((rng.standard_normal(4), np.zeros(4), np.array([0.5, -0.5, 0.25, 0.0])), {"lr": 0.1},
             "a zero gradient (the velocity keeps moving), default beta"),
        Case((rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32),
              (rng.standard_normal((4, 3)) * 0.1).astype(np.float32)), {"lr": 0.05, "beta": 0.9}, "float32"),
    ]
    if hidden:
        for _ in range(3):
            shape = _random_shape(rng)
            cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape) * 0.2),
                              {"lr": _lr(rng), "beta": float(rng.uniform(0.5, 0.99))}, "random"))
    return cases


def _rmsprop_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((P.copy(), G.copy(), np.zeros(3)), {"lr": 0.01}, "the first step (s zero), default rho and eps"),
        Case((P.copy(), G.copy(), np.array([1.0, 4.0, 0.01])), {"lr": 0.01, "rho": 0.9},
             "a running mean s from earlier steps"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.uniform(0.1, 2.0, (3, 2))),
             {"lr": 0.001, "rho": 0.5, "eps": 1e-6}, "a 3x2 weight matrix, rho=0.5"),
        Case((np.array([1.0, -1.0, 2.0]), np.array([1e-6, -2e-6, 5e-7]), np.zeros(3)), {"lr": 0.01},
             "tiny gradients (eps matters)"),
        Case((rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32),
              rng.uniform(0.1, 1.0, (4, 3)).astype(np.float32)), {"lr": 0.01, "rho": 0.9}, "float32"),
    ]
    if hidden:
        cases.append(Case((rng.standard_normal(3), rng.choice([-1, 1], 3) * 10 ** rng.uniform(-7, -5, 3), np.zeros(3)),
                          {"lr": 0.01, "eps": float(rng.choice([1e-8, 1e-7]))}, "tiny gradients"))
        for _ in range(3):
            shape = _random_shape(rng)
            cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape), rng.uniform(0.01, 3.0, shape)),
                              {"lr": _lr(rng), "rho": float(rng.uniform(0.5, 0.99))}, "random"))
    return cases


def _adam_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    zeros = np.zeros(3)
    cases = [
        Case((P.copy(), G.copy(), zeros.copy(), zeros.copy(), 1), {"lr": 0.01}, "the first step (t=1, m and v zero)"),
        Case((P.copy(), G.copy(), np.array([0.05, -0.4, 0.02]), np.array([2.5e-4, 0.016, 1e-4]), 2), {"lr": 0.01},
             "the second step (t=2)"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)) * 0.1,
              rng.uniform(0.01, 0.5, (3, 2)), 10), {"lr": 0.001, "beta1": 0.8, "beta2": 0.99},
             "a 3x2 weight matrix at t=10, beta1=0.8, beta2=0.99"),
        Case((rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4) * 0.1, rng.uniform(0.1, 1.0, 4), 500),
             {"lr": 0.001}, "late in training (t=500)"),
        Case((rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32),
              (rng.standard_normal((4, 3)) * 0.1).astype(np.float32), rng.uniform(0.01, 0.5, (4, 3)).astype(np.float32),
              3), {"lr": 0.01}, "float32 at t=3"),
    ]
    if hidden:
        for _ in range(4):
            shape = _random_shape(rng)
            t = int(rng.choice([1, 2, 3, int(rng.integers(4, 50)), int(rng.integers(50, 3000))]))
            m = np.zeros(shape) if t == 1 else rng.standard_normal(shape) * 0.1
            v = np.zeros(shape) if t == 1 else rng.uniform(0.01, 1.0, shape)
            cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape), m, v, t),
                              {"lr": _lr(rng), "beta1": float(rng.uniform(0.8, 0.95)),
                               "beta2": float(rng.choice([0.99, 0.995, 0.999]))}, "random"))
    return cases


# -- exercises -----------------------------------------------------------------


def _exercise(name: str, cases, outputs: tuple[str, ...], vectorised) -> Exercise:
    return from_cases(name, CHAPTER, getattr(optim, name), cases, outputs=outputs, vectorised=vectorised,
                      rtol=1e-5, atol=1e-7)


def _grid(n: int, offset: float = 0.0) -> np.ndarray:
    return np.linspace(-2.0, 2.0, n * 3).reshape(n, 3) + offset


EXERCISES = [
    _exercise("sgd_step", _sgd_cases, ("param",), lambda n: Case((_grid(n), _grid(n, 0.5)), {"lr": 0.1})),
    _exercise("momentum_step", _momentum_cases, ("param", "velocity"),
              lambda n: Case((_grid(n), _grid(n, 0.5), _grid(n) * 0.1), {"lr": 0.1})),
    _exercise("rmsprop_step", _rmsprop_cases, ("param", "s"),
              lambda n: Case((_grid(n), _grid(n, 0.5), np.abs(_grid(n))), {"lr": 0.01})),
    _exercise("adam_step", _adam_cases, ("param", "m", "v"),
              lambda n: Case((_grid(n), _grid(n, 0.5), _grid(n) * 0.1, np.abs(_grid(n)), 3), {"lr": 0.01})),
]


# -- known mistakes --------------------------------------------------------------

_ADAM = "def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
_RMS = "def rmsprop_step(param, grad, s, lr=1e-3, rho=0.9, eps=1e-8):\n"
_MOM = "def momentum_step(param, grad, velocity, lr, beta=0.9):\n"

MISTAKES = [
    # sgd_step
    Mistake(
        "sgd-ascent",
        "sgd_step",
        "you added the gradient: p + lr g climbs uphill (gradient ascent). The gradient points to where the "
        "loss grows fastest, so gradient descent steps against it: p - lr g.",
        "def sgd_step(param, grad, lr):\n    return param + lr * grad\n",
    ),
    Mistake(
        "sgd-returns-step",
        "sgd_step",
        "you returned the step -lr g instead of the new parameter: add it to the old one, p - lr g.",
        "def sgd_step(param, grad, lr):\n    return -lr * grad\n",
    ),
    Mistake(
        "sgd-lr-twice",
        "sgd_step",
        "the learning rate is applied twice (the step is lr * lr * g): multiply the gradient by lr once.",
        "def sgd_step(param, grad, lr):\n    step = lr * grad\n    return param - lr * step\n",
    ),
    Mistake(
        "sgd-in-place",
        "sgd_step",
        "you modified param in place (param -= ...): the caller's array changed under its feet. Compute a new "
        "array, param - lr * grad, and return it; the old parameters may still be needed (to undo a step, to "
        "compare, by another optimizer).",
        "def sgd_step(param, grad, lr):\n    param -= lr * grad\n    return param\n",
    ),
    # momentum_step
    Mistake(
        "momentum-old-velocity",
        "momentum_step",
        "you returned the velocity you were given, not the new one: the next step would start from the old "
        "velocity and momentum would never build up. Return the updated velocity beta v - lr g.",
        _MOM + "    new_velocity = beta * velocity - lr * grad\n    return param + new_velocity, velocity\n",
    ),
    Mistake(
        "momentum-no-accumulate",
        "momentum_step",
        "your velocity forgets the past: you set it to -lr g, which is plain gradient descent. Keep a decayed "
        "share of the old velocity: beta v - lr g.",
        _MOM + "    new_velocity = -lr * grad\n    return param + new_velocity, new_velocity\n",
    ),
    Mistake(
        "momentum-lr-twice",
        "momentum_step",
        "the learning rate is applied twice: the velocity already contains lr (beta v - lr g), so the parameter "
        "moves by the velocity itself, p + v, not p + lr v.",
        _MOM + "    new_velocity = beta * velocity - lr * grad\n    return param + lr * new_velocity, new_velocity\n",
    ),
    Mistake(
        "momentum-stale-velocity",
        "momentum_step",
        "you moved the parameter with the old velocity and updated the velocity afterwards, so every step lags "
        "one gradient behind: update the velocity first, then p + (new velocity).",
        _MOM + "    new_param = param + velocity\n    return new_param, beta * velocity - lr * grad\n",
    ),
    Mistake(
        "momentum-average-form",
        "momentum_step",
        "you wrote the 'average' form v = beta v + (1 - beta) g, p - lr v (some libraries use it). It is a "
        "different convention: its velocity is an average gradient, not a step. This course's velocity is the "
        "step itself: v = beta v - lr g, then p + v.",
        _MOM + "    new_velocity = beta * velocity + (1 - beta) * grad\n    return param - lr * new_velocity, new_velocity\n",
    ),
    # rmsprop_step
    Mistake(
        "rmsprop-eps-inside-sqrt",
        "rmsprop_step",
        "eps is inside the square root, sqrt(s + eps): for tiny gradients sqrt(eps) = 1e-4 dominates and the "
        "step shrinks to almost nothing. This course adds eps after the root: lr g / (sqrt(s) + eps).",
        _RMS + "    new_s = rho * s + (1 - rho) * grad ** 2\n    return param - lr * grad / np.sqrt(new_s + eps), new_s\n",
    ),
    Mistake(
        "rmsprop-old-s",
        "rmsprop_step",
        "you divided by the old running mean s, before adding this step's g^2: on the first step s is 0 and "
        "the step explodes to lr g / eps. Update s first, then divide by sqrt(new s) + eps.",
        _RMS + "    new_s = rho * s + (1 - rho) * grad ** 2\n    return param - lr * grad / (np.sqrt(s) + eps), new_s\n",
    ),
    Mistake(
        "rmsprop-no-sqrt",
        "rmsprop_step",
        "you divided by s itself instead of its square root: s is a mean of squared gradients, so sqrt(s) is "
        "the typical gradient size (its root mean square), the quantity that makes the step scale-free.",
        _RMS + "    new_s = rho * s + (1 - rho) * grad ** 2\n    return param - lr * grad / (new_s + eps), new_s\n",
    ),
    Mistake(
        "rmsprop-rho-swapped",
        "rmsprop_step",
        "rho and 1 - rho are swapped in the running mean: rho is the share of the OLD mean that is kept, "
        "s = rho s + (1 - rho) g^2, so with rho = 0.9 each new g^2 only counts for 10%.",
        _RMS + "    new_s = (1 - rho) * s + rho * grad ** 2\n    return param - lr * grad / (np.sqrt(new_s) + eps), new_s\n",
    ),
    # adam_step
    Mistake(
        "adam-no-bias-correction",
        "adam_step",
        "there is no bias correction: m and v start at 0, so during the first steps they are far too small "
        "(m = 0.1 g after one step). Divide them by (1 - beta1^t) and (1 - beta2^t) before the update.",
        _ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    return param - lr * m / (np.sqrt(v) + eps), m, v\n",
    ),
    Mistake(
        "adam-t-from-zero",
        "adam_step",
        "your bias correction uses t + 1 (as if t counted from 0): t is the number of this step and the "
        "first step is t = 1, where 1 - beta1^t = 1 - beta1 = 0.1 makes m_hat equal to g.",
        _ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    m_hat = m / (1 - beta1 ** (t + 1))\n    v_hat = v / (1 - beta2 ** (t + 1))\n"
        "    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Mistake(
        "adam-bias-power-misplaced",
        "adam_step",
        "the power is in the wrong place: you divided by (1 - beta)^t, which tends to 0 and blows the step up. "
        "The correction is 1 - beta^t (the power applies to beta alone: 1 - beta1 ** t), which tends to 1.",
        _ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    m_hat = m / (1 - beta1) ** t\n    v_hat = v / (1 - beta2) ** t\n"
        "    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Mistake(
        "adam-bias-betas-swapped",
        "adam_step",
        "the two corrections are swapped: m, the mean of g, is corrected with beta1 (m / (1 - beta1^t)) and v, "
        "the mean of g^2, with beta2 (v / (1 - beta2^t)).",
        _ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    m_hat = m / (1 - beta2 ** t)\n    v_hat = v / (1 - beta1 ** t)\n"
        "    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Mistake(
        "adam-returns-corrected-state",
        "adam_step",
        "you returned the corrected m_hat and v_hat as the new state: the correction is only for the update. "
        "Return the raw running means m and v, or the next step would correct them a second time.",
        _ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)\n"
        "    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat\n",
    ),
    Mistake(
        "adam-state-in-place",
        "adam_step",
        "you updated m (or v) in place (m *= beta1, m += ...): the arrays you were given changed. Compute new "
        "arrays, beta1 * m + (1 - beta1) * grad, and return them; the caller decides where to keep them.",
        _ADAM
        + "    m *= beta1\n    m += (1 - beta1) * grad\n    v *= beta2\n    v += (1 - beta2) * grad ** 2\n"
        "    m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)\n"
        "    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
]
