"""The compiled engine: numba, multi-core, one fused streaming pass per neuron block.

Neurons are cut into blocks of ``BLOCK`` neurons.  Each block's state (V,
refractory counters) stays in cache while the kernel runs it through *all*
steps; every step it draws the block's noise, integrates, applies threshold,
reset and refractoriness, records spikes and requested traces, and reduces the
block's per-step mean and sum of squared deviations.  Blocks run in parallel
(``numba.prange``) in groups; the groups' per-step statistics are then merged
in block order with the exact Chan et al. formulas, so the result does not
depend on the number of threads.

Random numbers come from the same counter-based SplitMix64 stream as the
numpy engine (:class:`lifsim.streams.CounterStream`): neuron ``j``'s draw at
step ``k`` is a pure function of ``(seed, term, j, k)``, so results are
identical for any thread count, block size or number of neurons, and the two
engines see the same uniforms bit for bit (normals to the last bit of libm's
``log1p``/``cos``).

Memory: ``O(n)`` for the state and spike counts plus ``O(steps)`` per group
for the statistics; traces only for the requested neurons.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..inputs import ArrayInput, Input, Modulated, Step, Sum, UniformTerm, WhiteNoise, bind_streams
from ..params import LIFParams
from ..reduce import Moments, merge_moments
from ..streams import CounterStream, LegacyStream, seed_key
from .numpy_engine import refractory_steps_per_neuron
from .output import RunOutput

__all__ = ["run_numba", "available", "BLOCK", "compile_kernels"]

try:  # numba is an optional dependency (extra "fast")
    import numba
    from numba import njit, prange

    _AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only without numba
    _AVAILABLE = False

#: neurons per block: the block's state (V, refractory counter) fits in L1/L2 cache
BLOCK = 2048
#: blocks per parallel group (per-step statistics are buffered per group)
GROUP = 32


def available() -> bool:
    """True when numba can be imported."""
    return _AVAILABLE


if _AVAILABLE:
    _GAMMA = np.uint64(0x9E3779B97F4A7C15)
    _M1 = np.uint64(0xBF58476D1CE4E5B9)
    _M2 = np.uint64(0x94D049BB133111EB)
    _TWO_M53 = 2.0**-53
    _STRIDE = np.uint64((0x9E3779B97F4A7C15 << 32) & 0xFFFFFFFFFFFFFFFF)  # GAMMA * 2**32 mod 2**64
    _TWO_PI = 2.0 * math.pi

    @njit(inline="always", cache=True)
    def _mix(z):  # type: ignore[no-untyped-def]
        """SplitMix64's output function (Stafford's Mix13) on a uint64."""
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))

    @njit(inline="always", cache=True)
    def _uniform(key, j, draw):  # type: ignore[no-untyped-def]
        """U[0, 1) of SplitMix64 at counter j * 2**32 + draw + 1 (as CounterStream.uniform)."""
        z = _mix(key + ((np.uint64(j) << np.uint64(32)) + np.uint64(draw + 1)) * _GAMMA)
        return float(np.int64(z >> np.uint64(11))) * _TWO_M53

    @njit(inline="always", cache=True)
    def _normal(key, j, k):  # type: ignore[no-untyped-def]
        """N(0, 1) by Box-Muller on draws 2k and 2k+1 (as CounterStream.normal)."""
        u1 = _uniform(key, j, 2 * k)
        u2 = _uniform(key, j, 2 * k + 1)
        return math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(_TWO_PI * u2)

    @njit(fastmath=True, cache=True)
    def _shifted_sums(v, m, shift):  # type: ignore[no-untyped-def]
        """``sum(v - shift)`` and ``sum((v - shift)**2)`` over ``v[:m]`` (vectorised, reassociated)."""
        s1 = 0.0
        s2 = 0.0
        for jj in range(m):
            d = v[jj] - shift
            s1 += d
            s2 += d * d
        return s1, s2

    @njit(fastmath=True, cache=True)
    def _shifted_cross(x, y, m, shift_x, shift_y):  # type: ignore[no-untyped-def]
        """``sum((x - shift_x) * (y - shift_y))`` over the first ``m`` entries."""
        c = 0.0
        for jj in range(m):
            c += (x[jj] - shift_x) * (y[jj] - shift_y)
        return c

    @njit(inline="always", cache=True)
    def _settle(x, h, ref_j, vr, vth, spiking):  # type: ignore[no-untyped-def]
        """Refractory hold, threshold and reset of one neuron, branch-free.

        ``x``: V after the update (V); ``h``: steps still held at V_reset;
        returns the new V, the new hold count and whether the neuron spiked.
        """
        held = h > 0
        x = vr if held else x
        h = h - 1 if held else h
        f = (x > vth) & spiking
        x = vr if f else x
        h = ref_j if f else h
        return x, h, f

    @njit(cache=True)
    def _step_uniform(  # type: ignore[no-untyped-def]
        v,
        hold,
        fired,
        ref,
        counts,
        j0,
        kk,
        base,
        mean_q,
        pre,
        amp,
        key,
        a,
        el,
        r,
        vr,
        vth,
        spiking,
        refractory,
        keep_fired,
    ):
        """One step of a block driven by ``base + mean_q (pre + A xi)``; returns the spike count.

        Branch-free threshold, reset and refractoriness, so LLVM vectorises the
        loop, random numbers included; without refractoriness the hold
        counters are not touched at all.
        """
        n_fired = 0
        # SplitMix64 state of neuron j0 at this step (as _uniform); neuron j0 + jj
        # adds jj * STRIDE, an induction LLVM turns into vector adds
        z0 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(kk + 1)) * _GAMMA
        if not refractory and not keep_fired:  # the leanest loop: W1's
            for jj in range(v.shape[0]):
                z = _mix(z0 + np.uint64(jj) * _STRIDE)
                u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
                current = base + mean_q * (pre + amp * (2 * u - 1))
                x = v[jj] + a * (el - v[jj] + r * current)
                f = (x > vth) & spiking
                v[jj] = vr if f else x
                counts[jj] += f
                n_fired += np.int64(f)
            return n_fired
        for jj in range(v.shape[0]):
            z = _mix(z0 + np.uint64(jj) * _STRIDE)
            u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
            current = base + mean_q * (pre + amp * (2 * u - 1))
            x, h, f = _settle(v[jj] + a * (el - v[jj] + r * current), hold[jj], ref[jj], vr, vth, spiking)
            fired[jj] = f
            counts[jj] += f
            n_fired += np.int64(f)
            hold[jj] = h
            v[jj] = x
        return n_fired

    @njit(cache=True)
    def _step_general(  # type: ignore[no-untyped-def]
        v,
        hold,
        fired,
        tot,
        ref,
        counts,
        j0,
        kk,
        det,
        arr,
        arr_per_neuron,
        mod_mean,
        mod_pre,
        u_mod,
        u_amp,
        u_key,
        w_scale,
        w_key,
        a,
        decay,
        el,
        r,
        vr,
        vth,
        exact,
        spiking,
    ):
        """One step of a block for any input; returns the spike count."""
        n_mod = mod_mean.shape[0]
        n_u = u_amp.shape[0]
        n_w = w_scale.shape[0]
        has_arr = arr.shape[0] > 0
        n_fired = 0
        for jj in range(v.shape[0]):
            j = j0 + jj
            current = det[kk]
            if has_arr:
                current += arr[j if arr_per_neuron else 0, kk]
            if n_mod > 0:
                for q in range(n_mod):
                    tot[q] = mod_pre[q, kk]
                for u in range(n_u):
                    tot[u_mod[u]] += u_amp[u] * (2 * _uniform(u_key[u], j, kk) - 1)
                for q in range(n_mod):
                    current += mod_mean[q] * tot[q]
            if exact:
                v_inf = el + r * current
                x = v_inf + (v[jj] - v_inf) * decay
                for w in range(n_w):
                    x += w_scale[w] * _normal(w_key[w], j, kk)
            else:
                for w in range(n_w):
                    current += w_scale[w] * _normal(w_key[w], j, kk)
                x = v[jj] + a * (el - v[jj] + r * current)
            x, h, f = _settle(x, hold[jj], ref[jj], vr, vth, spiking)
            fired[jj] = f
            counts[jj] += f
            n_fired += np.int64(f)
            hold[jj] = h
            v[jj] = x
        return n_fired

    @njit(parallel=True, cache=True)
    def _run_group(  # type: ignore[no-untyped-def]
        first_block,
        n_blocks,
        block,
        n,
        k_start,
        k_stop,
        v_state,
        hold_state,
        ring_state,
        lag_shift,
        a,
        decay,
        el,
        r,
        vr,
        vth,
        exact,
        spiking,
        det,
        arr,
        arr_per_neuron,
        mod_mean,
        mod_pre,
        u_mod,
        u_amp,
        u_key,
        w_scale,
        w_key,
        ref_steps,
        rec_row,
        trace,
        snap_row,
        snapshots,
        lags,
        out_mean,
        out_m2,
        out_comom,
        record_spikes,
        spike_cap,
        spike_k,
        spike_j,
        spike_n,
        counts,
        refractory,
        any_recorded,
    ):
        n_mod = mod_mean.shape[0]
        n_u = u_amp.shape[0]
        n_w = w_scale.shape[0]
        n_lags = lags.shape[0]
        depth = ring_state.shape[0]
        has_arr = arr.shape[0] > 0
        # the tutorial's input family with one uniform term: a loop LLVM can vectorise
        single_uniform = n_mod == 1 and n_u == 1 and n_w == 0 and not has_arr and not exact
        for g in prange(n_blocks):
            j0 = (first_block + g) * block
            m = min(n, j0 + block) - j0
            # views of the run's state: what this chunk leaves, the next one starts from
            v = v_state[j0 : j0 + m]
            hold = hold_state[j0 : j0 + m]
            fired = np.zeros(m, np.bool_)
            tot = np.empty(n_mod)
            for k in range(k_start, k_stop):
                c = k - k_start  # column of this chunk's outputs
                if k > 0:
                    kk = k - 1  # the update from step kk to step k uses I[kk]
                    if single_uniform:
                        n_fired = _step_uniform(
                            v,
                            hold,
                            fired,
                            ref_steps[j0 : j0 + m],
                            counts[j0 : j0 + m],
                            j0,
                            kk,
                            det[kk],
                            mod_mean[0],
                            mod_pre[0, kk],
                            u_amp[0],
                            u_key[0],
                            a,
                            el,
                            r,
                            vr,
                            vth,
                            spiking,
                            refractory,
                            record_spikes,
                        )
                    else:
                        n_fired = _step_general(
                            v,
                            hold,
                            fired,
                            tot,
                            ref_steps[j0 : j0 + m],
                            counts[j0 : j0 + m],
                            j0,
                            kk,
                            det,
                            arr,
                            arr_per_neuron,
                            mod_mean,
                            mod_pre,
                            u_mod,
                            u_amp,
                            u_key,
                            w_scale,
                            w_key,
                            a,
                            decay,
                            el,
                            r,
                            vr,
                            vth,
                            exact,
                            spiking,
                        )
                    if record_spikes and n_fired > 0:
                        for jj in range(m):
                            if fired[jj]:
                                j = j0 + jj
                                idx = spike_n[g]
                                if idx < spike_cap:
                                    spike_k[g, idx] = k
                                    spike_j[g, idx] = j
                                spike_n[g] = idx + 1
                # per-step block statistics, shifted by one sample: exact for
                # identical values, accurate while the spread is not tiny
                shift = v[0]
                s1, s2 = _shifted_sums(v, m, shift)
                offset = s1 / m
                mean = shift + offset
                out_mean[g, c] = mean
                out_m2[g, c] = max(0.0, s2 - s1 * offset)
                if n_lags > 0:
                    # raw V of the last `depth` steps; cross sums about one fixed shift
                    # for every block, so blocks merge by plain addition
                    slot = k % depth
                    for jj in range(m):
                        ring_state[slot, j0 + jj] = v[jj]
                    for li in range(n_lags):
                        lag = lags[li]
                        if k >= lag:
                            out_comom[g, li, c] = _shifted_cross(
                                ring_state[(k - lag) % depth, j0 : j0 + m], v, m, lag_shift, lag_shift
                            )
                if any_recorded:
                    for jj in range(m):
                        row = rec_row[j0 + jj]
                        if row >= 0:
                            trace[row, c] = v[jj]
                srow = snap_row[k]
                if srow >= 0:
                    for jj in range(m):
                        snapshots[srow, j0 + jj] = v[jj]


def splitmix64_sequence(seed: int, count: int) -> np.ndarray:
    """The first ``count`` outputs of SplitMix64 seeded with ``seed``, from the compiled mixer (for tests)."""
    return _sequence(np.uint64(seed), count)


def draws(seed: int, stream: int, neurons: np.ndarray, step: int, kind: str) -> np.ndarray:
    """The compiled engine's uniform or normal draws for ``neurons`` at ``step`` (for tests)."""
    key = seed_key(seed, stream)
    return _draws(key, np.asarray(neurons, dtype=np.int64), step, kind == "normal")


if _AVAILABLE:

    @njit(cache=True)
    def _sequence(seed, count):  # type: ignore[no-untyped-def]
        out = np.empty(count, np.uint64)
        for m in range(count):
            out[m] = _mix(seed + np.uint64(m + 1) * _GAMMA)
        return out

    @njit(cache=True)
    def _draws(key, neurons, step, normal):  # type: ignore[no-untyped-def]
        out = np.empty(neurons.shape[0])
        for index in range(neurons.shape[0]):
            out[index] = _normal(key, neurons[index], step) if normal else _uniform(key, neurons[index], step)
        return out


def compile_kernels() -> float:
    """Compile (or load from the on-disk cache) the kernels; return the seconds it took."""
    import time

    start = time.perf_counter()
    params = LIFParams(t_max=2e-3, dt=1e-3)
    from ..inputs import uniform_noise

    run_numba(
        params,
        uniform_noise(params.i_mean),
        n=3,
        steps=2,
        stream=CounterStream(0),
        spiking=True,
        method="euler",
        record_neurons=None,
        record_spikes=True,
        lags=(),
    )
    return time.perf_counter() - start


class _CompiledInputs:
    """An input flattened into arrays the kernel can read."""

    def __init__(self, inputs: Input, params: LIFParams, n: int, steps: int, seed: int, method: str) -> None:
        parts = list(inputs.parts) if isinstance(inputs, Sum) else [inputs]
        t = np.arange(steps) * params.dt
        self.det = np.zeros(steps)
        mod_mean: list[float] = []
        mod_pre: list[np.ndarray] = []
        u_mod: list[int] = []
        u_amp: list[float] = []
        u_key: list[np.uint64] = []
        w_scale: list[float] = []
        w_key: list[np.uint64] = []
        arrays: list[np.ndarray] = []
        decay = math.exp(-params.dt / params.tau)
        for part in parts:
            if isinstance(part, Modulated):
                if not any(isinstance(term, UniformTerm) for term in part.terms):
                    self.det += [part.current(k, tk, None, params) for k, tk in enumerate(t)]  # type: ignore[arg-type]
                    continue
                pre = np.ones(steps)
                for term in part.terms:
                    if isinstance(term, UniformTerm):
                        u_mod.append(len(mod_mean))
                        u_amp.append(term.resolved(params))
                        u_key.append(seed_key(seed, term.stream))
                    else:
                        pre = pre + np.array([term.value(tk) for tk in t])
                mod_mean.append(part.mean)
                mod_pre.append(pre)
            elif isinstance(part, WhiteNoise):
                self.det += part.mean
                if method == "exact":
                    w_scale.append(part.sigma * math.sqrt((1.0 - decay * decay) / 2.0))
                else:
                    w_scale.append(part.sigma / params.r * math.sqrt(params.tau / params.dt))
                w_key.append(seed_key(seed, part.stream))
            elif isinstance(part, Step):
                self.det += np.where(t >= part.onset, part.amplitude, part.baseline)
            elif isinstance(part, ArrayInput):
                arrays.append(part.values)
            else:
                raise ValueError(f"engine numba: unsupported input {part.describe()}")
        self.mod_mean = np.array(mod_mean, dtype=np.float64)
        self.mod_pre = np.array(mod_pre, dtype=np.float64).reshape(len(mod_mean), steps)
        self.u_mod = np.array(u_mod, dtype=np.int64)
        self.u_amp = np.array(u_amp, dtype=np.float64)
        self.u_key = np.array(u_key, dtype=np.uint64)
        self.w_scale = np.array(w_scale, dtype=np.float64)
        self.w_key = np.array(w_key, dtype=np.uint64)
        if arrays:
            per_neuron = any(array.ndim == 2 for array in arrays)
            width = steps
            self.arr = np.zeros((n if per_neuron else 1, width))
            for array in arrays:
                cols = min(width, array.shape[-1])
                self.arr[:, :cols] += array[..., :cols] if array.ndim == 2 else array[:cols]
            self.arr_per_neuron = per_neuron
        else:
            self.arr = np.zeros((0, 0))
            self.arr_per_neuron = False


def run_numba(
    params: LIFParams,
    inputs: Input,
    *,
    n: int,
    steps: int,
    stream: CounterStream | LegacyStream,
    spiking: bool,
    method: str,
    record_neurons: np.ndarray | None,
    record_spikes: bool,
    lags: tuple[int, ...],
    snapshot_steps: tuple[int, ...] = (),
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
    block: int | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int = 1024,
) -> RunOutput:
    """Run on the compiled engine; same contract as :func:`lifsim.engine.numpy_engine.run_numpy`.

    ``block``: neurons per block; by default :func:`block_size` of ``n``, which
    never depends on the thread count (so neither do the statistics' bits).
    """
    if not _AVAILABLE:
        raise ValueError("engine: 'numba' is not installed; pip install numba or use engine='numpy'")
    if not isinstance(stream, CounterStream):
        raise ValueError(
            "engine: the numba engine uses the counter-based stream; the tutorial's legacy "
            "stream runs on engine='numpy'"
        )
    bind_streams(inputs)
    inputs.check(params, n, steps)
    previous_threads = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(int(threads))
    try:
        return _run(
            trace_sink,
            chunk_steps,
            params,
            inputs,
            n,
            steps,
            stream,
            spiking,
            method,
            record_neurons,
            record_spikes,
            lags,
            snapshot_steps,
            progress,
            block,
        )
    finally:
        numba.set_num_threads(previous_threads)


def _run(
    trace_sink,
    chunk_steps,
    params,
    inputs,
    n,
    steps,
    stream,
    spiking,
    method,
    record_neurons,
    record_spikes,
    lags,  # type: ignore[no-untyped-def]
    snapshot_steps,
    progress,
    block,
):
    """The body of :func:`run_numba` once its thread count is set."""
    compiled = _CompiledInputs(inputs, params, n, steps, stream.seed, method)
    neurons = np.arange(n, dtype=np.uint64)
    ref_steps = refractory_steps_per_neuron(params, stream, neurons)
    # whole-run facts, found once here rather than by a scan of all n neurons in every group
    refractory = bool(ref_steps.any())
    rec_row = np.full(n, -1, dtype=np.int64)
    if record_neurons is not None:
        rec_row[record_neurons] = np.arange(record_neurons.size)
    snap_row = np.full(steps, -1, dtype=np.int64)
    for row, k in enumerate(snapshot_steps):
        if snap_row[k] >= 0:
            raise ValueError("snapshots: each time can be asked for once")
        snap_row[k] = row
    snapshots = np.empty((len(snapshot_steps), n))
    lag_array = np.array(lags, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)

    block = block_size(n) if block is None else int(block)
    n_blocks = -(-n // block)
    group = max(1, min(GROUP, n_blocks))
    mean_total = np.empty(steps)
    m2_total = np.empty(steps)
    cross_total = np.zeros((len(lags), steps))
    spike_k_parts: list[np.ndarray] = []
    spike_j_parts: list[np.ndarray] = []
    v_state = np.full(n, float(params.v0))
    hold_state = np.zeros(n, dtype=np.int64)
    depth = max(lags, default=-1) + 1
    ring_state = np.zeros((depth, n))
    lag_shift = float(params.v0)
    chunk = steps if trace_sink is None else max(1, int(chunk_steps))
    cap = 0
    if spiking and record_spikes:
        # start with room for 100 Hz; later groups size their buffers from what came before
        cap = int(min(block * chunk, 1024 + block * 100.0 * chunk * params.dt))
    decay = math.exp(-params.dt / params.tau)
    for k0 in range(0, steps, chunk):
        k1 = min(steps, k0 + chunk)
        width = k1 - k0
        trace = np.empty((0 if record_neurons is None else record_neurons.size, width))
        chunk_total: Moments | None = None
        for first in range(0, n_blocks, group):
            count = min(group, n_blocks - first)
            lo, hi = first * block, min(n, (first + count) * block)
            saved = (v_state[lo:hi].copy(), hold_state[lo:hi].copy(), ring_state[:, lo:hi].copy(), counts[lo:hi].copy())
            while True:
                out_mean = np.empty((count, width))
                out_m2 = np.empty((count, width))
                out_comom = np.zeros((count, len(lags), width))
                spike_k = np.empty((count, cap), dtype=np.int32)
                spike_j = np.empty((count, cap), dtype=np.int64)
                spike_n = np.zeros(count, dtype=np.int64)
                _run_group(
                    first,
                    count,
                    block,
                    n,
                    k0,
                    k1,
                    v_state,
                    hold_state,
                    ring_state,
                    lag_shift,
                    params.dt / params.tau,
                    decay,
                    params.el,
                    params.r,
                    params.vr,
                    params.vth,
                    method == "exact",
                    bool(spiking),
                    compiled.det,
                    compiled.arr,
                    compiled.arr_per_neuron,
                    compiled.mod_mean,
                    compiled.mod_pre,
                    compiled.u_mod,
                    compiled.u_amp,
                    compiled.u_key,
                    compiled.w_scale,
                    compiled.w_key,
                    ref_steps,
                    rec_row,
                    trace,
                    snap_row,
                    snapshots,
                    lag_array,
                    out_mean,
                    out_m2,
                    out_comom,
                    bool(spiking and record_spikes),
                    cap,
                    spike_k,
                    spike_j,
                    spike_n,
                    counts,
                    refractory,
                    record_neurons is not None,
                )
                if not (spiking and record_spikes) or spike_n.max(initial=0) <= cap:
                    break
                # a block fired more than the buffer holds: restore the group's state and
                # run it again with room for all (the counter-based stream makes it identical)
                cap = int(spike_n.max() * 1.1) + 16
                v_state[lo:hi], hold_state[lo:hi], ring_state[:, lo:hi], counts[lo:hi] = saved
            if spiking and record_spikes:
                cap = int(min(block * chunk, 1.25 * spike_n.max(initial=0) + 1024))
            for g in range(count):
                j0 = (first + g) * block
                m = min(n, j0 + block) - j0
                part = Moments(m, out_mean[g], out_m2[g])
                chunk_total = part if chunk_total is None else merge_moments(chunk_total, part)
                if spiking and record_spikes:
                    # copies, so the group's buffers are freed before the next group
                    spike_k_parts.append(spike_k[g, : spike_n[g]].copy())
                    spike_j_parts.append(spike_j[g, : spike_n[g]].astype(np.int32 if n < 2**31 else np.int64))
            if lags:
                cross_total[:, k0:k1] += out_comom.sum(axis=0) if count > 1 else out_comom[0]
            if progress is not None:
                progress(k0 * n + (hi * width), neuron_steps=True)
        assert chunk_total is not None
        mean_total[k0:k1] = chunk_total.mean
        m2_total[k0:k1] = chunk_total.m2
        if trace_sink is not None and record_neurons is not None:
            trace_sink(k0, trace)
        elif record_neurons is not None:
            full_trace = trace
    comoment = np.full((len(lags), steps), np.nan)
    for row, lag in enumerate(lags):
        # sum (x - a)(y - a) over all neurons, less n (mean_x - a)(mean_y - a)
        comoment[row, lag:] = cross_total[row, lag:] - n * (mean_total[lag:] - lag_shift) * (
            mean_total[: steps - lag] - lag_shift
        )
    spike_step = spike_i = None
    if spiking and record_spikes:
        all_k = np.concatenate(spike_k_parts) if spike_k_parts else np.zeros(0, dtype=np.int32)
        all_j = np.concatenate(spike_j_parts) if spike_j_parts else np.zeros(0, dtype=np.int64)
        order = np.argsort(all_k, kind="stable")  # time order; neuron order within a step
        del spike_k_parts, spike_j_parts
        spike_step = all_k[order].astype(np.int64)
        spike_i = all_j[order].astype(np.int64)
    return RunOutput(
        moments=Moments(n, mean_total, m2_total),
        lags=tuple(lags),
        comoment=comoment,
        trace=full_trace if (record_neurons is not None and trace_sink is None) else None,
        spike_step=spike_step if record_spikes else None,
        spike_i=spike_i if record_spikes else None,
        spike_count=counts,
        snapshots=snapshots,
    )


def needs_compile() -> bool:
    """True when the kernels are neither compiled in this process nor in numba's on-disk cache."""
    if not _AVAILABLE:
        return False
    try:
        if _run_group.signatures:
            return False
        cache = _run_group._cache  # type: ignore[attr-defined]
        return not cache._cache_file._load_index()
    except Exception:  # numba internals differ: do not guess
        return False


def block_size(n: int) -> int:
    """Neurons per block for ``n`` neurons: ``BLOCK``, or smaller so small runs still make
    at least 8 blocks for the threads to share (a multiple of 64, at least 64)."""
    per_block = -(-n // 8)  # ceil(n / 8)
    rounded = -(-per_block // 64) * 64  # up to a multiple of 64
    return int(min(BLOCK, max(64, rounded)))


def max_threads() -> int:
    """The most threads the numba engine can use (``NUMBA_NUM_THREADS``, by default the number of cores)."""
    return int(getattr(numba.config, "NUMBA_NUM_THREADS", 1)) if _AVAILABLE else 1
