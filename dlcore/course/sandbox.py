"""The kernel that runs a submission when it is graded, with limits.

nbgrader starts one Jupyter kernel per notebook. :class:`SandboxedKernelManager`
(named in ``nbgrader_config.py``) starts it through this module's launcher,

    python -m dlcore.course.sandbox --memory BYTES --write DIR ... -- KERNEL COMMAND

which, before it turns into the kernel (``exec``):

* caps the kernel's address space (``RLIMIT_AS``), so a memory hog gets a
  ``MemoryError`` in a second instead of eating the machine, the size of the
  files it may write (``RLIMIT_FSIZE``) and core dumps (none);
* asks the OS to kill it when the grading process that started it dies
  (``PR_SET_PDEATHSIG``), so no kernel outlives a killed grader;
* where Linux offers Landlock (5.13 and later), forbids writing anywhere but
  the notebook's own folder and a private temporary folder: a submission that
  writes outside its folder gets a ``PermissionError`` and touches nothing
  (no other student's files, no gradebook). Elsewhere this step is skipped
  and :func:`landlock_abi` returns 0.

Every kernel gets a fresh private folder (``TMPDIR``, ``IPYTHONDIR``,
``MPLCONFIGDIR``, its connection file), removed when the kernel is cleaned up,
so nothing one submission writes there is seen by the next one.
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import glob
import os
import resource
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, DottedObjectName, Dict, Integer, Type

from dlcore.course.client import GradingKernelClient

__all__ = ["SandboxedKernelManager", "apply_limits", "landlock_abi"]

GiB = 1024**3
MiB = 1024**2

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on every architecture.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_WRITE_FILE, _REMOVE_DIR, _REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
_MAKE_ALL = sum(1 << b for b in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG = 38, 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, writes are not confined)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _write_rights(abi: int) -> int:
    rights = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE_ALL
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    return rights


def confine_writes(writable: list[str], abi: int | None = None) -> bool:
    """Forbid this process (and its children) to write outside ``writable``.

    Returns False, changing nothing, when Landlock is not available.
    """
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        return False
    libc = _libc()
    handled = _write_rights(abi)
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        return False
    file_rights = _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0)
    try:
        for path in writable:
            if not os.path.exists(path):
                continue
            rights = handled if os.path.isdir(path) else file_rights
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(rights, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return True


def apply_limits(memory: int, file_size: int) -> None:
    """Cap address space and file size (bytes; 0 leaves a limit alone); no core dumps."""
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if file_size > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parent_death_signal() -> None:
    """Ask Linux to kill this process when its parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:
            os._exit(1)


def launch(argv: list[str] | None = None, in_process: bool = False) -> None:
    """Apply the limits given on the command line, then become the kernel.

    With ``in_process`` (a kernel forked by :mod:`dlcore.course.zygote`), an
    ipykernel command of this same Python runs in this process instead of
    being executed anew.
    """
    parser = argparse.ArgumentParser(prog="python -m dlcore.course.sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memory", type=int, default=0, help="address-space limit in bytes (0: none)")
    parser.add_argument("--file-size", type=int, default=0, help="largest file the kernel may write, bytes")
    parser.add_argument("--write", action="append", default=[], help="a folder the kernel may write in")
    parser.add_argument("--no-confine", action="store_true", help="do not confine writes (Landlock)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the kernel's command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command after --")
    parent_death_signal()
    apply_limits(args.memory, args.file_size)
    if not args.no_confine:
        confine_writes(args.write)
    ipykernel = command[1:3] == ["-m", "ipykernel_launcher"] and os.path.realpath(command[0]) == os.path.realpath(
        sys.executable)
    if in_process and ipykernel:
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *command[3:]]
        try:
            kernelapp.launch_new_instance()
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        os._exit(0)
    os.execvp(command[0], command)


def _matplotlib_cache() -> str:
    """matplotlib's cache folder, found as matplotlib finds it (without importing it)."""
    if os.environ.get("MPLCONFIGDIR"):
        return os.environ["MPLCONFIGDIR"]
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "matplotlib")


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run under :mod:`dlcore.course.sandbox`.

    Configure it in ``nbgrader_config.py``: ``c.SandboxedKernelManager.memory_limit``
    and friends (it receives nbgrader's config through nbclient).
    """

    memory_limit = Integer(4 * GiB, help="address-space limit of a grading kernel, bytes (0: none)").tag(config=True)
    file_size_limit = Integer(256 * MiB, help="largest file a grading kernel may write, bytes (0: none)").tag(
        config=True
    )
    confine_writes = Bool(True, help="forbid writes outside the notebook's folder (Landlock)").tag(config=True)
    render_figures = Bool(
        False,
        help="render matplotlib figures as images in graded notebooks (off: feedback shows '<Figure ...>', "
        "which saves the seconds a chapter's demo plots cost per submission)",
    ).tag(config=True)
    kernel_env = Dict(
        {
            # one BLAS thread per kernel: the grader runs one kernel per core
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            # explorers need no pre-rendered frames when nobody looks at them
            "DLCORE_EXPLORER": "live",
            "PYTHONDONTWRITEBYTECODE": "1",
            # few malloc arenas: each reserves address space, which counts against memory_limit
            "MALLOC_ARENA_MAX": "2",
        },
        help="environment variables set in every grading kernel",
    ).tag(config=True)

    # a client that is ready as soon as the kernel is (see dlcore.course.client)
    client_class = DottedObjectName("dlcore.course.client.GradingKernelClient")
    client_factory = Type(GradingKernelClient, klass=GradingKernelClient)

    use_zygote = Bool(
        True, help="fork kernels from a process that has imported ipykernel, numpy and matplotlib already"
    ).tag(config=True)

    _private: str | None = None
    _zygote: Any = None  # one per process, shared by every kernel manager
    _zygote_dir: str | None = None

    def _make_private_dir(self) -> str:
        private = tempfile.mkdtemp(prefix="dlcore-kernel-")
        for sub in ("tmp", "ipython", "matplotlib"):
            os.mkdir(os.path.join(private, sub))
        profile = os.path.join(private, "ipython", "profile_default")
        os.mkdir(profile)
        with open(os.path.join(profile, "ipython_kernel_config.py"), "w") as fh:
            fh.write("c.HistoryManager.enabled = False\n")  # no SQLite file and thread per kernel
            if not self.render_figures:
                fh.write("c.InlineBackend.figure_formats = set()\n")
        for cached in glob.glob(os.path.join(_matplotlib_cache(), "fontlist-*.json")):
            try:  # reuse matplotlib's font cache: rebuilding it costs seconds per kernel
                shutil.copy(cached, os.path.join(private, "matplotlib"))
            except OSError:
                pass
        return private

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        self._private = self._make_private_dir()
        self.connection_file = os.path.join(self._private, f"kernel-{os.getpid()}.json")
        env = dict(kw.get("env") or os.environ)
        env.update(self.kernel_env)
        env.update(
            TMPDIR=os.path.join(self._private, "tmp"),
            IPYTHONDIR=os.path.join(self._private, "ipython"),
            MPLCONFIGDIR=os.path.join(self._private, "matplotlib"),
        )
        kw["env"] = env
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        cwd = str(Path((self._launch_args or {}).get("cwd") or os.getcwd()).resolve())
        launcher = [sys.executable, "-m", "dlcore.course.sandbox",
                    f"--memory={self.memory_limit}", f"--file-size={self.file_size_limit}"]
        if self.confine_writes:
            launcher += [f"--write={cwd}", f"--write={self._private}", "--write=/dev/null", "--write=/dev/shm"]
        else:
            launcher.append("--no-confine")
        return [*launcher, "--", *command]

    @classmethod
    def prewarm(cls, config: Any = None) -> bool:
        """Start this process's zygote now (a grading worker does it while it waits for work)."""
        manager = cls(config=config)
        if not manager.use_zygote or not sys.platform.startswith("linux"):
            return False
        manager._get_zygote(dict(os.environ, **manager.kernel_env))
        return True

    def _get_zygote(self, env: dict[str, str]) -> Any:
        from dlcore.course.zygote import Zygote

        cls = SandboxedKernelManager
        if cls._zygote is None or not cls._zygote.alive():
            if cls._zygote_dir is None:
                cls._zygote_dir = tempfile.mkdtemp(prefix="dlcore-zygote-")
                for cached in glob.glob(os.path.join(_matplotlib_cache(), "fontlist-*.json")):
                    shutil.copy(cached, cls._zygote_dir)
                atexit.register(_close_zygote)
            zenv = dict(env, MPLCONFIGDIR=cls._zygote_dir, TMPDIR=cls._zygote_dir, IPYTHONDIR=cls._zygote_dir,
                        MPLBACKEND="module://matplotlib_inline.backend_inline",
                        PYDEVD_DISABLE_FILE_VALIDATION="1")  # debugpy's warning about frozen modules
            cls._zygote = Zygote(zenv)
        return cls._zygote

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if not self.use_zygote or not sys.platform.startswith("linux"):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        from dlcore.course.zygote import ZygoteError

        env = dict(kw.get("env") or os.environ)
        cwd = str(kw.get("cwd") or os.getcwd())
        try:
            process = self._get_zygote(env).spawn(kernel_cmd, cwd, env)
        except (ZygoteError, OSError) as exc:
            self.log.warning("starting the kernel without the zygote: %s", exc)
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        provisioner = self.provisioner
        assert provisioner is not None
        provisioner.process = process  # type: ignore[attr-defined]
        provisioner.pid = provisioner.pgid = process.pid  # type: ignore[attr-defined]
        provisioner.cwd = cwd  # type: ignore[attr-defined]
        self._reconcile_connection_info(provisioner.connection_info)
        return None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._private and not restart:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]


def _close_zygote() -> None:
    cls = SandboxedKernelManager
    if cls._zygote is not None:
        cls._zygote.close()
        cls._zygote = None
    if cls._zygote_dir is not None:
        shutil.rmtree(cls._zygote_dir, ignore_errors=True)
        cls._zygote_dir = None


if __name__ == "__main__":
    launch()
