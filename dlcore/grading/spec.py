"""What an exercise is, what a known mistake is, and the registry of both.

An :class:`Exercise` ties a student function to its dlcore reference of the
same name and says which inputs it is checked on. A :class:`Mistake` is a wrong
implementation that students are known to write, with the sentence they
should read when their function behaves like it. The catalogue is data: the
modules of :mod:`dlcore.grading.exercises` define ``EXERCISES`` and
``MISTAKES``, one module per chapter.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One input on which a student function is compared with the reference.

    Attributes:
        args: positional arguments (arrays are copied before every call).
        kwargs: keyword arguments.
        label: a few words a student understands ("large magnitudes").
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: a student function checked against dlcore.

    Attributes:
        name: the function's name in the notebook and in dlcore.
        chapter: the chapter folder, e.g. ``"03_activations"``.
        reference: the dlcore function of the same name and signature.
        visible_cases: builds the fixed inputs of the visible check cell.
        hidden_cases: draws the inputs of the hidden tests from a generator
            seeded at grade time.
        outputs: names of the returned values when the function returns a
            tuple, e.g. ``("loss", "dlogits")``; one name otherwise.
        allowed: dotted names of dlcore functions the student may call.
        vectorised: builds a case with ``n`` samples; when given, a Python
            loop over samples fails the check.
        verify: for answers that involve randomness, a function
            ``verify(case, got) -> problem or None`` that checks properties
            instead of equality with the reference.
        rtol, atol: tolerances of the comparison with the reference.
        alike: ``alike(case, expected, wrong, got) -> bool``, whether the
            student's answer ``got`` behaves like a known mistake's answer
            ``wrong`` (``expected``: the reference's); replaces equality
            within the tolerances when matching mistakes, for answers with
            parts checked by properties (the cache of a ``*_forward``).
        ignored: names in ``outputs`` whose values are not compared, such as
            the ``cache`` of a ``*_forward`` function, whose contents are the
            student's choice (the student must still return one).
        loop_advice: for a ``vectorised`` exercise whose probe cases grow in
            more than the number of samples (images that also grow in height
            and width), the advice that replaces the default one when the
            student's code loops; the message then names the two probe cases
            by their labels.
    """

    name: str
    chapter: str
    reference: Callable[..., Any]
    visible_cases: Callable[[], list[Case]]
    hidden_cases: Callable[[np.random.Generator], list[Case]]
    outputs: tuple[str, ...] = ("result",)
    allowed: tuple[str, ...] = ()
    vectorised: Callable[[int], Case] | None = None
    verify: Callable[[Case, Any], str | None] | None = None
    rtol: float = 1e-5
    atol: float = 1e-8
    ignored: tuple[str, ...] = ()
    loop_advice: str = ""
    alike: Callable[[Case, Any, Any, Any], bool] | None = None


@dataclass(frozen=True)
class Mistake:
    """A known wrong implementation of an exercise.

    Attributes:
        id: short unique identifier, e.g. ``"softmax-axis0"``.
        exercise: the exercise it belongs to.
        message: the sentence the student reads when their answer matches.
        code: source of the wrong function (named like the exercise), using
            only ``np``; the mutation test pastes it into the notebook.
    """

    id: str
    exercise: str
    message: str
    code: str

    def function(self) -> Callable[..., Any]:
        """Compile :attr:`code` and return the wrong function."""
        namespace: dict[str, Any] = {"np": np}
        exec(compile(self.code, f"<mistake {self.id}>", "exec"), namespace)  # noqa: S102 - catalogue data
        return namespace[self.exercise]


@cache
def _load() -> tuple[dict[str, Exercise], tuple[Mistake, ...]]:
    package = importlib.import_module("dlcore.grading.exercises")
    found: dict[str, Exercise] = {}
    mistakes: list[Mistake] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for exercise in getattr(module, "EXERCISES", ()):
            if exercise.name in found:
                raise ValueError(f"exercise {exercise.name!r} is defined twice")
            found[exercise.name] = exercise
        mistakes.extend(getattr(module, "MISTAKES", ()))
    ids = [m.id for m in mistakes]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"mistake ids defined twice: {duplicated}")
    unknown = sorted({m.exercise for m in mistakes} - set(found))
    if unknown:
        raise ValueError(f"mistakes refer to unknown exercises: {unknown}")
    return found, tuple(mistakes)


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by name."""
    return dict(_load()[0])


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; ``ValueError`` listing the names otherwise."""
    found = _load()[0]
    if name not in found:
        raise ValueError(f"no exercise called {name!r}; known exercises: {', '.join(sorted(found))}")
    return found[name]


def mistakes(exercise: str | None = None) -> tuple[Mistake, ...]:
    """The catalogue of known mistakes, optionally of one exercise."""
    every = _load()[1]
    return every if exercise is None else tuple(m for m in every if m.exercise == exercise)
