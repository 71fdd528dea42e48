"""Chapter 02, layers: exercises and known mistakes.

``init_layer`` and ``init_network`` draw random numbers, so their checks test
properties of the answer (:func:`verify_init_layer`, :func:`verify_init_network`)
instead of equality with the reference: shapes, float dtypes, zero biases, a
sample mean near 0 and a sample variance near the scheme's, with tolerances
that shrink with the number of weights, and that the weights come from the
``rng`` argument. The checker deep-copies the arguments of every call, so the
student's function and the reference draw from identical generators; that is
what lets the catalogue recognise a known mistake in a random answer.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from dlcore import layers
from dlcore.grading.exercises._inputs import visible_rng
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "02_layers"

#: Variance of the initial weights of each scheme, from (n_in, n_out).
VARIANCE = {
    "he": (lambda n_in, n_out: 2.0 / n_in, "2 / n_in"),
    "xavier": (lambda n_in, n_out: 2.0 / (n_in + n_out), "2 / (n_in + n_out)"),
}

#: Below this many weights the sample variance is too noisy to judge.
MIN_WEIGHTS_FOR_VARIANCE = 200

#: How many standard errors a sample statistic may stray from its target.
Z_TOLERANCE = 5.0


# ------------------------------------------------------------------ dense


def _dense_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case(
            (np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]), np.array([[1.0, 0.0], [0.5, -1.0], [2.0, 1.0]]),
             np.array([0.1, -0.2])),
            label="small numbers, (2, 3) @ (3, 2)",
        ),
        Case((rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)),
             label="a square weight matrix (D = M = 3)"),
        Case((np.zeros((2, 4)), rng.standard_normal((4, 5)), np.array([1.0, -1.0, 0.5, 0.0, 2.0])), label="zero inputs"),
        Case((rng.standard_normal((3, 2)) * 1e4, rng.standard_normal((2, 4)), rng.standard_normal(4) * 1e3),
             label="large magnitudes"),
        Case((rng.standard_normal((1, 5)), rng.standard_normal((5, 2)), rng.standard_normal(2)), label="a single row"),
        Case(
            (rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal((4, 4)).astype(np.float32),
             rng.standard_normal(4).astype(np.float32)),
            label="float32, square W",
        ),
    ]
    if hidden:
        for _ in range(3):
            n, d, m = (int(v) for v in rng.integers(1, 12, size=3))
            cases.append(Case((rng.standard_normal((n, d)) * 3, rng.standard_normal((d, m)), rng.standard_normal(m)),
                              label="random"))
        d = int(rng.integers(2, 9))
        cases.append(Case((rng.standard_normal((int(rng.integers(1, 9)), d)), rng.standard_normal((d, d)),
                           rng.standard_normal(d)), label="random, square W"))
    return cases


# ----------------------------------------------------------- initialisation


def _seeded(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _seeds(rng: np.random.Generator | None, k: int) -> list[int]:
    """Fixed seeds for the visible checks, fresh ones for the hidden tests."""
    if rng is None:
        return [11, 12, 13, 14, 15, 16][:k]
    return [int(s) for s in rng.integers(0, 2**62, size=k)]


def _init_layer_cases(rng: np.random.Generator | None) -> list[Case]:
    s = _seeds(rng, 6)
    same = _seeded(s[0])  # used twice: the same generator state must give the same W
    cases = [
        Case((64, 16, same), label="He, 64 inputs, 16 units"),
        Case((64, 16, _seeded(s[1])), label="He, another seed"),
        Case((64, 16, same), label="He, the first seed again"),
        Case((128, 128, _seeded(s[2])), label="He, square 128 x 128"),
        Case((10, 300, _seeded(s[3])), {"scheme": "xavier"}, label="Xavier, 10 inputs, 300 units"),
        Case((200, 50, _seeded(s[4])), {"scheme": "xavier"}, label="Xavier, 200 inputs, 50 units"),
        Case((1, 1, _seeded(s[5])), label="one input, one unit"),
    ]
    if rng is not None:
        for _ in range(3):
            n_in, n_out = (int(v) for v in rng.integers(3, 300, size=2))
            scheme = str(rng.choice(["he", "xavier"]))
            cases.append(Case((n_in, n_out, _seeded(int(rng.integers(0, 2**62)))), {"scheme": scheme}, label="random"))
    return cases


def _init_network_cases(rng: np.random.Generator | None) -> list[Case]:
    s = _seeds(rng, 4)
    same = _seeded(s[0])
    sizes = [4, 64, 64, 64, 1]
    cases = [
        Case((sizes, same), label="4 inputs, three hidden layers of 64, 1 output"),
        Case((sizes, _seeded(s[1])), label="the same sizes, another seed"),
        Case((sizes, same), label="the same sizes, the first seed again"),
        Case(([100, 50, 10], _seeded(s[2])), {"scheme": "xavier"}, label="Xavier, [100, 50, 10]"),
        Case(([3, 2], _seeded(s[3])), label="a single layer, [3, 2]"),
    ]
    if rng is not None:
        for _ in range(3):
            sizes = [int(v) for v in rng.integers(1, 150, size=int(rng.integers(2, 6)))]
            scheme = str(rng.choice(["he", "xavier"]))
            cases.append(Case((sizes, _seeded(int(rng.integers(0, 2**62)))), {"scheme": scheme}, label="random"))
    return cases


def _bound(reference: Any, case: Case) -> dict[str, Any]:
    bound = inspect.signature(reference).bind(*case.args, **case.kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _state(rng: np.random.Generator) -> str:
    return repr(rng.bit_generator.state)


class _Memory:
    """What earlier calls returned, to tell whether the answer comes from ``rng``.

    Two cases that share one Generator object (the checker hands each call a
    fresh copy of it) must give equal weights; two generators in different
    states must give different weights. A few dozen entries are kept.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.entries: list[tuple[np.random.Generator, Any, list[np.ndarray]]] = []

    def problem(self, rng: np.random.Generator, key: Any, weights: list[np.ndarray], what: str) -> str | None:
        found = None
        for old_rng, old_key, old_weights in self.entries:
            if old_key != key or len(old_weights) != len(weights):
                continue
            equal = all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(old_weights, weights))
            if old_rng is rng and not equal:
                found = (
                    f"two calls with identically seeded generators gave different {what}: draw every random "
                    "number from the rng argument (rng.standard_normal(...)), never from np.random"
                )
                break
            if old_rng is not rng and _state(old_rng) != _state(rng) and equal:
                found = (
                    f"generators with different seeds gave identical {what}: your weights do not come from "
                    "the rng argument; draw them with rng.standard_normal(...)"
                )
                break
        self.entries.append((rng, key, [np.array(w, copy=True) for w in weights]))
        del self.entries[: -self.size]
        return found


_MEMORY = _Memory()


def _pair_problem(pair: Any, n_in: int, n_out: int, scheme: str, where: str = "") -> str | None:
    """What is wrong with one layer's ``(W, b)``, or None."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        kind = f"{len(pair)} values" if isinstance(pair, (tuple, list)) else type(pair).__name__
        return f"{where}returned {kind} instead of the pair (W, b)"
    W, b = (np.asarray(v) for v in pair)
    if W.shape != (n_in, n_out):
        hint = " (transposed: W has one row per input)" if W.shape == (n_out, n_in) else ""
        return f"{where}W has shape {W.shape} instead of (n_in, n_out) = {(n_in, n_out)}{hint}"
    if b.shape != (n_out,):
        return f"{where}b has shape {b.shape} instead of (n_out,) = {(n_out,)}"
    if W.dtype.kind != "f" or b.dtype.kind != "f":
        return f"{where}W and b must hold floats, got dtypes {W.dtype} and {b.dtype}"
    if not np.all(np.isfinite(W)):
        return f"{where}W contains NaN or infinite values"
    if np.any(b != 0):
        return f"{where}b must start at zero (np.zeros(n_out)); only the weights need random values"
    k = W.size
    if k >= 2 and np.all(W == W.flat[0]):
        return f"{where}every weight has the same value {W.flat[0]:.4g}: units that start equal stay equal"
    if k < MIN_WEIGHTS_FOR_VARIANCE:
        return None
    variance, formula = VARIANCE[scheme]
    target = variance(n_in, n_out)
    mean = float(W.mean())
    if abs(mean) > Z_TOLERANCE * np.sqrt(target / k):
        return f"{where}the weights should have mean 0, but their mean is {mean:.4g} (standard deviation of the scheme: {np.sqrt(target):.4g})"
    got = float(np.mean(W.astype(np.float64) ** 2))
    if abs(got / target - 1) > Z_TOLERANCE * np.sqrt(2.0 / k):
        return (
            f"{where}the variance of W is {got:.4g}, but the {scheme!r} scheme needs {formula} = {target:.4g} "
            f"(n_in = {n_in}, n_out = {n_out}; ratio {got / target:.3g}); remember that "
            f"W = rng.standard_normal(...) * std with std = sqrt(variance)"
        )
    return None


def verify_init_layer(case: Case, got: Any) -> str | None:
    """Properties of ``init_layer``'s answer: shapes, zero b, W's scale, the use of rng."""
    args = _bound(layers.init_layer, case)
    n_in, n_out, rng, scheme = args["n_in"], args["n_out"], args["rng"], args["scheme"]
    problem = _pair_problem(got, n_in, n_out, scheme)
    if problem is not None:
        return problem
    return _MEMORY.problem(rng, ("init_layer", n_in, n_out, scheme), [np.asarray(got[0])], "W")


def verify_init_network(case: Case, got: Any) -> str | None:
    """Properties of ``init_network``'s answer: one (W, b) per pair of sizes, each like ``init_layer``'s."""
    args = _bound(layers.init_network, case)
    sizes, rng, scheme = list(args["layer_sizes"]), args["rng"], args["scheme"]
    expected = len(sizes) - 1
    if not isinstance(got, (list, tuple)):
        return f"returned {type(got).__name__} instead of a list of (W, b) pairs"
    if len(got) != expected:
        return (
            f"returned {len(got)} layer(s) for layer_sizes = {sizes}, which has {expected} pair(s) of consecutive "
            f"sizes: a network with {len(sizes)} sizes has {expected} layer(s) of weights, one (W, b) per pair "
            "(sizes[l], sizes[l + 1])"
        )
    for layer, (pair, n_in, n_out) in enumerate(zip(got, sizes[:-1], sizes[1:]), start=1):
        problem = _pair_problem(pair, n_in, n_out, scheme, where=f"layer {layer}: ")
        if problem is not None:
            return problem
    weights = [np.asarray(pair[0]) for pair in got]
    for i in range(len(weights)):
        for j in range(i + 1, len(weights)):
            if weights[i].shape == weights[j].shape and weights[i].size > 1 and np.array_equal(weights[i], weights[j]):
                return (
                    f"layers {i + 1} and {j + 1} have identical weights: draw each layer's W separately from the "
                    "same rng (one call per layer), do not reuse one draw or re-seed a generator per layer"
                )
    return _MEMORY.problem(rng, ("init_network", tuple(sizes), scheme), weights, "weights")


# ------------------------------------------------------------------ counting


def _count_cases(rng: np.random.Generator | None) -> list[Case]:
    cases = [
        Case(([4, 5, 5, 5, 1],), label="4 inputs, three hidden layers of 5, 1 output"),
        Case(([3, 1],), label="a single neuron with 3 inputs"),
        Case(([784, 128, 10],), label="an MNIST classifier"),
        Case(([2, 2, 1],), label="the XOR network"),
    ]
    if rng is not None:
        for _ in range(4):
            sizes = [int(v) for v in rng.integers(1, 1000, size=int(rng.integers(2, 8)))]
            cases.append(Case((sizes,), label="random"))
    return cases


EXERCISES = [
    Exercise(
        name="dense",
        chapter=CHAPTER,
        reference=layers.dense,
        visible_cases=lambda: _dense_cases(visible_rng(), hidden=False),
        hidden_cases=lambda rng: _dense_cases(rng, hidden=True),
        vectorised=lambda n: Case((np.linspace(-2, 2, n * 3).reshape(n, 3), np.ones((3, 2)), np.array([0.5, -0.5]))),
        rtol=1e-4,
        atol=1e-6,
    ),
    Exercise(
        name="init_layer",
        chapter=CHAPTER,
        reference=layers.init_layer,
        visible_cases=lambda: _init_layer_cases(None),
        hidden_cases=_init_layer_cases,
        outputs=("W", "b"),
        verify=verify_init_layer,
    ),
    Exercise(
        name="init_network",
        chapter=CHAPTER,
        reference=layers.init_network,
        visible_cases=lambda: _init_network_cases(None),
        hidden_cases=_init_network_cases,
        verify=verify_init_network,
    ),
    Exercise(
        name="count_parameters",
        chapter=CHAPTER,
        reference=layers.count_parameters,
        visible_cases=lambda: _count_cases(None),
        hidden_cases=_count_cases,
        rtol=0.0,
        atol=0.0,
    ),
]


_HE = "np.sqrt(2 / n_in)"
_XAVIER = "np.sqrt(2 / (n_in + n_out))"


def _init_code(he_std: str, xavier_std: str = _XAVIER, draw: str = "rng.standard_normal((n_in, n_out))",
               bias: str = "np.zeros(n_out)") -> str:
    return (
        'def init_layer(n_in, n_out, rng, scheme="he"):\n'
        f"    std = {he_std} if scheme == \"he\" else {xavier_std}\n"
        f"    return {draw} * std, {bias}\n"
    )


MISTAKES = [
    # dense
    Mistake(
        "dense-W-transposed",
        "dense",
        "you multiplied by W.T; W already has shape (D, M), one row per input and one column per unit, so the "
        "layer is X @ W + b (X @ W.T only runs when W is square, and then gives wrong values).",
        "def dense(X, W, b):\n    return X @ W.T + b\n",
    ),
    Mistake(
        "dense-no-bias",
        "dense",
        "you left out the bias: a dense layer computes X @ W + b (b, of shape (M,), is added to every row).",
        "def dense(X, W, b):\n    return X @ W\n",
    ),
    Mistake(
        "dense-elementwise",
        "dense",
        "X * W multiplies element by element; a layer needs the matrix product X @ W (every unit sums over all D inputs).",
        "def dense(X, W, b):\n    return X * W + b\n",
    ),
    # init_layer
    Mistake(
        "init-variance-as-std",
        "init_layer",
        "you scaled the weights by the variance 2 / n_in; standard_normal has standard deviation 1, so multiply "
        "by the standard deviation, the square root: np.sqrt(2 / n_in).",
        _init_code("2 / n_in", "2 / (n_in + n_out)"),
    ),
    Mistake(
        "init-unscaled",
        "init_layer",
        "your weights have standard deviation 1 whatever the layer's size; multiply rng.standard_normal(...) by "
        "the scheme's standard deviation, np.sqrt(2 / n_in) for He.",
        _init_code("1.0", "1.0"),
    ),
    Mistake(
        "init-xavier-for-he",
        "init_layer",
        "for the \"he\" scheme you used Xavier's variance 2 / (n_in + n_out); He initialisation uses "
        "2 / n_in (the fan-in only).",
        _init_code(_XAVIER),
    ),
    Mistake(
        "init-ignores-scheme",
        "init_layer",
        "you ignored the scheme argument: with scheme=\"xavier\" the variance is 2 / (n_in + n_out), not 2 / n_in.",
        _init_code(_HE, _HE),
    ),
    Mistake(
        "init-fan-out",
        "init_layer",
        "you divided by the fan-out n_out; He initialisation divides by the fan-in, the number of inputs of "
        "each unit: np.sqrt(2 / n_in).",
        _init_code("np.sqrt(2 / n_out)"),
    ),
    Mistake(
        "init-random-bias",
        "init_layer",
        "your biases are random; they start at zero (np.zeros(n_out)): the random weights already make the "
        "units different.",
        _init_code(_HE, bias="rng.standard_normal(n_out) * 0.1"),
    ),
    Mistake(
        "init-ignores-rng",
        "init_layer",
        "you made a generator of your own with a fixed seed, so every call gives the same weights; draw from "
        "the rng argument you are given.",
        _init_code(_HE, draw="np.random.default_rng(0).standard_normal((n_in, n_out))"),
    ),
    # init_network
    Mistake(
        "init-network-one-layer-short",
        "init_network",
        "your network has one layer too few: layer_sizes lists the sizes of every layer, input included, so "
        "there is one (W, b) per consecutive pair, len(layer_sizes) - 1 of them.",
        "def init_network(layer_sizes, rng, scheme=\"he\"):\n"
        "    params = []\n"
        "    for n_in, n_out in zip(layer_sizes[:-2], layer_sizes[1:-1]):\n"
        "        params.append((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in), np.zeros(n_out)))\n"
        "    return params\n",
    ),
    # count_parameters
    Mistake(
        "count-no-biases",
        "count_parameters",
        "you counted the weights only; every unit of every layer after the input also has a bias: add "
        "sizes[l + 1] for each layer.",
        "def count_parameters(layer_sizes):\n"
        "    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))\n",
    ),
    Mistake(
        "count-input-biases",
        "count_parameters",
        "you gave the input layer biases too; the inputs are data, not units: only the layers after the input "
        "have biases.",
        "def count_parameters(layer_sizes):\n"
        "    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])) + sum(layer_sizes)\n",
    ),
    Mistake(
        "count-last-layer-missing",
        "count_parameters",
        "you left out the last layer: a network with L + 1 sizes has L layers of weights, one per pair "
        "(sizes[l], sizes[l + 1]), the output layer included.",
        "def count_parameters(layer_sizes):\n"
        "    return sum(a * b + b for a, b in zip(layer_sizes[:-2], layer_sizes[1:-1]))\n",
    ),
]
