"""``lifsim.explore()``: sliders that re-simulate and redraw, like the tutorial's demos.

In Jupyter, ``lifsim.explore()`` shows sliders for tau, R, I_mean, the noise
amplitude, n, t_ref, spiking and the input kind, and a figure of V traces,
the sample mean +/- std with the closed-form theory band, and the spike
raster, redrawn whenever a slider moves.  Outside a notebook the returned
:class:`Explorer` works the same way headlessly: set a widget's ``value``
and the figure's data update (which is how the tests drive it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import inputs as inputs_mod
from .params import LIFParams
from .simulation import simulate
from .theory import euler_moments

__all__ = ["Explorer", "explore"]


class Explorer:
    """Widgets, a figure and the run they show.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        ``tau`` (ms), ``r`` (MOhm), ``i_mean`` (pA), ``amplitude``, ``sigma``
        (mV), ``n``, ``t_ref`` (ms), ``spiking``, ``input``.
    figure : matplotlib Figure
    lines : dict of str to matplotlib artists
        ``mean``, ``upper``, ``lower`` (sample), ``theory_mean``,
        ``theory_upper``, ``theory_lower``, ``traces`` (list), ``raster``.
    result : lifsim.Result
        The run on screen.
    """

    def __init__(
        self, *, t_max: str | float = "150 ms", dt: str | float = "1 ms", seed: int = 0, max_traces: int = 10
    ) -> None:
        import ipywidgets as widgets
        import matplotlib.pyplot as plt

        self.t_max, self.dt, self.seed, self.max_traces = t_max, dt, seed, max_traces
        style = {"description_width": "110px"}
        layout = widgets.Layout(width="420px")
        self.controls: dict[str, Any] = {
            "tau": widgets.FloatSlider(
                value=20.0, min=2.0, max=100.0, step=1.0, description="tau (ms)", style=style, layout=layout
            ),
            "r": widgets.FloatSlider(
                value=100.0, min=10.0, max=500.0, step=10.0, description="R (MOhm)", style=style, layout=layout
            ),
            "i_mean": widgets.FloatSlider(
                value=250.0, min=0.0, max=600.0, step=10.0, description="I_mean (pA)", style=style, layout=layout
            ),
            "amplitude": widgets.FloatSlider(
                value=1.0, min=0.0, max=3.0, step=0.05, description="noise A", style=style, layout=layout
            ),
            "sigma": widgets.FloatSlider(
                value=3.0, min=0.0, max=10.0, step=0.5, description="sigma (mV)", style=style, layout=layout
            ),
            "n": widgets.IntSlider(
                value=50, min=1, max=2000, step=1, description="neurons", style=style, layout=layout
            ),
            "t_ref": widgets.FloatSlider(
                value=0.0, min=0.0, max=10.0, step=0.5, description="t_ref (ms)", style=style, layout=layout
            ),
            "spiking": widgets.Checkbox(value=False, description="spiking"),
            "input": widgets.Dropdown(
                options=["uniform", "constant", "sine", "white", "sine+uniform"],
                value="uniform",
                description="input",
                style=style,
            ),
        }
        self.message = widgets.HTML("")
        self.figure, (self.ax_v, self.ax_raster) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=(3, 1))
        self.ax_v.set_ylabel("$V_m$ (V)")
        self.ax_raster.set_xlabel("time (s)")
        self.ax_raster.set_ylabel("neuron")
        self.lines: dict[str, Any] = {}
        self.output = widgets.Output()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.HBox([widgets.VBox([*self.controls.values(), self.message]), self.output])
        self.update()

    # ------------------------------------------------------------------ model
    def params(self) -> LIFParams:
        from .units import to_si

        c = self.controls
        return LIFParams(
            t_max=to_si(self.t_max, "time", "t_max"),
            dt=to_si(self.dt, "time", "dt"),
            tau=c["tau"].value * 1e-3,
            r=c["r"].value * 1e6,
            i_mean=c["i_mean"].value * 1e-12,
            t_ref=c["t_ref"].value * 1e-3,
        )

    def inputs(self, params: LIFParams) -> inputs_mod.Input:
        kind = self.controls["input"].value
        amplitude = self.controls["amplitude"].value
        if kind == "constant":
            return inputs_mod.constant(params.i_mean)
        if kind == "sine":
            return inputs_mod.sine(params.i_mean)
        if kind == "uniform":
            return inputs_mod.uniform_noise(params.i_mean, amplitude)
        if kind == "white":
            return inputs_mod.white_noise(self.controls["sigma"].value * 1e-3, params.i_mean)
        return inputs_mod.modulated(params.i_mean, [inputs_mod.SineTerm(10e-3), inputs_mod.UniformTerm(amplitude)])

    # ------------------------------------------------------------------ drawing
    def _on_change(self, _change: dict) -> None:
        self.update()

    def update(self) -> None:
        """Simulate with the current widget values and redraw."""
        try:
            params = self.params()
            drive = self.inputs(params)
            spiking = self.controls["spiking"].value
            n = self.controls["n"].value
            self.result = simulate(
                params,
                drive,
                n=n,
                seed=self.seed,
                spiking=spiking,
                record_v=f"0:{min(n, self.max_traces)}",
                progress=False,
            )
        except ValueError as error:  # e.g. dt >= tau: say so instead of drawing
            self.message.value = f"<b>{error}</b>"
            return
        self.message.value = ""
        result = self.result
        traces = result.traces()
        t = result.t
        std = result.v_std(1) if result.n > 1 else np.zeros_like(t)
        theory = None if spiking else euler_moments(params, drive)
        if not self.lines:
            self.lines["traces"] = [self.ax_v.plot(t, trace, "k", alpha=0.3, lw=0.8)[0] for trace in traces]
            (self.lines["mean"],) = self.ax_v.plot(t, result.v_mean, "C0", label="sample mean")
            (self.lines["upper"],) = self.ax_v.plot(
                t, result.v_mean + std, "C0", alpha=0.5, ls="--", label=r"sample mean $\pm$ std"
            )
            (self.lines["lower"],) = self.ax_v.plot(t, result.v_mean - std, "C0", alpha=0.5, ls="--")
            (self.lines["theory_mean"],) = self.ax_v.plot(t, t * np.nan, "C3", lw=1, label="theory mean")
            (self.lines["theory_upper"],) = self.ax_v.plot(t, t * np.nan, "C3:", lw=1, label=r"theory mean $\pm$ std")
            (self.lines["theory_lower"],) = self.ax_v.plot(t, t * np.nan, "C3:", lw=1)
            (self.lines["raster"],) = self.ax_raster.plot([], [], "k|", markersize=3)
            self.ax_v.legend(loc="lower right", fontsize="small")
        for line in self.lines["traces"]:
            line.set_visible(False)
        for line, trace in zip(self.lines["traces"], traces):
            line.set_data(t, trace)
            line.set_visible(True)
        for index in range(len(self.lines["traces"]), traces.shape[0]):
            self.lines["traces"].append(self.ax_v.plot(t, traces[index], "k", alpha=0.3, lw=0.8)[0])
        self.lines["mean"].set_data(t, result.v_mean)
        self.lines["upper"].set_data(t, result.v_mean + std)
        self.lines["lower"].set_data(t, result.v_mean - std)
        nan = t * np.nan
        self.lines["theory_mean"].set_data(t, nan if theory is None else theory.mean)
        self.lines["theory_upper"].set_data(t, nan if theory is None else theory.mean + theory.std)
        self.lines["theory_lower"].set_data(t, nan if theory is None else theory.mean - theory.std)
        if result.spike_t is not None and result.spike_t.size:
            self.lines["raster"].set_data(result.spike_t, result.spike_i)
        else:
            self.lines["raster"].set_data([], [])
        self.ax_raster.set_ylim(-0.5, max(result.n, 1) - 0.5)
        rate = f", {result.rate:.3g} Hz" if spiking else ""
        self.ax_v.set_title(
            f"n = {result.n}, tau = {params.tau * 1e3:g} ms, I_mean = {params.i_mean * 1e12:g} pA{rate}"
        )
        self.ax_v.relim()
        self.ax_v.autoscale_view()
        self.figure.canvas.draw_idle()
        self._show()

    def _show(self) -> None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:  # headless: the figure's data are up to date, nothing to show
            return
        from IPython.display import display

        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(**kwargs: Any) -> Explorer:
    """Sliders and a live figure for the LIF model (Jupyter); returns the :class:`Explorer`.

    Keyword arguments go to :class:`Explorer` (``t_max``, ``dt``, ``seed``, ``max_traces``).
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise ValueError("explore: needs ipywidgets; pip install 'lifsim[notebook]'") from None
    import matplotlib.pyplot as plt

    explorer = Explorer(**kwargs)
    plt.close(explorer.figure)  # shown through the widget's output, not twice
    return explorer
