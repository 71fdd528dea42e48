"""Chapter 08, convolutional networks: exercises and known mistakes.

Four exercises: ``conv_output_size``, ``conv2d_forward``, ``maxpool_forward``
and ``maxpool_backward``, each compared with :mod:`dlcore.conv`.

* The forward functions return ``(out, cache)``. Only ``out`` is compared
  (``ignored=("cache",)``): a student's convolution cache is their own choice.
  The max-pool cache is fixed, because the cases of ``maxpool_backward`` are
  built with dlcore's ``maxpool_forward``: ``cache = (X, out, size, stride)``.
* Vectorisation. The probe cases of the vectorised check grow in the number
  of images *and* in their height and width (4 images of 3x3 outputs against
  64 images of 18x18), so a Python loop over the samples or over the output
  pixels runs many more lines on the larger probe and fails, while a loop over
  the HH x WW kernel offsets (or the size x size window offsets) runs the same
  number of lines on both and passes. That loop is how dlcore.conv itself
  works, and the only one the chapter allows.
* Max-pool ties: exactly one cell of a window gets the gradient, the first
  maximum in row-major order (what ``np.argmax`` returns), as in dlcore and
  PyTorch. The cases include tied windows and overlapping windows.
"""

from __future__ import annotations

import numpy as np

from dlcore import conv
from dlcore.grading.exercises._inputs import visible_rng
from dlcore.grading.spec import Case, Exercise, Mistake

CHAPTER = "08_cnn"
RTOL, ATOL = 1e-4, 1e-5

LOOP_ADVICE = (
    "Loops over the samples or the output pixels are not allowed here: work on whole arrays. The one loop "
    "allowed runs over the kernel offsets (i, j), HH x WW iterations (size x size for pooling) however many and "
    "however large the images are: for each offset, take the strided slice of the (padded) input that this "
    "kernel entry meets, for every sample and every output pixel at once."
)


# -- conv_output_size ---------------------------------------------------------------


def _size_case(rng: np.random.Generator, stride: int, pad: int, label: str = "random") -> Case:
    """A valid (size, kernel, stride, pad) with 2 or more outputs: the windows tile the padded input exactly."""
    while True:
        kernel = int(rng.integers(1, 8))
        out = int(rng.integers(2, 25))
        size = (out - 1) * stride + kernel - 2 * pad
        if size >= 1:
            return Case((size, kernel, stride, pad), label=label)


def _size_cases(rng: np.random.Generator | None) -> list[Case]:
    cases = [
        Case((32, 5), label="LeNet-5's first convolution: 32 pixels, a 5-pixel kernel"),
        Case((28, 2, 2), label="2x2 pooling with stride 2"),
        Case((28, 5, 1, 2), label="'same' padding: a 5-pixel kernel with pad 2"),
        Case((7, 3, 1, 1), label="'same' padding: a 3-pixel kernel with pad 1"),
        Case((7, 3, 2, 0), label="stride 2, no padding"),
        Case((227, 11, 4, 0), label="AlexNet's first layer: 227 pixels, an 11-pixel kernel, stride 4"),
        Case((5, 3, 2, 1), label="stride 2 and pad 1"),
        Case((4, 4), label="a kernel as large as the input"),
    ]
    if rng is not None:
        cases = [
            _size_case(rng, 1, 0, "random, stride 1, no padding"),
            _size_case(rng, int(rng.integers(2, 5)), 0, "random stride, no padding"),
            _size_case(rng, 1, int(rng.integers(2, 4)), "random padding of 2 or 3, stride 1"),
            _size_case(rng, int(rng.integers(2, 5)), int(rng.integers(1, 4)), "random stride and padding"),
        ]
        for _ in range(3):
            cases.append(_size_case(rng, int(rng.integers(1, 5)), int(rng.integers(0, 4))))
    return cases


# -- conv2d_forward ----------------------------------------------------------------


def _conv_case(rng: np.random.Generator, shape: tuple[int, int, int, int], filters: tuple[int, int, int],
               stride: int, pad: int, label: str, dtype: type = np.float64) -> Case:
    X = rng.standard_normal(shape).astype(dtype)
    F, HH, WW = filters
    W = rng.standard_normal((F, shape[1], HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return Case((X, W, b), {"stride": stride, "pad": pad}, label=label)


def _conv_cases(rng: np.random.Generator | None) -> list[Case]:
    if rng is None:
        r = visible_rng()
        small = np.array([[1.0, 2.0, 0.0, 1.0, 3.0],
                          [0.0, 1.0, 3.0, 2.0, 1.0],
                          [2.0, 0.0, 1.0, 1.0, 0.0],
                          [1.0, 3.0, 2.0, 0.0, 2.0],
                          [0.0, 1.0, 1.0, 2.0, 1.0]])
        kernel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [0.5, 1.0, 0.0]])
        return [
            Case((small[None, None], kernel[None, None], np.array([0.5])), {"stride": 1, "pad": 0},
                 label="one 5x5 image, one 3x3 kernel, no padding, stride 1"),
            _conv_case(r, (3, 2, 5, 5), (3, 3, 3), 1, 0, "3 images of 2 channels, 3 filters of 3x3"),
            _conv_case(r, (2, 1, 6, 6), (2, 3, 3), 1, 1, "padding 1 ('same' size)"),
            _conv_case(r, (2, 3, 7, 7), (4, 3, 3), 2, 1, "stride 2 and padding 1"),
            _conv_case(r, (1, 2, 6, 8), (3, 3, 5), 1, 0, "a 3x5 kernel on a 6x8 image"),
            _conv_case(r, (2, 3, 8, 8), (2, 4, 4), 2, 2, "float32, stride 2, padding 2", np.float32),
        ]
    k = int(rng.integers(2, 5))  # as many images as filters as output columns: a bias on a wrong axis shows
    cases = [_conv_case(rng, (k, 2, k + 2, k + 2), (k, 3, 3), 1, 0, f"random, {k} images, {k} filters of 3x3")]
    for _ in range(4):
        HH, WW = (int(v) for v in rng.integers(1, 6, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        Ho, Wo = (int(v) for v in rng.integers(1, 7, size=2))
        H, W = (Ho - 1) * stride + HH - 2 * pad, (Wo - 1) * stride + WW - 2 * pad
        if H < 1 or W < 1:  # padding larger than needed: pad 0 instead
            pad = 0
            H, W = (Ho - 1) * stride + HH, (Wo - 1) * stride + WW
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), H, W)
        cases.append(_conv_case(rng, shape, (int(rng.integers(1, 5)), HH, WW), stride, pad, "random"))
    cases.append(_conv_case(rng, (2, 2, 7, 7), (3, 3, 3), 2, 1, "random, float32, stride 2, padding 1", np.float32))
    return cases


def _conv_probe(n: int) -> Case:
    """n images of 2 channels whose 'same' outputs are (n // 4 + 2) pixels square."""
    side = n // 4 + 2
    X = np.linspace(-1.0, 1.0, n * 2 * side * side).reshape(n, 2, side, side)
    W = np.linspace(-1.0, 1.0, 2 * 2 * 9).reshape(2, 2, 3, 3)
    return Case((X, W, np.array([0.1, -0.1])), {"stride": 1, "pad": 1}, label=f"{n} images of {side}x{side}")


# -- max pooling -------------------------------------------------------------------


def _pool_cases(rng: np.random.Generator | None) -> list[Case]:
    """(X, size, stride) cases for maxpool_forward; also the inputs of the maxpool_backward cases."""
    if rng is None:
        r = visible_rng()
        example = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 5.0], [0.0, 1.0, 3.0, 2.0], [2.0, 6.0, 1.0, 1.0]])
        return [
            Case((example[None, None],), {"size": 2, "stride": 2}, label="the 4x4 example of the text"),
            Case((r.standard_normal((2, 3, 6, 6)),), {"size": 2, "stride": 2}, label="2 images of 3 channels"),
            Case((-1.0 - r.random((2, 2, 4, 4)),), {"size": 2, "stride": 2}, label="every value negative"),
            Case((r.standard_normal((1, 2, 6, 9)),), {"size": 3, "stride": 3}, label="3x3 windows, stride 3"),
            Case((r.standard_normal((2, 2, 7, 7)),), {"size": 3, "stride": 2},
                 label="overlapping windows: 3x3, stride 2"),
            Case((r.standard_normal((3, 2, 8, 8)).astype(np.float32),), {"size": 2, "stride": 2}, label="float32"),
        ]
    size = int(rng.integers(2, 4))
    cases = [
        Case((rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 4)), 2 * 3, 2 * 4)),),
             {"size": 2, "stride": 2}, label="random, 2x2 windows, stride 2"),
        Case((-1.0 - rng.random((2, 3, 6, 6)),), {"size": 2, "stride": 2}, label="random, every value negative"),
        Case((rng.standard_normal((2, 2, 3 * size, 2 * size)),), {"size": size, "stride": size},
             label=f"random, {size}x{size} windows, stride {size}"),
        Case((rng.standard_normal((2, 2, 9, 7)),), {"size": 3, "stride": 2},
             label="random, overlapping windows: 3x3, stride 2"),
    ]
    for _ in range(2):
        size, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        Ho, Wo = (int(v) for v in rng.integers(1, 6, size=2))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), (Ho - 1) * stride + size, (Wo - 1) * stride + size)
        cases.append(Case((rng.standard_normal(shape) * rng.uniform(0.5, 10),), {"size": size, "stride": stride},
                          label="random"))
    return cases


def _pool_probe(n: int) -> Case:
    side = 2 * (n // 4 + 2)
    return Case((np.linspace(-1.0, 1.0, n * 2 * side * side).reshape(n, 2, side, side),), {"size": 2, "stride": 2},
                label=f"{n} images of {side}x{side}")


def _backward_case(rng: np.random.Generator, X: np.ndarray, size: int, stride: int, label: str) -> Case:
    out, cache = conv.maxpool_forward(X, size, stride)
    dout = rng.standard_normal(out.shape).astype(X.dtype)
    return Case((dout, cache), label=label)


def _ties(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small integers: many windows hold their maximum twice or more."""
    return rng.integers(0, 3, size=shape).astype(np.float64)


def _shared_maxima(rng: np.random.Generator, shape: tuple[int, ...], size: int, stride: int) -> np.ndarray:
    """Random values with the largest ones on cells that several overlapping windows share."""
    X = rng.standard_normal(shape)
    X[:, :, stride : size : 1, stride:size] += 10.0  # the cells shared by the first windows
    X[:, :, -size : -size + stride, -size : -size + stride] += 10.0
    return X


def _backward_cases(rng: np.random.Generator | None) -> list[Case]:
    if rng is None:
        r = visible_rng()
        example = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 5.0], [0.0, 1.0, 3.0, 2.0], [2.0, 6.0, 1.0, 1.0]])
        return [
            Case((np.array([[[[1.0, -2.0], [0.5, 3.0]]]]), conv.maxpool_forward(example[None, None], 2, 2)[1]),
                 label="the 4x4 example of the text"),
            _backward_case(r, r.standard_normal((2, 3, 6, 6)), 2, 2, "2 images of 3 channels"),
            _backward_case(r, _ties(r, (2, 2, 6, 6)), 2, 2, "ties: windows whose maximum appears twice or more"),
            _backward_case(r, r.standard_normal((1, 2, 6, 9)), 3, 3, "3x3 windows, stride 3"),
            _backward_case(r, _shared_maxima(r, (2, 2, 7, 7), 3, 2), 3, 2,
                           "overlapping windows (3x3, stride 2) that share their maximum"),
            _backward_case(r, r.standard_normal((3, 2, 8, 8)).astype(np.float32), 2, 2, "float32"),
        ]
    size = int(rng.integers(2, 4))
    cases = [
        _backward_case(rng, rng.standard_normal((int(rng.integers(1, 4)), 2, 6, 8)), 2, 2,
                       "random, 2x2 windows, stride 2"),
        _backward_case(rng, _ties(rng, (2, 3, 6, 6)), 2, 2, "random, with ties"),
        _backward_case(rng, rng.standard_normal((2, 2, 3 * size, 2 * size)), size, size,
                       f"random, {size}x{size} windows, stride {size}"),
        _backward_case(rng, _shared_maxima(rng, (2, 2, 9, 7), 3, 2), 3, 2,
                       "random, overlapping windows that share their maximum"),
    ]
    for _ in range(2):
        size, stride = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        Ho, Wo = (int(v) for v in rng.integers(1, 6, size=2))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), (Ho - 1) * stride + size, (Wo - 1) * stride + size)
        cases.append(_backward_case(rng, rng.standard_normal(shape), size, stride, "random"))
    return cases


def _backward_probe(n: int) -> Case:
    side = 2 * (n // 4 + 2)
    X = np.linspace(-1.0, 1.0, n * 2 * side * side).reshape(n, 2, side, side)
    out, cache = conv.maxpool_forward(X, 2, 2)
    return Case((np.ones_like(out), cache), label=f"{n} images of {side}x{side}")


# -- exercises -------------------------------------------------------------------------


def _exercise(name: str, visible, hidden, **kwargs: object) -> Exercise:
    return Exercise(
        name=name,
        chapter=CHAPTER,
        reference=getattr(conv, name),
        visible_cases=visible,
        hidden_cases=hidden,
        rtol=RTOL,
        atol=ATOL,
        **kwargs,
    )


EXERCISES = [
    _exercise("conv_output_size", lambda: _size_cases(None), _size_cases),
    _exercise("conv2d_forward", lambda: _conv_cases(None), _conv_cases, outputs=("out", "cache"),
              ignored=("cache",), vectorised=_conv_probe, loop_advice=LOOP_ADVICE),
    _exercise("maxpool_forward", lambda: _pool_cases(None), _pool_cases, outputs=("out", "cache"),
              ignored=("cache",), vectorised=_pool_probe, loop_advice=LOOP_ADVICE),
    _exercise("maxpool_backward", lambda: _backward_cases(None), _backward_cases, outputs=("dX",),
              vectorised=_backward_probe, loop_advice=LOOP_ADVICE),
]


# -- known mistakes ------------------------------------------------------------------------

_CONV_HEAD = (
    "def conv2d_forward(X, W, b, stride=1, pad=0):\n"
    "    N, C, H, Wd = X.shape\n"
    "    F, _, HH, WW = W.shape\n"
)


def _conv(pad_line: str, body: str = "", bias: str = "b.reshape(1, F, 1, 1)", kernel: str = "W[:, :, i, j]",
          step: str = "stride", sizes: str = "") -> str:
    """A convolution by kernel offsets, with one part replaced to make a known mistake."""
    sizes = sizes or (
        "    Ho = (Xp.shape[2] - HH) // stride + 1\n"
        "    Wo = (Xp.shape[3] - WW) // stride + 1\n"
    )
    return (
        _CONV_HEAD
        + pad_line
        + sizes
        + "    out = np.zeros((N, F, Ho, Wo))\n"
        + "    for i in range(HH):\n"
        + "        for j in range(WW):\n"
        + f"            patch = Xp[:, :, i:i + {step} * Ho:{step}, j:j + {step} * Wo:{step}]\n"
        + f"            out += np.einsum('nchw,fc->nfhw', patch, {kernel})\n"
        + body
        + (f"    out = out + {bias}\n" if bias else "")
        + "    return out, (X, W, b, stride, pad)\n"
    )


_PAD = "    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"

_POOL_HEAD = (
    "def maxpool_forward(X, size=2, stride=2):\n"
    "    N, C, H, W = X.shape\n"
)


def _pool(start: str = "None", combine: str = "np.maximum(out, sub)", step: str = "stride", tail: str = "") -> str:
    """Max pooling by window offsets, with one part replaced to make a known mistake."""
    return (
        _POOL_HEAD
        + f"    Ho = (H - size) // {step} + 1\n"
        + f"    Wo = (W - size) // {step} + 1\n"
        + f"    out = {start}\n"
        + "    for i in range(size):\n"
        + "        for j in range(size):\n"
        + f"            sub = X[:, :, i:i + {step} * Ho:{step}, j:j + {step} * Wo:{step}]\n"
        + f"            out = sub.copy() if out is None else {combine}\n"
        + tail
        + "    return out, (X, out, size, stride)\n"
    )


_BACKWARD_HEAD = (
    "def maxpool_backward(dout, cache):\n"
    "    X, out, size, stride = cache\n"
    "    N, C, Ho, Wo = out.shape\n"
    "    dX = np.zeros_like(X)\n"
)


def _first_max_backward(assign: str) -> str:
    """Routes each gradient to the first maximum of its window; ``assign`` writes it into dX."""
    return (
        _BACKWARD_HEAD
        + "    free = np.ones(out.shape, dtype=bool)\n"
        + "    for k in range(size * size):\n"
        + "        i, j = divmod(k, size)\n"
        + "        rows = slice(i, i + stride * Ho, stride)\n"
        + "        cols = slice(j, j + stride * Wo, stride)\n"
        + "        hit = (X[:, :, rows, cols] == out) & free\n"
        + "        free = free & ~hit\n"
        + f"        {assign}\n"
        + "    return dX\n"
    )


MISTAKES = [
    # conv_output_size
    Mistake(
        "conv-size-no-plus-one",
        "conv_output_size",
        "the +1 is missing: (size + 2 pad - kernel) / stride counts the steps between the first and the last "
        "window position; the number of positions is one more, (size + 2 pad - kernel) // stride + 1 "
        "(a 3-pixel kernel fits 3 times in 5 pixels, not 2).",
        "def conv_output_size(size, kernel, stride=1, pad=0, name='H'):\n"
        "    return (size + 2 * pad - kernel) // stride\n",
    ),
    Mistake(
        "conv-size-ignores-stride",
        "conv_output_size",
        "you ignored the stride: the window moves `stride` pixels at a time, so divide the free room by it, "
        "(size + 2 pad - kernel) // stride + 1.",
        "def conv_output_size(size, kernel, stride=1, pad=0, name='H'):\n"
        "    return size + 2 * pad - kernel + 1\n",
    ),
    Mistake(
        "conv-size-pad-once",
        "conv_output_size",
        "you added the padding once: `pad` zeros go on each side, before and after, so the padded length is "
        "size + 2 pad.",
        "def conv_output_size(size, kernel, stride=1, pad=0, name='H'):\n"
        "    return (size + pad - kernel) // stride + 1\n",
    ),
    Mistake(
        "conv-size-ignores-pad",
        "conv_output_size",
        "you ignored the padding: the window slides over the padded input, of length size + 2 pad.",
        "def conv_output_size(size, kernel, stride=1, pad=0, name='H'):\n"
        "    return (size - kernel) // stride + 1\n",
    ),
    # conv2d_forward
    Mistake(
        "conv-flipped-kernel",
        "conv2d_forward",
        "you flipped the kernel (W[..., ::-1, ::-1]): that is the convolution of mathematics. Deep-learning "
        "libraries, and this course, compute the cross-correlation: out[y, x] = sum W[i, j] Xp[y s + i, x s + j], "
        "with the kernel as given.",
        _conv(_PAD, kernel="W[:, :, HH - 1 - i, WW - 1 - j]"),
    ),
    Mistake(
        "conv-pad-one-side",
        "conv2d_forward",
        "you padded one side only (all 2 pad zeros after the image, none before), which shifts the image: put "
        "`pad` zeros on each side, np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).",
        _conv("    Xp = np.pad(X, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))\n"),
    ),
    Mistake(
        "conv-no-padding",
        "conv2d_forward",
        "you did not pad the input: with pad > 0 the window slides over the image with `pad` zeros added on each "
        "side, which gives an output of (H + 2 pad - HH) // stride + 1 rows.",
        _conv("    Xp = X\n"),
    ),
    Mistake(
        "conv-ignores-stride",
        "conv2d_forward",
        "you ignored the stride: the window moves `stride` pixels at a time, so the output has "
        "(H + 2 pad - HH) // stride + 1 rows, and output pixel (y, x) reads the input from row y * stride, "
        "column x * stride.",
        _conv(_PAD, step="1", sizes="    Ho = Xp.shape[2] - HH + 1\n    Wo = Xp.shape[3] - WW + 1\n"),
    ),
    Mistake(
        "conv-no-bias",
        "conv2d_forward",
        "the bias is missing: add b[f] to every output pixel of filter f.",
        _conv(_PAD, bias=""),
    ),
    Mistake(
        "conv-bias-last-axis",
        "conv2d_forward",
        "you added the bias along the last axis (out + b broadcasts b over the columns of the image): filter f's "
        "bias belongs to channel f of the output, axis 1, out + b.reshape(1, F, 1, 1).",
        _conv(_PAD, bias="b"),
    ),
    Mistake(
        "conv-bias-sample-axis",
        "conv2d_forward",
        "you added b[f] to sample f (b[:, None, None, None] lines up with axis 0, the samples): filter f's bias "
        "belongs to channel f of the output, axis 1, out + b.reshape(1, F, 1, 1).",
        _conv(_PAD, bias="b[:, None, None, None]"),
    ),
    # maxpool_forward
    Mistake(
        "maxpool-average",
        "maxpool_forward",
        "you averaged each window (that is average pooling); max pooling keeps the largest value of each window.",
        _pool(combine="out + sub", tail="    out = out / (size * size)\n"),
    ),
    Mistake(
        "maxpool-zero-start",
        "maxpool_forward",
        "your running maximum starts at 0, so a window whose values are all negative gives 0: start from the first "
        "cell of each window (or from -inf), not from zeros.",
        _pool(start="np.zeros((N, C, Ho, Wo))", combine="np.maximum(out, sub)"),
    ),
    Mistake(
        "maxpool-over-channels",
        "maxpool_forward",
        "you also took the maximum over the channels (axis 1): pooling works on each channel separately, "
        "so out keeps the shape (N, C, Ho, Wo).",
        _pool(tail="    out = out.max(axis=1)\n"),
    ),
    Mistake(
        "maxpool-ignores-stride",
        "maxpool_forward",
        "you moved the window by its size instead of by `stride`: they differ when the windows overlap "
        "(size 3, stride 2); Ho = (H - size) // stride + 1 and window (y, x) starts at row y * stride.",
        _pool(step="size"),
    ),
    Mistake(
        "maxpool-reshape-blocks",
        "maxpool_forward",
        "reshaping X into (N, C, H // size, size, W // size, size) blocks only works when the windows do not "
        "overlap and tile the image (stride == size). Here they overlap (stride < size): loop over the size x size "
        "window offsets (i, j) and take the maximum of the strided slices X[:, :, i:i + stride * Ho:stride, ...].",
        _POOL_HEAD
        + "    out = X.reshape(N, C, H // size, size, W // size, size).max(axis=(3, 5))\n"
        + "    return out, (X, out, size, stride)\n",
    ),
    # maxpool_backward
    Mistake(
        "maxpool-grad-everywhere",
        "maxpool_backward",
        "you sent the gradient to every cell of the window: only the cell that held the maximum influenced the "
        "output, so it alone receives dout; the other cells of the window get 0.",
        _BACKWARD_HEAD
        + "    for i in range(size):\n"
        + "        for j in range(size):\n"
        + "            dX[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += dout\n"
        + "    return dX\n",
    ),
    Mistake(
        "maxpool-grad-averaged",
        "maxpool_backward",
        "you spread dout evenly over the window (dout / size^2 to every cell): that is the gradient of average "
        "pooling. Max pooling sends all of dout to the one cell that held the maximum.",
        _BACKWARD_HEAD
        + "    for i in range(size):\n"
        + "        for j in range(size):\n"
        + "            dX[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += dout / (size * size)\n"
        + "    return dX\n",
    ),
    Mistake(
        "maxpool-grad-all-ties",
        "maxpool_backward",
        "when a window holds its maximum twice, you gave dout to every copy, which counts the window several times. "
        "Give it to exactly one cell, the first maximum in row-major order (the one np.argmax picks).",
        _BACKWARD_HEAD
        + "    for i in range(size):\n"
        + "        for j in range(size):\n"
        + "            rows = slice(i, i + stride * Ho, stride)\n"
        + "            cols = slice(j, j + stride * Wo, stride)\n"
        + "            dX[:, :, rows, cols] += dout * (X[:, :, rows, cols] == out)\n"
        + "    return dX\n",
    ),
    Mistake(
        "maxpool-grad-overwrites",
        "maxpool_backward",
        "where windows overlap (stride < size), a cell can be the maximum of several windows and must receive the "
        "sum of their gradients: you assigned (=) instead of adding (+=), so the last window overwrote the others.",
        _first_max_backward("dX[:, :, rows, cols] = dout * hit"),
    ),
]
