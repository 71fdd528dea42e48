"""dlcore.course.demos: which demonstration cells grading may leave out, and why the others run."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dlcore.course.demos import cell_names, skippable

ROOT = Path(__file__).resolve().parents[1]


def code(source: str, **nbgrader: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = dict(nbgrader)
    return cell


SETUP = code("import numpy as np\nfrom dlcore.grading import check", grade_id="setup", locked=True)
DATA = code("rng = np.random.default_rng(0)\nx = rng.standard_normal((5, 3))")
PLOT = code("fig = plot_everything(x)\nprint(x.mean())")
NOTE = code("print('ReLU is max(0, z)')")
ANSWER = code("def relu(z):\n    raise NotImplementedError()", grade_id="relu", solution=True)
CHECK = code("check(relu, 'relu')", grade_id="check_relu", grade=True, points=1)
INSTRUCTOR = [SETUP, DATA, PLOT, NOTE, ANSWER, CHECK]
A = 4  # the answer cell


def notebook(*changes: tuple[int, str], extra: list[nbformat.NotebookNode] | None = None) -> list:
    """The instructor's cells, with (index, new source) changes and extra cells appended."""
    cells = [nbformat.from_dict(c) for c in INSTRUCTOR]
    for index, source in changes:
        cells[index].source = source
    return cells + list(extra or [])


# -- the names of a cell ------------------------------------------------------------
@pytest.mark.parametrize("source, binds, reads", [
    ("x = y + 1", {"x"}, {"y"}),
    ("import numpy as np\nfrom a.b import c as d\nimport os.path", {"np", "d", "os"}, set()),
    ("def f(z, w=k):\n    q = z + g\n    return q", {"f"}, {"k", "g"}),  # parameters and locals are not globals
    ("def f(z):\n    z += 1\n    return z", {"f"}, set()),  # a local augmented assignment reads nothing global
    ("x += 1", {"x"}, {"x"}),  # at the top level it reads x
    ("del x", {"x"}, {"x"}),
    ("def f():\n    global g\n    g = 1", {"f", "g"}, {"g"}),
    ("class C:\n    m = n\n    def f(self):\n        return p", {"C"}, {"n", "p"}),
    ("ys = [t * k for t in xs]", {"ys"}, {"k", "xs"}),
    ("f = lambda u: u + s", {"f"}, {"s"}),
    ("for i in range(3):\n    total = i", {"i", "total"}, {"i", "range"}),
])
def test_cell_names_follow_python_scopes(source: str, binds: set[str], reads: set[str]) -> None:
    names = cell_names(source)
    assert names is not None
    assert names.binds == binds
    assert names.reads == reads


def test_data_names_are_the_assigned_ones_not_imports_or_definitions() -> None:
    names = cell_names("import numpy as np\ndef f():\n    pass\nrng = np.random.default_rng(0)")
    assert names is not None
    assert names.data == {"rng"}


@pytest.mark.parametrize("source", ["x = (", "from numpy import *", "nonlocal x", "x = 1\x00", "a" + " + a" * 100_000])
def test_cells_that_cannot_be_read_have_no_names(source: str) -> None:
    assert cell_names(source) is None


def test_ipython_magics_read_through_get_ipython() -> None:
    names = cell_names("%timeit f(x)")
    assert names is not None and "get_ipython" in names.reads


# -- which cells are skipped -----------------------------------------------------------
def test_demonstrations_no_graded_cell_needs_are_skipped() -> None:
    assert skippable(notebook(), INSTRUCTOR) == {1, 2, 3}


def test_a_demo_whose_variable_an_answer_reads_runs_and_so_do_demos_that_read_it() -> None:
    """DATA binds x, which the answer reads; PLOT reads x too (it could change it in place, or draw from
    rng), so it runs as well, in its place."""
    cells = notebook((A, "def relu(z):\n    return np.maximum(z, 0) * (x.shape[0] // 5)"))
    assert skippable(cells, INSTRUCTOR) == {3}


def test_a_demo_the_student_edited_runs() -> None:
    cells = notebook((3, NOTE.source + "\nprint('mine')"))
    assert skippable(cells, INSTRUCTOR) == {1, 2}


def test_a_cell_the_student_added_runs_and_its_names_count() -> None:
    cells = notebook(extra=[code("y = x * 2")])
    assert skippable(cells, INSTRUCTOR) == {3}


def test_nbgrader_cells_always_run_even_with_a_demo_source() -> None:
    cells = notebook()
    cells[3].metadata["nbgrader"] = {"grade_id": "mine", "locked": True}
    assert skippable(cells, INSTRUCTOR) == {1, 2}


@pytest.mark.parametrize("source", [
    "def relu(z):\n    return globals()['x']",
    "def relu(z):\n    return eval('x')",
    "%run other.py",
    "import sys\ndef relu(z):\n    return sys.modules['__main__'].x",
    "def relu(z) return z",  # does not parse: its names are unknown
])
def test_nothing_is_skipped_when_a_running_cell_could_reach_any_name(source: str) -> None:
    assert skippable(notebook((A, source)), INSTRUCTOR) == set()


def test_a_moved_demo_is_still_the_instructors() -> None:
    cells = notebook()
    cells.append(cells.pop(3))
    assert skippable(cells, INSTRUCTOR) == {1, 2, len(cells) - 1}


def test_every_chapter_skips_exactly_its_demonstrations() -> None:
    """In the course's own notebooks, no graded cell needs a demonstration: solution and student alike."""
    for source in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        instructor = nbformat.read(source, as_version=4)
        released = nbformat.read(ROOT / "chapters" / source.parent.name / source.name, as_version=4)
        demos = {i for i, c in enumerate(instructor.cells)
                 if c.cell_type == "code" and c.source.strip() and not c.metadata.get("nbgrader")}
        assert demos, source
        assert skippable(instructor.cells, instructor.cells) == demos, source
        assert skippable(released.cells, instructor.cells) == demos, source
