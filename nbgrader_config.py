"""nbgrader configuration of the course.

solutions/ is nbgrader's source directory (instructor notebooks with answers
and hidden tests); chapters/ is its release directory (what students get and
what the book renders). Submissions go to submitted/<student>/<chapter>/.
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    OverwriteCells,
    OverwriteKernelspec,
)

from dlcore.course.preprocessors import StripTags

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

# Student notebooks: the stub that replaces every solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Grading: a per-cell time limit, and a deleted grade cell is put back (and
# scores 0) instead of leaving the student ungraded.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.OverwriteCells.add_missing_cells = True
# The book's `skip-execution` tags must not skip tests when grading (see StripTags).
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    StripTags,
    CheckCellMetadata,
]

# Feedback shows the student's cells and outputs, never the hidden tests' source.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# Explorers in a grading kernel need no pre-rendered frames (nobody sees them):
# this keeps grading a chapter with explorers fast. Kernels inherit the variable.
os.environ.setdefault("DLCORE_EXPLORER", "live")
