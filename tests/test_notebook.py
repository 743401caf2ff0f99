"""The example notebook runs top to bottom (so it cannot rot), and the explorer's widgets drive its figure."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "tutorial_with_lifsim.ipynb"


def test_example_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "0.15 0.001 0.02 -0.06 -0.07 -0.05 100000000.0 2.5e-10" in outputs
    assert "identical: True" in outputs


def test_the_notebook_extra_brings_a_jupyter_front_end():
    """``pip install ".[notebook]"`` installed the widgets and a kernel but nothing to open a notebook in: a student
    had to find and install JupyterLab before ``lifsim.explore()`` could be seen. The extra now brings JupyterLab
    (tests/test_explorer_browser.py drives the explorer in it with the mouse), and the pages that name the extra
    say so."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    root = NOTEBOOK.parent.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = [re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower() for requirement in extras["notebook"]]
    assert "jupyterlab" in names, extras["notebook"]
    for page in (root / "README.md", root / "docs" / "guide" / "notebook.md", root / "docs" / "guide" / "setup.md"):
        flat = " ".join(page.read_text().split())
        assert "JupyterLab" in flat and "jupyter lab" in flat, page.name


def test_explorer_widgets_update_the_figure():
    pytest.importorskip("ipywidgets")
    import lifsim

    explorer = lifsim.explore(t_max="100 ms")
    mean_before = explorer.lines["mean"].get_ydata().copy()
    theory_before = explorer.lines["theory_mean"].get_ydata().copy()
    assert np.isfinite(theory_before).all()  # subthreshold: theory band shown
    np.testing.assert_allclose(mean_before, explorer.result.v_mean * 1e3)  # drawn in mV

    explorer.controls["tau"].value = 10.0
    assert explorer.result.meta["params"]["tau"] == pytest.approx(0.01)
    assert not np.array_equal(explorer.lines["mean"].get_ydata(), mean_before)
    np.testing.assert_allclose(explorer.lines["mean"].get_ydata(), explorer.result.v_mean * 1e3)
    from lifsim import theory

    expected = theory.euler_moments(lifsim.LIFParams(t_max=0.1, tau=0.01), lifsim.inputs.uniform_noise(25e-11, 1.0))
    np.testing.assert_allclose(explorer.lines["theory_mean"].get_ydata(), expected.mean * 1e3)
    legend = [text.get_text() for text in explorer.ax_v.get_legend().get_texts()]
    assert "theory mean" in legend

    explorer.controls["n"].value = 200
    assert explorer.result.n == 200
    explorer.controls["spiking"].value = True
    assert explorer.result.total_spikes > 0
    x, y = explorer.lines["raster"].get_data()
    np.testing.assert_array_equal(x, explorer.result.spike_t * 1e3)  # ms
    assert not explorer.lines["theory_mean"].get_visible()  # no subthreshold theory with spiking...
    legend = [text.get_text() for text in explorer.ax_v.get_legend().get_texts()]
    assert not any("theory" in label for label in legend)  # ...and none in the legend
    explorer.controls["spiking"].value = False
    assert len(explorer.figure.axes) == 2  # V and its histogram: no empty raster panel without spikes
    explorer.controls["spiking"].value = True
    assert len(explorer.figure.axes) == 4  # and the raster and the rate

    explorer.controls["input"].value = "white"
    assert "white" in json.dumps(explorer.result.meta["input"])
    explorer.controls["i_mean"].value = 0.0
    assert explorer.result.meta["params"]["i_mean"] == 0.0


def test_explorer_sliders_come_from_the_option_table():
    pytest.importorskip("ipywidgets")
    import lifsim
    from lifsim.cli.options import BY_NAME

    explorer = lifsim.explore()
    for name in ("tau", "r", "i_mean", "t_ref", "sigma", "amplitude", "n"):
        option = BY_NAME[name]
        slider = explorer.controls[name]
        assert (slider.min, slider.max, slider.step) == option.slider, name
        assert option.unit in slider.description
    assert explorer.controls["tau"].value == 20.0 and explorer.controls["i_mean"].value == 250.0
    assert explorer.controls["amplitude"].value == pytest.approx(0.1 * 150**0.5, abs=1e-4)  # the tutorial's A
