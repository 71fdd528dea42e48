"""Every page of the built book in a real browser (Debian's Chromium driven by
Playwright), served from 127.0.0.1 with every other request blocked: no console
error, the sidebar shows the numbered chapters, math typeset and no display
equation cut off at desktop width, every image loaded, every explorer's sliders
change the figure. A full-page screenshot of each
page goes to _build/screenshots/ for a person to look at.

Chromium is /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs
it). Playwright never downloads a browser here. Without Chromium these tests are
skipped with a message saying so.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_offline import toc_entries, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("book")]

SCREENSHOTS = ROOT / "_build" / "screenshots"
TIMEOUT_MS = 60_000  # per wait; a loaded 2-core machine needs ~15 s for the heaviest page

# Console messages that may appear, each with the reason it is not the book's fault.
# Empty: the theme's "invalid theme mode" error is fixed by html_context.default_mode
# and sphinx_thebe's duplicated `const THEBE_JS_URL` by leaving sphinx_thebe out
# (_config.yml). Add an entry only with a reason.
TOLERATED_CONSOLE: dict[str, str] = {}


# -- fixtures (the session `browser` is in conftest.py, shared with test_lab.py) --
@pytest.fixture(scope="session")
def site(built_book: Path) -> Iterator[str]:
    """The built book served by http.server on 127.0.0.1 (random port), in a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_book)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Visit:
    """A browser tab on the local site that records what goes wrong while it is open."""

    def __init__(self, browser: Any, site: str) -> None:
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.outside: list[str] = []  # requests that tried to leave 127.0.0.1 (blocked)
        self.console: list[str] = []
        self.bad_responses: list[str] = []
        self.context.route("**/*", self._route)
        self.context.route_web_socket(re.compile(".*"), self._web_socket)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_failed)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.site):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def _web_socket(self, ws: Any) -> None:
        self.outside.append(ws.url)
        ws.close()

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "assert"):
            text = message.text
            if not any(re.search(pattern, text) for pattern in TOLERATED_CONSOLE):
                self.console.append(f"console.{message.type}: {text} ({message.location.get('url', '')})")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.url}")

    def _on_failed(self, request: Any) -> None:
        if request.url.startswith(self.site):
            self.bad_responses.append(f"failed {request.url}: {request.failure}")

    def open(self, file: str) -> None:
        self.page.goto(self.site + f"{file}.html", wait_until="load")
        # MathJax typesets after load; its startup promise resolves when the page is done.
        self.page.wait_for_function(
            "() => !document.querySelector('.math') || (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        )
        self.page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : true")

    def problems(self) -> dict[str, list[str]]:
        found = {"requests outside 127.0.0.1": self.outside, "console errors": self.console,
                 "failed responses": self.bad_responses}
        return {k: v for k, v in found.items() if v}

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """_build/screenshots/ of the repository, emptied once per run (no stale pictures of old pages)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*"):
        if old.suffix in {".png", ".jpg"}:
            old.unlink()
    return SCREENSHOTS


@pytest.fixture
def visit(browser: Any, site: str) -> Iterator[Visit]:
    tab = Visit(browser, site)
    try:
        yield tab
    finally:
        tab.close()


# -- what a page must do -----------------------------------------------------
MATH_STATE = """() => {
  const math = Array.from(document.querySelectorAll('.math'));
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .MathJax';
  const walker = document.createTreeWalker(document.querySelector('article') || document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(skip) || !node.parentElement.checkVisibility()) continue;
    const m = node.textContent.match(/\\\\\\(|\\\\\\[|\\$\\$|\\\\begin\\{|\\\\[a-zA-Z]{2,}\\b/);
    if (m) raw.push(node.textContent.trim().slice(0, 120));
  }
  return {
    math: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
    containers: document.querySelectorAll('mjx-container').length,
    errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]')).map(e =>
      e.getAttribute('data-mjx-error') || e.textContent),
    raw: raw,
  };
}"""

WIDE_EQUATIONS = """() => Array.from(document.querySelectorAll('article mjx-container[display="true"]'))
  .filter(e => e.scrollWidth > e.clientWidth + 2)
  .map(e => `${e.scrollWidth} px wide in ${e.clientWidth} px: ${e.textContent.slice(0, 70)}`)"""

IMAGES_LOADED = """() => Array.from(document.images).every(i => i.complete)"""
BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(i => !(i.complete && i.naturalWidth > 0))
  .map(i => (i.getAttribute('src') || '').slice(0, 100))"""

EXPLORERS = """() => Array.from(document.querySelectorAll('.dlcore-explorer')).map(root => ({
  id: root.id,
  frame: root.getAttribute('data-frame'),
  sliders: Array.from(root.querySelectorAll('input.dlcore-slider')).map(s => ({
    name: s.getAttribute('aria-label'), value: +s.value, max: +s.max,
  })),
}))"""

SHOWN = """root => {
  const img = root.querySelector('img.dlcore-frame');
  return {frame: root.getAttribute('data-frame'), src: img.getAttribute('src'),
          outputs: Array.from(root.querySelectorAll('output')).map(o => o.textContent),
          values: Array.from(root.querySelectorAll('input.dlcore-slider')).map(s => s.value),
          loaded: img.complete && img.naturalWidth > 0};
}"""

MOVE = """(root, args) => {
  const slider = root.querySelectorAll('input.dlcore-slider')[args.index];
  slider.value = String(args.value);
  slider.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def screenshot_name(file: str) -> str:
    return file.replace("/", "__")


def check_math(visit: Visit, file: str) -> None:
    state = visit.page.evaluate(MATH_STATE)
    assert not state["untypeset"], f"{file}: math not typeset by MathJax: {state['untypeset'][:5]}"
    assert state["containers"] >= state["math"], f"{file}: {state['math']} math elements, {state['containers']} typeset"
    assert not state["errors"], f"{file}: MathJax could not typeset: {state['errors'][:5]}"
    assert not state["raw"], f"{file}: raw TeX left in the visible text: {state['raw'][:5]}"


def check_equations_fit(visit: Visit, file: str) -> None:
    """At desktop width no display equation is wider than the text column (it would be cut off)."""
    wide = visit.page.evaluate(WIDE_EQUATIONS)
    assert not wide, f"{file}: display equations cut off at the column's edge at 1280 px: {wide}"


def wait_for_images(visit: Visit) -> None:
    visit.page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    visit.page.wait_for_function(IMAGES_LOADED)


def check_images(visit: Visit, file: str) -> int:
    wait_for_images(visit)
    broken = visit.page.evaluate(BROKEN_IMAGES)
    assert not broken, f"{file}: images that did not load: {broken}"
    return visit.page.evaluate("() => document.images.length")


def check_explorers(visit: Visit, screenshots: Path, file: str) -> int:
    """Every slider of every explorer changes the frame shown (and its label), and the frame loads."""
    explorers = visit.page.evaluate(EXPLORERS)
    for n, explorer in enumerate(explorers):
        root = visit.page.locator(f"#{explorer['id']}")
        root.scroll_into_view_if_needed()
        assert explorer["sliders"], f"{file}: explorer {n} has no slider"
        root.screenshot(path=screenshots / f"{screenshot_name(file)}__explorer{n}_before.png")
        for index, slider in enumerate(explorer["sliders"]):
            before = root.evaluate(SHOWN)
            value = (slider["value"] + 1) % (slider["max"] + 1)
            root.evaluate(MOVE, {"index": index, "value": value})
            after = root.evaluate(SHOWN)
            where = f"{file}: explorer {n}, slider {slider['name']!r} moved to {value}"
            assert after["values"][index] == str(value), f"{where}: the slider did not move"
            assert after["frame"] != before["frame"], f"{where}: data-frame stayed {before['frame']}"
            assert after["src"] != before["src"], f"{where}: the image did not change"
            assert after["outputs"][index] != before["outputs"][index], f"{where}: the label stayed"
            visit.page.wait_for_function("img => img.complete", arg=root.locator("img.dlcore-frame").element_handle())
            assert root.evaluate(SHOWN)["loaded"], f"{where}: the new frame is not a loadable image"
        # A reader's keyboard moves the first slider too (a real input event from the browser).
        first = root.locator("input.dlcore-slider").first
        before = root.evaluate(SHOWN)
        first.focus()
        visit.page.keyboard.press("End" if before["values"][0] != str(explorer["sliders"][0]["max"]) else "Home")
        assert root.evaluate(SHOWN)["frame"] != before["frame"], f"{file}: explorer {n} ignores the keyboard"
        root.screenshot(path=screenshots / f"{screenshot_name(file)}__explorer{n}_after.png")
    return len(explorers)


def check_sidebar(visit: Visit, file: str) -> None:
    """The chapter navigation is visible and lists the toc's entries, numbered where the toc says so."""
    nav = visit.page.locator("nav.bd-docs-nav")
    assert nav.is_visible(), f"{file}: the chapter navigation is not visible at 1280 px"
    shown = [t.strip() for t in nav.locator("ul.bd-sidenav:not(.bd-sidenav__home-link) > li.toctree-l1 > a")
             .all_inner_texts()]
    entries = toc_entries()
    assert len(shown) == len(entries), f"{file}: the sidebar shows {shown}, the toc has {[f for f, _ in entries]}"
    count = 0
    for text, (entry, numbered) in zip(shown, entries):
        if numbered:
            count += 1
            assert text.startswith(f"{count}. "), f"{file}: sidebar entry {text!r} ({entry}), expected '{count}. ...'"


# -- the tests ---------------------------------------------------------------
@pytest.mark.parametrize("file", toc_pages())
def test_page_in_the_browser(visit: Visit, built_book: Path, screenshots: Path, file: str) -> None:
    start = time.monotonic()
    times = {}
    visit.open(file)
    times["load"] = time.monotonic() - start
    wait_for_images(visit)
    # The page as a reader first sees it (before any slider moves), saved before any check can fail.
    visit.page.screenshot(path=screenshots / f"{screenshot_name(file)}.jpg", full_page=True, type="jpeg", quality=85)
    times["screenshot"] = time.monotonic() - start
    check_sidebar(visit, file)
    check_math(visit, file)
    check_equations_fit(visit, file)
    images = check_images(visit, file)
    explorers_in_html = (built_book / f"{file}.html").read_text(encoding="utf-8").count('class="dlcore-explorer"')
    explorers = check_explorers(visit, screenshots, file)
    times["checks"] = time.monotonic() - start
    assert explorers == explorers_in_html, f"{file}: {explorers_in_html} explorers in the HTML, {explorers} in the page"
    widgets = visit.page.locator('script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets').count()
    assert widgets == 0, f"{file}: {widgets} ipywidgets views, which need a kernel (nb_mime_priority_overrides)"
    assert not visit.problems(), f"{file}: {visit.problems()}"
    print(f"{file}: {images} images, {explorers} explorers; seconds after start: "
          + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))


def test_the_harness_catches_outside_requests_and_errors(visit: Visit) -> None:
    """The checks above can fail: a request to a CDN is blocked and reported, so is a script error."""
    visit.open(toc_pages()[0])
    assert not visit.problems()
    visit.page.evaluate("""() => {
      const s = document.createElement('script'); s.src = 'https://cdn.jsdelivr.net/npm/x/x.js';
      document.head.appendChild(s);
      const i = new Image(); i.src = 'https://example.org/x.png'; document.body.appendChild(i);
      setTimeout(() => { throw new Error('boom from the book'); }, 0);
    }""")
    visit.page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    visit.page.wait_for_timeout(200)
    problems = visit.problems()
    assert {"https://cdn.jsdelivr.net/npm/x/x.js", "https://example.org/x.png"} <= set(
        problems.get("requests outside 127.0.0.1", [])), problems
    assert any("boom from the book" in m for m in problems.get("console errors", [])), problems
