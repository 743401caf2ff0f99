"""Spike-train analysis: counts, rates, ISIs, CV, Fano factor, V histograms.

Pure functions on plain arrays, usable on any spike data: ``spike_t`` (s) and
``spike_i`` (neuron index) list every spike, in any order unless stated.
Rates are in Hz: spikes per neuron per second, never spikes per step.

Examples
--------
>>> import numpy as np
>>> t = np.array([0.125, 0.25, 0.375, 0.15])
>>> i = np.array([0, 0, 0, 1])
>>> spike_counts(i, n=3).tolist()
[3, 1, 0]
>>> float(population_rate(t, n=3, duration=1.0))
1.3333333333333333
>>> cv_isi(t, i)
0.0

Windows and bins are half-open, ``[start, stop)``, and tile the span from
its start: a partial last window or bin is dropped, and one longer than the
span is refused.  Spike times on a grid (``k * dt``) and window edges on the
same grid are compared with a tolerance of 1e-9 window widths, so round-off
never moves a spike on an edge into the previous window.

Times (``duration``, ``bin_width``, ``window``, ``t_start``, ``t_stop``,
``dt``) are seconds or strings with a unit (``"5 ms"``), as everywhere in
lifsim; bad arguments raise ``ValueError`` or ``TypeError`` naming the
argument and what it accepts.
"""

from __future__ import annotations

import math

import numpy as np

from .units import format_display, parse_int, to_si

__all__ = [
    "after_transient",
    "window_rate",
    "spike_counts",
    "population_rate",
    "rate_over_time",
    "isi",
    "cv_isi",
    "fano_factor",
    "window_counts",
    "binary_raster",
    "voltage_histogram",
]


def _spikes(spike_t: np.ndarray, spike_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = _times(spike_t)
    i = np.asarray(spike_i).ravel()
    if t.shape != i.shape:
        raise ValueError(f"spike_t and spike_i: need the same length, got {t.size} and {i.size}")
    return t, _indices(i)


def _times(spike_t: np.ndarray) -> np.ndarray:
    """The spike times (s) as a flat float64 array: finite real numbers."""
    try:
        t = np.asarray(spike_t, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError("spike_t: expected an array of spike times in s (real numbers)") from None
    if t.size and not np.isfinite(t).all():
        at = int(np.flatnonzero(~np.isfinite(t))[0])
        raise ValueError(f"spike_t: expected finite spike times in s, got {float(t[at])!r} at position {at}")
    return t


def _time(value: object, name: str) -> float:
    """A finite time (s) from seconds or a string with a unit."""
    seconds = to_si(value, "time", name)
    if not math.isfinite(seconds):
        raise ValueError(f"{name}: expected a finite time in s or with a unit (s, ms), got {value!r}")
    return seconds


def _positive(value: object, name: str) -> float:
    seconds = _time(value, name)
    if seconds <= 0:
        raise ValueError(f"{name}: must be a finite time > 0 ms, got {format_display(seconds, 'time')}")
    return seconds


def _neurons(n: object) -> int:
    """The number of neurons: a whole number >= 1."""
    return parse_int(n, "n", low=1, expected="a whole number of neurons >= 1")


def _span(t_start: object, t_stop: object) -> tuple[float, float]:
    start, stop = _time(t_start, "t_start"), _time(t_stop, "t_stop")
    if not stop > start:
        shown = format_display(start, "time"), format_display(stop, "time")
        raise ValueError(f"t_stop: must be after t_start = {shown[0]}, got {shown[1]}")
    return start, stop


def _tiles(width: float, name: str, start: float, stop: float) -> int:
    """How many windows of ``width`` (s) tile ``[start, stop)`` (a partial last one dropped); at least one."""
    count = int(np.floor((stop - start) / width + 1e-9))
    if count < 1:
        raise ValueError(
            f"{name}: {format_display(width, 'time')} is longer than the span {format_display(stop - start, 'time')} "
            "from t_start to t_stop"
        )
    return count


def _indices(spike_i: np.ndarray, n: int | None = None) -> np.ndarray:
    i = np.asarray(spike_i).ravel()
    if i.size and (i.dtype.kind not in "iu" or i.min() < 0):
        raise ValueError("spike_i: expected non-negative integer neuron indices")
    if n is not None and i.size and i.max() >= n:
        raise ValueError(f"spike_i: index {i.max()} is outside the n = {n} neurons")
    return i.astype(np.int64)


def _window_index(t: np.ndarray, t_start: float, width: float) -> np.ndarray:
    """Index of the half-open window ``[t_start + k w, t_start + (k+1) w)`` holding each time.

    A time within 1e-9 widths below an edge counts as on the edge (round-off).
    """
    return np.floor((t - t_start) / width + 1e-9).astype(np.int64)


def spike_counts(spike_i: np.ndarray, n: int) -> np.ndarray:
    """Number of spikes of each of ``n`` neurons.

    Parameters
    ----------
    spike_i : ndarray of int
        Neuron index of every spike.
    n : int
        Number of neurons (neurons without spikes count 0).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    n = _neurons(n)
    return np.bincount(_indices(spike_i, n), minlength=n)


def population_rate(spike_t: np.ndarray, n: int, duration: float, t_start: float = 0.0) -> float:
    """Population mean firing rate (Hz): spikes in ``[t_start, t_start + duration)`` / ``n`` / ``duration``.

    Parameters
    ----------
    spike_t : ndarray
        Spike times (s).
    n : int
        Number of neurons.
    duration : float
        Length of the window (s).
    t_start : float
        Start of the window (s).
    """
    duration = _positive(duration, "duration")
    n = _neurons(n)
    t_start = _time(t_start, "t_start")
    t = _times(spike_t)
    inside = np.count_nonzero((t >= t_start) & (t < t_start + duration))
    return inside / (n * duration)


def after_transient(transient: float, dt: float, steps: int) -> tuple[int, float]:
    """The window after a transient of ``transient`` (s) in a run of ``steps`` time points ``dt`` (s) apart:
    ``(first, duration)``, the grid point the window starts at (the first at or after ``transient``) and its
    length (s), ``(steps - 1 - first) dt``.

    A spike at grid point ``k`` ends the update from ``k - 1`` to ``k``, so the window's spikes are those at
    ``first + 1 .. steps - 1``: one per update inside it (counting the spikes at ``first`` too, over the same
    length, made a rate ``1 / (steps - 1 - first)`` too high).
    """
    first = min(int(steps) - 1, int(math.ceil(transient / dt - 1e-9)))
    return first, (int(steps) - 1 - first) * dt


#: most points of the population's cumulative count that :func:`window_rate`'s edge error looks at (longer
#: windows are taken in bins of whole steps)
EDGE_POINTS = 1 << 20


def window_rate(
    spike_t: np.ndarray, spike_i: np.ndarray, n: int, first: int, steps: int, dt: float
) -> tuple[float, float]:
    """The rate (Hz) of ``n`` neurons over the updates after grid point ``first`` (:func:`after_transient`) of a
    run of ``steps`` time points ``dt`` (s) apart, and its standard error (Hz).

    The rate is the spikes at grid points ``first + 1 .. steps - 1`` per neuron per second, over the window's
    length ``W``.  Its standard error is the larger of two:

    * the spread of the neurons' own rates over ``sqrt(n)``: right for neurons that fire independently;
    * the *edge error* ``sqrt(2 var_t D(t)) / W``, where ``D(t)`` is the population's cumulative count per
      neuron from the window's start, less ``rate * t``: how far the count would move were the window's two
      edges put elsewhere on the population's rhythm.  Neurons that start together (at ``V0``) and fire in step,
      as weak noise leaves them for about ``1 / CV**2`` intervals, all count the same spikes, so their spread is
      nearly 0 while the count over the window misses the stationary rate by up to one spike per neuron; ``D``
      is then a sawtooth of one spike, and the edge error about ``0.4 / W`` (0.5 mV of white noise on the
      default neuron: 0.25 Hz instead of 0.004 Hz, for a count 0.1 Hz off the theory).  For independent neurons
      ``D`` is a Brownian bridge and the edge error about ``1 / sqrt(6)`` of the spread's, which it leaves
      alone.  It covers the edges, not the whole start: neurons partly in step (CV about 0.05 to 0.15 over a
      short transient) still carry a bias of a few errors, which a longer transient removes.

    One neuron has no spread: its error is the renewal one of its intervals in the window (Cox's count variance,
    ``CV**2 spikes`` and a term for where the edges fall on its train: :func:`_renewal_count_variance`), or the
    edge error, where larger.  A window without spikes has the error of one spike, ``1 / (n W)``
    (a count of 0 says the rate is below about that, not that it is 0 to the last digit).  Windows of more
    than :data:`EDGE_POINTS` steps take ``D`` at the ends of bins of whole steps.  NaN where no error can be had
    (one neuron with fewer than two intervals and no other, fewer than two updates).
    """
    n = _neurons(n)
    t, i = _spikes(spike_t, spike_i)
    k = np.rint(t / dt).astype(np.int64)
    late = (k > first) & (k < steps)
    updates = int(steps) - 1 - int(first)
    if updates <= 0:
        return math.nan, math.nan
    length = updates * dt
    per_neuron = spike_counts(i[late], n) / length
    rate = float(per_neuron.mean())
    if not late.any():  # no spike: the rate is below about one spike's worth, not known to be exactly 0
        return rate, 1.0 / (n * length)
    errors = [float(per_neuron.std(ddof=1) / math.sqrt(n))] if n > 1 else []
    if n == 1:  # no spread to take: the count's variance of a renewal process (_renewal_count_variance)
        steps_between = np.diff(np.sort(k[late]))
        if steps_between.size >= 2:
            errors.append(math.sqrt(_renewal_count_variance(steps_between, int(late.sum()))) / length)
    if updates > 1:
        width = -(-updates // EDGE_POINTS)  # whole steps per point of D
        ends = np.minimum(np.arange(1, -(-updates // width) + 1) * width, updates)  # updates done at each point
        counts = np.bincount((k[late] - first - 1) // width, minlength=ends.size)[: ends.size]
        drift = np.cumsum(counts) / n - rate * dt * ends
        errors.append(float(math.sqrt(2.0 * drift.var()) / length))
    return rate, (max(errors) if errors else math.nan)


def _renewal_count_variance(intervals: np.ndarray, count: int) -> float:
    """The variance of a renewal process's count over a window that holds about ``count`` spikes, from its
    ``intervals`` (any unit): ``CV**2 count + 1/6 + CV**4 / 2 - mu_3 / (3 mean**3)`` (Cox 1962, *Renewal Theory*,
    section 4.5; ``mu_3`` the intervals' third central moment), the constant not below 0.  The constant is where
    the window's edges fall on the train: 1/6 of a spike squared for a regular train, 0 for a Poisson one.
    ``CV**2 count`` alone was 20-30 % small for a nearly regular neuron (z spread 1.2-1.3 at 1 mV of noise)."""
    mean = float(intervals.mean())
    deviations = intervals / mean - 1.0
    cv2 = float(np.mean(deviations**2))
    third = float(np.mean(deviations**3))  # mu_3 / mean**3
    return cv2 * count + max(1.0 / 6.0 + cv2 * cv2 / 2.0 - third / 3.0, 0.0)


def rate_over_time(
    spike_t: np.ndarray, n: int, t_start: float, t_stop: float, bin_width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Population rate (Hz) in bins of ``bin_width`` (s) from ``t_start`` to ``t_stop`` (s).

    The bins tile ``[t_start, t_stop)`` from ``t_start``; a partial last bin is dropped (its spikes are not
    counted), and a bin longer than the span is refused.

    Returns
    -------
    centers : ndarray
        Bin centres (s).
    rate : ndarray
        Spikes per neuron per second in each bin (Hz).
    """
    bin_width = _positive(bin_width, "bin_width")
    n = _neurons(n)
    t_start, t_stop = _span(t_start, t_stop)
    bins = _tiles(bin_width, "bin_width", t_start, t_stop)
    edges = t_start + bin_width * np.arange(bins + 1)
    t = _times(spike_t)
    k = _window_index(t, t_start, bin_width)
    counts = np.bincount(k[(k >= 0) & (k < bins)], minlength=bins)
    return (edges[:-1] + edges[1:]) / 2, counts / (n * bin_width)


def isi(spike_t: np.ndarray, spike_i: np.ndarray) -> np.ndarray:
    """All inter-spike intervals (s) within each neuron, pooled over neurons.

    Spikes are sorted by neuron then time first; intervals never span two neurons.
    """
    t, i = _spikes(spike_t, spike_i)
    if t.size < 2:
        return np.zeros(0)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    same = i[1:] == i[:-1]
    return np.diff(t)[same]


def cv_isi(spike_t: np.ndarray, spike_i: np.ndarray, ddof: int = 0, dt: float | None = None) -> float:
    """Coefficient of variation of the pooled ISIs: ``std(ISI) / mean(ISI)``.

    0 for a regular train, close to 1 for a Poisson train; NaN with fewer
    than two intervals (or no more than ``ddof``).  (For an ensemble of identical stationary neurons
    pooling is the usual estimate; use :func:`isi` per neuron for per-neuron CVs.)

    ``dt`` (s): the time step of a simulation whose spike times lie on the grid
    ``k dt``; the intervals are then counted in whole steps, so a regular train
    gives exactly 0 instead of the round-off of the times (a train at 0.1,
    0.2, 0.3 s gives ~1e-16 without it).
    """
    ddof = parse_int(ddof, "ddof", low=0, expected="a whole number >= 0 (delta degrees of freedom)")
    step = None if dt is None else _positive(dt, "dt")
    intervals = isi(spike_t, spike_i)
    if intervals.size < 2 or intervals.size <= ddof:
        return float("nan")
    if step is not None:
        intervals = np.rint(intervals / step)
    return float(np.std(intervals, ddof=ddof) / np.mean(intervals))


def window_counts(
    spike_t: np.ndarray, spike_i: np.ndarray, n: int, window: float, t_start: float, t_stop: float
) -> np.ndarray:
    """Spike counts in consecutive windows, shape ``(n, windows)``.

    Windows of ``window`` (s) tile ``[t_start, t_stop)``; a partial last window is dropped.
    """
    window = _positive(window, "window")
    n = _neurons(n)
    t, i = _spikes(spike_t, spike_i)
    _indices(i, n)
    t_start, t_stop = _span(t_start, t_stop)
    windows = _tiles(window, "window", t_start, t_stop)
    k = _window_index(t, t_start, window)
    keep = (t >= t_start) & (k < windows)
    counts = np.zeros((n, windows), dtype=np.int64)
    np.add.at(counts, (i[keep], k[keep]), 1)
    return counts


def fano_factor(
    spike_t: np.ndarray, spike_i: np.ndarray, n: int, window: float, t_start: float, t_stop: float
) -> float:
    """Fano factor ``var(count) / mean(count)`` of spike counts in windows of ``window`` (s).

    Counts of all neurons and windows are pooled (variance with ddof 1).
    1 for a Poisson process, 0 for a regular train whose period divides the
    window; NaN when there are no spikes.
    """
    counts = window_counts(spike_t, spike_i, n, window, t_start, t_stop).ravel()
    mean = counts.mean()
    if mean == 0 or counts.size < 2:
        return float("nan")
    return float(counts.var(ddof=1) / mean)


def binary_raster(spike_steps: np.ndarray, spike_i: np.ndarray, n: int, steps: int) -> np.ndarray:
    """Spikes as a boolean image ``[n, steps]``: True where neuron ``j`` spiked at step ``k``.

    ``spike_steps``: each spike's time step, a whole number in ``0 .. steps - 1`` (``round(t / dt)`` of a spike
    time ``t``); ``spike_i``: its neuron, in ``0 .. n - 1``."""
    n = _neurons(n)
    steps = parse_int(steps, "steps", low=1, expected="a whole number of time steps >= 1")
    k = np.asarray(spike_steps).ravel()
    if k.size and k.dtype.kind == "f":
        if not np.isfinite(k).all() or (k != np.rint(k)).any():
            bad = k[~np.isfinite(k) | (k != np.rint(k))][0]
            raise ValueError(f"spike_steps: expected whole time steps (round(t / dt)), got {float(bad)!r}")
    elif k.size and k.dtype.kind not in "iub":
        raise TypeError(f"spike_steps: expected an array of whole time steps, got {k.dtype} values")
    k = k.astype(np.int64)
    i = _indices(spike_i, n)
    if k.shape != i.shape:
        raise ValueError(f"spike_steps and spike_i: need the same length, got {k.size} and {i.size}")
    if k.size and (k.min() < 0 or k.max() >= steps):
        bad = k.min() if k.min() < 0 else k.max()
        raise ValueError(f"spike_steps: step {bad} is outside the {steps} steps 0 .. {steps - 1}")
    image = np.zeros((n, steps), dtype=bool)
    image[i, k] = True
    return image


def voltage_histogram(v: np.ndarray, bins: int | np.ndarray = 50, range: tuple[float, float] | None = None):  # noqa: A002
    """Probability density of the potentials ``v`` (V) at one time: ``(density (1/V), edges (V))``."""
    values = np.asarray(v, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("v: no values to histogram")
    if not np.isfinite(values).all():
        raise ValueError("v: expected finite potentials in V, got NaN or infinity")
    bins_accepted = "a whole number of bins >= 1, or an increasing array of edges (V)"
    if np.ndim(bins) == 0:
        bins = parse_int(bins, "bins", low=1, expected=bins_accepted)
    else:
        edges_in = np.asarray(bins, dtype=np.float64)
        if edges_in.ndim != 1 or edges_in.size < 2 or not (np.diff(edges_in) > 0).all():
            raise ValueError(f"bins: expected {bins_accepted}")
    span = None
    if range is not None:
        accepted = "(low, high) potentials in V or with a unit, low < high"
        if isinstance(range, (str, bytes)) or np.ndim(range) != 1 or len(range) != 2:
            raise ValueError(f"range: expected {accepted}, got {range!r}")
        lo, hi = (to_si(value, "voltage", "range") for value in range)
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ValueError(f"range: expected {accepted}, got {range!r}")
        span = (lo, hi)
    density, edges = np.histogram(values, bins=bins, range=span, density=True)
    return density, edges
