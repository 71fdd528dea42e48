"""The built book: builds with no warning, every chapter page shows its text,
typeset math and figures, and no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


def chapter_files() -> list[str]:
    """The chapter notebooks of the toc (other pages, such as network_families, have no exercises)."""
    return [file for file in toc_files() if file.startswith("chapters/")]


def test_toc_lists_only_existing_chapters() -> None:
    for file in toc_files():
        assert (ROOT / f"{file}.ipynb").exists() or (ROOT / f"{file}.md").exists(), file


def test_every_chapter_notebook_is_in_the_toc() -> None:
    listed = set(toc_files())
    for nb in ROOT.glob("chapters/*/*.ipynb"):
        assert str(nb.relative_to(ROOT).with_suffix("")) in listed, f"{nb} is not in _toc.yml"


def rendered_page(built_book: Path, file: str, min_math: int) -> str:
    """The page's HTML, after checking it has no traceback, math and at least two figures that exist."""
    page = built_book / f"{file}.html"
    assert page.exists(), page
    html = page.read_text()
    assert "Traceback (most recent call last)" not in html, f"{file}: a traceback is rendered"
    assert html.count('class="math') >= min_math, f"{file}: too little math (fewer than {min_math} formulas)"
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(images) >= 2, f"{file}: expected figures, found {images}"
    for src in images:
        if src.startswith("data:"):  # an explorer's first frame is inlined in the page
            continue
        assert (page.parent / src).resolve().exists(), f"{file}: missing image {src}"
    return html


@pytest.mark.parametrize("file", chapter_files())
def test_chapter_page_has_text_math_and_figures(built_book: Path, file: str) -> None:
    html = rendered_page(built_book, file, min_math=5)
    assert "NotImplementedError" in html, "exercise stubs should be shown"
    assert "What you will learn" in html and "Further reading" in html


@pytest.mark.parametrize("file", ["intro", *[f for f in toc_files() if f not in chapter_files()]])
def test_other_page_has_math_and_figures(built_book: Path, file: str) -> None:
    rendered_page(built_book, file, min_math=1)


def test_index_links_every_chapter(built_book: Path) -> None:
    index = (built_book / "intro.html").read_text()
    for file in toc_files():
        assert f"{file}.html" in index, file


def test_mathjax_is_served_locally(built_book: Path) -> None:
    page = (built_book / f"{chapter_files()[0]}.html").read_text()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert mathjax and all(not s.startswith(("http:", "https:", "//")) for s in mathjax), mathjax
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").exists()
