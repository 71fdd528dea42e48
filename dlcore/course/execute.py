"""The executor that runs a submission when it is graded.

:class:`GuardedExecute` replaces nbgrader's ``Execute`` in
``c.Autograde.autograde_preprocessors``. On top of nbgrader's per-cell time
limit (``Execute.timeout``) it makes sure one submission can never stall or
sink a grading run:

* **a whole-notebook time limit** (``GuardedExecute.notebook_timeout``): every
  cell's limit is cut to the time the notebook has left; once it is used up,
  the remaining cells are not run and get a ``NotebookTimeoutError``;
* **a kernel that does not stop** when interrupted after a timeout (say,
  ``while True`` inside ``try/except``) is killed, and the remaining cells get
  ``KernelUnresponsiveError``;
* **a kernel that dies** (``os._exit``, a segfault, the memory limit) leaves
  ``DeadKernelError`` in the cell that killed it and in every later cell,
  where nbgrader alone would abort and leave the student ungraded;
* **output** beyond ``max_output_bytes`` per cell is dropped (a marker line
  says so), so a submission printing gigabytes costs neither memory nor disk;
* the kernel runs under :class:`dlcore.course.sandbox.SandboxedKernelManager`
  (memory and file-size limits, writes confined to the notebook's folder);
* **demonstration cells** that the instructor wrote, that the student left
  as they were and that no graded cell needs are not run
  (``GuardedExecute.skip_demos``; :mod:`dlcore.course.demos` decides which):
  figures and explorers take most of a chapter's running time and never
  change a score. Each keeps one output line that says it was not run.

Every such event leaves an error output whose ``ename`` is listed in
:data:`EVENT_ERRORS`, so a grade cell that did not run scores 0 (nbgrader gives
0 to a code cell with an error output) and :mod:`dlcore.course.status` can say
why.
"""

from __future__ import annotations

import json
from pathlib import Path
from time import monotonic
from typing import Any

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from dlcore.course.demos import skippable
from dlcore.course.sandbox import SandboxedKernelManager

__all__ = ["EVENT_ERRORS", "NOT_RUN", "OUTPUT_TRUNCATED", "GuardedExecute"]

#: ename of the error output that each grading event leaves in a cell.
EVENT_ERRORS = {
    "CellTimeoutError": "timed out",  # nbgrader's own, per-cell limit
    "NotebookTimeoutError": "timed out",
    "KernelUnresponsiveError": "timed out",
    "DeadKernelError": "kernel died",
}
#: first words of the stream output that replaces dropped output.
OUTPUT_TRUNCATED = "[output truncated by the grader:"
#: the output a skipped demonstration cell keeps.
NOT_RUN = "[not run when grading: a demonstration that no graded cell needs; run it yourself to see it]\n"


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(msg: dict[str, Any]) -> int:
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    if "data" in content:
        return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in content["data"].values())
    return len(json.dumps(content))


class GuardedExecute(Execute):
    """nbgrader's executor with a notebook time limit, kernel-death handling and output caps."""

    notebook_timeout = Integer(
        600, help="seconds a whole notebook may run when graded (0: no limit besides Execute.timeout)"
    ).tag(config=True)
    unresponsive_timeout = Integer(
        5, help="seconds a kernel has to answer after a timed-out cell was interrupted, before it is killed"
    ).tag(config=True)
    max_output_bytes = Integer(1_000_000, help="output kept per cell (bytes); the rest is dropped").tag(config=True)
    sandbox = Bool(True, help="run kernels with dlcore.course.sandbox's limits").tag(config=True)
    skip_demos = Bool(
        True, help="do not run the instructor's unchanged demonstration cells that no graded cell needs"
    ).tag(config=True)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("shutdown_kernel", "immediate")  # a graded kernel has nothing to save
        super().__init__(**kw)

    # -- limits ------------------------------------------------------------
    def _cell_timeout(self, cell: NotebookNode) -> int | None:
        limits = [t for t in (self.timeout, self._remaining()) if t is not None and t > 0]
        return max(1, int(min(limits) + 0.999)) if limits else None

    def _remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return self._deadline - monotonic()

    def _out_of_time(self) -> bool:
        remaining = self._remaining()
        return remaining is not None and remaining <= 0

    # -- output cap ------------------------------------------------------
    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        limit = self.max_output_bytes
        if limit <= 0:
            return super().output(outs, msg, display_id, cell_index)
        used = self._output_bytes.get(cell_index, 0)
        size = _size(msg)
        self._output_bytes[cell_index] = used + size
        if msg["msg_type"] == "error":  # always kept (it decides the score), but trimmed
            content = msg["content"]
            content["evalue"] = str(content.get("evalue", ""))[:limit]
            content["traceback"] = [line[:limit] for line in content.get("traceback", [])[-50:]]
            return super().output(outs, msg, display_id, cell_index)
        if used + size <= limit:
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and used < limit:  # keep what fits
            msg["content"]["text"] = msg["content"]["text"][: limit - used]
            super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n{OUTPUT_TRUNCATED} this cell printed more than {limit} bytes]\n"))
        return None

    # -- demonstrations ----------------------------------------------------
    def _demos(self, resources: Any) -> set[int]:
        """Indices of the cells not to run (see :mod:`dlcore.course.demos`); empty if unsure."""
        info = (resources or {}).get("nbgrader", {})
        if not self.skip_demos or "assignment" not in info or "notebook" not in info:
            return set()
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
        path = source / f"{info['notebook']}.ipynb"
        try:
            instructor = json.loads(path.read_text(encoding="utf-8"))["cells"]
            cells = [NotebookNode(c) for c in instructor]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.log.warning("running every cell: no instructor notebook at %s (%s)", path, exc)
            return set()
        for cell in cells:
            if isinstance(cell.get("source"), list):
                cell.source = "".join(cell.source)
        try:
            return skippable(self.nb.cells, cells)
        except Exception as exc:  # noqa: BLE001 - leaving cells out is an optimisation: never a reason to fail
            self.log.warning("running every cell: the demonstrations could not be told apart (%r)", exc)
            return set()

    # -- the run ---------------------------------------------------------
    def _mark_not_run(self, cells: list[NotebookNode], ename: str, evalue: str) -> None:
        for cell in cells:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [*cell.get("outputs", []), _error(ename, evalue)]

    async def _async_kernel_info(self, timeout: float) -> dict[str, Any] | None:
        """The kernel's reply to kernel_info within ``timeout`` seconds, or None."""
        assert self.kc is not None
        msg_id = self.kc.kernel_info()
        end = monotonic() + timeout
        while monotonic() < end:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=max(0.1, end - monotonic()))
            except Exception:  # noqa: BLE001 - queue.Empty: no reply yet
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    async def _async_responsive(self) -> bool:
        return await self._async_kernel_info(self.unresponsive_timeout) is not None

    def _timed_out(self, cell: NotebookNode) -> bool:
        return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
                   for o in cell.get("outputs", []))

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> tuple[NotebookNode, Any]:
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager
        self._deadline = monotonic() + self.notebook_timeout if self.notebook_timeout > 0 else None
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self.timeout_func = self._cell_timeout
        cells = self.nb.cells
        skip = self._demos(resources)
        try:
            with self.setup_kernel():
                assert self.kc is not None
                info_msg = run_sync(self._async_kernel_info)(10)
                if info_msg is not None:
                    self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                else:
                    self.log.warning("no kernel_info reply in 10 s; running the notebook anyway")
                for index, cell in enumerate(cells):
                    if self._out_of_time():
                        self._mark_not_run(cells[index:], "NotebookTimeoutError",
                                           f"not run: the notebook used up its {self.notebook_timeout} s")
                        break
                    if index in skip:
                        cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=NOT_RUN)]
                        cell.execution_count = None
                        continue
                    try:
                        self.preprocess_cell(cell, resources, index)
                    except DeadKernelError:
                        self._mark_not_run([cell], "DeadKernelError", "the kernel died while running this cell")
                        self._mark_not_run(cells[index + 1:], "DeadKernelError",
                                           "not run: the kernel died in an earlier cell")
                        break
                    except CellTimeoutError:  # interrupted after its timeout, the cell never finished
                        if not self._timed_out(cell):
                            self._mark_not_run([cell], "CellTimeoutError",
                                               "no reply from the kernel before the timeout")
                    if not self._timed_out(cell):
                        continue
                    if self._out_of_time():
                        for out in cell.outputs:
                            if out.get("ename") == "CellTimeoutError":
                                out["ename"] = "NotebookTimeoutError"
                                out["evalue"] = f"the notebook used up its {self.notebook_timeout} s in this cell"
                                out["traceback"] = [f"NotebookTimeoutError: {out['evalue']}"]
                    elif not run_sync(self._async_responsive)():
                        run_sync(self.km.shutdown_kernel)(now=True)
                        self._mark_not_run(cells[index + 1:], "KernelUnresponsiveError",
                                           "not run: the kernel kept running after a timeout and was stopped")
                        break
        except DeadKernelError:  # died while starting or between cells
            self._mark_not_run([c for c in cells if not c.get("outputs")], "DeadKernelError",
                               "not run: the kernel died")
        self.set_widgets_metadata()
        return self.nb, self.resources
