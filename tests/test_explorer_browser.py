"""lifsim.explore() in a real browser: Voila serves a notebook that calls it, Chromium (driven by Playwright) moves a
slider, and the figure on the page changes.

Skipped, with the reason, where Chromium, Voila or Playwright is missing (CI installs Chromium from the Debian
packages when it can: ``.ci/run``).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time

import pytest

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytest.importorskip("voila", reason="Voila is not installed (pip install voila)")

IMAGE = ".jupyter-widgets-output-area img, .widget-output img"


def notebook(path):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": ["import lifsim\n", "lifsim.explore()"]}  # fmt: skip
    path.write_text(
        json.dumps(
            {
                "cells": [cell],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_moving_a_slider_redraws_the_figure(tmp_path):
    notebook(tmp_path / "explore.ipynb")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", "explore.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the server is up when its port answers
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
            try:
                page = browser.new_page()
                here = f"http://127.0.0.1:{port}/"
                # nothing leaves this machine: a request elsewhere (a CDN font or script) fails at once instead of
                # holding the page's load event until a network timeout
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(here) else r.abort())
                page.goto(here, wait_until="domcontentloaded", timeout=180_000)
                page.wait_for_selector(".widget-slider", timeout=180_000)
                before = page.wait_for_selector(IMAGE, timeout=180_000).get_attribute("src")
                readout = page.query_selector(".widget-slider .widget-readout")
                value_before = readout.inner_text() if readout else None
                handle = page.query_selector(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle")
                handle.focus()
                for _ in range(5):
                    page.keyboard.press("ArrowRight")
                changed = f"b => {{ const i = document.querySelector('{IMAGE}'); return i && i.src !== b; }}"
                page.wait_for_function(changed, arg=before, timeout=120_000)
                after = page.query_selector(IMAGE).get_attribute("src")
                assert after != before and after.startswith("data:image/png")
                if readout is not None:
                    assert readout.inner_text() != value_before  # the slider moved
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
