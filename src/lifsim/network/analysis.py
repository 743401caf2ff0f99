"""Statistics of a network run: population rates, per-neuron rates and ISI CVs, synchrony.

All are computed from the complete spike list (every neuron, whatever is recorded), over the
analysis window ``[t_start, t_max]`` that leaves out the initial transient: ``t_start`` is 0.2 s
when the run lasts at least 0.4 s (NEST's reference: the last 1 s of 1.2 s), else half the run.

* **rate** of a neuron: its spikes in the window over the window's length (Hz); a population's is
  the mean over its neurons.
* **CV**: the ISI standard deviation over the mean, for neurons with at least 3 spikes in the
  window (NaN for the others); a population's is the mean over those neurons.
* **synchrony**: the Fano factor (variance over mean) of the spike count of a population subset
  in 1 ms bins over the window; the subset is the first ``SYNCHRONY_NEURONS`` (2,000) neurons of
  the population, or all of them when fewer, as in NEST's reference.  An asynchronous population
  of independent Poisson neurons gives about 1; synchronous states give tens to hundreds.  Correlated
  activity makes the value grow with the neurons counted: E and I compare only at the same count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import BrunelParams

__all__ = [
    "Statistics",
    "analysis_start",
    "population_rates",
    "neuron_statistics",
    "synchrony",
    "statistics",
    "SYNCHRONY_NEURONS",
    "SYNCHRONY_BIN",
]

SYNCHRONY_NEURONS = 2000
SYNCHRONY_BIN = 1e-3


def analysis_start(params: BrunelParams) -> int:
    """First step of the analysis window (0.2 s, or half a run shorter than 0.4 s)."""
    start = 0.2 if params.t_max >= 0.4 else params.t_max / 2
    return int(round(start / params.dt))


def population_rates(params: BrunelParams, spike_step: np.ndarray, spike_i: np.ndarray) -> np.ndarray:
    """Population rates (Hz) per step, shape (2, steps): excitatory, inhibitory."""
    exc = spike_i < params.n_exc
    out = np.empty((2, params.steps))
    out[0] = np.bincount(spike_step[exc], minlength=params.steps) / (params.n_exc * params.dt)
    out[1] = np.bincount(spike_step[~exc], minlength=params.steps) / (params.n_inh * params.dt)
    return out


def neuron_statistics(
    params: BrunelParams, spike_step: np.ndarray, spike_i: np.ndarray, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rate in Hz, ISI CV) of every neuron over steps ``start`` .. end."""
    keep = spike_step >= start
    steps, neurons = spike_step[keep].astype(np.int64), spike_i[keep]
    duration = (params.steps - start) * params.dt
    counts = np.bincount(neurons, minlength=params.n)
    rates = counts / duration
    # per neuron in time order: sorting neuron * steps + step is a stable sort by neuron of spikes in time order,
    # twice as fast as an argsort and its two gathers (a loaded file's statistics are computed again)
    keys = neurons.astype(np.int64) * params.steps + steps
    keys.sort()
    neurons = keys // params.steps
    steps = keys - neurons * params.steps
    isi = np.diff(steps).astype(np.float64)
    same = neurons[1:] == neurons[:-1]
    isi, owner = isi[same], neurons[1:][same]
    n_isi = np.bincount(owner, minlength=params.n)
    total = np.bincount(owner, weights=isi, minlength=params.n)
    squares = np.bincount(owner, weights=isi * isi, minlength=params.n)
    cv = np.full(params.n, np.nan)
    ok = n_isi >= 2
    mean = total[ok] / n_isi[ok]
    var = np.maximum(squares[ok] / n_isi[ok] - mean * mean, 0.0)
    cv[ok] = np.sqrt(var) / mean
    return rates, cv


def synchrony(params: BrunelParams, spike_step: np.ndarray, spike_i: np.ndarray, start: int) -> tuple[float, float]:
    """Fano factor of the binned (1 ms) spike count of each population's subset: (E, I); NaN without spikes."""
    bin_steps = max(1, int(round(SYNCHRONY_BIN / params.dt)))
    bins = (params.steps - start) // bin_steps
    out = []
    for lo, size in ((0, params.n_exc), (params.n_exc, params.n_inh)):
        chosen = (spike_i >= lo) & (spike_i < lo + min(size, SYNCHRONY_NEURONS)) & (spike_step >= start)
        which = (spike_step[chosen] - start) // bin_steps
        counts = np.bincount(which[which < bins], minlength=bins).astype(np.float64)
        mean = counts.mean() if bins else 0.0
        out.append(float(counts.var() / mean) if mean > 0 else float("nan"))
    return out[0], out[1]


@dataclass(frozen=True)
class Statistics:
    """Everything :func:`statistics` computes (arrays per step and per neuron, summaries per population)."""

    start: int
    population_rate: np.ndarray  #: (2, steps), Hz
    neuron_rate: np.ndarray  #: (N,), Hz
    neuron_cv: np.ndarray  #: (N,)
    mean_rate: tuple[float, float]
    mean_cv: tuple[float, float]
    synchrony: tuple[float, float]


def _nanmean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def statistics(params: BrunelParams, spike_step: np.ndarray, spike_i: np.ndarray) -> Statistics:
    """Population rates, per-neuron rates and CVs, and synchrony of a run's complete spike list."""
    start = analysis_start(params)
    rates, cv = neuron_statistics(params, spike_step, spike_i, start)
    ne = params.n_exc
    return Statistics(
        start=start,
        population_rate=population_rates(params, spike_step, spike_i),
        neuron_rate=rates,
        neuron_cv=cv,
        mean_rate=(float(rates[:ne].mean()), float(rates[ne:].mean())),
        mean_cv=(_nanmean(cv[:ne]), _nanmean(cv[ne:])),
        synchrony=synchrony(params, spike_step, spike_i, start),
    )
