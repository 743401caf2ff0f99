"""The ordering of :class:`lifsim.engine.spike_list.SpikeList`, compiled: a chunk's spike pieces into
(step, neuron) order in one ordered pass."""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split
import numpy as np
from numba import njit

__all__ = ["scatter"]


@njit(cache=True, error_model="numpy")
def scatter(k, j, lengths, j0s, k0, width, out_k, out_j, start):  # type: ignore[no-untyped-def]
    """The pieces ``k``, ``j`` in (step, neuron) order into ``out_k``, ``out_j`` from ``start``.

    ``k``, ``j`` are the pieces concatenated: piece ``p`` is ``lengths[p]`` spikes of neurons
    ``j0s[p] + j``, in time order, and the pieces come in neuron order.  Step by step, each
    piece's run of spikes at that step is copied in piece order: the output is written in
    order and every piece is read in order (a merge with one cursor per piece).
    """
    pieces = lengths.shape[0]
    cursor = np.zeros(pieces, np.int64)
    end = np.zeros(pieces, np.int64)
    total = 0
    for p in range(pieces):
        cursor[p] = total
        total += lengths[p]
        end[p] = total
    at = start
    for step in range(k0, k0 + width):
        for p in range(pieces):
            s = cursor[p]
            e = end[p]
            j0 = j0s[p]
            while s < e and k[s] == step:
                out_k[at] = step
                out_j[at] = j0 + j[s]
                at += 1
                s += 1
            cursor[p] = s
