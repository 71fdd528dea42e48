"""Real nbgrader runs, every chapter: the solution scores full marks, the
untouched student notebook scores zero with only NotImplementedError, and (for
activations) one wrong answer loses exactly its own points. Scores come from
nbgrader's gradebook, never from exit codes. Grading goes through ``make
grade``'s pipeline, and the checks are ``make validate``'s (dlcore.course.validate)."""

from __future__ import annotations

import nbformat
import pytest
from conftest import CHAPTER_NOTEBOOKS, chapter_params
from nbtools import cell, errors, submit, with_answers

from dlcore.course import Course
from dlcore.course.grade import grade_course
from dlcore.course.validate import full_marks_problems, submit_reference_notebooks, untouched_problems

pytestmark = pytest.mark.slow

SOFTMAX_AXIS0 = '''
def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
'''

_graded: dict[str, Course] = {}


@pytest.fixture
def graded(released_course, chapter: str) -> Course:
    """The chapter graded once per worker by ``make grade``'s pipeline: students 'solution' and
    'untouched' (+ 'axis0')."""
    if chapter not in _graded:
        course = released_course(chapter)
        submit_reference_notebooks(course, chapter)
        students = ["solution", "untouched"]
        if chapter == "03_activations":
            solution = nbformat.read(course.solutions / chapter / CHAPTER_NOTEBOOKS[chapter], as_version=4)
            answer = with_answers(solution, {"softmax": SOFTMAX_AXIS0})
            submit(course, "axis0", chapter, CHAPTER_NOTEBOOKS[chapter], answer)
            students.append("axis0")
        grade_course(course.root, [chapter], jobs=2, progress=None, students=students, release=False)
        _graded[chapter] = course
    return _graded[chapter]


@pytest.mark.parametrize("chapter", chapter_params())
def test_solution_scores_full_marks(graded: Course, chapter: str) -> None:
    problems = full_marks_problems(graded, chapter, "solution")
    assert not problems, problems


@pytest.mark.parametrize("chapter", chapter_params())
def test_untouched_student_notebook_scores_zero_with_only_not_implemented(graded: Course, chapter: str) -> None:
    problems = untouched_problems(graded, chapter, "untouched")
    assert not problems, problems


@pytest.mark.parametrize("chapter", chapter_params())
def test_feedback_has_no_hidden_test_source(graded: Course, chapter: str) -> None:
    pages = sorted(graded.feedback_dir.glob(f"*/{chapter}/*.html"))
    assert len(pages) >= 2, pages
    for page in pages:
        html = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "hidden=True" not in html, page


@pytest.mark.parametrize("chapter", chapter_params())
def test_hidden_cells_are_restored_at_grade_time(graded: Course, chapter: str) -> None:
    name = CHAPTER_NOTEBOOKS[chapter]
    graded_nb = nbformat.read(graded.root / "autograded" / "solution" / chapter / name, as_version=4)
    released = nbformat.read(graded.chapters_dir / chapter / name, as_version=4)
    hidden = [c.metadata["nbgrader"]["grade_id"] for c in released.cells
              if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("hidden_")]
    assert hidden
    for grade_id in hidden:
        assert "hidden=True" in cell(graded_nb, grade_id).source
        assert "hidden=True" not in cell(released, grade_id).source


@pytest.mark.parametrize("chapter", [p for p in chapter_params() if p.values[0] == "03_activations"])
def test_one_wrong_exercise_loses_exactly_its_points(graded: Course, chapter: str) -> None:
    scores = graded.cell_scores(chapter, "axis0")
    lost = {gid for gid, (score, max_score) in scores.items() if score < max_score}
    assert lost == {"check_softmax", "hidden_softmax"}, lost
    assert scores["check_softmax"][0] == 0 and scores["hidden_softmax"][0] == 0
    errs = errors(graded, "axis0", chapter, CHAPTER_NOTEBOOKS[chapter])["check_softmax"]
    text = "\n".join(errs[0]["traceback"])
    assert errs[0]["ename"] == "CheckFailed"
    assert "normalised over axis 0" in text
    assert "AssertionError" not in text
