"""What an engine hands back: a range of blocks' :class:`RangeOutput`, merged by a runner into a :class:`RunOutput`.

Every engine has one entry, ``run_range(plan, first_block, end_block, *,
progress, trace_sink, chunk_steps) -> RangeOutput`` (see :mod:`lifsim.engine`);
runners (:mod:`lifsim.runners`) merge the ranges in block order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..reduce import Moments

if TYPE_CHECKING:
    from .plan import RunPlan

__all__ = ["RunOutput", "RangeOutput", "range_trace_rows", "time_ordered"]


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


@dataclass
class RangeOutput:
    """What a range of blocks ``first_block .. end_block - 1`` gives back (SI units; picklable).

    ``count``, ``mean`` (steps,), ``m2`` (steps,) and ``lag`` (L, steps) are the
    root of the range's canonical subtree at each step (``lag``: sums of
    ``(V[k-l] - shift)(V[k] - shift)``); ``spike_k``/``spike_j`` the range's
    spikes in (step, neuron) order; ``spike_count`` and ``snapshots`` its
    neurons' columns; ``trace`` the rows ``trace_rows`` of the run's traces
    (None when they went to a trace sink).
    """

    first_block: int
    end_block: int
    count: int
    mean: np.ndarray
    m2: np.ndarray
    lag: np.ndarray
    spike_k: np.ndarray | None
    spike_j: np.ndarray | None
    spike_count: np.ndarray
    snapshots: np.ndarray
    trace_rows: np.ndarray
    trace: np.ndarray | None


def range_trace_rows(plan: RunPlan, lo: int, hi: int) -> np.ndarray:
    """The trace rows (indices into ``plan.record``) of the recorded neurons in ``lo .. hi - 1``."""
    if plan.record is None:
        return np.zeros(0, dtype=np.int64)
    record = np.asarray(plan.record, dtype=np.int64)
    return np.flatnonzero((record >= lo) & (record < hi)).astype(np.int64)


def time_ordered(k_parts: list[np.ndarray], j_parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Spikes gathered block by block (each block's in time order) as one list in time order, neuron order
    within a step."""
    all_k = np.concatenate(k_parts) if k_parts else np.zeros(0, dtype=np.int64)
    all_j = np.concatenate(j_parts) if j_parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(all_k, kind="stable")
    return all_k[order], all_j[order]
