"""Nothing a student receives gives an answer away.

A student receives the built book (every file of the site, the downloadable
notebooks included), the notebooks of chapters/, and nbgrader's feedback after
grading. None of them may contain solution code (the lines between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in solutions/), the nbgrader
markers, the hidden test calls (``hidden=True``), or an expected value of a
hidden test: hidden inputs are drawn when the notebook is graded, so no
released notebook may carry an output of a grade cell, and a failed hidden
check must not print the reference's output on an input the student never saw.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from conftest import CHAPTER_NOTEBOOKS, ROOT, chapter_params
from test_grading_pipeline import graded  # noqa: F401 - fixture: each chapter graded once per worker (reused)

from dlcore.grading import check
from dlcore.grading.check import CheckFailed
from dlcore.grading.compare import format_array
from dlcore.grading.spec import Exercise, all_exercises

MARKERS = re.compile(r"(?:BEGIN|END)\s+SOLUTION|(?:BEGIN|END)\s+HIDDEN\s+TESTS|HIDDEN TESTS|hidden\s*=\s*True")
REGION = re.compile(r"###\s*BEGIN SOLUTION[^\n]*\n(.*?)###\s*END SOLUTION", re.DOTALL)
TRIVIAL = {"pass", "return", "else:", "try:", "continue", "break", '"""', "'''", "raiseNotImplementedError()"}
MIN_LINE = 8  # characters (without spaces) for a line of a solution to count on its own as an answer
LONG_LINE = 30  # a line this long is distinctive wherever it appears
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# -- solution code -----------------------------------------------------------
def compact(line: str) -> str:
    return re.sub(r"\s+", "", line)


def meaningful(lines: Iterable[str]) -> list[str]:
    """Compacted lines that are code, not blanks, comments or bare keywords."""
    found = []
    for line in lines:
        c = compact(line)
        if c and not c.startswith("#") and c not in TRIVIAL:
            found.append(c)
    return found


def solution_regions() -> list[tuple[str, list[str]]]:
    """(where, meaningful lines) of every solution region of solutions/*/*.ipynb."""
    regions = []
    for path in sorted(ROOT.glob("solutions/*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for n, match in enumerate(REGION.finditer(cell.source)):
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
                lines = meaningful(match.group(1).splitlines())
                if lines:
                    regions.append((f"{path.relative_to(ROOT)}:{gid}#{n}", lines))
    return regions


def answer_patterns(regions: list[tuple[str, list[str]]]) -> list[tuple[str, tuple[str, ...]]]:
    """What counts as a leak of each region: its only line, any long line, any two consecutive lines."""
    patterns = []
    for where, lines in regions:
        if len(lines) == 1 and len(lines[0]) >= MIN_LINE:
            patterns.append((where, (lines[0],)))
        patterns.extend((where, (line,)) for line in lines if len(line) >= LONG_LINE and len(lines) > 1)
        patterns.extend((where, (a, b)) for a, b in zip(lines, lines[1:]) if len(a) + len(b) >= MIN_LINE)
    return patterns


@functools.cache
def all_answer_patterns() -> list[tuple[str, tuple[str, ...]]]:
    return answer_patterns(solution_regions())


def find_answers(text_lines: list[str], patterns: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """The patterns found: one line within a line of the text, two lines within consecutive lines."""
    lines = meaningful(text_lines)
    found = []
    for where, pattern in patterns:
        if len(pattern) == 1:
            hit = any(pattern[0] in line for line in lines)
        else:
            hit = any(pattern[0] in a and pattern[1] in b for a, b in zip(lines, lines[1:]))
        if hit:
            found.append(f"{where}: {' / '.join(pattern)}")
    return found


# -- what a file says --------------------------------------------------------
def html_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def notebook_text(nb: dict) -> str:
    """Sources and text outputs of every cell."""
    parts = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        parts.append("".join(source) if isinstance(source, list) else source)
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
            for mime, value in output.get("data", {}).items():
                value = "".join(value) if isinstance(value, list) else value
                if mime == "text/html":
                    parts.append(html_text(value))
                elif mime.startswith("text/") or mime.endswith("json"):
                    parts.append(value if isinstance(value, str) else json.dumps(value))
            parts.extend(ANSI.sub("", line) for line in output.get("traceback", []))
    return "\n".join(parts)


def text_of(path: Path) -> str | None:
    """What a reader of ``path`` sees, as text; None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    text = data.decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            return notebook_text(json.loads(text))
        except ValueError:
            return text
    if path.suffix in {".html", ".htm"}:
        return text + "\n" + html_text(text)  # markup (attributes, scripts) and what it shows
    return text


def received_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def problems_in(path: Path, code: bool = True) -> list[str]:
    """Markers and (if ``code``) solution code found in ``path``."""
    text = text_of(path)
    if text is None:
        return []
    problems = sorted(set(MARKERS.findall(text)))
    if code:
        problems += find_answers(text.splitlines(), all_answer_patterns())
    return problems


def leaks(files: list[Path], base: Path, code: bool = True) -> dict[str, list[str]]:
    """file (relative to ``base``) -> markers and solution code found in it."""
    found = {path.relative_to(base).as_posix(): problems_in(path, code) for path in files}
    return {file: problems for file, problems in found.items() if problems}


# -- the detector works --------------------------------------------------------
def test_solution_regions_are_found() -> None:
    regions = solution_regions()
    notebooks = {where.split(":")[0] for where, _ in regions}
    assert notebooks == {str(p.relative_to(ROOT)) for p in ROOT.glob("solutions/*/*.ipynb")}, notebooks
    assert len(answer_patterns(regions)) >= len(regions)


def test_detector_finds_solution_code_in_each_form(tmp_path: Path) -> None:
    regions = solution_regions()
    where, lines = max(regions, key=lambda r: len(r[1]))
    path = ROOT / where.split(":")[0]
    nb = nbformat.read(path, as_version=4)
    gid = where.split(":")[1].split("#")[0]
    solution_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
    region = REGION.search(solution_cell.source).group(1)
    # 1. as code in a notebook, without markers
    leaked = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(region)])
    nbformat.write(leaked, tmp_path / "leaked.ipynb")
    # 2. as highlighted code in an HTML page, spaces changed
    spans = "\n".join(
        "<span class='n'>" + html.escape(line.replace(" ", "  ")).replace("(", "</span>(<span>") + "</span>"
        for line in region.splitlines()
    )
    (tmp_path / "page.html").write_text(f"<html><body><pre>{spans}</pre></body></html>")
    # 3. the markers alone, and a hidden call
    (tmp_path / "markers.txt").write_text("### BEGIN HIDDEN TESTS\ncheck(f, 'f', hidden=True)\n")
    # 4. an innocent page
    (tmp_path / "clean.html").write_text("<p>Compute the softmax of each row.</p><pre>import numpy as np</pre>")
    found = leaks(received_files(tmp_path), tmp_path)
    assert set(found) == {"leaked.ipynb", "page.html", "markers.txt"}, found
    assert any(where in problem for problem in found["leaked.ipynb"]), found
    assert any(where in problem for problem in found["page.html"]), found


# -- what students receive -------------------------------------------------
def test_chapter_notebooks_leak_nothing() -> None:
    found = leaks(received_files(ROOT / "chapters"), ROOT)
    assert not found, f"files of chapters/ that give answers away: {found}"


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_built_book_leaks_nothing(built_book: Path) -> None:
    files = received_files(built_book)
    assert any(p.suffix == ".ipynb" for p in files), "the book offers no notebook for download"
    found = leaks(files, built_book)
    assert not found, f"files of the built book that give answers away: {found}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", chapter_params())
def test_feedback_leaks_nothing(graded: Any, chapter: str) -> None:  # noqa: F811 - the imported fixture
    """Real nbgrader feedback (tests/test_grading_pipeline.py's graded course) shows a student
    nothing beyond what they submitted: students who submitted the solution get it back."""
    pages = sorted(graded.feedback_dir.glob(f"*/{chapter}/*.html"))
    students = {p.parts[-3] for p in pages}
    assert {"solution", "untouched"} <= students, pages
    found = {}
    for page in pages:
        submitted = graded.submitted / page.parts[-3] / chapter / CHAPTER_NOTEBOOKS[chapter]
        added = set(problems_in(page)) - set(problems_in(submitted))
        if added:
            found[page.relative_to(graded.feedback_dir).as_posix()] = sorted(added)
    assert not found, f"feedback that gives answers away: {found}"


# -- hidden expected values ------------------------------------------------
def grade_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("chapter", sorted(CHAPTER_NOTEBOOKS))
def test_released_notebook_has_no_outputs_or_hidden_tests(chapter: str) -> None:
    path = ROOT / "chapters" / chapter / CHAPTER_NOTEBOOKS[chapter]
    assert path.exists(), f"{path} is not released (make release)"
    nb = nbformat.read(path, as_version=4)
    assert grade_cells(nb), f"{path}: no grade cells"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id", "?")
        if meta.get("grade") or meta.get("solution"):
            assert not cell.get("outputs"), f"{path}: cell {gid} carries outputs: {cell.outputs}"
            assert not cell.get("execution_count"), f"{path}: cell {gid} was executed"
        assert "BEGIN HIDDEN TESTS" not in cell.source and "hidden=True" not in compact(cell.source), \
            f"{path}: cell {gid} holds hidden tests"
        if gid.startswith("hidden_"):
            code = [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
            assert not code, f"{path}: hidden cell {gid} holds code a student can read: {code}"


@pytest.mark.parametrize("chapter", sorted(CHAPTER_NOTEBOOKS))
def test_hidden_inputs_are_drawn_at_grade_time(chapter: str) -> None:
    """Hidden cells draw their inputs from the OS at grade time: no fixed seed, and the draws differ."""
    nb = nbformat.read(ROOT / "solutions" / chapter / CHAPTER_NOTEBOOKS[chapter], as_version=4)
    hidden = [c for c in grade_cells(nb) if "hidden=True" in compact(c.source)]
    assert hidden, f"{chapter}: no hidden tests"
    for cell in hidden:
        assert "seed" not in cell.source, f"{chapter}: a hidden test fixes its seed: {cell.source}"
    for exercise in exercises_of(chapter):
        first = exercise.hidden_cases(np.random.default_rng(1))
        second = exercise.hidden_cases(np.random.default_rng(2))
        assert any(not same_case(a, b) for a, b in zip(first, second)) or len(first) != len(second), \
            f"{exercise.name}: hidden inputs do not depend on the grade-time generator"
        visible = exercise.visible_cases()
        assert any(not any(same_case(h, v) for v in visible) for h in first), \
            f"{exercise.name}: every hidden input is also a visible one"


def exercises_of(chapter: str) -> list[Exercise]:
    return [e for e in all_exercises().values() if e.chapter == chapter]


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True)))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, np.random.Generator) or isinstance(b, np.random.Generator):
        return False
    try:
        if bool(a == b):
            return True
    except (TypeError, ValueError):
        pass
    return type(a) is type(b) and repr(a) == repr(b)  # e.g. a copied activation object


def same_case(a: Any, b: Any) -> bool:
    return same_value(a.args, b.args) and set(a.kwargs) == set(b.kwargs) and all(
        same_value(a.kwargs[k], b.kwargs[k]) for k in a.kwargs)


def flat_parts(secret: Any) -> Iterator[Any]:
    """The arrays and numbers of a result, also inside nested tuples and lists (backward's ``[(dW, db), ...]``)."""
    if isinstance(secret, (tuple, list)):
        for part in secret:
            yield from flat_parts(part)
    else:
        yield secret


def shown_values(message: str, secret: Any) -> list[str]:
    """The parts of ``secret`` that ``message`` prints: an array as the checker formats it, or
    any of its non-round numbers (0.123456 counts, 0.5 or 3.0 do not) in any format."""
    parts = list(flat_parts(secret))
    found = [format_array(p) for p in parts if len(compact(format_array(p))) > 2
             and compact(format_array(p)) in compact(message)]
    printed = np.array([float(t) for t in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", message)] or [np.nan])
    for part in parts:
        flat = np.asarray(part, dtype=float).ravel()
        for x in flat[np.isfinite(flat)]:
            if abs(x - round(float(x), 2)) > 1e-9 and np.any(np.isclose(printed, x, rtol=1e-5, atol=0)):
                found.append(repr(float(x)))
    return found


def hidden_probe(exercise: Exercise, seed: int) -> tuple[Any, Any]:
    """A 'student' function right on every visible input and wrong on the others, and the
    reference's output on the first hidden input that is not a visible one."""
    visible = [(case, exercise.reference(*case.args, **case.kwargs)) for case in exercise.visible_cases()]
    hidden_only = [c for c in exercise.hidden_cases(np.random.default_rng(seed))
                   if not any(same_case(c, v) for v, _ in visible)]
    secret = exercise.reference(*hidden_only[0].args, **hidden_only[0].kwargs)

    def probe(*args: Any, **kwargs: Any) -> Any:
        for case, expected in visible:
            if same_value(case.args, args) and same_value(case.kwargs, kwargs):
                return expected
        return None  # wrong, and of no shape: the check must say so without the expected value

    return probe, secret


def test_failed_hidden_checks_do_not_print_hidden_expected_values() -> None:
    """A 'student' right on every visible input and wrong elsewhere: the visible check passes, the
    hidden check fails on an input drawn at grade time, and its message (what the feedback shows)
    must not print the reference's output on that input."""
    shown = {}
    for name, exercise in sorted(all_exercises().items()):
        if exercise.verify is not None:  # random answers: checked by properties, no expected value printed
            continue
        probe, secret = hidden_probe(exercise, seed=12345)
        check(probe, name)  # right on every visible input
        with pytest.raises(CheckFailed) as failure:
            check(probe, name, hidden=True, seed=12345)
        if shown_values(str(failure.value), secret):
            shown[name] = str(failure.value)
    assert not shown, "failed hidden checks that print the expected output on a hidden input:\n" + "\n".join(
        f"--- {name}\n{message}" for name, message in shown.items())
