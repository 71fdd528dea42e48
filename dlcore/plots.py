"""Figures shared by the chapters (matplotlib, no global state changed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

Curve = tuple[str, Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


def function_and_derivative(curves: Sequence[Curve], z: np.ndarray | None = None) -> Figure:
    """One row per function: the function on the left, its derivative on the right.

    Args:
        curves: ``(name, f, df)`` triples; ``f`` and ``df`` take an array of shape (K,).
        z: points to plot, shape (K,); defaults to 401 points in [-6, 6].

    Returns:
        The figure, with ``len(curves)`` rows and two columns.
    """
    z = np.linspace(-6, 6, 401) if z is None else np.asarray(z, dtype=float)
    fig, axes = plt.subplots(len(curves), 2, figsize=(8, 2.2 * len(curves)), sharex=True, squeeze=False)
    for (name, f, df), (ax_f, ax_df) in zip(curves, axes):
        ax_f.plot(z, f(z), color="C0", lw=2)
        ax_df.plot(z, df(z), color="C1", lw=2)
        ax_f.set_ylabel(name)
        for ax in (ax_f, ax_df):
            ax.axhline(0, color="0.6", lw=0.8)
            ax.axvline(0, color="0.6", lw=0.8)
            ax.grid(alpha=0.3)
    axes[0, 0].set_title("function $f(z)$")
    axes[0, 1].set_title("derivative $f'(z)$")
    for ax in axes[-1]:
        ax.set_xlabel("$z$")
    fig.tight_layout()
    return fig
