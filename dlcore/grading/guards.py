"""Guards that keep a check honest.

* :class:`DelegationGuard` notices when a student function calls one of
  dlcore's reference implementations (directly, through an alias, through
  ``importlib`` or through a helper of its own): it watches the code objects
  that run, not the names used to reach them.
* :func:`count_student_lines` counts the Python lines a function executes,
  which reveals a Python loop over samples in an exercise marked vectorised.
* :class:`PristineNumpy` puts back numpy functions that student code rebound
  (``np.allclose = lambda *a, **k: True``) for the duration of a check.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
import sysconfig
from collections.abc import Callable, Iterator
from functools import cache
from types import CodeType, ModuleType
from typing import Any

import numpy as np

import dlcore

# dlcore modules that are not reference implementations of exercises.
_NOT_REFERENCE = {"_validate", "grading", "course", "widgets", "plots", "diagrams"}


def _functions_of(module: ModuleType) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            yield f"{module.__name__}.{name}", obj
        elif inspect.isclass(obj) and obj.__module__ == module.__name__:
            for attr, member in vars(obj).items():
                if inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member


@cache
def reference_code() -> dict[CodeType, str]:
    """Code object -> dotted name of every function in dlcore's reference modules."""
    found: dict[CodeType, str] = {}
    for info in pkgutil.iter_modules(dlcore.__path__):
        if info.name in _NOT_REFERENCE:
            continue
        module = importlib.import_module(f"dlcore.{info.name}")
        for dotted, func in _functions_of(module):
            found[func.__code__] = dotted
    return found


class DelegationGuard:
    """Records calls into dlcore's reference code while the guard is active.

    Calls made from inside an allowed function (and that function's own
    helpers) are not recorded.

    Args:
        allowed: dotted names of the dlcore functions the student may call.
    """

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        codes = reference_code()
        unknown = set(allowed) - set(codes.values())
        if unknown:
            raise ValueError(f"allowed names are not dlcore functions: {sorted(unknown)}")
        self._allowed = {code for code, name in codes.items() if name in allowed}
        self._forbidden = {code: name for code, name in codes.items() if name not in allowed}
        self._depth = 0
        self.calls: list[str] = []
        self._previous: Any = None

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call":
            if code in self._allowed:
                self._depth += 1
            elif self._depth == 0 and code in self._forbidden:
                name = self._forbidden[code]
                if name not in self.calls:
                    self.calls.append(name)
        elif event == "return" and code in self._allowed:
            self._depth -= 1

    def __enter__(self) -> DelegationGuard:
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(self._previous)


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths["stdlib"], paths["purelib"], paths["platlib"], os.path.dirname(dlcore.__file__)}
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


def count_student_lines(func: Callable[..., Any], args: tuple, kwargs: dict) -> int:
    """How many Python lines outside numpy, the standard library and dlcore ``func`` runs."""
    libraries = _library_dirs()
    counted = 0
    own: dict[str, bool] = {}

    def is_student(filename: str) -> bool:
        if filename not in own:
            real = os.path.realpath(filename) if os.path.exists(filename) else filename
            own[filename] = not real.startswith(libraries)
        return own[filename]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal counted
        if not is_student(frame.f_code.co_filename):
            return None
        if event == "line":
            counted += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        func(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return counted


def _snapshot() -> list[tuple[ModuleType, dict[str, Any]]]:
    modules = [np, np.testing, np.linalg, np.random]
    return [(m, dict(vars(m))) for m in modules]


_ORIGINAL = _snapshot()


class PristineNumpy:
    """Restore numpy attributes rebound by student code, then put them back.

    Attributes:
        replaced: names (``"numpy.allclose"``) that had been rebound.
    """

    def __init__(self) -> None:
        self.replaced: list[str] = []
        self._saved: list[tuple[ModuleType, str, Any]] = []

    def __enter__(self) -> PristineNumpy:
        for module, original in _ORIGINAL:
            current = vars(module)
            for name, value in original.items():
                if current.get(name, value) is not value:
                    self._saved.append((module, name, current[name]))
                    self.replaced.append(f"{module.__name__}.{name}")
                    setattr(module, name, value)
        return self

    def __exit__(self, *exc: object) -> None:
        for module, name, value in self._saved:
            setattr(module, name, value)
