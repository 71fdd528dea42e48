"""Grading throughput: submissions per minute, nbgrader serial vs ``make grade``, side by side.

    .venv/bin/python benchmarks/grading_throughput.py [--per-chapter 10] [--jobs N] [--chapters 03_activations]

For each chapter (default: 03_activations) it writes ``--per-chapter``
synthetic submissions (the solution, the untouched student notebook, and
notebooks with the catalogued mistakes pasted in, in turn) into three fresh
temporary copies of the course, then grades them, one way per copy, in the
same run:

* ``nbgrader serial, stock``: nbgrader's own way, ``nbgrader autograde CHAPTER``
  then ``nbgrader generate_feedback CHAPTER``, one process for every student,
  with nbgrader's own executor (a kernel started from scratch per notebook,
  figures rendered, graceful shutdown);
* ``nbgrader serial``: the same with the course's executor
  (:class:`dlcore.course.execute.GuardedExecute`: sandboxed kernels forked
  from a preloaded zygote, figures not rendered, immediate shutdown);
* ``make grade --jobs 1``: this course's pipeline on one worker;
* ``make grade --jobs N``: on N workers (default: the machine's cores).

Everything else comes from the course's nbgrader_config.py. The rate is
submissions per wall-clock minute, autograding and feedback included, release
excluded for nbgrader and included for ``make grade`` (it re-releases each
chapter, starts its workers, inspects every submission). For ``make grade``
the steady rate is also printed: from its first result to its last, once the
workers have started, which is the rate a class of hundreds sees. Nothing is
asserted: it reports.

From ``benchmarks/run_all.py``: ``import grading_throughput`` then
``text, rates = grading_throughput.run(per_chapter=8)``; print ``text``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from dlcore.course import Course, ensure_path  # noqa: E402
from dlcore.course.grade import grade_course  # noqa: E402
from dlcore.grading import all_exercises, mistakes  # noqa: E402


STOCK_EXECUTOR = """
# benchmark: nbgrader's own executor instead of the course's
from nbgrader.preprocessors import Execute
c.Autograde.autograde_preprocessors = [
    Execute if p is GuardedExecute else p for p in c.Autograde.autograde_preprocessors
]
"""


def _course(dest: Path, chapters: list[str], stock: bool = False) -> Course:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    if stock:
        with (dest / "nbgrader_config.py").open("a") as fh:
            fh.write(STOCK_EXECUTOR)
    shutil.copytree(ROOT / "solutions", dest / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    course = Course(dest)
    course.release_many(chapters)
    return course


def _submissions(course: Course, chapter: str, n: int) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """student -> {notebook name: notebook}: solution, untouched, then one catalogued mistake after another."""
    released = {p.name: nbformat.read(p, as_version=4) for p in sorted((course.chapters_dir / chapter).glob("*.ipynb"))}
    solution = {p.name: nbformat.read(p, as_version=4) for p in sorted((course.solutions / chapter).glob("*.ipynb"))}
    wrong = [m for m in mistakes() if all_exercises()[m.exercise].chapter == chapter]
    out: dict[str, dict[str, nbformat.NotebookNode]] = {}
    for k in range(n):
        notebooks = {}
        for name, nb in released.items():
            nb = nbformat.from_dict(nb)
            answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution[name].cells
                       if c.metadata.get("nbgrader", {}).get("solution")}
            if k % 4 != 1:  # every fourth student hands in the untouched notebook
                mistake = wrong[(k // 4) % len(wrong)] if wrong and k % 4 in (2, 3) else None
                for cell in nb.cells:
                    gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                    if gid in answers:
                        cell.source = mistake.code if mistake and gid == mistake.exercise else answers[gid]
            notebooks[name] = nb
        out[f"student-{k:03d}"] = notebooks
    return out


def _submit(course: Course, chapter: str, subs: dict[str, dict[str, nbformat.NotebookNode]]) -> None:
    for student, notebooks in subs.items():
        folder = course.submitted / student / chapter
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / name)


def _nbgrader_serial(course: Course, chapters: list[str]) -> float:
    start = time.perf_counter()
    for chapter in chapters:
        course.autograde(chapter)
        course.generate_feedback(chapter)
    return time.perf_counter() - start


def _pipeline(course: Course, chapters: list[str], jobs: int) -> tuple[float, float | None]:
    """Seconds of the whole run, and of its steady state: from the first result to the last."""
    results: list[float] = []

    def progress(line: str) -> None:
        if line.startswith("["):
            results.append(time.perf_counter())

    start = time.perf_counter()
    run = grade_course(course.root, chapters, jobs=jobs, progress=progress)
    seconds = time.perf_counter() - start
    bad = [r for r in run.rows if r.status not in ("graded",)]
    if bad:
        raise RuntimeError(f"unexpected statuses: {[(r.student, r.status, r.details) for r in bad]}")
    steady = (results[-1] - results[0]) / (len(results) - 1) if len(results) > 1 else None
    return seconds, steady


def run(per_chapter: int = 10, chapters: list[str] | None = None,
        jobs: int | None = None) -> tuple[str, dict[str, float]]:
    """Grade the synthetic submissions three ways; return a report and the rates (submissions/min)."""
    ensure_path()
    jobs = jobs or os.cpu_count() or 1
    chapters = chapters or ["03_activations"]
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        ways = {"nbgrader serial, stock": 0, "nbgrader serial": 0, "make grade --jobs 1": 1,
                f"make grade --jobs {jobs}": jobs}
        courses = {way: _course(Path(tmp) / f"c{i}", chapters, stock=way.endswith("stock"))
                   for i, way in enumerate(ways)}
        for course in courses.values():
            for chapter in chapters:
                _submit(course, chapter, _submissions(course, chapter, per_chapter))
        total = per_chapter * len(chapters)
        seconds: dict[str, float] = {}
        steady: dict[str, float | None] = {}
        for way, n in ways.items():
            course = courses[way]
            if n == 0:
                seconds[way], steady[way] = _nbgrader_serial(course, chapters), None
            else:
                seconds[way], steady[way] = _pipeline(course, chapters, n)
        for way, n in ways.items():  # nbgrader serial must have graded everyone too: read its gradebook
            check = courses[way].scores(chapters)
            if n == 0 and (len(check) != total or any(s.status != "graded" for s in check)):
                raise RuntimeError(f"{way} left submissions ungraded: {check}")
    rates = {way: total / s * 60 for way, s in seconds.items()}
    base = rates["nbgrader serial, stock"]
    lines = [f"{total} submissions ({per_chapter} per chapter: {', '.join(chapters)}), {os.cpu_count()} cores, "
             f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
             f"{'way':<26}{'seconds':>9}{'subs/min':>10}{'vs stock':>10}{'steady subs/min':>17}"]
    for way in ways:
        every = steady[way]
        lines.append(f"{way:<26}{seconds[way]:>9.1f}{rates[way]:>10.1f}{rates[way] / base:>9.2f}x"
                     + (f"{60 / every:>17.1f}" if every else f"{'-':>17}"))
    lines.append("subs/min: the whole run (make grade: release, workers' start, inspection included); steady: "
                 "from the first result to the last, once the workers run")
    return "\n".join(lines), rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-chapter", type=int, default=10, help="synthetic submissions per chapter")
    parser.add_argument("--chapters", nargs="*", default=None, help="chapters (default: 03_activations; 'all')")
    parser.add_argument("--jobs", type=int, default=None, help="workers of the parallel run (default: cores)")
    args = parser.parse_args(argv)
    chapters = args.chapters
    if chapters == ["all"]:
        chapters = Course(ROOT).chapters()
    text, _ = run(args.per_chapter, chapters, args.jobs)
    print("grading throughput (autograde + feedback), measured side by side")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
