"""Data sets of the course (chapters 05 to 09): toy 2-D sets, handwritten digits, MNIST files.

Toy sets return ``(X, y)`` with X float64 of shape (N, 2) and y int64 of shape
(N,), shuffled, drawn from the ``np.random.Generator`` passed in (the same seed
gives the same set). :func:`digits` needs no download: scikit-learn ships the
1,797 8x8 images of the UCI handwritten digits. :func:`load_idx` reads the
files in which MNIST is distributed.
"""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path

import numpy as np

from dlcore._validate import as_float_array, as_labels

__all__ = ["xor", "moons", "spirals", "train_test_split", "digits", "resize_bilinear", "load_idx"]


def _count(n: object, name: str = "n", minimum: int = 1) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _generator(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


def _noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) or not (
        np.isfinite(noise) and noise >= 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def xor(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: four Gaussian blobs at the corners of a square.

    x = corner + noise * e,  e ~ N(0, I),  corner in {-1, 1}^2;  y = 1 if the corner's coordinates differ in sign

    No straight line separates the classes, so a network needs a hidden layer.

    Args:
        n: number of points N, >= 1 (corners drawn uniformly).
        rng: random generator.
        noise: standard deviation of the Gaussian noise, >= 0.

    Returns:
        ``(X, y)``: float64 X of shape (N, 2), int64 labels y of shape (N,) in {0, 1}.
    """
    n, rng, noise = _count(n), _generator(rng), _noise(noise)
    corners = rng.choice(np.array([-1.0, 1.0]), size=(n, 2))
    y = (corners[:, 0] != corners[:, 1]).astype(np.int64)
    return corners + noise * rng.standard_normal((n, 2)), y


def moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    class 0: (cos t, sin t);  class 1: (1 - cos t, 0.5 - sin t);  t ~ U[0, pi], plus noise * N(0, I)

    Args:
        n: number of points N, >= 2; class 0 gets N // 2 + N % 2 of them.
        rng: random generator.
        noise: standard deviation of the Gaussian noise, >= 0.

    Returns:
        ``(X, y)``: float64 X of shape (N, 2), int64 labels y of shape (N,) in {0, 1}, shuffled.
    """
    n, rng, noise = _count(n, minimum=2), _generator(rng), _noise(noise)
    n1 = n // 2
    n0 = n - n1
    t = rng.uniform(0.0, np.pi, size=n)
    outer = np.stack([np.cos(t[:n0]), np.sin(t[:n0])], axis=1)
    inner = np.stack([1.0 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return _shuffled(X, y, rng)


def spirals(n: int, rng: np.random.Generator, classes: int = 3, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral set).

    r = linspace(0, 1);  t = 4 k + linspace(0, 4) + noise * N(0, 1);  x = r (sin t, cos t)  for class k

    The noise is on the angle, so points near the centre, where the arms
    meet, are the hardest to classify.

    Args:
        n: number of points N, >= classes; split as evenly as possible.
        rng: random generator.
        classes: number of arms C, >= 2.
        noise: standard deviation of the angular noise (radians), >= 0.

    Returns:
        ``(X, y)``: float64 X of shape (N, 2), int64 labels y of shape (N,) in [0, C), shuffled.
    """
    classes = _count(classes, "classes", 2)
    n, rng, noise = _count(n, minimum=classes), _generator(rng), _noise(noise)
    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    X_parts, y_parts = [], []
    for k, m in enumerate(sizes):  # a loop over the (few) classes, not the points
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        X_parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y_parts.append(np.full(m, k, dtype=np.int64))
    return _shuffled(np.concatenate(X_parts), np.concatenate(y_parts), rng)


def train_test_split(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split a data set at random into a training and a test part.

    n_test = round(N * test_fraction), at least 1 and at most N - 1

    Args:
        X: samples, an array of any dtype whose first axis has length N (e.g. (N, D) or (N, C, H, W)).
        y: labels of shape (N,).
        rng: random generator that draws the permutation.
        test_fraction: share of the samples held out, in (0, 1).

    Returns:
        ``(X_train, y_train, X_test, y_test)``: every sample is in exactly one
        part; the order within each part is random.
    """
    X = np.asarray(X)  # any dtype: uint8 images from load_idx stay uint8
    if X.ndim < 1 or X.shape[0] < 2:
        raise ValueError(f"X must have shape (N, ...) with N >= 2, got shape {X.shape}")
    n = X.shape[0]
    y = as_labels(y, "y", n)
    rng = _generator(rng)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.floating)) or not (
        0 < test_fraction < 1
    ):
        raise ValueError(f"test_fraction must be a number in (0, 1), got {test_fraction!r}")
    n_test = min(max(int(round(n * test_fraction)), 1), n - 1)
    order = rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Resize square images by bilinear interpolation (pixel centres aligned, as in OpenCV).

    out = R @ image @ R^T,  R[i, k] = weight of input pixel k at output pixel i,  source (i + 0.5) * H / size - 0.5

    Args:
        images: array of shape (N, H, H).
        size: output height and width, >= 1.

    Returns:
        Array of shape (N, size, size) and the dtype of ``images``; each output
        pixel is a convex combination of input pixels, so the range is kept.
    """
    images = as_float_array(images, "images", ("N", "H", "H"))
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"images must have shape (N, H, H) (square), got shape {images.shape}")
    size = _count(size, "size")
    h = images.shape[1]
    src = np.clip((np.arange(size) + 0.5) * h / size - 0.5, 0.0, h - 1)
    low = np.floor(src).astype(np.int64)
    high = np.minimum(low + 1, h - 1)
    frac = src - low
    R = np.zeros((size, h))
    R[np.arange(size), low] += 1.0 - frac
    R[np.arange(size), high] += frac
    R = R.astype(images.dtype)
    return R @ images @ R.T


@functools.lru_cache(maxsize=1)
def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (images (1797, 8, 8) float64 in [0, 16], labels int64), read once."""
    from sklearn.datasets import load_digits  # ships the data: no download

    bunch = load_digits()
    images, target = bunch.images.astype(np.float64), bunch.target.astype(np.int64)
    images.flags.writeable = target.flags.writeable = False  # shared between calls
    return images, target


def digits(
    size: int = 8, rng: np.random.Generator | int | None = None, test_fraction: float = 0.2, *, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The handwritten digits of scikit-learn (1,797 images, 10 classes), split for training.

    X = pixels / 16, in [0, 1]

    The images are 8x8 with 17 grey levels. ``size`` resizes them:

    - ``size=8``: the original images;
    - ``size=32``: bilinear upsampling to 28x28 and a border of 2 zero pixels
      on each side, like MNIST digits (28x28) in the 32x32 input of LeNet-5;
    - any other ``size`` >= 2: bilinear resizing to size x size.

    Args:
        size: height and width of the returned images.
        rng: random generator or integer seed of the train/test split;
            ``None`` means seed 0, so every call gives the same split.
        test_fraction: share of the images held out for testing, in (0, 1).
        dtype: float dtype of the images, ``np.float64`` or ``np.float32``.

    Returns:
        ``(X_train, y_train, X_test, y_test)`` with X of shape (N, 1, size, size)
        and int64 labels y of shape (N,).
    """
    size = _count(size, "size", 2)
    if dtype not in (np.float32, np.float64, np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}")
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        rng = np.random.default_rng(0 if rng is None else int(rng))
    rng = _generator(rng)
    raw_images, target = _load_digits()
    images = raw_images / 16.0
    if size == 32:
        images = np.pad(resize_bilinear(images, 28), ((0, 0), (2, 2), (2, 2)))
    elif size != 8:
        images = resize_bilinear(images, size)
    X = images[:, None].astype(dtype)
    return train_test_split(X, target.copy(), rng, test_fraction)


#: IDX type codes (third byte of the magic number) and their big-endian dtypes.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an array from a file in the IDX format of MNIST (gzip-compressed or not).

    file = 0x00 0x00 <type code> <ndim> | ndim big-endian uint32 dims | big-endian data

    Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64. MNIST images are ``uint8`` of shape (N, 28, 28), labels
    ``uint8`` of shape (N,). A gzip file (``train-images-idx3-ubyte.gz``) is
    recognised by its content, whatever its name.

    Args:
        path: the file to read.

    Returns:
        The array, in native byte order, of the file's dtype and shape.

    Raises:
        ValueError: when the magic number is wrong, the type code unknown, or
            the file is shorter or longer than its header says.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: truncated or corrupt gzip file ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, shorter than the 4-byte magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file: the magic number must start with two zero bytes, got {raw[:4].hex()}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "too long"
        raise ValueError(
            f"{path}: {what} IDX file: a {dtype.name} array of shape {shape} needs {expected} bytes, the file has {len(raw)}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))
