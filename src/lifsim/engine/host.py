"""The host loop the CPU engines share: a range of blocks through every chunk of time points.

The numpy and numba engines each define one kernel, ``advance(plan, drive,
schedule, state, out, first_block, n_blocks, k0, k1)``, which advances some of
the plan's blocks through the time points ``k0 .. k1 - 1`` (the state in
place, the results into ``out``).  :func:`run_range` is their common entry
(the engine protocol of :mod:`lifsim.engine`): it owns the range's state, cuts
time into chunks, hands the kernel at least :data:`BLOCKS_PER_CALL` blocks at a time (more in short chunks, up to
about :data:`CALL_BLOCK_STEPS` block-steps a call),
grows the spike buffers (a call whose block overflowed is run again from its
saved state; the counter stream makes the second run identical), gathers the
spikes chunk by chunk into one (step, neuron) list (:mod:`.spike_list`; when
spikes are recorded the chunks are cut so that one chunk's spikes stay small
beside the list), reduces the
blocks' statistics in the canonical tree (:mod:`lifsim.reduce`), and gives the
recorded traces to a sink chunk by chunk or keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from ..reduce import TreeStack, combine
from ..signals import raise_if_interrupted
from ..streams import LegacyStream
from .output import RangeOutput, range_trace_rows
from .pages import small_pages
from .plan import Drive, Outputs, RunPlan, Schedule, State
from .spike_list import CHUNK_CELLS, CHUNK_SPIKES, PIECE_DTYPE, SpikeList

__all__ = ["run_range", "Kernel", "BLOCKS_PER_CALL", "CALL_BLOCK_STEPS", "CHUNK_BUDGET"]

#: fewest blocks given to a kernel at a time (the numba engine runs them in parallel)
BLOCKS_PER_CALL = 32
#: block-steps a kernel call aims at: a short chunk (spikes recorded: a few hundred steps) gives each call more
#: blocks, a power of two of them or the whole range, so that the host's work between calls (while the threads
#: wait) is done a few times a chunk, not once per 32 blocks; a long chunk keeps 32 (a call's length bounds how long
#: Ctrl-C waits)
CALL_BLOCK_STEPS = 32 * 4096
#: bytes of per-block outputs a kernel call may return (the chunk in time is cut to fit)
CHUNK_BUDGET = 64 * 2**20

Progress = Callable[..., None]
TraceSink = Callable[[int, np.ndarray], None]


class Kernel(Protocol):
    """A CPU engine's kernel: advance blocks through time points ``k0 .. k1 - 1``."""

    def __call__(
        self,
        plan: RunPlan,
        drive: Drive,
        schedule: Schedule,
        state: State,
        out: Outputs,
        first_block: int,
        n_blocks: int,
        k0: int,
        k1: int,
    ) -> None: ...


def _save(state: State, lo: int, hi: int) -> tuple[np.ndarray, ...]:
    lo, hi = lo - state.base, hi - state.base
    return tuple(
        array[..., lo:hi].copy() if array.shape[-1] else array.copy()
        for array in (state.v, state.hold, state.spare, state.ring, state.counts)
    )


def _restore(state: State, lo: int, hi: int, saved: tuple[np.ndarray, ...]) -> None:
    lo, hi = lo - state.base, hi - state.base
    for array, copy in zip((state.v, state.hold, state.spare, state.ring, state.counts), saved):
        if array.shape[-1]:
            array[..., lo:hi] = copy


def _subtree_root(
    sizes: np.ndarray, mean: np.ndarray, m2: np.ndarray, lag: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The root of a power of two of blocks at an aligned place of the range's tree (their sizes and per-block
    rows): the canonical tree's merges level by level, each level's pairs in one vectorised :func:`combine`.

    The same merges, operand for operand, as pushing the blocks one by one onto the range's
    :class:`~lifsim.reduce.TreeStack` (a binary counter whose first merges are these pairs), so the same bits;
    one numpy call per level instead of a Python merge per block (a million neurons: 489 blocks per chunk).
    """
    counts = sizes.astype(np.int64)
    while counts.shape[0] > 1:
        counts, mean, m2 = combine(counts[0::2], mean[0::2], m2[0::2], counts[1::2], mean[1::2], m2[1::2])
        lag = lag[0::2] + lag[1::2]
    return int(counts[0]), mean[0], m2[0], lag[0]


def _push_call(stack: TreeStack, offset: int, sizes: np.ndarray, out: Outputs) -> None:
    """Push one call's blocks (the range's blocks ``offset ..``) onto ``stack`` as the powers of two of ``calls``
    (its binary digits), largest first (each run's root by :func:`_subtree_root`).  ``offset`` is a multiple of
    a power of two at least ``calls`` (:meth:`_Range.blocks_per_call`), so each run of ``2**h`` blocks starts at a
    multiple of ``2**h`` and the stack ends as pushing the blocks one by one would leave it."""
    done, calls = 0, sizes.shape[0]
    assert offset % (1 << (calls - 1).bit_length()) == 0, "a call starts at a multiple of its power of two"
    while done < calls:
        run = 1 << ((calls - done).bit_length() - 1)
        part = slice(done, done + run)
        root = _subtree_root(sizes[part], out.mean[part], out.m2[part], out.lag[part])
        stack.push(*root, height=run.bit_length() - 1)
        done += run


class _ChunkSpikes:
    """One chunk's spike buffers for every block of a range: row ``b`` holds block ``b``'s spikes (time point,
    neuron within the block) in time order, ``n[b]`` of them.  The kernel writes each call's rows in place and
    the spike list orders the rows straight from here (no gathered copy)."""

    def __init__(self, blocks: int, cap: int) -> None:
        self.cap = cap
        self.k = small_pages(np.empty((blocks, cap), dtype=PIECE_DTYPE))  # see :mod:`.pages`
        self.j = small_pages(np.empty((blocks, cap), dtype=PIECE_DTYPE))
        self.n = np.zeros(blocks, dtype=np.int64)

    def grow(self, cap: int, kept: int) -> None:
        """Room for ``cap`` spikes per block, keeping the first ``kept`` rows (the calls already done)."""
        for name in ("k", "j"):
            old = getattr(self, name)
            new = small_pages(np.empty((old.shape[0], cap), dtype=PIECE_DTYPE))
            new[:kept, : self.cap] = old[:kept]
            setattr(self, name, new)
        self.cap = cap


class _Range:
    """One range of blocks on the host: its state, sums, spikes and traces, filled chunk by chunk."""

    def __init__(self, plan: RunPlan, first_block: int, end_block: int, chunk_steps: int | None, keep: bool) -> None:
        self.plan, self.first_block, self.end_block = plan, first_block, end_block
        self.lo, hi = plan.neuron_range(first_block, end_block)
        self.size = hi - self.lo
        blocks = end_block - first_block
        self.legacy = isinstance(plan.stream, LegacyStream)
        self.per_call = blocks if self.legacy else min(BLOCKS_PER_CALL, blocks)  # legacy draws go in order
        n_lags, steps = len(plan.lags), plan.steps
        chunk = steps if chunk_steps is None else max(1, int(chunk_steps))
        self.fixed = chunk_steps is not None  #: the caller's chunk length, kept exactly
        self.block_column = 8 * (2 + n_lags)  #: bytes of a call's outputs per block and time point
        per_column = self.block_column * self.per_call + 8 * (0 if plan.record is None else plan.record.size)
        self.chunk = plan.drive_columns(max(1, min(chunk, CHUNK_BUDGET // max(per_column, 1))))
        self.state = plan.new_state(first_block, end_block)
        if 0 in plan.snapshot_steps:  # the snapshot at t = 0 is V0, written before any step
            self.state.snapshots[plan.snapshot_steps.index(0)] = self.state.v
        self.mean, self.m2, self.lag = np.empty(steps), np.empty(steps), np.zeros((n_lags, steps))
        self.record_spikes = plan.spiking and plan.record_spikes
        self.spikes = SpikeList() if self.record_spikes else None
        self.buffers: _ChunkSpikes | None = None  #: the chunks' spike buffers, kept from one chunk to the next
        self.rows = range_trace_rows(plan, self.lo, hi)
        self.trace = small_pages(np.empty((self.rows.size, steps))) if plan.record is not None and keep else None
        #: most spikes of one block in one step so far (a 100 Hz guess before the first call)
        self.block_rate = plan.block * 100.0 * plan.params.dt
        self.chunk_rate = 0.0  #: most spikes of one block in one step in this chunk
        self.count = self.size

    def width(self, k0: int) -> int:
        """Time points in the chunk from ``k0``: the caller's chunk length, or the budget's chunk cut so that a
        chunk's spikes stay near CHUNK_SPIKES when spikes are recorded (a short first chunk measures the rate)."""
        width = self.chunk
        if self.record_spikes and not self.legacy and not self.fixed:
            blocks = self.end_block - self.first_block
            per_step = max(self.block_rate * blocks, 1e-9)
            width = max(1, min(width, int(CHUNK_SPIKES / per_step), CHUNK_CELLS // blocks))
            if k0 == 0:
                width = min(width, 64)
        return width

    def blocks_per_call(self, width: int) -> int:
        """Blocks per kernel call in a chunk of ``width`` time points: :data:`BLOCKS_PER_CALL` doubled while a
        call stays within :data:`CALL_BLOCK_STEPS` block-steps and its outputs within :data:`CHUNK_BUDGET`, at
        most the range's blocks (legacy streams: always all of them, their draws go in order)."""
        per_call = self.per_call
        if not self.legacy:
            while (
                2 * per_call * width <= CALL_BLOCK_STEPS
                and 2 * per_call * width * self.block_column <= CHUNK_BUDGET
                and per_call < self.end_block - self.first_block
            ):
                per_call *= 2
        return min(per_call, self.end_block - self.first_block)

    def spike_buffers(self, blocks: int, cap: int) -> _ChunkSpikes:
        """The chunk's spike buffers: the last chunk's when they have room for ``cap`` spikes per block (memory
        already written once: new buffers every chunk had their pages zeroed again by the kernel's first
        writes), else new ones."""
        held = self.buffers
        if held is None or held.cap < cap or held.k.shape[0] != blocks:
            held = self.buffers = None  # the old buffers go before the new are made
            held = self.buffers = _ChunkSpikes(blocks, cap)
        return held

    def call(
        self, kernel: Kernel, first: int, calls: int, k0: int, k1: int, trace: np.ndarray, spikes: _ChunkSpikes
    ) -> Outputs:
        """``calls`` blocks from ``first`` through ``k0 .. k1 - 1``, run again with more room if spikes overflow."""
        plan, state = self.plan, self.state
        width = k1 - k0
        drive, schedule = plan.drive(k0, k1), plan.schedule(k0, k1)
        lo, hi = plan.neuron_range(first, first + calls)
        # the state before the call, for a rerun if a block's spikes overflow its buffer (recorded spikes only)
        saved = _save(state, lo, hi) if self.record_spikes and not self.legacy else None
        rows = slice(first - self.first_block, first - self.first_block + calls)
        while True:
            spikes.n[rows] = 0
            out = Outputs(
                mean=np.empty((calls, width)),
                m2=np.empty((calls, width)),
                lag=np.zeros((calls, len(plan.lags), width)),
                spike_k=spikes.k[rows],  # this call's rows of the chunk's buffers: no copy is ever gathered
                spike_j=spikes.j[rows],
                spike_n=spikes.n[rows],
                trace=trace,
            )
            kernel(plan, drive, schedule, state, out, first, calls, k0, k1)
            raise_if_interrupted()  # a signal kept while numba compiled (signals.install without a leave function)
            if not self.record_spikes or out.spike_n.max(initial=0) <= spikes.cap:
                break
            # a block fired more than its buffer holds: restore the blocks and run them again with
            # room for all (the counter stream makes the second run identical)
            assert saved is not None
            spikes.grow(int(out.spike_n.max() * 1.1) + 16, rows.start)
            _restore(state, lo, hi, saved)
        if self.record_spikes and not self.legacy:
            self.chunk_rate = max(self.chunk_rate, out.spike_n.max(initial=0) / width)
        return out

    def chunk_of_time(self, kernel: Kernel, k0: int, k1: int, progress: Progress | None) -> np.ndarray:
        """Every block through ``k0 .. k1 - 1``; returns the chunk's traces (all recorded rows)."""
        plan = self.plan
        width = k1 - k0
        trace = np.empty((0 if plan.record is None else plan.record.size, width))
        stack = TreeStack()
        blocks = self.end_block - self.first_block
        cap: float = 0
        if self.record_spikes:  # room for every neuron of the range (legacy: one call) or for the rate seen so far
            cap = self.size * width if self.legacy else min(plan.block * width, 1.25 * self.block_rate * width + 1024)
        spikes = self.spike_buffers(blocks, int(cap))
        per_call = self.blocks_per_call(width)
        for first in range(self.first_block, self.end_block, per_call):
            calls = min(per_call, self.end_block - first)
            out = self.call(kernel, first, calls, k0, k1, trace, spikes)
            sizes = (
                np.minimum(plan.n, np.arange(first + 1, first + calls + 1) * plan.block)
                - np.arange(first, first + calls) * plan.block
            )
            _push_call(stack, first - self.first_block, sizes, out)
            if progress is not None:
                _lo, hi = plan.neuron_range(first, first + calls)
                progress(k0 * self.size + (hi - self.lo) * width, neuron_steps=True)
        if self.spikes is not None:
            j0s = np.arange(self.first_block, self.end_block, dtype=np.int64) * plan.block
            found = int(spikes.n.sum())
            expect = self.spikes.size + found + found * (plan.steps - k1) // width  # the whole run at this rate
            self.spikes.add(spikes.k, spikes.j, spikes.n, j0s, k0, k1, expect=expect)
            # the next chunk's guess: this chunk's busiest block, or half the last guess if it was quieter
            self.block_rate = max(self.chunk_rate, self.block_rate * 0.5)
            self.chunk_rate = 0.0
        self.count, self.mean[k0:k1], self.m2[k0:k1], self.lag[:, k0:k1] = stack.root()
        return trace

    def output(self) -> RangeOutput:
        spike_k, spike_j = self.spikes.arrays() if self.spikes is not None else (None, None)
        return RangeOutput(
            first_block=self.first_block,
            end_block=self.end_block,
            count=int(self.count),
            mean=self.mean,
            m2=self.m2,
            lag=self.lag,
            spike_k=spike_k,
            spike_j=spike_j,
            spike_count=self.state.counts,
            snapshots=self.state.snapshots,
            trace_rows=self.rows,
            trace=self.trace,
        )


def run_range(
    plan: RunPlan,
    kernel: Kernel,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Progress | None = None,
    trace_sink: TraceSink | None = None,
    chunk_steps: int | None = None,
) -> RangeOutput:
    """Run blocks ``first_block .. end_block - 1`` of ``plan`` through every time point with ``kernel``.

    ``trace_sink(first_step, traces)`` receives the recorded traces chunk by
    chunk (then they are not kept); ``chunk_steps`` fixes the chunk length;
    ``progress(neuron_steps_done, neuron_steps=True)`` is called as it goes.
    """
    end_block = plan.n_blocks if end_block is None else end_block
    part = _Range(plan, first_block, end_block, chunk_steps, keep=trace_sink is None)
    k0 = 0
    while k0 < plan.steps:
        k1 = min(plan.steps, k0 + part.width(k0))
        trace = part.chunk_of_time(kernel, k0, k1, progress)
        if plan.record is not None:
            if trace_sink is not None:
                trace_sink(k0, trace)
            else:
                assert part.trace is not None
                part.trace[:, k0:k1] = trace[part.rows]
        k0 = k1
    return part.output()
