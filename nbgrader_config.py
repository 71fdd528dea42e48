"""nbgrader configuration of the course.

solutions/ is nbgrader's source directory (instructor notebooks with answers
and hidden tests); chapters/ is its release directory (what students get and
what the book renders). Submissions go to submitted/<student>/<chapter>/.
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from dlcore.course.execute import GuardedExecute
from dlcore.course.feedback import FeedbackExporter
from dlcore.course.preprocessors import HideHiddenTestFrames, StripTags

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

# Grading limits (see dlcore/course/execute.py and sandbox.py). A submission
# never costs more than notebook_timeout seconds; a cell no more than
# Execute.timeout; a kernel no more than memory_limit bytes; a cell's output no
# more than max_output_bytes. A deleted grade cell is put back and graded
# instead of leaving the student ungraded.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.GuardedExecute.notebook_timeout = 300
c.GuardedExecute.max_output_bytes = 1_000_000
c.SandboxedKernelManager.memory_limit = 4 * 1024**3
c.SandboxedKernelManager.file_size_limit = 256 * 1024**2
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

# nbconvert validates the notebook after every preprocessor (17 times per
# submission); once, after the last, is enough: a broken notebook still fails.
c.Exporter.optimistic_validation = True

# nbgrader's autograde steps, with its executor replaced by GuardedExecute, and
# without its second CheckCellMetadata: the sanitising steps above checked the
# metadata already, and running cells cannot change it.
c.Autograde.autograde_preprocessors = [
    GuardedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
]

# Feedback shows the student's cells and outputs, never the hidden tests' source
# (nor tracebacks quoting it).
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestFrames, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
# The same page, made in a third of the time (dlcore/course/feedback.py).
c.GenerateFeedback.exporter_class = FeedbackExporter

# Explorers in a grading kernel need no pre-rendered frames (nobody sees them):
# this keeps grading a chapter with explorers fast. Kernels inherit the variable.
os.environ.setdefault("DLCORE_EXPLORER", "live")
