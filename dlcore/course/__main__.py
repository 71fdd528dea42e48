"""Command line of the instructor's pipeline: ``python -m dlcore.course``.

    release    regenerate chapters/ from solutions/
    grade      autograde submitted/<student>/<chapter>/ in parallel; write grades.csv,
               misconceptions.csv and feedback/; print a summary of known mistakes
    validate   every solution scores full marks, every untouched student notebook
               scores 0 with only NotImplementedError, chapters/ is in sync with
               solutions/, solutions have no outputs, grade cells have points and
               unique ids
"""

from __future__ import annotations

import argparse
import os
import sys

from dlcore.course import Course, NbgraderError
from dlcore.course.speedups import without_iri_checks


def _release(course: Course, args: argparse.Namespace) -> int:
    for chapter in args.chapters or course.chapters():
        out = course.release(chapter)
        print(f"released {chapter} -> {out.relative_to(course.root)}")
    return 0


def _grade(course: Course, args: argparse.Namespace) -> int:
    from dlcore.course.grade import grade_course, misconception_summary

    run = grade_course(course.root, args.chapters or None, jobs=args.jobs, feedback=not args.no_feedback)
    if not run.rows:
        return 0
    statuses: dict[str, int] = {}
    for row in run.rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    print(f"\ngraded {run.graded} submission(s) in {run.seconds:.0f} s: "
          + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items(), key=lambda kv: -kv[1])))
    summary = misconception_summary(run)
    if summary:
        print("\nknown mistakes (misconceptions.csv):")
        for line in summary:
            print(f"  {line}")
    print(f"\nwrote grades.csv, misconceptions.csv and feedback/ in {course.root}")
    return 0


def _validate(course: Course, args: argparse.Namespace) -> int:
    from dlcore.course.validate import validate_course

    problems = validate_course(course.root, args.chapters or None, jobs=args.jobs)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print("\nevery chapter is valid")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcore.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=".", help="course directory (holds nbgrader_config.py)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("release", "grade", "validate"):
        p = sub.add_parser(name)
        p.add_argument("chapters", nargs="*", help="chapter folders (default: all)")
        if name != "release":
            p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel grading workers")
        if name == "grade":
            p.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    args = parser.parse_args(argv)
    without_iri_checks()
    try:
        course = Course(args.root)
        return {"release": _release, "grade": _grade, "validate": _validate}[args.command](course, args)
    except (ValueError, NbgraderError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
