"""A grading worker: ``python -m dlcore.course.worker COURSE_DIR``.

:mod:`dlcore.course.grade` starts one worker per core. Each has its own copy
of the course (config, a link to solutions/, its own copy of the gradebook),
so workers never share a SQLite file and a submission's kernel can only write
in that scratch copy. A worker imports nbgrader once and grades many
submissions with its Python API (no process start per student).

Protocol: one JSON object per line. The worker reads jobs on stdin::

    {"student": "ada", "chapter": "03_activations", "stage": DIR, "out": DIR}

(``stage`` holds the repaired submission; ``out`` receives ``autograded/`` and
``feedback/``) and answers each with one line on its original stdout::

    {"ok": true, "grades": {notebook: [[grade_id, score, max_score, needs_manual], ...]},
     "comments": {...}, "events": [[status, detail], ...], "mistakes": [[notebook, grade_id, id], ...],
     "timestamp": "...", "seconds": 4.2, "error": ""}

Everything nbgrader and the kernels print goes to stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["load_config", "main"]


def load_config(root: Path) -> Any:
    """The course's nbgrader_config.py as a traitlets Config, pointed at ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    if "root" not in config.Exchange:  # grading never uses the exchange; its default folder may be unwritable
        config.Exchange.root = tempfile.gettempdir()
    return config


class Worker:
    """Grades jobs in one scratch course directory."""

    def __init__(self, root: Path) -> None:
        from nbgrader.apps import NbGraderAPI

        from dlcore.course.speedups import check_schemas_once, share_engines

        share_engines()
        check_schemas_once()
        self.root = root
        os.chdir(root)
        config = load_config(root)
        self.api = NbGraderAPI(config=config)
        self.db_url = self.api.coursedir.db_url
        try:  # start the kernel zygote now, while the grader prepares the jobs
            from dlcore.course.sandbox import SandboxedKernelManager

            SandboxedKernelManager.prewarm(config)
        except Exception as exc:  # noqa: BLE001 - kernels then start the usual way
            print(f"kernel zygote not started: {exc}", file=sys.stderr)

    def _clear(self, student: str, chapter: str) -> None:
        for top in ("submitted", "autograded", "feedback"):
            shutil.rmtree(self.root / top / student / chapter, ignore_errors=True)

    def _results(self, student: str, chapter: str) -> dict[str, Any]:
        from nbgrader.api import Gradebook, MissingEntry

        grades: dict[str, list[list[Any]]] = {}
        comments: dict[str, list[list[Any]]] = {}
        timestamp = None
        with Gradebook(self.db_url) as gb:
            try:
                submission = gb.find_submission(chapter, student)
            except MissingEntry:
                return {"grades": grades, "comments": comments, "timestamp": None}
            timestamp = submission.timestamp.isoformat() if submission.timestamp else None
            for notebook in submission.notebooks:
                grades[notebook.name] = [
                    [g.name, None if g.auto_score is None else float(g.auto_score), float(g.max_score),
                     bool(g.needs_manual_grade)]
                    for g in notebook.grades
                ]
                comments[notebook.name] = [[c.name, c.auto_comment] for c in notebook.comments]
        return {"grades": grades, "comments": comments, "timestamp": timestamp}

    def grade(self, job: dict[str, Any]) -> dict[str, Any]:
        import nbformat

        from dlcore.course.status import mistakes_in, notebook_events

        start = time.monotonic()
        student, chapter = job["student"], job["chapter"]
        out = Path(job["out"])
        self._clear(student, chapter)
        shutil.copytree(job["stage"], self.root / "submitted" / student / chapter)
        result: dict[str, Any] = {"ok": False, "error": "", "events": [], "mistakes": []}
        graded = self.api.autograde(chapter, student, force=True, create=True)
        result["autograde_seconds"] = round(time.monotonic() - start, 2)
        if graded["success"]:
            result["ok"] = True
            if job.get("feedback", True):
                feedback = self.api.generate_feedback(chapter, student, force=True)
                if not feedback["success"]:
                    result["error"] = "feedback failed: " + _last_line(feedback)
        else:
            result["error"] = _last_line(graded)
        result.update(self._results(student, chapter))
        autograded = self.root / "autograded" / student / chapter
        for path in sorted(autograded.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            result["events"] += [[e.status, f"{path.stem}: {e.detail}"] for e in notebook_events(nb)]
            result["mistakes"] += [[path.stem, gid, mistake] for gid, mistake in mistakes_in(nb)]
        out.mkdir(parents=True, exist_ok=True)
        for top in ("autograded", "feedback"):
            src = self.root / top / student / chapter
            if src.is_dir():
                shutil.move(str(src), str(out / top))
        self._clear(student, chapter)
        result["seconds"] = round(time.monotonic() - start, 2)
        return result


def _last_line(result: dict[str, Any]) -> str:
    from dlcore.course import reason

    return reason((result.get("log") or "") + "\n" + (result.get("error") or ""))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m dlcore.course.worker COURSE_DIR", file=sys.stderr)
        return 2
    from dlcore.course.speedups import without_iri_checks

    without_iri_checks()
    # our answers go to the original stdout; anything else printed goes to stderr
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker(Path(argv[0]).resolve())
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            result = worker.grade(job)
        except Exception as exc:  # noqa: BLE001 - reported to the grader, which carries on
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "events": [], "mistakes": [],
                      "grades": {}, "comments": {}, "timestamp": None}
        answers.write(json.dumps(result) + "\n")
    return 0


def _exit_now(code: int) -> None:
    """Exit without tearing the interpreter down (every answer is written; nbgrader's modules need no cleanup).

    The exit handlers still run (they stop the kernel zygote and remove its
    folder); freeing every module of nbgrader, Jupyter and numpy one by one
    would take a quarter of a second more, which the grader waits for.
    """
    import atexit

    atexit._run_exitfuncs()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
