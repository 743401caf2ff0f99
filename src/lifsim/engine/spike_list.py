"""A run's spike list, built chunk by chunk in (step, neuron) order with little more memory than the list itself.

The CPU kernels write each block's spikes, in time order, as ``int32`` pairs
(time point, neuron within the block) into per-call buffers.  After every
chunk of time the host hands the chunk's pieces, in block order, to
:meth:`SpikeList.add`, which puts them in (step, neuron) order with a counting
sort on the step (O(spikes), stable, so neurons stay in order within a step)
and appends them to two ``int64`` arrays (step, neuron).  Those arrays grow in
place (``ndarray.resize``: the C library's ``realloc``, which moves large
blocks by remapping pages, not by copying them), so the peak memory of a run
that records ``S`` spikes is the list's own ``16 S`` bytes plus one chunk's
pieces, not several copies of the list.
:func:`lifsim.engine.output.steps_to_times` then turns the step array into
spike times (s) in place.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SpikeList", "PIECE_DTYPE", "CHUNK_SPIKES", "CHUNK_CELLS"]

#: the kernels' per-call spike buffers: time point and neuron within the block
PIECE_DTYPE = np.int32
#: spikes in one chunk's pieces the host aims at (the chunk in time is cut to fit): 32 MB of pieces
CHUNK_SPIKES = 4_000_000
#: most (piece, step) cells of the ordering's table in one chunk (32 MB; the chunk in time is cut to fit)
CHUNK_CELLS = 4_000_000


class SpikeList:
    """Spikes of a range of neurons, appended chunk by chunk, kept in (step, neuron) order (int64 arrays)."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        from .numba_spikes import merge, scatter  # imported before the run, not in its middle (numba only here)

        self._scatter, self._merge = scatter, merge
        self.size = 0
        self._k = np.empty(max(int(capacity), 1), dtype=np.int64)
        self._j = np.empty(max(int(capacity), 1), dtype=np.int64)

    def _reserve(self, size: int) -> None:
        if size <= self._k.size:
            return
        new = size + size // 16  # resize zero-fills (touches) what it adds: keep the overshoot small
        self._k.resize(new, refcheck=False)
        self._j.resize(new, refcheck=False)

    def add(self, k_parts: list[np.ndarray], j_parts: list[np.ndarray], j0s: list[int], k0: int, k1: int) -> None:
        """Append one chunk's pieces (time points ``k0 .. k1 - 1``): piece ``p`` holds spikes of neurons
        ``j0s[p] + j_parts[p]`` in time order, and the pieces come in neuron order."""
        total = sum(int(k.size) for k in k_parts)
        if total == 0:
            return
        self._reserve(self.size + total)
        lengths = np.array([k.size for k in k_parts], dtype=np.int64)
        k_all, j_all = np.concatenate(k_parts), np.concatenate(j_parts)
        order = self._scatter if len(k_parts) * (k1 - k0) <= CHUNK_CELLS else self._merge
        order(k_all, j_all, lengths, np.asarray(j0s, dtype=np.int64), k0, k1 - k0, self._k, self._j, self.size)
        self.size += total

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The (step, neuron) arrays, trimmed in place to the spikes held (the list gives them up)."""
        self._k.resize(self.size, refcheck=False)
        self._j.resize(self.size, refcheck=False)
        k, j = self._k, self._j
        self._k = self._j = np.empty(0, dtype=np.int64)
        self.size = 0
        return k, j
