"""The chapter notebooks: well-formed for nbgrader, committed clean, in sync."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, make_course
from nbtools import grade_cells

from dlcore.course.validate import grade_cell_problems, output_problems, sync_problems
from dlcore.grading import all_exercises

SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))
CHAPTERS = sorted(p.parent.name for p in SOLUTIONS)


def test_there_are_chapters() -> None:
    assert "03_activations" in CHAPTERS


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_solution_notebooks_are_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    problems = output_problems(nb)
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_grade_cell_has_points_and_a_unique_id(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    problems = grade_cell_problems(nb)
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_answer_has_a_visible_check_and_hidden_tests(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    known = all_exercises()
    answers = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = {c.metadata["nbgrader"]["grade_id"] for c in grade_cells(nb)}
    assert answers, "no exercises"
    for name in answers:
        assert name in known, f"exercise {name} has no entry in dlcore.grading"
        assert known[name].chapter == path.parent.name
        assert f"check_{name}" in graded and f"hidden_{name}" in graded, name
        hidden = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"hidden_{name}")
        assert "### BEGIN HIDDEN TESTS" in hidden.source and "hidden=True" in hidden.source


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_exercise_and_check_cells_are_not_executed_in_the_book(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            assert "skip-execution" in c.metadata.get("tags", []), f"{meta['grade_id']} lacks the skip-execution tag"


@pytest.mark.slow
def test_chapters_are_in_sync_with_solutions(tmp_path: Path) -> None:
    course = make_course(tmp_path / "course")
    fresh = course.release_many(course.chapters(), tmp_path / "release")
    problems = sync_problems(fresh, ROOT / "chapters", course.chapters())
    assert not problems, problems
