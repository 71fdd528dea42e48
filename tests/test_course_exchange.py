"""nbgrader's exchange, round trip, on this machine: the instructor releases a
chapter, a student fetches it, answers, submits; the instructor collects and
grades with ``make grade``'s pipeline, releases feedback, and the student
fetches it. The student runs the ``nbgrader`` commands; the instructor's side
goes through nbgrader's Python API (the same code, without a process start
each). The exchange, the course and the student's home are temporary
folders; the student has another home (``HOME``) and student id (``--student``,
which nbgrader otherwise takes from the login name, as on JupyterHub)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from bad_submissions.corpus import CHAPTER, NOTEBOOK, answered
from conftest import make_course

from dlcore.course import Course
from dlcore.course.grade import grade_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course-exchange")]

COURSE_ID = "dl101"


def nbgrader(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output[-3000:]}"
    return output


def instructor_api(course: Course, exchange: Path) -> Any:
    """The instructor's nbgrader (its Python API: what ``nbgrader release_assignment`` etc. run)."""
    from nbgrader.apps import NbGraderAPI

    from dlcore.course.worker import load_config

    config = load_config(course.root)
    config.Exchange.root = str(exchange)
    config.CourseDirectory.course_id = COURSE_ID
    return NbGraderAPI(config=config)


def ok(result: dict[str, Any]) -> None:
    assert result["success"], f"{result.get('log', '')[-2000:]}\n{result.get('error', '')[-2000:]}"


# nbgrader 0.9.6's NbGraderAPI.release_feedback passes a misspelt "authentictor" argument
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
def test_release_fetch_submit_collect_grade_feedback(tmp_path: Path) -> None:
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course = make_course(tmp_path / "course")
    course.release_many([CHAPTER])
    base = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    base.pop("JUPYTER_CONFIG_DIR", None)
    shared = [f"--Exchange.root={exchange}", f"--CourseDirectory.course_id={COURSE_ID}"]
    home = tmp_path / "home-ada"
    home.mkdir()
    student = dict(base, HOME=str(home), USER="ada", LOGNAME="ada")

    api = instructor_api(course, exchange)
    ok(api.release_assignment(CHAPTER))

    nbgrader(home, student, "fetch_assignment", CHAPTER, *shared)
    fetched = home / CHAPTER / NOTEBOOK
    released = nbformat.read(fetched, as_version=4)
    solution = nbformat.read(course.solutions / CHAPTER / NOTEBOOK, as_version=4)
    nbformat.write(answered(released, solution), fetched)
    nbgrader(home, student, "submit", CHAPTER, "--student=ada", *shared)  # on a hub: the login name

    ok(api.collect(CHAPTER))
    submitted = course.submitted / "ada" / CHAPTER
    assert (submitted / NOTEBOOK).exists() and (submitted / "timestamp.txt").exists()

    run = grade_course(course.root, [CHAPTER], jobs=1, progress=None, release=False)  # released above
    row = run.row("ada", CHAPTER)
    assert (row.score, row.max_score, row.status) == (21.0, 21.0, "graded"), row
    with (course.root / "grades.csv").open() as fh:
        assert {"student": "ada", "chapter": CHAPTER, "score": "21", "max_score": "21", "status": "graded",
                "details": ""} in list(csv.DictReader(fh))

    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        assert gb.find_submission(CHAPTER, "ada").timestamp is not None  # from the exchange's timestamp.txt

    ok(api.release_feedback(CHAPTER))
    nbgrader(home, student, "fetch_feedback", CHAPTER, "--student=ada", *shared)
    pages = list((home / CHAPTER / "feedback").glob("*/activations.html"))
    assert len(pages) == 1, list((home / CHAPTER).rglob("*"))
    assert "hidden=True" not in pages[0].read_text()
