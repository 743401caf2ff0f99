"""``lifsim.explore()``: sliders that re-simulate and redraw, like the tutorial's demos.

In Jupyter, ``lifsim.explore()`` shows sliders for tau, R, I_mean, the noise
amplitude or sigma, n, t_ref, spiking and the input kind, and a figure of V
traces, the sample mean +/- std with the closed-form theory band (subthreshold
runs), and, with spiking on, the spike raster, redrawn whenever a control
moves.  The sliders are generated from the option table
(:mod:`lifsim.options`): their ranges, units and starting values are defined
there once.  Outside a notebook the returned :class:`Explorer` works the same
way headlessly: set a widget's ``value`` and the figure's data update (which
is how the tests drive it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import inputs as inputs_mod
from .errors import MissingDependencyError
from .options import BY_NAME, Option
from .params import LIFParams
from .simulation import simulate
from .theory import euler_moments
from .units import DISPLAY_UNITS, display_factor, to_si

__all__ = ["Explorer", "explore", "SLIDERS", "INPUT_CHOICES"]

#: the options that get a slider, in order
SLIDERS = ("tau", "r", "i_mean", "amplitude", "sigma", "n", "t_ref")
#: the input kinds the explorer offers
INPUT_CHOICES = ("uniform", "constant", "sine", "white", "sine+uniform")

MS = display_factor("time")
MV = display_factor("voltage")


def _start(option: Option, params: LIFParams) -> Any:
    """A control's first value, in the option's display unit."""
    if option.slider_start is not None and option.slider_start[0] is not None:
        return option.slider_start[0]
    if option.name == "amplitude":  # the tutorial's A for this t_max and dt
        return round(inputs_mod.tutorial_amplitude(params), 4)
    value = option.default
    if option.kind == "quantity" and option.dimension:
        return round(value / DISPLAY_UNITS[option.dimension][1], 9)  # 250 pA, not 250.00000000000003
    return value


class Explorer:
    """Widgets, a figure and the run they show.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        ``tau`` (ms), ``r`` (MOhm), ``i_mean`` (pA), ``amplitude``, ``sigma``
        (mV), ``n``, ``t_ref`` (ms), ``spiking``, ``input``.
    figure : matplotlib Figure
    lines : dict of str to matplotlib artists
        ``mean``, ``upper``, ``lower`` (sample, mV), ``theory_mean``,
        ``theory_upper``, ``theory_lower``, ``traces`` (list), and with
        spiking on ``raster`` (ms against neuron index).
    result : lifsim.Result
        The run on screen.
    """

    def __init__(
        self, *, t_max: str | float = "150 ms", dt: str | float = "1 ms", seed: int = 0, max_traces: int = 10
    ) -> None:
        import ipywidgets as widgets
        import matplotlib.pyplot as plt

        self.t_max = to_si(t_max, "time", "t_max")
        self.dt = to_si(dt, "time", "dt")
        self.seed, self.max_traces = seed, max_traces
        base = LIFParams(t_max=self.t_max, dt=self.dt)
        style = {"description_width": "110px"}
        layout = widgets.Layout(width="420px")
        self.controls: dict[str, Any] = {}
        for name in SLIDERS:
            option = BY_NAME[name]
            assert option.slider is not None
            low, high, step = option.slider
            description = f"{name} ({option.unit})" if option.unit else name
            widget = widgets.IntSlider if option.kind == "int" else widgets.FloatSlider
            cast = int if option.kind == "int" else float
            self.controls[name] = widget(
                value=cast(_start(option, base)),
                min=cast(low),
                max=cast(high),
                step=cast(step),
                description=description,
                style=style,
                layout=layout,
            )
        self.controls["spiking"] = widgets.Checkbox(value=bool(_start(BY_NAME["spiking"], base)), description="spiking")
        self.controls["input"] = widgets.Dropdown(
            options=list(INPUT_CHOICES), value=_start(BY_NAME["input"], base), description="input", style=style
        )
        self.message = widgets.HTML("")
        self.figure = plt.figure(figsize=(7.5, 6))
        self.lines: dict[str, Any] = {}
        self._layout_spiking: bool | None = None
        self.output = widgets.Output()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.HBox([widgets.VBox([*self.controls.values(), self.message]), self.output])
        self.update()

    # ------------------------------------------------------------------ model
    def params(self) -> LIFParams:
        """The parameters the sliders set (SI)."""
        c = self.controls
        return LIFParams(
            t_max=self.t_max,
            dt=self.dt,
            tau=c["tau"].value * DISPLAY_UNITS["time"][1],
            r=c["r"].value * DISPLAY_UNITS["resistance"][1],
            i_mean=c["i_mean"].value * DISPLAY_UNITS["current"][1],
            t_ref=c["t_ref"].value * DISPLAY_UNITS["time"][1],
            round_steps=True,
        )

    def inputs(self, params: LIFParams) -> inputs_mod.Input:
        """The input the dropdown and the noise sliders set."""
        kind = self.controls["input"].value
        settings: dict[str, Any] = {}
        if "uniform" in kind:
            settings["amplitude"] = self.controls["amplitude"].value
        if "white" in kind:
            settings["sigma"] = self.controls["sigma"].value * DISPLAY_UNITS["voltage"][1]
        return inputs_mod.from_kinds(kind, params.i_mean, **settings)

    # ------------------------------------------------------------------ drawing
    def _on_change(self, _change: dict) -> None:
        self.update()

    def _build(self, spiking: bool) -> None:
        """Lay out the axes: V alone, or V over the raster when spiking is on."""
        self.figure.clf()
        self.lines = {}
        if spiking:
            grid = self.figure.add_gridspec(2, 1, height_ratios=(3, 1))
            self.ax_v = self.figure.add_subplot(grid[0])
            self.ax_raster: Any = self.figure.add_subplot(grid[1], sharex=self.ax_v)
            self.ax_raster.set_xlabel("time (ms)")
            self.ax_raster.set_ylabel("neuron")
            (self.lines["raster"],) = self.ax_raster.plot([], [], "k|", markersize=3)
        else:
            self.ax_v = self.figure.add_subplot()
            self.ax_raster = None
            self.ax_v.set_xlabel("time (ms)")
        self.ax_v.set_ylabel("$V_m$ (mV)")
        nan = np.full(2, np.nan)
        self.lines["traces"] = []
        (self.lines["mean"],) = self.ax_v.plot(nan, nan, "C0", label="sample mean")
        (self.lines["upper"],) = self.ax_v.plot(nan, nan, "C0", alpha=0.5, ls="--", label=r"sample mean $\pm$ std")
        (self.lines["lower"],) = self.ax_v.plot(nan, nan, "C0", alpha=0.5, ls="--")
        (self.lines["theory_mean"],) = self.ax_v.plot(nan, nan, "C3", lw=1, label="theory mean")
        (self.lines["theory_upper"],) = self.ax_v.plot(nan, nan, "C3:", lw=1, label=r"theory mean $\pm$ std")
        (self.lines["theory_lower"],) = self.ax_v.plot(nan, nan, "C3:", lw=1)
        self._layout_spiking = spiking

    def update(self) -> None:
        """Simulate with the current widget values and redraw."""
        try:
            params = self.params()
            drive = self.inputs(params)
            spiking = bool(self.controls["spiking"].value)
            n = int(self.controls["n"].value)
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
        if spiking != self._layout_spiking:
            self._build(spiking)
        result = self.result
        traces = result.traces() * MV
        t = result.t * MS
        std = result.v_std(1) if result.n > 1 else np.zeros_like(result.t)
        theory = None if spiking else euler_moments(params, drive)
        for index in range(len(self.lines["traces"]), traces.shape[0]):
            self.lines["traces"].append(self.ax_v.plot(t, traces[index], "k", alpha=0.3, lw=0.8)[0])
        for line in self.lines["traces"]:
            line.set_visible(False)
        for line, trace in zip(self.lines["traces"], traces):
            line.set_data(t, trace)
            line.set_visible(True)
        self.lines["mean"].set_data(t, result.v_mean * MV)
        self.lines["upper"].set_data(t, (result.v_mean + std) * MV)
        self.lines["lower"].set_data(t, (result.v_mean - std) * MV)
        nan = t * np.nan
        self.lines["theory_mean"].set_data(t, nan if theory is None else theory.mean * MV)
        self.lines["theory_upper"].set_data(t, nan if theory is None else (theory.mean + theory.std) * MV)
        self.lines["theory_lower"].set_data(t, nan if theory is None else (theory.mean - theory.std) * MV)
        for name in ("theory_mean", "theory_upper", "theory_lower"):
            self.lines[name].set_visible(theory is not None)
        if spiking:
            if result.spike_t is not None and result.spike_t.size:
                self.lines["raster"].set_data(result.spike_t * MS, result.spike_i)
            else:
                self.lines["raster"].set_data([], [])
            self.ax_raster.set_ylim(-0.5, max(result.n, 1) - 0.5)
        self._legend()
        rate = f", {result.rate:.3g} Hz" if spiking else ""
        self.ax_v.set_title(
            f"n = {result.n}, tau = {params.tau * MS:g} ms, I_mean = {params.i_mean * 1e12:g} pA, "
            f"{self.controls['input'].value}{rate}",
            fontsize="medium",
        )
        self.ax_v.relim(visible_only=True)
        self.ax_v.autoscale_view()
        self.figure.tight_layout()
        self.figure.canvas.draw_idle()
        self._show()

    def _legend(self) -> None:
        """A legend of the curves on screen only (the theory only when it is drawn)."""
        shown = [self.lines["traces"][0]] if self.lines["traces"] else []
        self.lines["traces"][0].set_label(f"V(t), neurons 0-{min(self.result.n, self.max_traces) - 1}")
        shown += [self.lines["mean"], self.lines["upper"]]
        if self.lines["theory_mean"].get_visible():
            shown += [self.lines["theory_mean"], self.lines["theory_upper"]]
        self.ax_v.legend(handles=shown, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)

    def _show(self) -> None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:  # headless: the figure's data are up to date, nothing to show
            return
        import io

        from IPython.display import Image, display

        # the figure as a PNG, whatever matplotlib backend the kernel has (MPLBACKEND=Agg shows no figure otherwise)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", bbox_inches="tight")
        self.output.clear_output(wait=True)
        with self.output:
            display(Image(data=buffer.getvalue(), format="png"))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(**kwargs: Any) -> Explorer:
    """Sliders and a live figure for the LIF model (Jupyter); returns the :class:`Explorer`.

    Keyword arguments go to :class:`Explorer` (``t_max``, ``dt``, ``seed``, ``max_traces``).
    Raises :class:`~lifsim.errors.MissingDependencyError` without ipywidgets.
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is None:
        raise MissingDependencyError(
            "explore: needs ipywidgets; pip install 'lifsim[notebook]'", package="ipywidgets", extra="notebook"
        )
    import matplotlib.pyplot as plt

    explorer = Explorer(**kwargs)
    plt.close(explorer.figure)  # shown through the widget's output, not twice
    return explorer
