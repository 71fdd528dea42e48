"""Real nbgrader runs: solutions score full marks, stubs score zero, a wrong
answer loses exactly its own exercise's points. Scores come from the gradebook."""

from __future__ import annotations

import nbformat
import pytest
from nbtools import cell, errors, submit, with_answers

from dlcore.course import Course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader-activations")]

CHAPTER, NAME = "03_activations", "activations.ipynb"
SOFTMAX_AXIS0 = '''
def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
'''


@pytest.fixture(scope="module")
def graded(released_course: Course) -> Course:
    course = released_course
    solution = nbformat.read(course.solutions / CHAPTER / NAME, as_version=4)
    student = nbformat.read(course.chapters_dir / CHAPTER / NAME, as_version=4)
    submit(course, "solution", CHAPTER, NAME, solution)
    submit(course, "untouched", CHAPTER, NAME, student)
    submit(course, "axis0", CHAPTER, NAME, with_answers(solution, {"softmax": SOFTMAX_AXIS0}))
    course.autograde(CHAPTER)
    course.generate_feedback(CHAPTER)
    return course


def test_solution_scores_full_marks(graded: Course) -> None:
    scores = graded.cell_scores(CHAPTER, "solution")
    assert scores, "no grade cells were recorded"
    lost = {gid: s for gid, s in scores.items() if s[0] != s[1]}
    assert not lost, f"the solution notebook lost points: {lost}; errors: {errors(graded, 'solution', CHAPTER, NAME)}"


def test_untouched_student_notebook_scores_zero_with_only_not_implemented(graded: Course) -> None:
    scores = graded.cell_scores(CHAPTER, "untouched")
    assert all(max_score > 0 for _, max_score in scores.values())
    assert sum(score for score, _ in scores.values()) == 0, scores
    errs = errors(graded, "untouched", CHAPTER, NAME)
    assert set(errs) == set(scores), f"cells without an error: {set(scores) - set(errs)}"
    names = {o["ename"] for outs in errs.values() for o in outs}
    assert names == {"NotImplementedError"}, names


def test_one_wrong_exercise_loses_exactly_its_points(graded: Course) -> None:
    scores = graded.cell_scores(CHAPTER, "axis0")
    lost = {gid for gid, (score, max_score) in scores.items() if score < max_score}
    assert lost == {"check_softmax", "hidden_softmax"}, lost
    assert scores["check_softmax"][0] == 0 and scores["hidden_softmax"][0] == 0


def test_failure_message_names_the_mistake_without_a_bare_assertion(graded: Course) -> None:
    errs = errors(graded, "axis0", CHAPTER, NAME)["check_softmax"]
    text = "\n".join(errs[0]["traceback"])
    assert errs[0]["ename"] == "CheckFailed"
    assert "normalised over axis 0" in text
    assert "AssertionError" not in text


def test_feedback_has_no_hidden_test_source(graded: Course) -> None:
    pages = sorted((graded.feedback_dir).glob(f"*/{CHAPTER}/*.html"))
    assert len(pages) == 3, pages
    for page in pages:
        html = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "hidden=True" not in html, page


def test_hidden_cells_are_restored_at_grade_time(graded: Course) -> None:
    nb = nbformat.read(graded.root / "autograded" / "solution" / CHAPTER / NAME, as_version=4)
    assert "hidden=True" in cell(nb, "hidden_softmax").source
    released = nbformat.read(graded.chapters_dir / CHAPTER / NAME, as_version=4)
    assert "hidden=True" not in cell(released, "hidden_softmax").source
