"""Sphinx configuration of lifsim's documentation site.

    pip install ".[docs]" && sphinx-build -W -b html docs docs/_build/html

Every page that shows a figure shows one this build has just made:
``builder-inited`` runs :func:`generate`, which

* draws the README's figures from the README's own commands (``docs/figures.py --out``);
* cuts the README into the user guide, one page per top-level section, with
  its image paths pointed at those fresh figures (the README stays the one
  source of that text);
* writes the CLI reference from the command-line parser, which is built from
  the option table (``lifsim.options``), never by hand;
* writes the tutorial companion (Part I and Part II, exercise by exercise: the
  tutorial's code as transcribed in the tests, the lifsim command, what it
  prints, its figure, and for Part II what the tutorial gets wrong);

and sphinx-gallery executes ``examples/gallery/plot_*.py``.
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

os.environ.setdefault("MPLBACKEND", "Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
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
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "pages", "figures.py", "figures.json", "*.png"]
myst_heading_anchors = 3
#: only the guide's explicit doctest blocks run (docstring examples are illustrations, not self-contained)
doctest_test_doctest_blocks = ""
myst_enable_extensions = ["dollarmath"]
html_theme = "pydata_sphinx_theme"
html_title = "lifsim"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
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
}

#: README sections (## headings) that become user-guide pages, in order, with their page names
GUIDE = {
    "Set-up": "setup",
    "The command line": "command-line",
    "Python": "python",
    "Data files": "data-files",
    "Notebook": "notebook",
    "Engines and speed": "engines",
    "Reproducibility contract": "reproducibility",
    "Conventions": "conventions",
    "What lifsim promises": "promises",
    "Layout": "layout",
}


def readme_sections() -> dict[str, str]:
    """The README's top-level sections by heading (the text after the heading line)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[k].strip(): parts[k + 1] for k in range(1, len(parts), 2)}


def write_guide() -> None:
    folder = GENERATED / "guide"
    folder.mkdir(parents=True, exist_ok=True)
    sections = readme_sections()
    missing = [title for title in GUIDE if title not in sections]
    if missing:
        raise RuntimeError(f"README sections missing for the user guide: {missing}")
    for title, name in GUIDE.items():
        body = re.sub(r"^#(#+ )", r"\1", sections[title], flags=re.MULTILINE)  # ### in the README: ## on its page
        # the README's figures, freshly drawn by this build
        body = re.sub(r"\]\(docs/([\w.-]+\.png)\)", r"](/_generated/figures/\1)", body)
        # links to files of the repository: name them (the site holds the docs, not the source tree)
        body = re.sub(r"(?<!!)\[([^\]]+)\]\((?!https?:|#|/)([^)]+)\)", r"\1 (`\2` in the source tree)", body)
        (folder / f"{name}.md").write_text(f"# {title}\n{body}", encoding="utf-8")
    toc = "\n".join(GUIDE.values())
    (folder / "index.md").write_text(
        "# User guide\n\nThe README's reference sections, one page each (the README is their one source).\n\n"
        f"```{{toctree}}\n:maxdepth: 2\n\n{toc}\ntheory\nfrom-brian2-nest\n```\n",
        encoding="utf-8",
    )
    for extra in ("theory.md", "from-brian2-nest.md"):
        shutil.copy(DOCS / "pages" / extra, folder / extra)


def draw_readme_figures() -> None:
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
        "Generated from the option table (`lifsim.options`) through the parser that the `lifsim` command uses;",
        "every default is shown in the field's units.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
    ]
    for name, command in sub.choices.items():
        lines += ["", f"## lifsim {name}", "", "```text", command.format_help().rstrip(), "```"]
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
        "Neuromatch precourse W0D1, *LIF Neuron Part I*: each exercise's solution code (as the tests run it),",
        "the one lifsim command that gives its numbers bit for bit, what that command prints and the figure it draws.",
    ]
    for ex, title in TITLES.items():
        argv = ["tutorial", str(ex)]
        if ex in WITH_FIGURE:
            argv += ["--plot", str(figures / f"part1-{ex}.png")]
        printed = run_command(argv)
        page += ["", f"## Exercise {ex}: {title}", "", "The tutorial's code:", "", "```python"]
        page += [SOLUTIONS[ex].strip(), "```", "", "With lifsim:", "", "```bash", f"lifsim tutorial {ex}", "```"]
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
        "Neuromatch precourse W0D2, *LIF Neuron Part II*: each exercise's solution code (as the tests transcribe it",
        "from the specification's description of the published solutions), the lifsim command that gives its numbers",
        "bit for bit, its output and figure.",
        "",
        notes,
    ]
    for ex in PART2_EXERCISES:
        plot = figures / f"part2-{ex}.png"
        printed = run_command(["tutorial", "--part", "2", ex, "--plot", str(plot)])
        heading = f"## {'Demo' if ex == 'demo' else 'Exercise ' + ex}: {PART2_TITLES[ex]}"
        page += ["", heading, "", "The tutorial's code:"]
        page += ["", "```python", "\n\n".join(inspect.getsource(f).rstrip() for f in code[ex]), "```", ""]
        page += ["With lifsim:", "", "```bash", f"lifsim tutorial --part 2 {ex}", "```", "", "```text"]
        page += [printed.replace(str(figures) + "/", ""), "```", ""]
        page += [f"![{ex}](/_generated/figures/companion/part2-{ex}.png)"]
        if ex == "demo":
            page += ["", "![refractory periods](/_generated/figures/companion/part2-demo-tref.png)"]
    (folder / "part2.md").write_text("\n".join(page) + "\n", encoding="utf-8")
    (folder / "index.md").write_text(
        "# Tutorial companion\n\nWhere a student of either LIF workshop lands: every exercise, its code, the one "
        "lifsim command that gives its exact numbers, and its figure.\n\n"
        "```{toctree}\n:maxdepth: 2\n\npart1\npart2\n```\n",
        encoding="utf-8",
    )


def generate(app: object) -> None:
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    GENERATED.mkdir()
    draw_readme_figures()
    write_guide()
    write_cli_reference()
    write_companion()


def setup(app: object) -> None:
    app.connect("builder-inited", generate)  # type: ignore[attr-defined]
