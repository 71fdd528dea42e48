"""dlcore.widgets: explorers render every frame, and fail clearly on bad input."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dlcore.widgets import MAX_FRAMES, explore  # noqa: E402


def draw(a: float, kind: str):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, a])
    ax.set_title(kind)
    return fig


def test_static_html_holds_one_frame_per_combination() -> None:
    ex = explore(draw, a=[1.0, 2.0, 3.0], kind=["x", "y"], title="demo")
    html = ex.to_html()
    frames = ex.frames()
    assert len(frames) == 6 and len(set(frames)) == 6, "each combination draws a different frame"
    assert all(base64.b64decode(f).startswith(b"\x89PNG") for f in frames)
    assert len(re.findall(r'class="dlcore-slider"', html)) == 2
    assert "<script>" in html and "http" not in html
    # the first frame shown is the default (middle) setting: a=2.0, kind="y" -> index 1*2 + 1
    assert 'data-frame="3"' in html


def test_defaults_choose_the_first_frame() -> None:
    html = explore(draw, a=[1.0, 2.0, 3.0], kind=["x", "y"], defaults={"a": 1.0, "kind": "x"}).to_html()
    assert 'data-frame="0"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "at least one parameter"),
        ({"a": [1.0]}, "'a' needs at least 2 values"),
        ({"a": list(range(MAX_FRAMES + 1))}, "more than the limit"),
    ],
)
def test_bad_parameters_are_named(params, message) -> None:
    with pytest.raises(ValueError, match=message):
        explore(lambda **k: None, **params)


def test_unknown_default_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown parameters: \['c'\]"):
        explore(draw, a=[1.0, 2.0], kind=["x", "y"], defaults={"c": 1})


@pytest.mark.parametrize(("mode", "has_html"), [("static", True), ("live", False), ("both", True)])
def test_mode_selects_the_forms(monkeypatch, mode: str, has_html: bool) -> None:
    monkeypatch.setenv("DLCORE_EXPLORER", mode)
    bundle = explore(draw, a=[1.0, 2.0], kind=["x", "y"])._repr_mimebundle_()
    assert ("text/html" in bundle) == has_html
    assert "text/plain" in bundle
