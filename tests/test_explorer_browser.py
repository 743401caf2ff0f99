"""lifsim.explore() in a real browser, used with a mouse.

Voila serves a notebook that calls ``lifsim.explore()`` on 127.0.0.1; Chromium (driven by Playwright) opens it at
1,400 and 1,000 px wide and checks what a student meets:

* every slider handle is hit-testable where it is drawn (``document.elementFromPoint`` at the handle's centre is the
  handle, not the figure drawn over it);
* dragging the time constant's handle with the mouse (down, move, up) changes its value and the figure;
* on a narrow page (800 and 600 px), and in JupyterLab beside its open file browser at windows of 1,000-1,400 px
  (an output area 570-870 px wide), the figure keeps a readable width, below the controls where it does not fit
  beside them;
* a value the model refuses (V_reset dragged above the threshold) is named instead of a figure, and the figure
  comes back at the next valid value;
* in JupyterLab (what the ``notebook`` extra installs), the notebook's cell run, dragging the time constant's
  handle with the mouse changes its value and the figure is drawn again for it;
* screenshots of each width are kept as artefacts in ``$LIFSIM_ARTEFACTS/explorer`` (default
  ``build/artefacts/explorer`` in the repository).

A busy machine must not make it fail: requests that would leave the machine (Voila's page links Font Awesome and
Mermaid from CDNs) are aborted at once instead of holding the page until a network timeout, the page is awaited only
until its HTML has arrived, and the test then waits for the widget itself (the kernel starting and running the cell
is what takes time), with generous limits.

Skipped, with the reason, where Chromium, Voila or Playwright is missing, the JupyterLab test where JupyterLab is
(CI installs Chromium from the Debian packages: ``.ci/run``; JupyterLab comes with the ``notebook`` extra).
"""

from __future__ import annotations

import contextlib
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
#: pages narrower than the controls' column and a readable figure side by side (460 + 480 px)
NARROW_WIDTHS = (600, 800)
#: the narrowest the figure (drawn 720 px wide) may be shown: two thirds of its size
FIGURE_MIN_PX = 480
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


@contextlib.contextmanager
def serving(argv: list[str], folder: Path, port: int, log_path: Path, env: dict[str, str] | None = None):
    """Run the server ``argv`` in ``folder`` until its ``port`` answers; stop it afterwards."""
    log = log_path.open("w")
    server = subprocess.Popen(
        argv, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the server is up when its port answers
            if server.poll() is not None:
                pytest.fail(f"{argv[2]} exited with {server.returncode}: {log_path.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"{argv[2]} did not open its port within 120 s")
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """A Voila server of a notebook calling lifsim.explore(); yields its URL."""
    folder = tmp_path_factory.mktemp("voila")
    write_notebook(folder / "explore.ipynb")
    port = free_port()
    VOILA_LOG[0] = folder / "voila.log"
    argv = [sys.executable, "-m", "voila", "explore.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    with serving(argv, folder, port, VOILA_LOG[0]):
        yield f"http://127.0.0.1:{port}/"


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


BOXES = """
() => {
    const box = (sel) => { const b = document.querySelector(sel).getBoundingClientRect();
                           return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width}; };
    return {image: box('.widget-image'), controls: box('.widget-vbox')};
}
"""


@pytest.mark.parametrize("width", NARROW_WIDTHS)
def test_a_narrow_page_keeps_the_figure_readable_below_the_controls(voila, browser, width):
    """At 800 px the figure was squeezed to 310 px beside the controls (110 px at 600): it now keeps at least
    FIGURE_MIN_PX and goes below the controls when the two do not fit side by side."""
    page, _ = open_explorer(browser, voila, width)
    try:
        page.wait_for_timeout(300)
        page.screenshot(path=str(artefacts() / f"explorer-{width}px.png"), full_page=True)
        boxes = page.evaluate(BOXES)
        image, controls = boxes["image"], boxes["controls"]
        assert image["width"] >= FIGURE_MIN_PX, f"the figure is {image['width']:.0f} px wide on a {width} px page"
        beside, below = image["left"] >= controls["right"] - 1, image["top"] >= controls["bottom"] - 1
        assert beside or below, f"the figure overlaps the controls: {boxes}"
        assert image["right"] <= width + 1, f"the figure runs off the page: {boxes}"
        missed = [h for h in page.evaluate(HIT_TEST) if not h["ok"] or h["w"] < 5]
        assert missed == [], f"slider handles covered by something else at {width} px: {missed}"
    finally:
        page.close()


#: JupyterLab windows (file browser open) where the figure was shown 108, 254 and 400 px wide beside the controls
LAB_WIDTHS = (1000, 1200, 1400)
LAB_TOKEN = "lifsim-browser-test"


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server whose root holds a notebook calling lifsim.explore(); yields its URL."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (pip install '.[notebook]')")
    folder = tmp_path_factory.mktemp("jupyterlab")
    (folder / "root").mkdir()
    write_notebook(folder / "root" / "explore.ipynb")
    port = free_port()
    # settings, workspaces and runtime files of its own: none of the machine's, none left behind
    names = ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")
    env = {name: str(folder / name.lower()) for name in names}
    argv = [
        *(sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1"),
        *(f"--IdentityProvider.token={LAB_TOKEN}", "--allow-root", f"--ServerApp.root_dir={folder / 'root'}"),
    ]
    with serving(argv, folder / "root", port, folder / "jupyterlab.log", env):
        yield f"http://127.0.0.1:{port}/"


def run_first_cell(page, tries: int = 3) -> None:
    """Run the notebook's cell with the mouse (the cell, then the toolbar's Run button). A kernel just started can
    drop the first request although JupyterLab already says Idle: clicked again until the cell's prompt shows it
    running or run."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    prompt = cell.locator(".jp-InputArea-prompt")
    for attempt in range(tries):
        cell.locator(".cm-content").click()
        page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:run-cell-and-select-next']").click()
        try:
            page.wait_for_function(
                "(p) => /\\[[0-9*]+\\]/.test(p.innerText)", arg=prompt.element_handle(), timeout=30_000
            )
            return
        except sync_api.TimeoutError:
            if attempt == tries - 1:
                raise


#: JupyterLab's status bar says the kernel is idle: the values a drag sent have been handled
KERNEL_IDLE = "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText ?? '')"
#: the figure is loaded and has not changed for ``ms`` milliseconds: the kernel has drawn the last value of a drag
#: (each value the drag passed through is simulated and drawn in turn, seconds each on a busy machine)
SETTLED = """([sel, ms]) => {
    const i = document.querySelector(sel), now = performance.now();
    if (!i || !i.complete || !i.naturalWidth) return false;
    if (window.lifsimShown !== i.src) { window.lifsimShown = i.src; window.lifsimSince = now; return false; }
    return now - window.lifsimSince > ms;
}"""


def open_in_jupyterlab(page, url: str, width: int) -> None:
    """JupyterLab's page of the notebook, its cell run with the mouse, until the explorer's figure is drawn."""
    page.goto(f"{url}lab/tree/explore.ipynb?token={LAB_TOKEN}", wait_until="commit", timeout=WIDGET_TIMEOUT_MS)
    page.locator(".jp-Notebook .jp-CodeCell .cm-content").first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
        state="attached", timeout=WIDGET_TIMEOUT_MS
    )
    run_first_cell(page)
    try:
        page.locator(HANDLE).first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
        page.wait_for_function(
            f"() => {{ const i = document.querySelector('{IMAGE}'); return i && i.naturalWidth > 0; }}",
            timeout=WIDGET_TIMEOUT_MS,
        )
    except sync_api.TimeoutError:
        page.screenshot(path=str(artefacts() / f"jupyterlab-{width}px-timeout.png"), full_page=True)
        raise


@pytest.mark.parametrize("width", LAB_WIDTHS)
def test_in_jupyterlab_beside_its_file_browser_the_figure_stays_readable(jupyterlab, browser, width):
    """The teacher's JupyterLab, its file browser open: the figure was squeezed to 108-400 px beside the controls;
    it now keeps at least FIGURE_MIN_PX, below them."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith((jupyterlab, "data:", "blob:"))
               else route.abort())  # fmt: skip
    try:
        open_in_jupyterlab(page, jupyterlab, width)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artefacts() / f"jupyterlab-{width}px.png"), full_page=True)
        files = page.evaluate("() => document.querySelector('.jp-FileBrowser').getBoundingClientRect().width")
        assert files > 100, "JupyterLab's file browser is not open"
        boxes = page.evaluate(BOXES)
        image, controls = boxes["image"], boxes["controls"]
        assert image["width"] >= FIGURE_MIN_PX, f"the figure is {image['width']:.0f} px wide in a {width} px window"
        assert image["left"] >= controls["right"] - 1 or image["top"] >= controls["bottom"] - 1, boxes
    finally:
        page.close()


def drag_handle_to(page, slider, fraction: float) -> None:
    """Drag ``slider``'s handle with the mouse to ``fraction`` of its track (past 1 or below 0: beyond its end)."""
    handle = slider.locator(HANDLE).bounding_box()
    track = slider.locator(".noUi-target").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], y, steps=10)
    page.mouse.up()


#: the figure has been redrawn: its src is a new blob: URL, loaded
NEW_IMAGE = "([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old && i.naturalWidth; }"


def readout_of(slider) -> float:
    return float(slider.locator(".widget-readout").inner_text().replace("\u2212", "-"))


def test_a_refused_value_shows_its_reason_instead_of_the_figure(voila, browser):
    """Spiking on, V_reset dragged to -40 mV, above the threshold: the reason is named and the figure of the
    previous values is no longer shown as if it were this one's; the next valid value draws its own figure."""
    page, _ = open_explorer(browser, voila, 1400)
    try:
        image = page.locator(IMAGE)
        first = page.get_attribute(IMAGE, "src")
        page.locator(".widget-checkbox", has_text="spiking").locator("input").click()  # V_reset matters now
        page.wait_for_function(NEW_IMAGE, arg=[IMAGE, first], timeout=REDRAW_TIMEOUT_MS)
        slider = page.locator(".widget-slider", has_text="reset V_reset")
        drag_handle_to(page, slider, 1.2)
        message = page.locator(".widget-html", has_text="vr:")
        message.wait_for(state="visible", timeout=REDRAW_TIMEOUT_MS)
        assert readout_of(slider) == -40.0
        assert "threshold" in message.inner_text()
        page.wait_for_timeout(1000)  # the kernel's other updates of this move, if any, have arrived
        page.screenshot(path=str(artefacts() / "explorer-refused.png"), full_page=True)
        assert not image.is_visible(), "the previous values' figure is still shown beside the refusal"
        refused = page.get_attribute(IMAGE, "src")
        drag_handle_to(page, slider, 0.3)  # about -75 mV: below the threshold again
        image.wait_for(state="visible", timeout=REDRAW_TIMEOUT_MS)
        page.wait_for_function(NEW_IMAGE, arg=[IMAGE, refused], timeout=REDRAW_TIMEOUT_MS)  # its own figure
        assert readout_of(slider) < -50.0
        assert message.count() == 0  # the refusal is gone with it
        page.screenshot(path=str(artefacts() / "explorer-refused-then-valid.png"), full_page=True)
    finally:
        page.close()


ON_TOP = "([x, y]) => { const e = document.elementFromPoint(x, y); return !!(e && e.closest('.noUi-handle')); }"


def handle_in_view(page, slider, tries: int = 20) -> tuple[float, float]:
    """Scroll ``slider`` to the middle of the notebook's window until its handle is what the mouse would press
    there (JupyterLab scrolls on to the next cell after running one, and at the top of the notebook's scroll area
    the handle lies under the toolbar); return the handle's centre."""
    for _ in range(tries):
        slider.evaluate("(s) => s.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        box = slider.locator(HANDLE).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        if page.evaluate(ON_TOP, [x, y]):
            return x, y
    page.screenshot(path=str(artefacts() / "jupyterlab-handle-hidden.png"), full_page=True)
    pytest.fail("the time constant's handle never came into view where the mouse could press it")


def test_in_jupyterlab_a_slider_dragged_with_the_mouse_redraws_the_figure(jupyterlab, browser):
    """What a student does after ``pip install ".[notebook]"`` (which now brings JupyterLab): open the notebook in
    JupyterLab, run its cell, and drag the time constant's handle with the mouse (down, move, up: no keyboard).
    The slider's value follows the mouse and the kernel redraws the figure: a new picture, not the old one."""
    width = 1400
    page = browser.new_page(viewport={"width": width, "height": 1100})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith((jupyterlab, "data:", "blob:"))
               else route.abort())  # fmt: skip
    try:
        open_in_jupyterlab(page, jupyterlab, width)
        slider = page.locator(".widget-slider", has_text="time constant")
        image = page.locator(IMAGE)
        before_value, before_src, before_picture = readout_of(slider), image.get_attribute("src"), image.screenshot()
        x, y = handle_in_view(page, slider)  # after the figure's screenshot, which scrolls the figure into view
        page.screenshot(path=str(artefacts() / "jupyterlab-drag-before.png"), full_page=True)
        track = slider.locator(".noUi-target").bounding_box()
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(track["x"] + 0.6 * track["width"], y, steps=10)  # from 20 ms to 60 % of the track
        page.mouse.up()
        page.wait_for_function(NEW_IMAGE, arg=[IMAGE, before_src], timeout=REDRAW_TIMEOUT_MS)
        page.wait_for_function(KERNEL_IDLE, polling=250, timeout=REDRAW_TIMEOUT_MS)
        page.wait_for_function(SETTLED, arg=[IMAGE, 3000], polling=250, timeout=REDRAW_TIMEOUT_MS)
        page.wait_for_function(KERNEL_IDLE, polling=250, timeout=REDRAW_TIMEOUT_MS)
        after_value = readout_of(slider)
        assert after_value > before_value + 5, (before_value, after_value)  # dragged right: a longer tau (ms)
        assert image.screenshot() != before_picture, "the figure did not change"
        page.screenshot(path=str(artefacts() / "jupyterlab-drag-after.png"), full_page=True)
    finally:
        page.close()
