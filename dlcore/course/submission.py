"""Read one submission before it is graded: find its notebooks, check them, repair them.

nbgrader skips or aborts on a file it cannot use (an empty file, a notebook
with another name, a test cell with edited nbgrader metadata), and the
student then has no grade and no reason. :func:`inspect_submission` looks at
``submitted/<student>/<chapter>/`` first and returns what to grade and what
happened, as :class:`Event` s:

* the released notebook name is looked for; failing that, one other
  ``.ipynb`` in the folder is graded under the released name;
* a file that is not a readable Jupyter notebook is not graded (0 points);
* locked cells (tests, setup) and nbgrader metadata are compared with the
  released notebook: an edited one is put back as released, a deleted one is
  put back where it was, a cell that claims an unknown or duplicate grade id
  loses its nbgrader metadata; nbgrader's ``OverwriteCells`` then restores
  the hidden tests as usual;
* cells moved out of the released order are put back in that order (cells the
  student added stay where they are);
* the kernel spec is noted when it is not the released one (nbgrader's
  ``OverwriteKernelspec`` grades with the released kernel).

The submitted files are never modified: the repaired notebooks are returned
and written to the grader's scratch copy.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import compute_checksum

from dlcore.course.status import (
    CELLS_REORDERED,
    INVALID_NOTEBOOK,
    KERNELSPEC_REPLACED,
    MISSING_CELLS,
    NOT_SUBMITTED,
    TAMPERED_CELLS,
    WRONG_FILE_NAME,
    Event,
)

__all__ = ["Inspection", "inspect_submission", "read_notebook"]

IGNORED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


@dataclass
class Inspection:
    """What to grade of one (student, chapter), and what was found."""

    student: str
    chapter: str
    notebooks: dict[str, NotebookNode] = field(default_factory=dict)  # released name -> repaired notebook
    extra_files: list[Path] = field(default_factory=list)  # other files, copied next to the notebooks
    timestamp: Path | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def gradable(self) -> bool:
        return bool(self.notebooks)


def read_notebook(path: Path) -> NotebookNode:
    """Read a notebook as nbformat 4; ValueError with a short reason when it is not one."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the file is not JSON ({exc})") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise ValueError("the file is JSON but not a Jupyter notebook")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids and the like: normalize() repairs them
            nb = nbformat.reads(json.dumps(data), as_version=4)
            _, fixed = nbformat.validator.normalize(nb)
        nb = nbformat.from_dict(fixed)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise ValueError(f"the notebook cannot be read ({type(exc).__name__}: {exc})") from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise ValueError(f"the notebook is not valid: {str(exc).splitlines()[0]}") from None
    return nb


def _meta(cell: Any) -> dict[str, Any] | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def _gid(cell: Any) -> str | None:
    meta = _meta(cell)
    gid = meta.get("grade_id") if meta else None
    return gid if isinstance(gid, str) else None


_FLAGS = ("grade", "solution", "locked", "task")


def _same_meta(cell: Any, released: Any) -> bool:
    mine, theirs = _meta(cell) or {}, _meta(released) or {}
    if cell.cell_type != released.cell_type:
        return False
    if any(bool(mine.get(k)) != bool(theirs.get(k)) for k in _FLAGS):
        return False
    if theirs.get("grade") and float(mine.get("points", -1) or 0) != float(theirs.get("points") or 0):
        return False
    return mine.get("schema_version") == theirs.get("schema_version")


def _restore(cell: Any, released: Any, *, source: bool) -> None:
    cell.cell_type = released.cell_type
    cell.metadata["nbgrader"] = copy.deepcopy(released.metadata["nbgrader"])
    if source:
        cell.source = released.source
    if cell.cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _fresh(released: Any) -> NotebookNode:
    cell = copy.deepcopy(released)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    cell.pop("id", None)
    return cell


def repair(nb: NotebookNode, released: NotebookNode,
           source: NotebookNode | None = None) -> tuple[NotebookNode, list[Event]]:
    """Put back released locked cells and nbgrader metadata, and the released order.

    A locked cell may hold its released source or its instructor's ``source``
    (a solution notebook submitted as is keeps its hidden tests).
    """
    nb = copy.deepcopy(nb)
    events: list[Event] = []
    ref = {gid: c for c in released.cells if (gid := _gid(c))}
    full = {gid: c.source for c in (source.cells if source is not None else []) if (gid := _gid(c))}
    order = [gid for c in released.cells if (gid := _gid(c))]
    tampered, missing = [], []

    seen: set[str] = set()
    for cell in nb.cells:
        gid = _gid(cell)
        if _meta(cell) is None:
            continue
        if gid not in ref or gid in seen:
            cell.metadata.pop("nbgrader", None)
            tampered.append(f"a cell claimed grade id {gid!r}" if gid not in ref else f"a copy of {gid}")
            continue
        seen.add(gid)
        theirs = ref[gid]
        locked = bool(_meta(theirs).get("locked"))
        edited_source = locked and cell.source not in (theirs.source, full.get(gid))
        if not _same_meta(cell, theirs) or edited_source:
            tampered.append(gid)
            _restore(cell, theirs, source=locked)

    # released cells that are gone: a cell with their source lost its metadata, or they were deleted
    for gid in order:
        if gid in seen:
            continue
        theirs = ref[gid]
        twin = next((c for c in nb.cells if _meta(c) is None and c.cell_type == theirs.cell_type
                     and c.source.strip() == theirs.source.strip() and c.source.strip()), None)
        if twin is not None:
            _restore(twin, theirs, source=False)
            tampered.append(f"{gid} (nbgrader metadata removed)")
            seen.add(gid)
        elif _meta(theirs).get("locked"):
            missing.append(gid)
            at = _insert_position(nb, order, gid)
            nb.cells.insert(at, _fresh(theirs))
            seen.add(gid)

    # released order among the nbgrader cells; other cells keep their places
    slots = [i for i, c in enumerate(nb.cells) if _gid(c) in ref]
    present = [nb.cells[i] for i in slots]
    wanted = sorted(present, key=lambda c: order.index(_gid(c)))
    if [_gid(c) for c in present] != [_gid(c) for c in wanted]:
        moved = [_gid(a) for a, b in zip(present, wanted) if _gid(a) != _gid(b)]
        for i, cell in zip(slots, wanted):
            nb.cells[i] = cell
        events.append(Event(CELLS_REORDERED,
                            f"cells out of the released order, graded in that order: {', '.join(moved)}"))

    if tampered:
        events.append(Event(TAMPERED_CELLS, f"edited, graded as released: {', '.join(tampered)}"))
    if missing:
        events.append(Event(MISSING_CELLS, f"deleted, put back: {', '.join(missing)}"))

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    wanted_kernel = released.metadata.get("kernelspec", {}).get("name")
    if kernel != wanted_kernel:
        events.append(Event(KERNELSPEC_REPLACED, f"kernel {kernel!r} replaced by {wanted_kernel!r}"))
    _unique_ids(nb)  # put-back cells need ids (nbformat 4.5)
    return nb, events


def _insert_position(nb: NotebookNode, order: list[str], gid: str) -> int:
    here = {g: i for i, c in enumerate(nb.cells) if (g := _gid(c))}
    k = order.index(gid)
    for before in reversed(order[:k]):
        if before in here:
            return here[before] + 1
    for after in order[k + 1:]:
        if after in here:
            return here[after]
    return len(nb.cells)


_ID = re.compile(r"^[a-zA-Z0-9-_]+$")


def _unique_ids(nb: NotebookNode) -> None:
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        return
    used: set[str] = set()
    for k, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or not _ID.match(cid) or cid in used or len(cid) > 64:
            cid = f"cell-{k}"
            while cid in used:
                cid += "x"
            cell["id"] = cid
        used.add(cid)


def _candidates(folder: Path) -> tuple[list[Path], list[Path], Path | None]:
    notebooks, others, timestamp = [], [], None
    for path in sorted(folder.iterdir()):
        if path.name in IGNORED or path.name.startswith("."):
            continue
        if path.is_file() and path.suffix.lower() == ".ipynb":
            notebooks.append(path)
        elif path.name == "timestamp.txt":
            timestamp = path
        elif path.is_file():
            others.append(path)
    return notebooks, others, timestamp


def _match_names(expected: list[str], found: list[Path]) -> tuple[dict[str, Path], list[Event]]:
    """Released name -> file. Exact names first, then one leftover notebook per missing name."""
    chosen = {name: path for name in expected for path in found if path.name == name}
    left = [p for p in found if p not in chosen.values()]
    events = []
    for name in expected:
        if name in chosen:
            continue
        stem = name.removesuffix(".ipynb").lower()
        close = [p for p in left if p.stem.lower().startswith(stem) or stem in p.stem.lower()]
        pick = close[0] if len(close) == 1 else (left[0] if len(left) == 1 and len(expected) == 1 else None)
        if pick is not None:
            chosen[name] = pick
            left.remove(pick)
            events.append(Event(WRONG_FILE_NAME, f"{pick.name} graded as {name}"))
        elif left:
            events.append(Event(WRONG_FILE_NAME, f"no {name}; found {', '.join(p.name for p in left)}"))
    return chosen, events


def inspect_submission(folder: Path, student: str, chapter: str, released: dict[str, NotebookNode],
                       sources: dict[str, NotebookNode] | None = None) -> Inspection:
    """Inspect ``submitted/<student>/<chapter>/`` against the released notebooks (name -> notebook).

    ``sources`` (name -> instructor notebook) lets a locked cell hold the instructor's version.
    """
    result = Inspection(student, chapter)
    if not folder.is_dir():
        result.events.append(Event(NOT_SUBMITTED, f"no {chapter} folder"))
        return result
    found, others, result.timestamp = _candidates(folder)
    result.extra_files = others
    if not found:
        detail = f"no notebook; files: {', '.join(p.name for p in others)}" if others else "empty folder"
        result.events.append(Event(NOT_SUBMITTED, detail))
        return result
    chosen, events = _match_names(sorted(released), found)
    result.events.extend(events)
    for name in sorted(released):
        path = chosen.get(name)
        if path is None:
            continue
        try:
            nb = read_notebook(path)
        except ValueError as exc:
            result.events.append(Event(INVALID_NOTEBOOK, f"{path.name}: {exc}"))
            continue
        except OSError as exc:
            result.events.append(Event(INVALID_NOTEBOOK, f"{path.name}: cannot read ({exc.strerror})"))
            continue
        repaired, events = repair(nb, released[name], (sources or {}).get(name))
        result.notebooks[name] = repaired
        result.events.extend(events)
    return result


def checksums(nb: NotebookNode) -> dict[str, str]:
    """grade_id -> nbgrader checksum of every nbgrader cell (for tests and diagnostics)."""
    return {gid: compute_checksum(c) for c in nb.cells if (gid := _gid(c))}
