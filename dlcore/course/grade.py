"""``make grade``: grade every submission in parallel; nobody is left ungraded.

The run, for ``submitted/<student>/<chapter>/``:

1. every chapter is generated again from solutions/ into a scratch folder, which
   records it in the gradebook and gives the released notebooks;
2. every (student, chapter) is inspected (:mod:`dlcore.course.submission`):
   unreadable files, wrong names, edited or deleted locked cells, reordered
   cells are found and, where possible, repaired in a scratch copy;
3. ``jobs`` workers (:mod:`dlcore.course.worker`), each with its own scratch
   course and gradebook copy, autograde and write feedback, one submission at a
   time, pulling from a shared queue. A submission that outlives its time
   limits is stopped with its worker, which is replaced;
4. each result is merged into the course's gradebook by this process alone (no
   two processes ever write the SQLite file), and its ``autograded/`` and
   ``feedback/`` folders are moved into place;
5. ``grades.csv`` (student, chapter, score, max_score, status, details) and
   ``misconceptions.csv`` (student, chapter, exercise, mistake) are written
   atomically, and a summary of known mistakes per exercise is printed.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from dlcore.course.files import replace_dir, write_atomic, write_csv
from dlcore.course.pool import Pool, time_limit
from dlcore.course.status import (
    GRADING_ERROR,
    INVALID_NOTEBOOK,
    NOT_SUBMITTED,
    TIMED_OUT,
    WRONG_FILE_NAME,
    Event,
    overall,
)
from dlcore.course.submission import Inspection, inspect_submission

__all__ = ["GradeRun", "Row", "grade_course", "misconception_summary", "write_csv"]


@dataclass
class Row:
    """One line of grades.csv."""

    student: str
    chapter: str
    score: float
    max_score: float
    status: str
    details: str = ""
    seconds: float = 0.0


@dataclass
class GradeRun:
    """What :func:`grade_course` did."""

    rows: list[Row] = field(default_factory=list)
    misconceptions: list[tuple[str, str, str, str]] = field(default_factory=list)  # student, chapter, exercise, id
    graded: int = 0  # submissions that went through nbgrader
    seconds: float = 0.0

    def row(self, student: str, chapter: str) -> Row:
        return next(r for r in self.rows if r.student == student and r.chapter == chapter)


def _fmt(x: float) -> str:
    return f"{x:g}"


# -- gradebook -----------------------------------------------------------------
def _merge(db_url: str, student: str, chapter: str, result: dict[str, Any] | None) -> tuple[float, float]:
    """Write one result into the course gradebook (zeros when it failed); return (score, max_score)."""
    from datetime import datetime

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    with Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission under SQLAlchemy 2
        gb.update_or_create_student(student)
        timestamp = None
        if result and result.get("timestamp"):
            timestamp = datetime.fromisoformat(result["timestamp"])
        sub = gb.update_or_create_submission(chapter, student, **({"timestamp": timestamp} if timestamp else {}))
        grades = (result or {}).get("grades", {}) if (result or {}).get("ok") else {}
        comments = (result or {}).get("comments", {}) if (result or {}).get("ok") else {}
        for notebook in sub.notebooks:
            got = {g[0]: g for g in grades.get(notebook.name, [])}
            for grade in notebook.grades:
                if grade.name in got:
                    grade.auto_score = got[grade.name][1]
                    grade.needs_manual_grade = got[grade.name][3]
                else:  # not graded: zero, and say so in the row's status
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            said = {c[0]: c[1] for c in comments.get(notebook.name, [])}
            for comment in notebook.comments:
                if comment.name in said:
                    comment.auto_comment = said[comment.name]
        gb.db.commit()
        try:
            sub = gb.find_submission(chapter, student)
        except MissingEntry:  # pragma: no cover - just created
            return 0.0, 0.0
        return float(sub.score), float(sub.max_score)


def _max_scores(db_url: str, chapters: list[str]) -> dict[str, float]:
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(db_url) as gb:
        for chapter in chapters:
            try:
                found[chapter] = float(gb.find_assignment(chapter).max_score)
            except MissingEntry:
                continue
    return found


def _roster(db_url: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return [s.id for s in gb.students]


# -- the run -----------------------------------------------------------------
def _stage(inspection: Inspection, folder: Path) -> None:
    folder.mkdir(parents=True)
    for name, nb in inspection.notebooks.items():
        nbformat.write(nb, folder / name)
    for path in inspection.extra_files:
        if path.stat().st_size <= 50 * 1024**2:
            shutil.copy(path, folder / path.name)
    if inspection.timestamp is not None:
        shutil.copy(inspection.timestamp, folder / "timestamp.txt")


def _invalid_feedback(course: Any, inspection: Inspection, released: dict[str, Any]) -> None:
    folder = course.feedback_dir / inspection.student / inspection.chapter
    problems = [e.detail for e in inspection.events if e.status in (INVALID_NOTEBOOK, WRONG_FILE_NAME)]
    if not problems:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in released:
        if name in inspection.notebooks:
            continue
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head><body>"
                f"<h1>{html.escape(inspection.chapter)}: {html.escape(name)} was not graded</h1><ul>"
                + "".join(f"<li>{html.escape(p)}</li>" for p in problems)
                + "</ul><p>Submit the notebook you downloaded, saved from Jupyter, under its original name.</p>"
                "</body></html>")
        write_atomic(folder / name.replace(".ipynb", ".html"), page)


def _exercise_of(mistake: str, grade_id: str) -> str:
    from dlcore.grading import mistakes

    known = {m.id: m.exercise for m in mistakes()}
    if mistake in known:
        return known[mistake]
    for prefix in ("check_", "hidden_"):
        if grade_id.startswith(prefix):
            return grade_id[len(prefix):]
    return grade_id


def grade_course(
    root: str | Path,
    chapters: list[str] | None = None,
    jobs: int = 1,
    feedback: bool = True,
    progress: Callable[[str], None] | None = print,
    write: bool = True,
    students: list[str] | None = None,
    release: bool = True,
) -> GradeRun:
    """Grade every submission of ``chapters`` (default: those with a submission) on ``jobs`` workers.

    ``students`` limits the run to those students (default: every folder of
    submitted/ and every student of the gradebook). With ``release=False``
    the chapters must have been released (gradebook and chapters/) already.
    """
    from dlcore.course import Course
    from dlcore.course.speedups import share_engines
    from dlcore.course.worker import load_config

    share_engines()  # one gradebook write per result: without it, each compiles its SQL again
    say = progress or (lambda _msg: None)
    t0 = time.monotonic()
    course = Course(root)
    config = load_config(course.root)
    run = GradeRun()
    if students is None:
        roster = _roster(course.db_url) if (course.root / "gradebook.db").exists() else []
        students = sorted(set(course.students()) | set(roster))
    if chapters is None:
        chapters = [c for c in course.chapters() if course.students(c)]
    if not students or not chapters:
        say(f"nothing to grade: no submissions under {course.submitted}")
        return run
    with tempfile.TemporaryDirectory(prefix="dlcore-grade-") as tmp:
        scratch = Path(tmp)
        # the workers start (and warm up) while the jobs are prepared
        pool = Pool(course.root, scratch, max(1, min(jobs, len(students) * len(chapters))))
        try:
            _grade_in(course, config, scratch, pool, run, students, chapters, feedback, say, release)
        finally:
            pool.close()
    run.rows.sort(key=lambda r: (r.student, r.chapter))
    run.misconceptions.sort()
    run.seconds = time.monotonic() - t0
    if write:
        write_csv(course.root / "grades.csv", ["student", "chapter", "score", "max_score", "status", "details"],
                  [[r.student, r.chapter, _fmt(r.score), _fmt(r.max_score), r.status, r.details] for r in run.rows])
        write_csv(course.root / "misconceptions.csv", ["student", "chapter", "exercise", "mistake"],
                  [list(m) for m in run.misconceptions])
    return run


def _grade_in(course: Any, config: Any, scratch: Path, pool: Pool, run: GradeRun, students: list[str],
              chapters: list[str], feedback: bool, say: Callable[[str], None], release: bool) -> None:
    from dlcore.course import NbgraderError, reason

    # record every chapter in the gradebook as solutions/ has it now, and read its released notebooks
    base = scratch / "release" if release else course.chapters_dir
    broken: dict[str, str] = {}
    for chapter in chapters:
        try:
            if release:
                course.release_many([chapter], base)
            if not any((base / chapter).glob("*.ipynb")):
                raise NbgraderError("no released notebook")
        except NbgraderError as exc:  # its students are still listed, with the reason
            broken[chapter] = f"the chapter could not be generated from solutions/: {reason(str(exc))}"
            say(f"error: {chapter}: {broken[chapter]}")
    released = {ch: {p.name: nbformat.read(p, as_version=4) for p in sorted((base / ch).glob("*.ipynb"))}
                for ch in chapters if ch not in broken}
    sources = {ch: {p.name: nbformat.read(p, as_version=4) for p in sorted((course.solutions / ch).glob("*.ipynb"))}
               for ch in released}
    max_scores = _max_scores(course.db_url, chapters)
    known = set(course.chapters())
    for student in students:
        folder = course.submitted / student
        for extra in sorted(folder.iterdir() if folder.is_dir() else []):
            if extra.is_dir() and extra.name not in known:
                say(f"ignored: {extra.relative_to(course.root)} (no such chapter in solutions/)")

    inspections: dict[tuple[str, str], Inspection] = {}
    job_list = []
    for student in students:
        for chapter in chapters:
            if chapter in broken:
                inspection = Inspection(student, chapter, events=[Event(GRADING_ERROR, broken[chapter])])
                inspections[student, chapter] = inspection
                continue
            inspection = inspect_submission(course.submitted / student / chapter, student, chapter,
                                            released[chapter], sources[chapter])
            inspections[student, chapter] = inspection
            if inspection.gradable:
                stage = scratch / "stage" / student / chapter
                _stage(inspection, stage)
                job_list.append({"student": student, "chapter": chapter, "stage": str(stage),
                                 "out": str(scratch / "out" / student / chapter), "feedback": feedback,
                                 "notebooks": len(inspection.notebooks)})
    total = len(inspections)
    done = 0

    def finish(row: Row) -> None:
        nonlocal done
        done += 1
        run.rows.append(row)
        say(f"[{done:>{len(str(total))}}/{total}] {row.student:<16} {row.chapter:<18} "
            f"{_fmt(row.score):>5} / {_fmt(row.max_score):<5} {row.status}"
            + (f"  ({row.seconds:.1f} s)" if row.seconds else ""))

    for (student, chapter), inspection in sorted(inspections.items()):
        if inspection.gradable:
            continue
        status = overall(inspection.events)
        score, max_score = 0.0, max_scores.get(chapter, 0.0)
        if status not in (NOT_SUBMITTED, GRADING_ERROR):  # they handed in something: record the zero
            score, max_score = _merge(course.db_url, student, chapter, None)
        if feedback and chapter in released:
            _invalid_feedback(course, inspection, released[chapter])
        finish(Row(student, chapter, score, max_score, status, "; ".join(e.detail for e in inspection.events)))

    def on_result(job: dict[str, Any], result: dict[str, Any]) -> None:
        student, chapter = job["student"], job["chapter"]
        events = list(inspections[student, chapter].events)
        events += [Event(s, d) for s, d in result.get("events", [])]
        if result.get("stopped"):
            events.append(Event(TIMED_OUT, result["error"]))
        elif not result.get("ok"):
            events.append(Event(GRADING_ERROR, result.get("error") or "nbgrader failed"))
        score, max_score = _merge(course.db_url, student, chapter, result)
        out = Path(job["out"])
        for top, target in (("autograded", course.root / "autograded"), ("feedback", course.feedback_dir)):
            if (out / top).is_dir():
                replace_dir(out / top, target / student / chapter)
        seen = set()
        for _notebook, grade_id, mistake in result.get("mistakes", []):
            key = (student, chapter, _exercise_of(mistake, grade_id), mistake)
            if key not in seen:
                seen.add(key)
                run.misconceptions.append(key)
        run.graded += 1
        finish(Row(student, chapter, score, max_score, overall(events),
                   "; ".join(e.detail for e in events), float(result.get("seconds", 0.0))))

    if job_list:
        say(f"grading {len(job_list)} submission(s) of {len(chapters)} chapter(s) on {len(pool.workers)} "
            f"worker(s)")
        pool.run(job_list, lambda job: time_limit(config, job["notebooks"]), on_result)


def misconception_summary(run: GradeRun) -> list[str]:
    """Lines like ``softmax: 12 of 40 - your columns sum to 1 but ... [softmax-axis0]``, per exercise."""
    from dlcore.grading import mistakes

    message = {m.id: m.message for m in mistakes()}
    submitted = Counter(r.chapter for r in run.rows if r.status not in (NOT_SUBMITTED, INVALID_NOTEBOOK))
    by_exercise: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for _student, chapter, exercise, mistake in run.misconceptions:
        by_exercise[chapter, exercise][mistake] += 1
    lines = []
    for (chapter, exercise), counts in sorted(by_exercise.items()):
        for mistake, n in counts.most_common():
            text = message.get(mistake, mistake)
            short = text.split(":")[0].split(";")[0].rstrip(".")
            lines.append(f"{exercise}: {n} of {submitted[chapter]} - {short} [{mistake}]")
    return lines
