"""Tests of dlcore.data: toy sets, splitting, digits, resizing, the IDX reader."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcore.data import digits, load_idx, moons, resize_bilinear, spirals, train_test_split, xor

# ------------------------------------------------------------------------- toy sets

TOY = [
    (xor, {}, 2),
    (moons, {}, 2),
    (spirals, {}, 3),
    (spirals, {"classes": 5}, 5),
]


@pytest.mark.parametrize("make, kwargs, classes", TOY)
@settings(max_examples=20, deadline=None)
@given(n=st.integers(5, 300), seed=st.integers(0, 2**32 - 1))
def test_toy_sets_shapes_types_and_seeds(make, kwargs, classes, n, seed):
    X, y = make(n, np.random.default_rng(seed), **kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) <= set(range(classes))
    counts = np.bincount(y, minlength=classes)
    if make is not xor:  # xor draws corners at random; the others split evenly
        assert counts.max() - counts.min() <= 1
    X2, y2 = make(n, np.random.default_rng(seed), **kwargs)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_xor_without_noise_is_the_four_corners():
    X, y = xor(200, np.random.default_rng(0), noise=0.0)
    assert set(map(tuple, X)) == {(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)}
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_moons_without_noise_lie_on_their_circles():
    X, y = moons(101, np.random.default_rng(1), noise=0.0)
    outer, inner = X[y == 0], X[y == 1]
    assert len(outer) == 51 and len(inner) == 50
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert np.all(outer[:, 1] >= 0) and np.all(inner[:, 1] <= 0.5)


def test_spirals_without_noise_follow_their_arms():
    X, y = spirals(90, np.random.default_rng(2), classes=3, noise=0.0)
    r = np.hypot(*X.T)
    assert np.all(r <= 1.0 + 1e-12)
    for k in range(3):
        Xk = X[y == k]
        rk = np.hypot(*Xk.T)
        far = rk > 0.1
        # the angle t of x = r (sin t, cos t) grows with r from 4k to 4(k + 1)
        t = np.arctan2(Xk[far, 0], Xk[far, 1])
        expected = 4.0 * k + 4.0 * rk[far]
        np.testing.assert_allclose(np.cos(t), np.cos(expected), atol=1e-9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: xor(0, np.random.default_rng(0)), "n must be an integer >= 1, got 0"),
        (lambda: moons(1, np.random.default_rng(0)), "n must be an integer >= 2, got 1"),
        (lambda: spirals(10, np.random.default_rng(0), classes=1), "classes must be an integer >= 2, got 1"),
        (lambda: spirals(2, np.random.default_rng(0)), "n must be an integer >= 3, got 2"),
        (lambda: xor(10, 0), "rng must be a np.random.Generator"),
        (lambda: moons(10, np.random.default_rng(0), noise=-1), "noise must be a finite number >= 0, got -1"),
    ],
)
def test_toy_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- splits


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 200), fraction=st.floats(0.01, 0.99), seed=st.integers(0, 1000))
def test_train_test_split_is_a_partition(n, fraction, seed):
    X = np.arange(n * 3, dtype=float).reshape(n, 3)
    y = np.arange(n)
    X_tr, y_tr, X_te, y_te = train_test_split(X, y, np.random.default_rng(seed), fraction)
    assert len(y_te) == min(max(round(n * fraction), 1), n - 1)
    assert sorted(np.concatenate([y_tr, y_te])) == list(range(n))
    np.testing.assert_array_equal(X_tr[:, 0], 3 * y_tr)  # rows stay with their labels
    np.testing.assert_array_equal(X_te[:, 0], 3 * y_te)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, True])
def test_train_test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \(0, 1\)"):
        train_test_split(np.zeros((4, 2)), np.zeros(4, int), np.random.default_rng(0), fraction)


def test_train_test_split_keeps_the_dtype():
    X = np.arange(40, dtype=np.uint8).reshape(10, 2, 2)
    X_tr, _, X_te, _ = train_test_split(X, np.zeros(10, int), np.random.default_rng(0), 0.3)
    assert X_tr.dtype == X_te.dtype == np.uint8 and X_tr.shape == (7, 2, 2) and X_te.shape == (3, 2, 2)


def test_train_test_split_rejects_mismatched_labels():
    with pytest.raises(ValueError, match=r"y must have shape \(4,\), got shape \(3,\)"):
        train_test_split(np.zeros((4, 2)), np.zeros(3, int), np.random.default_rng(0))


# --------------------------------------------------------------------------- digits


def test_digits_8x8():
    X_tr, y_tr, X_te, y_te = digits()
    assert X_tr.shape[1:] == (1, 8, 8) and X_te.shape[1:] == (1, 8, 8)
    assert len(y_tr) + len(y_te) == 1797 and len(y_te) == 359
    assert X_tr.dtype == np.float64 and y_tr.dtype == np.int64
    assert X_tr.min() == 0.0 and X_tr.max() == 1.0
    assert set(np.unique(y_tr)) == set(range(10))
    again = digits()
    np.testing.assert_array_equal(X_tr, again[0])  # None means a fixed seed
    other = digits(rng=1)
    assert not np.array_equal(y_tr, other[1])


def test_digits_32x32_like_lenet():
    X_tr, y_tr, X_te, y_te = digits(32, rng=np.random.default_rng(0), dtype=np.float32)
    small = digits(8, rng=np.random.default_rng(0))
    assert X_tr.shape == (1438, 1, 32, 32) and X_tr.dtype == np.float32
    np.testing.assert_array_equal(y_tr, small[1])  # same split for the same seed
    assert np.all(X_tr[:, :, :2] == 0) and np.all(X_tr[:, :, -2:] == 0)  # 2-pixel border
    assert np.all(X_tr[:, :, :, :2] == 0) and np.all(X_tr[:, :, :, -2:] == 0)
    assert 0.0 <= X_tr.min() and X_tr.max() <= 1.0
    # mean brightness is kept by the resize (up to the border and edge effects)
    np.testing.assert_allclose(X_tr[:, 0, 2:30, 2:30].mean(), small[0].mean(), rtol=0.05)


def test_digits_other_sizes_and_errors():
    assert digits(16)[0].shape[1:] == (1, 16, 16)
    with pytest.raises(ValueError, match="size must be an integer >= 2, got 1"):
        digits(1)
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        digits(dtype=np.int32)


def test_resize_bilinear_by_hand():
    image = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    # 2x2 -> 4x4: sources at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    row = np.array([0.0, 0.25, 0.75, 1.0])
    want = 2.0 * row[:, None] + row[None, :]
    np.testing.assert_allclose(resize_bilinear(image, 4)[0], want)
    np.testing.assert_allclose(resize_bilinear(image, 2), image)
    constant = np.full((3, 5, 5), 0.7)
    np.testing.assert_allclose(resize_bilinear(constant, 13), 0.7)


# ------------------------------------------------------------------------------ IDX


def write_idx(path, array, code, big_endian_dtype, compress=False):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(big_endian_dtype).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize(
    "code, dtype, big",
    [(0x08, np.uint8, ">u1"), (0x09, np.int8, ">i1"), (0x0B, np.int16, ">i2"), (0x0C, np.int32, ">i4"),
     (0x0D, np.float32, ">f4"), (0x0E, np.float64, ">f8")],
)
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_load_idx_round_trip(tmp_path, code, dtype, big, compress):
    array = (np.arange(2 * 3 * 4) * 7 % 100 - (0 if dtype == np.uint8 else 50)).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / "images-idx3"
    write_idx(path, array, code, big, compress)
    got = load_idx(path)
    assert got.dtype == dtype and got.dtype.isnative and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, array)


def test_load_idx_labels_like_mnist(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + labels.tobytes())
    np.testing.assert_array_equal(load_idx(str(path)), labels)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00", "shorter than the 4-byte magic number"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x05", "the magic number must start with two zero bytes, got 01000801"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), r"truncated IDX header: 3 dimensions need 16 bytes, the file has 8"),
        (b"\x00\x00\x08\x02" + struct.pack(">2I", 2, 3) + b"\x01" * 5, r"truncated IDX file: a uint8 array of shape \(2, 3\) needs 18 bytes, the file has 17"),
        (b"\x00\x00\x0c\x01" + struct.pack(">I", 1) + b"\x00" * 5, r"too long IDX file: a int32 array of shape \(1,\) needs 12 bytes"),
        (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x05")[:-6], "truncated or corrupt gzip file"),
    ],
    ids=["short", "magic", "code", "header", "truncated", "too-long", "gzip"],
)
def test_load_idx_errors(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_idx(path)
