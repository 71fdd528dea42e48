"""Grading kernels: forked from the zygote with the course preloaded, ready as soon as they answer."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from dlcore.course.client import GradingKernelClient
from dlcore.course.sandbox import SandboxedKernelManager

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not os.uname().sysname == "Linux", reason="the zygote forks")]

T = TypeVar("T")


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` in a thread of its own (other tests may leave an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _run(kc: GradingKernelClient, code: str) -> dict[str, Any]:
    """Execute ``code``; return its execute_result data."""
    msg_id = kc.execute(code)
    while True:
        msg = await kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
            return msg["content"]["data"]


def test_a_forked_kernel_is_ready_with_the_exercises_loaded_and_no_history(tmp_path: Any) -> None:
    async def main() -> str:
        km = SandboxedKernelManager()
        await km.start_kernel(cwd=str(tmp_path))
        try:
            kc = km.client()
            assert isinstance(kc, GradingKernelClient)
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            data = await _run(kc, "import sys; (sorted(m for m in ('dlcore.grading.spec', "
                                  "'dlcore.grading.exercises.cnn', 'stack_data') if m in sys.modules), "
                                  "get_ipython().history_manager.enabled)")
            kc.stop_channels()
            return data["text/plain"]
        finally:
            await km.shutdown_kernel(now=True)

    assert run_async(main) == "(['dlcore.grading.exercises.cnn', 'dlcore.grading.spec', 'stack_data'], False)"


def test_waiting_for_a_dead_kernel_fails_at_once_with_a_reason(tmp_path: Any) -> None:
    async def main() -> str:
        km = SandboxedKernelManager()
        await km.start_kernel(cwd=str(tmp_path))
        try:
            os.kill(km.provisioner.pid, signal.SIGKILL)  # type: ignore[union-attr]
            kc = km.client()
            kc.start_channels()
            with pytest.raises(RuntimeError) as error:
                await kc.wait_for_ready(timeout=60)
            kc.stop_channels()
            return str(error.value)
        finally:
            await km.shutdown_kernel(now=True)

    assert "died" in run_async(main)


def test_closing_the_pool_stops_every_worker_with_its_zygote(tmp_path: Any, monkeypatch: Any) -> None:
    """Workers exit at once when told there is no more work, and still stop their zygotes and remove their folders."""
    from pathlib import Path

    from dlcore.course.pool import Pool

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the workers' zygotes make their folders here
    (tmp_path / "scratch").mkdir()
    pool = Pool(Path(__file__).resolve().parents[1], tmp_path / "scratch", 2)
    while not all(w.ready for w in pool.workers):  # wait until both zygotes have started
        for key, _ in pool.selector.select(timeout=60):
            key.data.ready = bool(key.data.proc.stdout.readline())
    assert sorted(p.name[:14] for p in tmp.iterdir()) == ["dlcore-zygote-"] * 2
    workers = list(pool.workers)
    pool.close()
    assert [w.proc.returncode for w in workers] == [0, 0]
    assert list(tmp.iterdir()) == []
