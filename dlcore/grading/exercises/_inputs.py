"""Input builders shared by the exercise modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlcore.grading.spec import Case, Exercise

VISIBLE_SEED = 20261125


def visible_rng() -> np.random.Generator:
    """The generator of visible checks: the same inputs on every run."""
    return np.random.default_rng(VISIBLE_SEED)


def from_cases(name: str, chapter: str, reference: Callable[..., Any],
               cases: Callable[[np.random.Generator, bool], list[Case]], **kwargs: Any) -> Exercise:
    """An exercise whose inputs come from one builder ``cases(rng, hidden)``.

    The visible check draws from :func:`visible_rng` with ``hidden=False``; the
    hidden tests from the generator seeded at grade time with ``hidden=True``.
    ``kwargs`` are the other fields of :class:`Exercise` (tolerances, ...).
    """
    return Exercise(name=name, chapter=chapter, reference=reference,
                    visible_cases=lambda: cases(visible_rng(), hidden=False),
                    hidden_cases=lambda rng: cases(rng, hidden=True), **kwargs)


def elementwise_cases(rng: np.random.Generator, hidden: bool, **kwargs: object) -> list[Case]:
    """Inputs for element-wise functions: edge cases plus random arrays."""
    cases = [
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),), dict(kwargs), "values around 0"),
        Case((np.zeros((2, 3)),), dict(kwargs), "zeros"),
        Case((np.array([[-1000.0, -30.0, -1e-3, 1e-3, 30.0, 1000.0]]),), dict(kwargs), "large magnitudes"),
        Case((rng.standard_normal((4, 3)).astype(np.float32),), dict(kwargs), "float32"),
        Case((rng.standard_normal((1, 5)) * 3,), dict(kwargs), "a single row"),
    ]
    if hidden:
        for _ in range(3):
            shape = tuple(int(s) for s in rng.integers(1, 9, size=rng.integers(1, 4)))
            cases.append(Case((rng.standard_normal(shape) * rng.uniform(0.5, 20),), dict(kwargs), "random"))
    return cases


def matrix_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """(N, C) inputs for row-wise functions such as softmax."""
    cases = [
        Case((np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 4.0], [0.5, -2.0, 0.0]]),), label="small scores"),
        Case((np.zeros((2, 4)),), label="zeros"),
        Case((np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4 + 2.0]]),), label="large magnitudes"),
        Case((rng.standard_normal((1, 6)) * 2,), label="a single row"),
        Case((rng.standard_normal((5, 3)).astype(np.float32),), label="float32"),
        Case((rng.standard_normal((3, 3)),), label="a square matrix"),
    ]
    if hidden:
        for _ in range(3):
            n, c = (int(v) for v in rng.integers(1, 12, size=2))
            cases.append(Case((rng.standard_normal((n, c + 1)) * rng.uniform(0.5, 50),), label="random"))
    return cases
