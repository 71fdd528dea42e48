"""Students' side in a real JupyterLab: every chapter's solution notebook runs
from top to bottom, the nbgrader toolbar is there, and every explorer is a
live ipywidgets control whose slider redraws the figure.

Runs JupyterLab (from .venv) on 127.0.0.1 and drives Debian's Chromium with
Playwright. Skipped, loudly, only where /usr/bin/chromium is missing
(.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from conftest import CHROMIUM, ROOT

TOKEN = "course-test-token"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("lab"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="BROWSER TESTS DID NOT RUN: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does)",
    ),
]

NOTEBOOKS = sorted(ROOT.glob("solutions/*/*.ipynb"))


def explorer_count(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum("explore(" in c.source for c in nb.cells if c.cell_type == "code")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shut_down_kernels(lab: str) -> None:
    """Stop every kernel of the server, so that the next notebook runs on a quiet machine."""
    headers = {"Authorization": f"token {TOKEN}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab}/api/kernels", headers=headers)) as reply:
        kernels = json.load(reply)
    for kernel in kernels:
        request = urllib.request.Request(f"{lab}/api/kernels/{kernel['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(request).close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server over copies of the solution notebooks; yields its base URL."""
    root = tmp_path_factory.mktemp("lab")
    for nb in NOTEBOOKS:
        shutil.copy(nb, root / f"{nb.parent.name}.ipynb")
    # Render every cell (JupyterLab 4 leaves cells outside the viewport out of the page).
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = free_port()
    env = dict(os.environ, DLCORE_EXPLORER="live", JUPYTER_CONFIG_DIR=str(root / ".config"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"), JUPYTERLAB_SETTINGS_DIR=str(root / ".settings"))
    log = (root / "lab.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {(root / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_solution_runs_in_jupyterlab_and_explorers_move(lab: str, browser, notebook: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(lab) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    # A workspace of its own, reset, so that no tab or kernel of another test's notebook comes back.
    name = notebook.parent.name
    page.goto(f"{lab}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    assert page.locator(".jp-Notebook").count() == 1, "another notebook is open beside this one"
    page.wait_for_selector("text=Validate", timeout=30_000)  # nbgrader's toolbar button
    page.wait_for_selector("text=| Idle", timeout=90_000)  # the kernel is up
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("text=Run All Cells")
    # every code cell has run when each prompt shows an execution count, [12]:
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);"
        " const failed = [...document.querySelectorAll(\"[data-mime-type='application/vnd.jupyter.stderr']\")]"
        "   .some(e => e.textContent.includes('Error'));"
        " return failed || (p.length > 0 && p.every(t => /\\[\\d+\\]/.test(t))); }",
        timeout=300_000,
    )
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    tracebacks = [e for e in errors if "Error" in e]
    assert not tracebacks, f"{notebook.parent.name}: errors while running the solution: {tracebacks[:2]}"
    explorers = page.locator(".widget-interact")
    expected = explorer_count(notebook)
    assert explorers.count() == expected, f"found {explorers.count()} live explorers, expected {expected}"
    for i in range(expected):
        box = explorers.nth(i)
        box.scroll_into_view_if_needed()
        image = box.locator("img").first
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")
        handle = box.locator(".noUi-handle").first
        handle.focus()
        at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        page.keyboard.press("Home" if at_end else "End")
        page.wait_for_function(
            "([el, old]) => { const img = el.querySelector('img'); return img && img.getAttribute('src') !== old; }",
            arg=[box.element_handle(), before],
            timeout=30_000,
        )
    assert not outside, f"requests left the machine: {outside[:5]}"
    page.close()
    shut_down_kernels(lab)
