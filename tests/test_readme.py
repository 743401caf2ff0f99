"""The README (the repository's front page) and the guide pages in docs/: their examples run, their figures come
from the commands shown beside them and are current, and the facts they state (options, formats) are the code's."""

import importlib.util
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from lifsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = sorted((ROOT / "docs" / "guide").glob("*.md")) + sorted((ROOT / "docs" / "developer").glob("*.md"))
#: Python that needs a peer simulator (the Brian2 and NEST comparisons show their code, they do not run it)
PEERS = ("from brian2", "import nest")


def documents() -> str:
    """The README and every hand-written guide page, one text."""
    return "\n".join(path.read_text() for path in [README, *GUIDE])


def _figures_module():
    spec = importlib.util.spec_from_file_location("lifsim_docs_figures", ROOT / "docs" / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_examples_run(tmp_path, monkeypatch):
    """Every ```python block of the README and of the guide runs (the guide's doctest blocks run in the doctest
    build; the Brian2 and NEST code is shown, not run)."""
    pytest.importorskip("ipywidgets")  # the notebook page's block starts the explorer
    monkeypatch.chdir(tmp_path)  # the examples write files
    ran = 0
    for path in [README, *GUIDE]:
        for block in re.findall(r"```python\n(.*?)```", path.read_text(), re.S):
            if any(peer in block for peer in PEERS):
                continue
            exec(compile(block, str(path.relative_to(ROOT)), "exec"), {})
            ran += 1
    assert ran >= 3


def test_main_job_command(tmp_path, monkeypatch):
    text = README.read_text()
    command = shlex.split(re.search(r"pip install \. && lifsim (simulate[^\n]*)", text).group(1))
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    import lifsim

    run = lifsim.load(tmp_path / "lif.nc")
    assert run.v_mean.shape == (150,) and run.n == 1000
    assert (tmp_path / "lif.png").read_bytes()[:4] == b"\x89PNG"


def test_every_readme_figure_comes_from_a_readme_command():
    """Every figure of the README and the guide is drawn by docs/figures.py from a command the pages show."""
    figures = _figures_module().FIGURES
    text = README.read_text()
    shown = set(re.findall(r"\]\(docs/([\w.]+\.png)\)", text))
    shown |= set(re.findall(r"\]\(/_generated/figures/([\w.]+\.png)\)", "\n".join(p.read_text() for p in GUIDE)))
    assert shown == set(figures), "every figure of the README and the guide, and only those, comes from docs/figures.py"
    flat = " ".join(documents().split())
    for name, command in figures.items():
        assert command in flat, f"{name}: its command does not appear in the README or the guide: {command}"
        assert (ROOT / "docs" / name).exists(), name
    # the hero image is the main job's own figure
    main_job = re.search(r"pip install \. && (lifsim simulate[^\n]*)", text).group(1)
    assert figures["lif.png"] == main_job


def test_readme_figures_are_current(tmp_path):
    """Each README command still prints what it printed when its figure was drawn (docs/figures.json)."""
    module = _figures_module()
    recorded = json.loads((ROOT / "docs" / "figures.json").read_text())
    now = module.make(tmp_path)
    for name, entry in recorded.items():
        assert now[name]["command"] == entry["command"], f"{name}: command changed; run python docs/figures.py"
        assert now[name]["printed"] == entry["printed"], f"{name} is stale; run python docs/figures.py"
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_readme_options_exist():
    """Every --option the README and the guide mention is one that the lifsim command has."""
    from lifsim.cli import build_parser

    parser = build_parser()
    known = {s for action in parser._actions for s in action.option_strings}  # lifsim's own: --version, --versions
    for action in parser._actions:
        for sub in getattr(action, "choices", None) or {}:
            known |= {s for a in action.choices[sub]._actions for s in a.option_strings}
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", documents()))
    mentioned -= {"--brian2", "--nest", "--hypothesis-profile", "--fmad"}  # the benchmark's, pytest's, NVRTC's
    mentioned -= example_options()  # examples/slurm_sweep.py's own command line
    assert sorted(mentioned - known) == []


def example_options() -> set[str]:
    """The options of the example script the README shows (examples/slurm_sweep.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("slurm_sweep", ROOT / "examples" / "slurm_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {s for action in module.build_parser()._actions for s in action.option_strings}


def test_the_data_files_page_lists_every_format():
    from lifsim.formats import RESULT_SUFFIXES

    table = (ROOT / "docs" / "guide" / "data-files.md").read_text().split("Every file lifsim writes")[0]
    for suffix in RESULT_SUFFIXES:
        assert f"| `{suffix}` |" in table, suffix


@pytest.mark.parametrize("name", ["lif.png", "spikes.png", "white_noise.png", "fi.png"])
def test_committed_figures_are_drawn_in_the_fields_units(name):
    """The committed figures are PNGs of a sensible size (their axes are checked in test_spikes)."""
    data = (ROOT / "docs" / name).read_bytes()
    assert data[:4] == b"\x89PNG" and len(data) > 20_000
    assert np.frombuffer(data[16:24], dtype=">u4").min() > 400  # width and height in pixels


def test_the_readme_is_the_short_front_page():
    """The README is a front page: what lifsim is, the set-up commands, one figure, the commands, links to the site."""
    text = README.read_text()
    assert len(text.splitlines()) <= 160
    assert len(re.findall(r"!\[", text)) == 1
    assert "pip install lifsim" not in text  # lifsim is installed from a clone
    for link in re.findall(r"\]\((?!https?:)([^)#]+)", text):
        assert (ROOT / link).exists(), f"the README links to {link}, which is not in the repository"


def test_no_page_says_how_to_install_from_an_index():
    """lifsim is not on a package index: no page tells a reader to `pip install lifsim`."""
    for path in [README, *GUIDE, ROOT / "docs" / "index.md", ROOT / "docs" / "getting-started.md"]:
        assert not re.search(r"pip install ['\"]?lifsim", path.read_text()), path.name


def _speed_rows() -> list[str]:
    """The README's speed table, row by row, computed from the benchmarks' results files (the newest runs)."""
    lif = json.loads((ROOT / "benchmarks" / "results_lif.json").read_text())
    network = json.loads((ROOT / "benchmarks" / "results_network.json").read_text())["runs"][0]
    rows = []
    for state in ("AI", "SR"):
        found = {r["simulator"]: r for r in network["rows"] if r["state"] == state and r["threads"] == 2}
        ours, nest = found["lifsim"]["simulate_s"], found["NEST"]["simulate_s"]
        rows.append(
            f"| Brunel's network (12,500 neurons, 1.2 s), {state} state, simulate phase | {ours:.2f} s "
            f"| NEST 3.10: {nest:.2f} s | {nest / ours:.1f}x |"
        )
    for work, label in (("W2", "white noise"), ("W1", "uniform noise")):
        at = [r for r in lif["rows"] if r["workload"] == work and r["n"] == 1_000_000]
        ours = next(r["ns_per_neuron_step"] for r in at if r["engine"] == "lifsim numba, 2 thread(s)")
        brian2 = min(r["ns_per_neuron_step"] for r in at if r["engine"].startswith("Brian2"))
        rows.append(
            f"| 10^6 independent neurons, {label} ({work}), per neuron-step | {ours:.2f} ns "
            f"| Brian2 2.9 standalone: {brian2:.2f} ns | {brian2 / ours:.1f}x |"
        )
    return rows


def test_the_readmes_speed_table_is_the_benchmarks_newest_results():
    """The README's speed figures are the results files' (one fact, one source: a new benchmark run that changes
    them fails here until the README says the same)."""
    text = README.read_text()
    for row in _speed_rows():
        assert row in text, f"the README lacks: {row}"


def test_the_setup_pages_extras_table_names_every_package_of_each_extra():
    """The extras are written twice, in pyproject.toml and on the Set-up page: each extra's row names every
    requirement pyproject gives it (other extras by name, in backquotes), so the two cannot drift apart."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    rows = {}
    for line in (ROOT / "docs" / "guide" / "setup.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1]
    assert set(rows) == set(extras)
    for extra, requirements in extras.items():
        for requirement in requirements:
            name = re.match(r"[A-Za-z0-9_.-]+(\[[^\]]+\])?", requirement).group(0)
            wanted = [f"`{part}`" for part in re.findall(r"[a-z0-9-]+", name.split("[")[1])] if "[" in name else [name]
            for word in wanted:
                assert word.lower() in rows[extra].lower(), f"{extra}: {word} missing from the Set-up page's row"
