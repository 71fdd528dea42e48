"""Helpers of the tests for reading and editing notebooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

from dlcore.course import Course


def grade_cells(nb: Any) -> list[Any]:
    """Cells with nbgrader ``grade: true``."""
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def cell(nb: Any, grade_id: str) -> Any:
    """The cell with this nbgrader grade_id."""
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def with_answers(nb: Any, answers: dict[str, str]) -> Any:
    """A copy of ``nb`` whose answer cells named in ``answers`` hold the given code."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for grade_id, source in answers.items():
        cell(copy, grade_id).source = source
    return copy


def submit(course: Course, student: str, chapter: str, name: str, nb: Any) -> Path:
    """Write ``nb`` as ``student``'s submission of ``chapter``."""
    folder = course.submitted / student / chapter
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def errors(course: Course, student: str, chapter: str, name: str) -> dict[str, list[dict[str, Any]]]:
    """grade_id -> error outputs of that cell in the autograded notebook."""
    nb = nbformat.read(course.root / "autograded" / student / chapter / name, as_version=4)
    found: dict[str, list[dict[str, Any]]] = {}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        errs = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if gid and errs:
            found[gid] = errs
    return found
