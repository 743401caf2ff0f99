"""Figures (matplotlib, headless): currents, voltages, realizations, mean +/- std.

Every function draws on a given ``Axes`` (or a new figure) and returns it;
:func:`save_figure` writes PNG, SVG or PDF chosen by the file's suffix.  Axis
labels carry units (time in s, V_m in V, current in A), as in the tutorial.
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

from .io import check_output_path  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
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
    "plot_fi",
    "save_figure",
]

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")

# The xkcd style asks for fonts that are seldom installed; matplotlib then logs
# one "findfont" warning per text element at drawing time and uses its default.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

TIME_LABEL = "time (s)"
VOLTAGE_LABEL = "$V_m$ (V)"
CURRENT_LABEL = "$I$ (A)"


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


def plot_current_points(ax: plt.Axes, t: np.ndarray, i: np.ndarray) -> plt.Axes:
    """Input current ``i`` (A) at times ``t`` (s) as black dots (tutorial ex. 5)."""
    ax.plot(t, i, "ko")
    return ax


def plot_voltage(ax: plt.Axes, t: np.ndarray, v: np.ndarray, fmt: str = "k.", **kwargs: Any) -> plt.Axes:
    """One membrane trace ``v`` (V) against ``t`` (s): dots ``'k.'`` or a line ``'k'``."""
    ax.plot(t, v, fmt, **kwargs)
    return ax


def plot_realizations(
    ax: plt.Axes, t: np.ndarray, v: np.ndarray, *, dots: bool = True, alpha: float = 0.1, label: str | None = None
) -> plt.Axes:
    """Many realizations ``v`` (V, shape ``(n, steps)``) against ``t`` (s).

    ``dots=True`` draws them as faint black dots (tutorial ex. 8-10),
    otherwise as faint black lines (ex. 13-14).
    """
    v = np.atleast_2d(v)
    if dots:
        ax.plot(np.broadcast_to(t, v.shape).T, v.T, "k.", alpha=alpha)
    else:
        ax.plot(t, v.T, "k", alpha=alpha)
        if label is not None:
            ax.plot(t, v[-1], "k", alpha=alpha, label=label)
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
    """Sample mean (V) and mean +/- std (V) against ``t`` (s).

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


def plot_raster(ax: plt.Axes, spike_t: np.ndarray, spike_i: np.ndarray, max_neurons: int | None = 200) -> plt.Axes:
    """Spike raster: one dot per spike, time (s) against neuron index."""
    keep = spike_i < max_neurons if max_neurons is not None else slice(None)
    ax.plot(spike_t[keep], spike_i[keep], "k|", markersize=3)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("neuron")
    return ax


def plot_raster_image(ax: plt.Axes, image: np.ndarray, dt: float) -> plt.Axes:
    """Spike raster as a binary image ``[neuron, step]`` (black = spike), time in s."""
    n, steps = image.shape
    ax.imshow(
        image,
        aspect="auto",
        cmap="Greys",
        interpolation="nearest",
        origin="lower",
        extent=(-dt / 2, (steps - 0.5) * dt, -0.5, n - 0.5),
    )
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("neuron")
    return ax


def plot_population_rate(ax: plt.Axes, centers: np.ndarray, rate: np.ndarray, theory: float | None = None) -> plt.Axes:
    """Population rate (Hz) over time (s) as a step curve, with an optional theory line."""
    width = centers[1] - centers[0] if centers.size > 1 else 1.0
    ax.stairs(rate, np.append(centers - width / 2, centers[-1] + width / 2), color="k", label="simulation")
    if theory is not None:
        ax.axhline(theory, color="C3", ls="--", label=f"theory {theory:.3g} Hz")
        ax.legend(loc="best")
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("rate (Hz)")
    return ax


def plot_isi_histogram(ax: plt.Axes, intervals: np.ndarray, bins: int = 50, dt: float | None = None) -> plt.Axes:
    """Histogram of inter-spike intervals (s) as a probability density (1/s).

    With ``dt`` (s), the intervals of a simulation (multiples of dt) get bins
    whose width is a whole number of steps, so the histogram shows no comb
    from the grid.
    """
    low, high = float(np.min(intervals)), float(np.max(intervals))
    if dt is not None and dt > 0:
        width = max(1, int(np.ceil((high - low) / dt / bins))) * dt
        edges = np.arange(low - dt / 2, high + width, width)
        ax.hist(intervals, bins=edges.tolist(), density=True, color="0.4")
    else:
        if high - low < 1e-12 * max(abs(high), 1e-300):  # a regular train: one interval value
            low, high = low * 0.95, high * 1.05
        ax.hist(intervals, bins=bins, range=(low, high), density=True, color="0.4")
    ax.set_xlabel("inter-spike interval (s)")
    ax.set_ylabel("density (1/s)")
    return ax


def plot_v_histograms(
    ax: plt.Axes, times: np.ndarray, snapshots: np.ndarray, bins: int = 40, theory: list | None = None
) -> plt.Axes:
    """Histograms of V (V) across neurons at chosen times (s), one colour per time.

    ``theory``: optional list of ``(mean, std)`` (V) per time, drawn as Gaussian densities.
    """
    for row, (time, values) in enumerate(zip(times, snapshots)):
        color = f"C{row % 10}"
        ax.hist(values, bins=bins, density=True, histtype="step", color=color, label=f"t = {time * 1e3:g} ms")
        if theory is not None:
            mean, std = theory[row]
            x = np.linspace(values.min(), values.max(), 200)
            ax.plot(x, np.exp(-((x - mean) ** 2) / (2 * std**2)) / (std * np.sqrt(2 * np.pi)), color=color, ls="--")
    ax.set_xlabel(VOLTAGE_LABEL)
    ax.set_ylabel("density (1/V)")
    ax.legend(loc="best")
    return ax


def plot_fi(ax: plt.Axes, curve: object, fine: int = 200) -> plt.Axes:
    """An f-I curve: simulated rates (Hz) with error bars over the theory curves, current in A."""
    from . import theory as th
    from .fi import FICurve

    assert isinstance(curve, FICurve)
    i_fine = np.linspace(curve.i.min(), curve.i.max(), fine)
    if curve.sigma is None:
        ax.plot(i_fine, th.fi_deterministic(curve.params, i_fine), "C0", label="theory: deterministic f-I")
        ax.plot(
            i_fine,
            th.fi_grid(curve.params, i_fine, curve.method),
            "C2--",
            lw=1,
            label=f"theory on the grid (dt = {curve.params.dt * 1e3:g} ms)",
        )
    else:
        ax.plot(
            i_fine,
            th.siegert_rate(curve.params, curve.sigma, i_fine),
            "C0",
            label=f"theory: Siegert, sigma = {curve.sigma * 1e3:g} mV",
        )
        ax.plot(
            i_fine,
            th.siegert_rate(curve.params, curve.sigma, i_fine, dt_correction=curve.params.dt),
            "C2--",
            lw=1,
            label=f"Siegert, grid-corrected (dt = {curve.params.dt * 1e3:g} ms)",
        )
        ax.plot(i_fine, th.fi_deterministic(curve.params, i_fine), "0.6", lw=1, label="deterministic f-I (no noise)")
    ax.errorbar(
        curve.i,
        curve.rate,
        yerr=curve.rate_sem,
        fmt="ko",
        ms=4,
        capsize=2,
        label=f"simulation, n = {curve.n} per point",
    )
    ax.set_xlabel(CURRENT_LABEL)
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title("f-I curve")
    ax.legend(loc="best")
    return ax


def plot_result(
    result: object,
    *,
    xkcd: bool = False,
    max_traces: int = 10,
    theory: EulerMoments | None = None,
    rate_bin: float | None = None,
) -> plt.Figure:
    """The standard figure of a run.

    Panels: V traces with the sample mean +/- std band (and the theory band
    when ``theory``, a :class:`lifsim.theory.EulerMoments`, is given); with
    spikes, the raster, the population rate over time and the ISI histogram;
    with snapshots, histograms of V at those times.
    """
    from .result import Result
    from .spikes import isi, rate_over_time

    assert isinstance(result, Result)
    spikes = bool(result.meta.get("spiking")) and result.spike_t is not None and result.spike_t.size > 0
    panels = ["v"] + (["raster", "rate", "isi"] if spikes else []) + (["vhist"] if result.snapshot_t.size else [])
    with figure_style(xkcd):
        if len(panels) == 1:
            fig, single = plt.subplots(figsize=(7, 4.5))
            axes: list[Any] = [single]
        else:
            rows = (len(panels) + 1) // 2
            fig, grid = plt.subplots(rows, 2, figsize=(12, 3.6 * rows))
            axes = list(grid.ravel())
            for extra in axes[len(panels) :]:
                extra.remove()
        by_name = dict(zip(panels, axes))
        ax = by_name["v"]
        ax.set_title(f"LIF ensemble, n = {result.n}")
        ax.set_xlabel(TIME_LABEL)
        ax.set_ylabel(VOLTAGE_LABEL)
        if result.v is not None:
            plot_realizations(ax, result.t, result.v[:max_traces], dots=False, alpha=0.3, label="V(t)")
        std = result.v_std(1) if result.n > 1 else None
        plot_mean_std(
            ax, result.t, result.v_mean, std, band=True, label_mean="sample mean", label_std=r"sample mean $\pm$ std"
        )
        if theory is not None:
            ax.plot(result.t, theory.mean, "C3--", lw=1, label="theory mean")
            ax.plot(result.t, theory.mean + theory.std, "C3:", lw=1, label=r"theory mean $\pm$ std")
            ax.plot(result.t, theory.mean - theory.std, "C3:", lw=1)
        ax.legend(loc="best", fontsize="small")
        if spikes:
            spike_t, spike_i = result.spikes()
            plot_raster(by_name["raster"], spike_t, spike_i)
            by_name["raster"].set_title(f"spikes ({result.rate:.3g} Hz per neuron)")
            width = rate_bin if rate_bin is not None else max(result.dt, result.steps * result.dt / 100)
            centers, rate = rate_over_time(spike_t, result.n, 0.0, result.t[-1] + result.dt, width)
            plot_population_rate(by_name["rate"], centers, rate)
            by_name["rate"].set_title(f"population rate ({width * 1e3:g} ms bins)")
            intervals = isi(spike_t, spike_i)
            if intervals.size:
                plot_isi_histogram(by_name["isi"], intervals, dt=result.dt)
            by_name["isi"].set_title(f"ISI histogram (CV {result.cv():.3g})")
        if "vhist" in by_name:
            at = None
            if theory is not None:
                grid_steps = np.rint(result.snapshot_t / result.dt).astype(int)
                at = [(theory.mean[k], theory.std[k]) for k in grid_steps]
            plot_v_histograms(by_name["vhist"], result.snapshot_t, result.v_snapshots, theory=at)
            by_name["vhist"].set_title("V across neurons")
        fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Save ``fig`` as PNG, SVG or PDF (by suffix), atomically, and close it."""
    target = check_output_path(path, FIGURE_SUFFIXES, "--plot")
    tmp = target.with_name(f".{target.name}.tmp{target.suffix}")
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
        plt.close(fig)
