"""The bad-submissions corpus: each case is the released activations notebook plus a small edit.

``build_corpus(submitted, released, solution, outside)`` writes every case under
``submitted/<student>/03_activations/`` and returns the :class:`Case` list with
the score and status each must get. The table in README.md describes them.
Expected scores are written from the points in the notebook's own metadata
(``points(...)``), never from the grader.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

CHAPTER = "03_activations"
NOTEBOOK = "activations.ipynb"


@dataclass
class Case:
    student: str
    what: str
    status: str
    score: Callable[[Any], float]  # released notebook -> expected score
    build: Callable[[Path, Any, Any, Path], None]  # (folder, released, solution, outside dir)
    detail: str = ""  # a piece of the details column


# -- notebook edits -------------------------------------------------------------
def _gid(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def find(nb: Any, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == grade_id)


def points(nb: Any, *exercises: str) -> float:
    """Points of the grade cells of ``exercises`` (all grade cells when none given)."""
    total = 0.0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and (not exercises or meta["grade_id"].split("_", 1)[1] in exercises):
            total += float(meta["points"])
    return total


def answered(released: Any, solution: Any) -> Any:
    """The released notebook with every answer cell holding the solution's code (a good student)."""
    nb = copy.deepcopy(released)
    answers = {_gid(c): c.source for c in solution.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        if _gid(cell) in answers:
            cell.source = answers[_gid(cell)]
    return nb


def code_cell(source: str) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    return cell


def _write(folder: Path, nb: Any, name: str = NOTEBOOK) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def edited(edit: Callable[[Any], None], name: str = NOTEBOOK) -> Callable[[Path, Any, Any, Path], None]:
    def build(folder: Path, released: Any, solution: Any, outside: Path) -> None:
        nb = answered(released, solution)
        edit(nb)
        _write(folder, nb, name)

    return build


def answer(exercise: str, source: str) -> Callable[[Any], None]:
    def edit(nb: Any) -> None:
        nb.cells[find(nb, exercise)].source = source

    return edit


def raw(data: bytes) -> Callable[[Path, Any, Any, Path], None]:
    def build(folder: Path, released: Any, solution: Any, outside: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / NOTEBOOK).write_bytes(data)

    return build


def nothing(folder: Path, released: Any, solution: Any, outside: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)  # the student's folder exists, the chapter's does not


# -- the cases -------------------------------------------------------------------
SOFTMAX_AXIS0 = """def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
"""
WRONG_RELU_GRAD = "def relu_grad(z):\n    return z\n"
WRONG_RELU = "def relu(z):\n    return z\n"
WRONG_SOFTMAX = "def softmax(Z):\n    return Z\n"


def _delete_relu_tests(nb: Any) -> None:
    nb.cells[find(nb, "relu")].source = WRONG_RELU
    for gid in ("check_relu", "hidden_relu"):
        del nb.cells[find(nb, gid)]


def _assert_true(nb: Any) -> None:
    nb.cells[find(nb, "relu_grad")].source = WRONG_RELU_GRAD
    for gid in ("check_relu_grad", "hidden_relu_grad"):
        nb.cells[find(nb, gid)].source = "assert True"


def _points_edited(nb: Any) -> None:
    nb.cells[find(nb, "softmax")].source = WRONG_SOFTMAX
    meta = nb.cells[find(nb, "check_softmax")].metadata.nbgrader
    meta["points"] = 100
    meta = nb.cells[find(nb, "hidden_softmax")].metadata.nbgrader
    meta["grade"] = False  # "not a test any more"


def _metadata_removed(nb: Any) -> None:
    nb.cells[find(nb, "softmax")].source = WRONG_SOFTMAX
    for gid in ("check_softmax", "hidden_softmax"):
        cell = nb.cells[find(nb, gid)]
        del cell.metadata["nbgrader"]


def _reordered(nb: Any) -> None:
    i, j = find(nb, "sigmoid"), find(nb, "check_sigmoid")
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]  # check before the function it checks
    k = find(nb, "softmax")
    cell = nb.cells.pop(k)
    nb.cells.insert(find(nb, "relu"), cell)  # an answer moved far up


def _kernelspec(nb: Any) -> None:
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb.metadata["language_info"] = {"name": "R"}


def _huge_output(nb: Any) -> None:
    i = find(nb, "sigmoid")
    nb.cells.insert(i, code_cell("print('x' * 20_000_000)\nfor k in range(2000):\n    print(k, 'y' * 1000)"))


def _loop_in_exercise(nb: Any) -> None:
    nb.cells[find(nb, "sigmoid_grad")].source = "def sigmoid_grad(z):\n    while True:\n        pass\n"


def _loop_top_level(nb: Any) -> None:
    i = find(nb, "relu")
    nb.cells[i].source = "while True:\n    pass\n\n" + nb.cells[i].source


def _loop_unstoppable(nb: Any) -> None:
    nb.cells[find(nb, "softmax")].source = (
        "import time\n\ndef softmax(Z):\n    while True:\n        try:\n            time.sleep(0.5)\n"
        "        except KeyboardInterrupt:\n            pass\n"
    )


def _kernel_dies(nb: Any) -> None:
    nb.cells[find(nb, "leaky_relu")].source = "def leaky_relu(z, alpha=0.01):\n    import os\n    os._exit(1)\n"


def _memory_hog(nb: Any) -> None:
    nb.cells[find(nb, "softmax")].source = (
        "def softmax(Z):\n    hog = []\n    while True:\n        hog.append(np.ones(10_000_000))\n"
    )


def _uses_demo_variable(nb: Any) -> None:
    nb.cells[find(nb, "relu")].source = (
        "def relu(z):\n    # W1 is a variable of the demonstration near the top (3 rows)\n"
        "    return np.maximum(z, 0) * (W1.shape[0] // 3)\n"
    )


def _writes_outside(outside: Path, victim: Path) -> Callable[[Path, Any, Any, Path], None]:
    def build(folder: Path, released: Any, solution: Any, _outside: Path) -> None:
        nb = answered(released, solution)
        attempt = (
            "import os\n"
            f"targets = [{str(outside / 'escaped.txt')!r}, '../../../escaped.txt', '../../../gradebook.db',\n"
            f"           {str(victim)!r}]\n"
            "for target in targets:\n"
            "    try:\n"
            "        with open(target, 'w') as fh:\n"
            "            fh.write('overwritten by another student')\n"
            "        print('wrote', target)\n"
            "    except OSError as exc:\n"
            "        print('blocked', target, type(exc).__name__)\n"
        )
        nb.cells.insert(find(nb, "sigmoid"), code_cell(attempt))
        _write(folder, nb)

    return build


def _wrong_name(folder: Path, released: Any, solution: Any, outside: Path) -> None:
    _write(folder, answered(released, solution), "activations (1).ipynb")


def full(nb: Any) -> float:
    return points(nb)


def minus(*exercises: str) -> Callable[[Any], float]:
    return lambda nb: points(nb) - points(nb, *exercises)


def only(*exercises: str) -> Callable[[Any], float]:
    return lambda nb: points(nb, *exercises)


def zero(nb: Any) -> float:
    return 0.0


def build_corpus(submitted: Path, released: Any, solution: Any, outside: Path) -> list[Case]:
    """Write every case under ``submitted``; return them. ``outside`` is a folder outside the course."""
    cases = corpus_cases(submitted, outside)
    for case in cases:
        case.build(submitted / case.student / CHAPTER, released, solution, outside)
    return cases


def corpus_cases(submitted: Path, outside: Path) -> list[Case]:
    """The cases, without writing them."""
    victim = submitted / "good" / CHAPTER / NOTEBOOK
    cases = [
        Case("good", "every answer right", "graded", full, edited(lambda nb: None)),
        Case("axis0", "softmax normalised over axis 0 (a catalogued mistake)", "graded", minus("softmax"),
             edited(answer("softmax", SOFTMAX_AXIS0))),
        Case("loop-in-exercise", "`while True: pass` inside sigmoid_grad", "timed out", minus("sigmoid_grad"),
             edited(_loop_in_exercise), "CellTimeoutError in check_sigmoid_grad"),
        Case("loop-top-level", "`while True: pass` at the top of the relu cell, before its def", "timed out",
             minus("relu"), edited(_loop_top_level), "CellTimeoutError in relu"),
        Case("loop-unstoppable", "softmax loops and swallows KeyboardInterrupt", "timed out", minus("softmax"),
             edited(_loop_unstoppable), "KernelUnresponsiveError"),
        Case("kernel-dies", "leaky_relu calls os._exit(1)", "kernel died",
             only("sigmoid", "sigmoid_grad", "relu", "relu_grad"), edited(_kernel_dies), "DeadKernelError"),
        Case("memory-hog", "softmax appends 80 MB arrays forever", "memory limit", minus("softmax"),
             edited(_memory_hog), "MemoryError"),
        Case("huge-output", "a cell prints 22 MB", "output truncated", full, edited(_huge_output),
             "output truncated in"),
        Case("assert-true", "wrong relu_grad, its test cells edited to `assert True`", "tampered cells restored",
             minus("relu_grad"), edited(_assert_true), "check_relu_grad"),
        Case("tests-deleted", "wrong relu, its test cells deleted", "missing cells restored", minus("relu"),
             edited(_delete_relu_tests), "check_relu"),
        Case("points-edited", "wrong softmax; its check worth 100 points, its hidden tests `grade: false`",
             "tampered cells restored", minus("softmax"), edited(_points_edited), "check_softmax"),
        Case("metadata-removed", "wrong softmax; nbgrader metadata removed from its test cells",
             "tampered cells restored", minus("softmax"), edited(_metadata_removed), "metadata removed"),
        Case("reordered", "a check cell above its function, an answer moved up", "cells reordered", full,
             edited(_reordered)),
        Case("not-json", "a file that is not JSON", "invalid notebook", zero, raw(b"{ this is not json ]")),
        Case("empty-file", "an empty file", "invalid notebook", zero, raw(b"")),
        Case("json-not-notebook", "JSON, but not a notebook", "invalid notebook", zero,
             raw(json.dumps({"hello": "world"}).encode())),
        Case("wrong-name", "every answer right, saved as 'activations (1).ipynb'", "wrong file name", full,
             _wrong_name),
        Case("other-kernel", "every answer right, kernelspec says R", "kernelspec replaced", full, edited(_kernelspec)),
        Case("nothing", "a student folder without the chapter", "not submitted", zero, nothing),
        Case("uses-demo", "relu reads W1, a variable of a demonstration cell", "graded", full,
             edited(_uses_demo_variable)),
        Case("writes-outside", "writes outside its folder (absolute path, ../../.., another student's file)",
             "graded", full, _writes_outside(outside, victim)),
    ]
    return cases
