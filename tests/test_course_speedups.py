"""dlcore.course.feedback and dlcore.course.speedups: nbgrader's work, the same results, less time."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

from dlcore.course.feedback import _CACHE, NO_ALT, FeedbackExporter
from dlcore.course.speedups import share_engines


def _notebook() -> nbformat.NotebookNode:
    plot = nbformat.v4.new_code_cell("plot(x)")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    failed = nbformat.v4.new_code_cell("check(relu, 'relu')")
    failed.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="relu is not right yet",
                                             traceback=["CheckFailed: relu is not right yet"])]
    printed = nbformat.v4.new_code_cell("print(1 < 2)")
    printed.outputs = [nbformat.v4.new_output("stream", name="stdout", text="True & <done>\n")]
    text = nbformat.v4.new_markdown_cell("# ReLU\n\n$\\max(0, z)$, ![a plot](a.png) and <img src='b.png'>")
    return nbformat.v4.new_notebook(cells=[text, plot, failed, printed])


def test_the_page_says_what_htmlexporter_says() -> None:
    nb = _notebook()
    ours, _ = FeedbackExporter(template_name="classic").from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert BeautifulSoup(ours, "html.parser").get_text() == BeautifulSoup(theirs, "html.parser").get_text()
    assert "relu is not right yet" in ours and "True &amp; &lt;done&gt;" in ours


def test_every_image_has_alt_text_and_given_alt_text_is_kept() -> None:
    html, _ = FeedbackExporter(template_name="classic").from_notebook_node(_notebook())
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 3
    assert all(" alt=" in img for img in images)
    assert sum(NO_ALT in img for img in images) == 2  # the figure and the markdown <img> without one
    assert any('alt="a plot"' in img for img in images)


def test_templates_are_compiled_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from jinja2 import Environment

    FeedbackExporter(template_name="classic").from_notebook_node(_notebook())  # fills the cache
    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args: object, **kw: object) -> object:
        compiled.append(str(name))
        return original(self, source, name, *args, **kw)

    monkeypatch.setattr(Environment, "compile", counting)
    FeedbackExporter(template_name="classic").from_notebook_node(_notebook())
    assert compiled == []
    _CACHE.clear()
    FeedbackExporter(template_name="classic").from_notebook_node(_notebook())
    assert compiled, "with the cache cleared the templates are compiled again"


def test_gradebooks_share_one_engine_and_survive_each_others_close(tmp_path: Path) -> None:
    import nbgrader.api
    from nbgrader.api import Gradebook

    from dlcore.course import ensure_path

    ensure_path()  # a new gradebook runs `alembic` from PATH
    original = nbgrader.api.create_engine
    try:
        share_engines()
        share_engines()  # twice is harmless
        url = f"sqlite:///{tmp_path / 'gradebook.db'}"
        with Gradebook(url) as first:
            first.add_student("ada")
            with Gradebook(url) as second:
                assert second.engine is first.engine
                second.add_student("alan")
            assert sorted(s.id for s in first.students) == ["ada", "alan"]  # still usable after the other closed
        with Gradebook(url) as again:
            assert sorted(s.id for s in again.students) == ["ada", "alan"]
    finally:
        nbgrader.api.create_engine = original


def test_highlighting_is_remembered_per_source_and_language() -> None:
    from nbconvert.filters.highlight import Highlight2HTML

    from dlcore.course.feedback import CachedHighlight

    class Counting(Highlight2HTML):
        calls: list[str] = []

        def __call__(self, source: str, language: str | None = None, metadata: object = None) -> str:
            self.calls.append(source)
            return super().__call__(source, language, metadata)

    plain = Highlight2HTML(pygments_lexer="ipython3")
    CachedHighlight._html.clear()
    cached = CachedHighlight(Counting(pygments_lexer="ipython3"))
    source = "def relu(z):\n    return np.maximum(z, 0)"
    first = cached(source, metadata={"nbgrader": {"grade_id": "relu"}})
    assert first == plain(source) and "relu" in first
    assert cached(source, metadata={"tags": ["other"]}) == first  # the rest of the metadata does not matter
    assert Counting.calls == [source]
    assert cached("%%bash\nls", metadata={"magics_language": "bash"}) == plain(
        "%%bash\nls", metadata={"magics_language": "bash"})
    assert cached("x = 1", language="python") == plain("x = 1", language="python")
    assert len(Counting.calls) == 3


def test_metadata_checks_give_the_same_verdicts_with_the_schema_checked_once() -> None:
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError
    from nbgrader.nbgraderformat import common

    from dlcore.course.speedups import check_schemas_once

    good = nbformat.v4.new_code_cell("check(relu, 'relu')")
    good.metadata["nbgrader"] = {"grade": True, "grade_id": "check_relu", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    bad = copy.deepcopy(good)
    bad.metadata["nbgrader"]["points"] = "one"
    original = common.jsonschema
    try:
        verdicts = []
        for patched in (False, True):
            if patched:
                check_schemas_once()
                check_schemas_once()  # twice is harmless
                assert common.jsonschema is not original
            validator = MetadataValidator()
            for _ in range(30):
                validator.validate_cell(copy.deepcopy(good))
            with pytest.raises(ValidationError) as error:
                validator.validate_cell(copy.deepcopy(bad))
            verdicts.append(str(error.value).splitlines()[0])
        assert verdicts[0] == verdicts[1] and "one" in verdicts[0]
        assert len(common.jsonschema._validators) == 1  # one schema, checked once
        assert common.jsonschema.ValidationError is jsonschema.ValidationError
    finally:
        common.jsonschema = original
