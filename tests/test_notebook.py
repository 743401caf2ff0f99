"""The example notebook runs top to bottom (so it cannot rot), and the explorer's widgets drive its figure."""

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


def test_explorer_widgets_update_the_figure():
    pytest.importorskip("ipywidgets")
    import lifsim

    explorer = lifsim.explore(t_max="100 ms")
    mean_before = explorer.lines["mean"].get_ydata().copy()
    theory_before = explorer.lines["theory_mean"].get_ydata().copy()
    assert np.isfinite(theory_before).all()  # subthreshold: theory band shown
    np.testing.assert_allclose(mean_before, explorer.result.v_mean)

    explorer.controls["tau"].value = 10.0
    assert explorer.result.meta["params"]["tau"] == pytest.approx(0.01)
    assert not np.array_equal(explorer.lines["mean"].get_ydata(), mean_before)
    np.testing.assert_allclose(explorer.lines["mean"].get_ydata(), explorer.result.v_mean)
    from lifsim import theory

    expected = theory.euler_moments(lifsim.LIFParams(t_max=0.1, tau=0.01), lifsim.inputs.uniform_noise(25e-11, 1.0))
    np.testing.assert_allclose(explorer.lines["theory_mean"].get_ydata(), expected.mean)

    explorer.controls["n"].value = 200
    assert explorer.result.n == 200
    explorer.controls["spiking"].value = True
    assert explorer.result.total_spikes > 0
    x, y = explorer.lines["raster"].get_data()
    np.testing.assert_array_equal(x, explorer.result.spike_t)
    assert np.isnan(explorer.lines["theory_mean"].get_ydata()).all()  # no subthreshold theory with spiking

    explorer.controls["input"].value = "white"
    assert explorer.result.meta["input"]["kind"] == "white"
    explorer.controls["i_mean"].value = 0.0
    assert explorer.result.meta["params"]["i_mean"] == 0.0
