"""Chapter 08 (convolutional networks): how its checks judge student code.

The catalogue itself is exercised by tests/test_grading.py (in process) and
tests/test_mutations.py (through nbgrader). These tests cover what is special
about the chapter: the cache of a forward function is not compared
(``Exercise.ignored``), and the vectorisation guard refuses a loop over the
samples or the output pixels, with advice, but accepts the loop over the
kernel offsets that dlcore.conv itself uses (``Exercise.loop_advice``).
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcore.grading import CheckFailed, all_exercises, check, mistakes

HEAD = (
    "def conv2d_forward(X, W, b, stride=1, pad=0):\n"
    "    F, C, HH, WW = W.shape\n"
    "    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"
    "    Ho = (Xp.shape[2] - HH) // stride + 1\n"
    "    Wo = (Xp.shape[3] - WW) // stride + 1\n"
    "    out = np.zeros((X.shape[0], F, Ho, Wo))\n"
)

BY_OFFSETS = HEAD + (
    "    for i in range(HH):\n"
    "        for j in range(WW):\n"
    "            seen = Xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]\n"
    "            out += np.tensordot(seen, W[:, :, i, j], axes=([1], [1])).transpose(0, 3, 1, 2)\n"
    "    return out + b.reshape(1, F, 1, 1), {'anything': 'the student likes'}\n"
)

BY_SAMPLES = HEAD + (
    "    for n in range(X.shape[0]):\n"
    "        for i in range(HH):\n"
    "            for j in range(WW):\n"
    "                seen = Xp[n, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]\n"
    "                out[n] += np.einsum('chw,fc->fhw', seen, W[:, :, i, j])\n"
    "    return out + b.reshape(1, F, 1, 1), None\n"
)

BY_PIXELS = HEAD + (
    "    for y in range(Ho):\n"
    "        for x in range(Wo):\n"
    "            window = Xp[:, :, y * stride:y * stride + HH, x * stride:x * stride + WW]\n"
    "            out[:, :, y, x] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b\n"
    "    return out, None\n"
)

SLIDING = (
    "from numpy.lib.stride_tricks import sliding_window_view\n"
    "def conv2d_forward(X, W, b, stride=1, pad=0):\n"
    "    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"
    "    windows = sliding_window_view(Xp, W.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]\n"
    "    return np.einsum('nchwij,fcij->nfhw', windows, W) + b[None, :, None, None], (X, W, b, stride, pad)\n"
)


def student(code: str, name: str = "conv2d_forward") -> object:
    namespace: dict[str, object] = {"np": np}
    exec(code, namespace)  # noqa: S102 - test data
    return namespace[name]


@pytest.mark.parametrize("code", [BY_OFFSETS, SLIDING], ids=["loop-over-kernel-offsets", "sliding-window-view"])
def test_vectorised_convolutions_pass_whatever_their_cache(code: str) -> None:
    check(student(code), "conv2d_forward")
    check(student(code), "conv2d_forward", hidden=True, seed=3)


@pytest.mark.parametrize("code", [BY_SAMPLES, BY_PIXELS], ids=["loop-over-samples", "loop-over-output-pixels"])
def test_loops_over_samples_or_pixels_fail_with_advice(code: str) -> None:
    with pytest.raises(CheckFailed) as info:
        check(student(code), "conv2d_forward")
    text = str(info.value)
    assert "conv2d_forward runs a Python loop whose length grows with the input" in text, text
    assert "for 4 images of 3x3" in text and "for 64 images of 18x18" in text, text
    assert "The one loop allowed runs over the kernel offsets (i, j)" in text, text


def test_a_forward_function_must_still_return_a_cache() -> None:
    only_out = BY_OFFSETS.replace("return out + b.reshape(1, F, 1, 1), {'anything': 'the student likes'}",
                                  "return out + b.reshape(1, F, 1, 1)")
    with pytest.raises(CheckFailed, match=r"returned ndarray instead of 2 values \(out, cache\)"):
        check(student(only_out), "conv2d_forward")


def test_a_wrong_output_is_described_without_the_cache() -> None:
    no_bias = BY_OFFSETS.replace("return out + b.reshape(1, F, 1, 1),", "return out,")
    with pytest.raises(CheckFailed) as info:
        check(student(no_bias), "conv2d_forward")
    text = str(info.value)
    assert "[conv-no-bias]" in text, text
    assert "problem: out: " in text and "cache" not in text.split("problem:")[1], text


def test_maxpool_loop_over_samples_fails_and_argmax_routing_passes() -> None:
    looped = (
        "def maxpool_forward(X, size=2, stride=2):\n"
        "    N, C, H, W = X.shape\n"
        "    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1\n"
        "    out = np.empty((N, C, Ho, Wo))\n"
        "    for n in range(N):\n"
        "        for y in range(Ho):\n"
        "            for x in range(Wo):\n"
        "                out[n, :, y, x] = X[n, :, y * stride:y * stride + size, x * stride:x * stride + size].max(axis=(1, 2))\n"
        "    return out, (X, out, size, stride)\n"
    )
    with pytest.raises(CheckFailed, match="maxpool_forward runs a Python loop whose length grows"):
        check(student(looped, "maxpool_forward"), "maxpool_forward")
    argmax = (
        "def maxpool_backward(dout, cache):\n"
        "    X, out, size, stride = cache\n"
        "    N, C, Ho, Wo = out.shape\n"
        "    cells = [X[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]\n"
        "             for i in range(size) for j in range(size)]\n"
        "    first = np.argmax(np.stack(cells, axis=-1), axis=-1)\n"
        "    dX = np.zeros_like(X)\n"
        "    for k in range(size * size):\n"
        "        i, j = divmod(k, size)\n"
        "        dX[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += dout * (first == k)\n"
        "    return dX\n"
    )
    check(student(argmax, "maxpool_backward"), "maxpool_backward")
    check(student(argmax, "maxpool_backward"), "maxpool_backward", hidden=True, seed=5)


def test_the_catalogue_covers_every_exercise_and_the_classic_mistakes() -> None:
    chapter = {name for name, e in all_exercises().items() if e.chapter == "08_cnn"}
    assert chapter == {"conv_output_size", "conv2d_forward", "maxpool_forward", "maxpool_backward"}
    ours = [m for m in mistakes() if m.exercise in chapter]
    assert {m.exercise for m in ours} == chapter
    assert len(ours) >= 8
    required = {"conv-flipped-kernel", "conv-pad-one-side", "maxpool-grad-everywhere", "conv-size-no-plus-one",
                "conv-size-ignores-stride", "conv-bias-last-axis", "maxpool-over-channels"}
    assert required <= {m.id for m in ours}
