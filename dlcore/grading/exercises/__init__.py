"""Exercises and known mistakes, one module per chapter.

Each module defines ``EXERCISES`` (a list of :class:`~dlcore.grading.spec.Exercise`)
and ``MISTAKES`` (a list of :class:`~dlcore.grading.spec.Mistake`).
"""
