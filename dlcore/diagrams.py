"""Diagrams of network families for the introduction (matplotlib, no data).

Each public function draws one diagram on a new figure and returns it; the
figure is drawn with boxes, circles and arrows in data coordinates on an
invisible axis. Nothing global is changed (no rcParams, no style).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

__all__ = [
    "ai_ml_dl",
    "autoencoder",
    "backprop_graph",
    "boltzmann_machines",
    "cnn",
    "feedforward",
    "gan",
    "lstm_cell",
    "residual_block",
    "rnn",
    "svm",
]

Point = tuple[float, float]

INPUT = "#cfe2f3"
HIDDEN = "#fce5cd"
OUTPUT = "#d9ead3"
CODE = "#f4cccc"
OPERATION = "#eeeeee"
GATE = "#fff2cc"
EDGE = "0.25"
FAINT = "0.6"


# -- drawing primitives --------------------------------------------------------


def _canvas(width: float, height: float, scale: float = 0.75) -> tuple[Figure, Axes]:
    """A figure whose single invisible axis spans [0, width] x [0, height]."""
    fig, ax = plt.subplots(figsize=(width * scale, height * scale))
    _frame(ax, width, height)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig, ax


def _frame(ax: Axes, width: float, height: float) -> None:
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")


def _node(ax: Axes, xy: Point, r: float = 0.22, color: str = HIDDEN, text: str = "", size: float = 9) -> Circle:
    circle = Circle(xy, r, facecolor=color, edgecolor=EDGE, lw=1.2, zorder=3)
    ax.add_patch(circle)
    if text:
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size, zorder=4)
    return circle


def _box(ax: Axes, xy: Point, w: float, h: float, text: str = "", color: str = OPERATION,
         size: float = 9, pad: float = 0.06) -> FancyBboxPatch:
    """A rounded box centred on ``xy``."""
    box = FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle=f"round,pad={pad},rounding_size=0.1",
                         facecolor=color, edgecolor=EDGE, lw=1.2, zorder=3)
    ax.add_patch(box)
    if text:
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size, zorder=4)
    return box


def _arrow(ax: Axes, start: Point, end: Point, *, color: str = "0.2", lw: float = 1.3, ls: str = "-",
           rad: float = 0.0, patch_a: object = None, patch_b: object = None, head: bool = True) -> FancyArrowPatch:
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>" if head else "-", mutation_scale=12, color=color, lw=lw,
                            linestyle=ls, connectionstyle=f"arc3,rad={rad}", patchA=patch_a, patchB=patch_b,
                            shrinkA=1, shrinkB=1, zorder=2)
    ax.add_patch(arrow)
    return arrow


def _centre(patch: object) -> Point:
    if isinstance(patch, Circle):
        return patch.center
    return patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2


def _connect(ax: Axes, a: object, b: object, **kwargs: object) -> FancyArrowPatch:
    """An arrow from patch ``a`` to patch ``b``, from edge to edge."""
    return _arrow(ax, _centre(a), _centre(b), patch_a=a, patch_b=b, **kwargs)


def _line(ax: Axes, a: Point, b: Point, color: str = FAINT, lw: float = 0.8) -> None:
    ax.plot([a[0], b[0]], [a[1], b[1]], color=color, lw=lw, zorder=1, solid_capstyle="round")


def _label(ax: Axes, xy: Point, text: str, size: float = 9, **kwargs: object) -> None:
    ax.text(xy[0], xy[1], text, ha=kwargs.pop("ha", "center"), va=kwargs.pop("va", "center"), fontsize=size,
            zorder=5, **kwargs)


def _column(x: float, n: int, y_mid: float, gap: float) -> list[Point]:
    """``n`` points stacked vertically at ``x``, centred on ``y_mid``."""
    return [(x, y_mid + (i - (n - 1) / 2) * gap) for i in range(n)]


def _layers(ax: Axes, sizes: Sequence[int], colors: Sequence[str], x0: float, dx: float, y_mid: float,
            gap: float = 0.6, r: float = 0.2) -> list[list[Point]]:
    """Fully connected layers of circles, left to right."""
    columns = [_column(x0 + i * dx, n, y_mid, gap) for i, n in enumerate(sizes)]
    for left, right in zip(columns, columns[1:]):
        for a in left:
            for b in right:
                _line(ax, a, b)
    for column, color in zip(columns, colors):
        for xy in column:
            _node(ax, xy, r, color)
    return columns


# -- the introduction --------------------------------------------------------------


def ai_ml_dl() -> Figure:
    """Deep learning inside representation learning, machine learning and AI (nested ellipses)."""
    fig, ax = _canvas(10, 6.4)
    rings = [
        ((5, 3.2), 9.8, 6.2, "#eef3fb", "Artificial intelligence",
         "programs that act intelligently, e.g. chess with hand-written rules"),
        ((5, 2.7), 8.4, 5.0, "#e3eefb", "Machine learning",
         "learns from examples, on features designed by people:\nlogistic regression, decision trees, SVMs"),
        ((5, 2.15), 6.8, 3.5, "#fdf0dd", "Representation learning",
         "also learns the features: shallow autoencoders"),
        ((5, 1.75), 5.0, 2.2, "#fbe0d8", "Deep learning", "many layers of learned features"),
    ]
    for (cx, cy), w, h, color, title, example in rings:
        ax.add_patch(Ellipse((cx, cy), w, h, facecolor=color, edgecolor=EDGE, lw=1.2))
        top = cy + h / 2
        _label(ax, (cx, top - 0.3), title, 11, weight="bold")
        _label(ax, (cx, top - 0.6), example, 8, style="italic", color="0.25", va="top")
    _label(ax, (5, 1.15), "CNNs, RNNs, LSTMs, GANs, transformers", 8.5)
    return fig


def feedforward(sizes: Sequence[int] = (4, 6, 6, 5, 3),
                names: Sequence[str] = ("input\n(pixels)", "hidden 1\n(edges)", "hidden 2\n(shapes)",
                                        "hidden 3\n(object parts)", "output\n(classes)")) -> Figure:
    """A deep feed-forward network, each layer labelled with the features it tends to learn.

    Args:
        sizes: number of units per layer, input first.
        names: one caption per layer.
    """
    if len(names) != len(sizes):
        raise ValueError(f"names must have one entry per layer ({len(sizes)}), got {len(names)}")
    gap = 0.6
    height = max(sizes) * gap + 2.0
    fig, ax = _canvas(10, height)
    colors = [INPUT] + [HIDDEN] * (len(sizes) - 2) + [OUTPUT]
    dx = 8.4 / (len(sizes) - 1)
    _layers(ax, sizes, colors, 0.8, dx, height / 2 + 0.2, gap)
    for i, name in enumerate(names):
        _label(ax, (0.8 + i * dx, 0.5), name, 9)
    _arrow(ax, (1.8, height - 0.6), (8.2, height - 0.6), color=FAINT)
    _label(ax, (5, height - 0.3), "simple features  \u2192  abstract features", 9, color="0.35")
    return fig


# -- the families --------------------------------------------------------------------


def autoencoder() -> Figure:
    """An autoencoder: an encoder narrows the input to a code, a decoder rebuilds the input."""
    fig, ax = _canvas(10, 5.9)
    sizes, colors = (6, 4, 2, 4, 6), (INPUT, HIDDEN, CODE, HIDDEN, OUTPUT)
    columns = _layers(ax, sizes, colors, 1.0, 2.0, 2.9)
    for (x_a, x_b), color in (((0.7, 5.3), "#dbe7f6"), ((4.7, 9.3), "#dfeedd")):
        half_a, half_b = (2.0, 0.75) if x_a < 4 else (0.75, 2.0)
        ax.add_patch(Polygon([(x_a, 2.9 - half_a), (x_b, 2.9 - half_b), (x_b, 2.9 + half_b), (x_a, 2.9 + half_a)],
                             closed=True, facecolor=color, edgecolor="none", alpha=0.5, zorder=0))
    top = columns[0][-1][1] + 0.5
    _label(ax, (3.0, top + 0.1), "encoder", 10, weight="bold")
    _label(ax, (7.0, top + 0.1), "decoder", 10, weight="bold")
    for x, text in ((1.0, "input $x$"), (5.0, "code $z$\n(bottleneck)"), (9.0, "reconstruction $\\hat{x}$")):
        _label(ax, (x, 0.55), text, 9)
    _label(ax, (5, 5.65), "trained to make $\\hat{x} \\approx x$, e.g. minimise $\\|x - \\hat{x}\\|^2$", 9)
    return fig


def boltzmann_machines() -> Figure:
    """A Boltzmann machine (all units connected) beside a restricted one (visible-hidden only)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax in (left, right):
        _frame(ax, 5, 4.6)
    angles = np.pi / 2 + np.arange(7) * 2 * np.pi / 7
    points = [(2.5 + 1.55 * np.cos(a), 2.3 + 1.55 * np.sin(a)) for a in angles]
    for i, a in enumerate(points):
        for b in points[i + 1:]:
            _line(left, a, b, lw=0.9)
    for i, xy in enumerate(points):
        _node(left, xy, 0.26, INPUT if i in (0, 2, 4, 5) else HIDDEN, "v" if i in (0, 2, 4, 5) else "h")
    _label(left, (2.5, 4.4), "Boltzmann machine", 10, weight="bold")
    _label(left, (2.5, 0.2), "every pair of units connected", 8.5)

    visible = _column(0, 4, 2.5, 1.0)
    visible = [(y, 1.0) for _, y in visible]
    hidden = [(x, 3.2) for x in (1.5, 2.5, 3.5)]
    for a in visible:
        for b in hidden:
            _line(right, a, b, lw=0.9)
    for xy in visible:
        _node(right, xy, 0.26, INPUT, "v")
    for xy in hidden:
        _node(right, xy, 0.26, HIDDEN, "h")
    _label(right, (2.5, 4.4), "Restricted Boltzmann machine", 10, weight="bold")
    _label(right, (2.5, 0.2), "connections only between the two layers", 8.5)
    _label(right, (4.6, 1.0), "visible", 8.5, ha="left", color="0.3")
    _label(right, (4.1, 3.2), "hidden", 8.5, ha="left", color="0.3")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.98, wspace=0.05)
    return fig


def _stack(ax: Axes, x: float, y: float, size: float, count: int, color: str, step: float = 0.18) -> Point:
    """``count`` square feature maps drawn as an offset stack; returns the front map's centre."""
    for k in reversed(range(count)):
        ax.add_patch(Rectangle((x + k * step, y + k * step), size, size, facecolor=color, edgecolor=EDGE,
                               lw=0.9, zorder=3))
    return x + size / 2, y + size / 2


def cnn() -> Figure:
    """A convolutional network: convolution and pooling stages, then fully connected layers."""
    fig, ax = _canvas(12.5, 5.2, scale=0.72)
    digit = np.zeros((8, 8))
    digit[1, 1:7] = 1
    for k in range(6):
        digit[2 + k, 6 - k] = 1
    cell = 0.3
    x0, y0 = 0.3, 1.3
    for i in range(8):
        for j in range(8):
            shade = "0.15" if digit[i, j] else "white"
            ax.add_patch(Rectangle((x0 + j * cell, y0 + (7 - i) * cell), cell, cell, facecolor=shade,
                                   edgecolor="0.7", lw=0.5, zorder=3))
    patch = Rectangle((x0 + 4 * cell, y0 + 4 * cell), 3 * cell, 3 * cell, facecolor="none", edgecolor="C3",
                      lw=2, zorder=4)
    ax.add_patch(patch)

    fm_x, fm_y = 3.6, 1.5
    _stack(ax, fm_x, fm_y, 1.9, 4, "#fce5cd")
    target = (fm_x + 1.25, fm_y + 1.35)
    ax.add_patch(Rectangle((target[0] - 0.12, target[1] - 0.12), 0.24, 0.24, facecolor="C3", zorder=5))
    for corner in ((x0 + 7 * cell, y0 + 7 * cell), (x0 + 7 * cell, y0 + 4 * cell)):
        _line(ax, corner, target, color="C3", lw=0.8)
    _stack(ax, 6.0, 2.0, 1.0, 4, "#fde9c9", step=0.14)
    _stack(ax, 7.6, 2.1, 0.8, 7, "#f9cb9c", step=0.1)
    _stack(ax, 9.0, 2.3, 0.45, 7, "#f6b26b", step=0.08)

    dense = _column(10.5, 6, 2.6, 0.38)
    output = _column(11.7, 4, 2.6, 0.5)
    for a in dense:
        for b in output:
            _line(ax, a, b, lw=0.6)
    for xy in dense:
        _node(ax, xy, 0.13, HIDDEN)
    for xy in output:
        _node(ax, xy, 0.17, OUTPUT)
    captions = [(1.5, "input image"), (4.6, "convolution\n+ ReLU"), (6.65, "pooling"), (8.2, "convolution\n+ ReLU"),
                (9.45, "pooling"), (10.5, "fully\nconnected"), (11.7, "class\nscores")]
    for x, text in captions:
        _label(ax, (x, 0.75), text, 8.5, va="top")
    _label(ax, (6.25, 4.95), "each unit of a feature map sees a small patch (red) through a shared filter", 9)
    return fig


def residual_block() -> Figure:
    """A residual block: two weight layers compute F(x), a shortcut adds x back."""
    fig, ax = _canvas(11.5, 4.2, scale=0.75)
    y = 1.6
    _label(ax, (0.5, y), "$x$", 12)
    boxes = [
        (2.1, "weight\nlayer", HIDDEN),
        (3.9, "ReLU", OPERATION),
        (5.7, "weight\nlayer", HIDDEN),
    ]
    patches = []
    for x, text, color in boxes:
        patches.append(_box(ax, (x, y), 1.2, 0.8, text, color))
    plus = _node(ax, (7.5, y), 0.3, "white", "+", 14)
    relu = _box(ax, (9.1, y), 1.0, 0.8, "ReLU", OPERATION)
    _label(ax, (10.85, y), "$F(x) + x$", 11)
    _arrow(ax, (0.75, y), (2.1 - 0.66, y))
    for a, b in zip(patches, patches[1:]):
        _connect(ax, a, b)
    _connect(ax, patches[-1], plus)
    _connect(ax, plus, relu)
    _arrow(ax, (9.66, y), (10.15, y))
    _arrow(ax, (1.0, y), (7.5, y + 0.3), rad=-0.32, color="C0", lw=1.8)
    _label(ax, (4.3, 3.2), "shortcut: $x$ is passed on unchanged", 9.5, color="C0")
    ax.annotate("", xy=(1.4, 0.75), xytext=(6.4, 0.75),
                arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 1.0})
    _label(ax, (3.9, 0.4), "these layers compute $F(x)$, only what must be added to $x$", 9.5)
    return fig


def gan() -> Figure:
    """A generative adversarial network: a generator against a discriminator."""
    fig, ax = _canvas(11, 5.2, scale=0.75)
    noise = _box(ax, (1.1, 1.3), 1.6, 0.9, "random\nnoise $z$", OPERATION)
    gen = _box(ax, (3.8, 1.3), 1.8, 1.0, "generator\n$G$", HIDDEN, size=10)
    fake = _box(ax, (6.2, 1.3), 1.6, 0.9, "fake sample\n$G(z)$", CODE)
    real = _box(ax, (6.2, 3.9), 1.6, 0.9, "real sample $x$\n(training data)", INPUT)
    disc = _box(ax, (8.6, 2.6), 1.8, 1.0, "discriminator\n$D$", OUTPUT, size=10)
    for a, b in ((noise, gen), (gen, fake), (fake, disc), (real, disc)):
        _connect(ax, a, b)
    _arrow(ax, (9.55, 2.6), (10.1, 2.6))
    _label(ax, (10.2, 2.6), "real\nor\nfake?", 9, ha="left")
    _arrow(ax, (8.6, 1.95), (3.8, 0.65), rad=-0.25, color="C3", ls="--")
    _label(ax, (6.2, 0.1), "$G$ learns to fool $D$", 9, color="C3")
    _label(ax, (3.2, 4.4), "$D$ learns to tell real from fake;\nthe two are trained in turn", 9)
    return fig


def rnn(steps: int = 4) -> Figure:
    """A recurrent network: the cell with its loop, and the same cell unrolled over time.

    Args:
        steps: number of time steps in the unrolled picture.
    """
    width = 3.6 + 2.0 * steps
    fig, ax = _canvas(width, 4.6, scale=0.72)
    cell = _box(ax, (1.2, 2.2), 1.0, 0.8, "$h$", HIDDEN, size=12)
    _label(ax, (1.2, 0.5), "$x_t$", 11)
    _label(ax, (1.2, 3.95), "$y_t$", 11)
    _arrow(ax, (1.2, 0.75), (1.2, 1.72))
    _arrow(ax, (1.2, 2.68), (1.2, 3.7))
    _arrow(ax, (1.75, 2.45), (1.75, 1.95), rad=-2.2, color="C0", lw=1.6)
    _label(ax, (2.45, 3.0), "$W_{hh}$", 10, color="C0")
    _label(ax, (3.0, 2.2), "=", 18)
    previous = None
    for t in range(1, steps + 1):
        x = 2.6 + 2.0 * t
        box = _box(ax, (x, 2.2), 1.0, 0.8, f"$h_{t}$", HIDDEN, size=11)
        _label(ax, (x, 0.5), f"$x_{t}$", 11)
        _label(ax, (x, 3.95), f"$y_{t}$", 11)
        _arrow(ax, (x, 0.75), (x, 1.72))
        _arrow(ax, (x, 2.68), (x, 3.7))
        if previous is None:
            _label(ax, (x - 1.25, 2.2), "$h_0$", 10)
            _arrow(ax, (x - 1.0, 2.2), (x - 0.56, 2.2), color="C0")
        else:
            _connect(ax, previous, box, color="C0", lw=1.6)
        previous = box
    _label(ax, (width / 2 + 0.8, 4.45), "the same weights at every step", 9, color="C0")
    return fig


def lstm_cell() -> Figure:
    """One LSTM cell: the cell state runs along the top, gates decide what to forget, write and show."""
    fig, ax = _canvas(11, 6.2, scale=0.72)
    ax.add_patch(FancyBboxPatch((1.3, 0.9), 8.0, 4.5, boxstyle="round,pad=0.05,rounding_size=0.3",
                                facecolor="#f7f7f7", edgecolor=EDGE, lw=1.2, zorder=0))
    top, bus = 4.6, 1.5
    _label(ax, (0.55, top), "$c_{t-1}$", 11)
    _label(ax, (10.45, top), "$c_t$", 11)
    _label(ax, (0.55, bus), "$h_{t-1}$", 11)
    _label(ax, (5.0, 0.2), "$x_t$", 11)
    forget = _node(ax, (3.0, top), 0.25, "white", "\u00d7", 12)
    add = _node(ax, (5.2, top), 0.25, "white", "+", 13)
    _arrow(ax, (0.95, top), (2.75, top), lw=2.2)
    _connect(ax, forget, add, lw=2.2)
    _arrow(ax, (5.45, top), (10.0, top), lw=2.2)
    gates = [(3.0, "$\\sigma$", "forget $f$"), (4.3, "$\\sigma$", "input $i$"),
             (5.6, "tanh", "candidate $g$"), (7.0, "$\\sigma$", "output $o$")]
    boxes = []
    for x, text, name in gates:
        boxes.append(_box(ax, (x, 2.5), 1.05, 0.75, f"{text}\n{name}", GATE, size=8.5))
        _line(ax, (x, bus), (x, 2.1), color="0.2", lw=1.2)
    _line(ax, (0.95, bus), (7.0, bus), color="0.2", lw=1.2)
    _line(ax, (5.0, 0.45), (5.0, bus), color="0.2", lw=1.2)
    _connect(ax, boxes[0], forget)
    write = _node(ax, (4.95, 3.55), 0.22, "white", "\u00d7", 11)
    _connect(ax, boxes[1], write, rad=-0.2)
    _connect(ax, boxes[2], write, rad=0.2)
    _connect(ax, write, add)
    squash = _box(ax, (8.1, 3.7), 0.75, 0.45, "tanh", GATE, size=9)
    show = _node(ax, (8.1, 2.6), 0.22, "white", "\u00d7", 11)
    _arrow(ax, (8.1, top), _centre(squash), patch_b=squash)
    _connect(ax, squash, show)
    _connect(ax, boxes[3], show)
    _line(ax, (8.32, 2.6), (8.8, 2.6), color="0.2", lw=1.2)
    _line(ax, (8.8, 2.6), (8.8, bus), color="0.2", lw=1.2)
    _arrow(ax, (8.8, bus), (10.0, bus))
    _label(ax, (10.45, bus), "$h_t$", 11)
    _label(ax, (5.3, 5.85), "cell state: a conveyor belt changed only by $\\times$ and $+$", 9)
    return fig


def svm() -> Figure:
    """A linear SVM's maximum-margin boundary beside the hinge, logistic and 0-1 losses."""
    from sklearn.svm import SVC  # a runtime dependency of dlcore; imported only here

    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal((-1.2, -1.0), 0.55, (20, 2)), rng.normal((1.3, 1.1), 0.55, (20, 2))])
    y = np.repeat([-1, 1], 20)
    model = SVC(kernel="linear", C=1e4).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for label, marker, color in ((-1, "o", "C0"), (1, "s", "C1")):
        left.scatter(*X[y == label].T, marker=marker, color=color, s=28, zorder=3, label=f"class {label:+d}")
    sv = model.support_vectors_
    left.scatter(sv[:, 0], sv[:, 1], s=160, facecolors="none", edgecolors="k", lw=1.3, zorder=4,
                 label="support vectors")
    xs = np.linspace(-3.5, 3.5, 2)
    for offset, style in ((0, "-"), (1, "--"), (-1, "--")):
        left.plot(xs, (offset - b - w[0] * xs) / w[1], "k", ls=style, lw=1.4 if offset == 0 else 1.0)
    left.set_xlim(-3.5, 3.5)
    left.set_ylim(-3.2, 3.2)
    left.set_aspect("equal")
    left.set_xticks([])
    left.set_yticks([])
    left.legend(fontsize=8, loc="upper left")
    left.set_title("maximum margin: $w \\cdot x + b = 0$, margin $2 / \\|w\\|$", fontsize=10)

    m = np.linspace(-2.5, 3, 400)
    right.plot(m, (m <= 0).astype(float), color="0.4", lw=1.5, label="0-1 loss (errors)")
    right.plot(m, np.maximum(0, 1 - m), lw=2, label="hinge: $\\max(0, 1 - yz)$ (SVM)")
    right.plot(m, np.log2(1 + np.exp(-m)), lw=2, label="logistic: $\\log_2(1 + e^{-yz})$")
    right.set_xlabel("margin $y z$  (with $z = w \\cdot x + b$, $y = \\pm 1$)")
    right.set_ylabel("loss")
    right.set_ylim(-0.1, 3.5)
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    right.set_title("a linear SVM is one neuron trained with the hinge loss", fontsize=10)
    fig.tight_layout()
    return fig


# -- backpropagation (chapter 06) ------------------------------------------------------


def backprop_graph(x: float = 3.0, y: float = -4.0, z: float = 2.0, w: float = -1.0) -> Figure:
    """The computational graph of f = 2 (x y + max(z, w)) with its forward values and backward gradients.

    f = 2 (x y + max(z, w));  df/dx = 2 y,  df/dy = 2 x,  df/dz = 2 [z >= w],  df/dw = 2 [w > z]

    Every edge carries its forward value above it (green) and the gradient of f with respect to that value
    below it (red). A tie z == w routes the gradient to z.

    Args:
        x, y, z, w: the four inputs, finite numbers.

    Returns:
        The figure.

    Raises:
        ValueError: when an input is not a finite number.
    """
    inputs = {"x": x, "y": y, "z": z, "w": w}
    for name, value in inputs.items():
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not number or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    x, y, z, w = (float(v) for v in inputs.values())
    q, m = x * y, max(z, w)
    s = q + m
    f = 2 * s
    ds = 2.0
    grads = {"x": y * ds, "y": x * ds, "z": ds if z >= w else 0.0, "w": ds if w > z else 0.0, "q": ds, "m": ds,
             "s": ds, "f": 1.0}
    values = {"x": x, "y": y, "z": z, "w": w, "q": q, "m": m, "s": s, "f": f}

    fig, ax = _canvas(11.5, 5.6, scale=0.72)
    green, red = "#1b7a2f", "#c0392b"
    sources = {"x": (0.6, 4.6), "y": (0.6, 3.0), "z": (0.6, 2.1), "w": (0.6, 0.5)}
    mul = _node(ax, (3.9, 3.7), 0.38, GATE, "\u00d7", 15)
    big = _node(ax, (3.9, 1.4), 0.38, GATE, "max", 10)
    add = _node(ax, (6.6, 2.55), 0.38, GATE, "+", 15)
    two = _node(ax, (9.0, 2.55), 0.38, GATE, "\u00d72", 13)
    for name, xy in sources.items():
        _label(ax, xy, f"${name}$", 13)

    def edge(start: Point, end: Point, name: str, at: float = 0.5, patch_a: object = None,
             patch_b: object = None) -> None:
        _arrow(ax, start, end, patch_a=patch_a, patch_b=patch_b)
        mx, my = start[0] + at * (end[0] - start[0]), start[1] + at * (end[1] - start[1])
        shown = f"{values[name]:.3g}" if name in inputs else f"{name} = {values[name]:.3g}"
        _label(ax, (mx, my + 0.27), shown, 10, color=green, weight="bold")
        _label(ax, (mx, my - 0.27), f"{grads[name]:.3g}", 10, color=red, weight="bold")

    for name, gate in (("x", mul), ("y", mul), ("z", big), ("w", big)):
        sx, sy = sources[name]
        edge((sx + 0.3, sy), _centre(gate), name, at=0.3, patch_b=gate)
    edge(_centre(mul), _centre(add), "q", patch_a=mul, patch_b=add)
    edge(_centre(big), _centre(add), "m", patch_a=big, patch_b=add)
    edge(_centre(add), _centre(two), "s", patch_a=add, patch_b=two)
    edge(_centre(two), (10.9, 2.55), "f", patch_a=two)
    _label(ax, (11.15, 2.55), "$f$", 13)
    _label(ax, (6.0, 5.35), "forward value (above each edge)", 9.5, color=green)
    _label(ax, (6.0, 0.2), "gradient of $f$ with respect to that value (below each edge)", 9.5, color=red)
    return fig
