"""The network figure: raster (E and I in two colours), population activity, rate and CV distributions, theory.

Times in ms, rates in Hz.  A raster of more than ``RASTER_E + RASTER_I`` neurons shows the first
``RASTER_E`` excitatory and ``RASTER_I`` inhibitory recorded neurons and says so in its title.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["figure", "plot_phase_diagram", "RASTER_E", "RASTER_I"]

RASTER_E = 100
RASTER_I = 25
E_COLOUR = "tab:blue"
I_COLOUR = "tab:red"


def figure(result: Any) -> Any:
    """A matplotlib Figure of ``result`` (a :class:`~lifsim.network.result.NetworkResult`)."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ds = result.dataset
    p = result.params
    prov = result.provenance
    fig = plt.figure(figsize=(10, 8.5), layout="constrained")
    grid = fig.add_gridspec(3, 2, height_ratios=[1.3, 1, 1])
    raster = fig.add_subplot(grid[0, :])
    activity = fig.add_subplot(grid[1, :], sharex=raster)
    rates_ax = fig.add_subplot(grid[2, 0])
    cv_ax = fig.add_subplot(grid[2, 1])

    t_ms = ds["spike_t"].values * 1e3
    idx = ds["spike_i"].values
    recorded_e = np.unique(idx[idx < p.n_exc])
    recorded_i = np.unique(idx[idx >= p.n_exc])
    show_e, show_i = recorded_e[:RASTER_E], recorded_i[:RASTER_I]
    row = np.full(p.n, -1)
    row[show_e] = np.arange(show_e.size)
    row[show_i] = show_e.size + np.arange(show_i.size)
    shown = row[idx] >= 0
    is_e = idx < p.n_exc
    raster.scatter(t_ms[shown & is_e], row[idx[shown & is_e]], s=1.5, c=E_COLOUR, marker="|", label="excitatory")
    raster.scatter(t_ms[shown & ~is_e], row[idx[shown & ~is_e]], s=1.5, c=I_COLOUR, marker="|", label="inhibitory")
    subset = ""
    if show_e.size < recorded_e.size or show_i.size < recorded_i.size or recorded_e.size < p.n_exc:
        subset = f" (subset: {show_e.size} of {p.n_exc:,} E, {show_i.size} of {p.n_inh:,} I neurons)"
    raster.set_title(f"Brunel network, g {p.g:g}, eta {p.eta:g}: raster{subset}")
    raster.set_ylabel("neuron (E below, I above)")
    raster.set_xlabel("time (ms)")
    raster.set_xlim(0, p.steps * p.dt * 1e3)
    if show_e.size + show_i.size:
        raster.set_ylim(-1, show_e.size + show_i.size)
        raster.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), markerscale=6, fontsize="small")  # off the dots
    else:  # --record-spikes none: say so, rather than an empty frame from -1 to 1
        raster.set_yticks([])
        raster.text(0.5, 0.5, "no spikes recorded (record_spikes 'none')", transform=raster.transAxes, ha="center")

    bin_steps = max(1, int(round(1e-3 / p.dt)))
    usable = (p.steps // bin_steps) * bin_steps
    centres = (np.arange(usable // bin_steps) + 0.5) * bin_steps * p.dt * 1e3
    theory = float(ds["rate_theory"])
    for index, (name, colour) in enumerate((("E", E_COLOUR), ("I", I_COLOUR))):
        binned = ds["population_rate"].values[index, :usable].reshape(-1, bin_steps).mean(axis=1)
        activity.plot(centres, binned, color=colour, lw=0.8, label=f"{name} population")
    activity.axhline(theory, color="k", ls="--", lw=1, label=f"theory {theory:.1f} Hz")
    activity.axvline(prov["analysis_start_s"] * 1e3, color="0.6", ls=":", lw=1, label="statistics from here")
    activity.set_xlabel("time (ms)")
    activity.set_ylabel("population rate (Hz, 1 ms bins)")
    activity.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small")  # off the traces

    rate = ds["neuron_rate"].values
    cv = ds["neuron_cv"].values
    top = max(float(rate.max()) if rate.size else 1.0, theory) * 1.05 or 1.0
    # a neuron's rate is its count over the window, a multiple of 1 / window: bins of whole multiples, centred on
    # them (40 equal bins across them drew a comb of full and empty bins)
    from .analysis import analysis_start

    quantum = 1.0 / ((p.steps - analysis_start(p)) * p.dt)
    per_bin = max(1, math.ceil(top / (40 * quantum)))
    edges = ((np.arange(math.ceil(top / (per_bin * quantum)) + 2) * per_bin - 0.5) * quantum).tolist()
    rates_ax.hist(rate[: p.n_exc], bins=edges, color=E_COLOUR, alpha=0.6, density=True, label="E")
    rates_ax.hist(rate[p.n_exc :], bins=edges, color=I_COLOUR, alpha=0.6, density=True, label="I")
    rates_ax.axvline(theory, color="k", ls="--", lw=1, label="theory")
    rates_ax.set_xlabel("firing rate (Hz)")
    rates_ax.set_ylabel("density (1/Hz)")
    rates_ax.set_title("rates of single neurons")
    rates_ax.legend(fontsize="small")
    finite = np.isfinite(cv)
    cv_edges = np.linspace(0, max(1.5, float(cv[finite].max()) if finite.any() else 1.5), 41).tolist()
    for part, colour, name in ((slice(0, p.n_exc), E_COLOUR, "E"), (slice(p.n_exc, None), I_COLOUR, "I")):
        values = cv[part][finite[part]]
        if values.size:  # a density of no values is 0/0 (numpy's warning reached the terminal)
            cv_ax.hist(values, bins=cv_edges, color=colour, alpha=0.6, density=True, label=name)
        else:
            cv_ax.plot([], [], color=colour, label=f"{name}: no neuron with 3 spikes")
    cv_ax.set_xlabel("ISI CV")
    cv_ax.set_ylabel("density")
    cv_ax.set_title("irregularity (neurons with >= 3 spikes)")
    cv_ax.legend(fontsize="small")
    return fig


#: how the phase diagram labels a swept name (display factor, label)
_AXIS = {
    "g": (1.0, "relative inhibition g"),
    "eta": (1.0, "external drive eta = nu_ext / nu_thr"),
    "epsilon": (1.0, "connection probability epsilon"),
    "n_exc": (1.0, "excitatory neurons N_E"),
    "j": (1e3, "synaptic weight J (mV)"),
    "el": (1e3, "E_L (mV)"),
    "vth": (1e3, "V_th (mV)"),
    "vr": (1e3, "V_reset (mV)"),
    "delay": (1e3, "delay D (ms)"),
    "tau": (1e3, "tau (ms)"),
    "t_ref": (1e3, "t_ref (ms)"),
}
#: rates below this (Hz) are drawn as silent (grey): a silent network's mean field solves to rates like 1e-41 Hz
SILENT_RATE = 1e-6
#: the phase diagram's panels: output, title, colour scale
_PANELS = (
    ("rate_exc", "E rate (Hz)", "log"),
    ("rate_theory", "mean-field rate (Hz)", "log"),
    ("cv_exc", "E ISI CV (irregularity)", "linear"),
    ("synchrony_exc", "E synchrony (Fano factor, 1 ms bins)", "log"),
)


#: the mantissas of a log axis's labelled ticks, coarsest first: :func:`log_ticks` takes the first whose ticks cover
#: the axis (decades alone left a 57-145 Hz axis with no label above 100)
_MANTISSAS = (
    (1.0,),
    (1.0, 2.0, 5.0),
    (1.0, 2.0, 3.0, 5.0),
    (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
    (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0),
)
#: the largest share of a log axis (its length in decades) left without a labelled tick, between two or at an end
LOG_GAP = 0.35
#: the most decades labelled one by one; a longer axis labels every second, third, ... decade
MOST_DECADES = 12


def _tick_text(values: list[float]) -> list[str]:
    """Labels in plain numbers (0.01, 70, 120; not 7 x 10^1), with the fewest significant digits that tell every tick
    apart and read back to it; 1e-05 and 1e+06 beyond 0.0001 to a million."""
    for digits in range(1, 16):
        texts = [
            np.format_float_positional(v, precision=digits, fractional=False, trim="-")
            if 1e-4 <= abs(v) < 1e6
            else f"{v:.{digits}g}"
            for v in values
        ]
        named = all(math.isclose(float(text), v, rel_tol=1e-9) for text, v in zip(texts, values))
        if named and len(set(texts)) == len(texts):
            return texts
    return [f"{v:.16g}" for v in values]  # pragma: no cover - every float reads back from 16 digits


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """The labelled ticks of a log axis from ``low`` to ``high`` and their texts: every decade the axis holds (every
    k-th past :data:`MOST_DECADES`), with 2 and 5, or finer steps, where an axis spans too few decades for them to
    leave no stretch of more than :data:`LOG_GAP` of it unlabelled; evenly spread round numbers on an axis too short
    for any of those (99 to 101 Hz).  ``[], []`` where the limits are not a log axis's."""
    import matplotlib.ticker as ticker

    if not (0 < low < high < math.inf):
        return [], []
    span = math.log10(high / low)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for mantissas in _MANTISSAS:
        ticks = [float(f"{m:g}e{d}") for d in range(first, last + 1) for m in mantissas]
        ticks = [t for t in ticks if low <= t <= high]
        where = [math.log10(low), *(math.log10(t) for t in ticks), math.log10(high)]
        if len(ticks) >= 2 and max(b - a for a, b in zip(where, where[1:])) <= LOG_GAP * span:
            break
    else:
        ticks = [float(t) for t in ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)]
        ticks = [t for t in ticks if low <= t <= high]
    if len(ticks) > MOST_DECADES:  # decades only: every k-th of them
        every = math.ceil(len(ticks) / MOST_DECADES)
        ticks = [t for t in ticks if round(math.log10(t)) % every == 0]
    return ticks, _tick_text(ticks)


def _plain_log_ticks(axis: Any, low: float, high: float) -> None:
    """Label the log axis ``axis`` (from ``low`` to ``high``) at :func:`log_ticks`, in plain numbers; its other ticks
    (matplotlib's 2 to 9 times each decade) stay, unlabelled."""
    import matplotlib.ticker as ticker

    ticks, texts = log_ticks(low, high)
    if ticks:
        axis.set_major_locator(ticker.FixedLocator(ticks))
        axis.set_major_formatter(ticker.FixedFormatter(texts))
        axis.set_minor_formatter(ticker.NullFormatter())


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around grid values (midpoints, the ends mirrored)."""
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    mid = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - mid[0]], mid, [2 * values[-1] - mid[-1]]])


def _title(ds: Any, names: list[str]) -> str:
    """The figure's title: the network's size and run, and what was swept."""
    import json

    try:
        params = json.loads(ds.attrs["lifsim_meta"])["sweep"]["params"]
        fixed = [f"N_E {params['n_exc']:,}" if "n_exc" not in names else ""]  # a swept value is on an axis
        fixed.append(f"epsilon {params['epsilon']:g}" if "epsilon" not in names else "")
        size = ", ".join([part for part in fixed if part] + [f"{params['t_max'] * 1e3:g} ms"]) + ": "
    except (KeyError, TypeError, ValueError):
        size = ""
    return f"Brunel network, {size}" + " x ".join(names)


def plot_phase_diagram(ds: Any) -> Any:
    """The figure of a network sweep (:func:`lifsim.sweep` with ``BrunelParams``).

    Two swept names: a phase diagram in the manner of Brunel's (2000) Fig. 2, four maps over the
    grid (the excitatory rate, the mean-field rate, the ISI CV and the synchrony), with Brunel's
    example states SR, SI fast, AI and SI slow marked where they fall inside a (g, eta) grid.  One
    swept name: the same four quantities as curves, the simulated rate beside the theory's.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    from .model import STATES

    names = list(ds["rate_exc"].dims)
    if len(names) not in (1, 2):
        raise ValueError(f"plot: a phase diagram shows one or two swept names, this sweep has {len(names)}")
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
    fig.suptitle(_title(ds, names))
    if len(names) == 1:
        (name,) = names
        factor, label = _AXIS.get(name, (1.0, name))
        x = ds[name].values * factor

        def audible(values: np.ndarray) -> np.ndarray:  # below SILENT_RATE a rate is silence: not drawn on a log axis
            return np.where(values >= SILENT_RATE, values, np.nan)

        for ax, (key, text, scale) in zip(axes.ravel(), _PANELS):
            if key == "rate_theory":
                ax.plot(x, audible(ds["rate_exc"].values), "o-", color=E_COLOUR, label="simulated E")
                ax.plot(x, audible(ds["rate_inh"].values), "s--", color=I_COLOUR, label="simulated I", ms=4)
                ax.plot(x, audible(ds["rate_theory"].values), "kx-", lw=1.5, label="mean-field theory")
                ax.legend(fontsize="small")
                text = "rate (Hz): simulation and theory"
            else:
                values = ds[key].values
                ax.plot(x, audible(values) if key.startswith("rate") else values, "o-", color=E_COLOUR)
            ax.set_yscale(scale)
            if scale == "log":
                _plain_log_ticks(ax.yaxis, *ax.get_ylim())
            ax.set_xlim(*_edges(x)[[0, -1]])  # the whole grid on every panel, silent points included
            if key.startswith("rate") and np.any(
                ~(ds["rate_theory"].values >= SILENT_RATE) | ~(ds["rate_exc"].values >= SILENT_RATE)
            ):
                ax.text(0.01, 0.01, "no point: silent (0 Hz)", transform=ax.transAxes, fontsize=7, va="bottom")
            ax.set_xlabel(label)
            ax.set_title(text)
        return fig
    x_name, y_name = names  # the first swept name across, the second up
    if "g" in names and "eta" in names:
        x_name, y_name = "g", "eta"  # Brunel's axes: g across, eta up
    fx, x_label = _AXIS.get(x_name, (1.0, x_name))
    fy, y_label = _AXIS.get(y_name, (1.0, y_name))
    x = ds[x_name].values * fx
    y = ds[y_name].values * fy
    rates = np.concatenate([ds[key].values.ravel() for key in ("rate_exc", "rate_theory")])
    rates = rates[np.isfinite(rates) & (rates >= 0.1)]  # below 0.1 Hz: the colour bar's lowest colour
    rate_norm = LogNorm(vmin=float(rates.min()), vmax=float(rates.max())) if rates.size else None
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.8")
    for ax, (key, text, scale) in zip(axes.ravel(), _PANELS):
        z = ds[key].transpose(y_name, x_name).values
        norm = rate_norm if key.startswith("rate") else None
        if key == "synchrony_exc":
            finite = z[np.isfinite(z) & (z > 0)]
            norm = LogNorm(vmin=float(finite.min()), vmax=float(finite.max())) if finite.size else None
        floor = SILENT_RATE if key.startswith("rate") else 0.0  # the theory's 1e-41 Hz is as silent as 0 Hz
        shown = np.where(z > floor, z, np.nan) if scale == "log" else z
        mesh = ax.pcolormesh(_edges(x), _edges(y), shown, norm=norm, cmap=cmap, shading="flat")
        bar = fig.colorbar(mesh, ax=ax, label=text, extend="min" if key.startswith("rate") else "neither")
        if scale == "log" and norm is not None:
            _plain_log_ticks(bar.ax.yaxis, float(norm.vmin or 0.0), float(norm.vmax or 0.0))
        if np.any(~np.isfinite(shown)):
            ax.text(0.01, 0.01, "grey: silent (0 Hz) or undefined", transform=ax.transAxes, fontsize=7, va="bottom")
        if scale == "log" and x_name == "g" and y_name == "eta" and key != "synchrony_exc":
            x_in = np.linspace(x[0], x[-1], 200)
            ax.plot(x_in, np.full_like(x_in, 1.0), color="w", lw=0.8, ls=":")  # eta = 1: threshold drive
        if "g" in names:
            g_at = 4.0 * (fx if x_name == "g" else fy)
            if x_name == "g" and x[0] <= g_at <= x[-1]:
                ax.axvline(g_at, color="w", lw=0.8, ls="--")  # g = 4: inhibition balances excitation
        if x_name == "g" and y_name == "eta":
            for state, (g, eta) in STATES.items():
                if x[0] <= g <= x[-1] and y[0] <= eta <= y[-1]:
                    ax.plot(g, eta, "o", mfc="none", mec="w", ms=9, mew=1.5)
                    ax.annotate(state, (g, eta), xytext=(5, 5), textcoords="offset points", color="w", fontsize=8)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.set_title(text)
    return fig
