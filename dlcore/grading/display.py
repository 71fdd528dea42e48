"""Show failed checks in Jupyter as a short diagnosis, not a traceback.

When :mod:`dlcore.grading` is imported inside IPython, a failed check is shown
as its message alone (plus the traceback of the student's own code when the
student's function raised): no frames of the checker, and no source of the
test cell, which for hidden tests is not for students to see.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import dlcore
from dlcore.grading.check import CheckFailed

_DLCORE_DIR = os.path.dirname(os.path.abspath(dlcore.__file__))
_RED, _RESET = "\x1b[31m", "\x1b[0m"


def _student_frames(error: BaseException) -> list[str]:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_DLCORE_DIR)]
    if not frames:
        return []
    return ["Traceback of your code (most recent call last):\n", *traceback.format_list(frames)]


def _short_traceback(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    if not (isinstance(value, CheckFailed) or getattr(value, "dlcore_check", False)):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    lines = []
    if value.__cause__ is not None:
        lines.extend(_student_frames(value.__cause__))
        lines.append(f"{type(value.__cause__).__name__}: {value.__cause__}\n\n")
    lines.append(f"{_RED}{etype.__name__}{_RESET}: {value}")
    shell._showtraceback(etype, value, lines)
    return None


def install() -> bool:
    """Register the short display in the running IPython shell, if any (calling it again is harmless)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((CheckFailed, NotImplementedError), _short_traceback)
    return True
