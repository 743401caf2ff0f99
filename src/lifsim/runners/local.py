"""The local runner: a run in this process, its blocks on this machine's cores.

A run is cut into ranges of whole blocks.  :func:`run_blocks` runs one range
through every time chunk and returns a :class:`RangeOutput` (the root of the
range's canonical subtree per step, its spikes, counts, snapshots and the
traces of its recorded neurons); :func:`merge_ranges` merges ranges, given in
block order, into the run's :class:`~lifsim.engine.output.RunOutput`.  The
local runner is one range of all blocks; the Dask runner gives ranges of
``2**t`` aligned blocks to workers and merges them the same way, so the bits
are the same (the contract in :mod:`lifsim.streams`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.output import RunOutput
from ..engine.plan import Outputs, RunPlan, State
from ..reduce import Moments, TreeStack
from ..signals import raise_if_interrupted
from ..streams import LegacyStream

__all__ = ["run_local", "run_blocks", "merge_ranges", "RangeOutput", "BLOCKS_PER_CALL", "CHUNK_BUDGET"]

#: blocks given to an engine at a time (the numba engine runs them in parallel)
BLOCKS_PER_CALL = 32
#: bytes of per-block outputs an engine call may return (the chunk in time is cut to fit)
CHUNK_BUDGET = 64 * 2**20


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


def range_trace_rows(plan: RunPlan, lo: int, hi: int) -> np.ndarray:
    """The trace rows (indices into ``plan.record``) of the recorded neurons in ``lo .. hi - 1``."""
    if plan.record is None:
        return np.zeros(0, dtype=np.int64)
    record = np.asarray(plan.record, dtype=np.int64)
    return np.flatnonzero((record >= lo) & (record < hi)).astype(np.int64)


def run_blocks(
    plan: RunPlan,
    engine: Any,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RangeOutput:
    """Run blocks ``first_block .. end_block - 1`` of ``plan`` on ``engine`` through every time point.

    ``trace_sink(first_step, traces)`` receives the recorded traces chunk by
    chunk (then they are not kept); ``chunk_steps`` fixes the chunk length;
    ``progress(neuron_steps_done, neuron_steps=True)`` is called as it goes.
    """
    end_block = plan.n_blocks if end_block is None else end_block
    own = getattr(engine, "run_range", None)
    if own is not None:  # an engine that keeps the state itself (the GPU's device memory)
        return own(plan, first_block, end_block, progress=progress, trace_sink=trace_sink, chunk_steps=chunk_steps)  # type: ignore[no-any-return]
    steps = plan.steps
    lo_range, hi_range = plan.neuron_range(first_block, end_block)
    size = hi_range - lo_range
    blocks = end_block - first_block
    legacy = isinstance(plan.stream, LegacyStream)
    per_call = blocks if legacy else min(BLOCKS_PER_CALL, blocks)  # legacy draws go in order
    n_lags = len(plan.lags)
    chunk = steps if chunk_steps is None else max(1, int(chunk_steps))
    per_column = 8 * per_call * (2 + n_lags) + 8 * (0 if plan.record is None else plan.record.size)
    chunk = max(1, min(chunk, CHUNK_BUDGET // max(per_column, 1)))
    state = plan.new_state(first_block, end_block)
    if 0 in plan.snapshot_steps:  # the snapshot at t = 0 is V0, written before any step
        state.snapshots[plan.snapshot_steps.index(0)] = state.v
    mean_total = np.empty(steps)
    m2_total = np.empty(steps)
    lag_total = np.zeros((n_lags, steps))
    spike_k_parts: list[np.ndarray] = []
    spike_j_parts: list[np.ndarray] = []
    rows = range_trace_rows(plan, lo_range, hi_range)
    keep_trace = plan.record is not None and trace_sink is None
    full_trace = np.empty((rows.size, steps)) if keep_trace else None
    record_spikes = plan.spiking and plan.record_spikes
    cap = 0
    if record_spikes:
        cap = (
            size * chunk if legacy else int(min(plan.block * chunk, 1024 + plan.block * 100.0 * chunk * plan.params.dt))
        )
    count = size
    for k0 in range(0, steps, chunk):
        k1 = min(steps, k0 + chunk)
        width = k1 - k0
        drive = plan.drive(k0, k1)
        schedule = plan.schedule(k0, k1)
        trace = np.empty((0 if plan.record is None else plan.record.size, width))
        stack = TreeStack()
        for first in range(first_block, end_block, per_call):
            calls = min(per_call, end_block - first)
            lo, hi = plan.neuron_range(first, first + calls)
            saved = None if legacy else _save(state, lo, hi)
            while True:
                out = Outputs(
                    mean=np.empty((calls, width)),
                    m2=np.empty((calls, width)),
                    lag=np.zeros((calls, n_lags, width)),
                    spike_k=np.empty((calls, cap), dtype=np.int64),
                    spike_j=np.empty((calls, cap), dtype=np.int64),
                    spike_n=np.zeros(calls, dtype=np.int64),
                    trace=trace,
                )
                engine.advance(plan, drive, schedule, state, out, first, calls, k0, k1)
                raise_if_interrupted()  # a signal that arrived while numba compiled (it could not raise then)
                if not record_spikes or out.spike_n.max(initial=0) <= cap:
                    break
                # a block fired more than its buffer holds: restore the blocks and run them again with
                # room for all (the counter stream makes the second run identical)
                assert saved is not None
                cap = int(out.spike_n.max() * 1.1) + 16
                _restore(state, lo, hi, saved)
            if record_spikes and not legacy:
                cap = int(min(plan.block * chunk, 1.25 * out.spike_n.max(initial=0) + 1024))
            for g in range(calls):
                m = min(plan.n, (first + g + 1) * plan.block) - (first + g) * plan.block
                stack.push(m, out.mean[g], out.m2[g], out.lag[g])
                if record_spikes:
                    spikes = int(out.spike_n[g])
                    spike_k_parts.append(out.spike_k[g, :spikes].copy())
                    spike_j_parts.append(out.spike_j[g, :spikes].copy())
            if progress is not None:
                progress(k0 * size + (hi - lo_range) * width, neuron_steps=True)
        count, mean_total[k0:k1], m2_total[k0:k1], lag_total[:, k0:k1] = stack.root()
        if plan.record is not None:
            if trace_sink is not None:
                trace_sink(k0, trace)
            else:
                assert full_trace is not None
                full_trace[:, k0:k1] = trace[rows]
    spike_k, spike_j = time_ordered(spike_k_parts, spike_j_parts) if record_spikes else (None, None)
    return RangeOutput(
        first_block=first_block,
        end_block=end_block,
        count=int(count),
        mean=mean_total,
        m2=m2_total,
        lag=lag_total,
        spike_k=spike_k,
        spike_j=spike_j,
        spike_count=state.counts,
        snapshots=state.snapshots,
        trace_rows=rows,
        trace=full_trace,
    )


def time_ordered(k_parts: list[np.ndarray], j_parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Spikes gathered block by block (each block's in time order) as one list in time order, neuron order
    within a step."""
    all_k = np.concatenate(k_parts) if k_parts else np.zeros(0, dtype=np.int64)
    all_j = np.concatenate(j_parts) if j_parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(all_k, kind="stable")
    return all_k[order], all_j[order]


def merge_ranges(plan: RunPlan, ranges: Sequence[RangeOutput]) -> RunOutput:
    """The run's output from its ranges, given in block order.

    Every range but the last must hold ``2**t`` blocks starting at a multiple
    of ``2**t`` (the same ``t`` for all), so that each is a node of the
    canonical tree; the last may be shorter.  The statistics are then the
    tree's root, bit for bit what one range of all blocks gives.
    """
    if not ranges:
        raise ValueError("merge_ranges: no ranges")
    ranges = sorted(ranges, key=lambda r: r.first_block)
    expected = 0
    for r in ranges:
        if r.first_block != expected:
            raise ValueError(f"merge_ranges: blocks {expected} .. {r.first_block - 1} are missing")
        expected = r.end_block
    if expected != plan.n_blocks:
        raise ValueError(f"merge_ranges: blocks {expected} .. {plan.n_blocks - 1} are missing")
    steps, n = plan.steps, plan.n
    if len(ranges) == 1:
        mean_total, m2_total, lag_total = ranges[0].mean, ranges[0].m2, ranges[0].lag
    else:
        size = ranges[0].end_block - ranges[0].first_block
        height = size.bit_length() - 1
        if size != 1 << height or any(r.end_block - r.first_block != size or r.first_block % size for r in ranges[:-1]):
            raise ValueError("merge_ranges: the ranges must be aligned runs of 2**t blocks (the last may be short)")
        stack = TreeStack()
        last = ranges[-1]
        full = ranges if last.end_block - last.first_block == size else ranges[:-1]
        for r in full:
            stack.push(r.count, r.mean, r.m2, r.lag, height=height)
        tail = None if len(full) == len(ranges) else (last.count, last.mean, last.m2, last.lag)
        _count, mean_total, m2_total, lag_total = stack.root(tail=tail)
    comoment = np.full((len(plan.lags), steps), np.nan)
    shift = plan.model.lag_shift
    for row, lag in enumerate(plan.lags):
        # sum (x - s)(y - s) over all neurons, less n (mean_x - s)(mean_y - s)
        comoment[row, lag:] = lag_total[row, lag:] - n * (mean_total[: steps - lag] - shift) * (
            mean_total[lag:] - shift
        )
    spike_step = spike_i = None
    if plan.spiking and plan.record_spikes:
        all_k = np.concatenate([r.spike_k for r in ranges if r.spike_k is not None])
        all_j = np.concatenate([r.spike_j for r in ranges if r.spike_j is not None])
        if len(ranges) > 1:
            order = np.argsort(all_k, kind="stable")  # ranges come in neuron order: (step, neuron) order
            all_k, all_j = all_k[order], all_j[order]
        spike_step, spike_i = all_k, all_j
    trace = None
    if plan.record is not None and all(r.trace is not None for r in ranges):
        trace = np.empty((plan.record.size, steps))
        for r in ranges:
            assert r.trace is not None
            trace[r.trace_rows] = r.trace
    return RunOutput(
        moments=Moments(n, np.asarray(mean_total), np.asarray(m2_total)),
        lags=plan.lags,
        comoment=comoment,
        trace=trace,
        spike_step=spike_step,
        spike_i=spike_i,
        spike_count=np.concatenate([r.spike_count for r in ranges]),
        snapshots=np.concatenate([r.snapshots for r in ranges], axis=1),
    )


def run_local(
    plan: RunPlan,
    engine: Any,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RunOutput:
    """Run ``plan`` on ``engine`` (a module with ``advance``) in this process; return the merged output.

    ``trace_sink(first_step, traces)`` receives the recorded traces chunk by
    chunk (then they are not kept); ``chunk_steps`` fixes the chunk length.
    """
    part = run_blocks(plan, engine, progress=progress, trace_sink=trace_sink, chunk_steps=chunk_steps)
    return merge_ranges(plan, [part])
