"""f-I curves: simulated firing rate against input current, with theory beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import inputs as inputs_mod
from . import theory
from .params import LIFParams
from .simulation import simulate
from .spikes import isi, spike_counts
from .units import to_si

__all__ = ["FICurve", "fi_curve"]


@dataclass
class FICurve:
    """A simulated f-I curve and its theory.

    Attributes
    ----------
    i : ndarray
        Input currents I_mean (A).
    rate : ndarray
        Simulated population rate (Hz) after the transient: spikes per neuron
        per second with noise; ``1 / mean ISI`` without noise (a regular train,
        whose spike count in a window is off by up to one spike).
    rate_sem : ndarray
        Standard error of ``rate`` (Hz): std of the per-neuron rates / sqrt(n).
    rate_theory : ndarray
        Continuous-time theory (Hz): the deterministic f-I curve without
        noise, the Siegert rate with white noise.
    rate_grid : ndarray
        Theory of the simulated grid (Hz): the noise-free neuron on the grid
        (:func:`lifsim.theory.fi_grid`) without noise, the Siegert rate with
        the discrete-threshold correction with noise.
    sigma : float or None
        White-noise strength (V), None for noise-free input.
    n : int
        Neurons per point.
    window : tuple of float
        Time window (s) over which rates were counted.
    """

    i: np.ndarray
    rate: np.ndarray
    rate_sem: np.ndarray
    rate_theory: np.ndarray
    rate_grid: np.ndarray
    sigma: float | None
    n: int
    window: tuple[float, float]
    params: LIFParams
    method: str
    meta: dict = field(default_factory=dict)

    #: the table's columns and their units
    UNITS = {"i": "A", "rate": "Hz", "rate_sem": "Hz", "rate_theory": "Hz", "rate_grid": "Hz"}

    def table(self) -> dict[str, np.ndarray]:
        """Columns of the f-I table (SI units: A and Hz)."""
        return {
            "i": self.i,
            "rate": self.rate,
            "rate_sem": self.rate_sem,
            "rate_theory": self.rate_theory,
            "rate_grid": self.rate_grid,
        }

    def format_table(self) -> str:
        """The table as ``lifsim fi`` prints it: currents in pA, rates in Hz."""
        lines = [f"{'I (pA)':>10} {'rate (Hz)':>10} {'sem (Hz)':>9} {'theory':>9} {'grid th.':>9}"]
        for row in zip(self.i, self.rate, self.rate_sem, self.rate_theory, self.rate_grid):
            lines.append(f"{row[0] * 1e12:10.4g} {row[1]:10.4g} {row[2]:9.3g} {row[3]:9.4g} {row[4]:9.4g}")
        return "\n".join(lines)

    def save(self, path: str) -> Path:
        """Save the table with its provenance: ``.npz`` (arrays and ``meta``) or ``.csv`` (units in the header)."""
        from .atomic import check_output_path
        from .options import TABLE_SUFFIXES

        target = check_output_path(path, TABLE_SUFFIXES, "--data")
        if target.suffix.lower() == ".csv":
            from .formats.csv import save_columns

            return save_columns(target, self.table(), self.UNITS, self.meta)
        from .formats.npz import save_arrays

        return save_arrays(target, self.table(), self.meta)


def fi_curve(
    params: LIFParams,
    currents: np.ndarray,
    *,
    n: int = 100,
    sigma: float | str | None = None,
    seed: int = 0,
    method: str = "euler",
    transient: float | str = 0.1,
    engine: str = "auto",
    threads: int | None = None,
    command: str | None = None,
    config: dict | None = None,
) -> FICurve:
    """Simulate ``n`` neurons at each current of ``currents`` (A) and measure their rate.

    Parameters
    ----------
    params : LIFParams
        Model parameters; ``i_mean`` is replaced by each current.
    currents : array_like
        Mean input currents (A).
    n : int
        Neurons per current.
    sigma : float or str, optional
        White-noise strength (V); None for constant input.
    seed : int
        Seed; point ``p`` uses seed ``seed + p``.
    method : {"euler", "exact"}
    transient : float or str
        Initial time (s) left out of the rate, so the rate is the stationary one.
    engine, threads
        As in :func:`lifsim.simulate`.
    command, config
        How the curve was asked for, kept in its provenance (:attr:`FICurve.meta`).
    """
    currents = np.atleast_1d(np.asarray(currents, dtype=np.float64))
    if currents.ndim != 1 or currents.size == 0 or not np.all(np.isfinite(currents)):
        raise ValueError("currents: expected a non-empty list of finite currents (A)")
    transient = to_si(transient, "time", "transient")
    duration = (params.steps - 1) * params.dt - transient
    if not transient >= 0 or duration <= 0:
        raise ValueError(f"transient: {transient!r} s must be >= 0 and shorter than the run ({params.t_max!r} s)")
    sigma_v = None if sigma is None else to_si(sigma, "voltage", "sigma")
    if sigma_v is not None and not sigma_v > 0:
        raise ValueError(f"sigma: must be > 0 V, got {sigma_v!r}")
    rates = np.empty(currents.size)
    sems = np.empty(currents.size)
    for point, current in enumerate(currents):
        p = params.replace(i_mean=float(current))
        drive = inputs_mod.constant(p.i_mean) if sigma_v is None else inputs_mod.white_noise(sigma_v, p.i_mean)
        run = simulate(p, drive, n=n, seed=seed + point, method=method, engine=engine, threads=threads, progress=False)  # type: ignore[arg-type]
        spike_t, spike_i = run.spikes()
        late = spike_t >= transient
        if sigma_v is None:
            # regular firing: counting spikes in a window is off by up to one
            # spike; the period itself is exact.  Intervals are counted in whole
            # steps, so a regular train has a standard error of exactly 0.
            steps = np.rint(isi(spike_t[late], spike_i[late]) / params.dt)
            rates[point] = 1.0 / (steps.mean() * params.dt) if steps.size else 0.0
            sems[point] = 0.0 if steps.size < 2 else rates[point] * steps.std() / steps.mean() / np.sqrt(steps.size)
        else:
            per_neuron = spike_counts(spike_i[late], n) / duration
            rates[point] = per_neuron.mean()
            sems[point] = per_neuron.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    if sigma_v is None:
        rate_theory = theory.fi_deterministic(params, currents)
        rate_grid = theory.fi_grid(params, currents, method)
    else:
        rate_theory = np.asarray(theory.siegert_rate(params, sigma_v, currents))
        rate_grid = np.asarray(theory.siegert_rate(params, sigma_v, currents, dt_correction=params.dt))
    from .provenance import stamp

    meta = {
        "kind": "f-I curve",
        "params": params.as_dict(),
        "sigma_V": sigma_v,
        "n": n,
        "seed": seed,
        "seeds": "point p uses seed + p",
        "method": method,
        "window_s": [transient, transient + duration],
        "rate": "spikes per neuron per second in the window" if sigma_v is not None else "1 / mean ISI",
        **stamp(command, config),
    }
    return FICurve(
        currents,
        rates,
        sems,
        rate_theory,
        rate_grid,
        sigma_v,
        n,
        (transient, transient + duration),
        params,
        method,
        meta,
    )
