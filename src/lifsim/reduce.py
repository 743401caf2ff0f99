"""Streaming, mergeable ensemble statistics.

The engine hands each time step's membrane potentials ``v[k]`` (one value per
neuron) to an :class:`EnsembleReducer`, which keeps, per step, the sample mean
and the sum of squared deviations ``M2[k] = sum_n (v_n[k] - mean[k])**2``, and,
for chosen lags ``l``, the co-moment ``sum_n (v_n[k-l] - mean[k-l]) (v_n[k] - mean[k])``.
From these the variance with any ``ddof`` and the sample autocovariance
``C(t_{k-l}, t_k)`` of the tutorial's section 5 follow, without keeping the
``[n, steps]`` traces.  Memory: ``O(steps * (1 + len(lags)))`` for the
statistics plus ``O(n * (max lag + 1))`` for the lag buffer.

:func:`merge_moments` combines the statistics of two disjoint neuron blocks
exactly (Chan, Golub and LeVeque 1979), which is what lets blocks be simulated
separately (threads, processes, machines) and merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments", "merge_moments", "EnsembleReducer", "variance_from_m2"]


@dataclass
class Moments:
    """Statistics of ``count`` samples: ``mean`` and ``m2`` (sum of squared deviations).

    Arrays may have any shape (one entry per time step, say); units are those
    of the samples (``m2`` in their square).
    """

    count: int
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, samples: np.ndarray, axis: int = 0) -> Moments:
        """Moments of ``samples`` along ``axis`` (two-pass, numerically stable)."""
        samples = np.asarray(samples, dtype=np.float64)
        mean = samples.mean(axis=axis)
        dev = samples - np.expand_dims(mean, axis)
        return cls(samples.shape[axis], mean, np.sum(dev * dev, axis=axis))

    def variance(self, ddof: int = 1) -> np.ndarray:
        """Sample variance ``m2 / (count - ddof)``; NaN where ``count <= ddof``."""
        return variance_from_m2(self.m2, self.count, ddof)


def variance_from_m2(m2: np.ndarray, count: int, ddof: int) -> np.ndarray:
    """``m2 / (count - ddof)``, NaN (without a warning) when ``count - ddof <= 0``."""
    if ddof < 0:
        raise ValueError(f"ddof: must be >= 0, got {ddof}")
    m2 = np.asarray(m2, dtype=np.float64)
    if count - ddof <= 0:
        return np.full_like(m2, np.nan)
    return m2 / (count - ddof)


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Exact merge of the moments of two disjoint sample sets (Chan et al. 1979).

    ``mean = mean_a + delta * n_b / n`` and
    ``m2 = m2_a + m2_b + delta**2 * n_a * n_b / n`` with ``delta = mean_b - mean_a``.
    """
    if a.count == 0:
        return b
    if b.count == 0:
        return a
    count = a.count + b.count
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.count / count)
    m2 = a.m2 + b.m2 + delta * delta * (a.count * b.count / count)
    return Moments(count, mean, m2)


class EnsembleReducer:
    """Per-step ensemble statistics of ``n`` neurons over ``steps`` time points.

    Parameters
    ----------
    n : int
        Number of neurons.
    steps : int
        Number of time points.
    lags : sequence of int
        Lags (in steps, >= 0) at which to accumulate the autocovariance
        ``C(t_{k-l}, t_k)``.
    """

    def __init__(self, n: int, steps: int, lags: tuple[int, ...] = ()) -> None:
        self.n = n
        self.steps = steps
        self.lags = tuple(int(lag) for lag in lags)
        for lag in self.lags:
            if lag < 0 or lag >= steps:
                raise ValueError(f"lags: each lag must be in 0 .. {steps - 1} steps, got {lag}")
        self.mean = np.full(steps, np.nan)
        self.m2 = np.full(steps, np.nan)
        self.comoment = np.full((len(self.lags), steps), np.nan)
        depth = max(self.lags, default=0) + 1
        self._ring = np.zeros((depth, n)) if self.lags else None

    def observe(self, k: int, v: np.ndarray) -> None:
        """Record the potentials ``v`` (V, shape ``(n,)``) at step ``k``."""
        # shift by one sample: exact for identical values (v[0] = V0 for all
        # neurons) and better conditioned when the spread is small
        shift = v[0]
        shifted = v - shift
        offset = shifted.mean()
        dev = shifted - offset
        self.mean[k] = shift + offset
        self.m2[k] = dev @ dev
        if self._ring is not None:
            depth = self._ring.shape[0]
            self._ring[k % depth] = dev
            for row, lag in enumerate(self.lags):
                if k >= lag:
                    self.comoment[row, k] = self._ring[(k - lag) % depth] @ dev

    def moments(self) -> Moments:
        """The per-step :class:`Moments` (V and V**2)."""
        return Moments(self.n, self.mean, self.m2)
