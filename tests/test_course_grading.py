"""``make grade`` on the bad-submissions corpus (tests/bad_submissions/): real nbgrader runs.

Every case is graded in one batch on two workers; each must end with its score
and status, the batch must carry on, and the good student's result must not
change. Expected scores come from the notebook's points, never from the grader.
"""

from __future__ import annotations

import csv
import fcntl
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from bad_submissions.corpus import CHAPTER, NOTEBOOK, answered, build_corpus, code_cell, corpus_cases, find
from conftest import make_course

from dlcore.course import Course
from dlcore.course.execute import NOT_RUN
from dlcore.course.grade import GradeRun, Row, grade_course, misconception_summary
from dlcore.course.sandbox import landlock_abi
from dlcore.course.status import STATUSES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course-corpus")]

LIMITS = """
# short limits for the bad-submissions corpus
c.Execute.timeout = 10
c.GuardedExecute.notebook_timeout = 240
c.GuardedExecute.unresponsive_timeout = 3
c.GuardedExecute.max_output_bytes = 100_000
c.SandboxedKernelManager.memory_limit = 1024**3
"""


class Corpus:
    """The corpus graded in ``root`` (or, with ``grade=False``, read back from there)."""

    def __init__(self, root: Path, grade: bool = True) -> None:
        self.course: Course = make_course(root / "course") if grade else Course(root / "course")
        self.outside = root / "outside"
        if grade:
            config = self.course.root / "nbgrader_config.py"
            config.write_text(config.read_text() + LIMITS)
            self.outside.mkdir()
            self.course.release_many([CHAPTER])
        self.released = nbformat.read(self.course.chapters_dir / CHAPTER / NOTEBOOK, as_version=4)
        self.solution = nbformat.read(self.course.solutions / CHAPTER / NOTEBOOK, as_version=4)
        self.victim = self.course.submitted / "good" / CHAPTER / NOTEBOOK
        if grade:
            self.cases = build_corpus(self.course.submitted, self.released, self.solution, self.outside)
            (root / "victim-before").write_bytes(self.victim.read_bytes())
            lines: list[str] = []
            grade_course(self.course.root, [CHAPTER], jobs=2, progress=lines.append)
            (root / "progress.txt").write_text("\n".join(lines))
        self.cases = corpus_cases(self.course.submitted, self.outside)
        self.victim_before = (root / "victim-before").read_bytes()
        self.lines = (root / "progress.txt").read_text().splitlines()
        with (self.course.root / "grades.csv").open() as fh:
            self.grades = {(r["student"], r["chapter"]): r for r in csv.DictReader(fh)}
        with (self.course.root / "misconceptions.csv").open() as fh:
            found = [(r["student"], r["chapter"], r["exercise"], r["mistake"]) for r in csv.DictReader(fh)]
        self.run = GradeRun(rows=[Row(r["student"], r["chapter"], float(r["score"]), float(r["max_score"]), r["status"],
                                      r["details"]) for r in self.grades.values()], misconceptions=found)

    def autograded(self, student: str) -> nbformat.NotebookNode:
        return nbformat.read(self.course.root / "autograded" / student / CHAPTER / NOTEBOOK, as_version=4)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Graded once per test session, shared by the xdist workers (whichever gets the lock first grades)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, common to every worker
    root = shared / "bad-submissions"
    with (shared / "bad-submissions.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            Corpus(root, grade=True)
            (root / "done").write_text("")
    return Corpus(root, grade=False)


def test_the_corpus_is_large_enough(corpus: Corpus) -> None:
    assert len(corpus.cases) >= 15
    assert len({c.status for c in corpus.cases}) >= 10


def test_every_submission_gets_its_score_and_status(corpus: Corpus) -> None:
    wrong = []
    for case in corpus.cases:
        row = corpus.grades.get((case.student, CHAPTER))
        expected = (case.score(corpus.released), case.status)
        got = (float(row["score"]), row["status"]) if row else None
        if got != expected or (case.detail and case.detail not in row["details"]):
            wrong.append(f"{case.student} ({case.what}): expected {expected} with {case.detail!r} in the details, "
                         f"got {got} {row and row['details']!r}")
    assert not wrong, "\n".join(wrong)


def test_nobody_is_left_ungraded(corpus: Corpus) -> None:
    students = {c.student for c in corpus.cases}
    assert {p.name for p in corpus.course.submitted.iterdir()} >= students
    assert {s for s, _ in corpus.grades} == students
    for row in corpus.grades.values():
        assert row["status"] in STATUSES
        assert float(row["max_score"]) == 21.0
        assert row["score"] != ""
    assert len(corpus.lines) >= len(students), "progress is shown for every submission"


def test_the_gradebook_agrees_with_grades_csv(corpus: Corpus) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(corpus.course.db_url) as gb:
        for (student, chapter), row in corpus.grades.items():
            try:
                score = float(gb.find_submission(chapter, student).score)
            except MissingEntry:
                assert row["status"] == "not submitted", student
                continue
            assert score == float(row["score"]), student


def test_the_good_student_is_untouched_by_the_others(corpus: Corpus) -> None:
    row = corpus.grades["good", CHAPTER]
    assert (float(row["score"]), row["status"], row["details"]) == (21.0, "graded", "")
    assert corpus.victim.read_bytes() == corpus.victim_before
    nb = corpus.autograded("good")
    errors = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert errors == []


def test_a_failed_check_shows_its_diagnosis_not_the_checkers_frames(corpus: Corpus) -> None:
    """Grading kernels inherit dlcore.grading from the zygote; check() still installs the short display."""
    nb = corpus.autograded("axis0")
    error = next(o for o in nb.cells[find(nb, "check_softmax")].outputs if o.output_type == "error")
    text = "".join(error.traceback)
    assert "softmax-axis0" in text
    assert "dlcore/grading" not in text and "Traceback" not in text


def test_demonstrations_run_only_when_an_answer_needs_them(corpus: Corpus) -> None:
    """The good student's demonstration cells are not run; the cell whose W1 an answer reads is."""
    def demo(nb: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
        return next(c for c in nb.cells if c.cell_type == "code" and text in c.source)

    good, uses = corpus.autograded("good"), corpus.autograded("uses-demo")
    for nb in (good, uses):
        plot = demo(nb, "function_and_derivative(")
        assert plot.execution_count is None and plot.outputs[0].text == NOT_RUN
    assert demo(good, "W1, b1 =").outputs[0].text == NOT_RUN
    data = demo(uses, "W1, b1 =")
    assert data.execution_count is not None and not any(o.get("text") == NOT_RUN for o in data.outputs)


def test_writes_outside_the_folder_are_refused(corpus: Corpus) -> None:
    if landlock_abi() < 1:
        pytest.skip("this Linux kernel has no Landlock: writes are not confined")
    assert not (corpus.outside / "escaped.txt").exists()
    assert corpus.victim.read_bytes() == corpus.victim_before
    nb = corpus.autograded("writes-outside")
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.count("blocked") == 4 and "wrote" not in printed, printed


def test_the_kernel_that_died_keeps_the_points_before_it(corpus: Corpus) -> None:
    nb = corpus.autograded("kernel-dies")
    died = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata and
            any(o.get("ename") == "DeadKernelError" for o in c.get("outputs", []))]
    assert died[0] == "check_leaky_relu" and "hidden_softmax" in died


def test_huge_output_is_truncated(corpus: Corpus) -> None:
    path = corpus.course.root / "autograded" / "huge-output" / CHAPTER / NOTEBOOK
    assert path.stat().st_size < 2_000_000
    page = corpus.course.feedback_dir / "huge-output" / CHAPTER / "activations.html"
    assert page.stat().st_size < 3_000_000


def test_feedback_for_everyone_graded_and_no_hidden_test_source(corpus: Corpus) -> None:
    for case in corpus.cases:
        if case.status == "not submitted":
            continue
        page = corpus.course.feedback_dir / case.student / CHAPTER / "activations.html"
        assert page.exists(), case.student
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, case.student


def test_misconceptions_are_reported(corpus: Corpus) -> None:
    with (corpus.course.root / "misconceptions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {"student": "axis0", "chapter": CHAPTER, "exercise": "softmax", "mistake": "softmax-axis0"} in rows
    assert all(r["student"] != "good" for r in rows)
    summary = misconception_summary(corpus.run)
    graded = sum(1 for r in corpus.grades.values() if r["status"] not in ("not submitted", "invalid notebook"))
    line = next(s for s in summary if "[softmax-axis0]" in s)
    assert line.startswith(f"softmax: 1 of {graded} - "), line
    assert "normalised over axis 0" in line or "columns sum to 1" in line


def test_a_notebook_cannot_run_past_its_time_limit(corpus: Corpus) -> None:
    course = corpus.course
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.GuardedExecute.notebook_timeout = 6\n")
    nb = answered(corpus.released, corpus.solution)
    at = find(nb, "sigmoid")
    for _ in range(10):
        nb.cells.insert(at, code_cell("import time\ntime.sleep(3)"))
    folder = course.submitted / "slowpoke" / CHAPTER
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)
    run = grade_course(course.root, [CHAPTER], jobs=1, progress=None, students=["slowpoke"], write=False,
                       release=False)
    row = run.row("slowpoke", CHAPTER)
    assert (row.score, row.status) == (0.0, "timed out"), row
    assert "NotebookTimeoutError" in row.details
    graded = corpus.autograded("slowpoke")
    stopped = [c for c in graded.cells if any(o.get("ename") == "NotebookTimeoutError" for o in c.get("outputs", []))]
    assert len(stopped) > 20  # every later code cell, grade cells included

