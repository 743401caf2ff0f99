"""The documentation site's sources: what its build derives from is there (the build itself runs in .ci/run)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def conf():
    spec = importlib.util.spec_from_file_location("lifsim_docs_conf", ROOT / "docs" / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_user_guide_page_has_its_readme_section():
    module = conf()
    sections = module.readme_sections()
    assert [title for title in module.GUIDE if title not in sections] == []


def test_the_gallery_has_at_least_eight_titled_examples():
    scripts = sorted((ROOT / "examples" / "gallery").glob("plot_*.py"))
    assert len(scripts) >= 8
    for script in scripts:
        doc = ast.get_docstring(ast.parse(script.read_text()))
        assert doc and doc.splitlines()[1].startswith("==="), script.name  # a title sphinx-gallery can show


def test_the_cli_reference_is_generated_from_the_parser(tmp_path, monkeypatch):
    module = conf()
    monkeypatch.setattr(module, "GENERATED", tmp_path)
    module.write_cli_reference()
    text = (tmp_path / "cli.md").read_text()
    for command in ("simulate", "fi", "sweep", "tutorial", "params", "init", "rerun"):
        assert f"## lifsim {command}" in text
    assert "--engine {auto,numpy,numba,cuda}" in text and "--part" in text


def test_the_companion_pages_name_every_exercise(tmp_path, monkeypatch):
    """Both pages are built from the replays and the transcribed solutions, with their figures."""
    module = conf()
    monkeypatch.setattr(module, "GENERATED", tmp_path)
    module.write_companion()
    part1 = (tmp_path / "companion" / "part1.md").read_text()
    part2 = (tmp_path / "companion" / "part2.md").read_text()
    assert part1.count("## Exercise ") == 14 and "lifsim tutorial 14" in part1
    assert part2.count("## Exercise ") == 7 and "## Demo" in part2 and "Ran for 0.15s in 150 steps." in part2
    assert 'rate (Hz)" is not in Hz' in part2  # the notes on what the tutorial gets wrong
    assert len(list((tmp_path / "figures" / "companion").glob("*.png"))) == 10 + 9
