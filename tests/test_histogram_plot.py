"""The histograms of V of a run's figure (``lifsim simulate --snapshots ... --plot``) and their theory."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import lifsim  # noqa: E402
from lifsim import plot  # noqa: E402


def test_the_stationary_theory_is_drawn_in_a_colour_no_histogram_has():
    """The stationary theory's dashed steps were drawn in the colour of the histogram they describe (the 400 ms
    one of the white-noise figure) and vanished into its steps; they are drawn in the theory's dark colour, which
    is none of the histograms' colours, and the legend says so."""
    params = lifsim.LIFParams(t_max="0.15 s", dt="0.1 ms", i_mean="60 pA", t_ref="2 ms")
    run = lifsim.simulate(
        params, lifsim.inputs.white_noise("5 mV", params.i_mean), n=300, seed=2, snapshots=("10 ms", "50 ms", "120 ms")
    )
    figure = plot.plot_result(run)
    try:
        (ax,) = [ax for ax in figure.axes if ax.get_title().startswith("V across neurons")]
        histograms = [to_rgba(p.get_edgecolor()) for p in ax.patches if type(p).__name__ == "Polygon"]
        (theory,) = [p for p in ax.patches if type(p).__name__ == "StepPatch"]  # from 5 tau = 100 ms on: 120 ms
        assert len(histograms) == 3
        colour = to_rgba(theory.get_edgecolor())
        assert colour not in histograms, (colour, histograms)
        assert np.mean(colour[:3]) < 0.3  # dark
        assert colour == to_rgba(plot.THEORY_COLOR)
        legend = dict(zip([t.get_text() for t in ax.get_legend().get_texts()], ax.get_legend().legend_handles))
        assert to_rgba(legend["stationary theory, t = 120 ms"].get_color()) == colour
    finally:
        plt.close(figure)
