"""``make validate`` (``python -m dlcore.course validate``) on a copy of the course:
a good chapter raises no problem; a broken one (a solution with outputs and a
wrong answer, a grade cell without points, no released copy) is reported,
problem by problem, and the command fails. The checks themselves are the ones
tests/test_notebooks.py and tests/test_grading_pipeline.py run on every chapter."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbtools import cell

from dlcore.course.__main__ import main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course-validate")]

GOOD, BROKEN, NOTEBOOK = "03_activations", "99_broken", "activations.ipynb"


def test_make_validate_clears_a_good_chapter_and_names_every_problem_of_a_broken_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / GOOD, course / "solutions" / GOOD)
    shutil.copytree(ROOT / "chapters" / GOOD, course / "chapters" / GOOD)
    broken = nbformat.read(ROOT / "solutions" / GOOD / NOTEBOOK, as_version=4)
    cell(broken, "relu").source = "def relu(z):\n    ### BEGIN SOLUTION\n    return z\n    ### END SOLUTION\n"
    cell(broken, "setup").outputs = [nbformat.v4.new_output("stream", text="left over\n")]
    cell(broken, "check_softmax").metadata.nbgrader["points"] = 0
    (course / "solutions" / BROKEN).mkdir()
    nbformat.write(broken, course / "solutions" / BROKEN / NOTEBOOK)

    code = main(["--root", str(course), "validate", "--jobs", "2"])
    out = capsys.readouterr().out
    problems = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert code == 1, out
    assert not [p for p in problems if GOOD in p], problems
    expected = [
        f"solutions/{BROKEN}/{NOTEBOOK}: cells with outputs ['setup']",
        f"solutions/{BROKEN}/{NOTEBOOK}: check_softmax has no points",
        f"chapters/{BROKEN}/{NOTEBOOK}",  # not released
        f"{BROKEN}: the solution lost points in check_relu",
        f"{BROKEN}: the solution lost points in hidden_relu",
        f"{BROKEN}: check_softmax has no points",  # seen again when the untouched notebook is graded
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected), problems
