"""dlcore.diagrams: every diagram is a new Figure with drawn shapes and legible text."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlcore import diagrams  # noqa: E402

NAMES = sorted(diagrams.__all__)


@pytest.fixture
def draw():
    """Call a diagram function; close whatever it opened afterwards."""
    before = set(plt.get_fignums())
    yield lambda name, *args, **kwargs: getattr(diagrams, name)(*args, **kwargs)
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def _shapes(fig: Figure) -> int:
    return sum(len(ax.patches) + len(ax.lines) + len(ax.collections) for ax in fig.axes)


def _texts(fig: Figure) -> list[str]:
    found = [t.get_text() for ax in fig.axes for t in ax.texts]
    found += [ax.get_title() for ax in fig.axes]
    return [t for t in found if t.strip()]


@pytest.mark.parametrize("name", NAMES)
def test_returns_a_new_figure_with_shapes_and_labels(draw, name: str) -> None:
    before = len(plt.get_fignums())
    fig = draw(name)
    assert isinstance(fig, Figure), type(fig)
    assert len(plt.get_fignums()) == before + 1, "a diagram opens exactly one figure"
    assert _shapes(fig) >= 4, f"{name}: only {_shapes(fig)} shapes drawn"
    assert len(_texts(fig)) >= 2, f"{name}: labels missing, found {_texts(fig)}"


@pytest.mark.parametrize("name", NAMES)
def test_renders_and_every_label_fits_in_the_figure(draw, name: str) -> None:
    fig = draw(name)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for ax in fig.axes:
        for text in [*ax.texts, ax.title]:
            if not text.get_text().strip():
                continue
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= box.x0 - 2 and extent.x1 <= box.x1 + 2, f"{name}: {text.get_text()!r} is cut off"
            assert extent.y0 >= box.y0 - 2 and extent.y1 <= box.y1 + 2, f"{name}: {text.get_text()!r} is cut off"


def test_diagrams_leave_global_style_alone(draw) -> None:
    saved = dict(plt.rcParams)
    for name in NAMES:
        draw(name)
    assert dict(plt.rcParams) == saved


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("autoencoder", ["encoder", "decoder", "code"]),
        ("boltzmann_machines", ["Restricted Boltzmann machine", "hidden", "visible"]),
        ("cnn", ["convolution", "pooling", "fully", "class"]),
        ("residual_block", ["shortcut", "F(x) + x"]),
        ("gan", ["generator", "discriminator", "real"]),
        ("rnn", ["same weights"]),
        ("lstm_cell", ["forget", "input", "output", "cell state"]),
        ("svm", ["hinge", "margin", "support vectors"]),
        ("ai_ml_dl", ["Artificial intelligence", "Machine learning", "Deep learning"]),
    ],
)
def test_diagram_names_its_parts(draw, name: str, words: list[str]) -> None:
    fig = draw(name)
    text = " ".join(_texts(fig))
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            text += " " + " ".join(t.get_text() for t in legend.get_texts())
    for word in words:
        assert word in text, f"{name}: {word!r} not in {text!r}"


def test_feedforward_draws_one_circle_per_unit(draw) -> None:
    fig = draw("feedforward", sizes=(2, 3, 1), names=("in", "hidden", "out"))
    circles = [p for p in fig.axes[0].patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circles) == 6
    connections = [line for line in fig.axes[0].lines]
    assert len(connections) == 2 * 3 + 3 * 1


def test_feedforward_needs_one_name_per_layer(draw) -> None:
    with pytest.raises(ValueError, match="one entry per layer"):
        draw("feedforward", sizes=(2, 3, 1), names=("in", "out"))


def test_rnn_unrolls_the_requested_number_of_steps(draw) -> None:
    fig = draw("rnn", steps=3)
    labels = _texts(fig)
    assert "$h_3$" in labels and "$h_4$" not in labels


def test_backprop_graph_shows_forward_values_and_gradients(draw) -> None:
    fig = draw("backprop_graph", 3.0, -4.0, 2.0, -1.0)
    texts = _texts(fig)
    for shown in ("q = -12", "m = 2", "s = -10", "f = -20", "-8", "6", "0"):
        assert shown in texts, f"{shown!r} missing from {texts}"
    routed = _texts(draw("backprop_graph", 3.0, -4.0, -1.0, 2.0))
    assert routed.count("0") == 1 and "m = 2" in routed, "max routes the gradient to the larger input, w"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "3", None, True])
def test_backprop_graph_rejects_inputs_that_are_not_finite_numbers(bad) -> None:
    with pytest.raises(ValueError, match="x must be a finite number"):
        diagrams.backprop_graph(x=bad)
