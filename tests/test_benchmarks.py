"""Smoke tests of benchmarks/: the harness runs and builds its tables (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(autouse=True)
def benchmarks_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import each other as top-level modules


def test_dense_benchmark_reports_a_fraction_of_the_peak_per_dtype():
    import bench_dense

    text, results = bench_dense.run(N=16, D=32, M=32, rounds=1, calls_per_round=1)
    assert set(results) == {"dense_float32_fraction_of_peak", "dense_float64_fraction_of_peak"}
    assert all(0 < fraction < 10 for fraction in results.values())
    assert "dense f+b 16x32->32 float32" in text and "dense f+b 16x32->32 float64" in text


def test_conv_benchmark_steps_run_on_the_smallest_case():
    import bench_conv

    case = min(bench_conv.CASES, key=bench_conv.conv_flops)
    for dtype in bench_conv.DTYPES:
        bench_conv.dlcore_step(case, dtype)()
        bench_conv.dlcore_pool_step(case, dtype)()


def test_training_table_shows_unreached_targets_and_the_torch_ratio():
    import bench_train

    def result(reached, epochs_per_s):
        return {"settings": "Adam", "reached": {f"{t}": s for t, s in zip(bench_train.TARGETS, reached)},
                "epochs": 3, "epochs_per_s": epochs_per_s, "best": 0.975}

    text, ratios = bench_train.run({"dlcore": {"m": result([1.0, None], 2.0)}, "torch": {"m": result([0.5, 0.8], 5.0)}})
    assert "not in 3 epochs" in text and "dlcore/torch time per epoch" in text
    assert ratios == {"m": 2.5}
    text, ratios = bench_train.run({"dlcore": {"m": result([1.0, 1.5], 2.0)}})
    assert "torch" not in text and ratios == {}


def test_torch_mirror_reproduces_the_dlcore_model():
    torch = pytest.importorskip("torch", reason="torch is optional (never a dependency; not installed by .ci/run)")
    import bench_train

    from dlcore.network import lenet5

    model = lenet5(np.random.default_rng(0), dtype=np.float64)
    X = np.random.default_rng(1).standard_normal((4, 1, 32, 32))
    with torch.no_grad():
        mirrored = bench_train.torch_model(model)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(mirrored, model.forward(X), rtol=1e-10, atol=1e-12)
