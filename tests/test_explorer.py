"""lifsim.explore() headlessly: the controls a student expects and what the figure shows for them.

(In a real browser, with the mouse: tests/test_explorer_browser.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import lifsim  # noqa: E402
from lifsim import inputs, theory  # noqa: E402
from lifsim.explorer import FIGURE_MIN_WIDTH  # noqa: E402


@pytest.fixture
def explorer():
    return lifsim.explore()


def shown(widget) -> bool:
    return widget.layout.display != "none"


def test_the_controls_keep_their_column_beside_a_figure_that_cannot_cover_them(explorer):
    """The controls' VBox never shrinks (a shrunk column left the slider handles under the figure), nor does the
    figure below its readable width (squeezed beside the controls it was 108 px wide in JupyterLab): where both do
    not fit, the row wraps and the figure goes below.  (Measured in a browser: tests/test_explorer_browser.py.)"""
    column, figure = explorer.widget.children
    assert column.layout.flex.startswith("0 0 ") and column.layout.min_width == column.layout.width
    assert int(column.layout.min_width.rstrip("px")) >= 400
    assert explorer.widget.layout.flex_flow == "row wrap"
    assert figure.layout.flex == f"1 1 {FIGURE_MIN_WIDTH}" and figure.layout.overflow == "hidden"
    assert figure.layout.min_width == f"min({FIGURE_MIN_WIDTH}, 100%)"  # a phone's page: the whole row, no more
    assert explorer.image.layout.max_width == "100%"  # the figure scales down with the page, to FIGURE_MIN_WIDTH


def test_every_model_parameter_has_a_control_labelled_in_words_with_its_unit(explorer):
    expected = {"tau": "ms", "r": "MOhm", "i_mean": "pA", "el": "mV", "vth": "mV", "vr": "mV", "t_ref": "ms",
                "dt": "ms", "t_max": "ms", "sigma": "mV"}  # fmt: skip
    for name, unit in expected.items():
        description = explorer.controls[name].description
        assert f"({unit})" in description, description
        assert not description.startswith(f"{name} "), description  # words, not the code name
    params = explorer.params()
    assert (params.el, params.vth, params.vr, params.dt, params.t_max) == pytest.approx(
        (-0.06, -0.05, -0.07, 1e-3, 0.15)
    )


def test_the_noise_amplitude_starts_at_the_tutorials_exact_value(explorer):
    amplitude = explorer.controls["amplitude"]
    assert amplitude.value == pytest.approx(0.1 * (0.15 / 0.001) ** 0.5, abs=5e-5)  # 1.2247, not 1.20
    assert amplitude.step <= 1e-4 and amplitude.readout_format == ".4f"


@pytest.mark.parametrize(
    "kind, amplitude, sigma",
    [("uniform", True, False), ("white", False, True), ("constant", False, False), ("sine+uniform", True, False)],
)
def test_only_the_noise_slider_of_the_chosen_input_is_shown(explorer, kind, amplitude, sigma):
    explorer.controls["input"].value = kind
    assert shown(explorer.controls["amplitude"]) is amplitude
    assert shown(explorer.controls["sigma"]) is sigma


def test_spiking_shows_the_threshold_raster_rate_in_hz_and_the_stationary_rate(explorer):
    explorer.controls["n"].value = 400
    explorer.controls["spiking"].value = True
    assert len(explorer.figure.axes) == 4  # V, its histogram, the raster, the rate
    threshold = explorer.lines["threshold"]
    assert threshold.get_visible() and threshold.get_ydata()[0] == pytest.approx(-50.0)
    explorer.controls["vth"].value = -45.0
    assert explorer.lines["threshold"].get_ydata()[0] == pytest.approx(-45.0)
    explorer.controls["vth"].value = -50.0
    # the population rate panel is in Hz: its time average is the run's rate
    _, rate = explorer.lines["rate"].get_data()
    assert np.mean(explorer.population_rate) == pytest.approx(explorer.result.rate, rel=0.05)
    assert rate.max() < 1000  # Hz, not spikes per step
    # the theory is kept with spiking on: the stationary rate, close to the simulated one late in the run
    expected, _ = theory.stationary_rate(explorer.params(), explorer.inputs(explorer.params()))
    assert explorer.theory_rate == pytest.approx(expected)
    assert explorer.lines["rate_theory"].get_visible()
    assert explorer.theory_rate == pytest.approx(np.mean(explorer.population_rate[-10:]), rel=0.25)
    assert "theory" in explorer.lines["rate_theory"].get_label()


def test_the_histogram_of_v_has_the_theorys_gaussian_when_subthreshold(explorer):
    assert explorer.ax_hist.patches  # the bars
    line = explorer.lines["hist_theory"]
    assert line.get_visible()
    density, v = line.get_data()
    expected = theory.euler_moments(
        lifsim.LIFParams(), inputs.uniform_noise(250e-12, explorer.controls["amplitude"].value)
    )
    assert v[np.argmax(density)] == pytest.approx(expected.mean[-1] * 1e3, abs=0.1)  # mV


def test_a_time_step_too_coarse_for_tau_is_a_warning(explorer):
    assert explorer.message.value == ""
    explorer.controls["tau"].value = 2.0  # dt = 1 ms is half of tau
    assert "time step" in explorer.message.value and "τ/10" in explorer.message.value
    explorer.controls["spiking"].value = True  # every neuron fires nearly every step
    assert "spike every two steps" in explorer.message.value


def test_values_the_model_refuses_are_said_instead_of_drawn(explorer):
    assert shown(explorer.image)
    explorer.controls["vr"].value = -45.0  # above the threshold
    assert "vr" in explorer.message.value and "threshold" in explorer.message.value
    assert not shown(explorer.image)  # the previous values' figure is not left beside the refusal
    explorer.controls["vr"].value = -75.0
    assert explorer.message.value == "" and shown(explorer.image)
    assert explorer.result.meta["params"]["vr"] == pytest.approx(-0.075)


def test_reset_puts_every_control_back_and_redraws_once(explorer):
    before = explorer.result.v_mean.copy()
    explorer.controls["tau"].value = 40.0
    explorer.controls["input"].value = "white"
    explorer.controls["spiking"].value = True
    runs = []
    original = explorer.update
    explorer.update = lambda: (runs.append(1), original())  # type: ignore[method-assign]
    explorer.reset.click()
    assert len(runs) == 1
    assert {name: control.value for name, control in explorer.controls.items()} == explorer.starts
    np.testing.assert_array_equal(explorer.result.v_mean, before)


def test_the_figure_is_a_png_for_the_page(explorer):
    assert explorer.png()[:4] == b"\x89PNG"


def points_under(ax, box) -> list[tuple[float, float]]:
    """The points (display coordinates) of ``ax``'s visible lines, sampled along each segment, inside ``box``."""
    inside = []
    for line in ax.get_lines():
        x, y = (np.asarray(values, dtype=float) for values in line.get_data())
        if not line.get_visible() or x.size == 0:
            continue
        points = ax.transData.transform(np.column_stack([x, y]))
        fine = np.concatenate([np.linspace(a, b, 20) for a, b in zip(points[:-1], points[1:])] or [points])
        inside += [tuple(p) for p in fine if np.all(np.isfinite(p)) and box.contains(*p)]
    return inside


@pytest.mark.parametrize(
    "values",
    [{}, {"input": "white", "sigma": 8.0}, {"i_mean": 400.0}, {"i_mean": 180.0, "input": "white", "sigma": 3.0}],
    ids=["tutorial", "white", "400pA", "near-threshold"],
)
def test_the_rate_panels_legend_covers_no_data(explorer, values):
    """With spiking on, the rate panel's legend ("upper right" inside the axes) sat on the population rate and
    the theory's line. It is now under the panel, off every axes and their labels, whole inside the figure."""
    with explorer.hold():
        explorer.controls["spiking"].value = True
        for name, value in values.items():
            explorer.controls[name].value = value
    figure = explorer.figure
    figure.canvas.draw()
    legend = explorer.ax_rate.get_legend()
    box = legend.get_window_extent()
    assert [text.get_text() for text in legend.get_texts()][0] == "simulated"
    assert points_under(explorer.ax_rate, box) == [], "the rate panel's legend covers its curves"
    for ax in figure.axes:
        assert not box.overlaps(ax.get_window_extent()), ax  # no panel under it, nor the rate panel itself
    assert not box.overlaps(explorer.ax_rate.xaxis.get_tightbbox()), "the legend covers the time axis"
    whole = figure.bbox
    assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1, (box, whole)


def test_a_value_set_from_another_thread_mid_redraw_is_drawn_after_it(explorer, monkeypatch):
    """JupyterLab's widget manager sends a drag's values on a kernel subshell: ipykernel runs their callbacks in
    the subshell's thread beside the main one, so two redraws ran at once on one figure, and the one that ended
    last (an earlier value) was left on screen: 24 ms in the figure, 61 ms on the slider. Redraws now take turns;
    a value that arrives during one is drawn after it, and the figure ends on the controls' values."""
    import threading

    from lifsim import explorer as module

    entered, release = threading.Event(), threading.Event()
    running, most = [0], [0]
    real = module.simulate

    def slow(*args, **kwargs):
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            if not entered.is_set():  # the first redraw waits here until the other thread has set its value
                entered.set()
                release.wait(30)
            return real(*args, **kwargs)
        finally:
            running[0] -= 1

    monkeypatch.setattr(module, "simulate", slow)
    subshell = threading.Thread(target=lambda: setattr(explorer.controls["tau"], "value", 24.0))
    subshell.start()
    assert entered.wait(30)
    explorer.controls["tau"].value = 61.0  # the main thread's value, while the subshell's redraw runs
    release.set()
    subshell.join(30)
    assert most[0] == 1, "two redraws ran at once"
    assert explorer.result.meta["params"]["tau"] == pytest.approx(0.061)
    assert "τ = 61 ms" in explorer.ax_v.get_title()
