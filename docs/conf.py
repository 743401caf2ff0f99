"""Sphinx configuration of lifsim's documentation site.

    pip install ".[docs]"
    sphinx-build -W -b html docs docs/_build/html && sphinx-build -W -b doctest docs docs/_build/doctest

The pages are written by hand in ``docs/`` (the README is the short front page of the repository, not a source of
the site).  Every page that shows a figure shows one this build has just made: ``builder-inited`` runs
:func:`generate`, which

* draws the guide's figures from the commands printed beside them (``docs/figures.py --out``);
* writes the CLI reference from the command-line parser, which is built from the option table
  (``lifsim.cli.options``), never by hand;
* writes the tutorial companion (Part I and Part II, exercise by exercise: the tutorial's code as transcribed in the
  tests, the lifsim command, what it prints, its figure, and for Part II what the tutorial gets wrong);
* renders the benchmark tables from ``benchmarks/results_*.json`` and the example notebook as a page;

and sphinx-gallery executes ``examples/gallery/plot_*.py``.  The doctest build reuses what the HTML build generated
(it draws nothing again).  The maths is typeset by a MathJax copy served from the site's own ``_static``
(``sphinx-mathjax-offline``): no page loads anything from another machine.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

DOCS = Path(__file__).resolve().parent
#: the repository (examples, benchmarks, tests); a copy of docs/ built elsewhere (tests/test_docs.py) names it
ROOT = Path(os.environ.get("LIFSIM_DOCS_SOURCE_ROOT", DOCS.parent)).resolve()
GENERATED = DOCS / "_generated"
sys.path.insert(0, str(ROOT / "tests"))  # the tutorial's solution code, transcribed for the tests

import lifsim  # noqa: E402

project = "lifsim"
author = "the lifsim developers"
copyright = "2026, the lifsim developers"  # noqa: A001
release = lifsim.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",  # every API page links to its highlighted source, inside the site (no internet needed)
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax from the site's own _static, not a CDN
    "sphinx.ext.doctest",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_codeautolink",  # names in every page's Python code blocks link to their API pages
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "pages",
    "figures.py",
    "figures.json",
    "*.png",
    "sg_execution_times.rst",
    "gallery/sg_execution_times.rst",
]
autosummary_generate = True
templates_path = ["_templates"]
#: the prompts and outputs of the examples are not copied, only the code
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False
myst_heading_anchors = 3
#: only the guide's explicit doctest blocks run (docstring examples are illustrations, not self-contained)
doctest_test_doctest_blocks = ""
myst_enable_extensions = ["dollarmath"]
#: a page's code blocks read as one program (the import in its first block names lifsim in the later ones)
codeautolink_concat_default = True
codeautolink_warn_on_missing_inventory = False  # numpy, xarray: no intersphinx inventories offline
codeautolink_warn_on_failed_resolve = False
#: the gallery's pages are linked by sphinx-gallery itself (reference_url below), whose markup codeautolink cannot
#: match; the Brian2 and NEST comparisons import peers the documentation build does not install
suppress_warnings = ["codeautolink.match_name", "codeautolink.import_star"]
html_theme = "pydata_sphinx_theme"
html_title = "lifsim"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "icon_links": [],
    "use_edit_page_button": False,
}
#: the colour mode a first visit gets (the theme's documented default); left unset, the theme's page script starts
#: from an empty mode and every page logs "Got invalid theme mode: . Resetting to auto." in the browser's console
html_context = {"default_mode": "auto"}
html_static_path = ["_static"]
html_css_files = ["lifsim.css"]
#: the theme's default footer links nothing outside; no analytics, no external fonts
html_theme_options["footer_start"] = ["copyright"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples" / "gallery"),
    "gallery_dirs": "gallery",
    "filename_pattern": r"plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # the execution-times page loads DataTables and jQuery from CDNs: leave it out
    "write_computation_times": False,
    # names in the examples' code link to their API pages
    "reference_url": {"lifsim": None},
    "doc_module": ("lifsim",),
}


def draw_figures() -> None:
    out = GENERATED / "figures"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(DOCS / "figures.py"), "--out", str(out)], check=True, cwd=ROOT)


def write_cli_reference() -> None:
    from lifsim.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    lines = [
        "# Command-line reference",
        "",
        "Generated from the option table (`lifsim.cli.options`) through the parser that the `lifsim` command uses;",
        "every default is shown in the field's units.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
    ]
    for name, command in sub.choices.items():
        lines += ["", f"## lifsim {name}", "", "```text", command.format_help().rstrip(), "```"]
    from lifsim.errors import exit_status_table

    lines += [
        "",
        "## Exit statuses",
        "",
        "Generated from `lifsim.errors.EXIT_STATUSES`, the table the console script exits by.",
        "",
    ]
    lines += [exit_status_table().rstrip()]
    (GENERATED / "cli.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_command(argv: list[str]) -> str:
    """What ``lifsim argv`` prints (stdout and stderr), run in this process."""
    from lifsim.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        status = main(argv)
    if status != 0:
        raise RuntimeError(f"lifsim {' '.join(argv)} failed: {buffer.getvalue()}")
    return buffer.getvalue().rstrip()


PART1_URL = "https://compneuro.neuromatch.io/tutorials/W0D1_PythonWorkshop1/student/W0D1_Tutorial1.html"
PART2_URL = "https://compneuro.neuromatch.io/tutorials/W0D2_PythonWorkshop2/student/W0D2_Tutorial1.html"
#: Part II's exercise headings as the Neuromatch page prints them (its anchors are made from them; "refactory" is
#: the page's own spelling), read from the published build (NeuromatchAcademy/precourse, gh-pages, 2026-01)
PART2_HEADINGS = {
    "1": "Coding Exercise 1: Plotting a histogram",
    "2": "Coding Exercise 2: Adding spiking to the LIF neuron",
    "3": "Coding Exercise 3: Using Boolean indexing",
    "4": "Coding Exercise 4: Making a binary raster plot",
    "5": "Coding Exercise 5: Investigating refactory periods",
    "demo": "Interactive Demo 1: Random refractory period",
    "6": "Coding Exercise 6: Rewriting code with functions",
    "7": "Coding Exercise 7: Making a LIF class",
}


def slug(heading: str) -> str:
    """The anchor a Jupyter Book page gives a heading: its section's id, docutils' ``make_id`` of the heading (runs
    of other characters become one hyphen: "Using enumerate & indexing" is ``using-enumerate-indexing``)."""
    from docutils.nodes import make_id

    return make_id(heading)


def rate_caption(printed: str) -> str:
    """A caption stating the run's rate in Hz, from the replay's summary line."""
    found = re.search(r"in Hz, ([^;\n]*?(\d+(?:\.\d+)?) Hz)", printed)
    if not found:  # no rate panel
        return ""
    axis = "*The figure's \"rate (Hz)\" axis is the tutorial's: spikes per neuron per 1-ms step."
    return f"{axis} In Hz: {found.group(1)}.*"


def shared_setup(module_source: str, current_source: str) -> str:
    """The Part II solutions' module-level parameters and their input-current helper, as one block."""
    start = module_source.index("# the helper cell's parameters")
    end = module_source.index("def _current")
    return module_source[start:end].rstrip() + "\n\n\n" + current_source.rstrip()


def write_companion() -> None:
    import tutorial2_solutions as part2
    from tutorial_solutions import SOLUTIONS

    from lifsim.tutorial import TITLES, WITH_FIGURE
    from lifsim.tutorial_part2 import PART2_EXERCISES, PART2_TITLES

    folder = GENERATED / "companion"
    figures = GENERATED / "figures" / "companion"
    folder.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    page = [
        "# Part I: the LIF neuron",
        "",
        f"Neuromatch precourse W0D1, [*LIF Neuron Part I*]({PART1_URL}): each exercise's solution code (as the tests",
        "run it: `tests/tutorial_solutions.py`, with the tutorial's own helpers), the one lifsim command that gives",
        "its numbers bit for bit, what that command prints and the figure it draws.",
    ]
    for ex, title in TITLES.items():
        argv = ["tutorial", str(ex)]
        shown = f"lifsim tutorial {ex}"
        if ex in WITH_FIGURE:
            argv += ["--plot", str(figures / f"part1-{ex}.png")]
            shown += f" --plot part1-{ex}.png"
        printed = run_command(argv)
        link = f"{PART1_URL}#{slug(f'Coding Exercise {ex}: {title}')}"
        page += ["", f"## Exercise {ex}: {title}", "", f"In the tutorial: [Coding Exercise {ex}]({link}).", ""]
        page += ["The tutorial's code:", "", "```python"]
        page += [SOLUTIONS[ex].strip(), "```", "", "With lifsim:", "", "```bash", shown, "```"]
        page += ["", "```text", printed.replace(str(figures) + "/", ""), "```"]
        if ex in WITH_FIGURE:
            page += ["", f"![Exercise {ex}](/_generated/figures/companion/part1-{ex}.png)"]
    (folder / "part1.md").write_text("\n".join(page) + "\n", encoding="utf-8")

    code = {
        "1": [part2.exercise1],
        "2": [part2.exercise2],
        "3": [part2.exercise3],
        "4": [part2.exercise4],
        "5": [part2._refractory_loop, part2.exercise5],
        "demo": [part2._refractory_loop, part2.demo],
        "6": [part2.exercise6],
        "7": [part2.LIFNeurons, part2.exercise7],
    }
    notes = (DOCS / "pages" / "part2-notes.md").read_text(encoding="utf-8")
    page = [
        "# Part II: spikes, refractoriness, functions and a class",
        "",
        f"Neuromatch precourse W0D2, [*LIF Neuron Part II*]({PART2_URL}): each exercise's solution code (as the tests",
        "transcribe the published solutions: `tests/tutorial2_solutions.py`), the lifsim command that gives its",
        "numbers bit for bit, its output and figure. The figures keep the tutorial's labels, including its",
        '"rate (Hz)" axis, which is spikes per neuron per 1-ms step: the caption under each figure gives the rate',
        "in Hz.",
        "",
        notes,
        "",
        "## The set-up every exercise shares",
        "",
        "The tutorial's helper cell: the parameters (V, s, Ohm, A), the time grid and the random input current that",
        "the exercises below use without repeating them.",
        "",
        "```python",
        shared_setup(inspect.getsource(part2), inspect.getsource(part2._current)),
        "```",
    ]
    for ex in PART2_EXERCISES:
        plot = figures / f"part2-{ex}.png"
        printed = run_command(["tutorial", "--part", "2", ex, "--plot", str(plot)])
        name = "Interactive Demo 1" if ex == "demo" else f"Coding Exercise {ex}"
        heading = f"## {'Demo' if ex == 'demo' else 'Exercise ' + ex}: {PART2_TITLES[ex]}"
        link = f"{PART2_URL}#{slug(PART2_HEADINGS[ex])}"
        page += ["", heading, "", f"In the tutorial: [{name}]({link}).", "", "The tutorial's code:"]
        page += ["", "```python", "\n\n".join(inspect.getsource(f).rstrip() for f in code[ex]), "```", ""]
        page += ["With lifsim:", "", "```bash", f"lifsim tutorial --part 2 {ex} --plot part2-{ex}.png", "```", ""]
        page += ["```text", printed.replace(str(figures) + "/", ""), "```", ""]
        page += [f"![{ex}](/_generated/figures/companion/part2-{ex}.png)", "", rate_caption(printed)]
        if ex == "demo":
            page += ["", "![refractory periods](/_generated/figures/companion/part2-demo-tref.png)", ""]
            page += [
                "The notebook's sliders, live: `lifsim.explore()` in Jupyter (the [Notebook](../../guide/notebook.md)"
            ]
            page += ["page) moves the refractory period, the noise and every other parameter and redraws at once."]
    (folder / "part2.md").write_text("\n".join(page) + "\n", encoding="utf-8")
    (folder / "index.md").write_text(
        "# Tutorial companion\n\nWhere a student of either LIF workshop lands: every exercise, its code, the one "
        "lifsim command that gives its exact numbers, and its figure.\n\n"
        "```{toctree}\n:maxdepth: 2\n\npart1\npart2\n```\n",
        encoding="utf-8",
    )


def write_contract() -> None:
    """The reproducibility contract's tables, notes and proofs, cut from :mod:`lifsim.streams`'s docstring (their one
    source) into ``_generated/contract.rst``, which the guide's Reproducibility page includes."""
    import lifsim.streams

    text = inspect.cleandoc(lifsim.streams.__doc__ or "")
    start = text.index("In the manner of numpy's")
    end = text.index("Stream versions: 1")
    (GENERATED / "contract.rst").write_text(text[start:end].rstrip() + "\n", encoding="utf-8")


def write_benchmarks() -> None:
    """The benchmark tables, rendered from the results files by the code that prints them."""
    import importlib.util
    import json

    folder = GENERATED / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    bench = ROOT / "benchmarks"

    def bench_module(name: str) -> Any:
        sys.path.insert(0, str(bench))  # the benchmarks import their neighbour _machine
        try:
            spec = importlib.util.spec_from_file_location(f"lifsim_{name}", bench / f"{name}.py")
            loaded = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(loaded)  # type: ignore[union-attr]
            return loaded
        finally:
            sys.path.remove(str(bench))

    module = bench_module("bench_lif")
    network = json.loads((bench / "results_network.json").read_text(encoding="utf-8"))["runs"][0]
    (folder / "network.md").write_text(bench_module("bench_network").markdown_table(network) + "\n", encoding="utf-8")
    runs = (
        ("lif", "results_lif.json"),
        ("lif_intel", "results_lif_intel_xeon.json"),
        ("lif_before17", "results_lif_before_issue17.json"),
    )
    for name, source in runs + (("amd", "results_w1_issue4_amd_epyc.json"),):
        data = json.loads((bench / source).read_text(encoding="utf-8"))
        table = module.markdown_table(data["machine"], data["steps"], data["startup"], data["rows"])
        (folder / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    dask = json.loads((bench / "results_dask.json").read_text(encoding="utf-8"))
    ens, sweep, proj = dask["ensemble"], dask["sweep"], dask["projection_64x32"]
    lines = [
        f"`python benchmarks/bench_dask.py` on {dask['machine']}, {dask['workers']} workers; the cluster's results",
        "checked bitwise against the single process in the same run:",
        "",
        "| work | one thread (s) | one process, 2 threads (s) | LocalCluster, 2 workers (s) | efficiency (cluster) |",
        "|---|---:|---:|---:|---:|",
        f"| ensemble W2, N = {ens['n']:,}, {ens['steps'] * 1e-4:g} s, {ens['tasks']} tasks | "
        f"{ens['one_thread_s']:.2f} | {ens['threads_s']:.2f} | {ens['cluster_s']:.2f} | "
        f"{ens['efficiency_cluster']:.2f} |",
        f"| sweep, {sweep['points']} points x {sweep['n']:,} neurons x 1 s | {sweep['one_thread_s']:.2f} | "
        f"{sweep['threads_s']:.2f} | {sweep['cluster_s']:.2f} | {sweep['efficiency_cluster']:.2f} |",
        "",
        f"Per-task overhead {dask['per_task_overhead_s'] * 1e3:.1f} ms; a LocalCluster starts in "
        f"{dask['cluster_start_s']:.1f} s. Projected to 64 nodes x 32 cores ({dask['projection_assumptions']}):",
        "",
        "| task length | projected efficiency |",
        "|---|---:|",
    ]
    for key, value in sorted(proj.items(), key=lambda item: float(item[0].split("_")[1].rstrip("s"))):
        lines.append(f"| {key.split('_')[1]} | {value:.3f} |")
    (folder / "dask.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_notebook_page(execute: bool = True) -> None:
    """The example notebook as a page: its cells, executed here, with their printed output and figures."""
    import base64
    import tempfile

    import nbformat

    notebook = nbformat.read(ROOT / "examples" / "tutorial_with_lifsim.ipynb", as_version=4)
    figures = GENERATED / "figures" / "notebook"
    figures.mkdir(parents=True, exist_ok=True)
    if execute:
        from nbclient import NotebookClient

        with tempfile.TemporaryDirectory() as folder:
            NotebookClient(
                notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}
            ).execute()
    lines = [
        "# The example notebook",
        "",
        "`examples/tutorial_with_lifsim.ipynb`, cell by cell, as this build ran it (the test suite runs it too, so it",
        "cannot rot). Open it in Jupyter to run it yourself; its last cell starts the explorer, which a static page",
        "cannot show: see [Notebook](../../guide/notebook.md) for what it looks like.",
    ]
    for number, cell in enumerate(notebook.cells):
        source = cell.source.rstrip()
        if not source:
            continue
        if cell.cell_type == "markdown":
            lines += ["", re.sub(r"^#(#*) ", r"##\1 ", source, flags=re.MULTILINE)]
            continue
        lines += ["", "```ipython3", source, "```"]  # a notebook cell: IPython (its magics parse as such)
        for index, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if output.get("output_type") == "stream" and output.get("text", "").strip():
                lines += ["", "```text", output["text"].rstrip(), "```"]
            elif "image/png" in data:
                name = f"cell{number}-{index}.png"
                (figures / name).write_bytes(base64.b64decode(data["image/png"]))
                lines += ["", f"![output of the cell above](/_generated/figures/notebook/{name})"]
            elif "text/plain" in data and "application/vnd.jupyter.widget-view+json" not in data:
                lines += ["", "```text", data["text/plain"].rstrip(), "```"]
    folder = GENERATED / "notebook"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "example.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


#: written last by :func:`generate`: the generated pages are whole
STAMP = GENERATED / ".complete"


def generate(app: object) -> None:
    """Write every generated page; the doctest build reuses a complete set the HTML build made."""
    builder = getattr(getattr(app, "builder", None), "name", "html")
    if builder == "doctest" and STAMP.exists():
        return
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    GENERATED.mkdir()
    if builder == "doctest":  # nothing to draw for doctests: the pages' text only
        (GENERATED / "figures" / "companion").mkdir(parents=True)
    else:
        draw_figures()
    write_cli_reference()
    write_companion()
    write_contract()
    write_benchmarks()
    write_notebook_page(execute=builder != "doctest")
    STAMP.write_text("generated\n", encoding="utf-8")


def hide_private_parameters(app, what, name, obj, options, signature, return_annotation):  # noqa: ANN001, ANN201
    """Leave parameters whose names start with ``_`` (internal switches such as ``_dry_run``) out of signatures."""
    if signature:
        signature = re.sub(r",\s*_\w+=[^,)]*", "", signature)
    return signature, return_annotation


def setup(app: object) -> None:
    app.connect("builder-inited", generate)  # type: ignore[attr-defined]
    app.connect("autodoc-process-signature", hide_private_parameters)  # type: ignore[attr-defined]
