"""The shape of ``src/lifsim`` that issue 16 set, measured by ``tools/import_graph.py`` on every test run.

Imports inside functions count; imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
assert spec is not None and spec.loader is not None
import_graph = importlib.util.module_from_spec(spec)
sys.modules["import_graph"] = import_graph
spec.loader.exec_module(import_graph)

#: the one delegation pair allowed, in the xarray style: a result saves itself through the formats,
#: and the formats build results
ALLOWED_PAIR = {"lifsim.result", "lifsim.formats"}
MAX_FLOORS = 12
#: the front ends that stand beside the command line: the console script, ``python -m lifsim``, and the
#: notebook explorer, whose sliders come from the same option table as the flags (ranges, units, defaults)
USER_SURFACES = {"lifsim._console", "lifsim.__main__", "lifsim.explorer"}
MAX_FUNCTION_LINES = 100
MAX_SIMULATE_LINES = 60


@pytest.fixture(scope="module")
def shape():  # type: ignore[no-untyped-def]
    return import_graph.measure()


def test_no_import_circle_but_the_result_format_delegation(shape) -> None:  # type: ignore[no-untyped-def]
    circles = [c for c in shape.circles if set(c) != ALLOWED_PAIR]
    assert not circles, f"import circles: {circles}"


def test_at_most_twelve_floors(shape) -> None:  # type: ignore[no-untyped-def]
    assert shape.height <= MAX_FLOORS, sorted(shape.floors.items(), key=lambda kv: -kv[1])[:5]


def test_no_function_over_a_hundred_lines(shape) -> None:  # type: ignore[no-untyped-def]
    long = [(n, where) for n, where in shape.functions if n > MAX_FUNCTION_LINES]
    assert not long, long


def test_simulate_reads_in_sixty_lines(shape) -> None:  # type: ignore[no-untyped-def]
    lengths = [n for n, where in shape.functions if where.startswith("lifsim.simulation.simulate ")]
    assert lengths and lengths[0] <= MAX_SIMULATE_LINES, lengths


def test_the_library_never_imports_the_command_line(shape) -> None:  # type: ignore[no-untyped-def]
    offenders = sorted(
        (m, t)
        for m, targets in shape.graph.items()
        if not (m.startswith("lifsim.cli") or m in USER_SURFACES)
        for t in targets
        if t.startswith("lifsim.cli")
    )
    assert not offenders, offenders


def test_engines_never_import_runners(shape) -> None:  # type: ignore[no-untyped-def]
    offenders = sorted(
        (m, t)
        for m, targets in shape.graph.items()
        if m.startswith("lifsim.engine")
        for t in targets
        if t.startswith("lifsim.runners")
    )
    assert not offenders, offenders


def test_the_measure_sees_a_circle_and_a_long_function(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The tool itself: a two-module circle made of function-level imports, and a 101-line function."""
    package = tmp_path / "lifsim"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n")
    body = "".join("    x = 1\n" for _ in range(100))
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\n"
        "def g():\n    from .a import f\n" + "def h():\n" + body
    )
    (package / "c.py").write_text("from .b import g\n")
    monkeypatch.setattr(import_graph, "ROOT", tmp_path)
    measured = import_graph.measure()
    assert measured.circles == [["lifsim.a", "lifsim.b"]]
    assert measured.height == 2  # c imports the a-b circle; b's TYPE_CHECKING import of c does not count
    assert measured.functions[0][0] == 101


def test_no_results_committed_at_the_repository_root() -> None:
    """A run's files written in the repository's folder stay out of git (six network results, 64 MB, were
    committed there once by a broad ``git add``): no tracked file at the root has a result's suffix."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    suffixes = (".nc", ".npz", ".zarr", ".png", ".svg", ".pdf", ".csv", ".nwb", ".npy")
    stray = [name for name in tracked.splitlines() if "/" not in name and name.endswith(suffixes)]
    assert not stray, stray
