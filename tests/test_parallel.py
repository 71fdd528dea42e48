"""dlcore._parallel: how many threads share max pooling, im2col and col2im, and that every chunk runs once."""

from __future__ import annotations

import os
import threading

import pytest

import dlcore._parallel as parallel


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, cores()),
        ({"DLCORE_NUM_THREADS": "1"}, 1),
        ({"OMP_NUM_THREADS": "1"}, 1),
        ({"DLCORE_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, 1),  # dlcore's own setting first
        ({"DLCORE_NUM_THREADS": "1000"}, cores()),  # never more threads than cores
        ({"OMP_NUM_THREADS": "4,2"}, cores()),  # a nested setting for other libraries: not dlcore's to read
        ({"OMP_NUM_THREADS": "0"}, cores()),
    ],
)
def test_thread_count_follows_the_environment(monkeypatch, env, expected) -> None:
    for var in ("DLCORE_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert parallel._thread_count() == expected


@pytest.mark.parametrize("value", ["zero", "0", "-1", "2.5"])
def test_a_bad_dlcore_num_threads_names_the_variable(monkeypatch, value) -> None:
    monkeypatch.setenv("DLCORE_NUM_THREADS", value)
    with pytest.raises(ValueError, match=f"DLCORE_NUM_THREADS must be an integer >= 1, got '{value}'"):
        parallel._thread_count()


@pytest.mark.parametrize("threads", [1, 3])
def test_every_chunk_runs_exactly_once(monkeypatch, threads) -> None:
    monkeypatch.setattr(parallel, "THREADS", threads)
    seen: list[int] = []
    lock = threading.Lock()

    def task(chunk: int) -> None:
        with lock:
            seen.append(chunk)

    parallel.run_parts(task, list(range(50)), parallel=True)
    assert sorted(seen) == list(range(50))


def test_an_error_in_a_chunk_reaches_the_caller(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "THREADS", 3)

    def task(chunk: int) -> None:
        if chunk == 7:
            raise ValueError("chunk 7 failed")

    with pytest.raises(ValueError, match="chunk 7 failed"):
        parallel.run_parts(task, list(range(20)), parallel=True)
