"""How student work is judged.

Notebook check cells are one line::

    from dlcore.grading import check
    check(softmax, "softmax")                 # visible check
    check(softmax, "softmax", hidden=True)    # hidden tests, inputs drawn at grade time

See :mod:`dlcore.grading.spec` for exercises and the catalogue of mistakes.
"""

from dlcore.grading.check import CheckFailed, check
from dlcore.grading.display import install as _install_display
from dlcore.grading.spec import Case, Exercise, Mistake, all_exercises, get_exercise, mistakes

__all__ = ["Case", "CheckFailed", "Exercise", "Mistake", "all_exercises", "check", "get_exercise", "mistakes"]

_install_display()
