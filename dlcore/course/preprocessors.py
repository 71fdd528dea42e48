"""nbgrader preprocessors of the course (named in nbgrader_config.py)."""

from __future__ import annotations

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
