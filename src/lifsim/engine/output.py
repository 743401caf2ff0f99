"""What an engine hands back: raw statistics, traces and spikes of one run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..reduce import Moments

__all__ = ["RunOutput"]


@dataclass
class RunOutput:
    """Raw output of an engine run (SI units: V, V**2, step indices).

    Attributes
    ----------
    moments : Moments
        Per-step ensemble mean (V) and sum of squared deviations (V**2).
    lags : tuple of int
        Lags (steps) of ``comoment``.
    comoment : ndarray, shape (len(lags), steps)
        ``sum_n (v_n[k-l] - mean[k-l]) (v_n[k] - mean[k])`` (V**2), NaN for ``k < l``.
    trace : ndarray or None, shape (recorded neurons, steps)
        Recorded membrane potentials (V).
    spike_step, spike_i : ndarray or None
        Step index and neuron index of every spike, in time order.
    spike_count : ndarray, shape (n,)
        Spikes per neuron.
    snapshots : ndarray, shape (len(snapshot_steps), n)
        V (V) of every neuron at the requested steps.
    """

    moments: Moments
    lags: tuple[int, ...]
    comoment: np.ndarray
    trace: np.ndarray | None
    spike_step: np.ndarray | None
    spike_i: np.ndarray | None
    spike_count: np.ndarray
    snapshots: np.ndarray
