"""Figures (matplotlib, headless): runs, rasters, rates, ISIs, V histograms, f-I curves.

Data stay SI; figures speak the field's units: time in ms, V in mV, current
in pA, rates in Hz (:data:`lifsim.units.DISPLAY_UNITS`).  Every figure of a
run says what it shows (neurons, input, dt, t_ref, method, seed) in its
title, draws the theory beside the simulation wherever a closed form exists,
and keeps its legends off the data.  :func:`save_figure` writes PNG, SVG or
PDF chosen by the file's suffix.

The low-level helpers (:func:`plot_voltage`, :func:`plot_realizations`,
:func:`plot_mean_std`, :func:`plot_current_points`) draw the arrays they are
given, unscaled: the tutorial replay uses them with the tutorial's own SI axes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .atomic import (  # noqa: E402
    FIGURE_SUFFIXES,  # noqa: E402
    atomic_file,
    check_output_path,
)
from .units import display_factor  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from .fi import FICurve
    from .result import Result
    from .theory import EulerMoments

__all__ = [
    "FIGURE_SUFFIXES",
    "figure_style",
    "new_axes",
    "plot_current_points",
    "plot_voltage",
    "plot_realizations",
    "plot_mean_std",
    "plot_raster",
    "plot_result",
    "plot_raster_image",
    "plot_population_rate",
    "plot_isi_histogram",
    "plot_v_histograms",
    "plot_autocov",
    "plot_fi",
    "plot_fi_figure",
    "plot_sweep",
    "is_geometric",
    "cell_edges",
    "run_title",
    "save_figure",
]

# The xkcd style asks for fonts that are seldom installed; matplotlib then logs
# one "findfont" warning per text element at drawing time and uses its default.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

MS = display_factor("time")  # s -> ms
MV = display_factor("voltage")  # V -> mV
PA = display_factor("current")  # A -> pA

TIME_LABEL = "time (ms)"
VOLTAGE_LABEL = "$V_m$ (mV)"
CURRENT_LABEL = "$I$ (pA)"
RATE_LABEL = "rate (Hz)"
#: the colour of a theory drawn over data of several colours (the V histograms' stationary distribution, the
#: network's theory): dark, so that it is never taken for one of the data's colours (C0, C1, ...)
THEORY_COLOR = "k"

#: the raster shows at most this many neurons
RASTER_NEURONS = 200
#: a trace panel shows about this many interspike intervals before it zooms in
TRACE_ISIS = 12


@contextlib.contextmanager
def figure_style(xkcd: bool = False) -> Iterator[None]:
    """Context for drawing: the tutorial's ``plt.xkcd()`` look when ``xkcd`` is True.

    The xkcd fonts are rarely installed; matplotlib then falls back to its
    default font (its "findfont" warnings are silenced when lifsim.plot is imported).
    """
    if xkcd:
        with plt.xkcd():
            yield
    else:
        with plt.rc_context():
            yield


def new_axes(title: str, xlabel: str = TIME_LABEL, ylabel: str = VOLTAGE_LABEL) -> plt.Axes:
    """A new figure's axes with title and axis labels."""
    fig = plt.figure()
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


# ---------------------------------------------------------------- low-level helpers (unscaled)


def plot_current_points(ax: plt.Axes, t: np.ndarray, i: np.ndarray) -> plt.Axes:
    """Input current ``i`` against times ``t`` as black dots (tutorial ex. 5)."""
    ax.plot(t, i, "ko")
    return ax


def plot_voltage(ax: plt.Axes, t: np.ndarray, v: np.ndarray, fmt: str = "k.", **kwargs: Any) -> plt.Axes:
    """One membrane trace ``v`` against ``t``: dots ``'k.'`` or a line ``'k'``."""
    ax.plot(t, v, fmt, **kwargs)
    return ax


def plot_realizations(
    ax: plt.Axes, t: np.ndarray, v: np.ndarray, *, dots: bool = True, alpha: float = 0.1, label: str | None = None
) -> plt.Axes:
    """Many realizations ``v`` (shape ``(n, steps)``) against ``t``.

    ``dots=True`` draws them as faint black dots (tutorial ex. 8-10),
    otherwise as faint black lines (ex. 13-14); ``label`` names the last one.
    """
    v = np.atleast_2d(v)
    # rasterized: a .svg or .pdf of thousands of faint curves as vectors was 9 MiB (a .png is the same)
    if dots:
        ax.plot(np.broadcast_to(t, v.shape).T, v.T, "k.", alpha=alpha, rasterized=True)
    else:
        ax.plot(t, v.T, "k", alpha=alpha, rasterized=True)
        if label is not None:
            ax.plot(t, v[-1], "k", alpha=alpha, label=label, rasterized=True)
    return ax


def plot_mean_std(
    ax: plt.Axes,
    t: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray | None = None,
    *,
    dots: bool = False,
    band: bool = False,
    label_mean: str = "mean",
    label_std: str = r"mean $\pm$ std",
    color: str = "C0",
) -> plt.Axes:
    """Sample mean and mean +/- std against ``t``.

    ``dots=True``: the tutorial's ex. 9-10 markers (mean ``'C0.'``, bounds ``'C7.'``);
    ``band=True``: a shaded band; otherwise the tutorial's ex. 14 lines.
    """
    if dots:
        ax.plot(t, mean, "C0.", alpha=0.8, markersize=10, label=label_mean)
        if std is not None:
            ax.plot(t, mean + std, "C7.", alpha=0.8, label=label_std)
            ax.plot(t, mean - std, "C7.", alpha=0.8)
        return ax
    ax.plot(t, mean, color, alpha=0.8, label=label_mean)
    if std is not None:
        if band:
            ax.fill_between(t, mean - std, mean + std, color=color, alpha=0.2, label=label_std)
        else:
            ax.plot(t, mean + std, "C7", alpha=0.8)
            ax.plot(t, mean - std, "C7", alpha=0.8, label=label_std)
    return ax


# ---------------------------------------------------------------- panels (SI in, display units out)


def plot_raster(
    ax: plt.Axes,
    spike_t: np.ndarray,
    spike_i: np.ndarray,
    max_neurons: int | None = RASTER_NEURONS,
    n: int | None = None,
) -> plt.Axes:
    """Spike raster: one tick per spike, time (ms) against neuron index.

    Shows neurons ``0 .. max_neurons - 1``; with ``n`` the title says when that is not all of them.
    """
    keep = spike_i < max_neurons if max_neurons is not None else slice(None)
    ax.plot(np.asarray(spike_t)[keep] * MS, np.asarray(spike_i)[keep], "k|", markersize=3)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("neuron")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if n is not None:
        shown = n if max_neurons is None else min(n, max_neurons)
        ax.set_ylim(-0.5, max(shown, 1) - 0.5)
    return ax


def plot_raster_image(ax: plt.Axes, image: np.ndarray, dt: float) -> plt.Axes:
    """Spike raster as a binary image ``[neuron, step]`` (black = spike); ``dt`` in s, time shown in ms."""
    n, steps = image.shape
    ax.imshow(
        image,
        aspect="auto",
        cmap="Greys",
        interpolation="nearest",
        origin="lower",
        extent=(-dt / 2 * MS, (steps - 0.5) * dt * MS, -0.5, n - 0.5),
    )
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("neuron")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def plot_population_rate(
    ax: plt.Axes,
    centers: np.ndarray,
    rate: np.ndarray,
    theory: float | None = None,
    theory_label: str = "theory",
    theory_from: float = 0.0,
) -> plt.Axes:
    """Population rate (Hz) over time (bin centers in s, drawn in ms) as a step curve, with a theory line (from
    ``theory_from``, s, on: the time a switching input's stationary theory starts to hold)."""
    width = centers[1] - centers[0] if centers.size > 1 else 1.0
    edges = np.append(centers - width / 2, centers[-1] + width / 2) * MS
    ax.stairs(rate, edges, color="k", baseline=None, label="simulation")
    if theory is not None:
        start = max(theory_from * MS, edges[0])
        ax.hlines(theory, start, edges[-1], color="C3", ls="--", label=f"{theory_label}: {theory:.4g} Hz")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(RATE_LABEL)
    return ax


def plot_isi_histogram(ax: plt.Axes, intervals: np.ndarray, bins: int = 50, dt: float | None = None) -> plt.Axes:
    """Histogram of inter-spike intervals (given in s, drawn in ms) as a probability density (1/ms).

    With ``dt`` (s), the intervals of a simulation (multiples of dt) get bins
    whose width is a whole number of steps, so the histogram shows no comb
    from the grid.
    """
    intervals = np.asarray(intervals) * MS
    low, high = float(np.min(intervals)), float(np.max(intervals))
    if dt is not None and dt > 0:
        step = dt * MS
        width = max(1, int(np.ceil((high - low) / step / bins))) * step
        edges = np.arange(low - step / 2, high + width, width)
        ax.hist(intervals, bins=edges.tolist(), density=True, color="0.4")
    else:
        if high - low < 1e-12 * max(abs(high), 1e-300):  # a regular train: one interval value
            low, high = low * 0.95, high * 1.05
        ax.hist(intervals, bins=bins, range=(low, high), density=True, color="0.4")
    ax.set_xlabel("inter-spike interval (ms)")
    ax.set_ylabel("density (1/ms)")
    return ax


def plot_v_histograms(
    ax: plt.Axes,
    times: np.ndarray,
    snapshots: np.ndarray,
    bins: int = 40,
    theory: list | None = None,
    stationary: tuple[np.ndarray, np.ndarray, float, float, float] | None = None,
) -> plt.Axes:
    """Histograms of V (given in V, drawn in mV) across neurons at chosen times (s), one colour per time.

    ``theory``: optional list of ``(mean, std)`` (V) per time, drawn as Gaussian densities.  ``stationary``:
    ``(edges, masses, at_reset, v_reset, from_time)``, a spiking population's stationary distribution of V
    (:func:`lifsim.theory.stationary_density`), drawn dashed in :data:`THEORY_COLOR` (not a histogram's colour) as
    the histogram it predicts on the same bins for each time from ``from_time`` (s) on (the neurons at ``V_reset``
    fall in its bin).
    """
    for row, (time, values) in enumerate(zip(times, snapshots)):
        color = f"C{row % 10}"
        mv = np.asarray(values) * MV
        edges_mv = np.histogram_bin_edges(mv, bins=bins)
        ax.hist(mv, bins=edges_mv.tolist(), density=True, histtype="step", color=color, label=f"t = {time * MS:g} ms")
        if stationary is not None and time >= stationary[4]:
            # in the theory's own dark colour: in the histogram's, its steps vanished into the histogram's steps
            ax.stairs(_predicted_histogram(stationary, edges_mv), edges_mv, color=THEORY_COLOR, ls="--", lw=1.2)
            ax.plot([], [], color=THEORY_COLOR, ls="--", lw=1.2, label=f"stationary theory, t = {time * MS:g} ms")
        if theory is not None:
            mean, std = theory[row][0] * MV, theory[row][1] * MV
            if std > 0:
                x = np.linspace(mv.min(), mv.max(), 200)
                density = np.exp(-((x - mean) ** 2) / (2 * std**2)) / (std * np.sqrt(2 * np.pi))
                ax.plot(x, density, color=color, ls="--", label=f"theory, t = {time * MS:g} ms")
    ax.set_xlabel(VOLTAGE_LABEL)
    ax.set_ylabel("density (1/mV)")
    ax.legend(loc="best", fontsize="small")
    return ax


def _predicted_histogram(stationary: tuple[np.ndarray, np.ndarray, float, float, float], edges_mv: np.ndarray) -> Any:
    """The density (1/mV) the stationary distribution puts in each bin of ``edges_mv``: the cells' masses spread
    evenly over each cell, the neurons at ``V_reset`` in the bin that holds it."""
    edges, masses, at_reset, v_reset, _start = stationary
    cumulative = np.concatenate([[0.0], np.cumsum(masses)])
    held = np.interp(edges_mv / MV, edges, cumulative, left=0.0, right=float(cumulative[-1]))
    held = held + at_reset * (edges_mv / MV > v_reset)  # the point mass, in the bin whose right edge passes it
    return np.diff(held) / np.diff(edges_mv)


def plot_autocov(ax: plt.Axes, result: Result, theory: EulerMoments | None = None) -> plt.Axes:
    """The autocovariance ``C(t - lag dt, t)`` (mV²) at each recorded lag over time, with theory dashed."""
    from .reduce import variance_from_m2  # NaN for one neuron (no degrees of freedom), as its file holds

    t = result.t * MS
    for row, lag in enumerate(result.lags):
        color = f"C{row % 10}"
        autocov = variance_from_m2(result.comoment[row], result.n, 1)
        ax.plot(t, autocov * MV**2, color=color, label=f"lag {lag} ({lag * result.dt * MS:g} ms)")
        if theory is not None:
            ax.plot(t, theory.autocov(lag) * MV**2, color=color, ls="--", lw=1, label=f"theory, lag {lag}")
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(r"autocovariance (mV$^2$)")
    return ax


def _legend_below(ax: plt.Axes, ncol: int = 2) -> None:
    """A legend under the axes, off the data, listing every labelled curve."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, fontsize="small", frameon=False
        )


# ---------------------------------------------------------------- f-I


def _rate_in_whole_steps(result: Result, spike_t: np.ndarray, rate_bin: float | None) -> tuple[Any, Any, float]:
    """The population rate (bin centres (s), Hz) in bins of whole steps (``rate_bin`` rounded, by default about a
    hundredth of the run), and the bins' width (s).  Each bin holds the same count of grid points (1.5-ms bins on
    a 1-ms grid held 2 and 1 in turn: a false oscillation between 38 and 77 Hz); a spike at grid point k ends the
    update k - 1 -> k, so the bins start half a step in and hold the points 1 .. m, m + 1 .. 2m, ..."""
    from .spikes import rate_over_time

    wanted = rate_bin if rate_bin is not None else (result.steps - 1) * result.dt / 100
    width = max(1, round(wanted / result.dt)) * result.dt
    centers, rate = rate_over_time(spike_t, result.n, 0.5 * result.dt, (result.steps - 0.5) * result.dt, width)
    return centers, rate, width


#: currents at which an f-I figure draws the grid's Markov-chain theory (each is a linear solve)
GRID_THEORY_POINTS = 41


def plot_fi(ax: plt.Axes, curve: FICurve, fine: int = 200) -> plt.Axes:
    """An f-I curve: simulated rates (Hz) with error bars over the theory curves, current in pA."""
    from . import theory as th

    i_fine = np.linspace(curve.i.min(), curve.i.max(), fine)
    x = i_fine * PA
    if curve.sigma is None:
        ax.plot(x, th.fi_deterministic(curve.params, i_fine), "C0", label="theory: deterministic f-I")
        ax.plot(
            x,
            th.fi_grid(curve.params, i_fine, curve.method),
            "C2--",
            lw=1,
            label=f"theory on the grid (dt = {curve.params.dt * MS:g} ms)",
        )
    else:
        ax.plot(
            x,
            th.siegert_rate(curve.params, curve.sigma, i_fine),
            "C0",
            label=f"theory: Siegert, sigma = {curve.sigma * MV:g} mV",
        )
        i_grid = np.linspace(curve.i.min(), curve.i.max(), GRID_THEORY_POINTS)  # the chain costs ~50 ms a current
        ax.plot(
            i_grid * PA,
            th.grid_rate(curve.params, curve.sigma, i_grid, curve.method),
            "C2--",
            lw=1,
            label=f"theory on the grid (dt = {curve.params.dt * MS:g} ms, {curve.method})",
        )
        ax.plot(x, th.fi_deterministic(curve.params, i_fine), "0.6", lw=1, label="deterministic f-I (no noise)")
    ax.errorbar(
        curve.i * PA,
        curve.rate,
        yerr=curve.rate_sem,
        fmt="ko",
        ms=4,
        capsize=2,
        label=f"simulation, n = {curve.n} per point",
    )
    ax.set_xlabel(r"mean input current $I_{mean}$ (pA)")
    ax.set_ylabel("firing rate (Hz)")
    return ax


def plot_fi_figure(curve: FICurve, *, xkcd: bool = False) -> plt.Figure:
    """The f-I figure of ``lifsim fi``: the curve, its theory and the run's facts in the title."""
    p = curve.params
    noise = "no noise" if curve.sigma is None else f"white noise sigma = {curve.sigma * MV:g} mV"
    with figure_style(xkcd):
        fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
        plot_fi(ax, curve)
        ax.set_title(
            f"f-I curve: {noise}, tau = {p.tau * MS:g} ms, t_ref = {p.t_ref * MS:g} ms\n"
            f"dt = {p.dt * MS:g} ms, {curve.method}, rates over {curve.window[0] * MS:g}-{curve.window[1] * MS:g} ms",
            fontsize="medium",
        )
        _legend_below(ax)
    return fig


# ---------------------------------------------------------------- the figure of a run


def run_title(result: Result) -> str:
    """The facts a saved figure should carry: neurons, input, dt, t_ref, method, seed."""
    from .inputs import describe_text

    p = result.meta.get("params", {})
    input_text = describe_text(result.meta.get("input", {}), p)
    t_ref = p.get("t_ref", 0.0) * MS
    ref = f", t_ref = {t_ref:g} ms" + (f" (std {p['t_ref_std'] * MS:g} ms)" if p.get("t_ref_std") else "")
    spiking = "spiking" if result.meta.get("spiking") else "no spiking"
    return (
        f"{result.n} neuron{'s' if result.n != 1 else ''}, {input_text}\n"
        f"tau = {p.get('tau', float('nan')) * MS:g} ms, dt = {result.dt * MS:g} ms{ref}, "
        f"{result.meta.get('method')}, {spiking}, seed {result.meta.get('seed')}"
    )


def _rebuild(result: Result) -> tuple[Any, Any] | None:
    """The run's parameters and input, rebuilt from its provenance (None when they cannot be)."""
    from .inputs import from_description
    from .params import PARAM_UNITS, LIFParams

    try:
        meta = result.meta
        given = {name: meta["params"][name] for name in PARAM_UNITS if name in meta["params"]}
        return LIFParams(**given, round_steps=True), from_description(meta["input"], result.input_array)
    except (KeyError, TypeError, ValueError):
        return None


#: a snapshot this many membrane time constants after the start is compared with the stationary distribution
STATIONARY_AFTER_TAU = 5.0


def _stationary_of(result: Result) -> tuple[np.ndarray, np.ndarray, float, float, float] | None:
    """A spiking run's stationary distribution of V for its histograms (None without one), and from when on:
    five membrane time constants after the start, or after a step's onset (the input as it stands from then)."""
    from .theory import stationary_density

    rebuilt = _rebuild(result)
    if rebuilt is None:
        return None
    params, inputs = rebuilt
    try:
        found = stationary_density(params, inputs.settled(params), str(result.meta.get("method", "euler")))
    except (ValueError, ArithmeticError):
        return None
    if found is None:
        return None
    return (*found, params.vr, max(inputs.onsets(), default=0.0) + STATIONARY_AFTER_TAU * params.tau)


def _theory(result: Result) -> tuple[EulerMoments | None, tuple[float, str, float] | None]:
    """Closed-form moments (subthreshold runs) and the stationary rate (spiking runs), where they exist; the rate
    with its theory's name and the time (s) from which it holds: 0, or a step's onset (the input as it stands
    from then on: a step's rate has its stationary theory after the switch)."""
    from .theory import euler_moments, stationary_rate

    rebuilt = _rebuild(result)
    if rebuilt is None:
        return None, None
    params, inputs = rebuilt
    method = str(result.meta.get("method", "euler"))
    try:
        if result.meta.get("spiking"):
            found = stationary_rate(params, inputs.settled(params), method)
            return None, None if found is None else (*found, max(inputs.onsets(), default=0.0))
        return euler_moments(params, inputs, result.steps, method), None
    except (ValueError, ArithmeticError):  # no closed form for this input
        return None, None


def _trace_window(result: Result, spikes_per_neuron: float) -> float:
    """End (s) of the span a trace panel shows: all of it, or about TRACE_ISIS intervals of a busy neuron."""
    end = float(result.t[-1])
    if spikes_per_neuron > 2 * TRACE_ISIS:
        end = float(result.t[min(result.steps - 1, int(result.steps * TRACE_ISIS / spikes_per_neuron))])
    return end


def _rate_bin(rate_bin: float | str | None, result: Result) -> float | None:
    """``plot_result``'s ``rate_bin`` in s (seconds or a string with a unit): > 0 and at most the run's length."""
    if rate_bin is None:
        return None
    from .units import format_display, to_si

    width = to_si(rate_bin, "time", "rate_bin")
    length = result.steps * result.dt
    if not (np.isfinite(width) and 0 < width <= length * (1 + 1e-9)):
        raise ValueError(
            f"rate_bin: expected a time > 0 ms and at most the run's {format_display(length, 'time')}, got "
            f"{format_display(width, 'time')}"
        )
    return width


def plot_result(
    result: Result,
    *,
    xkcd: bool = False,
    max_traces: int = 10,
    theory: EulerMoments | None | str = "auto",
    rate_bin: float | str | None = None,
) -> plt.Figure:
    """The standard figure of a run, in ms, mV and Hz.

    Panels: V (the recorded traces, up to ``max_traces``, with the sample
    mean +/- std band and, for a subthreshold run, the closed-form theory);
    with spikes, the raster (the first 200 neurons), the population rate with
    the theory's stationary rate, and the ISI histogram; the autocovariance
    at each recorded lag with its theory; and, with snapshots, histograms of V
    across neurons (with the theory's Gaussians when subthreshold).  One
    neuron gets its own trace with spike marks and its ISIs.  A busy spiking
    run's trace panel zooms in on its first dozen interspike intervals.

    ``theory``: ``"auto"`` (computed from the run's provenance), None (none),
    or :class:`lifsim.theory.EulerMoments` to draw.  ``rate_bin``: the rate's
    bin (s or with a unit), at most the run (default: a hundredth of it).
    """
    from .spikes import isi

    rate_bin = _rate_bin(rate_bin, result)

    # plotting sits below the result in the layers: it reads a Result through its attributes
    if not all(hasattr(result, name) for name in ("t", "v_mean", "meta", "spikes", "n")):
        raise TypeError(f"result: expected a lifsim Result, got {type(result).__name__}")
    moments: EulerMoments | None
    rate_theory: tuple[float, str, float] | None = None
    if isinstance(theory, str):
        moments, rate_theory = _theory(result)
    else:
        moments = theory
    spiking = bool(result.meta.get("spiking"))
    has_spike_times = spiking and result.spike_t is not None
    single = result.n == 1
    intervals = isi(*result.spikes()) if has_spike_times else np.zeros(0)
    panels = ["v"]
    if has_spike_times and not single:
        panels += ["raster", "rate"]
    if intervals.size >= 2:
        panels.append("isi")
    if result.lags:
        panels.append("autocov")
    if result.snapshot_t.size:
        panels.append("vhist")
    with figure_style(xkcd):
        if len(panels) == 1:
            fig, single_ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
            axes: list[Any] = [single_ax]
        else:
            rows = (len(panels) + 1) // 2
            fig, grid = plt.subplots(rows, 2, figsize=(13, 4.6 * rows + 0.6), layout="constrained")
            axes = list(grid.ravel())
            for extra in axes[len(panels) :]:
                extra.remove()
        by_name = dict(zip(panels, axes))
        fig.suptitle(run_title(result), fontsize="medium")
        end = _draw_v_panel(by_name["v"], result, max_traces, moments, intervals.size)
        if "raster" in by_name:
            spike_t, spike_i = result.spikes()
            ax = by_name["raster"]
            plot_raster(ax, spike_t, spike_i, RASTER_NEURONS, result.n)
            shown = "" if result.n <= RASTER_NEURONS else f", neurons 0-{RASTER_NEURONS - 1} of {result.n}"
            window = f", first {end * MS:g} ms" if end < result.t[-1] else ""
            ax.set_title(f"spikes, {result.rate:.4g} Hz per neuron{shown}{window}")
            ax.set_xlim(0, end * MS)  # a busy raster is zoomed like the trace panel
        if "rate" in by_name:
            spike_t, _ = result.spikes()
            centers, rate, width = _rate_in_whole_steps(result, spike_t, rate_bin)
            ax = by_name["rate"]
            rate_value, name, since = (None, "", 0.0) if rate_theory is None else rate_theory
            label = f"theory ({name})" + (f" from the step at {since * MS:g} ms" if since > 0 else "")
            plot_population_rate(ax, centers, rate, rate_value, label, since)
            ax.set_title(f"population rate ({width * MS:g} ms bins)")
            _legend_below(ax)
        if "isi" in by_name:
            ax = by_name["isi"]
            plot_isi_histogram(ax, intervals, dt=result.dt)
            cv = result.cv()
            ax.set_title(f"ISI histogram ({intervals.size} intervals, CV {0.0 if abs(cv) < 1e-12 else cv:.3g})")
        if "autocov" in by_name:
            ax = by_name["autocov"]
            plot_autocov(ax, result, moments)
            ax.set_title("autocovariance across neurons (ddof 1)")
            _legend_below(ax)
        if "vhist" in by_name:
            at = None
            if moments is not None:
                grid_steps = np.rint(result.snapshot_t / result.dt).astype(int)
                at = [(moments.mean[k], moments.std[k]) for k in grid_steps]
            ax = by_name["vhist"]
            stationary = _stationary_of(result) if rate_theory is not None else None
            plot_v_histograms(ax, result.snapshot_t, result.v_snapshots, theory=at, stationary=stationary)
            ax.set_title("V across neurons at the snapshot times")
            _legend_below(ax)
    return fig


def _draw_v_panel(
    ax: plt.Axes, result: Result, max_traces: int, moments: EulerMoments | None, n_intervals: int
) -> float:
    """V traces, the sample mean +/- std band, theory, and spike marks, in ms and mV; returns the end (s) shown."""
    t = result.t * MS
    spiking = bool(result.meta.get("spiking"))
    neurons = result.recorded_neurons()
    shown = neurons[:max_traces]
    traces = result.traces(slice(0, shown.size)) if shown.size else np.zeros((0, result.steps))
    if result.n == 1 and traces.shape[0] == 0:  # one neuron: its mean is its trace
        traces, shown = result.v_mean[None, :], np.array([0])
    spikes_per_trace = 0.0
    if spiking and result.spike_count is not None and result.n:
        spikes_per_trace = float(np.mean(result.spike_count))
    end = _trace_window(result, spikes_per_trace)
    zoomed = end < result.t[-1]
    if traces.shape[0]:
        which = "neuron" if shown.size == 1 else "neurons"
        label = f"V(t), {which} {_index_text(shown)}"
        if shown.size < neurons.size:
            label += f" (of {neurons.size} recorded)"
        ax.plot(t, traces.T * MV, "k", alpha=0.35 if traces.shape[0] > 1 else 0.9, lw=0.8)
        ax.plot([], [], "k", alpha=0.6, lw=0.8, label=label)
    if result.n > 1:
        std = result.v_std(1)
        ax.plot(t, result.v_mean * MV, "C0", lw=1.5, label=f"sample mean of {result.n} neurons")
        ax.fill_between(
            t, (result.v_mean - std) * MV, (result.v_mean + std) * MV, color="C0", alpha=0.2, label=r"mean $\pm$ std"
        )
    if moments is not None:
        ax.plot(t, moments.mean * MV, "C3--", lw=1, label="theory mean")
        ax.plot(t, (moments.mean + moments.std) * MV, "C3:", lw=1, label=r"theory mean $\pm$ std")
        ax.plot(t, (moments.mean - moments.std) * MV, "C3:", lw=1)
    if spiking and result.spike_t is not None and traces.shape[0]:
        spike_t, spike_i = result.spikes()
        mine = np.isin(spike_i, shown)
        if mine.any():
            vth = result.meta["params"]["vth"] * MV
            ax.plot(
                spike_t[mine] * MS, np.full(int(mine.sum()), vth), "|", color="C3", ms=10, label="spikes (threshold)"
            )
    if spiking:
        ax.axhline(result.meta["params"]["vth"] * MV, color="0.5", lw=0.6, ls="--")
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(VOLTAGE_LABEL)
    title = "membrane potential" if result.n > 1 else "membrane potential of the neuron"
    if zoomed:
        ax.set_xlim(0, end * MS)
        title += f" (first {end * MS:g} ms of {result.t[-1] * MS:g} ms)"
    ax.set_title(title)
    _legend_below(ax)
    return end


def _index_text(indices: np.ndarray) -> str:
    if indices.size > 1 and np.all(np.diff(indices) == 1):
        return f"{indices[0]}-{indices[-1]}"
    return ", ".join(str(i) for i in indices.tolist())


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Save ``fig`` as PNG, SVG or PDF (by suffix), atomically, and close it."""
    target = check_output_path(path, FIGURE_SUFFIXES, "--plot")
    try:
        with atomic_file(target, suffix=f".tmp{target.suffix}") as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", format=target.suffix[1:].lower())
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- the figure of a sweep

#: swept names as axis labels
_SWEEP_LABELS = {
    "i_mean": "$I_{mean}$",
    "tau": r"$\tau_m$",
    "sigma": r"$\sigma$",
    "el": "$E_L$",
    "vr": "$V_{reset}$",
    "vth": "$V_{th}$",
    "v0": "$V_0$",
    "r": "$R$",
    "t_ref": "$t_{ref}$",
    "t_ref_std": r"$\sigma_{t_{ref}}$",
    "amplitude": "$A$",
}
#: names whose values cannot be negative: a heat map's cell never runs below zero for them
_NON_NEGATIVE = ("tau", "r", "sigma", "amplitude", "t_ref", "t_ref_std")
#: a figure of a sweep over three or more names draws at most this many slices, one row each
SWEEP_ROWS = 6


def _sweep_axis(ds: Any, name: str) -> tuple[np.ndarray, str]:
    """A swept coordinate in the field's display unit (ms, mV, pA, MOhm), and its axis label."""
    from .grid import grid_dimension
    from .units import DISPLAY_UNITS

    dimension = grid_dimension(name)
    unit = DISPLAY_UNITS[dimension][0] if dimension != "dimensionless" else ""
    label = _SWEEP_LABELS.get(name, name)
    return np.asarray(ds[name].values) * display_factor(dimension), f"{label} ({unit})" if unit else label


def _value_text(name: str, value: float) -> str:
    """``"$t_{ref}$ = 2 ms"`` for an SI value of a swept or fixed name."""
    from .grid import grid_dimension
    from .units import format_display

    return f"{_SWEEP_LABELS.get(name, name)} = {format_display(value, grid_dimension(name))}"


def is_geometric(values: np.ndarray) -> bool:
    """Whether sorted ``values`` (three or more, all of one sign) have a constant ratio, as 10, 20, 40 ms."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 3 or not (np.all(values > 0) or np.all(values < 0)):
        return False
    ratios = values[1:] / values[:-1]
    steps = np.diff(values)
    return bool(np.allclose(ratios, ratios[0], rtol=1e-6) and not np.allclose(steps, steps[0], rtol=1e-6))


def cell_edges(values: np.ndarray, geometric: bool, non_negative: bool = False) -> np.ndarray:
    """The edges of a heat map's cells around sorted ``values``: geometric midpoints ``sqrt(v_i v_{i+1})``
    on a geometric grid (the outer edges half a ratio out), arithmetic midpoints otherwise; with
    ``non_negative`` an outer edge never crosses zero."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 1:
        half = 0.5 * abs(v[0]) if v[0] != 0 else 0.5
        return np.array([v[0] / np.sqrt(2), v[0] * np.sqrt(2)]) if geometric else np.array([v[0] - half, v[0] + half])
    if geometric:
        inner = np.sqrt(v[1:] * v[:-1]) * np.sign(v[0])
        return np.concatenate([[v[0] ** 2 / inner[0]], inner, [v[-1] ** 2 / inner[-1]]])
    inner = 0.5 * (v[1:] + v[:-1])
    edges = np.concatenate([[2 * v[0] - inner[0]], inner, [2 * v[-1] - inner[-1]]])
    if non_negative and v[0] >= 0:
        edges[0] = max(edges[0], 0.0)
    return edges


def _log_axis(ax: plt.Axes, which: str, values: np.ndarray) -> None:
    """A log scale for the ``which`` ("x" or "y") axis of ``ax``, ticked at the grid's values (10, 20, 40)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("log") if which == "x" else ax.set_yscale("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    if len(values) <= 12:
        axis.set_major_locator(FixedLocator([float(v) for v in values]))
        axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
        axis.set_minor_locator(NullLocator())


def _slices(ds: Any, names: list[str]) -> tuple[list[dict[str, int]], str]:
    """The slices of the names past the first two that the figure draws (a row each), and a note when
    it draws fewer than there are."""
    rest = names[2:]
    shape = [ds.sizes[name] for name in rest]
    every = [{name: int(i) for name, i in zip(rest, np.unravel_index(k, shape))} for k in range(int(np.prod(shape)))]
    if len(every) <= SWEEP_ROWS:
        return every, ""
    chosen = np.unique(np.round(np.linspace(0, len(every) - 1, SWEEP_ROWS)).astype(int))
    return [every[k] for k in chosen], f"; rows: {len(chosen)} of the {len(every)} slices of {', '.join(rest)}"


def _slice_text(ds: Any, pick: dict[str, int]) -> str:
    return ", ".join(_value_text(name, float(ds[name].values[i])) for name, i in pick.items())


def _sweep_facts(ds: Any, names: list[str]) -> str:
    """What every point shares (neurons, input, fixed values, dt, method), never a swept value."""
    import json

    try:
        spec = json.loads(ds.attrs.get("lifsim_meta", ""))["sweep"]
        params = spec["params"]
        noise = {"white": "white noise", "constant": "constant input", "uniform": "uniform noise"}[spec["input"]]
        fixed = [_value_text(name, params[name]) for name in ("i_mean", "tau") if name not in names]
        if spec["input"] == "white" and spec.get("sigma") is not None and "sigma" not in names:
            fixed.append(_value_text("sigma", spec["sigma"]))
        if spec["input"] == "uniform" and spec.get("amplitude") is not None and "amplitude" not in names:
            fixed.append(_value_text("amplitude", spec["amplitude"]))
        if params.get("t_ref") and "t_ref" not in names:
            fixed.append(_value_text("t_ref", params["t_ref"]))
        return (
            f"{spec['n']} neurons per point, {noise}, {', '.join(fixed) + ', ' if fixed else ''}"
            f"dt = {params['dt'] * MS:g} ms, {spec['method']}, rates after {spec['transient'] * MS:g} ms"
        )
    except (ValueError, KeyError, TypeError):
        return ""


def _sweep_curves(axes: list[plt.Axes], ds: Any, names: list[str], pick: dict[str, int]) -> None:
    """Rate, CV (and Fano factor, with a third axes) against the first name, a curve per value of the second."""
    x, xlabel = _sweep_axis(ds, names[0])
    series: list[int | None] = list(range(ds.sizes[names[1]])) if len(names) > 1 else [None]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(series)))
    handles: list[Any] = []
    for color, j in zip(colors, series):
        label = "" if j is None else " " + _value_text(names[1], float(ds[names[1]].values[j]))
        point = ds.isel(pick if j is None else {**pick, names[1]: j})
        bars = axes[0].errorbar(x, point.rate, yerr=point.rate_sem, fmt="o", color=color, ms=4, label="simulation")
        (line,) = axes[0].plot(x, point.rate_theory, "-", color=color, lw=1.5, label="theory (grid)")
        axes[0].plot(x, point.rate_theory_continuous, ":", color=color, lw=1.0)
        # a curve's entry: its dots (simulation) over its line (theory), named by its value
        handles += [bars, line] if j is None else [((bars, line), label.strip())]
        axes[1].plot(x, point.cv, "o-", color=color, ms=4, label=label.strip() or "simulation")
        if len(axes) > 2:
            axes[2].plot(x, point.fano, "o-", color=color, ms=4, label=label.strip() or "simulation")
    where = f"{_slice_text(ds, pick)}: " if pick else ""
    explained = "" if pick else "\n(dots: simulation +/- sem; line: grid theory;\ndotted: continuous time)"
    axes[0].set(xlabel=xlabel, ylabel=RATE_LABEL, title=f"{where}stationary rate{explained}")
    axes[1].set(xlabel=xlabel, ylabel="CV of the ISIs", title=f"{where}irregularity (CV of the ISIs)")
    if len(axes) > 2:
        axes[2].set(xlabel=xlabel, ylabel="Fano factor", title=f"{where}Fano factor of the spike counts")
    for ax in axes:
        ax.set_ylim(bottom=0)
        if is_geometric(x):
            _log_axis(ax, "x", x)
    if len(series) <= 6:
        # the rate panel's legend under its axes, off the data (placed "best" inside, its six entries covered the
        # steepest curve); one entry a curve, what dots and line are said by the title (or the legend's own)
        if series == [None]:
            axes[0].legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
                           fontsize="small", frameon=False)  # fmt: skip
        else:
            axes[0].legend(
                [handle for handle, _ in handles],
                [text for _, text in handles],
                loc="upper center",
                bbox_to_anchor=(0.5, -0.22),
                ncol=min(len(handles), 3),
                fontsize="small",
                frameon=False,
                handlelength=1.5,
                handletextpad=0.5,
                columnspacing=1.0,
                title=None if explained else "dots: simulation; line: grid theory",
                title_fontsize="small",
            )
        for ax in axes[1:]:  # the Fano panel's too: its colours were read from the others
            ax.legend(fontsize="x-small", loc="best")


def _sweep_map(fig: plt.Figure, ax: plt.Axes, ds: Any, names: list[str], pick: dict[str, int], var: str) -> None:
    """A heat map of ``var`` over the first two names: cells around each grid value, log axes on geometric grids."""
    (x, xlabel), (y, ylabel) = _sweep_axis(ds, names[0]), _sweep_axis(ds, names[1])
    geometric = is_geometric(x), is_geometric(y)
    x_edges = cell_edges(x, geometric[0], names[0] in _NON_NEGATIVE)
    y_edges = cell_edges(y, geometric[1], names[1] in _NON_NEGATIVE)
    values = np.asarray(ds[var].isel(pick).transpose(names[1], names[0]).values)
    every = np.asarray(ds[var].values)
    finite = every[np.isfinite(every)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
    # one colour scale for every slice, so that rows compare
    image = ax.pcolormesh(x_edges, y_edges, values, shading="flat", cmap="viridis", vmin=low, vmax=high)
    title = RATE_LABEL if var == "rate" else "CV of the ISIs"
    fig.colorbar(image, ax=ax, label=title)
    where = f"{_slice_text(ds, pick)}: " if pick else ""
    ax.set(xlabel=xlabel, ylabel=ylabel, title=f"{where}{title} over the grid")
    if geometric[0]:
        _log_axis(ax, "x", x)
    if geometric[1]:
        _log_axis(ax, "y", y)
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])


def _sweep_against_theory(ax: plt.Axes, ds: Any) -> None:
    rate, theory = np.ravel(ds.rate.values), np.ravel(ds.rate_theory.values)
    ok = np.isfinite(rate) & np.isfinite(theory)
    ax.plot(theory[ok], rate[ok], "o", ms=4, color="C0")
    top = max(1.0, float(np.nanmax(np.concatenate([rate[ok], theory[ok]]))) if ok.any() else 1.0)
    ax.plot([0, top], [0, top], "k--", lw=1, label="simulation = theory")
    ax.set(xlabel="theory rate (Hz)", ylabel="simulated rate (Hz)", title="simulation against theory, every point")
    ax.legend(loc="upper left", fontsize="small")


def plot_sweep(ds: Any) -> plt.Figure:
    """The figure of ``lifsim sweep`` (a dataset of :func:`lifsim.sweep`).

    One name: rate and CV against it, and simulation against theory.  Two:
    rate and CV against the first (a curve per value of the second), heat maps
    of rate and CV over both, the Fano factor and simulation against theory.
    Three or more: a row of panels per value of the names past the second
    (small multiples, at most :data:`SWEEP_ROWS`, each titled with its slice),
    and simulation against theory over every point.  Axes are in ms, mV, pA,
    MOhm and Hz; a geometric grid (10, 20, 40 ms) gets a log axis and heat-map
    cells bounded at geometric midpoints.  The title names only what every
    point shares, never a swept value.
    """
    names = list(ds.rate.dims)
    ds = ds.sortby(names)
    slices, note = _slices(ds, names)
    if len(names) == 1:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
        _sweep_curves([axes[0], axes[1]], ds, names, {})
        _sweep_against_theory(axes[2], ds)
    elif len(names) == 2:
        fig, grid = plt.subplots(2, 3, figsize=(15, 9), layout="constrained")
        _sweep_curves([grid[0, 0], grid[0, 1], grid[1, 2]], ds, names, {})
        _sweep_against_theory(grid[0, 2], ds)
        _sweep_map(fig, grid[1, 0], ds, names, {}, "rate")
        _sweep_map(fig, grid[1, 1], ds, names, {}, "cv")
    else:
        mosaic: list[Any] = [[f"rate{k}", f"cv{k}", f"map{k}", f"cvmap{k}", "theory"] for k in range(len(slices))]
        fig, panels = plt.subplot_mosaic(mosaic, figsize=(24, 3.8 * len(slices) + 1), layout="constrained")
        for k, pick in enumerate(slices):
            _sweep_curves([panels[f"rate{k}"], panels[f"cv{k}"]], ds, names, pick)
            _sweep_map(fig, panels[f"map{k}"], ds, names, pick, "rate")
            _sweep_map(fig, panels[f"cvmap{k}"], ds, names, pick, "cv")
        _sweep_against_theory(panels["theory"], ds)
        for kind in ("rate", "cv"):  # one scale down the rows, so that the slices compare
            column = [panels[f"{kind}{k}"] for k in range(len(slices))]
            top = max(ax.get_ylim()[1] for ax in column)
            for ax in column:
                ax.set_ylim(0, top)
    rows = f"; a row per slice of {', '.join(names[2:])}{note}" if len(names) > 2 else ""
    facts = _sweep_facts(ds, names)
    fig.suptitle(f"lifsim sweep over {', '.join(names)}{rows}" + (f"\n{facts}" if facts else ""))
    return fig
