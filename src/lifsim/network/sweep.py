"""A grid point of a network sweep: Brunel's network at one (g, eta, ...), measured beside its theory.

:func:`lifsim.sweep` with a :class:`~lifsim.network.BrunelParams` runs this at every point of its grid,
through the same layer as the neuron sweeps (:mod:`lifsim.sweeps`): the same grid grammar, the same
seeding rule (point ``p`` uses ``point_seed(seed, p)`` as the network's seed: its connectivity, initial V
and external drive), the same resumable ``.zarr`` store with its checksums, the same Dask runner (a whole
network per task).  ``lifsim network --grid g=3:8:11 --grid eta=1:4:7`` is this sweep on the command line.

Each point gives each population's rate, CV and synchrony over the analysis window
(:mod:`lifsim.network.analysis`) and the self-consistent mean-field rate with its mu and sigma
(:mod:`lifsim.network.theory`): a phase diagram in the manner of Brunel's Fig. 2.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from .model import STATES, BrunelParams
from .model import SWEEPABLE_DIMENSIONS as DIMENSIONS

__all__ = ["OUTPUTS", "DIMENSIONS", "STATES", "point_params", "measure", "units", "format_table"]

#: the per-point outputs of a network sweep: name -> (units, description)
OUTPUTS = {
    "rate_exc": ("Hz", "mean rate of the excitatory neurons over the analysis window"),
    "rate_inh": ("Hz", "mean rate of the inhibitory neurons over the analysis window"),
    "cv_exc": ("1", "mean CV of the excitatory neurons' ISIs (neurons with at least two intervals)"),
    "cv_inh": ("1", "mean CV of the inhibitory neurons' ISIs"),
    "synchrony_exc": ("1", "Fano factor of the excitatory population's spike count in 1 ms bins (1: asynchronous)"),
    "synchrony_inh": ("1", "Fano factor of the inhibitory population's spike count in 1 ms bins"),
    "rate_theory": ("Hz", "self-consistent stationary rate of the mean-field theory (Brunel 2000; AI state)"),
    "mu_theory": ("V", "mean input mu at the theory's rate"),
    "sigma_theory": ("V", "input fluctuation sigma at the theory's rate"),
}

_SI = {"time": "s", "voltage": "V", "dimensionless": "1"}


def units(name: str) -> str:
    """The SI unit of a swept network name."""
    return _SI[DIMENSIONS[name]]


def point_params(base: BrunelParams, names: Sequence[str], values: Sequence[float]) -> BrunelParams:
    """``base`` with the point's values (``n_exc`` a whole number); ValueError for a point that cannot run."""
    changes: dict[str, Any] = {}
    for name, value in zip(names, values):
        if name == "n_exc":
            if not float(value).is_integer():
                raise ValueError(f"n_exc: the number of excitatory neurons must be a whole number, got {value!r}")
            value = int(value)
        changes[name] = value
    return base.replace(**changes)


def measure(params: BrunelParams, seed: int, engine: str = "auto", threads: int | None = None) -> dict[str, float]:
    """Simulate the network ``params`` with ``seed`` and return :data:`OUTPUTS` (SI).

    The theory's saturation warning is not raised here: a phase diagram crosses the saturated
    states on purpose, and ``rate_theory`` says it.
    """
    from .analysis import statistics
    from .model import RateWarning
    from .run import simulate_spikes
    from .theory import self_consistent_rate

    point = params.replace(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RateWarning)
        theory = self_consistent_rate(point)
    run = simulate_spikes(point, "auto" if engine in (None, "auto") else engine, threads)
    stats = statistics(point, run.spike_step, run.spike_i)
    return {
        "rate_exc": stats.mean_rate[0],
        "rate_inh": stats.mean_rate[1],
        "cv_exc": stats.mean_cv[0],
        "cv_inh": stats.mean_cv[1],
        "synchrony_exc": stats.synchrony[0],
        "synchrony_inh": stats.synchrony[1],
        "rate_theory": float(theory.rate),
        "mu_theory": float(theory.mu),
        "sigma_theory": float(theory.sigma) if math.isfinite(theory.sigma) else math.nan,
    }


def format_table(ds: Any) -> str:
    """A network sweep as a table: the grid's values (mV, ms where they have units), each population's rate, CV and
    synchrony, and the theory's rate."""
    import numpy as np

    names = list(ds["rate_exc"].dims)
    factor = {"voltage": 1e3, "time": 1e3, "dimensionless": 1.0}
    header = " ".join(
        f"{name + (' (mV)' if DIMENSIONS[name] == 'voltage' else ' (ms)' if DIMENSIONS[name] == 'time' else ''):>10}"
        for name in names
    )
    lines = [
        f"{header} {'E rate (Hz)':>11} {'I rate':>8} {'theory':>8} {'E CV':>6} {'I CV':>6} {'E sync':>7} {'I sync':>7}"
    ]

    def cell(value: float, width: int, spec: str) -> str:
        if not math.isfinite(value):
            return f"{'n/a':>{width}}"
        if 0 < abs(value) < 1e-3 and spec == ".4g":  # a rate of 1e-41 Hz is a silent network, not a number to read
            return f"{'<0.001':>{width}}"
        return f"{value:{width}{spec}}"

    shape = ds["rate_exc"].shape
    for flat in range(int(np.prod(shape))):
        index = np.unravel_index(flat, shape)
        pick = dict(zip(names, index))
        row = {key: float(ds[key].isel(pick).values) for key in OUTPUTS}
        grid = " ".join(f"{float(ds[n].values[i]) * factor[DIMENSIONS[n]]:10.4g}" for n, i in zip(names, index))
        lines.append(
            f"{grid} {cell(row['rate_exc'], 11, '.4g')} {cell(row['rate_inh'], 8, '.4g')}"
            f" {cell(row['rate_theory'], 8, '.4g')} {cell(row['cv_exc'], 6, '.3f')} {cell(row['cv_inh'], 6, '.3f')}"
            f" {cell(row['synchrony_exc'], 7, '.3g')} {cell(row['synchrony_inh'], 7, '.3g')}"
        )
    return "\n".join(lines)
