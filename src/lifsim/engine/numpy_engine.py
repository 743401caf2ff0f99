"""The readable numpy reference engine: a loop over time, vectorised over neurons.

It evaluates the input through :meth:`lifsim.inputs.Input.current`, the
specification, not through the plan's lowered arrays, so that the compiled
engines, which read those arrays, are checked against an independent path.
Each step ``k -> k+1`` of the neurons of the blocks it is given:

1. the input current ``I[k]`` (A) is evaluated for all those neurons (noise drawn
   from the stream for step ``k``);
2. the membrane is advanced:

   * ``method="euler"`` (the tutorial's forward Euler)::

         v[k+1] = v[k] + dt/tau * (E_L - v[k] + R I[k])

   * ``method="exact"``: the exact solution for input held constant over the
     step, ``v[k+1] = V_inf + (v[k] - V_inf) exp(-dt/tau)``,
     ``V_inf = E_L + R I[k]``; white noise is added by the exact
     Ornstein-Uhlenbeck transition, ``sigma sqrt((1 - exp(-2 dt/tau)) / 2) z``;

3. neurons in their refractory period are held at ``V_reset``;
4. with spiking on, every neuron with ``v[k+1] > V_th`` spikes at ``t_{k+1}``
   and is reset to ``V_reset`` (held there for ``t_ref``);
5. the statistics of ``v[k+1]`` are reduced in the canonical order
   (:mod:`lifsim.reduce`): group nodes of 32 neurons, merged into each block's root.

The engine's entry is :func:`run_range` (the protocol of every engine, see
:mod:`lifsim.engine`): the CPU engines' shared host loop
(:mod:`lifsim.engine.host`) around this engine's kernel, :func:`advance`, which
advances the plan's blocks ``first_block .. first_block + n_blocks - 1``
through the time points ``k0 .. k1 - 1``, the state in place, the results
into ``out``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..reduce import GROUP, block_roots, block_sums, group_nodes, group_sums
from ..streams import StepDraws
from .host import run_range as host_loop
from .output import RangeOutput
from .plan import Drive, Outputs, RunPlan, Schedule, State

__all__ = ["run_range", "advance", "available"]


def available() -> bool:
    """The reference engine needs only numpy."""
    return True


def advance(
    plan: RunPlan,
    drive: Drive,
    schedule: Schedule,
    state: State,
    out: Outputs,
    first_block: int,
    n_blocks: int,
    k0: int,
    k1: int,
) -> None:
    """Run blocks ``first_block .. first_block + n_blocks - 1`` through time points ``k0 .. k1 - 1``."""
    params, inputs, stream, model = plan.params, plan.inputs, plan.stream, plan.model
    lo = first_block * plan.block
    hi = min(plan.n, (first_block + n_blocks) * plan.block)
    neurons = np.arange(lo, hi, dtype=np.uint64)
    dt, el, r, vr, vth, a = params.dt, model.el, model.r, model.vr, model.vth, model.a
    if model.exact:
        deterministic = inputs.without_white()
        whites = inputs.white_parts()
        ou_scale = math.sqrt((1.0 - model.decay * model.decay) / 2.0)
    refractory = state.hold.shape[0] > 0
    s0, s1 = lo - state.base, hi - state.base  # the range's place in the state arrays
    ref = state.ref[s0:s1] if model.per_neuron_ref else np.full(hi - lo, model.ref_steps, dtype=np.int64)
    groups_per_block = plan.block // GROUP
    columns = k1 - k0
    depth = state.ring.shape[0]
    rec = (schedule.rec_neurons >= lo) & (schedule.rec_neurons < hi)
    rec_rows, rec_local = schedule.rec_rows[rec], schedule.rec_neurons[rec] - lo
    v = state.v[s0:s1].copy()
    for k in range(k0, k1):
        c = k - k0
        if k > 0:
            kk = k - 1
            t = kk * dt
            draws = StepDraws(stream, kk, neurons)
            if not model.exact:
                current = inputs.current(kk, t, draws, params)
                v = v + a * (el - v + r * current)
            else:
                current = deterministic.current(kk, t, draws, params) if deterministic is not None else 0.0
                v_inf = el + r * current
                v = v_inf + (v - v_inf) * model.decay
                for white in whites:
                    v = v + (white.sigma * ou_scale) * draws.normal(white.stream)
            if refractory:
                hold = state.hold[s0:s1]
                held = hold > 0
                if held.any():
                    v[held] = vr
                    hold[held] -= 1
            if model.spiking:
                fired = np.flatnonzero(v > vth)
                if fired.size:
                    v[fired] = vr
                    state.counts[s0 + fired] += 1
                    if refractory:
                        state.hold[s0 + fired] = ref[fired]
                    if schedule.record_spikes:
                        _record_spikes(out, lo + fired, k, first_block, plan.block)
        counts, means, m2s = group_nodes(v)
        block_counts, block_means, block_m2s = block_roots(counts, means, m2s, groups_per_block)
        out.mean[:n_blocks, c] = block_means
        out.m2[:n_blocks, c] = block_m2s
        if depth:
            state.ring[k % depth, s0:s1] = v
            for row, lag in enumerate(schedule.lags):
                if k >= lag:
                    previous = state.ring[(k - lag) % depth, s0:s1]
                    sums = group_sums((previous - model.lag_shift) * (v - model.lag_shift))
                    out.lag[:n_blocks, row, c] = block_sums(sums, groups_per_block)
        if rec_rows.size:
            out.trace[rec_rows, c] = v[rec_local]
        row = schedule.snap_row[c]
        if row >= 0:
            state.snapshots[row, s0:s1] = v
    state.v[s0:s1] = v
    del columns


def run_range(
    plan: RunPlan,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Callable[..., None] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> RangeOutput:
    """The engine protocol's entry (:mod:`lifsim.engine`): blocks ``first_block .. end_block - 1`` through every
    time point, by the CPU engines' shared host loop (:func:`lifsim.engine.host.run_range`) around :func:`advance`."""
    return host_loop(
        plan, advance, first_block, end_block, progress=progress, trace_sink=trace_sink, chunk_steps=chunk_steps
    )


def _record_spikes(out: Outputs, neurons: np.ndarray, k: int, first_block: int, block: int) -> None:
    """Append the spikes of ``neurons`` (sorted) at time point ``k`` to their blocks' buffers."""
    cap = out.spike_k.shape[1]
    blocks = neurons // block - first_block
    for g in np.unique(blocks):
        mine = neurons[blocks == g]
        start = int(out.spike_n[g])
        room = max(0, min(mine.size, cap - start))
        out.spike_k[g, start : start + room] = k
        out.spike_j[g, start : start + room] = mine[:room] - (first_block + g) * block  # within the block
        out.spike_n[g] = start + mine.size
