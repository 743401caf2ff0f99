"""The documentation site: its sources (hand-written pages, what the build generates) and the built site itself.

The built-site tests (marker ``docs``) build the HTML site once with ``sphinx-build -W`` (or check the one named by
``LIFSIM_DOCS_HTML``, e.g. ``docs/_build/html`` after the README's command) and read every page: no ``<script>``,
``<link>`` or ``<img>`` loads anything from another machine, and the maths of the Theory page is typeset (in
Chromium, with every request that would leave the machine aborted, where Chromium and Playwright are installed).
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def conf():
    spec = importlib.util.spec_from_file_location("lifsim_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------------- the sources
def toctree_entries(page: Path) -> list[str]:
    entries = []
    for block in re.findall(r"```\{toctree\}\n(.*?)```", page.read_text(), re.S):
        entries += [line.strip() for line in block.splitlines() if line.strip() and not line.startswith(":")]
    return entries


def test_every_hand_written_page_is_in_a_table_of_contents():
    """The guide and the developer guide are pages in docs/, each listed in its index (none cut from the README)."""
    for folder in ("guide", "developer"):
        listed = set(toctree_entries(DOCS / folder / "index.md"))
        pages = {path.stem for path in (DOCS / folder).glob("*.md")} - {"index"}
        assert pages and pages == listed, (folder, pages ^ listed)
    assert "readme" not in (DOCS / "conf.py").read_text().lower().split("def generate")[1]  # no README splitting


def test_no_page_speaks_of_a_figure_above_without_one():
    """A page that says "the figure above" shows a figure before saying it."""
    for path in DOCS.rglob("*.md"):
        if "_build" in path.parts or "_generated" in path.parts:
            continue
        text = path.read_text()
        for match in re.finditer(r"figure above", text):
            assert "![" in text[: match.start()], f"{path.relative_to(ROOT)}: 'the figure above' with no figure above"


def test_the_gallery_has_at_least_eight_titled_examples():
    scripts = sorted((ROOT / "examples" / "gallery").glob("plot_*.py"))
    assert len(scripts) >= 8
    for script in scripts:
        doc = ast.get_docstring(ast.parse(script.read_text()))
        assert doc and doc.splitlines()[1].startswith("==="), script.name  # a title sphinx-gallery can show


def run_gallery_example(name: str, monkeypatch, tmp_path):
    """Run ``examples/gallery/NAME`` as sphinx-gallery does (in a fresh namespace, figures kept open); return the
    figures it drew."""
    import runpy

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "examples" / "gallery" / name), run_name="__main__")
    figures = [plt.figure(number) for number in plt.get_fignums()]
    plt.close("all")  # closed for pyplot; the Figure objects are still whole
    return figures


def test_the_white_noise_histograms_example_draws_the_stationary_theory(monkeypatch, tmp_path):
    """The gallery's histograms of V said "by 400 ms the distribution is stationary" with no theory drawn; it now
    draws the stationary distribution lifsim's theory gives (as ``lifsim simulate --snapshots --plot`` does) for
    the snapshot late enough to be stationary."""
    (figure,) = run_gallery_example("plot_03_white_noise_histograms.py", monkeypatch, tmp_path)
    (ax,) = figure.axes
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "stationary theory, t = 400 ms" in labels, labels
    assert not any(label.startswith("stationary theory, t = 10 ms") for label in labels)  # not stationary yet
    (predicted,) = [artist for artist in ax.patches if type(artist).__name__ == "StepPatch"]
    values, edges = predicted.get_data().values, predicted.get_data().edges
    assert np.isclose(np.sum(values * np.diff(edges)), 1.0, atol=0.02)  # a density over the histogram's bins
    # the theory's dashed steps were drawn in the 400 ms histogram's colour, lost in its steps: now in a colour of
    # their own, dark, that no histogram has
    from matplotlib.colors import to_rgba

    histograms = {to_rgba(patch.get_edgecolor()) for patch in ax.patches if type(patch).__name__ == "Polygon"}
    assert len(histograms) == 3, histograms
    theory = to_rgba(predicted.get_edgecolor())
    assert theory not in histograms and sum(theory[:3]) / 3 < 0.3, (theory, histograms)


def test_the_sweep_example_runs_without_a_warning(monkeypatch, tmp_path):
    """The gallery's sweep printed two PlausibilityWarnings into the docs build (a 100 ms transient too short for
    the slowest points to forget their start, a 0.3 s window holding fewer than 10 intervals a neuron at 4 Hz): it
    now runs long enough for every point, and any warning of it fails here."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (figure,) = run_gallery_example("plot_05_sweep_heatmap.py", monkeypatch, tmp_path)
    assert any("stationary rate" in ax.get_title() for ax in figure.axes)


def run_doctests(page: Path) -> list[str]:
    """Run the ``{doctest}`` blocks of a page as the doctest build does (one namespace for the page's blocks);
    return the failures' reports."""
    import doctest

    namespace: dict = {}
    failures: list[str] = []
    for number, block in enumerate(re.findall(r"```\{doctest\}\n(.*?)```", page.read_text(), re.S)):
        test = doctest.DocTestParser().get_doctest(block, namespace, f"{page.name} block {number}", str(page), 0)
        report = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, out=report.write, clear_globs=False)
        namespace.update(test.globs)
        if runner.failures:
            failures.append(report.getvalue())
    return failures


def test_the_pages_name_the_theory_the_figures_draw_and_its_conditions():
    """From a teacher's review: Getting started said its figure draws "the Siegert rate" beside the rate, where it
    draws the grid's Markov chain; the Theory page said the grid correction shifts threshold and reset (it shifts
    the threshold) and quoted the stationary moments at 400 pA without the refractory period and time step they
    need. The pages' doctests show each as lifsim computes it."""
    start = (DOCS / "getting-started.md").read_text()
    theory = (DOCS / "guide" / "theory.md").read_text()
    assert "theory (Markov chain\nof the grid)" in start or "theory (Markov chain of the grid)" in start
    assert "(the Siegert rate)" not in start
    assert "shifts the threshold and the" not in theory and "shifts the threshold up" in theory
    flat = " ".join(theory.split())
    assert re.search(r"`t_ref` = 2 ms: -61\.161 mV and 43\.43 mV\*\*2", flat), "the moments' conditions"
    assert "-59.439 mV and 33.70 mV**2" in flat
    for page in (DOCS / "getting-started.md", DOCS / "guide" / "theory.md"):
        assert "{doctest}" in page.read_text()
        assert run_doctests(page) == [], page.name


def test_the_cli_reference_is_generated_from_the_parser(tmp_path, monkeypatch):
    module = conf()
    monkeypatch.setattr(module, "GENERATED", tmp_path)
    module.write_cli_reference()
    text = (tmp_path / "cli.md").read_text()
    for command in ("simulate", "fi", "sweep", "tutorial", "params", "init", "rerun"):
        assert f"## lifsim {command}" in text
    assert "--engine {auto," in text and "--part" in text


def test_the_companion_pages_name_every_exercise(tmp_path, monkeypatch):
    """Both pages are built from the replays and the transcribed solutions, with their figures; each command shown
    is the one whose output is printed under it, each exercise links to its tutorial, and Part II's figures say
    their real rate in Hz."""
    module = conf()
    monkeypatch.setattr(module, "GENERATED", tmp_path)
    module.write_companion()
    part1 = (tmp_path / "companion" / "part1.md").read_text()
    part2 = (tmp_path / "companion" / "part2.md").read_text()
    assert part1.count("## Exercise ") == 14 and "lifsim tutorial 14 --plot part1-14.png" in part1
    assert part2.count("## Exercise ") == 7 and "## Demo" in part2 and "Ran for 0.15s in 150 steps." in part2
    assert 'rate (Hz)" is not in Hz' in part2  # the notes on what the tutorial gets wrong
    assert len(list((tmp_path / "figures" / "companion").glob("*.png"))) == 10 + 9
    for page in (part1, part2):
        # "wrote part1-7.png" only under a command with --plot part1-7.png
        for command, printed in re.findall(r"```bash\n(lifsim [^\n]*)\n```\n\n```text\n(.*?)```", page, re.S):
            plotted = re.search(r"--plot (\S+)\.png", command)
            for written in re.findall(r"wrote (\S+\.png)", printed):  # the demo's second figure is PATH-tref.png
                assert plotted and written.startswith(plotted.group(1)), (command, written)
        assert "spec/" not in page  # no file outside the repository is cited
        assert page.count("In the tutorial: [") == page.count("\n## Exercise ") + page.count("\n## Demo")
    assert part2.count("In Hz: ") >= 6  # a caption with the rate in Hz under the figures with a rate panel
    # each exercise links to its section: section ids as the published Neuromatch pages have them (read from their
    # built HTML), where a heading's "&" and ":" make one hyphen, not two
    for anchor in ("coding-exercise-12-using-enumerate-indexing", "coding-exercise-1-defining-parameters"):
        assert f"W0D1_Tutorial1.html#{anchor})" in part1, anchor
    for anchor in ("coding-exercise-5-investigating-refactory-periods", "interactive-demo-1-random-refractory-period"):
        assert f"W0D2_Tutorial1.html#{anchor})" in part2, anchor
    assert len(re.findall(r"W0D2_Tutorial1\.html#[a-z0-9-]+\)", part2)) == 8
    assert "--" not in "".join(re.findall(r"\.html#([^)]*)\)", part1 + part2))
    assert "lifsim.explore()" in part2  # the demo points to the live sliders


def test_the_benchmark_tables_are_rendered_from_the_results_files(tmp_path, monkeypatch):
    import json

    module = conf()
    monkeypatch.setattr(module, "GENERATED", tmp_path)
    module.write_benchmarks()
    lif = (tmp_path / "benchmarks" / "lif.md").read_text()
    rows = json.loads((ROOT / "benchmarks" / "results_lif.json").read_text())["rows"]
    assert lif.count("\n| lifsim numba") == sum(row["engine"].startswith("lifsim numba") for row in rows)
    dask = json.loads((ROOT / "benchmarks" / "results_dask.json").read_text())
    assert f"{dask['ensemble']['one_thread_s']:.2f}" in (tmp_path / "benchmarks" / "dask.md").read_text()
    assert "ns / neuron-step" not in (DOCS / "guide" / "benchmarks.md").read_text()  # no table copied by hand


def test_private_parameters_are_left_out_of_signatures():
    module = conf()
    signature = "(params=None, inputs=None, *, n=1, resume=False, _dry_run=False)"
    assert module.hide_private_parameters(None, "function", "lifsim.simulate", None, {}, signature, None) == (
        "(params=None, inputs=None, *, n=1, resume=False)",
        None,
    )


def test_the_api_reference_covers_what_the_guide_uses():
    text = (DOCS / "api" / "index.rst").read_text()
    for name in ("simulate", "explore", "errors", "plot", "theory", "Result", "LIFParams", "fi_curve", "sweep"):
        assert re.search(rf"^   {name}$", text, re.M), name
    assert ":toctree:" in text  # one page per object (autosummary)
    template = (DOCS / "_templates" / "autosummary" / "class.rst").read_text()
    assert ":members:" in template  # Result.v_var, autocov, to_neo on Result's page


# ---------------------------------------------------------------------------------------------------- the built site
class Loads(HTMLParser):
    """Every URL a page loads: <script src>, <link href>, <img src> (and srcset)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append((tag, values["src"]))
        elif tag == "link" and values.get("href") and values.get("rel", "") not in ("canonical",):
            self.urls.append((tag, values["href"]))
        elif tag == "img":
            for key in ("src", "srcset"):
                if values.get(key):
                    self.urls += [(tag, part.split()[0]) for part in values[key].split(",") if part.strip()]


def leaves_the_machine(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("", "file", "data", "blob"):
        return url.startswith("//")  # protocol-relative: another host
    return parsed.hostname not in ("localhost", "127.0.0.1")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built HTML site: LIFSIM_DOCS_HTML, or built here with warnings as errors."""
    given = os.environ.get("LIFSIM_DOCS_HTML")
    if given:
        path = Path(given).resolve()
        if not (path / "index.html").exists():
            pytest.fail(f"LIFSIM_DOCS_HTML={given} holds no built site (no index.html)")
        return path
    pytest.importorskip("sphinx", reason="Sphinx is not installed (pip install '.[docs]')")
    for module in ("pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "myst_parser", "sphinx_copybutton"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[docs]')")
    # built from a copy of docs/: what the build generates in its source folder (the companion, the API pages, the
    # gallery) never meets another build of the working tree
    folder = tmp_path_factory.mktemp("site")
    generated = ("_build", "_generated", "gallery", "generated", "sg_execution_times.rst")
    shutil.copytree(DOCS, folder / "docs", ignore=shutil.ignore_patterns(*generated))
    (folder / "CHANGELOG.md").symlink_to(ROOT / "CHANGELOG.md")  # docs/changelog.md includes ../CHANGELOG.md
    out = folder / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(folder / "docs"), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "LIFSIM_DOCS_SOURCE_ROOT": str(ROOT)},
        cwd=ROOT,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    return out


@pytest.mark.docs
def test_no_page_loads_anything_from_outside_the_machine(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 30
    outside = []
    for page in pages:
        parser = Loads()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        outside += [f"{page.relative_to(site)}: <{tag}> {url}" for tag, url in parser.urls if leaves_the_machine(url)]
    assert outside == []


@pytest.mark.docs
def test_the_maths_is_served_by_the_site(site):
    theory = (site / "guide" / "theory.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', theory, re.I)
    assert scripts, "the Theory page loads no MathJax"
    for src in scripts:
        assert not leaves_the_machine(src) and (site / "guide" / src.split("?")[0]).resolve().exists(), src
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts").exists()  # its fonts too


@pytest.mark.docs
@pytest.mark.browser
def test_the_maths_is_rendered_and_the_code_wraps_in_a_browser_without_a_network(site):
    names = ("chromium", "chromium-browser", "google-chrome")
    chromium = next((shutil.which(name) for name in names if shutil.which(name)), None)
    if chromium is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    left: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        else:
            left.append(request_route.request.url)
            request_route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless=new"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.route("**/*", route)
            page.goto((site / "guide" / "theory.html").as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_selector("mjx-container", timeout=60_000)
            rendered = page.evaluate(
                "() => Array.from(document.querySelectorAll('mjx-container'))"
                ".filter(m => m.getBoundingClientRect().width > 20).length"
            )
            raw = page.evaluate("() => document.querySelector('article').innerText.includes('\\\\frac')")
            folder = Path(os.environ.get("LIFSIM_ARTEFACTS", ROOT / "build" / "artefacts")) / "docs"
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "theory.png"), full_page=False)
            sideways = {}
            for name in ("part1", "part2"):  # the companion's code and output wrap instead of scrolling sideways
                page.goto((site / "_generated" / "companion" / f"{name}.html").as_uri(), wait_until="load")
                sideways[name] = page.evaluate(
                    "() => Array.from(document.querySelectorAll('pre'))"
                    ".filter(p => p.scrollWidth > p.clientWidth + 2).length"
                )
        finally:
            browser.close()
    assert rendered >= 1 and not raw
    assert left == []
    assert sideways == {"part1": 0, "part2": 0}


@pytest.mark.docs
@pytest.mark.browser
def test_the_pages_log_no_error_in_a_browser_that_never_visited_them(site):
    """Every page logged "Got invalid theme mode: . Resetting to auto." in a browser without a stored theme mode
    (the theme reads its default from html_context's default_mode, which conf.py did not set)."""
    names = ("chromium", "chromium-browser", "google-chrome")
    chromium = next((shutil.which(name) for name in names if shutil.which(name)), None)
    if chromium is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    pages = ("_generated/benchmarks/amd.html", "index.html", "guide/theory.html", "gallery/index.html")
    said: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless=new"])
        try:
            for name in pages:
                context = browser.new_context()  # nothing stored: a first visit
                page = context.new_page()
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                           else route.abort())  # fmt: skip
                messages: list[str] = []
                page.on("console", lambda m, into=messages: into.append(f"{m.type}: {m.text}"))
                page.on("pageerror", lambda error, into=messages: into.append(f"pageerror: {error}"))
                page.goto((site / name).as_uri(), wait_until="load", timeout=120_000)
                page.wait_for_timeout(500)
                mode = page.evaluate("() => document.documentElement.dataset.mode")
                said[name] = [m for m in messages if m.startswith(("error", "warning", "pageerror"))]
                assert mode == "auto", (name, mode)
                context.close()
        finally:
            browser.close()
    assert said == {name: [] for name in pages}


def _documented_commands() -> list[tuple[str, int]]:
    """Every complete `lifsim ...` command written inline in the guide, the pages and the README (not the
    placeholders such as `lifsim tutorial EX`, not the ones that need a file of the reader's), with the exit status
    the text gives it (2 where it shows the command's error: `lifsim ...` -> `lifsim: error: ...`)."""
    found: dict[str, int] = {}
    for page in [
        ROOT / "README.md",
        *DOCS.glob("*.md"),
        *(DOCS / "guide").glob("*.md"),
        *(DOCS / "pages").glob("*.md"),
    ]:
        text = " ".join(page.read_text().split())
        for match in re.finditer(r"`(lifsim [^`]+)`( -> `lifsim: error:)?", text):
            found[match.group(1)] = 2 if match.group(2) else found.get(match.group(1), 0)
    return sorted(
        (command, status)
        for command, status in found.items()
        if command.split()[1] in ("simulate", "fi", "tutorial", "network", "sweep")
        and len(command.split()) > 2
        and not re.search(r"\b[A-Z]{2,}\b", command)
        and "--config" not in command
    )


@pytest.mark.docs
@pytest.mark.parametrize(("command", "status"), _documented_commands())
def test_every_command_the_docs_write_runs(command, status, tmp_path):
    """`lifsim tutorial --part 2 demo --mu 10ms --sigma 7ms` stood in the Part II notes after --mu was renamed."""
    from cli_helpers import run_script

    done = run_script(command.split()[1:], cwd=tmp_path, timeout=600)
    assert done.returncode == status, (command, done.stderr)
    if status:
        assert done.stderr.startswith("lifsim: error: ") and len(done.stderr.splitlines()) == 1, done.stderr
