"""``make validate``: every chapter is ready to be released and graded.

For every chapter under solutions/:

* the solution notebook has no outputs (:func:`output_problems`);
* every nbgrader cell has a unique id, grade cells have points and are locked
  (:func:`grade_cell_problems`);
* chapters/ holds exactly what ``nbgrader generate_assignment`` makes of
  solutions/ today (:func:`sync_problems`);
* graded by the course's own pipeline in a temporary copy of the course, the
  solution scores full marks (:func:`full_marks_problems`) and the untouched
  student notebook scores 0 with nothing but ``NotImplementedError``
  (:func:`untouched_problems`).

The pytest files ``tests/test_notebooks.py`` and ``tests/test_grading_pipeline.py``
call these same functions, so ``make test`` runs every check of ``make validate``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "full_marks_problems",
    "grade_cell_problems",
    "output_problems",
    "submit_reference_notebooks",
    "sync_problems",
    "untouched_problems",
    "validate_course",
]


def _nbgrader_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if "nbgrader" in c.get("metadata", {})]


def output_problems(nb: Any) -> list[str]:
    """Code cells that carry outputs or execution counts."""
    dirty = [c.get("id") or f"#{i}" for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    return [f"cells with outputs {dirty}; clear them before committing"] if dirty else []


def grade_cell_problems(nb: Any) -> list[str]:
    """Invalid notebook, duplicate grade ids, grade cells without points or not locked, old schema."""
    problems = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"not a valid notebook: {str(exc).splitlines()[0]}")
    ids = [c.metadata["nbgrader"].get("grade_id") for c in _nbgrader_cells(nb)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if duplicates:
        problems.append(f"duplicate grade ids: {duplicates}")
    for cell in _nbgrader_cells(nb):
        meta = cell.metadata["nbgrader"]
        gid = meta.get("grade_id")
        if not gid:
            problems.append("an nbgrader cell has no grade_id")
        if meta.get("schema_version") != 3:
            problems.append(f"{gid}: schema {meta.get('schema_version')}")
        if meta.get("grade"):
            if not (meta.get("points") or 0) > 0:
                problems.append(f"{gid} has no points")
            if not meta.get("locked"):
                problems.append(f"{gid} is a grade cell but not locked")
    return problems


def _normalised(path: Path) -> str:
    return json.dumps(json.loads(path.read_text()), sort_keys=True, indent=1)


def sync_problems(fresh: Path, committed: Path, chapters: list[str]) -> list[str]:
    """Compare the chapters just released into ``fresh`` with the ``committed`` chapters/ folder."""
    stale = []
    for chapter in chapters:
        names = {p.name for folder in (fresh, committed) for p in (folder / chapter).glob("*.ipynb")}
        for name in sorted(names):
            mine, theirs = committed / chapter / name, fresh / chapter / name
            if not mine.exists() or not theirs.exists() or _normalised(mine) != _normalised(theirs):
                stale.append(f"{committed.name}/{chapter}/{name}")
    return [f"out of date with solutions/: {', '.join(stale)}; run `make release`"] if stale else []


def _autograded(course: Any, student: str, chapter: str) -> dict[str, Any]:
    folder = course.root / "autograded" / student / chapter
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}


def _errors(nb: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if gid and errs:
            found[gid] = errs
    return found


def _short(errs: list[dict[str, Any]]) -> str:
    text = "; ".join(f"{e.get('ename')}: {e.get('evalue', '')}" for e in errs)
    text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= 300 else text[:297] + "..."


def full_marks_problems(course: Any, chapter: str, student: str = "solution") -> list[str]:
    """The solution, graded as ``student``, must score every point of every grade cell."""
    scores = course.cell_scores(chapter, student)
    if not scores:
        return [f"{student}: no grade cells were recorded"]
    lost = {gid: s for gid, s in scores.items() if s[0] != s[1]}
    if not lost:
        return []
    errors = {gid: _short(errs) for nb in _autograded(course, student, chapter).values()
              for gid, errs in _errors(nb).items()}
    return [f"the solution lost points in {gid} ({score:g} of {max_score:g}): {errors.get(gid, 'no error shown')}"
            for gid, (score, max_score) in sorted(lost.items())]


def untouched_problems(course: Any, chapter: str, student: str = "untouched") -> list[str]:
    """The released notebook, graded untouched, scores 0 and fails only with NotImplementedError."""
    scores = course.cell_scores(chapter, student)
    if not scores:
        return [f"{student}: no grade cells were recorded"]
    problems = [f"{gid} has no points" for gid, (_, max_score) in scores.items() if not max_score > 0]
    scored = {gid: s for gid, (s, _) in scores.items() if s}
    if scored:
        problems.append(f"the untouched notebook scored points in {sorted(scored)}")
    errs: dict[str, list[dict[str, Any]]] = {}
    for nb in _autograded(course, student, chapter).values():
        errs.update(_errors(nb))
    silent = sorted(set(scores) - set(errs))
    if silent:
        problems.append(f"grade cells without an error on the untouched notebook: {silent}")
    other = {gid: _short(e) for gid, e in errs.items() if any(o.get("ename") != "NotImplementedError" for o in e)}
    if other:
        problems.append(f"errors other than NotImplementedError on the untouched notebook: {other}")
    return problems


def submit_reference_notebooks(course: Any, chapter: str) -> None:
    """Put the chapter's solution (student 'solution') and released notebook ('untouched') in submitted/."""
    for student, folder in (("solution", course.solutions), ("untouched", course.chapters_dir)):
        target = course.submitted / student / chapter
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((folder / chapter).glob("*.ipynb")):
            shutil.copy(path, target / path.name)


def validate_course(root: str | Path, chapters: list[str] | None = None, jobs: int = 1,
                    progress: Any = print) -> list[str]:
    """Every check of this module on every chapter (or ``chapters``); return the problems found."""
    from dlcore.course import Course, NbgraderError, reason
    from dlcore.course.grade import grade_course

    say = progress or (lambda _msg: None)
    course = Course(root)
    chapters = chapters or course.chapters()
    problems: list[str] = []
    for chapter in chapters:
        for path in sorted((course.solutions / chapter).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            problems += [f"solutions/{chapter}/{path.name}: {p}" for p in output_problems(nb) + grade_cell_problems(nb)]
    with tempfile.TemporaryDirectory(prefix="dlcore-validate-") as tmp:
        scratch = Course(_copy_course(course.root, Path(tmp) / "course"))
        say(f"releasing {len(chapters)} chapter(s) in a scratch course")
        released = []
        for chapter in chapters:
            try:
                scratch.release_many([chapter])
                released.append(chapter)
            except NbgraderError as exc:
                problems.append(f"{chapter}: nbgrader cannot generate it: {reason(str(exc))}")
        problems += sync_problems(scratch.chapters_dir, course.chapters_dir, released)
        for chapter in released:
            submit_reference_notebooks(scratch, chapter)
        say("grading every solution and every untouched student notebook")
        if released:
            grade_course(scratch.root, released, jobs=jobs, progress=say, release=False)
        for chapter in released:
            problems += [f"{chapter}: {p}" for p in full_marks_problems(scratch, chapter)]
            problems += [f"{chapter}: {p}" for p in untouched_problems(scratch, chapter)]
    return problems


def _copy_course(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "solutions", dest / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest
