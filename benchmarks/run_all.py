"""Run every benchmark and print one report (``make bench``).

Ratios are measured side by side in the same run, never against numbers from
another machine or day. Nothing here asserts a time: the tests check
correctness, this script reports speed.

    .venv/bin/python benchmarks/run_all.py [--rounds 2] [--no-torch] [--max-epochs 15] [--threads N]

On a machine shared with other work, ``--threads 1`` gives steadier numbers:
busy cores stall multi-threaded BLAS calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_conv  # noqa: E402
import bench_dense  # noqa: E402
import bench_train  # noqa: E402
from _common import machine_lines, table  # noqa: E402


def torch_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def in_process(script: str, impl: str, *args: str) -> dict:
    """Run ``script impl args`` in a process of its own; return the JSON it prints last."""
    proc = subprocess.run(
        [sys.executable, str(HERE / script), impl, *args], capture_output=True, text=True, cwd=HERE, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{impl} {script} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def conv_section(rounds: int, with_torch: bool) -> tuple[str, dict[str, float]]:
    impls = ["dlcore", "torch"] if with_torch else ["dlcore"]
    best: dict[str, dict[str, float]] = {impl: {} for impl in impls}
    for r in range(rounds):
        order = impls if r % 2 == 0 else impls[::-1]  # alternate who goes first
        for impl in order:
            for key, seconds in in_process("bench_conv.py", impl).items():
                best[impl][key] = min(seconds, best[impl].get(key, float("inf")))
    rows, pool_rows, ratios = [], [], {}
    for case in bench_conv.CASES:
        for dtype in bench_conv.DTYPES:
            key = bench_conv.case_key(case, dtype)
            t = best["dlcore"][key]
            row = [key, f"{t * 1e3:.2f}", f"{bench_conv.conv_flops(case) / t / 1e9:.1f}"]
            pkey = bench_conv.pool_key(case, dtype)
            pool_row = [pkey, f"{best['dlcore'][pkey] * 1e3:.3f}"]
            if with_torch:
                tt = best["torch"][key]
                ratios[key] = t / tt
                row += [f"{tt * 1e3:.2f}", f"{t / tt:.2f}"]
                ratios[pkey] = best["dlcore"][pkey] / best["torch"][pkey]
                pool_row += [f"{best['torch'][pkey] * 1e3:.3f}", f"{ratios[pkey]:.2f}"]
            rows.append(row)
            pool_rows.append(pool_row)
    headers = ["conv -> maxpool, forward + backward", "dlcore ms", "dlcore GFLOP/s"]
    pool_headers = ["max-pool alone, forward + backward", "dlcore ms"]
    if with_torch:
        headers += ["torch ms", "dlcore/torch"]
        pool_headers += ["torch ms", "dlcore/torch"]
    return table(headers, rows) + "\n\n" + table(pool_headers, pool_rows), ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the conv processes")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch column even if torch imports")
    parser.add_argument("--max-epochs", type=int, default=15, help="epoch limit of the end-to-end runs")
    parser.add_argument("--threads", type=int, default=None, help="BLAS and torch threads (default: as set)")
    parser.add_argument("--grading", type=int, default=32, metavar="N",
                        help="grade N synthetic submissions serial vs parallel (0 skips it)")
    parser.add_argument("--only", default="dense,conv,train", metavar="LIST",
                        help="comma-separated sections to run: dense, conv, train (default: all three)")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    start = time.perf_counter()
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "DLCORE_NUM_THREADS",
                    "DLCORE_BENCH_THREADS"):
            os.environ[var] = str(args.threads)  # for the worker processes
        try:
            from threadpoolctl import threadpool_limits

            main.limits = threadpool_limits(args.threads)  # this process: its numpy is loaded already
        except ImportError:
            print("warning: threadpoolctl is not installed, --threads applies to the worker processes only")

    print("dlcore benchmarks")
    print("\n".join(machine_lines()))
    with_torch = not args.no_torch and torch_available()
    if with_torch:
        version = subprocess.run(
            [sys.executable, "-c", "import torch; print(torch.__version__, torch.get_num_threads(), 'threads')"],
            capture_output=True, text=True,
        ).stdout.strip()
        print(f"torch    {version} (separate processes, alternating with dlcore)")
    else:
        print("torch    not installed: no comparison column (torch is optional, never a dependency)")

    if "dense" in sections:
        print("\n== dense layer (dlcore.layers), batch 256, 1024 -> 1024 ==")
        print(bench_dense.run()[0])

    ratios = {}
    if "conv" in sections:
        print("\n== convolution and pooling (dlcore.conv) ==")
        text, ratios = conv_section(args.rounds, with_torch)
        print(text)
    if ratios:
        conv = {k: r for k, r in ratios.items() if not k.startswith("maxpool")}
        pool = [r for k, r in ratios.items() if k.startswith("maxpool")]
        for dtype, target in (("float64", "<= 1.5"), ("float32", "<= 2.5 single-threaded")):
            rs = [r for k, r in conv.items() if k.endswith(dtype)]
            print(f"{dtype} dlcore/torch: worst {max(rs):.2f}, geometric mean {_geomean(rs):.2f} (target {target})")
        print(f"max-pool alone dlcore/torch: worst {max(pool):.2f}, geometric mean {_geomean(pool):.2f} (target <= 1)")

    if "train" in sections:
        print("\n== end to end: training time to a test accuracy (Adam, BLAS threads as set) ==")
        impls = ["dlcore", "torch"] if with_torch else ["dlcore"]
        text, _ = bench_train.run({impl: in_process("bench_train.py", impl, str(args.max_epochs)) for impl in impls})
        print(text)
        print("targets: lenet5 97% in under 2 s, 98% in under 10 s")
    if args.grading:
        import grading_throughput

        print(f"\n== grading throughput ({args.grading} synthetic submissions of 03_activations) ==")
        print(grading_throughput.run(per_chapter=args.grading)[0])
        print("target: >= 90 submissions per minute with make grade on 2 cores")
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


def _geomean(values: list[float]) -> float:
    import math

    return math.exp(sum(math.log(v) for v in values) / len(values))


if __name__ == "__main__":
    os.chdir(HERE)
    main()
