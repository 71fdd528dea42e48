"""The check that notebook test cells call: ``check(softmax, "softmax")``.

It compares the student's function with dlcore's reference on fixed inputs
(visible check) or on inputs drawn at grade time (hidden tests), and fails
with a :class:`CheckFailed` that says what was expected, what came back and,
when the answer matches a known mistake, which mistake it is.
"""

from __future__ import annotations

import copy
import inspect
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlcore.grading.compare import describe_difference, format_array
from dlcore.grading.guards import DelegationGuard, PristineNumpy, count_student_lines
from dlcore.grading.spec import Case, Exercise, Mistake, get_exercise, mistakes

_array_equal = np.array_equal


class CheckFailed(Exception):
    """A check found a wrong answer; the message is written for the student."""


def _not_written(name: str, where: str | None = None) -> NotImplementedError:
    if where is None or where == name or where.startswith("<"):  # "<lambda>", "<listcomp>": the function itself
        text = f"{name} is not written yet: replace `raise NotImplementedError()` with your code"
    else:  # e.g. forward calls the student's dense_forward, still a stub
        text = (f"{name} calls {where}, which is not written yet: replace `raise NotImplementedError()` "
                f"in {where} with your code")
    error = NotImplementedError(text)
    error.dlcore_check = True  # type: ignore[attr-defined]
    return error


def _copy_args(case: Case) -> tuple[tuple, dict]:
    return copy.deepcopy(case.args), copy.deepcopy(case.kwargs)


def _describe_input(exercise: Exercise, case: Case) -> str:
    try:
        params = list(inspect.signature(exercise.reference).parameters)
    except (TypeError, ValueError):
        params = []
    parts = []
    for i, value in enumerate(case.args):
        label = params[i] if i < len(params) else f"argument {i + 1}"
        if isinstance(value, np.ndarray):
            parts.append(f"{label} of shape {value.shape} ({value.dtype})")
        elif isinstance(value, np.random.Generator):
            parts.append(f"{label}=a seeded Generator")
        elif _holds_arrays(value):
            parts.append(f"{label}={_summary(value)}")
        else:
            parts.append(f"{label}={value!r}")
    parts.extend(f"{k}={v!r}" for k, v in case.kwargs.items())
    text = ", ".join(parts)
    return f"{text} [{case.label}]" if case.label else text


def _holds_arrays(value: Any) -> bool:
    """Whether ``value`` is a tuple or list with an array somewhere inside (a cache, say)."""
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (tuple, list)) and any(_holds_arrays(v) for v in value)


def _summary(value: Any) -> str:
    """A tuple or list of arrays, with each array shown by its shape and dtype, not its values."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape} {value.dtype}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_summary(v) for v in value)
        return f"({inner},)" if isinstance(value, tuple) and len(value) == 1 else (
            f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def _call_student(func: Callable[..., Any], exercise: Exercise, case: Case) -> Any:
    args, kwargs = _copy_args(case)
    before = copy.deepcopy((args, kwargs))
    guard = DelegationGuard(exercise.allowed)
    error: BaseException | None = None
    result = None
    with guard:
        try:
            result = func(*args, **kwargs)
        except NotImplementedError as exc:
            error = _not_written(exercise.name, traceback.extract_tb(exc.__traceback__)[-1].name)
        except Exception as exc:  # the student's bug: report it, keep their traceback
            error = exc
    if guard.calls:
        raise CheckFailed(
            f"{exercise.name} calls {guard.calls[0]}: write your own. "
            "The reference implementation is not allowed in this exercise"
            + (f" (allowed: {', '.join(exercise.allowed)})." if exercise.allowed else ".")
        )
    if isinstance(error, NotImplementedError) and getattr(error, "dlcore_check", False):
        raise error
    if error is not None:
        lines = [f"{exercise.name} raised {type(error).__name__}: {error}"]
        mistake = _mistake_raising(exercise, case, error)
        if mistake is not None:
            lines.append(f"  likely mistake [{mistake.id}]: {mistake.message}")
        lines.append(f"  input: {_describe_input(exercise, case)}")
        raise CheckFailed("\n".join(lines)) from error
    changed = _changed_inputs(before, (args, kwargs))
    if changed:
        key = changed[0]
        which = f"argument {key + 1}" if isinstance(key, int) else f"keyword argument {key}"
        lines = [
            f"{exercise.name} changed its input {which} in place: "
            "compute a new array instead of assigning into the one you were given"
        ]
        mistake = _mistake_changing(exercise, case, key)
        if mistake is not None:
            lines.append(f"  likely mistake [{mistake.id}]: {mistake.message}")
        lines.append(f"  input: {_describe_input(exercise, case)}")
        raise CheckFailed("\n".join(lines))
    return result


def _changed_inputs(before: tuple[tuple, dict], after: tuple[tuple, dict]) -> list[int | str]:
    """Positions (int) and keywords (str) of the array arguments whose values changed during a call."""
    (old_args, old_kwargs), (new_args, new_kwargs) = before, after
    changed: list[int | str] = [
        i for i, (old, new) in enumerate(zip(old_args, new_args))
        if isinstance(old, np.ndarray) and not _array_equal(old, new, equal_nan=True)
    ]
    changed += [
        k for k, old in old_kwargs.items()
        if isinstance(old, np.ndarray) and not _array_equal(old, new_kwargs[k], equal_nan=True)
    ]
    return changed


def _mistake_changing(exercise: Exercise, case: Case, key: int | str) -> Mistake | None:
    """The known mistake that changes the same input argument in place, if any."""
    for mistake in mistakes(exercise.name):
        args, kwargs = _copy_args(case)
        before = copy.deepcopy((args, kwargs))
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mistake.function()(*args, **kwargs)
        except Exception:
            continue
        if key in _changed_inputs(before, (args, kwargs)):
            return mistake
    return None


def _run_mistake(mistake: Mistake, case: Case) -> Any:
    args, kwargs = _copy_args(case)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mistake.function()(*args, **kwargs)


def _mistake_raising(exercise: Exercise, case: Case, error: Exception) -> Mistake | None:
    """The known mistake that fails on this input with the same error, if any."""
    for mistake in mistakes(exercise.name):
        try:
            _run_mistake(mistake, case)
        except Exception as wrong:
            if type(wrong) is type(error) and str(wrong) == str(error):
                return mistake
    return None


def _compared(exercise: Exercise, value: Any) -> tuple[Any, tuple[str, ...]]:
    """The part of a result that is compared, and its names: the ``ignored`` outputs are left out.

    A result that is not a tuple of ``len(outputs)`` values is returned whole,
    so that the comparison says how many values were expected.
    """
    names = exercise.outputs
    if not exercise.ignored or not isinstance(value, (tuple, list)) or len(value) != len(names):
        return value, names
    kept = [(n, v) for n, v in zip(names, value) if n not in exercise.ignored]
    if len(kept) == 1:
        return kept[0][1], (kept[0][0],)
    return tuple(v for _, v in kept), tuple(n for n, _ in kept)


def _difference(exercise: Exercise, expected: Any, got: Any, reveal: bool = True) -> str | None:
    """What differs between two results, leaving out the ``ignored`` outputs; None when they agree."""
    if not (isinstance(got, (tuple, list)) and len(got) == len(exercise.outputs)):
        return describe_difference(expected, got, exercise.outputs, exercise.rtol, exercise.atol, reveal=reveal)
    want, names = _compared(exercise, expected)
    have, _ = _compared(exercise, got)
    problem = describe_difference(want, have, names, exercise.rtol, exercise.atol, reveal=reveal)
    if problem is not None and len(names) == 1 and len(exercise.outputs) > 1:
        return f"{names[0]}: {problem}"
    return problem


def _matching_mistake(exercise: Exercise, case: Case, expected: Any, got: Any) -> Mistake | None:
    for mistake in mistakes(exercise.name):
        try:
            wrong = _run_mistake(mistake, case)
        except Exception:
            continue
        if exercise.alike is not None:
            if exercise.alike(case, expected, wrong, got):
                return mistake
            continue
        differs_from_reference = _difference(exercise, expected, wrong)
        same_as_student = _difference(exercise, wrong, got) is None
        if same_as_student and differs_from_reference is not None:
            return mistake
    return None


def _labelled(label: str, value: Any, names: tuple[str, ...]) -> str:
    if len(names) > 1 and isinstance(value, (tuple, list)) and len(value) == len(names):
        text = "\n".join(f"{n} = {format_array(v)}" for n, v in zip(names, value))
    else:
        text = format_array(value)
    pad = "\n" + " " * (2 + len(label))
    return "  " + label + text.replace("\n", pad)


def _failure(exercise: Exercise, case: Case, problem: str, expected: Any, got: Any, hidden: bool) -> CheckFailed:
    """The message of a failed check; a hidden test names no expected value (feedback is kept)."""
    mistake = _matching_mistake(exercise, case, expected, got)
    lines = [f"{exercise.name} is not right yet."]
    if mistake is not None:
        lines.append(f"  likely mistake [{mistake.id}]: {mistake.message}")
    lines.append(f"  problem: {problem}")
    lines.append(f"  input: {_describe_input(exercise, case)}")
    if exercise.verify is None and not hidden:
        lines.append(_labelled("expected: ", *_compared(exercise, expected)))
        lines.append(_labelled("got:      ", *_compared(exercise, got)))
    return CheckFailed("\n".join(lines))


def _check_vectorised(func: Callable[..., Any], exercise: Exercise) -> None:
    assert exercise.vectorised is not None  # noqa: S101 - internal invariant, not user input
    small, large = exercise.vectorised(4), exercise.vectorised(64)
    lines_small = count_student_lines(func, *_copy_args(small))
    lines_large = count_student_lines(func, *_copy_args(large))
    if lines_large > lines_small + 8 and exercise.loop_advice:
        raise CheckFailed(
            f"{exercise.name} runs a Python loop whose length grows with the input: {lines_small} lines executed "
            f"for {small.label or 'a small input'}, {lines_large} for {large.label or 'a larger one'}. "
            + exercise.loop_advice
        )
    if lines_large > lines_small + 8:
        raise CheckFailed(
            f"{exercise.name} runs a Python loop over the samples: {lines_small} lines executed for 4 samples, "
            f"{lines_large} for 64. This exercise must be vectorised: work on whole arrays with numpy "
            "(no `for` over rows, no comprehension, no np.vectorize)."
        )


def check(func: Callable[..., Any], name: str, *, hidden: bool = False, seed: int | None = None) -> None:
    """Check a student's function against dlcore's reference.

    Args:
        func: the student's function.
        name: the exercise, e.g. ``"softmax"``.
        hidden: draw fresh inputs (the hidden tests run when grading).
        seed: seed of the hidden inputs; ``None`` draws it from the OS.

    Returns nothing on purpose: nbgrader would read a number displayed by a
    test cell as partial credit.

    Raises:
        CheckFailed: with a message for the student when the answer is wrong.
        NotImplementedError: when the exercise has not been attempted.
    """
    from dlcore.grading.display import install

    install()  # again: a grading kernel may have inherited this module from before its shell existed
    exercise = get_exercise(name)
    if not callable(func):
        raise CheckFailed(f"{name} should be a function (def {name}(...):), got {type(func).__name__}")
    with PristineNumpy():
        cases = exercise.hidden_cases(np.random.default_rng(seed)) if hidden else exercise.visible_cases()
        for case in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = exercise.reference(*_copy_args(case)[0], **_copy_args(case)[1])
            got = _call_student(func, exercise, case)
            if exercise.verify is not None:
                problem = exercise.verify(case, got)
            else:
                problem = _difference(exercise, expected, got, reveal=not hidden)
            if problem is not None:
                raise _failure(exercise, case, problem, expected, got, hidden)
        if exercise.vectorised is not None:
            _check_vectorised(func, exercise)
    kind = "hidden" if hidden else "visible"
    print(f"{name}: passed {len(cases)} {kind} checks")
