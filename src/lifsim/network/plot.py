"""The network figure: raster (E and I in two colours), population activity, rate and CV distributions, theory.

Times in ms, rates in Hz.  A raster of more than ``RASTER_E + RASTER_I`` neurons shows the first
``RASTER_E`` excitatory and ``RASTER_I`` inhibitory recorded neurons and says so in its title.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["figure", "RASTER_E", "RASTER_I"]

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
    raster.set_ylim(-1, max(1, show_e.size + show_i.size))
    raster.legend(loc="upper right", markerscale=6, fontsize="small")

    bin_steps = max(1, int(round(1e-3 / p.dt)))
    usable = (p.steps // bin_steps) * bin_steps
    centres = (np.arange(usable // bin_steps) + 0.5) * bin_steps * p.dt * 1e3
    theory = float(ds["theory_rate"])
    for index, (name, colour) in enumerate((("E", E_COLOUR), ("I", I_COLOUR))):
        binned = ds["population_rate"].values[index, :usable].reshape(-1, bin_steps).mean(axis=1)
        activity.plot(centres, binned, color=colour, lw=0.8, label=f"{name} population")
    activity.axhline(theory, color="k", ls="--", lw=1, label=f"theory {theory:.1f} Hz")
    activity.axvline(prov["analysis_start_s"] * 1e3, color="0.6", ls=":", lw=1, label="statistics from here")
    activity.set_xlabel("time (ms)")
    activity.set_ylabel("population rate (Hz, 1 ms bins)")
    activity.legend(loc="upper right", fontsize="small")

    rate = ds["neuron_rate"].values
    cv = ds["neuron_cv"].values
    top = max(float(rate.max()) if rate.size else 1.0, theory) * 1.05 or 1.0
    edges = np.linspace(0, top, 41).tolist()
    rates_ax.hist(rate[: p.n_exc], bins=edges, color=E_COLOUR, alpha=0.6, density=True, label="E")
    rates_ax.hist(rate[p.n_exc :], bins=edges, color=I_COLOUR, alpha=0.6, density=True, label="I")
    rates_ax.axvline(theory, color="k", ls="--", lw=1, label="theory")
    rates_ax.set_xlabel("firing rate (Hz)")
    rates_ax.set_ylabel("density (1/Hz)")
    rates_ax.set_title("rates of single neurons")
    rates_ax.legend(fontsize="small")
    finite = np.isfinite(cv)
    cv_edges = np.linspace(0, max(1.5, float(cv[finite].max()) if finite.any() else 1.5), 41).tolist()
    cv_ax.hist(cv[: p.n_exc][finite[: p.n_exc]], bins=cv_edges, color=E_COLOUR, alpha=0.6, density=True, label="E")
    cv_ax.hist(cv[p.n_exc :][finite[p.n_exc :]], bins=cv_edges, color=I_COLOUR, alpha=0.6, density=True, label="I")
    cv_ax.set_xlabel("ISI CV")
    cv_ax.set_ylabel("density")
    cv_ax.set_title("irregularity (neurons with >= 3 spikes)")
    cv_ax.legend(fontsize="small")
    return fig
