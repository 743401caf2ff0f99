"""The compiled engine: numba, multi-core, one fused pass per neuron block.

Neurons are cut into blocks (:func:`lifsim.engine.plan.block_size`).  Each
block's state (V, refractory counters, the spare half of each white-noise
pair) stays in cache while the kernel runs it through a chunk of time points;
every step it draws the block's noise, integrates, applies threshold, reset
and refractoriness, records spikes and requested traces, and reduces the
block's statistics in the canonical order of :mod:`lifsim.reduce` (groups of
32 folded by halves, groups merged pairwise by Chan's formulas).  Blocks run
in parallel (``numba.prange``); the runner merges their results in the same
canonical tree, so the bits depend on nothing but the run.

The kernels take the plan's typed groups (:class:`~lifsim.engine.plan.Model`,
``Drive``, ``Schedule``, ``State``, ``Outputs``), not long positional lists.
Random numbers come from the counter stream (:class:`lifsim.streams.CounterStream`):
neuron ``j``'s draw at step ``k`` is a pure function of ``(seed, term, j, k)``;
normals use lifsim's portable Box-Muller (:mod:`lifsim.portable`), the same
operations in the same order as the numpy reference, so the engines agree bit
for bit.  No ``fastmath``: LLVM may not reassociate or fuse.
"""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split

from collections.abc import Callable

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from ..streams import STREAM_VERSION, seed_key
from .host import run_range as host_loop
from .numba_lanes import lanes_fit, run_block_lanes
from .numba_neuron import _settle, _white_update
from .numba_random import (
    _GAMMA,
    _STRIDE,
    _TWO_M53,
    _box_muller_f32,
    _counter,
    _mix,
    _neg2log,
    _normal,
    _pair_of,
    _sincos,
    _uniform,
)
from .numba_stats import _GROUP, _block_cross, _block_moments
from .output import RangeOutput
from .plan import DET, MOD, WHITE, Drive, Outputs, RunPlan, Schedule, State

__all__ = ["run_range", "advance", "available", "needs_compile", "max_threads", "splitmix64_sequence", "draws"]


def available() -> bool:
    """True: this module imports only where numba is installed."""
    return True


# ---------------------------------------------------------------- one step of a block (neuron order)


@njit(cache=True, error_model="numpy")
def _step_uniform(model, v, hold, ref, fired, counts, j0, kk, mean, pre, amp, key, refractory, keep_fired):  # type: ignore[no-untyped-def]
    """One Euler step of a block driven by ``mean (pre + A xi)`` (W1's input); returns the spike count.

    Branch-free, with the counter as an induction (one vector add per number), so LLVM vectorises it.
    """
    a, el, r, vr, vth, spiking = model.a, model.el, model.r, model.vr, model.vth, model.spiking
    n_fired = 0
    z0 = _counter(key, j0, kk)
    if not refractory and not keep_fired:  # the leanest loop
        for jj in range(v.shape[0]):
            z = _mix(z0 + np.uint64(jj) * _STRIDE)
            u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
            current = mean * (pre + amp * (2 * u - 1))
            x = v[jj] + a * (el - v[jj] + r * current)
            f = (x > vth) & spiking
            v[jj] = vr if f else x
            counts[jj] += f
            n_fired += np.int64(f)
        return n_fired
    for jj in range(v.shape[0]):
        z = _mix(z0 + np.uint64(jj) * _STRIDE)
        u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
        current = mean * (pre + amp * (2 * u - 1))
        h = hold[jj] if refractory else 0
        ref_j = ref[jj] if model.per_neuron_ref else model.ref_steps
        x, h, f = _settle(v[jj] + a * (el - v[jj] + r * current), h, ref_j, vr, vth, spiking)
        fired[jj] = f
        counts[jj] += f
        n_fired += np.int64(f)
        if refractory:
            hold[jj] = h
        v[jj] = x
    return n_fired


@njit(cache=True, error_model="numpy")
def _step_white(model, v, hold, ref, fired, counts, spare, j0, kk, base, has_base, w_mean, scale, key, refractory):  # type: ignore[no-untyped-def]
    """One step of a block driven by a deterministic current ``base`` plus one white-noise term (W2's input).

    Even steps compute the Box-Muller pair and keep its sine half in ``spare``
    (the block's row, contiguous); odd steps use it: half the transcendental
    work per normal.
    """
    vr, vth, spiking = model.vr, model.vth, model.spiking
    m = v.shape[0]
    if kk % 2 == 0:
        pair = kk // 2
        z0 = _counter(key, j0, pair)  # version 3: draw `pair`
        z1 = _counter(key, j0, 2 * pair)  # version 2: 2 pair, + 1
        z2 = _counter(key, j0, 2 * pair + 1)
        version3 = model.normals == 3
        for jj in range(m):
            if version3:
                zc, zs = _box_muller_f32(_mix(z0 + np.uint64(jj) * _STRIDE))
            else:
                rr = np.sqrt(_neg2log(_mix(z1 + np.uint64(jj) * _STRIDE)))
                c, s = _sincos(_mix(z2 + np.uint64(jj) * _STRIDE))
                zc, zs = rr * c, rr * s
            spare[jj] = zs
            x = _white_update(model, v[jj], base, has_base, w_mean, scale, zc)
            h = hold[jj] if refractory else 0
            ref_j = ref[jj] if model.per_neuron_ref else model.ref_steps
            x, h, f = _settle(x, h, ref_j, vr, vth, spiking)
            fired[jj] = f
            counts[jj] += f
            if refractory:
                hold[jj] = h
            v[jj] = x
    else:
        for jj in range(m):
            x = _white_update(model, v[jj], base, has_base, w_mean, scale, spare[jj])
            h = hold[jj] if refractory else 0
            ref_j = ref[jj] if model.per_neuron_ref else model.ref_steps
            x, h, f = _settle(x, h, ref_j, vr, vth, spiking)
            fired[jj] = f
            counts[jj] += f
            if refractory:
                hold[jj] = h
            v[jj] = x
    n_fired = 0
    for jj in range(m):
        n_fired += np.int64(fired[jj])
    return n_fired


@njit(cache=True, error_model="numpy")
def _step_general(model, drive, v, hold, ref, fired, counts, spare, zbuf, j0, kk, refractory):  # type: ignore[no-untyped-def]
    """One step of a block for any lowered input (lifsim.engine.plan.evaluate_drive); returns the spike count."""
    a, el, r, vr, vth, spiking = model.a, model.el, model.r, model.vr, model.vth, model.spiking
    exact = model.exact
    column = kk - drive.offset
    parts = drive.kind.shape[0]
    whites = drive.w_key.shape[0]
    n_fired = 0
    for jj in range(v.shape[0]):
        j = j0 + jj
        for w in range(whites):
            zbuf[w] = _normal(drive.w_key[w], j, kk, spare, w, jj, model.normals)
        current = 0.0
        first = True
        for p in range(parts):
            kind = drive.kind[p]
            index = drive.slot[p]
            if kind == DET:
                value = drive.rows[index, column]
            elif kind == MOD:
                total = drive.rows[index, column]
                for u in range(drive.u_first[p], drive.u_first[p + 1]):
                    total = total + drive.u_amp[u] * (2 * _uniform(drive.u_key[u], j, kk) - 1)
                value = drive.mean[p] * total
            elif kind == WHITE:
                if exact:
                    if drive.mean[p] == 0.0:
                        continue
                    value = drive.mean[p]
                else:
                    value = drive.mean[p] + drive.w_scale[index] * zbuf[index]
            else:
                row = index + j if drive.per_neuron[p] else index
                value = drive.arr[row, column]
            current = value if first else current + value
            first = False
        if exact:
            v_inf = el + r * current
            x = v_inf + (v[jj] - v_inf) * model.decay
            for w in range(whites):
                x = x + drive.w_scale[w] * zbuf[w]
        else:
            x = v[jj] + a * (el - v[jj] + r * current)
        h = hold[jj] if refractory else 0
        ref_j = ref[jj] if model.per_neuron_ref else model.ref_steps
        x, h, f = _settle(x, h, ref_j, vr, vth, spiking)
        fired[jj] = f
        counts[jj] += f
        n_fired += np.int64(f)
        if refractory:
            hold[jj] = h
        v[jj] = x
    return n_fired


# ---------------------------------------------------------------- a block through a chunk


@njit(cache=True, error_model="numpy")
def _run_block(model, drive, schedule, state, out, g, first_block, block, n, k0, k1):  # type: ignore[no-untyped-def]
    j0 = (first_block + g) * block
    m = min(n, j0 + block) - j0
    s0 = j0 - state.base  # this block's place in the state arrays (which may hold a range of neurons)
    # the input's shape decides the loop
    parts = drive.kind.shape[0]
    uniform_path = parts == 1 and drive.kind[0] == MOD and drive.u_first[1] - drive.u_first[0] == 1 and not model.exact
    white_index = -1
    if parts == 1 and drive.kind[0] == WHITE:
        white_index = 0
    elif parts == 2 and drive.kind[0] == DET and drive.kind[1] == WHITE:
        white_index = 1
    if (uniform_path or white_index >= 0) and lanes_fit(m):
        run_block_lanes(model, drive, schedule, state, out, g, j0, m, s0, k0, k1, white_index)
        return
    v = state.v[s0 : s0 + m]
    refractory = state.hold.shape[0] > 0
    hold = state.hold[s0 : s0 + m] if refractory else state.hold
    ref = state.ref[s0 : s0 + m] if model.per_neuron_ref else state.ref
    counts = state.counts[s0 : s0 + m]
    spare = state.spare[:, s0 : s0 + m]
    fired = np.zeros(m, np.bool_)
    groups = (m + _GROUP - 1) // _GROUP
    buf = np.empty(_GROUP)
    gcount = np.empty(groups, np.int64)
    gmean = np.empty(groups)
    gm2 = np.empty(groups)
    gsum = np.empty(groups)
    zbuf = np.empty(drive.w_key.shape[0])
    lags = schedule.lags
    n_lags = lags.shape[0]
    depth = state.ring.shape[0]
    record_spikes = schedule.record_spikes
    cap = out.spike_k.shape[1]
    # recorded neurons of this block: a slice of the sorted list
    rec_lo = np.searchsorted(schedule.rec_neurons, j0)
    rec_hi = np.searchsorted(schedule.rec_neurons, j0 + m)
    keep_fired = record_spikes or refractory
    for k in range(k0, k1):
        c = k - k0
        if k > 0:
            kk = k - 1
            column = kk - drive.offset
            if uniform_path:
                n_fired = _step_uniform(
                    model,
                    v,
                    hold,
                    ref,
                    fired,
                    counts,
                    j0,
                    kk,
                    drive.mean[0],
                    drive.rows[drive.slot[0], column],
                    drive.u_amp[0],
                    drive.u_key[0],
                    refractory,
                    keep_fired,
                )
            elif white_index >= 0:
                base = drive.rows[drive.slot[0], column] if white_index == 1 else 0.0
                w = drive.slot[white_index]
                n_fired = _step_white(
                    model,
                    v,
                    hold,
                    ref,
                    fired,
                    counts,
                    state.spare[w, s0 : s0 + m],
                    j0,
                    kk,
                    base,
                    white_index == 1,
                    drive.mean[white_index],
                    drive.w_scale[w],
                    drive.w_key[w],
                    refractory,
                )
            else:
                n_fired = _step_general(model, drive, v, hold, ref, fired, counts, spare, zbuf, j0, kk, refractory)
            if record_spikes and n_fired > 0:
                for jj in range(m):
                    if fired[jj]:
                        idx = out.spike_n[g]
                        if idx < cap:
                            out.spike_k[g, idx] = k
                            out.spike_j[g, idx] = jj  # within the block
                        out.spike_n[g] = idx + 1
        mean, m2 = _block_moments(v, m, buf, gcount, gmean, gm2)
        out.mean[g, c] = mean
        out.m2[g, c] = m2
        if n_lags > 0:
            slot = k % depth
            for jj in range(m):
                state.ring[slot, s0 + jj] = v[jj]
            for li in range(n_lags):
                lag = lags[li]
                if k >= lag:
                    previous = state.ring[(k - lag) % depth, s0 : s0 + m]
                    out.lag[g, li, c] = _block_cross(previous, v, m, model.lag_shift, buf, gsum)
        for idx in range(rec_lo, rec_hi):
            out.trace[schedule.rec_rows[idx], c] = v[schedule.rec_neurons[idx] - j0]
        row = schedule.snap_row[c]
        if row >= 0:
            for jj in range(m):
                state.snapshots[row, s0 + jj] = v[jj]


@njit(parallel=True, cache=True, error_model="numpy")
def _advance(model, drive, schedule, state, out, first_block, n_blocks, block, n, k0, k1):  # type: ignore[no-untyped-def]
    for g in prange(n_blocks):
        _run_block(model, drive, schedule, state, out, np.int64(g), first_block, block, n, k0, k1)  # one type


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
    """Run blocks ``first_block .. first_block + n_blocks - 1`` through time points ``k0 .. k1 - 1``.

    The kernel of the CPU host loop (:mod:`lifsim.engine.host`): the state advances in
    place; ``out`` receives each block's canonical statistics, lag sums,
    spikes (up to its capacity; ``spike_n`` counts them all) and traces.
    """
    from ..streams import CounterStream

    if not isinstance(plan.stream, CounterStream):
        raise ValueError(
            "engine: the numba engine draws from the counter-based stream; the tutorial's legacy stream "
            "runs on engine='numpy'"
        )
    if n_blocks > 1:
        _advance(plan.model, drive, schedule, state, out, first_block, n_blocks, plan.block, plan.n, k0, k1)
        return
    # one block runs on one thread: a parallel region would wake the other threads for nothing, and on a busy
    # machine wait for the scheduler to run them (milliseconds a call; the same arithmetic either way)
    threads = get_num_threads()
    set_num_threads(1)
    try:
        _advance(plan.model, drive, schedule, state, out, first_block, n_blocks, plan.block, plan.n, k0, k1)
    finally:
        set_num_threads(threads)


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


# ---------------------------------------------------------------- helpers for tests and start-up


@njit(cache=True, error_model="numpy")
def _sequence(seed, count):  # type: ignore[no-untyped-def]
    out = np.empty(count, np.uint64)
    for m in range(count):
        out[m] = _mix(seed + np.uint64(m + 1) * _GAMMA)
    return out


@njit(cache=True, error_model="numpy")
def _draws(key, neurons, step, normal, normals):  # type: ignore[no-untyped-def]
    out = np.empty(neurons.shape[0])
    for index in range(neurons.shape[0]):
        j = neurons[index]
        if normal:
            c, s = _pair_of(key, j, step // 2, normals)
            out[index] = c if step % 2 == 0 else s
        else:
            out[index] = _uniform(key, j, step)
    return out


def splitmix64_sequence(seed: int, count: int) -> np.ndarray:
    """The first ``count`` outputs of SplitMix64 seeded with ``seed``, from the compiled mixer (for tests)."""
    return _sequence(np.uint64(seed), count)


def draws(
    seed: int, stream: int, neurons: np.ndarray, step: int, kind: str, version: int = STREAM_VERSION
) -> np.ndarray:
    """The compiled engine's uniform or normal draws (stream ``version``) for ``neurons`` at ``step`` (for tests)."""
    return _draws(seed_key(seed, stream), np.asarray(neurons, dtype=np.int64), step, kind == "normal", version)


def needs_compile() -> bool:
    """True when the kernels are neither compiled in this process nor in numba's on-disk cache."""
    try:
        if _advance.signatures:
            return False
        index = _advance._cache._cache_file._load_index()  # type: ignore[attr-defined]
        # entries are keyed by (signature, the code generator's target: CPU name and features)
        target = _advance.targetctx.codegen().magic_tuple()  # type: ignore[attr-defined]
        return not any(isinstance(key, tuple) and len(key) > 1 and key[1] == target for key in index)
    except Exception:  # numba internals differ: do not guess
        return False


def max_threads() -> int:
    """The most threads the numba engine can use (``NUMBA_NUM_THREADS``, by default the number of cores)."""
    import numba

    return int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
