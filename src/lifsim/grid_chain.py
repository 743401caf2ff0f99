"""The stationary firing rate of the neuron *as simulated*: the Markov chain of V on the time grid.

With a constant mean current and noise drawn independently at each step, the
simulated membrane is a Markov chain: one update takes ``V`` to

    V' = c + b V + s xi,   xi ~ N(0, 1) (white noise) or U(-1, 1) (the tutorial's uniform noise),

with ``b = 1 - dt/tau`` and ``c = (dt/tau) mu`` for Euler, ``b = exp(-dt/tau)`` and ``c = (1 - b) mu`` for
the exact method (``mu = E_L + R I_mean``), and ``s`` the noise's size in V per step (white noise of
strength ``sigma``: ``sigma sqrt(dt/tau)`` for Euler, ``sigma sqrt((1 - b**2)/2)`` for the exact
Ornstein-Uhlenbeck transition; uniform noise ``I_mean A xi``: ``(dt/tau) R I_mean A`` or
``(1 - b) R I_mean A``).  The neuron fires at the first update that ends above ``V_th``, is held at
``V_reset`` for its refractory steps, and starts again from ``V_reset``: a renewal process whose mean
interval is ``(refractory steps + m(V_reset)) dt``, where ``m(v)``, the mean count of updates from ``v``
to the first one above threshold, solves

    m(v) = 1 + integral_{-inf}^{V_th} p(v' | v) m(v') dv'.

This module solves that equation numerically (product integration: ``m`` constant on cells, the kernel
integrated exactly over each cell, a banded linear system).  Gaussian noise: cells an eighth of ``s`` wide,
then a Richardson step against cells twice as wide (the error falls smoothly as the width squared).  Uniform
noise: its box kernel's edges give ``m`` kinks, and the error falls unevenly with the width (8 cells per ``s``:
55.78 Hz, 12: 55.73, 16: 55.722, 32: 55.725, 64: 55.7253 for the tutorial's noise at 250 pA, ``dt`` 0.1 ms,
``t_ref`` 2 ms), so no extrapolation holds: cells a 32nd of ``s`` (fewer where they would be too many), with
no Richardson step (relative error about 1e-5 above 1 Hz, 1e-3 at a fraction of a hertz).  The result is the
rate the simulation converges to at any ``dt``, with no continuous-time approximation: the Siegert rate with
the grid's threshold correction (:func:`lifsim.theory.siegert_rate`) is its limit for small ``dt/tau``, and is
off by per cent at the tutorial's ``dt = 1 ms`` (and alike for Euler and exact, which differ there).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["chain_updates", "chain_steps", "chain_density", "MAX_CELLS"]

#: cells per noise size ``s`` of the finer of the two grids of Gaussian noise (the coarser has half as many)
CELLS_PER_STEP_NOISE = 8
#: cells per noise size ``s`` of uniform noise, the finest first: the first whose chain fits (:data:`MAX_CELLS`)
UNIFORM_CELLS_PER_STEP_NOISE = (32, 16, 8)
#: most cells of the finer grid; a finer chain (very weak noise per step) is left to the Siegert rate
MAX_CELLS = 40_000
#: most entries of the banded system (40 MB); a wider band (a drift of hundreds of noise sizes a step) is left to
#: the Siegert rate
MAX_BAND = 5_000_000
#: most mean updates from the reset to a spike the chain reports (a rate below 1e-10 per step): beyond, its linear
#: system is singular in floating point and the rate (far below anything a run can count) is left to Siegert's
MAX_UPDATES = 1e10
#: the lowest cell lies this many stationary standard deviations below the lower of ``V_reset`` and ``mu``
DEPTH = 12.0
#: a Gaussian kernel is cut this many ``s`` from its centre (its tail beyond is below 1e-17)
REACH = 8.5


def _kernel_cdf(z: np.ndarray, shape: str) -> np.ndarray:
    """The noise's cumulative distribution at ``z`` (in units of ``s``)."""
    if shape == "normal":
        from scipy.special import ndtr

        return ndtr(z)
    return np.clip((z + 1.0) / 2.0, 0.0, 1.0)


@dataclass
class _Chain:
    """The chain on cells of width ``width``: the reset is cell ``below``'s centre, the threshold the top edge; the
    system ``identity - kernel`` as ``scipy.linalg.solve_banded`` takes it (``A[i, j]`` at ``band[upper + i - j,
    j]``: row ``i`` is where cell ``i``'s update lands), with ``lower``/``upper`` bands."""

    width: float
    below: int
    cells: int
    lower: int
    upper: int
    band: np.ndarray

    def solve(self, right: np.ndarray, transposed: bool = False) -> np.ndarray:
        """``x`` with ``A x = right`` (or ``A^T x = right``: the forward equation of the cells' masses)."""
        from scipy.linalg import solve_banded

        if not transposed:
            return np.asarray(solve_banded((self.lower, self.upper), self.band, right, check_finite=False))
        flipped = np.zeros_like(self.band)  # A^T[j, i] = A[i, j] sits at flipped[lower + j - i, i]
        cols = np.arange(self.cells)
        for row in range(self.lower + self.upper + 1):
            offset = self.upper - row  # this row holds A[i, j] with j = i + offset, in column j
            i = cols - offset
            ok = (i >= 0) & (i < self.cells)
            flipped[self.lower + offset, i[ok]] = self.band[row, cols[ok]]
        return np.asarray(solve_banded((self.upper, self.lower), flipped, right, check_finite=False))


def _chain(b: float, c: float, s: float, shape: str, vr: float, vth: float, low: float, per: float) -> _Chain | None:
    """The chain on cells of about ``s / per`` (None past :data:`MAX_CELLS` or :data:`MAX_BAND`)."""
    above = max(1, math.ceil((vth - vr) * per / s - 0.5))
    width = (vth - vr) / (above + 0.5)
    below = max(1, math.ceil((vr - low) / width - 0.5))
    cells = below + above + 1
    if cells > MAX_CELLS:
        return None
    centres = vr + (np.arange(cells) - below) * width
    # where each cell's update lands, in cells from itself, and the kernel's reach in cells
    drift = (c + (b - 1.0) * centres) / width
    reach = (REACH if shape == "normal" else 1.0) * s / width + 1.0
    # the band below and above the diagonal, no wider than the cells (a strong drive lands far above: the top)
    lower = min(cells - 1, int(max(0, math.ceil(np.max(reach - drift)))))
    upper = min(cells - 1, int(max(0, math.ceil(np.max(drift + reach)))))
    if (lower + upper + 1) * cells > MAX_BAND:  # weak noise and a drift of many noise sizes a step
        return None
    band = np.zeros((lower + upper + 1, cells))
    rows = np.arange(cells)
    landing = c + b * centres
    for offset in range(-lower, upper + 1):
        cols = rows + offset
        ok = (cols >= 0) & (cols < cells)
        i, j = rows[ok], cols[ok]
        left = vr + (j - below - 0.5) * width
        right = left + width
        p = _kernel_cdf((right - landing[i]) / s, shape) - _kernel_cdf((left - landing[i]) / s, shape)
        band[upper - offset, j] = (1.0 if offset == 0 else 0.0) - p  # A = identity - kernel, row i, column j
    return _Chain(width, below, cells, lower, upper, band)


def _mean_updates(
    b: float, c: float, s: float, shape: str, vr: float, vth: float, low: float, per: float
) -> tuple[float, float] | None:
    """``m(V_reset)`` on cells of about ``s / per`` (the reset is a cell's centre and the threshold an edge), and
    the cells' width (V); None where the chain has no such cells, or ``m`` is past :data:`MAX_UPDATES` (the
    system ``I - K`` is then singular in floating point: the rate is far below anything a run can count)."""
    chain = _chain(b, c, s, shape, vr, vth, low, per)
    if chain is None:
        return None
    m = float(chain.solve(np.ones(chain.cells))[chain.below])
    if not 1.0 <= m <= MAX_UPDATES:
        return None
    return m, chain.width


def _lowest(vr: float, mu: float, spread: float, s: float) -> float:
    """The lowest cell's edge (V): DEPTH stationary standard deviations below the lower of the reset and ``mu``."""
    return min(vr, mu) - DEPTH * spread - 2.0 * s


@functools.lru_cache(maxsize=64)  # a sweep's point asks twice: for its rate and for its stationary V
def chain_steps(b: float, c: float, s: float, shape: str, vr: float, vth: float, spread: float) -> float | None:
    """Mean count of updates from ``vr`` to the first one above ``vth`` (V) for ``V' = c + b V + s xi``.

    ``shape``: ``"normal"`` or ``"uniform"`` (``xi ~ U(-1, 1)``); ``spread``: the chain's stationary standard
    deviation (V), which sets how far below the cells reach.  None when the cells needed would be more than
    :data:`MAX_CELLS` (noise too weak for its step), or ``s`` is not a positive number.
    """
    if not (s > 0 and math.isfinite(s)):
        return None
    low = _lowest(vr, c / (1.0 - b), spread, s)
    if shape == "uniform":  # no extrapolation (module docstring): the finest cells that fit
        for per in UNIFORM_CELLS_PER_STEP_NOISE:
            found = _mean_updates(b, c, s, shape, vr, vth, low, per)
            if found is not None:
                return found[0]
        return None
    fine = _mean_updates(b, c, s, shape, vr, vth, low, CELLS_PER_STEP_NOISE)
    coarse = _mean_updates(b, c, s, shape, vr, vth, low, CELLS_PER_STEP_NOISE / 2)
    if fine is None or coarse is None:
        return None
    if coarse[1] == fine[1]:  # noise wider than V_th - V_reset: both grids are the one cell above the reset,
        return fine[0]  # already finer than either target width (no second grid to extrapolate from)
    ratio = coarse[1] / fine[1]  # about 2 (each grid's cell count is rounded to fit the reset and threshold)
    return fine[0] + (fine[0] - coarse[0]) / (ratio * ratio - 1.0)  # the error falls as the width squared


def _update(dt: float, tau: float, mu: float, s: float, shape: str, method: str) -> tuple[float, float, float]:
    """The update ``V' = c + b V + s xi`` of ``method`` for the mean drive ``mu`` (V): ``(b, c, spread)``, with the
    chain's stationary standard deviation (V), which sets how far below the cells reach."""
    h = dt / tau
    b = 1.0 - h if method == "euler" else math.exp(-h)
    spread = s / math.sqrt(max(1.0 - b * b, 1e-300)) * (1.0 if shape == "normal" else 1.0 / math.sqrt(3.0))
    return b, (1.0 - b) * mu, spread


def chain_updates(
    dt: float, tau: float, mu: float, vr: float, vth: float, s: float, shape: str, method: str
) -> float | None:
    """``m(V_reset)`` of the chain (module docstring): the mean count of updates from ``V_reset`` to the first one
    above ``V_th``, for the mean drive ``mu`` (V), the noise of size ``s`` (V per step) of ``shape``, and the
    ``method`` (``"euler"`` or ``"exact"``); the rate is ``1 / ((refractory steps + m) dt)``.  None where
    :func:`chain_steps` gives none."""
    b, c, spread = _update(dt, tau, mu, s, shape, method)
    return chain_steps(b, c, s, shape, vr, vth, spread)


def chain_density(
    dt: float, tau: float, mu: float, vr: float, vth: float, s: float, shape: str, method: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """The stationary distribution of V among the neurons that are not held at ``V_reset``, per unit firing rate:
    ``(edges, visits)``, the cells' edges (V) and the mean count of updates a neuron spends in each cell between
    leaving ``V_reset`` and its next spike (their sum is ``m(V_reset) - 1``).

    The forward equation of the chain (module docstring) with the neurons that leave ``V_reset`` each step as its
    source: ``visits = (I - K^T)^{-1} K(V_reset, .)``.  A population firing ``r`` spikes per neuron per step holds
    ``r visits`` in the cells and ``r (1 + refractory steps)`` at ``V_reset`` itself (the neurons just reset and
    those held), so that ``r = 1 / (m + refractory steps)``.  None where :func:`chain_steps` gives none.
    """
    if not (s > 0 and math.isfinite(s)):
        return None
    b, c, spread = _update(dt, tau, mu, s, shape, method)
    low = _lowest(vr, mu, spread, s)
    pers = UNIFORM_CELLS_PER_STEP_NOISE if shape == "uniform" else (CELLS_PER_STEP_NOISE,)
    chain = next((found for per in pers if (found := _chain(b, c, s, shape, vr, vth, low, per)) is not None), None)
    if chain is None:
        return None
    # K(V_reset, j) = (1 if j is the reset's cell) - A[below, j], A[i, j] at band[upper + i - j, j]
    start = np.zeros(chain.cells)
    for offset in range(-chain.lower, chain.upper + 1):
        j = chain.below + offset
        if 0 <= j < chain.cells:
            start[j] = (1.0 if offset == 0 else 0.0) - chain.band[chain.upper - offset, j]
    visits = chain.solve(start, transposed=True)
    steps = chain_steps(b, c, s, shape, vr, vth, spread)  # the cells' total, as the rate's (Richardson: Gaussian)
    if steps is None or not visits.sum() > 0:
        return None
    visits *= (steps - 1.0) / visits.sum()
    edges = vr + (np.arange(chain.cells + 1) - chain.below - 0.5) * chain.width
    return edges, visits
