"""The built book stands on its own: every page loads nothing from outside the
site (no CDN script, style, font or image; MathJax served locally; no launch
buttons that assume a server), lists the chapters in order with numbers, lets
the reader download each notebook, and every chapter page opens with what you
will learn and closes with exercises and further reading.

These tests read the built HTML and CSS; tests/test_browser.py loads the same
pages in Chromium with every request outside 127.0.0.1 blocked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

# <link rel=...> values that only name a related page; browsers fetch nothing for them.
NAVIGATION_RELS = {"canonical", "alternate", "prev", "next", "index", "search", "author", "license", "help", "top",
                   "up", "first", "last", "copyright", "glossary"}
# Attributes through which a page makes the browser fetch something, by tag.
FETCHING = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host, ws://
CSS_EXTERNAL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?\s*((?:[a-z][a-z0-9+.-]*:)?//[^'")\s;]*)""",
                          re.IGNORECASE)
CDN_HOSTS = re.compile(
    r"googleapis\.com|gstatic\.com|jsdelivr\.net|unpkg\.com|cdnjs\.|cloudflare\.com|mathjax\.org|bootstrapcdn|"
    r"fontawesome\.com/.*\.(?:js|css)|mybinder\.org|colab\.research\.google|polyfill\.io|plausible\.io",
    re.IGNORECASE,
)


# -- what the toc says -------------------------------------------------------
def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_entries() -> list[tuple[str, bool]]:
    """(file, numbered) of every top-level entry of every part, in toc order."""
    return [(ch["file"], bool(part.get("numbered"))) for part in toc()["parts"] for ch in part.get("chapters", [])]


def toc_pages() -> list[str]:
    """Every page of the book: the root, then every toc entry (and its sections)."""
    def walk(entries: list[dict]) -> list[str]:
        found = []
        for entry in entries:
            if "file" in entry:
                found.append(entry["file"])
            found.extend(walk(entry.get("sections", [])))
        return found

    return [toc()["root"], *[f for part in toc()["parts"] for f in walk(part.get("chapters", []))]]


def chapter_pages() -> list[str]:
    """The toc's pages under chapters/ (the notebooks a student works through)."""
    return [f for f in toc_pages() if f.startswith("chapters/")]


def source_of(file: str) -> Path:
    for suffix in (".ipynb", ".md"):
        if (ROOT / f"{file}{suffix}").exists():
            return ROOT / f"{file}{suffix}"
    raise FileNotFoundError(f"{file} is in _toc.yml but neither {file}.ipynb nor {file}.md exists")


# -- reading HTML ------------------------------------------------------------
class Resources(HTMLParser):
    """Collects every address a page makes the browser fetch, with where it is."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[tuple[str, str]] = []  # (what, address)
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        names = FETCHING.get(tag, ())
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if not rels or rels - NAVIGATION_RELS:
                names = ("href", "imagesrcset")
        for name in names:
            value = values.get(name, "").strip()
            # srcset: "a.png 1x, b.png 2x"; any other attribute holds one address (maybe data:...,...)
            addresses = [a.split()[0] for a in value.split(",") if a.strip()] if name.endswith("srcset") else [value]
            self.fetched.extend((f"<{tag} {name}>", a) for a in addresses if a)
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = re.sub(r"^\s*\d+\s*;?\s*(url\s*=\s*)?", "", values.get("content", ""), flags=re.IGNORECASE)
            if target:
                self.fetched.append(("<meta refresh>", target.strip("'\" ")))
        for address in CSS_EXTERNAL.findall(values.get("style", "")):
            self.fetched.append((f"<{tag} style>", address))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.fetched.extend(("<style>", address) for address in CSS_EXTERNAL.findall(data))


def fetched_by(page: Path) -> list[tuple[str, str]]:
    parser = Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return parser.fetched


def external_fetches(page: Path) -> list[tuple[str, str]]:
    return [(what, address) for what, address in fetched_by(page) if EXTERNAL.match(address)]


def html_pages(site: Path) -> list[Path]:
    """Every page of the site (not the theme's Jinja templates that Sphinx copies into _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def html_files(site: Path) -> list[Path]:
    """Every .html file of the site, templates included."""
    return sorted(site.rglob("*.html"))


def h2_titles(html: str) -> list[tuple[int, str]]:
    """(position, title) of every <h2> of the page's article, in order."""
    found = []
    for match in re.finditer(r"<h2[^>]*>(.*?)</h2>", html, flags=re.DOTALL):
        title = re.sub(r"<[^>]+>", "", match.group(1)).replace("#", "").strip()
        title = re.sub(r"^[\d.]+\s*", "", title)  # "1.9. Exercises" when sections are numbered
        found.append((match.start(), title))
    return found


def article(html: str) -> str:
    """The page's main content (without the sidebars and header)."""
    match = re.search(r'<article class="bd-article"[^>]*>(.*?)</article>', html, flags=re.DOTALL)
    assert match, "no <article class=\"bd-article\"> in the page"
    return match.group(1)


def sidebar_chapters(html: str) -> list[tuple[str, str]]:
    """(href, text) of every top-level entry of the primary sidebar's navigation."""
    nav = re.search(r'<nav class="[^"]*\bbd-docs-nav\b[^"]*"[^>]*>(.*?)</nav>', html, flags=re.DOTALL)
    assert nav, "no sidebar navigation (<nav class=\"bd-docs-nav\">) in the page"
    entries = re.findall(r'<li class="toctree-l1[^"]*">\s*<a class="[^"]*\breference internal\b[^"]*" href="([^"]*)">(.*?)</a>',
                         nav.group(1), flags=re.DOTALL)
    return [(href, re.sub(r"<[^>]+>", "", text).strip()) for href, text in entries]


# -- the tests ---------------------------------------------------------------
def test_scanner_finds_every_kind_of_external_resource(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Lato">'
        '<link rel="preload" as="font" href="http://example.org/f.woff2">'
        '<link rel="icon" href="https://example.org/favicon.ico">'
        '<link rel="prev" href="https://example.org/previous.html">'
        '<style>@import url("https://example.org/a.css"); body { background: url(https://example.org/b.png) }</style>'
        '<meta http-equiv="refresh" content="0; url=https://example.org/">'
        '</head><body><img src="https://example.org/c.png"><img src="_images/ok.png">'
        '<img srcset="local.png 1x, https://example.org/d.png 2x"><iframe src="https://example.org/e"></iframe>'
        '<div style="background-image: url(\'https://example.org/f.png\')"></div>'
        '<a href="https://example.org/a-reference">a reference is fine</a>'
        '<script src="_static/local.js"></script></body></html>'
    )
    found = {address for _, address in external_fetches(page)}
    assert found == {
        "https://cdn.jsdelivr.net/npm/x.js", "//fonts.googleapis.com/css?family=Lato", "http://example.org/f.woff2",
        "https://example.org/favicon.ico", "https://example.org/a.css", "https://example.org/b.png",
        "https://example.org/", "https://example.org/c.png", "https://example.org/d.png", "https://example.org/e",
        "https://example.org/f.png",
    }, found


def test_no_page_loads_anything_from_outside_the_site(built_book: Path) -> None:
    pages = html_pages(built_book)
    built = {p.relative_to(built_book).with_suffix("").as_posix() for p in pages}
    assert set(toc_pages()) <= built, f"toc pages missing from the build: {set(toc_pages()) - built}"
    offending = {p.relative_to(built_book).as_posix(): external_fetches(p) for p in html_files(built_book)}
    offending = {page: found for page, found in offending.items() if found}
    assert not offending, f"pages that fetch from outside the site: {offending}"


def test_every_local_resource_a_page_fetches_exists(built_book: Path) -> None:
    missing = {}
    for page in html_pages(built_book):
        for what, address in fetched_by(page):
            if address.startswith(("data:", "#")) or EXTERNAL.match(address):
                continue
            target = (page.parent / address.split("?")[0].split("#")[0]).resolve()
            if not target.exists():
                missing.setdefault(page.relative_to(built_book).as_posix(), []).append((what, address))
    assert not missing, f"pages that fetch files the site does not have: {missing}"


def test_no_stylesheet_imports_or_fetches_from_outside(built_book: Path) -> None:
    sheets = sorted(built_book.rglob("*.css"))
    assert sheets, "no CSS in the build"
    offending = {}
    for sheet in sheets:
        found = CSS_EXTERNAL.findall(sheet.read_text(encoding="utf-8", errors="replace"))
        if found:
            offending[sheet.relative_to(built_book).as_posix()] = found
    assert not offending, f"stylesheets that fetch from outside the site: {offending}"


def test_no_page_or_stylesheet_names_a_cdn(built_book: Path) -> None:
    """Not even in an inline script (a loader could fetch it later, e.g. thebe from unpkg)."""
    offending = {}
    for file in [*html_files(built_book), *built_book.rglob("*.css")]:
        hosts = sorted(set(CDN_HOSTS.findall(file.read_text(encoding="utf-8", errors="replace"))))
        if hosts:
            offending[file.relative_to(built_book).as_posix()] = hosts
    assert not offending, f"files that name a CDN: {offending}"


def test_mathjax_and_its_fonts_are_served_locally(built_book: Path) -> None:
    mathjax = built_book / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").is_file()
    fonts = list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20, f"MathJax's CHTML fonts are not bundled: {fonts}"
    for file in toc_pages():
        html = (built_book / f"{file}.html").read_text(encoding="utf-8")
        scripts = [a for w, a in fetched_by(built_book / f"{file}.html") if w == "<script src>" and "mathjax" in a]
        assert scripts and all(not EXTERNAL.match(s) for s in scripts), f"{file}: MathJax scripts {scripts}"
        config = re.search(r"window\.MathJax\s*=\s*(\{.*?\})\s*</script>", html, flags=re.DOTALL)
        assert not config or "http" not in config.group(1), f"{file}: MathJax configured with a remote path"


def test_no_launch_buttons_or_live_kernel(built_book: Path) -> None:
    launch = re.compile(r'class="[^"]*(?:launch|thebe)[^"]*"|href="[^"]*(?:mybinder|binder/|colab\.research|'
                        r'hub/user-redirect)[^"]*"|sphinx-thebe|x-thebe-config', re.IGNORECASE)
    for file in toc_pages():
        found = launch.findall((built_book / f"{file}.html").read_text(encoding="utf-8"))
        assert not found, f"{file}: launch buttons or a live kernel, which need a server: {found}"


def test_every_fetched_font_is_bundled(built_book: Path) -> None:
    """Font Awesome (pydata-sphinx-theme) ships as a local script, not a web-font CDN."""
    page = built_book / f"{toc_pages()[0]}.html"
    scripts = [a for w, a in fetched_by(page) if w == "<script src>"]
    assert any("fontawesome" in s for s in scripts), scripts
    fonts = [f for f in built_book.rglob("*") if f.suffix in {".woff", ".woff2", ".ttf", ".otf"}]
    for sheet in built_book.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+\.(?:woff2?|ttf|otf))", sheet.read_text(errors="replace")):
            assert (sheet.parent / url).resolve().exists(), f"{sheet.name} uses font {url}, not in the build"
    assert fonts, "no font files bundled at all"


# -- readable: navigation, downloads, chapter structure ---------------------
def test_chapters_are_listed_in_syllabus_order() -> None:
    numbers = [int(m.group(1)) for f in chapter_pages() if (m := re.match(r"chapters/(\d+)_", f))]
    assert numbers == sorted(numbers), f"_toc.yml lists the chapters out of order: {chapter_pages()}"
    assert all(numbered for file, numbered in toc_entries() if file.startswith("chapters/")), \
        "every part holding chapters must be `numbered: true`"


@pytest.mark.parametrize("file", toc_pages())
def test_sidebar_lists_the_chapters_in_order_with_numbers(built_book: Path, file: str) -> None:
    html = (built_book / f"{file}.html").read_text(encoding="utf-8")
    entries = sidebar_chapters(html)
    page_dir = (built_book / file).parent
    listed = [(page_dir / href.split("#")[0]).resolve().relative_to(built_book.resolve()).with_suffix("").as_posix()
              if href.split("#")[0] else file for href, _ in entries]
    expected = [f for f, _ in toc_entries()]
    assert listed[-len(expected):] == expected, f"sidebar lists {listed}, the toc {expected}"
    number = 0
    for (_, text), (entry, numbered) in zip(entries[-len(expected):], toc_entries()):
        if numbered:
            number += 1
            assert text.startswith(f"{number}. "), f"sidebar entry {entry} reads {text!r}, expected '{number}. ...'"
        else:
            assert not re.match(r"\d+\.\s", text), f"unnumbered entry {entry} reads {text!r}"


@pytest.mark.parametrize("file", toc_pages())
def test_every_page_offers_its_source_for_download(built_book: Path, file: str) -> None:
    source = source_of(file)
    html = (built_book / f"{file}.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"[^>]*\n?\s*class="[^"]*btn-download-source-button', html)
    assert links, f"{file}: no download button for the page's source"
    target = ((built_book / file).parent / links[0]).resolve()
    assert target.name == source.name, f"{file}: the download button offers {links[0]}, not {source.name}"
    assert target.read_bytes() == source.read_bytes(), f"{file}: the downloadable {target.name} is not {source}"
    if source.suffix == ".ipynb":
        nbformat.validate(nbformat.read(target, as_version=4))


@pytest.mark.parametrize("file", chapter_pages() or [pytest.param(None, marks=pytest.mark.skip("no chapter in toc"))])
def test_chapter_opens_with_what_you_will_learn_and_closes_with_exercises_and_reading(
    built_book: Path, file: str
) -> None:
    html = article((built_book / f"{file}.html").read_text(encoding="utf-8"))
    titles = h2_titles(html)
    assert len(titles) >= 3, f"{file}: too few sections: {titles}"
    learn = html.find("What you will learn")
    assert learn != -1, f"{file}: no 'What you will learn'"
    assert learn < titles[0][0], f"{file}: 'What you will learn' must come before the first section {titles[0][1]!r}"
    last_two = [t for _, t in titles[-2:]]
    assert last_two == ["Exercises", "Further reading"], \
        f"{file}: the last sections are {last_two}, expected ['Exercises', 'Further reading']"
    reading = html[titles[-1][0]:]
    assert re.search(r"<li>", reading), f"{file}: 'Further reading' lists nothing"
