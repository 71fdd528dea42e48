"""dlcore.grading in-process: right answers pass, wrong answers fail with the
right message, cheating is caught. (test_grading_pipeline.py runs nbgrader.)"""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from dlcore.grading import CheckFailed, all_exercises, check, get_exercise, mistakes


def solution_functions(chapter_path: Path) -> dict[str, object]:
    """Execute a solution notebook's setup and answer cells; return its namespace."""
    nb = nbformat.read(chapter_path, as_version=4)
    namespace: dict[str, object] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            exec(compile(cell.source, f"<{meta['grade_id']}>", "exec"), namespace)  # noqa: S102
    return namespace


SOLUTIONS = {p.parent.name: p for p in sorted(ROOT.glob("solutions/*/*.ipynb"))}
ALL = sorted(all_exercises().values(), key=lambda e: (e.chapter, e.name))


@pytest.fixture(scope="module")
def solved() -> dict[str, dict[str, object]]:
    return {chapter: solution_functions(path) for chapter, path in SOLUTIONS.items()}


def student(code: str, name: str) -> object:
    namespace: dict[str, object] = {"np": np}
    exec(code, namespace)  # noqa: S102
    return namespace[name]


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_solution_passes_visible_and_hidden_checks(exercise, solved) -> None:
    func = solved[exercise.chapter][exercise.name]
    check(func, exercise.name)
    for seed in range(20):  # hidden inputs are drawn at grade time: a right answer passes on every draw
        check(func, exercise.name, hidden=True, seed=seed)


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_every_exercise_is_in_a_solution_notebook(exercise) -> None:
    assert exercise.chapter in SOLUTIONS, f"{exercise.name}: no notebook for chapter {exercise.chapter}"


@pytest.mark.parametrize("mistake", mistakes(), ids=lambda m: m.id)
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_every_known_mistake_fails_with_its_own_sentence(mistake, hidden) -> None:
    with pytest.raises(CheckFailed) as info:
        check(mistake.function(), mistake.exercise, hidden=hidden, seed=7)
    assert f"[{mistake.id}]: {mistake.message}" in str(info.value)


@pytest.mark.parametrize("mistake", mistakes(), ids=lambda m: m.id)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # many mistakes overflow on large inputs
def test_every_known_mistake_fails_the_hidden_tests_on_every_draw(mistake) -> None:
    """Hidden inputs are drawn at grade time: no draw may let a known mistake through.

    (predict-ignores-activation once passed on about one draw in 50: its
    networks were too small for ReLU and tanh to disagree.)
    """
    func = mistake.function()
    passed = []
    for seed in range(100):
        try:
            check(func, mistake.exercise, hidden=True, seed=seed)
        except CheckFailed:
            continue
        passed.append(seed)
    assert not passed, f"{mistake.id} passed the hidden tests of {mistake.exercise} with seeds {passed}"


def test_not_attempted_raises_not_implemented() -> None:
    def softmax(Z):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="softmax is not written yet"):
        check(softmax, "softmax")


def test_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no exercise called 'sofmax'.*softmax"):
        check(lambda z: z, "sofmax")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("def relu(z):\n    np.maximum(z, 0)\n", "returned None: did you forget the `return` statement?"),
        ("def relu(z):\n    return np.maximum(z, 0).ravel()[:-1]\n", "wrong shape (4,) instead of (5,)"),
        ("def relu(z):\n    return 2 * np.maximum(z, 0)\n", "every value is 2 times the expected one"),
        ("def relu(z):\n    return -np.maximum(z, 0)\n", "every value has the wrong sign"),
        ("def relu(z):\n    return np.maximum(z, 0.5)\n", "first wrong value at index (0,): expected 0, got 0.5"),
        ("def relu(z):\n    return str(z)\n", "not numbers"),
        ("def relu(z):\n    return np.log(z)\n", "NaN or infinite"),
        ("def relu(z):\n    return z[10]\n", "raised IndexError"),
        ("def relu(z):\n    z[z < 0] = 0\n    return z\n", "changed its input argument 1 in place"),
    ],
    ids=["none", "shape", "factor", "sign", "first-wrong", "not-numbers", "nan", "raises", "in-place"],
)
def test_general_problems_are_described(code: str, message: str) -> None:
    with np.errstate(all="ignore"), pytest.raises(CheckFailed) as info:
        check(student(code, "relu"), "relu")
    text = str(info.value)
    assert message in text, text
    assert "input: z of shape" in text


def test_transposed_result_is_named() -> None:
    code = "def softmax(Z):\n    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n    return (E / E.sum(axis=1, keepdims=True)).T\n"
    with pytest.raises(CheckFailed, match="transpose of the expected result"):
        check(student(code, "softmax"), "softmax")


# -- guards ------------------------------------------------------------------

DELEGATIONS = {
    "from-import": "from dlcore.activations import softmax as sm\ndef softmax(Z):\n    return sm(Z)\n",
    "module-alias": "import dlcore as d\nimport dlcore.activations\ndef softmax(Z):\n    return d.activations.softmax(Z)\n",
    "importlib": "import importlib\ndef softmax(Z):\n    return importlib.import_module('dlcore.activations').softmax(Z)\n",
    "helper": "from dlcore import activations\ndef helper(Z):\n    return activations.softmax(Z)\ndef softmax(Z):\n    return helper(Z)\n",
}


@pytest.mark.parametrize("code", list(DELEGATIONS.values()), ids=list(DELEGATIONS))
def test_calling_the_reference_is_caught(code: str) -> None:
    with pytest.raises(CheckFailed, match=r"softmax calls dlcore\.activations\.softmax: write your own"):
        check(student(code, "softmax"), "softmax")


def test_allowed_functions_are_listed_per_exercise() -> None:
    for exercise in all_exercises().values():
        for dotted in exercise.allowed:
            module, _, name = dotted.rpartition(".")
            assert callable(getattr(importlib.import_module(module), name)), dotted


def test_rebinding_numpy_helpers_does_not_fool_the_check() -> None:
    saved = (np.allclose, np.testing.assert_allclose, np.isclose, np.array_equal)
    try:
        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
        np.array_equal = lambda *a, **k: True
        wrong = student("def sigmoid(z):\n    return z\n", "sigmoid")
        with pytest.raises(CheckFailed, match="sigmoid is not right yet"):
            check(wrong, "sigmoid")
        assert np.allclose(1, 2), "the student's rebinding is put back after the check"
    finally:
        np.allclose, np.testing.assert_allclose, np.isclose, np.array_equal = saved


def test_python_loop_over_samples_fails_the_vectorisation_guard() -> None:
    code = (
        "def softmax(Z):\n"
        "    rows = []\n"
        "    for z in Z:\n"
        "        e = np.exp(z - z.max())\n"
        "        rows.append(e / e.sum())\n"
        "    return np.array(rows).reshape(Z.shape)\n"
    )
    with pytest.raises(CheckFailed, match="runs a Python loop over the samples"):
        check(student(code, "softmax"), "softmax")


def test_hidden_inputs_change_with_the_seed() -> None:
    exercise = get_exercise("softmax")
    a = exercise.hidden_cases(np.random.default_rng(1))[-1].args[0]
    b = exercise.hidden_cases(np.random.default_rng(2))[-1].args[0]
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_infinity_is_not_close_to_a_finite_value() -> None:
    from dlcore.grading.compare import describe_array_difference

    assert describe_array_difference(np.array([np.inf, 1.0]), np.array([5.0, 1.0]), 1e-5, 1e-8) is not None
    assert describe_array_difference(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]), 1e-5, 1e-8) is None


def test_ragged_results_are_compared_item_by_item() -> None:
    from dlcore.grading.compare import describe_difference

    want = [(np.ones((2, 3)), np.zeros(3)), (np.ones((3, 1)), np.zeros(1))]
    assert describe_difference(want, [(np.ones((2, 3)), np.zeros(3)), (np.ones((3, 1)), np.zeros(1))],
                               ("result",), 1e-6, 1e-9) is None
    assert describe_difference(want, want[:1], ("result",), 1e-6, 1e-9) == "returned 1 items instead of 2"
    wrong = [(np.ones((2, 3)), np.zeros(3)), (2 * np.ones((3, 1)), np.zeros(1))]
    assert describe_difference(want, wrong, ("result",), 1e-6, 1e-9).startswith("item 1: item 0: every value is 2 times")


def test_in_place_change_names_the_catalogued_mistake_that_does_the_same() -> None:
    code = "def sgd_step(param, grad, lr):\n    param -= lr * grad\n    return param\n"
    with pytest.raises(CheckFailed) as info:
        check(student(code, "sgd_step"), "sgd_step")
    text = str(info.value)
    assert "sgd_step changed its input argument 1 in place" in text, text
    assert "likely mistake [sgd-in-place]" in text, text


def test_in_place_change_of_another_argument_names_no_mistake() -> None:
    # No catalogued mistake of sgd_step changes grad (argument 2): the message must not blame one.
    code = "def sgd_step(param, grad, lr):\n    grad *= lr\n    return param - grad\n"
    with pytest.raises(CheckFailed) as info:
        check(student(code, "sgd_step"), "sgd_step")
    text = str(info.value)
    assert "sgd_step changed its input argument 2 in place" in text, text
    assert "likely mistake" not in text, text


def test_changed_inputs_covers_positional_and_keyword_arrays() -> None:
    from dlcore.grading.check import _changed_inputs

    a, b = np.zeros(3), np.ones(2)
    before = ((a.copy(), 0.1), {"velocity": b.copy(), "beta": 0.9})
    assert _changed_inputs(before, ((a, 0.1), {"velocity": b, "beta": 0.9})) == []
    a[0], b[1] = 1.0, 5.0
    assert _changed_inputs(before, ((a, 0.1), {"velocity": b, "beta": 0.9})) == [0, "velocity"]
