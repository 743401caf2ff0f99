"""lifsim.explore() in a real browser, used with a mouse.

Voila serves a notebook that calls ``lifsim.explore()`` on 127.0.0.1; Chromium (driven by Playwright) opens it at
1,400 and 1,000 px wide and checks what a student meets:

* every slider handle is hit-testable where it is drawn (``document.elementFromPoint`` at the handle's centre is the
  handle, not the figure drawn over it);
* dragging the time constant's handle with the mouse (down, move, up) changes its value and the figure;
* screenshots of each width are kept as artefacts in ``$LIFSIM_ARTEFACTS/explorer`` (default
  ``build/artefacts/explorer`` in the repository).

A busy machine must not make it fail: requests that would leave the machine (Voila's page links Font Awesome and
Mermaid from CDNs) are aborted at once instead of holding the page until a network timeout, the page is awaited only
until its HTML has arrived, and the test then waits for the widget itself (the kernel starting and running the cell
is what takes time), with generous limits.

Skipped, with the reason, where Chromium, Voila or Playwright is missing (CI installs Chromium from the Debian
packages: ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytest.importorskip("voila", reason="Voila is not installed (pip install voila)")
pytest.importorskip("ipywidgets", reason="ipywidgets is not installed (pip install '.[notebook]')")

#: the figure: an ipywidgets Image (its src is a new blob: URL at every redraw)
IMAGE = ".widget-image"
HANDLE = ".noUi-handle"
#: generous limits for a busy machine: the kernel has to start, import lifsim and run its first simulation
WIDGET_TIMEOUT_MS = 240_000
REDRAW_TIMEOUT_MS = 120_000
WIDTHS = (1400, 1000)
#: the Voila server's log, quoted when the page never shows the explorer
VOILA_LOG: list[Path] = [Path("voila.log")]


def artefacts() -> Path:
    folder = Path(os.environ.get("LIFSIM_ARTEFACTS", ROOT / "build" / "artefacts")) / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_notebook(path: Path, source: str = "import lifsim\nlifsim.explore()") -> None:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}  # fmt: skip
    notebook = {
        "cells": [cell],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """A Voila server of a notebook calling lifsim.explore(); yields its URL."""
    folder = tmp_path_factory.mktemp("voila")
    write_notebook(folder / "explore.ipynb")
    port = free_port()
    VOILA_LOG[0] = folder / "voila.log"
    log = VOILA_LOG[0].open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", "explore.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the server is up when its port answers
            if server.poll() is not None:
                pytest.fail(f"voila exited with {server.returncode}: {(folder / 'voila.log').read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("voila did not open its port within 120 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        try:
            yield chromium
        finally:
            chromium.close()


def open_explorer(browser, url: str, width: int):
    """A page at ``width`` px showing the explorer, every request that would leave the machine aborted."""
    page = browser.new_page(viewport={"width": width, "height": 1100})
    left: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(url) or request_route.request.url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            left.append(request_route.request.url)
            request_route.abort()

    console: list[str] = []
    page.on("console", lambda message: console.append(message.text[:300]))
    page.route("**/*", route)
    page.goto(url, wait_until="commit", timeout=WIDGET_TIMEOUT_MS)
    try:
        page.wait_for_selector(HANDLE, state="visible", timeout=WIDGET_TIMEOUT_MS)
        page.wait_for_function(
            f"() => {{ const i = document.querySelector('{IMAGE}'); return i && i.naturalWidth > 0; }}",
            timeout=WIDGET_TIMEOUT_MS,
        )
    except sync_api.TimeoutError:
        page.screenshot(path=str(artefacts() / f"explorer-{width}px-timeout.png"), full_page=True)
        server = VOILA_LOG[0].read_text()[-3000:] if VOILA_LOG[0].exists() else ""
        pytest.fail(
            f"no explorer on the page at {width} px; the browser's console said: {console[-20:]}; Voila's log: {server}"
        )
    return page, left


HIT_TEST = """
() => Array.from(document.querySelectorAll('.widget-slider')).filter(s => s.offsetParent !== null).map(s => {
    const handle = s.querySelector('.noUi-handle');
    const box = handle.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    return {label: s.querySelector('.widget-label').innerText, x, y, w: box.width, h: box.height,
            hit: hit === null ? null : hit.tagName + '.' + hit.className,
            ok: hit !== null && (hit === handle || handle.contains(hit))};
})
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_slider_handle_can_be_hit_and_dragged(voila, browser, width):
    page, left = open_explorer(browser, voila, width)
    try:
        page.screenshot(path=str(artefacts() / f"explorer-{width}px.png"), full_page=True)
        handles = page.evaluate(HIT_TEST)
        assert len(handles) >= 10, handles  # every slider but the noise slider the input does not use
        missed = [h for h in handles if not h["ok"] or h["w"] < 5]
        assert missed == [], f"slider handles covered by something else at {width} px: {missed}"
        # the figure sits beside the controls, never over them
        controls = page.evaluate("() => document.querySelector('.widget-vbox').getBoundingClientRect().width")
        assert controls >= 400, f"the controls' column shrank to {controls} px at {width} px"

        slider = page.locator(".widget-slider", has_text="time constant")
        readout = slider.locator(".widget-readout")
        before_value = readout.inner_text()
        before_image = page.get_attribute(IMAGE, "src")
        box = slider.locator(HANDLE).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y, steps=8)
        page.mouse.up()
        page.wait_for_function(
            "([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old && i.naturalWidth; }",
            arg=[IMAGE, before_image],
            timeout=REDRAW_TIMEOUT_MS,
        )
        after_value = readout.inner_text()
        assert float(after_value) > float(before_value), (before_value, after_value)  # dragged right: a longer tau
        page.wait_for_timeout(300)
        page.screenshot(path=str(artefacts() / f"explorer-{width}px-dragged.png"), full_page=True)
        assert all(not u.startswith(voila) for u in left)
    finally:
        page.close()


def test_the_noise_slider_follows_the_input_and_reads_the_tutorials_amplitude(voila, browser):
    page, _ = open_explorer(browser, voila, 1400)
    try:
        amplitude = page.locator(".widget-slider", has_text="noise amplitude")
        sigma = page.locator(".widget-slider", has_text="noise strength")
        assert amplitude.is_visible() and not sigma.is_visible()  # the tutorial's uniform input: A only
        assert amplitude.locator(".widget-readout").inner_text() == "1.2247"  # 0.1 sqrt(150 ms / 1 ms)
        page.locator(".widget-dropdown select").select_option("white")
        sigma.wait_for(state="visible", timeout=REDRAW_TIMEOUT_MS)
        assert not amplitude.is_visible()
    finally:
        page.close()
