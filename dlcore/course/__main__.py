"""Command line of the instructor's pipeline: ``python -m dlcore.course``.

    release    regenerate chapters/ from solutions/
    grade      autograde submitted/<student>/<chapter>/, write grades.csv and feedback/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dlcore.course import Course, NbgraderError


def _release(course: Course, args: argparse.Namespace) -> int:
    for chapter in args.chapters or course.chapters():
        out = course.release(chapter)
        print(f"released {chapter} -> {out.relative_to(course.root)}")
    return 0


def _grade(course: Course, args: argparse.Namespace) -> int:
    chapters = [c for c in (args.chapters or course.chapters()) if course.students(c)]
    if not course.students():
        print(f"nothing to grade: no submissions under {course.submitted}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        for chapter in chapters:
            course.release(chapter, release_dir=Path(scratch) / "release")  # records the chapter in the gradebook
            print(f"grading {chapter}: {len(course.students(chapter))} submission(s)")
            course.autograde(chapter)
            course.generate_feedback(chapter)
    scores = course.scores()
    path = course.write_grades(course.root / "grades.csv", scores)
    for s in scores:
        print(f"  {s.student:20s} {s.chapter:20s} {s.score:6g} / {s.max_score:g}  {s.status}")
    print(f"wrote {path.relative_to(course.root)} and feedback/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcore.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=".", help="course directory (holds nbgrader_config.py)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("release", "grade"):
        p = sub.add_parser(name)
        p.add_argument("chapters", nargs="*", help="chapter folders (default: all)")
        p.add_argument("--jobs", type=int, default=1, help="parallel workers (grade)")
    args = parser.parse_args(argv)
    try:
        course = Course(args.root)
        return {"release": _release, "grade": _grade}[args.command](course, args)
    except (ValueError, NbgraderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
