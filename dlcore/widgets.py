"""Explorers: a figure with sliders that works with and without a kernel.

``explore(draw, w=values, b=values)`` returns an object that displays as

* **ipywidgets sliders** in a live Jupyter kernel (the figure is redrawn by
  ``draw`` on every move), and
* **pre-rendered frames with HTML sliders** everywhere else, the built book
  included: every combination of the parameter values is drawn once, stored
  in the page as a PNG, and a few lines of self-contained JavaScript show the
  frame that matches the sliders. No kernel, no network.

Both forms are in the same output (a MIME bundle). JupyterLab prefers the
widget; the book drops the widget (``nb_mime_priority_overrides`` in
``_config.yml``) and shows the frames. Set ``DLCORE_EXPLORER=live`` to skip
rendering frames in a live session (``make lab`` does), or ``static`` to skip
the widget.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["Explorer", "explore"]

MAX_FRAMES = 400

_SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  var frames = %(frames)s, sizes = %(sizes)s, labels = %(labels)s;
  var img = root.querySelector("img.dlcore-frame");
  var inputs = root.querySelectorAll("input.dlcore-slider");
  function update() {
    var index = 0;
    for (var i = 0; i < inputs.length; i++) {
      var k = parseInt(inputs[i].value, 10);
      index = index * sizes[i] + k;
      inputs[i].parentNode.querySelector("output").textContent = labels[i][k];
      inputs[i].setAttribute("aria-valuetext", labels[i][k]);
    }
    img.src = "data:image/png;base64," + frames[index];
    root.setAttribute("data-frame", index);
  }
  for (var i = 0; i < inputs.length; i++) { inputs[i].addEventListener("input", update); }
  update();
})();
"""


def _format(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


def _png(fig: Figure, dpi: int) -> str:
    buffer = io.BytesIO()
    # No bbox_inches="tight": it renders the figure twice. Lay out the figure in draw().
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class Explorer:
    """A figure that depends on named parameters, each with a list of values.

    Args:
        draw: ``draw(**params) -> Figure`` makes a new figure for one setting
            (lay it out there, e.g. ``fig.tight_layout()``; frames are saved as drawn).
        params: parameter name -> the values its slider steps through.
        defaults: parameter name -> the value shown first (default: middle).
        dpi: resolution of the pre-rendered frames.
        title: a sentence shown above the sliders.
    """

    def __init__(
        self,
        draw: Callable[..., Figure],
        params: dict[str, Sequence[Any]],
        defaults: dict[str, Any] | None = None,
        dpi: int = 72,
        title: str = "",
    ) -> None:
        if not params:
            raise ValueError("params must name at least one parameter, got none")
        self.params = {name: list(values) for name, values in params.items()}
        for name, values in self.params.items():
            if len(values) < 2:
                raise ValueError(f"parameter {name!r} needs at least 2 values, got {len(values)}")
        frames = int(np.prod([len(v) for v in self.params.values()]))
        if frames > MAX_FRAMES:
            raise ValueError(f"params give {frames} frames, more than the limit of {MAX_FRAMES}: use fewer values")
        defaults = defaults or {}
        unknown = set(defaults) - set(self.params)
        if unknown:
            raise ValueError(f"defaults name unknown parameters: {sorted(unknown)}")
        self.start = {}
        for name, values in self.params.items():
            value = defaults.get(name, values[len(values) // 2])
            self.start[name] = int(np.argmin([abs(_distance(v, value)) for v in values]))
        self.draw = draw
        self.dpi = dpi
        self.title = title
        self._frames: list[str] | None = None

    # -- static form -----------------------------------------------------
    def frames(self) -> list[str]:
        """Every frame as base64 PNG, in row-major order of the parameters."""
        if self._frames is None:
            names = list(self.params)
            self._frames = [
                _png(self.draw(**dict(zip(names, combo))), self.dpi)
                for combo in itertools.product(*self.params.values())
            ]
        return self._frames

    def to_html(self) -> str:
        """Self-contained HTML: sliders, one image, and the frames."""
        element_id = f"dlcore-explorer-{uuid.uuid4().hex[:12]}"
        frames = self.frames()
        sliders = []
        for name, values in self.params.items():
            k = self.start[name]
            sliders.append(
                f'<label style="display:flex;align-items:center;gap:.5em;margin:.2em 0">'
                f'<span style="min-width:6em"><code>{html.escape(name)}</code></span>'
                f'<input class="dlcore-slider" type="range" min="0" max="{len(values) - 1}" step="1" '
                f'value="{k}" aria-label="{html.escape(name)}" style="flex:1;max-width:22em">'
                f'<output style="min-width:4em">{html.escape(_format(values[k]))}</output></label>'
            )
        first = int(np.ravel_multi_index(tuple(self.start.values()), [len(v) for v in self.params.values()]))
        script = _SCRIPT % {
            "id": _script_json(element_id),
            "frames": _script_json(frames),
            "sizes": _script_json([len(v) for v in self.params.values()]),
            "labels": _script_json([[_format(v) for v in values] for values in self.params.values()]),
        }
        title = f"<p><strong>{html.escape(self.title)}</strong></p>" if self.title else ""
        return (
            f'<div class="dlcore-explorer" id="{element_id}" data-frame="{first}">{title}'
            + "".join(sliders)
            + f'<img class="dlcore-frame" alt="{html.escape(self.title or "explorer")}" '
            f'src="data:image/png;base64,{frames[first]}" style="max-width:100%">'
            + f"<script>{script}</script></div>"
        )

    # -- live form -------------------------------------------------------
    def widget(self) -> Any:
        """ipywidgets sliders that redraw the figure in a live kernel."""
        import ipywidgets

        def show(**kwargs: Any) -> None:
            fig = self.draw(**kwargs)
            plt.show()
            plt.close(fig)

        controls = {
            name: ipywidgets.SelectionSlider(
                options=[(_format(v), v) for v in values], value=values[self.start[name]], description=name,
                continuous_update=False,
            )
            for name, values in self.params.items()
        }
        return ipywidgets.interactive(show, **controls)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        mode = os.environ.get("DLCORE_EXPLORER", "both")
        names = ", ".join(self.params)
        bundle: dict[str, Any] = {"text/plain": f"Explorer({names}): move the sliders to change the figure"}
        if mode != "live":
            bundle["text/html"] = self.to_html()
        if mode != "static":
            try:
                live = self.widget()._repr_mimebundle_()
            except Exception:  # no ipywidgets or no kernel: the frames are enough
                live = {}
            bundle.update({k: v for k, v in (live or {}).items() if k != "text/plain"})
        return bundle


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no "</script>" can end it early)."""
    return json.dumps(value).replace("</", "<\\/")


def _distance(a: Any, b: Any) -> float:
    try:
        return float(a) - float(b)
    except (TypeError, ValueError):
        return 0.0 if a == b else 1.0


def explore(draw: Callable[..., Figure], *, title: str = "", dpi: int = 72, defaults: dict[str, Any] | None = None,
            **params: Sequence[Any]) -> Explorer:
    """Make an :class:`Explorer`: ``explore(draw, w=np.linspace(-2, 2, 9))``."""
    return Explorer(draw, params, defaults=defaults, dpi=dpi, title=title)
