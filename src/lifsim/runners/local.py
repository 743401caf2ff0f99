"""The local runner: a run in this process, its blocks on this machine's cores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.output import RunOutput
from ..engine.plan import Outputs, RunPlan, State
from ..reduce import Moments, TreeStack
from ..streams import LegacyStream

__all__ = ["run_local", "BLOCKS_PER_CALL", "CHUNK_BUDGET"]

#: blocks given to an engine at a time (the numba engine runs them in parallel)
BLOCKS_PER_CALL = 32
#: bytes of per-block outputs an engine call may return (the chunk in time is cut to fit)
CHUNK_BUDGET = 64 * 2**20


def _save(state: State, lo: int, hi: int) -> tuple[np.ndarray, ...]:
    return tuple(
        array[..., lo:hi].copy() if array.shape[-1] else array.copy()
        for array in (state.v, state.hold, state.spare, state.ring, state.counts)
    )


def _restore(state: State, lo: int, hi: int, saved: tuple[np.ndarray, ...]) -> None:
    for array, copy in zip((state.v, state.hold, state.spare, state.ring, state.counts), saved):
        if array.shape[-1]:
            array[..., lo:hi] = copy


def run_local(
    plan: RunPlan,
    engine: Any,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RunOutput:
    """Run ``plan`` on ``engine`` (a module with ``advance``); return the merged :class:`RunOutput`.

    ``trace_sink(first_step, traces)`` receives the recorded traces chunk by
    chunk (then they are not kept); ``chunk_steps`` fixes the chunk length.
    """
    n, steps = plan.n, plan.steps
    legacy = isinstance(plan.stream, LegacyStream)
    per_call = plan.n_blocks if legacy else min(BLOCKS_PER_CALL, plan.n_blocks)  # legacy draws go in order
    n_lags = len(plan.lags)
    chunk = steps if chunk_steps is None else max(1, int(chunk_steps))
    per_column = 8 * per_call * (2 + n_lags) + 8 * (0 if plan.record is None else plan.record.size)
    chunk = max(1, min(chunk, CHUNK_BUDGET // max(per_column, 1)))
    state = plan.new_state()
    if 0 in plan.snapshot_steps:  # the snapshot at t = 0 is V0, written before any step
        state.snapshots[plan.snapshot_steps.index(0)] = state.v
    mean_total = np.empty(steps)
    m2_total = np.empty(steps)
    lag_total = np.zeros((n_lags, steps))
    spike_k_parts: list[np.ndarray] = []
    spike_j_parts: list[np.ndarray] = []
    full_trace = None if (plan.record is None or trace_sink is not None) else np.empty((plan.record.size, steps))
    record_spikes = plan.spiking and plan.record_spikes
    cap = 0
    if record_spikes:
        cap = n * chunk if legacy else int(min(plan.block * chunk, 1024 + plan.block * 100.0 * chunk * plan.params.dt))
    for k0 in range(0, steps, chunk):
        k1 = min(steps, k0 + chunk)
        width = k1 - k0
        drive = plan.drive(k0, k1)
        schedule = plan.schedule(k0, k1)
        trace = np.empty((0 if plan.record is None else plan.record.size, width))
        stack = TreeStack()
        for first in range(0, plan.n_blocks, per_call):
            count = min(per_call, plan.n_blocks - first)
            lo, hi = first * plan.block, min(n, (first + count) * plan.block)
            saved = None if legacy else _save(state, lo, hi)
            while True:
                out = Outputs(
                    mean=np.empty((count, width)),
                    m2=np.empty((count, width)),
                    lag=np.zeros((count, n_lags, width)),
                    spike_k=np.empty((count, cap), dtype=np.int64),
                    spike_j=np.empty((count, cap), dtype=np.int64),
                    spike_n=np.zeros(count, dtype=np.int64),
                    trace=trace,
                )
                engine.advance(plan, drive, schedule, state, out, first, count, k0, k1)
                if not record_spikes or out.spike_n.max(initial=0) <= cap:
                    break
                # a block fired more than its buffer holds: restore the blocks and run them again with
                # room for all (the counter stream makes the second run identical)
                assert saved is not None
                cap = int(out.spike_n.max() * 1.1) + 16
                _restore(state, lo, hi, saved)
            if record_spikes and not legacy:
                cap = int(min(plan.block * chunk, 1.25 * out.spike_n.max(initial=0) + 1024))
            for g in range(count):
                m = min(n, (first + g + 1) * plan.block) - (first + g) * plan.block
                stack.push(m, out.mean[g], out.m2[g], out.lag[g])
                if record_spikes:
                    spikes = int(out.spike_n[g])
                    spike_k_parts.append(out.spike_k[g, :spikes].copy())
                    spike_j_parts.append(out.spike_j[g, :spikes].copy())
            if progress is not None:
                progress(k0 * n + hi * width, neuron_steps=True)
        _count, mean_total[k0:k1], m2_total[k0:k1], lag_total[:, k0:k1] = stack.root()
        if plan.record is not None:
            if trace_sink is not None:
                trace_sink(k0, trace)
            else:
                assert full_trace is not None
                full_trace[:, k0:k1] = trace
    comoment = np.full((n_lags, steps), np.nan)
    shift = plan.model.lag_shift
    for row, lag in enumerate(plan.lags):
        # sum (x - s)(y - s) over all neurons, less n (mean_x - s)(mean_y - s)
        comoment[row, lag:] = lag_total[row, lag:] - n * (mean_total[: steps - lag] - shift) * (
            mean_total[lag:] - shift
        )
    spike_step = spike_i = None
    if record_spikes:
        all_k = np.concatenate(spike_k_parts) if spike_k_parts else np.zeros(0, dtype=np.int64)
        all_j = np.concatenate(spike_j_parts) if spike_j_parts else np.zeros(0, dtype=np.int64)
        order = np.argsort(all_k, kind="stable")  # time order; neuron order within a step
        spike_step = all_k[order]
        spike_i = all_j[order]
    return RunOutput(
        moments=Moments(n, mean_total, m2_total),
        lags=plan.lags,
        comoment=comoment,
        trace=full_trace,
        spike_step=spike_step,
        spike_i=spike_i,
        spike_count=state.counts,
        snapshots=state.snapshots,
    )
