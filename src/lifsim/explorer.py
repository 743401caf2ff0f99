"""``lifsim.explore()``: sliders that re-simulate and redraw, like the tutorial's demos.

In Jupyter (or Voila), ``lifsim.explore()`` shows a column of labelled
controls -- the membrane time constant, resistance, mean input, resting,
threshold and reset potentials, refractory period, time step, duration,
number of neurons, the input kind and the noise strength that input uses,
spiking on or off -- beside a figure (below them, where the page is too
narrow for both side by side) that is redrawn whenever a control moves:

* V(t) of up to ten neurons over the sample mean +/- std band, the
  closed-form theory band for subthreshold runs and, with spiking on, the
  threshold line;
* a histogram of V at the last step over the theory's Gaussian;
* with spiking on, the spike raster and the population rate (Hz) against the
  theory's stationary rate (:func:`lifsim.theory.stationary_rate`).

A line under the controls says what to try, another warns when the time step
is too coarse for the time constant.  A *Reset* button puts every control back
where it started.  The sliders' ranges, steps and units come from the option
table (:mod:`lifsim.cli.options`), so they match the command line.

Outside a notebook the returned :class:`Explorer` works the same way
headlessly: set a widget's ``value`` and the figure's data update (which is
how the tests drive it).
"""

from __future__ import annotations

import contextlib
import io
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import inputs as inputs_mod
from .cli.options import BY_NAME, Option
from .errors import MissingDependencyError, PlausibilityWarning
from .params import LIFParams
from .simulation import simulate
from .theory import euler_moments, stationary_rate
from .units import DISPLAY_UNITS, display_factor, to_si

__all__ = ["Explorer", "explore", "SLIDERS", "LABELS", "INPUT_CHOICES", "CONTROLS_WIDTH", "FIGURE_MIN_WIDTH"]

#: the options that get a slider, in the order they are shown
SLIDERS = ("tau", "r", "i_mean", "amplitude", "sigma", "el", "vth", "vr", "t_ref", "dt", "t_max", "n")
#: each control's label, in words (the option's display unit is added in brackets)
LABELS = {
    "tau": "time constant τ",
    "r": "resistance R",
    "i_mean": "mean input I",
    "amplitude": "noise amplitude A",
    "sigma": "noise strength σ",
    "el": "rest E_L",
    "vth": "threshold V_th",
    "vr": "reset V_reset",
    "t_ref": "refractory period",
    "dt": "time step dt",
    "t_max": "duration",
    "n": "neurons",
    "input": "input current",
    "spiking": "spiking (threshold and reset)",
}
#: the input kinds the explorer offers
INPUT_CHOICES = ("uniform", "constant", "sine", "white", "sine+uniform")
#: the controls' column: fixed, never shrunk by the figure beside it (a shrunk column hides its slider handles)
CONTROLS_WIDTH = "460px"
#: the narrowest the figure (drawn 720 px wide) is shown: where the controls and this do not fit side by side (a
#: notebook's output area beside JupyterLab's file browser), the figure goes below the controls instead of shrinking
FIGURE_MIN_WIDTH = "480px"

MS = display_factor("time")
MV = display_factor("voltage")
HINT = (
    "Try: raise the mean input I until V reaches the threshold, then tick <i>spiking</i> and watch the rate. "
    "<br>Then switch the input to <i>white</i> and move σ: noise makes neurons fire below threshold."
)


def _start(option: Option, params: LIFParams) -> Any:
    """A control's first value, in the option's display unit."""
    if option.slider_start is not None and option.slider_start[0] is not None:
        return option.slider_start[0]
    if option.name == "amplitude":  # the tutorial's A for this t_max and dt
        return round(inputs_mod.tutorial_amplitude(params), 4)
    if option.name in ("t_max", "dt"):
        return round(getattr(params, option.name) / DISPLAY_UNITS["time"][1], 9)
    value = option.default
    if option.kind == "quantity" and option.dimension:
        return round(value / DISPLAY_UNITS[option.dimension][1], 9)  # 250 pA, not 250.00000000000003
    return value


def _label(name: str) -> str:
    option = BY_NAME.get(name)
    unit = option.unit if option is not None else ""
    return f"{LABELS[name]} ({unit})" if unit else LABELS[name]


class Explorer:
    """Widgets, a figure and the run they show.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        Sliders ``tau`` (ms), ``r`` (MOhm), ``i_mean`` (pA), ``amplitude``
        (dimensionless), ``sigma`` (mV), ``el``, ``vth``, ``vr`` (mV),
        ``t_ref``, ``dt``, ``t_max`` (ms), ``n``; ``spiking`` (checkbox) and
        ``input`` (dropdown).  Only the noise slider the chosen input uses is
        shown.
    reset : ipywidgets.Button
        Puts every control back at its start.
    message : ipywidgets.HTML
        What to try, and warnings (a time step too coarse for tau, a rate
        near one spike per step, values the model refuses: the figure is
        hidden then, until the next values it takes).
    image : ipywidgets.Image
        The figure as the page shows it (a PNG).
    figure : matplotlib Figure
    lines : dict of str to matplotlib artists
        ``mean``, ``upper``, ``lower`` (sample, mV), ``theory_mean``,
        ``theory_upper``, ``theory_lower``, ``traces`` (list), ``threshold``
        (V_th, mV), ``hist_theory`` (the theory's density of V at the last
        step); with spiking on ``raster`` (ms against neuron index),
        ``rate`` (population rate, Hz) and ``rate_theory`` (stationary rate,
        Hz).
    result : lifsim.Result
        The run on screen.
    theory_rate : float or None
        The stationary rate (Hz) drawn on the rate panel, when the input has one.
    """

    def __init__(
        self, *, t_max: str | float = "150 ms", dt: str | float = "1 ms", seed: int = 0, max_traces: int = 10
    ) -> None:
        import ipywidgets as widgets
        import matplotlib.pyplot as plt

        self.seed, self.max_traces = seed, max_traces
        base = LIFParams(t_max=to_si(t_max, "time", "t_max"), dt=to_si(dt, "time", "dt"))
        style = {"description_width": "170px"}
        layout = {"width": "440px"}
        self.controls: dict[str, Any] = {}
        self.starts: dict[str, Any] = {}
        for name in SLIDERS:
            option = BY_NAME[name]
            assert option.slider is not None, name
            low, high, step = option.slider
            widget = widgets.IntSlider if option.kind == "int" else widgets.FloatSlider
            cast = int if option.kind == "int" else float
            extra = {"readout_format": ".4f"} if name == "amplitude" else {}
            if name == "dt":
                extra = {"readout_format": ".2f"}
            self.controls[name] = widget(
                value=cast(_start(option, base)),
                min=cast(low),
                max=cast(high),
                step=cast(step),
                description=_label(name),
                style=style,
                layout=widgets.Layout(**layout),
                **extra,
            )
        self.controls["input"] = widgets.Dropdown(
            options=list(INPUT_CHOICES),
            value=_start(BY_NAME["input"], base),
            description=_label("input"),
            style=style,
            layout=widgets.Layout(**layout),
        )
        self.controls["spiking"] = widgets.Checkbox(
            value=bool(_start(BY_NAME["spiking"], base)), description=_label("spiking"), indent=False
        )
        self.starts = {name: control.value for name, control in self.controls.items()}
        self.reset = widgets.Button(description="Reset", tooltip="every control back to its start")
        self.reset.on_click(lambda _button: self.restore())
        self.hint = widgets.HTML(
            f"<div style='line-height:1.35;font-size:0.9em'>{HINT}</div>", layout=widgets.Layout(width="440px")
        )
        self.message = widgets.HTML("", layout=widgets.Layout(width="440px"))
        self.figure = plt.figure(figsize=(8, 6.4))
        self.lines: dict[str, Any] = {}
        self.theory_rate: float | None = None
        self._layout_spiking: bool | None = None
        self._holding = False
        # one redraw at a time: JupyterLab's widget manager sends a drag's values on a kernel subshell, whose thread
        # runs the callbacks beside the main one; a value that arrives mid-redraw is drawn by the redraw under way
        self._state = threading.Lock()
        self._busy = self._again = False
        # the figure as a PNG in an Image widget: it scales down with the page and never covers the controls
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", height="auto", object_fit="contain")
        )
        # at least FIGURE_MIN_WIDTH (or the whole row, on a page narrower than that): the row wraps instead
        self.output = widgets.Box(
            [self.image],
            layout=widgets.Layout(
                flex=f"1 1 {FIGURE_MIN_WIDTH}",
                min_width=f"min({FIGURE_MIN_WIDTH}, 100%)",
                max_width="900px",
                overflow="hidden",
            ),
        )
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        column = widgets.VBox(
            [self.hint, *self.controls.values(), self.reset, self.message],
            layout=widgets.Layout(flex=f"0 0 {CONTROLS_WIDTH}", width=CONTROLS_WIDTH, min_width=CONTROLS_WIDTH),
        )
        self.widget = widgets.HBox(
            [column, self.output], layout=widgets.Layout(width="100%", align_items="flex-start", flex_flow="row wrap")
        )
        self.update()

    # ------------------------------------------------------------------ model
    def params(self) -> LIFParams:
        """The parameters the sliders set (SI)."""
        c = self.controls
        ms, mv = DISPLAY_UNITS["time"][1], DISPLAY_UNITS["voltage"][1]
        return LIFParams(
            t_max=c["t_max"].value * ms,
            dt=c["dt"].value * ms,
            tau=c["tau"].value * ms,
            el=c["el"].value * mv,
            vth=c["vth"].value * mv,
            vr=c["vr"].value * mv,
            r=c["r"].value * DISPLAY_UNITS["resistance"][1],
            i_mean=c["i_mean"].value * DISPLAY_UNITS["current"][1],
            t_ref=c["t_ref"].value * ms,
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

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls at once with one redraw at the end."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        self.update()

    def restore(self) -> None:
        """Every control back to its start (the Reset button)."""
        with self.hold():
            for name, value in self.starts.items():
                self.controls[name].value = value

    # ------------------------------------------------------------------ drawing
    def _on_change(self, _change: dict) -> None:
        if not self._holding:
            self.update()

    def _show_noise_slider(self) -> None:
        """Only the noise slider of the chosen input: A for uniform noise, sigma for white noise."""
        kind = self.controls["input"].value
        for name, used in (("amplitude", "uniform" in kind), ("sigma", "white" in kind)):
            self.controls[name].layout.display = None if used else "none"

    def _build(self, spiking: bool) -> None:
        """Lay out the axes: V with its histogram, and with spiking on the raster and the population rate."""
        self.figure.clf()
        self.lines = {}
        if spiking:
            grid = self.figure.add_gridspec(3, 2, height_ratios=(3, 1.3, 1.3), width_ratios=(4, 1))
            self.ax_v = self.figure.add_subplot(grid[0, 0])
            self.ax_hist = self.figure.add_subplot(grid[0, 1], sharey=self.ax_v)
            self.ax_raster: Any = self.figure.add_subplot(grid[1, 0], sharex=self.ax_v)
            self.ax_rate: Any = self.figure.add_subplot(grid[2, 0], sharex=self.ax_v)
            self.ax_raster.set_ylabel("neuron")
            self.ax_rate.set_ylabel("rate (Hz)")
            self.ax_rate.set_xlabel("time (ms)")
            (self.lines["raster"],) = self.ax_raster.plot([], [], "k|", markersize=3)
            (self.lines["rate"],) = self.ax_rate.plot([], [], "C0", drawstyle="steps-post", label="simulated")
            (self.lines["rate_theory"],) = self.ax_rate.plot([], [], "C3--", lw=1, label="theory (stationary)")
            for axis in (self.ax_v, self.ax_raster):
                axis.tick_params(labelbottom=False)
        else:
            grid = self.figure.add_gridspec(1, 2, width_ratios=(4, 1))
            self.ax_v = self.figure.add_subplot(grid[0, 0])
            self.ax_hist = self.figure.add_subplot(grid[0, 1], sharey=self.ax_v)
            self.ax_raster = self.ax_rate = None
            self.ax_v.set_xlabel("time (ms)")
        self.ax_v.set_ylabel("membrane potential V (mV)")
        self.ax_hist.set_xlabel("density (1/mV)")
        self.ax_hist.tick_params(labelleft=False)
        nan = np.full(2, np.nan)
        self.lines["traces"] = []
        (self.lines["mean"],) = self.ax_v.plot(nan, nan, "C0", label="sample mean")
        (self.lines["upper"],) = self.ax_v.plot(nan, nan, "C0", alpha=0.5, ls="--", label=r"sample mean $\pm$ std")
        (self.lines["lower"],) = self.ax_v.plot(nan, nan, "C0", alpha=0.5, ls="--")
        (self.lines["theory_mean"],) = self.ax_v.plot(nan, nan, "C3", lw=1, label="theory mean")
        (self.lines["theory_upper"],) = self.ax_v.plot(nan, nan, "C3:", lw=1, label=r"theory mean $\pm$ std")
        (self.lines["theory_lower"],) = self.ax_v.plot(nan, nan, "C3:", lw=1)
        self.lines["threshold"] = self.ax_v.axhline(np.nan, color="C1", lw=1, ls="-.", label="threshold V_th")
        (self.lines["hist_theory"],) = self.ax_hist.plot(nan, nan, "C3", lw=1)
        self._layout_spiking = spiking

    def update(self) -> None:
        """Simulate with the current widget values and redraw.

        Safe from any thread: while one redraw runs, a call from another thread (or from within it) only asks it
        to draw once more when it is done, with the values then current; the figure ends on the controls' values.
        """
        with self._state:
            if self._busy:
                self._again = True  # the redraw under way draws these values next
                return
            self._busy = True
        try:
            while True:
                self._draw()
                with self._state:
                    if not self._again:
                        self._busy = False
                        return
                    self._again = False
        except BaseException:
            with self._state:
                self._busy = self._again = False
            raise

    def _draw(self) -> None:
        """Simulate with the current widget values and redraw (one thread at a time: :meth:`update`)."""
        self._show_noise_slider()
        try:
            params = self.params()
            drive = self.inputs(params)
            spiking = bool(self.controls["spiking"].value)
            n = int(self.controls["n"].value)
            steps = int(params.steps)
            with warnings.catch_warnings(record=True) as caught:  # said under the controls, not in the kernel's log
                warnings.simplefilter("always", PlausibilityWarning)
                self.result = simulate(
                    params,
                    drive,
                    n=n,
                    seed=self.seed,
                    spiking=spiking,
                    record_v=f"0:{min(n, self.max_traces)}",
                    snapshots=[(steps - 1) * params.dt],
                    progress=False,
                )
        except ValueError as error:  # e.g. dt >= tau or V_reset above V_th: say so instead of drawing
            # the figure of the last values the model took is not this one's: hidden until the next valid value
            self.image.layout.display = "none"
            self.message.value = f"<div style='line-height:1.35'><b style='color:#b00'>{error}</b></div>"
            return
        said = self._warnings(params)
        if not said:  # the model's own plausibility warnings, where the explorer has nothing more specific to say
            said = [str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)]
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
        self.lines["threshold"].set_ydata([params.vth * MV] * 2)
        self.lines["threshold"].set_visible(spiking)
        self._histogram(result.v_snapshots[-1] * MV, theory)
        self.theory_rate = None
        if spiking:
            self._spikes(params, drive, result)
        self._legend()
        rate = f", {result.rate:.3g} Hz" if spiking else ""
        self.ax_v.set_title(
            f"{result.n} neurons, τ = {params.tau * MS:g} ms, I = {params.i_mean * 1e12:g} pA, "
            f"{self.controls['input'].value} input{rate}",
            fontsize="medium",
        )
        self.ax_v.relim(visible_only=True)
        self.ax_v.autoscale_view()
        if said:
            lines = "<br>".join(f"<b style='color:#b00'>{w}</b>" for w in said)
            self.message.value = f"<div style='line-height:1.35'>{lines}</div>"
        else:
            self.message.value = ""
        self._lay_out()
        self.figure.canvas.draw_idle()
        self._show()
        self.image.layout.display = None  # shown again (after a refused value) once it is this run's

    def _lay_out(self) -> None:
        """The panels fitted to the figure, and the rate panel's legend (with spiking on) under the rate panel's
        time axis, in a strip at the figure's foot kept free for it."""
        legend = self.ax_rate.get_legend() if self.ax_rate is not None else None
        if legend is None:
            self.figure.tight_layout()
            return
        height = legend.get_window_extent().height / self.figure.bbox.height
        self.figure.tight_layout(rect=(0, height + 0.02, 1, 1))
        box = self.ax_rate.get_position()
        legend.set_bbox_to_anchor((box.x0 + box.width / 2, 0.005), transform=self.figure.transFigure)

    def _warnings(self, params: LIFParams) -> list[str]:
        """What makes the picture misleading: a time step too coarse, a rate near one spike per step."""
        said = []
        ratio = params.dt / params.tau
        if ratio > 0.1:
            said.append(
                f"The time step dt = {params.dt * MS:g} ms is {ratio:.2g} of τ = {params.tau * MS:g} ms: forward "
                "Euler is inaccurate there (keep dt below τ/10)."
            )
        if self.controls["spiking"].value and self.result.rate > 0.5 / params.dt:
            said.append(
                f"{self.result.rate:.3g} Hz is more than one spike every two steps: the neurons fire as fast as "
                "the time step allows, so the rate says more about dt than about the model."
            )
        return said

    def _histogram(self, values: np.ndarray, theory: Any) -> None:
        """V of every neuron at the last step, with the theory's Gaussian for subthreshold runs."""
        for patch in list(self.ax_hist.patches):
            patch.remove()
        finite = values[np.isfinite(values)]
        if finite.size:
            self.ax_hist.hist(finite, bins=min(30, max(5, finite.size // 5)), density=True,
                              orientation="horizontal", color="C0", alpha=0.5)  # fmt: skip
        if theory is not None and theory.std[-1] > 0:
            mean, sd = theory.mean[-1] * MV, theory.std[-1] * MV
            v = np.linspace(mean - 4 * sd, mean + 4 * sd, 200)
            self.lines["hist_theory"].set_data(np.exp(-0.5 * ((v - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), v)
            self.lines["hist_theory"].set_visible(True)
        else:
            self.lines["hist_theory"].set_visible(False)
        self.ax_hist.set_title(f"V at {self.result.t[-1] * MS:g} ms", fontsize="small")
        self.ax_hist.relim(visible_only=True)
        self.ax_hist.autoscale_view()

    def _spikes(self, params: LIFParams, drive: inputs_mod.Input, result: Any) -> None:
        """The raster, the population rate (Hz) in bins of about 5 ms and the theory's stationary rate."""
        if result.spike_t is not None and result.spike_t.size:
            self.lines["raster"].set_data(result.spike_t * MS, result.spike_i)
        else:
            self.lines["raster"].set_data([], [])
        self.ax_raster.set_ylim(-0.5, max(result.n, 1) - 0.5)
        steps_per_bin = max(1, int(round(5e-3 / params.dt)))
        edges = np.append(result.t[::steps_per_bin], result.t[-1] + params.dt)
        spike_t = result.spike_t if result.spike_t is not None else np.zeros(0)
        # spike k of a step is at t_k: bin edges on the grid, half a step early, count each step once
        binned = np.histogram(spike_t, bins=edges - 0.5 * params.dt)[0]
        self.population_rate = binned / (result.n * np.diff(edges))
        self.lines["rate"].set_data(edges * MS, np.append(self.population_rate, self.population_rate[-1]))
        theory = stationary_rate(params, drive)
        if theory is not None:
            self.theory_rate = theory[0]
            self.lines["rate_theory"].set_data(result.t[[0, -1]] * MS, [theory[0]] * 2)
            self.lines["rate_theory"].set_label(f"theory ({theory[1]}): {theory[0]:.3g} Hz")
        self.lines["rate_theory"].set_visible(theory is not None)
        self.ax_rate.relim(visible_only=True)
        self.ax_rate.autoscale_view()
        self.ax_rate.set_ylim(bottom=0)
        # under the panel, off the data (inside, "upper right", it sat on the rate curve): placed by _lay_out
        legend = self.ax_rate.legend(loc="lower center", ncol=2, fontsize="x-small", frameon=False)
        legend.set_in_layout(False)

    def _legend(self) -> None:
        """A legend of the curves on screen only (the theory only when it is drawn)."""
        shown = [self.lines["traces"][0]] if self.lines["traces"] else []
        self.lines["traces"][0].set_label(f"V(t), neurons 0-{min(self.result.n, self.max_traces) - 1}")
        shown += [self.lines["mean"], self.lines["upper"]]
        if self.lines["theory_mean"].get_visible():
            shown += [self.lines["theory_mean"], self.lines["theory_upper"]]
        if self.lines["threshold"].get_visible():
            shown.append(self.lines["threshold"])
        self.ax_v.legend(handles=shown, loc="lower right", fontsize="x-small", framealpha=0.8)

    def png(self) -> bytes:
        """The figure as PNG bytes (what the page shows)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90)
        return buffer.getvalue()

    def _show(self) -> None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:  # headless: the figure's data are up to date, nothing to show
            return
        # the figure as a PNG, whatever matplotlib backend the kernel has (MPLBACKEND=Agg shows no figure otherwise)
        self.image.value = self.png()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(**kwargs: Any) -> Explorer:
    """Sliders and a live figure for the LIF model (Jupyter); returns the :class:`Explorer`.

    Keyword arguments go to :class:`Explorer` (``t_max``, ``dt``: where the
    duration and time step sliders start; ``seed``; ``max_traces``).
    Raises :class:`~lifsim.errors.MissingDependencyError` without ipywidgets.

    Examples
    --------
    In a notebook cell (or served as an app with ``voila notebook.ipynb``)::

        import lifsim
        lifsim.explore()
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is None:
        raise MissingDependencyError(
            "explore: needs ipywidgets; pip install '.[notebook]'", package="ipywidgets", extra="notebook"
        )
    import matplotlib.pyplot as plt

    explorer = Explorer(**kwargs)
    plt.close(explorer.figure)  # shown through the widget's image, not twice
    return explorer
