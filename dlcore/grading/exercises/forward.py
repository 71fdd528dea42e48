"""Chapter 05, forward propagation: exercises and known mistakes.

Three of the exercises return ``(output, cache)``. Their checks judge the two
parts differently (see :func:`verify_pair`):

* the **output** is compared with dlcore's reference, as in every exercise;
* the **cache** is not compared with the reference's: it is checked for what
  the backward pass of chapter 6 needs.

  - ``dense_forward``: the cache is the tuple ``(X, W, b)`` of the layer's
    inputs, in that order (``dense_backward`` unpacks it that way).
  - ``relu_forward``: any array from which the backward pass can tell where
    ``x > 0``: ``x`` itself (the convention), the output or the mask.
  - ``forward``: a list with one entry per layer, in layer order; the check
    does not fix the layout of an entry, it looks inside it (nested tuples,
    lists, dicts) for the arrays that layer's backward pass needs: the
    layer's input ``h_{l-1}``, its weights ``W_l`` and, for a hidden layer,
    its pre-activation ``z_l`` (or the activation's output ``h_l``, from
    which the derivatives of ReLU, sigmoid and tanh can also be computed).

Because the cache is checked by properties, these exercises use
:attr:`~dlcore.grading.spec.Exercise.verify`, and
:attr:`~dlcore.grading.spec.Exercise.alike` tells whether a student's answer
behaves like a catalogued mistake: the same wrong output, or the right output
with the same problem in the cache. Expected values are printed only for the
visible inputs (:func:`_revealed`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from dlcore import layers, mlp
from dlcore.grading.compare import describe_difference
from dlcore.grading.exercises._inputs import elementwise_cases, visible_rng
from dlcore.grading.exercises.layers import _dense_cases
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "05_forward"
RTOL, ATOL = 1e-4, 1e-6

#: The worked example of the chapter: 2 inputs, 3 hidden ReLU units, 2 classes.
WORKED_X = np.array([[1.0, 2.0], [2.0, -1.0]])
WORKED_PARAMS = [
    (np.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]]), np.array([0.0, -1.0, 0.5])),
    (np.array([[1.0, -1.0], [2.0, 0.5], [-1.0, 1.0]]), np.array([0.5, 0.0])),
]

# dlcore functions a student's forward (and predict, through forward) may call:
# the notebook gives sigmoid_forward and tanh_forward; ReLU is the student's own.
GIVEN_ACTIVATIONS = ("dlcore.layers.sigmoid_forward", "dlcore.layers.tanh_forward")


# -- which inputs are visible ----------------------------------------------------

_VISIBLE: list[Case] = []


def _remember(cases: list[Case]) -> list[Case]:
    """Record the visible cases, so that only their expected values are ever printed."""
    _VISIBLE.extend(cases)
    del _VISIBLE[:-200]
    return cases


def _revealed(case: Case) -> bool:
    return any(case is seen for seen in _VISIBLE)


# -- inputs ------------------------------------------------------------------------


def _network(rng: np.random.Generator, sizes: list[int], dtype: type = np.float64) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random weights of scale 1/sqrt(fan-in) and non-zero biases (a missing bias must show)."""
    return [
        ((rng.standard_normal((m_in, m_out)) / np.sqrt(m_in)).astype(dtype),
         (0.5 * rng.standard_normal(m_out)).astype(dtype))
        for m_in, m_out in zip(sizes[:-1], sizes[1:])
    ]


def _net_case(rng: np.random.Generator, n: int, sizes: list[int], label: str, activation: str | None = None,
              dtype: type = np.float64, scale: float = 1.0) -> Case:
    X = (scale * rng.standard_normal((n, sizes[0]))).astype(dtype)
    kwargs = {} if activation is None else {"activation": activation}
    return Case((X, _network(rng, sizes, dtype)), kwargs, label)


def _forward_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # Square weights first: there, W.T and layers in reverse order give wrong values instead of
    # the same shape error, so that each of the two mistakes is recognised.
    cases = [
        _net_case(rng, 4, [3, 3, 3, 3], "square weight matrices, sizes [3, 3, 3, 3]"),
        Case((WORKED_X.copy(), copy.deepcopy(WORKED_PARAMS)), label="the worked example of the chapter, sizes [2, 3, 2]"),
        _net_case(rng, 6, [4, 5, 5, 5, 1], "the network of the notes, sizes [4, 5, 5, 5, 1]"),
        _net_case(rng, 5, [3, 4, 2], "sigmoid hidden layer, sizes [3, 4, 2]", "sigmoid"),
        _net_case(rng, 4, [2, 6, 6, 3], "tanh hidden layers, sizes [2, 6, 6, 3]", "tanh"),
        _net_case(rng, 3, [3, 2], "no hidden layer, sizes [3, 2]"),
        _net_case(rng, 5, [5, 4, 3], "float32, sizes [5, 4, 3]", dtype=np.float32),
        _net_case(rng, 1, [4, 8, 2], "a single sample, sizes [4, 8, 2]", scale=3.0),
    ]
    if hidden:
        for _ in range(3):
            sizes = [int(v) for v in rng.integers(1, 9, size=int(rng.integers(2, 6)))]
            activation = str(rng.choice(["relu", "sigmoid", "tanh"]))
            cases.append(_net_case(rng, int(rng.integers(1, 12)), sizes, "random", activation,
                                   scale=float(rng.uniform(0.5, 5))))
    return cases


def _predict_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((WORKED_X.copy(), copy.deepcopy(WORKED_PARAMS)), label="the worked example of the chapter, sizes [2, 3, 2]"),
        _net_case(rng, 7, [2, 8, 3], "three classes, sizes [2, 8, 3]", scale=2.0),
        _net_case(rng, 6, [4, 5, 5, 5, 4], "four classes, sizes [4, 5, 5, 5, 4]", "tanh"),
        _net_case(rng, 5, [3, 4, 6], "sigmoid hidden layer, sizes [3, 4, 6]", "sigmoid", scale=3.0),
        _net_case(rng, 3, [2, 5, 3], "as many samples as classes, sizes [2, 5, 3]", scale=2.0),
        _net_case(rng, 1, [4, 8, 5], "a single sample, sizes [4, 8, 5]", scale=3.0),
        _net_case(rng, 8, [3, 6, 4], "float32, sizes [3, 6, 4]", dtype=np.float32, scale=2.0),
    ]
    if hidden:
        # Many samples: an answer that ignores the activation argument agreed with the
        # reference on every smaller case of about one draw in 50.
        for activation in ("sigmoid", "tanh"):
            cases.append(_net_case(rng, 64, [4, 16, 6], f"{activation} hidden layer, 64 samples, sizes [4, 16, 6]",
                                   activation, scale=3.0))
        for _ in range(3):
            sizes = [int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 5)))] + [int(rng.integers(2, 8))]
            activation = str(rng.choice(["relu", "sigmoid", "tanh"]))
            cases.append(_net_case(rng, int(rng.integers(2, 15)), sizes, "random", activation,
                                   scale=float(rng.uniform(0.5, 5))))
    return cases


def _vectorised_net(n: int) -> Case:
    X = np.linspace(-2.0, 2.0, n * 3).reshape(n, 3)
    return Case((X, _network(np.random.default_rng(0), [3, 4, 4, 2])))


# -- the pair (output, cache) --------------------------------------------------------


def _is_pair(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2


def _kind(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return type(value).__name__


def _same_array(a: Any, b: Any) -> bool:
    """Arrays of the same shape and (close) values."""
    if not isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (tuple, list, dict)) or b is None:
        return False
    try:
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    a = np.asarray(a, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _holds(container: Any, target: np.ndarray, depth: int = 5) -> bool:
    """Whether ``container`` is, or holds (in nested tuples, lists, dicts), an array equal to ``target``."""
    if isinstance(container, np.ndarray):
        return _same_array(target, container)
    if depth == 0:
        return False
    if isinstance(container, dict):
        container = list(container.values())
    if isinstance(container, (tuple, list)):
        return any(_holds(item, target, depth - 1) for item in container)
    return False


CacheCheck = Callable[[Case, Any, Any], str | None]


def verify_pair(reference: Callable[..., Any], names: tuple[str, str], cache_problem: CacheCheck,
                case: Case, got: Any) -> str | None:
    """What is wrong with an answer ``(output, cache)``, or None.

    The output is compared with the reference's; the cache is checked by
    ``cache_problem(case, expected, cache)``.
    """
    out_name, cache_name = names
    if not _is_pair(got):
        if got is None:
            return f"returned None instead of the pair ({out_name}, {cache_name}): did you forget `return`?"
        return (f"returned {_kind(got)} instead of the pair ({out_name}, {cache_name}): a forward function "
                f"returns its output and the cache the backward pass will need, `return {out_name}, {cache_name}`")
    expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    problem = describe_difference(expected[0], got[0], (out_name,), RTOL, ATOL, reveal=_revealed(case))
    if problem is not None:
        return f"{out_name}: {problem}"
    problem = cache_problem(case, expected, got[1])
    return None if problem is None else f"{cache_name}: {problem}"


def alike_pair(cache_problem: CacheCheck, case: Case, expected: Any, wrong: Any, got: Any) -> bool:
    """Whether ``got`` behaves like the known mistake's answer ``wrong`` on this input.

    Both must have the same form; if the mistake's output is wrong, the outputs
    must agree; if it is right, the student's output must be right too and the
    two caches must have the same problem.
    """
    def same(a: Any, b: Any) -> bool:
        try:
            return describe_difference(a, b, ("result",), RTOL, ATOL) is None
        except Exception:
            return False

    if not (_is_pair(wrong) and _is_pair(got)):
        return not _is_pair(wrong) and not _is_pair(got) and (wrong is None) == (got is None) and (
            wrong is None or same(wrong, got))
    if not same(expected[0], wrong[0]):
        return same(wrong[0], got[0])
    return same(expected[0], got[0]) and cache_problem(case, expected, wrong[1]) == cache_problem(case, expected, got[1])


# -- what each cache must hold ---------------------------------------------------------


def dense_cache_problem(case: Case, expected: Any, cache: Any) -> str | None:
    """The cache of dense_forward must be the tuple (X, W, b) of its inputs."""
    X, W, b = expected[1]
    out = expected[0]
    if not (isinstance(cache, tuple) and len(cache) == 3):
        what = "None" if cache is None else _kind(cache)
        return (f"the cache must be the tuple (X, W, b) of the layer's inputs, got {what}; "
                "dense_backward in chapter 6 unpacks it as X, W, b = cache")
    for i, (name, want, why) in enumerate([
        ("X", X, "dW = X.T @ dout needs the layer's input"),
        ("W", W, "dX = dout @ W.T needs the weights"),
        ("b", b, "db takes its shape from b"),
    ]):
        if _same_array(want, cache[i]):
            continue
        if name == "X" and _same_array(out, cache[i]):
            return (f"cache[0] is the layer's output; the backward pass needs its input: cache = (X, W, b) ({why})")
        where = next((j for j, v in enumerate((X, W, b)) if _same_array(v, cache[i])), None)
        found = f" (it holds {'XWb'[where]}: the order is X, W, b)" if where is not None else ""
        return f"cache[{i}] must be {name}, the input of the same name{found}: {why}"
    return None


def relu_cache_problem(case: Case, expected: Any, cache: Any) -> str | None:
    """The cache of relu_forward must tell the backward pass where x > 0."""
    x = np.asarray(expected[1])
    if cache is None:
        return "the cache is None; relu_backward needs to know where x > 0: return x as the cache, `return out, x`"
    try:
        arr = np.asarray(cache)
        positive = arr > 0
    except (TypeError, ValueError):
        return f"the cache must be an array (x), got {_kind(cache)}"
    if arr.shape != x.shape:
        return f"the cache has shape {arr.shape}, but x has shape {x.shape}: return x itself as the cache"
    if not np.array_equal(positive, x > 0):
        return ("from the cache the backward pass cannot tell where x > 0 (the only thing ReLU's derivative "
                "depends on): return x itself as the cache")
    return None


def forward_cache_problem(case: Case, expected: Any, caches: Any) -> str | None:
    """caches: one entry per layer, in order, holding that layer's input, W and (hidden) pre-activation."""
    reference = expected[1]
    n_layers = len(reference)
    if caches is None:
        return "caches is None; return the list of the layers' caches, one per layer"
    if not isinstance(caches, (list, tuple)):
        return f"caches must be a list with one cache per layer, got {_kind(caches)}"
    if len(caches) != n_layers:
        hint = ""
        if len(caches) == n_layers - 1:
            hint = (": the output layer needs its cache too (its dense_forward cache), the backward pass "
                    "starts there")
        elif len(caches) == 2 * n_layers - 1:
            hint = ": group each layer's dense cache and activation cache into one entry per layer"
        entries = f"{len(caches)} entr{'y' if len(caches) == 1 else 'ies'}"
        return f"caches has {entries} for a network of {n_layers} layer{'s' if n_layers > 1 else ''}{hint}"
    for layer, (entry, want) in enumerate(zip(caches, reference), start=1):
        (h_in, W, _), _, z = want
        name = "X" if layer == 1 else f"h{layer - 1}"
        if not _holds(entry, h_in):
            order = ""
            if n_layers > 1 and any(_holds(other, h_in) for other in caches):
                order = "; it is in another entry: keep caches in layer order, first layer first"
            return (f"caches[{layer - 1}] does not hold the input of layer {layer}, {name} of shape {h_in.shape}: "
                    f"the backward pass needs it for dW{layer} = {name}.T @ dz{layer}{order}")
        if not _holds(entry, W):
            return (f"caches[{layer - 1}] does not hold W{layer}: the backward pass needs it to send the gradient "
                    f"back to {name}, d{name} = dz{layer} @ W{layer}.T")
        if z is not None:
            h_out = reference[layer][0][0]
            if not (_holds(entry, z) or _holds(entry, h_out)):
                return (f"caches[{layer - 1}] does not hold z{layer} = {name} @ W{layer} + b{layer}, the input of "
                        f"layer {layer}'s activation: the backward pass needs it for the activation's derivative")
    return None


# -- exercises -------------------------------------------------------------------------------


def _pair_exercise(name: str, reference: Callable[..., Any], names: tuple[str, str], cache_problem: CacheCheck,
                   cases: Callable[[np.random.Generator, bool], list[Case]], vectorised: Callable[[int], Case],
                   allowed: tuple[str, ...] = ()) -> Exercise:
    def verify(case: Case, got: Any) -> str | None:
        return verify_pair(reference, names, cache_problem, case, got)

    def alike(case: Case, expected: Any, wrong: Any, got: Any) -> bool:
        return alike_pair(cache_problem, case, expected, wrong, got)

    return Exercise(
        name=name,
        chapter=CHAPTER,
        reference=reference,
        visible_cases=lambda: _remember(cases(visible_rng(), False)),
        hidden_cases=lambda rng: cases(rng, True),
        outputs=names,
        allowed=allowed,
        vectorised=vectorised,
        verify=verify,
        alike=alike,
        rtol=RTOL,
        atol=ATOL,
    )


EXERCISES = [
    _pair_exercise(
        "dense_forward", layers.dense_forward, ("out", "cache"), dense_cache_problem, _dense_cases,
        lambda n: Case((np.linspace(-2, 2, n * 3).reshape(n, 3), np.ones((3, 2)), np.array([0.5, -0.5]))),
    ),
    _pair_exercise(
        "relu_forward", layers.relu_forward, ("out", "cache"), relu_cache_problem,
        lambda rng, hidden: elementwise_cases(rng, hidden),
        lambda n: Case((np.linspace(-2, 2, n * 3).reshape(n, 3),)),
    ),
    _pair_exercise(
        "forward", mlp.forward, ("scores", "caches"), forward_cache_problem, _forward_cases, _vectorised_net,
        allowed=GIVEN_ACTIVATIONS,
    ),
    Exercise(
        name="predict",
        chapter=CHAPTER,
        reference=mlp.predict,
        visible_cases=lambda: _predict_cases(visible_rng(), False),
        hidden_cases=lambda rng: _predict_cases(rng, True),
        allowed=GIVEN_ACTIVATIONS,
        vectorised=_vectorised_net,
        rtol=0.0,
        atol=0.0,
    ),
]


# -- known mistakes ----------------------------------------------------------------------------

# Self-contained networks for the mistakes of forward and predict (only numpy: the
# mutation test pastes them into the notebook in place of the solution).
_ACTS = (
    "    act = {'relu': lambda z: np.maximum(z, 0), 'sigmoid': lambda z: 1 / (1 + np.exp(-z)),\n"
    "           'tanh': np.tanh}[activation]\n"
)


def _forward_code(layer: str = "z = h @ W + b", hidden: str = "h_next = act(z)", output: str = "scores = h @ W + b",
                  order: str = "params", cache: str = "caches.append(((h, W, b), z))",
                  out_cache: str = "caches.append(((h, W, b), None))", scores: str = "scores") -> str:
    return (
        'def forward(X, params, activation="relu"):\n'
        + _ACTS
        + "    layers = list(" + order + ")\n"
        "    h, caches = X, []\n"
        "    for W, b in layers[:-1]:\n"
        f"        {layer}\n"
        f"        {hidden}\n"
        f"        {cache}\n"
        "        h = h_next\n"
        "    W, b = layers[-1]\n"
        f"    {output}\n"
        f"    {out_cache}\n"
        f"    return {scores}, caches\n"
    )


def _predict_code(last: str = "return np.argmax(h @ W + b, axis=1)", activation: str = "activation") -> str:
    return (
        'def predict(X, params, activation="relu"):\n'
        f"    activation = {activation}\n"
        + _ACTS
        + "    h = X\n"
        "    for W, b in params[:-1]:\n"
        "        h = act(h @ W + b)\n"
        "    W, b = params[-1]\n"
        f"    {last}\n"
    )


MISTAKES = [
    # dense_forward
    Mistake(
        "dense-forward-W-transposed",
        "dense_forward",
        "you multiplied by W.T; W has shape (D, M), one row per input, so the layer is X @ W + b "
        "(X @ W.T only runs when W is square, and then gives wrong values).",
        "def dense_forward(X, W, b):\n    return X @ W.T + b, (X, W, b)\n",
    ),
    Mistake(
        "dense-forward-no-bias",
        "dense_forward",
        "you left out the bias: the layer computes X @ W + b, with b (shape (M,)) added to every row.",
        "def dense_forward(X, W, b):\n    return X @ W, (X, W, b)\n",
    ),
    Mistake(
        "dense-forward-no-cache",
        "dense_forward",
        "you returned the output alone; a forward function returns two things, the output and the cache "
        "for the backward pass: `return out, (X, W, b)`.",
        "def dense_forward(X, W, b):\n    return X @ W + b\n",
    ),
    Mistake(
        "dense-forward-cache-output",
        "dense_forward",
        "your cache holds the layer's output instead of its input X; the gradient of the weights, "
        "dW = X.T @ dout, needs the input: cache = (X, W, b).",
        "def dense_forward(X, W, b):\n    out = X @ W + b\n    return out, (out, W, b)\n",
    ),
    # relu_forward
    Mistake(
        "relu-forward-mask",
        "relu_forward",
        "you returned the mask x > 0 (ones and zeros) as the output; ReLU's output is the value itself "
        "where x > 0 and 0 elsewhere: np.maximum(x, 0) (or x * (x > 0)).",
        "def relu_forward(x):\n    return x > 0, x\n",
    ),
    Mistake(
        "relu-forward-np-max",
        "relu_forward",
        "np.max(x, 0) is the largest value along axis 0 (it shrinks the array); the element-wise maximum of x "
        "and 0 is np.maximum(x, 0).",
        "def relu_forward(x):\n    return np.max(x, 0), x\n",
    ),
    Mistake(
        "relu-forward-no-cache",
        "relu_forward",
        "you returned the output alone; relu_forward returns two things, the output and the cache, which is "
        "the input x itself (the backward pass needs to know where x > 0).",
        "def relu_forward(x):\n    return np.maximum(x, 0)\n",
    ),
    Mistake(
        "relu-forward-cache-none",
        "relu_forward",
        "your cache is None; the backward pass needs to know where x > 0 (ReLU's derivative is 1 there and 0 "
        "elsewhere): return x as the cache.",
        "def relu_forward(x):\n    return np.maximum(x, 0), None\n",
    ),
    # forward
    Mistake(
        "forward-activation-on-output",
        "forward",
        "you applied the activation to the output layer too; the last layer is dense only, so forward returns "
        "raw scores (logits), which can be negative; softmax or the loss turns them into probabilities later.",
        _forward_code(output="scores = act(h @ W + b)"),
    ),
    Mistake(
        "forward-no-hidden-activation",
        "forward",
        "your hidden layers have no activation, so the whole network is one linear map; apply the activation "
        "after every hidden dense layer: h = act(h @ W + b).",
        _forward_code(hidden="h_next = z"),
    ),
    Mistake(
        "forward-reversed-layers",
        "forward",
        "you applied the layers in reverse order; the input X goes through params[0] first and params[-1] last "
        "(backward, in chapter 6, is the pass that walks them in reverse).",
        _forward_code(order="params[::-1]"),
    ),
    Mistake(
        "forward-W-transposed",
        "forward",
        "you multiplied by W.T; each W_l has shape (M_{l-1}, M_l), one row per input, so every layer is "
        "h @ W + b.",
        _forward_code(layer="z = h @ W.T + b", output="scores = h @ W.T + b"),
    ),
    Mistake(
        "forward-no-bias",
        "forward",
        "you left out the biases: every layer, the output layer included, computes h @ W + b.",
        _forward_code(layer="z = h @ W", output="scores = h @ W"),
    ),
    Mistake(
        "forward-ignores-activation",
        "forward",
        "you always used ReLU; the activation argument (\"relu\", \"sigmoid\" or \"tanh\") chooses the hidden "
        "layers' activation.",
        _forward_code().replace("}[activation]", "}['relu']"),
    ),
    Mistake(
        "forward-softmax-scores",
        "forward",
        "you returned softmax probabilities; forward returns the scores (logits) of the last dense layer: "
        "softmax belongs to the loss (softmax_cross_entropy) and to reading off probabilities.",
        _forward_code(scores="np.exp(scores - scores.max(axis=1, keepdims=True)) / "
                             "np.exp(scores - scores.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)"),
    ),
    Mistake(
        "forward-no-output-cache",
        "forward",
        "caches has no entry for the output layer; every layer, the last one included, keeps its dense cache, "
        "since the backward pass starts at the output layer.",
        _forward_code(out_cache="pass"),
    ),
    Mistake(
        "forward-caches-outputs",
        "forward",
        "each cache holds the layer's output instead of its input; the weight gradient of layer l is "
        "dW_l = h_{l-1}.T @ dz_l, so keep the input h_{l-1} (as dense_forward's cache does).",
        _forward_code(cache="caches.append(((h_next, W, b), z))", out_cache="caches.append(((h @ W + b, W, b), None))"),
    ),
    # predict
    Mistake(
        "predict-axis0",
        "predict",
        "you took the argmax over axis 0, the samples; each row holds one sample's C scores, so the class is "
        "the argmax over axis 1: np.argmax(scores, axis=1).",
        _predict_code("return np.argmax(h @ W + b, axis=0)"),
    ),
    Mistake(
        "predict-no-axis",
        "predict",
        "np.argmax without an axis returns one index into the flattened array; you need one class per sample: "
        "np.argmax(scores, axis=1).",
        _predict_code("return np.argmax(h @ W + b)"),
    ),
    Mistake(
        "predict-max-not-argmax",
        "predict",
        "you returned the largest score of each row (np.max); the prediction is the position of that score, "
        "the class index: np.argmax(scores, axis=1).",
        _predict_code("return np.max(h @ W + b, axis=1)"),
    ),
    Mistake(
        "predict-ignores-activation",
        "predict",
        "you always used ReLU; pass the activation argument on to forward: forward(X, params, activation).",
        _predict_code(activation='"relu"'),
    ),
]
