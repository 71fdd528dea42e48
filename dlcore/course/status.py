"""The status of a graded submission, and what its autograded notebook says.

Every (student, chapter) row of ``grades.csv`` has exactly one status, the
most serious of the events found (first in :data:`STATUSES`); the row's
``details`` column lists all of them.

=========================  ==================================================================
status                     meaning (score)
=========================  ==================================================================
not submitted              no notebook in ``submitted/<student>/<chapter>/`` (0)
invalid notebook           a file that is empty, not JSON, or not a valid notebook (0 for it)
grading error              nbgrader failed on this submission for another reason (0); see details
kernel died                the kernel died (``os._exit``, a crash): cells from there on score 0
timed out                  a cell hit ``Execute.timeout``, or the notebook hit
                           ``GuardedExecute.notebook_timeout``: those cells score 0
memory limit               a cell ran out of the kernel's memory (``MemoryError``): it scores 0
tampered cells restored    a locked cell (tests, setup) or nbgrader metadata was edited: graded
                           as released
missing cells restored     a locked cell was deleted: put back and graded
cells reordered            cells were moved: graded in the released order
wrong file name            the notebook had another name: graded under the released one
kernelspec replaced        another kernel was named: graded with the released one
output truncated           a cell printed more than ``GuardedExecute.max_output_bytes``
graded                     nothing unusual
=========================  ==================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dlcore.course.execute import EVENT_ERRORS, OUTPUT_TRUNCATED

NOT_SUBMITTED = "not submitted"
INVALID_NOTEBOOK = "invalid notebook"
GRADING_ERROR = "grading error"
KERNEL_DIED = "kernel died"
TIMED_OUT = "timed out"
MEMORY_LIMIT = "memory limit"
TAMPERED_CELLS = "tampered cells restored"
MISSING_CELLS = "missing cells restored"
CELLS_REORDERED = "cells reordered"
WRONG_FILE_NAME = "wrong file name"
KERNELSPEC_REPLACED = "kernelspec replaced"
OUTPUT_TRUNCATED_STATUS = "output truncated"
GRADED = "graded"

#: every status, most serious first.
STATUSES = (
    NOT_SUBMITTED,
    INVALID_NOTEBOOK,
    GRADING_ERROR,
    KERNEL_DIED,
    TIMED_OUT,
    MEMORY_LIMIT,
    TAMPERED_CELLS,
    MISSING_CELLS,
    CELLS_REORDERED,
    WRONG_FILE_NAME,
    KERNELSPEC_REPLACED,
    OUTPUT_TRUNCATED_STATUS,
    GRADED,
)

__all__ = ["STATUSES", "Event", "mistakes_in", "notebook_events", "overall"]


@dataclass(frozen=True)
class Event:
    """Something that happened to a submission: a status and a sentence."""

    status: str
    detail: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


def overall(events: list[Event]) -> str:
    """The most serious status among ``events`` (``graded`` when there are none)."""
    return min((e.status for e in events), key=STATUSES.index, default=GRADED)


def _gid(cell: Any) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id") or "?"


def notebook_events(nb: Any) -> list[Event]:
    """Events left in an autograded notebook's outputs by :class:`~dlcore.course.execute.GuardedExecute`."""
    found: dict[str, list[str]] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                ename = out.get("ename", "")
                text = f"{ename} {out.get('evalue', '')}"
                status = EVENT_ERRORS.get(ename) or (MEMORY_LIMIT if "MemoryError" in text else None)
                if status:
                    name = "MemoryError" if status == MEMORY_LIMIT else ename
                    found.setdefault(status, []).append(f"{name} in {_gid(cell)}")
            elif kind == "stream" and OUTPUT_TRUNCATED in out.get("text", ""):
                found.setdefault(OUTPUT_TRUNCATED_STATUS, []).append(f"output truncated in {_gid(cell)}")
    events = []
    for status, where in found.items():
        shown = ", ".join(dict.fromkeys(where))
        events.append(Event(status, shown if len(shown) < 300 else shown[:297] + "..."))
    return events


_MISTAKE = re.compile(r"likely mistake \[([A-Za-z0-9_.:-]+)\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def mistakes_in(nb: Any) -> list[tuple[str, str]]:
    """(grade cell id, mistake id) of every ``likely mistake [<id>]`` in a grade cell's errors."""
    found = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            text = _ANSI.sub("", "\n".join([str(out.get("evalue", "")), *map(str, out.get("traceback", []))]))
            for mistake in dict.fromkeys(_MISTAKE.findall(text)):
                found.append((meta.get("grade_id", "?"), mistake))
    return found
