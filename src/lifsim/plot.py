"""Figures (matplotlib, headless): currents, voltages, realizations, mean +/- std.

Every function draws on a given ``Axes`` (or a new figure) and returns it;
:func:`save_figure` writes PNG, SVG or PDF chosen by the file's suffix.  Axis
labels carry units (time in s, V_m in V, current in A), as in the tutorial.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .io import check_output_path  # noqa: E402

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


def plot_voltage(ax: plt.Axes, t: np.ndarray, v: np.ndarray, fmt: str = "k.", **kwargs: object) -> plt.Axes:
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


def plot_result(result: "object", *, xkcd: bool = False, max_traces: int = 10) -> plt.Figure:
    """The standard figure of a run: traces, mean +/- std band, and a raster when spiking."""
    from .result import Result

    assert isinstance(result, Result)
    spikes = bool(result.meta.get("spiking")) and result.spike_t is not None and result.spike_t.size > 0
    with figure_style(xkcd):
        if spikes:
            fig, (ax, ax_raster) = plt.subplots(2, 1, sharex=True, figsize=(7, 6), height_ratios=(2, 1))
        else:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.set_title(f"LIF ensemble, n = {result.n}")
        ax.set_ylabel(VOLTAGE_LABEL)
        if result.v is not None:
            plot_realizations(ax, result.t, result.v[:max_traces], dots=False, alpha=0.3, label="V(t)")
        std = result.v_std(1) if result.n > 1 else None
        plot_mean_std(ax, result.t, result.v_mean, std, band=True)
        ax.legend(loc="best")
        if spikes:
            plot_raster(ax_raster, result.spike_t, result.spike_i)
            ax_raster.set_title(f"spikes ({result.rate:.3g} Hz per neuron)")
        else:
            ax.set_xlabel(TIME_LABEL)
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
