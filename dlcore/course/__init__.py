"""The instructor's side of the course: release, grade, validate.

Everything goes through nbgrader, in a course directory (the repository, or a
temporary copy in the tests). Scores are read from nbgrader's gradebook, never
from exit codes: ``nbgrader validate`` and ``autograde`` exit 0 even when a
notebook fails.

Modules:

* :class:`Course` (here): the course directory and thin wrappers of nbgrader;
* :mod:`~dlcore.course.grade`: ``make grade``, parallel, every submission ends
  with a score and a status (:mod:`~dlcore.course.status`);
* :mod:`~dlcore.course.submission`: reading and repairing a submission first;
* :mod:`~dlcore.course.pool`, :mod:`~dlcore.course.worker`: the grading workers;
* :mod:`~dlcore.course.execute`, :mod:`~dlcore.course.sandbox`,
  :mod:`~dlcore.course.zygote`, :mod:`~dlcore.course.client`: how a submission
  runs (time, memory, output and file limits; kernels forked from a preloaded
  process, ready as soon as they answer);
* :mod:`~dlcore.course.demos`: which demonstration cells grading leaves out;
* :mod:`~dlcore.course.preprocessors`, :mod:`~dlcore.course.feedback`: nbgrader
  preprocessors and the feedback exporter of the course;
* :mod:`~dlcore.course.speedups`: what the grading processes change in
  nbgrader and its libraries to spend less time per submission;
* :mod:`~dlcore.course.validate`: ``make validate``;
* :mod:`~dlcore.course.files`: atomic writes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Course", "NbgraderError", "Score", "ensure_path", "grade_course", "reason", "validate_course"]


def ensure_path() -> None:
    """Put this Python's bin/ first on PATH: nbgrader runs ``alembic`` and kernels from PATH."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def reason(log: str) -> str:
    """The most telling line of an nbgrader log or traceback: its last ``SomethingError: ...``."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.search(r"\w+(Error|Exception)\b:", ln) and "NbGraderException" not in ln
              and "Please see" not in ln]
    pick = (errors or [ln for ln in lines if "ERROR" in ln] or lines or ["unknown error"])[-1]
    return pick if len(pick) <= 300 else pick[:297] + "..."


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries its output."""


@dataclass(frozen=True)
class Score:
    """One student's result on one chapter."""

    student: str
    chapter: str
    score: float
    max_score: float
    status: str


class Course:
    """A course directory laid out as nbgrader_config.py describes.

    Args:
        root: the folder holding nbgrader_config.py, solutions/ and chapters/.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise ValueError(f"root must hold nbgrader_config.py, got {self.root}")
        self.solutions = self.root / "solutions"
        self.chapters_dir = self.root / "chapters"
        self.submitted = self.root / "submitted"
        self.feedback_dir = self.root / "feedback"
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"

    # -- nbgrader --------------------------------------------------------
    def nbgrader(self, *args: str, timeout: float | None = None) -> str:
        """Run ``nbgrader ARGS`` in the course directory; return its output."""
        cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.db_url={self.db_url}"]
        # nbgrader runs `alembic` and the kernel from PATH: put this Python's bin first.
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        proc = subprocess.run(
            cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise NbgraderError(f"{' '.join(cmd[2:4])} failed (exit {proc.returncode}):\n{output[-4000:]}")
        return output

    def chapters(self) -> list[str]:
        """Chapter folders of solutions/, in order (``03_activations`` ...)."""
        return sorted(p.name for p in self.solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def release(self, chapter: str, release_dir: str | Path | None = None) -> Path:
        """Generate the student version of ``chapter`` (into chapters/ by default).

        This also records the chapter's cells in the gradebook, which
        autograding needs.
        """
        args = ["generate_assignment", chapter, "--force"]
        if release_dir is not None:
            args.append(f"--CourseDirectory.release_directory={Path(release_dir).resolve()}")
        self.nbgrader(*args)
        base = self.chapters_dir if release_dir is None else Path(release_dir)
        return base / chapter

    def release_many(self, chapters: list[str], release_dir: str | Path | None = None) -> Path:
        """Like :meth:`release` for several chapters, in this process (no nbgrader start per chapter).

        Returns the folder holding ``<chapter>/<notebook>.ipynb`` (chapters/ by default).
        """
        from nbgrader.apps import NbGraderAPI

        from dlcore.course.worker import load_config

        ensure_path()  # nbgrader runs `alembic` from PATH
        config = load_config(self.root)
        if release_dir is not None:
            config.CourseDirectory.release_directory = str(Path(release_dir).resolve())
        api = NbGraderAPI(config=config)
        for chapter in chapters:
            result = api.generate_assignment(chapter, force=True, create=True)
            if not result["success"]:
                raise NbgraderError(f"generate_assignment {chapter} failed:\n{(result.get('log') or '')[-3000:]}"
                                    f"{result.get('error', '')[-2000:]}")
        return self.chapters_dir if release_dir is None else Path(release_dir)

    def students(self, chapter: str | None = None) -> list[str]:
        """Students with a folder under submitted/ (for ``chapter`` if given)."""
        if not self.submitted.is_dir():
            return []
        found = []
        for student in sorted(p for p in self.submitted.iterdir() if p.is_dir()):
            if chapter is None or (student / chapter).is_dir():
                found.append(student.name)
        return found

    def autograde(self, chapter: str, student: str = "*") -> str:
        """Autograde the submissions of ``chapter`` (``student`` may be a glob)."""
        return self.nbgrader("autograde", chapter, "--force", f"--student={student}")

    def generate_feedback(self, chapter: str, student: str = "*") -> str:
        """Write feedback HTML under feedback/<student>/<chapter>/."""
        return self.nbgrader("generate_feedback", chapter, "--force", f"--student={student}")

    # -- results -----------------------------------------------------------
    def cell_scores(self, chapter: str, student: str) -> dict[str, tuple[float, float]]:
        """grade_id -> (score, max_score) of every grade cell of one submission."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gb:
            submission = gb.find_submission(chapter, student)
            return {
                grade.name: (float(grade.score), float(grade.max_score))
                for notebook in submission.notebooks
                for grade in notebook.grades
            }

    def scores(self, chapters: list[str] | None = None) -> list[Score]:
        """Every student's total on every chapter; 'not submitted' where missing."""
        from nbgrader.api import Gradebook, MissingEntry

        rows = []
        with Gradebook(self.db_url) as gb:
            for chapter in chapters or self.chapters():
                try:
                    assignment = gb.find_assignment(chapter)
                except MissingEntry:
                    continue
                for student in self.students():
                    try:
                        sub = gb.find_submission(chapter, student)
                        rows.append(Score(student, chapter, float(sub.score), float(sub.max_score), "graded"))
                    except MissingEntry:
                        rows.append(Score(student, chapter, 0.0, float(assignment.max_score), "not submitted"))
        return rows


def grade_course(*args: object, **kwargs: object) -> object:
    """See :func:`dlcore.course.grade.grade_course`."""
    from dlcore.course.grade import grade_course as run

    return run(*args, **kwargs)  # type: ignore[arg-type]


def validate_course(*args: object, **kwargs: object) -> object:
    """See :func:`dlcore.course.validate.validate_course`."""
    from dlcore.course.validate import validate_course as run

    return run(*args, **kwargs)  # type: ignore[arg-type]
