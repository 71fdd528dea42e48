"""Fast tests of the grading pipeline's parts (no nbgrader run): statuses, the
inspection and repair of submissions, atomic files, feedback scrubbing, the
misconception report."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from dlcore.course import files
from dlcore.course.grade import GradeRun, Row, misconception_summary
from dlcore.course.preprocessors import HideHiddenTestFrames
from dlcore.course.status import STATUSES, Event, mistakes_in, notebook_events, overall
from dlcore.course.submission import inspect_submission, read_notebook, repair

CHAPTER = "03_activations"
RELEASED = nbformat.read(ROOT / "chapters" / CHAPTER / "activations.ipynb", as_version=4)
SOLUTION = nbformat.read(ROOT / "solutions" / CHAPTER / "activations.ipynb", as_version=4)


def gids(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]


def at(nb: nbformat.NotebookNode, gid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


# -- statuses ------------------------------------------------------------------
def test_the_most_serious_status_wins() -> None:
    assert overall([]) == "graded"
    events = [Event("cells reordered", "x"), Event("kernel died", "y"), Event("output truncated", "z")]
    assert overall(events) == "kernel died"
    assert overall([Event("wrong file name", "a"), Event("invalid notebook", "b")]) == "invalid notebook"
    assert STATUSES[0] == "not submitted" and STATUSES[-1] == "graded"
    with pytest.raises(ValueError, match="status must be one of"):
        Event("fine", "not a status")


def test_events_are_read_from_error_outputs() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade_id": "check_a", "grade": True}}),
        nbformat.v4.new_code_cell("y"),
    ])
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="CheckFailed",
                                                  evalue="softmax raised MemoryError: Unable to allocate",
                                                  traceback=[])]
    found = {e.status: e.detail for e in notebook_events(nb)}
    assert found == {"timed out": "CellTimeoutError in check_a", "memory limit": f"MemoryError in {nb.cells[1].id}"}


def test_mistake_ids_are_read_from_grade_cells_only() -> None:
    tb = ["\x1b[31mCheckFailed\x1b[0m: softmax is not right yet.\n  likely mistake [softmax-axis0]: your columns..."]
    grade = nbformat.v4.new_code_cell("check", metadata={"nbgrader": {"grade_id": "check_softmax", "grade": True}})
    grade.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="", traceback=tb)]
    other = nbformat.v4.new_code_cell("print")
    other.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="likely mistake [relu-x]",
                                            traceback=[])]
    assert mistakes_in(nbformat.v4.new_notebook(cells=[grade, other])) == [("check_softmax", "softmax-axis0")]


def test_the_summary_counts_each_mistake_per_exercise() -> None:
    run = GradeRun(rows=[Row(f"s{i}", CHAPTER, 0, 21, "graded") for i in range(4)]
                   + [Row("gone", CHAPTER, 0, 21, "not submitted")],
                   misconceptions=[("s0", CHAPTER, "softmax", "softmax-axis0"),
                                   ("s1", CHAPTER, "softmax", "softmax-axis0")])
    [line] = misconception_summary(run)
    assert line == "softmax: 2 of 4 - your columns sum to 1 but your rows do not [softmax-axis0]"


# -- reading and repairing submissions --------------------------------------------------
@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"{ nope", "not JSON"), (b"[1, 2]", "not a Jupyter notebook"),
    (json.dumps({"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
     "cannot be read|not valid"),
])
def test_unreadable_files_are_named(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "activations.ipynb"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=reason):
        read_notebook(path)


def test_a_notebook_without_cell_ids_is_read(tmp_path: Path) -> None:
    raw = json.loads((ROOT / "chapters" / CHAPTER / "activations.ipynb").read_text())
    raw["nbformat_minor"] = 4
    for cell in raw["cells"]:
        cell.pop("id", None)
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw))
    assert len(read_notebook(path).cells) == len(RELEASED.cells)


def test_the_released_and_the_solution_notebooks_need_no_repair() -> None:
    for nb in (RELEASED, SOLUTION):
        fixed, events = repair(nb, RELEASED, SOLUTION)
        assert events == [] and gids(fixed) == gids(RELEASED)


def test_edited_tests_and_metadata_are_put_back() -> None:
    nb = copy.deepcopy(RELEASED)
    nb.cells[at(nb, "check_sigmoid")].source = "assert True"
    nb.cells[at(nb, "check_relu")].metadata.nbgrader["points"] = 50
    del nb.cells[at(nb, "hidden_relu")].metadata["nbgrader"]
    fixed, events = repair(nb, RELEASED, SOLUTION)
    assert [e.status for e in events] == ["tampered cells restored"]
    assert "check_sigmoid" in events[0].detail and "hidden_relu (nbgrader metadata removed)" in events[0].detail
    assert fixed.cells[at(fixed, "check_sigmoid")].source == RELEASED.cells[at(RELEASED, "check_sigmoid")].source
    assert fixed.cells[at(fixed, "check_relu")].metadata.nbgrader["points"] == 1
    assert gids(fixed) == gids(RELEASED)


def test_deleted_tests_are_put_back_in_place_and_reordered_cells_back_in_order() -> None:
    nb = copy.deepcopy(RELEASED)
    del nb.cells[at(nb, "hidden_softmax")]
    del nb.cells[at(nb, "setup")]
    i, j = at(nb, "relu"), at(nb, "check_relu")
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]
    fixed, events = repair(nb, RELEASED, SOLUTION)
    assert {e.status for e in events} == {"missing cells restored", "cells reordered"}
    assert gids(fixed) == gids(RELEASED)
    assert at(fixed, "hidden_softmax") == at(fixed, "check_softmax") + 1
    nbformat.validate(fixed)
    assert len({c.id for c in fixed.cells}) == len(fixed.cells)


def test_unknown_and_duplicate_grade_ids_lose_their_metadata() -> None:
    nb = copy.deepcopy(RELEASED)
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade_id": "bonus", "grade": True, "points": 99}})
    twin = copy.deepcopy(nb.cells[at(nb, "check_softmax")])
    twin.id = "twin"
    nb.cells += [fake, twin]
    fixed, events = repair(nb, RELEASED, SOLUTION)
    assert gids(fixed) == gids(RELEASED)
    assert "bonus" in events[0].detail and "a copy of check_softmax" in events[0].detail


def test_submission_folders(tmp_path: Path) -> None:
    released = {"activations.ipynb": RELEASED}
    assert overall(inspect_submission(tmp_path / "none", "s", CHAPTER, released).events) == "not submitted"
    folder = tmp_path / "renamed"
    folder.mkdir()
    nbformat.write(RELEASED, folder / "Activations (2).ipynb")
    (folder / "notes.txt").write_text("hi")
    found = inspect_submission(folder, "s", CHAPTER, released)
    assert found.gradable and [e.status for e in found.events] == ["wrong file name"]
    assert [p.name for p in found.extra_files] == ["notes.txt"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "answers.py").write_text("")
    found = inspect_submission(other, "s", CHAPTER, released)
    assert not found.gradable and overall(found.events) == "not submitted" and "answers.py" in found.events[0].detail


# -- files and feedback ---------------------------------------------------------------
def test_csv_files_are_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "grades.csv"
    files.write_csv(path, ["a"], [[1]])
    before = path.read_text()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        files.write_csv(path, ["a"], [[2]] * 1000)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_folders_are_replaced_whole(tmp_path: Path) -> None:
    dest = tmp_path / "feedback" / "ada"
    dest.mkdir(parents=True)
    (dest / "old.html").write_text("old")
    new = tmp_path / "new"
    new.mkdir()
    (new / "activations.html").write_text("new")
    files.replace_dir(new, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["activations.html"]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["ada"]


def test_feedback_tracebacks_do_not_quote_hidden_tests() -> None:
    source = "# Hidden tests\n### BEGIN HIDDEN TESTS\ncheck(softmax, \"softmax\", hidden=True)\n### END HIDDEN TESTS"
    cell = nbformat.v4.new_code_cell(source)
    frame = "Cell In[9], line 3\n----> 3 \x1b[43mcheck\x1b[49m(softmax, \"softmax\", hidden=True)"
    cell.outputs = [nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="",
                                           traceback=["KeyboardInterrupt", frame, "File numpy/x.py, line 1"])]
    HideHiddenTestFrames().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0].traceback == ["KeyboardInterrupt", "(hidden tests)", "File numpy/x.py, line 1"]
