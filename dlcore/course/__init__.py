"""The instructor's side of the course: release, grade, validate.

Everything goes through nbgrader, run as a subprocess in a course directory
(the repository, or a temporary copy in the tests). Scores are read from
nbgrader's gradebook, never from exit codes: ``nbgrader validate`` and
``autograde`` exit 0 even when a notebook fails.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Course", "NbgraderError", "Score"]


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

    def write_grades(self, path: str | Path, scores: list[Score]) -> Path:
        """Write grades.csv: student, chapter, score, max_score, status."""
        path = Path(path)
        tmp = path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["student", "chapter", "score", "max_score", "status"])
            for s in scores:
                writer.writerow([s.student, s.chapter, f"{s.score:g}", f"{s.max_score:g}", s.status])
        tmp.replace(path)
        return path
