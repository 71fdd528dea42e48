"""Sharing element-wise numpy work among the cores, for :mod:`dlcore.conv` (max pooling, im2col, col2im).

numpy's element-wise operations release the GIL, so threads that work on
disjoint parts of an array run at the same time. :func:`run_parts` calls a
task once per chunk on up to :data:`THREADS` threads (the caller is one of
them); the tasks must write disjoint parts of their outputs, so that the
result does not depend on which thread ran which chunk, nor in which order.
Set DLCORE_NUM_THREADS (or OMP_NUM_THREADS) before dlcore is imported to use
fewer threads; 1 keeps all the work in the calling thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["THREADS", "run_parts"]


def _thread_count() -> int:
    """The cores this process may use, or fewer when DLCORE_NUM_THREADS (else OMP_NUM_THREADS) says so.

    Raises:
        ValueError: when DLCORE_NUM_THREADS is set but is not an integer >= 1.
            (OMP_NUM_THREADS is other libraries' setting too, and may hold a
            list such as "4,2": a value that is not one integer is left to them.)
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    own = os.environ.get("DLCORE_NUM_THREADS", "").strip()
    if own:
        if not own.isdigit() or int(own) < 1:
            raise ValueError(f"DLCORE_NUM_THREADS must be an integer >= 1, got {own!r}")
        return min(cores, int(own))
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) >= 1:
        return min(cores, int(omp))
    return cores


# threads that share a large call (the caller is one of them), read once at import
THREADS = _thread_count()
_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The module's helper threads (created on first use): THREADS - 1 of them."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="dlcore")
        return _EXECUTOR


def _forget_executor() -> None:
    """In a forked child: the parent's helper threads do not exist there; make new ones when needed."""
    global _EXECUTOR, _EXECUTOR_LOCK
    _EXECUTOR, _EXECUTOR_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_executor)


def run_parts(task: Callable[[Any], None], chunks: list[Any], parallel: bool) -> None:
    """Call ``task(chunk)`` once for every chunk, on up to THREADS threads when ``parallel``.

    The calling thread takes chunks too, and helper threads take whatever is
    left when they start: so the call completes even when every helper is busy
    (e.g. with another call of this function), and never waits for a helper
    that has not started.
    """
    if not parallel or THREADS < 2 or len(chunks) < 2:
        for chunk in chunks:
            task(chunk)
        return
    pending = iter(chunks)
    lock = threading.Lock()

    def drain() -> None:
        while True:
            with lock:
                chunk = next(pending, None)
            if chunk is None:
                return
            task(chunk)

    try:
        helpers = [_executor().submit(drain) for _ in range(min(THREADS, len(chunks)) - 1)]
    except RuntimeError:  # no new threads while the interpreter shuts down: this thread does it all
        helpers = []
    try:
        drain()
    finally:
        for helper in helpers:
            if not helper.cancel():  # it started: wait for its last chunk (and raise its error, if any)
                helper.result()
