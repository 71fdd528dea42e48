"""The feedback exporter: nbgrader's HTML feedback, made in a third of the time.

Three costs of nbconvert's ``HTMLExporter`` are paid again for every student:

* nbgrader builds a new exporter for every ``generate_feedback`` call, and
  each new exporter parses and compiles the same Jinja templates again (about
  0.4 s). :class:`FeedbackExporter` gives its Jinja environment a bytecode
  cache shared by the process, so a grading worker compiles the templates
  for its first student only. Jinja checks each template's source against the
  cached checksum: an edited template is compiled again.
* every code cell is highlighted by pygments again, although most cells of a
  chapter are the same in every submission: :class:`CachedHighlight` keeps
  the highlighted HTML of each source (about 0.1 s per submission);
* after rendering, ``HTMLExporter`` parses the whole page with BeautifulSoup
  (the feedback page inlines Jupyter's CSS: about 0.4 s) to add ``alt`` text
  to images without one and ``tabindex`` to JupyterLab-template cells. The
  feedback template is based on the classic one, which has no such cells;
  :class:`FeedbackExporter` adds the ``alt`` text with a regular expression.

Used in ``nbgrader_config.py``: ``c.GenerateFeedback.exporter_class = FeedbackExporter``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

__all__ = ["NO_ALT", "CachedHighlight", "FeedbackExporter", "MemoryBytecodeCache"]


class MemoryBytecodeCache(BytecodeCache):
    """Jinja bytecode kept in memory, keyed by template (and checked against its source)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


_CACHE = MemoryBytecodeCache()


class CachedHighlight:
    """nbconvert's ``highlight_code`` filter, remembering what it highlighted (up to ``size`` sources)."""

    _html: dict[tuple[str, ...], str] = {}  # shared by the process, like the templates
    _lock = threading.Lock()

    def __init__(self, highlight: Highlight2HTML, size: int = 4096) -> None:
        self.highlight, self.size = highlight, size

    def __call__(self, source: str, language: str | None = None, metadata: Any = None) -> str:
        # all the output depends on: the source, the language, and the cell's magics language
        key = (source, language or self.highlight.pygments_lexer, str((metadata or {}).get("magics_language")),
               repr(self.highlight.extra_formatter_options))
        with self._lock:
            html = self._html.get(key)
        if html is None:
            html = self.highlight(source, language, metadata)
            with self._lock:
                if len(self._html) >= self.size:
                    self._html.clear()
                self._html[key] = html
        return html


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)", re.IGNORECASE)
#: HTMLExporter's text for an image that has none.
NO_ALT = "No description has been provided for this image"


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTMLExporter (nbconvert 7): cached templates and highlighting, no BeautifulSoup pass."""

    def _create_environment(self) -> Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = _CACHE
        return environment

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """``HTMLExporter.from_notebook_node``, with ``alt`` text added by a regular expression."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code",
                             CachedHighlight(highlight) if isinstance(highlight, Highlight2HTML) else highlight)
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', html), resources
