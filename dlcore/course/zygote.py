"""Start grading kernels by forking a process that has already imported their libraries.

A Jupyter kernel spends a second or more importing ipykernel, numpy and
matplotlib before the notebook's first line runs, and grading starts one
kernel per submission. :class:`Zygote` is a process (one per grading worker)
that imports them once (:data:`PRELOAD`) and then forks a fresh kernel for
each notebook: the child applies the sandbox's limits
(:func:`dlcore.course.sandbox.launch`) and becomes the kernel in place. Each
kernel is still a separate process that starts from the same clean state,
so submissions stay isolated from each other.

Only modules without import-time side effects on IPython are preloaded.
:mod:`dlcore.grading.preload` loads every exercise of the course (and the
index of dlcore's reference functions), so a check cell finds them ready;
``check`` installs its traceback display in the kernel's shell when it runs.

Protocol (stdin/stdout, one JSON object per line): ``{"argv": [...], "cwd": "...",
"env": {...}}`` -> ``{"pid": N, "start": "..."}``. ``argv`` is the sandbox
launcher's command line (``python -m dlcore.course.sandbox ... -- python -m
ipykernel_launcher ...``).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

__all__ = ["PRELOAD", "ForkedProcess", "Zygote", "ZygoteError"]

PRELOAD = (
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",  # with debugpy: a third of a kernel's start when imported there
    "psutil",
    "sqlite3",
    "jedi",
    "dlcore.grading.preload",
)


class ZygoteError(RuntimeError):
    """The zygote could not start a kernel (the caller starts one the usual way)."""


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):  # exited, not yet reaped
        return None
    return fields[19]


class ForkedProcess:
    """The part of ``subprocess.Popen`` that jupyter_client uses, for a kernel forked by the zygote."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, start: str | None) -> None:
        self.pid = pid
        self._start = start
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and (self._start is None or _start_time(self.pid) != self._start):
            self.returncode = -signal.SIGKILL  # its parent, the zygote, collected the real code
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A preloaded process that forks kernels; :meth:`spawn` returns a :class:`ForkedProcess`."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = PRELOAD) -> None:
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dlcore.course.zygote", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if not ready:
            raise ZygoteError("the zygote did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, argv: list[str], cwd: str, env: dict[str, str]) -> ForkedProcess:
        with self._lock:
            if not self.alive():
                raise ZygoteError("the zygote is not running")
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "env": env}) + "\n")
                self.proc.stdin.flush()
                answer = json.loads(self.proc.stdout.readline() or "{}")
            except (OSError, ValueError) as exc:
                raise ZygoteError(f"the zygote failed: {exc}") from exc
        if "pid" not in answer:
            raise ZygoteError(answer.get("error", "the zygote gave no pid"))
        return ForkedProcess(int(answer["pid"]), answer.get("start"))

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()


# -- the zygote process -----------------------------------------------------------
def _reap(_signum: int, _frame: Any) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(request: dict[str, Any], protocol_out: int) -> None:
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # the kernel's prints go to the grader's log, never into the protocol
        os.close(protocol_out)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        tempfile.tempdir = None  # TMPDIR is the kernel's own now
        if "numpy" in sys.modules:  # the global RandomState would be the same in every kernel
            sys.modules["numpy"].random.seed()
        from dlcore.course.sandbox import launch

        launch(request["argv"][3:], in_process=True)
    except BaseException:  # noqa: BLE001 - the kernel failed to start; the grader sees it die
        traceback.print_exc()
    finally:
        os._exit(1)


def _warm_tracebacks() -> None:
    """Format one traceback the way IPython does, so that kernels inherit what that loads.

    A kernel's first error costs about 0.3 s (stack_data, pygments' lexer and
    formatters are imported and their regular expressions compiled); most
    graded submissions have one.
    """
    try:
        from IPython.core.ultratb import VerboseTB

        try:
            _ = 1 / 0
        except ZeroDivisionError:
            VerboseTB(theme_name="linux").text(*sys.exc_info())
    except Exception:  # noqa: BLE001 - an IPython without these parts: the kernel loads them itself
        pass


def _serve(preload: list[str]) -> None:
    from dlcore.course.sandbox import parent_death_signal

    parent_death_signal()
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that is missing is imported by the kernel, or not
            pass
    if "IPython" in preload:
        _warm_tracebacks()
    protocol_out = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(protocol_out, "w", buffering=1)
    signal.signal(signal.SIGCHLD, _reap)
    out.write('{"ready": true}\n')
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            pid = os.fork()
        except OSError as exc:
            out.write(json.dumps({"error": f"fork failed: {exc}"}) + "\n")
            continue
        if pid == 0:
            _child(request, protocol_out)
        start = None
        for _ in range(100):  # the child is there at once; read its start time for poll()
            start = _start_time(pid)
            if start is not None:
                break
            time.sleep(0.001)
        out.write(json.dumps({"pid": pid, "start": start}) + "\n")


if __name__ == "__main__":
    _serve(sys.argv[1:])
