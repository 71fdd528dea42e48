"""dlcore: the reference library of the course.

Small modules in the order the course teaches them. Chapters use them for
demos, and :mod:`dlcore.grading` checks student exercises against them.
"""

__version__ = "0.1.0"
