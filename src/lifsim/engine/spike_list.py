"""A run's spike list, built chunk by chunk in (step, neuron) order with little more memory than the list itself.

The CPU kernels write each block's spikes, in time order, as ``int32`` pairs
(time point, neuron within the block) into one chunk's buffers (a row per
block).  After every chunk of time the host hands those rows, in block order,
to :meth:`SpikeList.add`, which puts them in (step, neuron) order with a
counting sort on the step (O(spikes), stable, so neurons stay in order within
a step) straight from the rows (no gathered copy) and appends them to two
``int64`` arrays (step, neuron).  Room for the whole run, at the rate seen so
far, is made once, in memory that is not touched until the ordering writes it
(in parallel); a list that outgrows it grows in place (``ndarray.resize``: the
C library's ``realloc``, which moves large blocks by remapping pages, not by
copying them).  So the peak memory of a run that records ``S`` spikes is the
list's own ``16 S`` bytes plus one chunk's buffers, not several copies of the
list.
:func:`steps_to_times` then turns the step array into spike times (s) in place.
"""

from __future__ import annotations

import sys

import numpy as np

from .pages import small_pages

__all__ = ["SpikeList", "steps_to_times", "PIECE_DTYPE", "CHUNK_SPIKES", "CHUNK_CELLS"]

#: the kernels' per-call spike buffers: time point and neuron within the block
PIECE_DTYPE = np.int32
#: spikes in one chunk's buffers the host aims at (the chunk in time is cut to fit): about 20 MB of buffers
CHUNK_SPIKES = 2_000_000
#: most (piece, step) cells of the ordering's table in one chunk (32 MB; the chunk in time is cut to fit)
CHUNK_CELLS = 4_000_000
#: fewest spikes for which the spike list's parallel kernels run (the ordering, :func:`.numba_spikes.scatter`, and
#: the conversion to times); fewer, or the pieces of one block, take their serial forms (the same results): a
#: parallel region costs more than it saves there, and on a busy machine waits milliseconds for the scheduler
PARALLEL_MIN_SPIKES = 1 << 16


class SpikeList:
    """Spikes of a range of neurons, appended chunk by chunk, kept in (step, neuron) order (int64 arrays)."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        from .numba_spikes import merge, scatter  # imported before the run, not in its middle (numba only here)

        self._scatter, self._merge = scatter, merge
        self.size = 0
        self._k = small_pages(np.empty(max(int(capacity), 1), dtype=np.int64))
        self._j = small_pages(np.empty(max(int(capacity), 1), dtype=np.int64))

    def _reserve(self, size: int, expect: int = 0) -> None:
        """Room for ``size`` spikes, and for ``expect`` (the run's expected total) where that is more.

        While the list is small against the room it needs, the room is new, untouched memory (``np.empty``:
        its pages cost nothing until the ordering writes them, in parallel) and the few spikes held are copied
        over; a long list grows in place instead (``resize``: no copy, but the added part is zero-filled)."""
        if size <= self._k.size:
            return
        new = max(size + size // 16, expect)  # resize zero-fills (touches) what it adds: keep the overshoot small
        if 4 * self.size <= new:
            for name in ("_k", "_j"):
                fresh = small_pages(np.empty(new, dtype=np.int64))  # see :mod:`.pages`: new memory every run
                fresh[: self.size] = getattr(self, name)[: self.size]
                setattr(self, name, fresh)
            return
        self._k.resize(new, refcheck=False)
        self._j.resize(new, refcheck=False)

    def add(
        self, k: np.ndarray, j: np.ndarray, lengths: np.ndarray, j0s: np.ndarray, k0: int, k1: int, expect: int = 0
    ) -> None:
        """Append one chunk (time points ``k0 .. k1 - 1``) from its spike buffers: row ``p`` of ``k``, ``j``
        holds ``lengths[p]`` spikes of neurons ``j0s[p] + j[p]`` in time order, and the rows come in neuron
        order.  ``expect``: the spikes the whole run is expected to hold (room is made for them at once)."""
        lengths = np.asarray(lengths, dtype=np.int64)
        total = int(lengths.sum())
        if total == 0:
            return
        self._reserve(self.size + total, int(expect))
        parallel = lengths.size > 1 and total >= PARALLEL_MIN_SPIKES and lengths.size * (k1 - k0) <= CHUNK_CELLS
        order = self._scatter if parallel else self._merge
        order(k, j, lengths, np.asarray(j0s, dtype=np.int64), k0, k1 - k0, self._k, self._j, self.size)
        self.size += total

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The (step, neuron) arrays, trimmed in place to the spikes held (the list gives them up)."""
        self._k.resize(self.size, refcheck=False)
        self._j.resize(self.size, refcheck=False)
        k, j = self._k, self._j
        self._k = self._j = np.empty(0, dtype=np.int64)
        self.size = 0
        return k, j


def steps_to_times(spike_step: np.ndarray, dt: float) -> np.ndarray:
    """``spike_step * dt`` (s) as float64, written over ``spike_step``'s memory when it is an int64 array of its
    own (no second copy of a long spike list); the same values as ``spike_step * dt`` (each step converted
    exactly, then one rounded product).  In a process whose CPU engine ordered the spikes (numba's
    :mod:`.numba_spikes` loaded) on all its threads; elsewhere (the CUDA engine, a Dask client, a machine
    without a working numba) by numpy, a block at a time, so the conversion never imports numba at the end
    of a finished run."""
    if spike_step.dtype != np.int64 or not spike_step.flags.c_contiguous or not spike_step.flags.writeable:
        return spike_step * dt
    times = spike_step.view(np.float64)
    compiled = sys.modules.get(f"{__package__}.numba_spikes")
    if compiled is not None and spike_step.size >= PARALLEL_MIN_SPIKES:  # a few: numpy's, without a parallel region
        compiled.times_in_place(spike_step.reshape(-1), times.reshape(-1), float(dt))
        return times
    flat_steps, flat_times = spike_step.reshape(-1), times.reshape(-1)
    block = 1 << 20
    for start in range(0, flat_steps.size, block):
        stop = min(flat_steps.size, start + block)
        flat_times[start:stop] = flat_steps[start:stop] * dt  # the block is read whole before it is written
    return times
