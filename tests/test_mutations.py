"""Mutation adequacy through real nbgrader runs.

Every entry of the catalogue of known mistakes is pasted into its chapter's
notebook in place of the solution, graded by nbgrader, and must lose that
exercise's points with that entry's sentence in the feedback. Cheating
submissions (calling dlcore's reference, rebinding numpy's testing helpers, a
loop where vectorised code is required) must score zero on that exercise with
the guard's message. The catalogue and these tests cannot drift apart: the
submissions are built from the catalogue itself.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

import nbformat
import pytest
from conftest import CHAPTER_NOTEBOOKS, chapter_params
from nbtools import submit, with_answers

from dlcore.course import Course
from dlcore.grading import Mistake, all_exercises, mistakes

pytestmark = pytest.mark.slow


def mutant_slots(chapter: str) -> list[dict[str, Mistake]]:
    """Submissions for ``chapter``: slot k holds the k-th known mistake of every exercise."""
    by_exercise: dict[str, list[Mistake]] = defaultdict(list)
    for mistake in mistakes():
        if all_exercises()[mistake.exercise].chapter == chapter:
            by_exercise[mistake.exercise].append(mistake)
    depth = max((len(v) for v in by_exercise.values()), default=0)
    return [{ex: ms[k] for ex, ms in by_exercise.items() if k < len(ms)} for k in range(depth)]


# Cheating submissions of the activations chapter: (student, exercise, answer code, expected message).
CHEATS = [
    ("cheat-from-import", "sigmoid",
     "from dlcore.activations import sigmoid as reference\n\ndef sigmoid(z):\n    return reference(z)\n",
     "sigmoid calls dlcore.activations.sigmoid: write your own"),
    ("cheat-module-alias", "relu",
     "import dlcore as d\nimport dlcore.activations\n\ndef relu(z):\n    return d.activations.relu(z)\n",
     "relu calls dlcore.activations.relu: write your own"),
    ("cheat-importlib", "softmax",
     "import importlib\n\ndef softmax(Z):\n    return importlib.import_module('dlcore.activations').softmax(Z)\n",
     "softmax calls dlcore.activations.softmax: write your own"),
    ("cheat-rebind-numpy", "leaky_relu",
     "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
     "np.allclose = lambda *args, **kwargs: True\n"
     "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)\n\n"
     "def leaky_relu(z, alpha=0.01):\n    return z\n",
     "leaky_relu is not right yet"),
    ("cheat-python-loop", "softmax",
     "def softmax(Z):\n    rows = []\n    for z in Z:\n        e = np.exp(z - z.max())\n        rows.append(e / e.sum())\n"
     "    return np.array(rows).reshape(Z.shape)\n",
     "softmax runs a Python loop over the samples"),
]

_graded: dict[str, Course] = {}


def feedback_text(course: Course, student: str, chapter: str) -> str:
    page = course.feedback_dir / student / chapter / CHAPTER_NOTEBOOKS[chapter].replace(".ipynb", ".html")
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


@pytest.fixture
def graded(released_course, chapter: str) -> Course:
    if chapter not in _graded:
        course = released_course(chapter)
        name = CHAPTER_NOTEBOOKS[chapter]
        solution = nbformat.read(course.solutions / chapter / name, as_version=4)
        for k, slot in enumerate(mutant_slots(chapter)):
            answers = {exercise: mistake.code for exercise, mistake in slot.items()}
            submit(course, f"mutant-{k}", chapter, name, with_answers(solution, answers))
        if chapter == "03_activations":
            for student, exercise, code, _ in CHEATS:
                submit(course, student, chapter, name, with_answers(solution, {exercise: code}))
        course.autograde(chapter, student="mutant-*")
        if chapter == "03_activations":
            course.autograde(chapter, student="cheat-*")
        course.generate_feedback(chapter)
        _graded[chapter] = course
    return _graded[chapter]


def test_the_catalogue_is_large_enough() -> None:
    assert len(mistakes()) >= 16, "the catalogue keeps at least 16 entries for the activations chapter alone"
    assert {m.exercise for m in mistakes() if all_exercises()[m.exercise].chapter == "03_activations"} == {
        e.name for e in all_exercises().values() if e.chapter == "03_activations"
    }, "every exercise of the activations chapter has catalogued mistakes"


@pytest.mark.parametrize("chapter", chapter_params())
def test_every_known_mistake_loses_its_points_with_its_sentence(graded: Course, chapter: str) -> None:
    slots = mutant_slots(chapter)
    if not slots:
        pytest.fail(f"chapter {chapter} has no catalogued mistakes")
    problems = []
    for k, slot in enumerate(slots):
        student = f"mutant-{k}"
        scores = graded.cell_scores(chapter, student)
        feedback = feedback_text(graded, student, chapter)
        for exercise, mistake in slot.items():
            for cell_id in (f"check_{exercise}", f"hidden_{exercise}"):
                if scores[cell_id][0] != 0:
                    problems.append(f"{mistake.id}: {cell_id} scored {scores[cell_id][0]}")
            if f"[{mistake.id}]: {mistake.message}" not in feedback:
                problems.append(f"{mistake.id}: its sentence is not in the feedback of {student}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", [p for p in chapter_params() if p.values[0] == "03_activations"])
@pytest.mark.parametrize(("student", "exercise", "code", "message"), CHEATS, ids=[c[0] for c in CHEATS])
def test_cheating_scores_zero_with_its_message(graded: Course, chapter: str, student: str, exercise: str,
                                               code: str, message: str) -> None:
    scores = graded.cell_scores(chapter, student)
    assert scores[f"check_{exercise}"][0] == 0 and scores[f"hidden_{exercise}"][0] == 0, scores
    assert message in feedback_text(graded, student, chapter)
    others = {gid: s for gid, s in scores.items() if not gid.endswith(exercise) and s[0] != s[1]}
    if exercise != "sigmoid":  # sigmoid_grad calls the student's sigmoid, which delegates
        assert not others, f"other exercises lost points: {others}"
