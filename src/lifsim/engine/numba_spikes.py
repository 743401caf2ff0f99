"""The ordering of :class:`lifsim.engine.spike_list.SpikeList`, compiled and parallel: a chunk's spike pieces into
(step, neuron) order."""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split
import numpy as np
from numba import njit, prange

__all__ = ["scatter", "merge", "times_in_place"]


@njit(parallel=True, cache=True, error_model="numpy")
def scatter(k, j, lengths, j0s, k0, width, out_k, out_j, start):  # type: ignore[no-untyped-def]
    """The pieces ``k``, ``j`` in (step, neuron) order into ``out_k``, ``out_j`` from ``start``.

    ``k``, ``j`` hold a piece per row: piece ``p`` is the first ``lengths[p]`` entries of row ``p``,
    spikes of neurons ``j0s[p] + j[p]``, in time order, and the pieces come in neuron order.  A counting
    sort on the step, written step by step: ``first[p, c]`` is where piece ``p``'s spikes of step
    ``k0 + c`` begin in its row (a prefix sum along the row), ``places[c]`` where step ``k0 + c``'s
    spikes begin in the output (a prefix sum over the steps' totals); then each step's spikes are
    gathered from the pieces in piece order and written one after the other.  Counting, the totals
    and the gathering are parallel (over pieces, steps and steps); the output is written in order,
    and a piece's row is read forward step after step, so both stay in cache.
    """
    pieces = lengths.shape[0]
    first = np.zeros((pieces, width + 1), np.int64)  # a row per piece: no false sharing while counting
    for p in prange(pieces):
        for s in range(lengths[p]):
            first[p, k[p, s] - k0 + 1] += 1
        for c in range(width):
            first[p, c + 1] += first[p, c]
    places = np.empty(width + 1, np.int64)
    for c in prange(width):
        total = 0
        for p in range(pieces):
            total += first[p, c + 1] - first[p, c]
        places[c + 1] = total
    places[0] = start
    for c in range(width):
        places[c + 1] += places[c]
    for c in prange(width):
        at = places[c]
        step = k0 + c
        for p in range(pieces):
            j0 = j0s[p]
            for s in range(first[p, c], first[p, c + 1]):
                out_k[at] = step
                out_j[at] = j0 + j[p, s]
                at += 1


@njit(cache=True, error_model="numpy")
def merge(k, j, lengths, j0s, k0, width, out_k, out_j, start):  # type: ignore[no-untyped-def]
    """:func:`scatter`'s result without its table (for chunks whose steps x pieces table would be large): step by
    step, each piece's run at that step in piece order, one cursor per piece; serial."""
    pieces = lengths.shape[0]
    cursor = np.zeros(pieces, np.int64)
    at = start
    for step in range(k0, k0 + width):
        for p in range(pieces):
            s = cursor[p]
            e = lengths[p]
            j0 = j0s[p]
            while s < e and k[p, s] == step:
                out_k[at] = step
                out_j[at] = j0 + j[p, s]
                at += 1
                s += 1
            cursor[p] = s


@njit(parallel=True, cache=True, error_model="numpy")
def times_in_place(steps, times, dt):  # type: ignore[no-untyped-def]
    """Each step ``k`` of the int64 array ``steps`` replaced by its time ``k dt`` (s) in ``times``, the same memory
    read as float64 (``steps.view(np.float64)``, passed in: writes through a view taken inside a parallel
    function did not reach the array):
    ``float(k) * dt``, numpy's ``steps * dt`` bit for bit; each element read before it is written; in parallel."""
    for i in prange(steps.shape[0]):
        times[i] = float(steps[i]) * dt
