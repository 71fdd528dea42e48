"""The grading workers of ``make grade``: processes that pull jobs from one queue.

Each :class:`Worker` runs ``python -m dlcore.course.worker`` in its own
scratch course (config, a link to solutions/, its own copy of the gradebook),
so no two processes ever write the same SQLite file and a submission can only
touch that scratch copy. A worker that dies, or outlives a job's time limit,
is replaced and its job is reported as failed: every job gets exactly one
result.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Pool", "time_limit"]


class Worker:
    """A worker process with its own scratch course (its gradebook copied in before its first job)."""

    def __init__(self, root: Path, home: Path, log: Any) -> None:
        self.root, self.home = root, home
        home.mkdir(parents=True)
        shutil.copy(root / "nbgrader_config.py", home / "nbgrader_config.py")
        os.symlink(root / "solutions", home / "solutions")
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dlcore.course.worker", str(home)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
            start_new_session=True, cwd=home,
        )
        self.ready = False
        self.has_gradebook = False
        self.job: dict[str, Any] | None = None
        self.started = 0.0

    def send(self, job: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        if not self.has_gradebook:  # the course's gradebook as it is now, chapters recorded
            with sqlite3.connect(self.root / "gradebook.db") as src, sqlite3.connect(self.home / "gradebook.db") as dst:
                src.backup(dst)
            self.has_gradebook = True
        self.job, self.started = job, time.monotonic()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def stop(self) -> None:
        """Tell the worker there is no more work: it exits once its current job's answer is written."""
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def close(self, timeout: float = 10) -> None:
        self.stop()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def time_limit(config: Any, notebooks: int) -> float:
    """Seconds after which a submission's worker is stopped (well past nbgrader's own limits)."""
    notebook = config.GuardedExecute.get("notebook_timeout", 600) or 3600
    return notebooks * (float(notebook) + 60) + 120


class Pool:
    """``n`` workers pulling jobs from one queue. Start it early: workers warm up while jobs are prepared."""

    def __init__(self, root: Path, scratch: Path, n: int) -> None:
        self.root, self.scratch = root, scratch
        # what nbgrader and the kernels print; kept where DLCORE_GRADE_LOG says, else in the scratch folder
        self.log_path = Path(os.environ.get("DLCORE_GRADE_LOG") or scratch / "workers.log")
        self.log = self.log_path.open("a")
        self.selector = selectors.DefaultSelector()
        self.workers: list[Worker] = []
        self.count = 0
        for _ in range(n):
            self._start()

    def _start(self) -> Worker:
        self.count += 1
        worker = Worker(self.root, self.scratch / f"worker-{self.count}", self.log)
        assert worker.proc.stdout is not None
        self.selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: Worker) -> None:
        assert worker.proc.stdout is not None
        self.selector.unregister(worker.proc.stdout)
        self.workers.remove(worker)
        worker.kill()

    def run(self, jobs: list[dict[str, Any]], limit: Callable[[dict], float],
            on_result: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
        """Grade ``jobs``; call ``on_result(job, result)`` once per job, whatever happens to its worker."""
        pending = list(reversed(jobs))
        while pending or any(w.job is not None for w in self.workers):
            for worker in self.workers:
                if worker.ready and worker.job is None and pending:
                    worker.send(pending.pop())
            for key, _ in self.selector.select(timeout=0.5):
                worker = key.data
                assert worker.proc.stdout is not None
                line = worker.proc.stdout.readline()
                if not line:  # the worker died
                    if not worker.ready:
                        self.log.flush()
                        tail = self.log_path.read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"a grading worker failed to start:\n{tail}")
                    job = worker.job
                    self._retire(worker)
                    self._start()
                    if job is not None:
                        on_result(job, {"ok": False, "error": "the grading worker died"})
                    continue
                message = json.loads(line)
                if message.get("ready"):
                    worker.ready = True
                    continue
                job, worker.job = worker.job, None
                assert job is not None
                on_result(job, message)
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.job is not None and now - worker.started > limit(worker.job):
                    job = worker.job
                    self._retire(worker)
                    self._start()
                    on_result(job, {"ok": False, "stopped": True,
                                    "error": f"grading took longer than {limit(job):.0f} s and was stopped"})

    def close(self) -> None:
        for worker in self.workers:  # all at once: each takes a moment to shut its zygote down
            worker.stop()
        end = time.monotonic() + 10
        for worker in self.workers:
            worker.close(timeout=max(0.0, end - time.monotonic()))
        self.log.close()
