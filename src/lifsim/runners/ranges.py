"""Ranges of blocks in one process: run a range on an engine, merge ranges in the canonical tree, calibrate.

:func:`run_blocks` runs one range of whole blocks through every time chunk and returns a
:class:`~lifsim.engine.output.RangeOutput`; :func:`merge_ranges` merges ranges, given in block order, into
the run's :class:`~lifsim.engine.output.RunOutput`.  The local runner (:mod:`lifsim.runners.local`) runs one
range of all blocks; the Dask runner (:mod:`lifsim.runners.dask`) gives ranges of ``2**t`` aligned blocks
to workers and merges them the same way, so the bits are the same (the contract in :mod:`lifsim.streams`).
Both runners stand on this module, side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from ..engine.output import RangeOutput, RunOutput
from ..engine.plan import RunPlan
from ..reduce import Moments, TreeStack

if TYPE_CHECKING:
    from ..request import ValidRequest

__all__ = ["run_blocks", "merge_ranges", "run_local", "calibrate"]


def run_blocks(
    plan: RunPlan,
    engine: ModuleType,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RangeOutput:
    """Blocks ``first_block .. end_block - 1`` of ``plan`` through every time point on ``engine`` (its module).

    Every engine has this one entry, ``run_range`` (:mod:`lifsim.engine`).
    """
    return engine.run_range(  # type: ignore[no-any-return]
        plan, first_block, end_block, progress=progress, trace_sink=trace_sink, chunk_steps=chunk_steps
    )


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
        if len(ranges) == 1:  # one range (the local runner): its list as it is, no copy
            all_k, all_j = ranges[0].spike_k, ranges[0].spike_j
        else:
            all_k = np.concatenate([r.spike_k for r in ranges if r.spike_k is not None])
            all_j = np.concatenate([r.spike_j for r in ranges if r.spike_j is not None])
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
    engine: ModuleType,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RunOutput:
    """Run ``plan`` on ``engine`` (an engine module, :mod:`lifsim.engine`) in this process; return the merged output.

    ``trace_sink(first_step, traces)`` receives the recorded traces chunk by
    chunk (then they are not kept); ``chunk_steps`` fixes the chunk length.
    """
    part = run_blocks(plan, engine, progress=progress, trace_sink=trace_sink, chunk_steps=chunk_steps)
    return merge_ranges(plan, [part])


def calibrate(request: ValidRequest, threads: int | None = None) -> tuple[float, str]:
    """ns per neuron-step per thread of a checked request's model, input and engine, from a short run here
    (the second of two: the first loads or compiles the kernels).  ``threads``: the numba engine's."""
    import time
    from dataclasses import replace

    from ..engine import get
    from ..planning import CALIBRATION_NEURON_STEPS, CALIBRATION_NEURONS
    from ..request import Record

    n_cal = max(1, min(request.n, CALIBRATION_NEURONS))
    steps_cal = max(2, min(request.steps, CALIBRATION_NEURON_STEPS // n_cal))
    # a per-neuron array input keeps the rows of the calibration's neurons (its 10,000 rows were refused for the
    # calibration's 8,192 neurons, though they fit the run's 10,000)
    asked = request.request.input
    inputs = None if asked is None else asked.first_neurons(n_cal)
    small = replace(request.request, n=n_cal, steps=steps_cal, input=inputs, record=Record(spikes=False), stream=None)
    plan = RunPlan.from_request(small.validate())
    engine = get(request.engine)
    previous = None
    if request.engine == "numba":
        import numba

        previous = int(numba.get_num_threads())
        threads = previous if threads is None else threads
        numba.set_num_threads(threads)
    try:
        run_local(plan, engine)  # loads (or compiles) the kernels
        started = time.perf_counter()
        run_local(plan, engine)
        seconds = time.perf_counter() - started
    finally:
        if previous is not None:
            import numba

            numba.set_num_threads(previous)
    threads = threads if request.engine == "numba" and threads is not None else 1
    per_thread = seconds * threads / (n_cal * steps_cal) * 1e9
    return per_thread, f"{n_cal} neurons x {steps_cal} steps here, {threads} thread{'s' if threads > 1 else ''}"


def start_engine_under_limit(request: ValidRequest, block: int, threads: int | None = None) -> None:
    """Under an address-space limit (``ulimit -v``), run two steps of a checked request's model, input and CPU
    engine here, on a block for each thread: what the run would start, started now (the engine's libraries and
    kernels, numba's too where the spike list orders the spikes, the threads with their stacks and malloc arenas:
    72 MiB of address space a thread), so that the room the memory guard measures next leaves them out, as the run
    will find it.  The run's bytes (:meth:`RunPlan.memory_estimate`) count none of them."""
    from ..memory import address_space_limit

    if request.engine not in ("numpy", "numba") or address_space_limit() is None:
        return
    from dataclasses import replace

    from ..engine import get
    from ..request import Record

    previous = None
    if request.engine == "numba":
        import numba

        previous = int(numba.get_num_threads())
        threads = previous if threads is None else threads
        numba.set_num_threads(threads)
    n_small = max(1, min(request.n, (threads or 1) * block))
    asked = request.request.input
    inputs = None if asked is None else asked.first_neurons(n_small)
    record = Record(spikes=request.record_spikes)
    small = replace(request.request, n=n_small, steps=2, input=inputs, record=record, stream=None, block=block)
    try:
        run_local(RunPlan.from_request(small.validate()), get(request.engine))
    finally:
        if previous is not None:
            import numba

            numba.set_num_threads(previous)
