"""The ordering of :class:`lifsim.engine.spike_list.SpikeList`, compiled and parallel: a chunk's spike pieces into
(step, neuron) order."""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split
import numpy as np
from numba import njit, prange

__all__ = ["scatter", "merge"]


@njit(parallel=True, cache=True, error_model="numpy")
def scatter(k, j, lengths, j0s, k0, width, out_k, out_j, start):  # type: ignore[no-untyped-def]
    """The pieces ``k``, ``j`` in (step, neuron) order into ``out_k``, ``out_j`` from ``start``.

    ``k``, ``j`` hold a piece per row: piece ``p`` is the first ``lengths[p]`` entries of row ``p``,
    spikes of neurons ``j0s[p] + j[p]``, in time order, and the pieces come in neuron order.  Each piece's spikes at
    a step land after those of the same step in earlier pieces and of earlier steps: the place
    of piece ``p``'s run at step ``c`` is a prefix sum over (step, piece) of the runs' lengths.
    Counting the runs and copying them are parallel over the pieces (each writes its own
    places); only the prefix sum over steps x pieces is serial.
    """
    pieces = lengths.shape[0]
    runs = np.zeros((pieces, width), np.int64)  # spikes of piece p at step k0 + c (a row per piece: no false sharing)
    for p in prange(pieces):
        for s in range(lengths[p]):
            runs[p, k[p, s] - k0] += 1
    at = start
    for c in range(width):  # the runs' places, in (step, piece) order
        for p in range(pieces):
            size = runs[p, c]
            runs[p, c] = at
            at += size
    for p in prange(pieces):
        j0 = j0s[p]
        for s in range(lengths[p]):
            c = k[p, s] - k0
            place = runs[p, c]
            out_k[place] = k[p, s]
            out_j[place] = j0 + j[p, s]
            runs[p, c] = place + 1


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
