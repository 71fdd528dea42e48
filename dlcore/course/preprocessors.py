"""nbgrader preprocessors of the course (named in nbgrader_config.py)."""

from __future__ import annotations

import re
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor


class StripTags(NbGraderPreprocessor):
    """Remove every cell tag before a submission is executed for grading.

    The book tags exercise and check cells ``skip-execution`` so that it shows
    them without running them, and the notebook executor that nbgrader uses
    honours that tag too: left in place, it would skip every test and award
    full marks. Tags mean nothing to grading, and a student could add one, so
    all of them go.
    """

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        cell.metadata.pop("tags", None)
        return cell, resources


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HideHiddenTestFrames(NbGraderPreprocessor):
    """Keep the source of hidden tests out of feedback tracebacks.

    ``ClearHiddenTests`` removes hidden tests from a cell's source, but an
    error raised in such a cell (a timeout, an interrupt) carries a traceback
    whose frames quote the cell's code. This preprocessor runs before it in
    ``GenerateFeedback`` and replaces every traceback frame that quotes a line
    of a hidden-tests region with ``(hidden tests)``; the error's name and
    message stay.
    """

    begin = "BEGIN HIDDEN TESTS"
    end = "END HIDDEN TESTS"

    def _hidden_lines(self, source: str) -> list[str]:
        lines, inside = [], False
        for line in source.splitlines():
            if self.begin in line:
                inside = True
            elif self.end in line:
                inside = False
            elif inside and len(line.strip()) >= 6:
                lines.append(line.strip())
        return lines

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        if cell.cell_type != "code" or self.begin not in cell.source:
            return cell, resources
        hidden = self._hidden_lines(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            frames = []
            for frame in output.get("traceback", []):
                plain = _ANSI.sub("", frame)
                frames.append("(hidden tests)" if any(line in plain for line in hidden) else frame)
            output["traceback"] = frames
        return cell, resources
