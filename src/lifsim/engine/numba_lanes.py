"""The numba engine's fast block kernel: a block in lane order, for the uniform-noise and white-noise inputs.

A block of ``m`` neurons is ``groups = ceil(m / 32)`` groups of 32 (the canonical
reduction's groups, :mod:`lifsim.reduce`).  Here the block's V is held in *lane
order*: ``x[i * groups + q]`` is lane ``i`` of group ``q``, that is neuron
``j0 + 32 q + i``.  Every per-step pass is then a loop over the groups with
the lane fixed, contiguous in memory:

* the update draws, integrates, applies threshold, reset and refractoriness
  for eight groups per vector (the counter of neuron ``32 q + i`` advances by
  ``32 * 2**32 * GAMMA`` from one group to the next: still one vector add per
  number); the draws are made in passes of their own, stored in a scratch
  array and read by the integration's pass (W1: all of a step's uniforms,
  then the update; W2's even steps: lane by lane the draws, their radii,
  then the angles and the normals, and then the update), because a number's
  long chain of dependent operations, alone in its loop, lets the processor
  overlap more numbers at once (measured on a Xeon: W1 6-11 %, a normal pair
  about 20 % less time);
* a full block's step (either input's update, the threshold pass, the spike
  scan and the statistics) is compiled with its count of groups as a constant (:data:`FULL_GROUPS`): its
  loops over the groups are short (64 iterations) and many, and their runtime
  overlap checks and remainder loops cost about a quarter of a white-noise step
  on a Xeon, and a tenth of W1's on an AMD EPYC;
* the statistics fold each group by halves (lane ``i`` + lane ``i + 16``, ...)
  as vertical vector additions over the groups, instead of shuffling within
  one group (:func:`lifsim.engine.numba_stats._lane_moments`), and the groups
  are merged up the canonical tree with weights computed once per block;
* spikes are found through a per-group bit mask (bit ``i``: lane ``i``
  fired), so a group without spikes costs one compare per step, and a spike
  one lowest-set-bit lookup; they are written in neuron order, and counted
  there (a pass that marks the lanes does not also count them: W1s about 7 %
  less time on an AMD EPYC).  The masks are kept only when spikes are
  recorded (or refractoriness needs its own pass, which counts its own).

Every arithmetic operation is the one of the neuron-order kernel and of the
numpy reference, in the same order: the layout changes only which numbers
sit side by side in a vector, never a result (stream version 2's bits).  The
block goes back to neuron order at the end of each call, so the host's
state, spike buffers and checkpoints see no difference.
"""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from .numba_neuron import _settle, _white_update
from .numba_random import _STRIDE, _angle_f32, _counter, _mix, _neg2log, _radius_from, _radius_reduce, _sincos
from .numba_stats import _GROUP, _block_cross, _lane_moments, _merge_groups, _merge_weights, _partial_group
from .plan import BLOCK

__all__ = ["lanes_fit", "run_block_lanes"]

#: the counter step from neuron j to neuron j + 32: 32 * 2**32 * GAMMA mod 2**64
_STRIDE32 = np.uint64((0x9E3779B97F4A7C15 << 37) & 0xFFFFFFFFFFFFFFFF)
#: the upper 53 bits of a draw, in place: ``float(z & _HIGH53) * 2**-63`` is ``2 U = float(z >> 11) * 2**-52`` exactly
#: (at most 53 significant bits convert exactly; the scaling is by a power of two), one shift fewer per number
_HIGH53 = np.uint64(0xFFFFFFFFFFFFF800)
_TWO_M63 = 2.0**-63
_TWO_63 = 2.0**63
#: the sign bit: ``(z & _HIGH53) ^ _SIGN`` read as an int64 is ``(z & _HIGH53) - 2**63``, so its float times 2**-63 is
#: ``2 U - 1`` exactly (the mask and the flip are one ternary-logic instruction on AVX-512)
_SIGN = np.uint64(0x8000000000000000)
#: fewest groups for the lane order: one 512-bit vector of groups
MIN_GROUPS = 8
#: the groups of a full block (``plan.BLOCK`` neurons: the blocks of every run of more than 8,192 neurons): the
#: update of each input, the threshold pass (refractoriness), the spike scan and the step's statistics are
#: compiled once more with this count as a constant (:func:`run_block_lanes` calls each in two branches), so that
#: LLVM knows the trip counts of their many short loops over the groups (no runtime overlap checks, no remainder
#: loops, the moments' and merges' loops unrolled), the same operations, so the same bits: a full block's
#: white-noise step about 25 % less time on a Xeon; W1 on one thread about 10 % less time on an AMD EPYC (Zen 5)
FULL_GROUPS = BLOCK // _GROUP


@njit(inline="always", cache=True, error_model="numpy")
def lanes_fit(m):  # type: ignore[no-untyped-def]
    """True when a block of ``m`` neurons has groups enough to fill a vector in lane order."""
    return (m + _GROUP - 1) // _GROUP >= MIN_GROUPS


@njit(inline="always", cache=True, error_model="numpy")
def _lane(jj, groups):  # type: ignore[no-untyped-def]
    """The lane-order index of the block's neuron ``jj``."""
    return (jj % _GROUP) * groups + jj // _GROUP


@njit(inline="always", cache=True, error_model="numpy")
def _mark(masks, q, i, fired):  # type: ignore[no-untyped-def]
    """Set bit ``i`` of group ``q``'s mask when lane ``i`` ``fired``: an OR of the bit selected by the compare's
    mask (the bit is the same for the whole loop over groups; ``int(fired) << i`` costs two vector operations
    more per eight lanes: W1s's update loop 16-19 % less time on a Xeon)."""
    masks[q] |= (np.int64(1) << i) if fired else np.int64(0)


@njit(cache=True, error_model="numpy")
def _lanes_threshold(model, x, counts, hold, ref, masks, groups, refractory):  # type: ignore[no-untyped-def]
    """Threshold, reset and refractoriness of every lane after an update that left them out (a run with
    refractoriness); counts the spikes and sets bit ``i`` of ``masks[q]`` when lane ``i`` of group ``q`` fired
    (for the spike list).  (Counting only where no spike list follows, under a flag, measured slower: the
    loop's compare, blend and count stay one vectorised pass when the count is unconditional.)"""
    vr, vth, spiking = model.vr, model.vth, model.spiking
    for i in range(_GROUP):
        row = i * groups
        for q in range(groups):
            at = row + q
            h = hold[at] if refractory else 0
            ref_j = ref[at] if model.per_neuron_ref else model.ref_steps
            y, h, f = _settle(x[at], h, ref_j, vr, vth, spiking)
            _mark(masks, q, i, f)
            counts[at] += f
            if refractory:
                hold[at] = h
            x[at] = y


@njit(inline="always", cache=True, error_model="numpy")
def _euler_uniform(v, t, a, el, r, mean, pre, amp):  # type: ignore[no-untyped-def]
    """V after one Euler step driven by ``mean (pre + A (2U - 1))`` (A), where ``amp t`` is ``A (2U - 1)``
    rounded once (:func:`_lanes_uniform`: ``A 2**-63`` times the whole number ``(2U - 1) 2**63``, or ``A`` times
    ``2U - 1``: the same double)."""
    current = mean * (pre + amp * t)
    return v + a * (el - v + r * current)


@njit(inline="always", cache=True, error_model="numpy")
def _fire(x, counts, at, y, vth, vr, firing):  # type: ignore[no-untyped-def]
    """Lane ``at`` after an update to ``y`` (V): threshold and reset (when ``firing``), its spike counted;
    returns whether it fired (the fused updates' threshold; :func:`_lanes_threshold` adds refractoriness)."""
    f = _reset(x, at, y, vth, vr, firing)
    counts[at] += f
    return f


@njit(inline="always", cache=True, error_model="numpy")
def _reset(x, at, y, vth, vr, firing):  # type: ignore[no-untyped-def]
    """Lane ``at`` after an update to ``y`` (V): threshold and reset (when ``firing``), the spike not counted
    (a pass that marks the lanes that fired: :func:`_record` counts them as it lists them); returns whether it
    fired."""
    f = (y > vth) & firing
    x[at] = vr if f else y
    return f


@njit(cache=True, error_model="numpy")
def _lanes_uniform(model, x, counts, masks, groups, j0, kk, mean, pre, amp, key, mode, t):  # type: ignore[no-untyped-def]
    """The Euler update driven by ``mean (pre + A (2 U - 1))`` (one uniform term: W1's input).

    Two passes over the block: the first draws every lane's number into the
    scratch ``t``, the second integrates.  The generator is a long chain of
    dependent operations (two 64-bit multiplies); alone in its loop, the
    processor overlaps more of its chains than when each is followed by the
    update's (the same operations, so the same bits; about 6-11 % less time
    per neuron-step on a Xeon).

    The number is stored as ``t = (2U - 1) 2**63``, a whole number: the draw's upper 53 bits with the sign bit
    flipped (``z & _HIGH53 ^ _SIGN``, one instruction), read as an int64 and converted (exact: at most 53
    significant bits).  The update multiplies ``t`` by ``A 2**-63``: the product is ``A (2U - 1)`` rounded
    once, the same double as the reference's ``A (2U - 1)``, because scaling by a power of two is exact while
    ``A 2**-63`` is a normal number.  Two vector operations per number fewer than converting ``2U``, scaling
    it and subtracting 1, and the same bits.  A tiny ``A`` (``A 2**-63`` below the normal range, checked per
    call) takes one more pass that scales ``t`` to ``2U - 1`` (exact) and is multiplied by ``A`` itself.

    ``mode`` 0: the update alone (threshold and refractoriness follow in :func:`_lanes_threshold`);
    1: with threshold and reset in the same pass, counting the spikes; 2: marking the lanes that fired instead of
    counting them (spike list: :func:`_record` counts each spike as it lists it).
    """
    a, el, r, vr, vth, spiking = model.a, model.el, model.r, model.vr, model.vth, model.spiking
    z0 = _counter(key, j0, kk)
    for i in range(_GROUP):
        counter = z0 + np.uint64(i) * _STRIDE
        row = i * groups
        for q in range(groups):
            t[row + q] = float(np.int64((_mix(counter) & _HIGH53) ^ _SIGN))  # (2U - 1) 2**63, exactly
            counter += _STRIDE32  # an induction: one vector add per number, no multiply
    factor = amp * _TWO_M63
    if factor * _TWO_63 != amp:  # A 2**-63 not exact (a subnormal that lost bits, or A not a number)
        factor = amp
        for at in range(_GROUP * groups):
            t[at] *= _TWO_M63  # 2U - 1, exactly
    if mode == 2:
        for i in range(_GROUP):
            row = i * groups
            for q in range(groups):
                y = _euler_uniform(x[row + q], t[row + q], a, el, r, mean, pre, factor)
                _mark(masks, q, i, _reset(x, row + q, y, vth, vr, spiking))  # counted by _record
    elif mode == 1:
        for at in range(_GROUP * groups):
            _fire(x, counts, at, _euler_uniform(x[at], t[at], a, el, r, mean, pre, factor), vth, vr, spiking)
    else:
        for at in range(_GROUP * groups):
            x[at] = _euler_uniform(x[at], t[at], a, el, r, mean, pre, factor)


@njit(inline="always", cache=True, error_model="numpy")
def _white_settle(model, how, values, x, counts, masks, at, q, i, z):  # type: ignore[no-untyped-def]
    """Lane ``at`` (lane ``i`` of group ``q``) through one white-noise step with the normal ``z``: the update
    (``values``: the input's ``(base, w_mean, scale)``), then (``firing``) threshold and reset, its spike counted,
    or (``mark``) marked in ``masks[q]`` for :func:`_record` to count; ``how`` is ``(has_base, firing, mark)``."""
    has_base, firing, mark = how
    base, w_mean, scale = values
    y = _white_update(model, x[at], base, has_base, w_mean, scale, z)
    if mark:
        _mark(masks, q, i, _reset(x, at, y, model.vth, model.vr, firing))
    else:
        _fire(x, counts, at, y, model.vth, model.vr, firing)


@njit(cache=True, error_model="numpy")
def _pairs_f32(raw, rad, k32, normal, spare, first, groups):  # type: ignore[no-untyped-def]
    """Stream version 3's Box-Muller pairs of the whole block (lane ``i``'s first draw has the counter ``first +
    i _STRIDE``): the cosine halves into ``normal``, the sine halves into ``spare``, both in lane order.  Lane by
    lane, four passes over the groups: the draws into the scratch ``raw``; the radii's exact reductions (float64
    and integer work) into ``rad`` and ``k32``; the radii themselves, float32 only, in place in ``rad``; then the
    angles and the normals.  The generator's long dependent chains are cut into loops whose iterations the
    processor overlaps, and the float32 pass runs sixteen lanes to a vector where a loop with 64-bit work runs
    eight (the same operations, the same bits; a normal pair about 20 % less time on a Xeon from the passes, 9-11 %
    more from the float32 pass).  One call a step: a call per lane cost about 15 % of the generator's time."""
    for i in range(_GROUP):
        row = i * groups
        c0 = first + np.uint64(i) * _STRIDE
        for q in range(groups):
            raw[q] = _mix(c0)
            c0 += _STRIDE32
        for q in range(groups):
            rad[q], k32[q] = _radius_reduce(raw[q])
        for q in range(groups):
            rad[q] = _radius_from(rad[q], k32[q])
        for q in range(groups):
            cos_t, sin_t = _angle_f32(raw[q])
            spare[row + q] = float(rad[q] * sin_t)
            normal[row + q] = float(rad[q] * cos_t)


@njit(cache=True, error_model="numpy")
def _pairs_f64(normal, spare, first, second, groups):  # type: ignore[no-untyped-def]
    """Stream version 2's Box-Muller pairs of the whole block (two draws a pair: lane ``i``'s counters ``first + i
    _STRIDE`` and ``second + i _STRIDE``), as :func:`_pairs_f32`."""
    for i in range(_GROUP):
        row = i * groups
        lane = np.uint64(i) * _STRIDE
        c1 = first + lane
        c2 = second + lane
        for q in range(groups):
            rr = np.sqrt(_neg2log(_mix(c1)))
            c, s = _sincos(_mix(c2))
            c1 += _STRIDE32
            c2 += _STRIDE32
            spare[row + q] = rr * s
            normal[row + q] = rr * c


@njit(cache=True, error_model="numpy")
def _lanes_white(model, x, spare, counts, masks, groups, j0, kk, step, key, mark, raw, rad, k32, normal):  # type: ignore[no-untyped-def]
    """The update driven by ``base`` plus one white-noise term (W2's input): even steps make the Box-Muller pair
    and keep its sine half in ``spare``, odd steps use it.  ``step`` is ``(base, has_base, w_mean, scale,
    firing)``: with ``firing`` (a spiking run without refractoriness) threshold and reset follow in the same pass,
    counting spikes or, with ``mark`` (spikes recorded), setting bit ``i`` of ``masks[q]`` when lane ``i`` of
    group ``q`` fired (:func:`_record` counts them); with refractoriness, :func:`_lanes_threshold` follows.

    An even step makes the block's pairs (:func:`_pairs_f32`, :func:`_pairs_f64`: the cosine halves into the
    block-sized scratch ``normal``) and then updates the block from them, in the loop an odd step runs on
    ``spare``.  :func:`run_block_lanes` calls it with ``groups`` a constant for a full block
    (:data:`FULL_GROUPS`): with the loops' trip counts known, copies of the step with the update's switches as
    constants (which an earlier version kept: 4-7 % less time then) gave nothing more, so there is one."""
    base, has_base, w_mean, scale, firing = step
    how = (has_base, firing, mark)
    values = (base, w_mean, scale)
    z = spare  # an odd step: the sine halves the even step kept
    if kk % 2 == 0:
        pair = kk // 2
        if model.normals == 3:  # one draw a pair
            _pairs_f32(raw, rad, k32, normal, spare, _counter(key, j0, pair), groups)
        else:  # draws 2 pair and 2 pair + 1
            _pairs_f64(normal, spare, _counter(key, j0, 2 * pair), _counter(key, j0, 2 * pair + 1), groups)
        z = normal
    if mark:
        for i in range(_GROUP):
            row = i * groups
            for q in range(groups):
                _white_settle(model, how, values, x, counts, masks, row + q, q, i, z[row + q])
    else:
        for at in range(_GROUP * groups):
            _white_settle(model, how, values, x, counts, masks, at, 0, 0, z[at])


@njit(cache=True, error_model="numpy")
def _record(out, g, k, masks, counts, count, groups, m):  # type: ignore[no-untyped-def]
    """Append this step's spikes of the block, in neuron order, to block ``g``'s buffer, from the groups' masks
    of lanes that fired (bit i: lane i), and (``count``) count each in ``counts`` (lane order); clear the masks.

    The updates that mark the lanes (no refractoriness) leave the counting to this scan (``count``): a step's
    dozen spikes counted here one by one cost less than every lane's count updated in the vectorised pass (W1s
    about 7 % less time on one thread of an AMD EPYC); :func:`_lanes_threshold` counts its own.

    A vectorised pass packs "group ``q`` has a spike" into one bit per group (64 groups to a word), and the
    scan visits only those groups, each spike by its lowest set bit (``cttz``).  A scan that tested every
    group's mask mispredicted a branch at about every group with a spike (a dozen a step at 60 Hz in a block
    of 2,048): the packed scan takes a third of its time (about 0.03 against 0.09 ns per neuron-step on a
    Xeon, ``benchmarks/bench_lane_parts.py``)."""
    cap = out.spike_k.shape[1]
    idx = out.spike_n[g]
    for w0 in range(0, groups, 64):
        busy = np.uint64(0)  # bit q - w0: group q has a spike
        for q in range(w0, min(groups, w0 + 64)):
            busy |= np.uint64(masks[q] != 0) << np.uint64(q - w0)
        while busy != 0:
            q = w0 + np.int64(trailing_zeros(busy))
            busy &= busy - np.uint64(1)
            bits = masks[q]
            masks[q] = 0
            while bits != 0:
                lane = np.int64(trailing_zeros(bits))
                jj = q * _GROUP + lane
                bits &= bits - 1
                if jj < m:  # a partial group's missing lanes are not neurons
                    if count:
                        counts[lane * groups + q] += 1
                    if idx < cap:
                        out.spike_k[g, idx] = k
                        out.spike_j[g, idx] = jj  # within the block
                    idx += 1
    out.spike_n[g] = idx


@njit(cache=True, error_model="numpy")
def _to_lanes(src, dst, groups, m, fill):  # type: ignore[no-untyped-def]
    """Neuron-order ``src[0:m]`` into lane-order ``dst`` (missing lanes of a partial group: ``fill``)."""
    for at in range(dst.shape[0]):
        dst[at] = fill
    for jj in range(m):
        dst[_lane(jj, groups)] = src[jj]


@njit(cache=True, error_model="numpy")
def _from_lanes(src, dst, groups, m):  # type: ignore[no-untyped-def]
    """Lane-order ``src`` back into neuron-order ``dst[0:m]``."""
    for jj in range(m):
        dst[jj] = src[_lane(jj, groups)]


@njit(cache=True, error_model="numpy")
def _observe_more(model, schedule, state, out, g, x, vt, groups, m, j0, s0, k, c, rec_lo, rec_hi, buf, gsum):  # type: ignore[no-untyped-def]
    """Time point ``k``'s lag sums, traces (recorded neurons ``rec_lo .. rec_hi - 1`` of the schedule) and
    snapshot of the block: what a run asks for besides its statistics."""
    n_lags = schedule.lags.shape[0]
    if n_lags > 0:
        _from_lanes(x, vt, groups, m)
        depth = state.ring.shape[0]
        slot = k % depth
        for jj in range(m):
            state.ring[slot, s0 + jj] = vt[jj]
        for li in range(n_lags):
            lag = schedule.lags[li]
            if k >= lag:
                previous = state.ring[(k - lag) % depth, s0 : s0 + m]
                out.lag[g, li, c] = _block_cross(previous, vt, m, model.lag_shift, buf, gsum)
    for idx in range(rec_lo, rec_hi):
        out.trace[schedule.rec_rows[idx], c] = x[_lane(schedule.rec_neurons[idx] - j0, groups)]
    row = schedule.snap_row[c]
    if row >= 0:
        for jj in range(m):
            state.snapshots[row, s0 + jj] = x[_lane(jj, groups)]


@njit(cache=True, error_model="numpy")
def run_block_lanes(model, drive, schedule, state, out, g, j0, m, s0, k0, k1, white_index):  # type: ignore[no-untyped-def]
    """Block ``g`` (neurons ``j0 .. j0 + m - 1``, at ``s0`` in the state arrays) through time points
    ``k0 .. k1 - 1``, in lane order; ``white_index`` is the white part's index, or -1 for the uniform input."""
    groups = (m + _GROUP - 1) // _GROUP
    size = _GROUP * groups
    refractory = state.hold.shape[0] > 0
    record = schedule.record_spikes
    x = np.empty(size)
    _to_lanes(state.v[s0 : s0 + m], x, groups, m, model.vr)
    hold = np.zeros(size if refractory else 0, np.int64)
    if refractory:
        _to_lanes(state.hold[s0 : s0 + m], hold, groups, m, 0)
    ref = np.zeros(size if model.per_neuron_ref else 0, np.int64)
    if model.per_neuron_ref:
        _to_lanes(state.ref[s0 : s0 + m], ref, groups, m, 0)
    spare = np.zeros(size if white_index >= 0 else 0)
    if white_index >= 0:
        w = drive.slot[white_index]
        _to_lanes(state.spare[w, s0 : s0 + m], spare, groups, m, 0.0)
    draws = np.empty(size if white_index < 0 else 0)  # the uniform kernel's draws of one step
    raw = np.empty(groups if white_index >= 0 else 0, np.uint64)  # the white kernel's draws of one lane
    rad = np.empty(groups if white_index >= 0 else 0, np.float32)  # and their radii
    k32 = np.empty(groups if white_index >= 0 else 0, np.float32)  # and the radii's binary exponents
    normal = np.empty(size if white_index >= 0 else 0)  # the white kernel's cosine halves of one even step
    counts = np.zeros(size, np.int32)  # spikes in this call (fewer than its steps): half the traffic of int64
    masks = np.zeros(groups, np.int64)  # per group: bit i set when lane i fired this step
    gmean = np.empty(groups)
    gm2 = np.empty(groups)
    w1, w2 = _merge_weights(m)
    buf = np.empty(_GROUP)
    gsum = np.empty(groups)
    vt = np.empty(m)
    full = m // _GROUP
    partial = full < groups
    rec_lo = np.searchsorted(schedule.rec_neurons, j0)  # the block's recorded neurons: a slice of the sorted list
    rec_hi = np.searchsorted(schedule.rec_neurons, j0 + m)
    more = schedule.lags.shape[0] > 0 or rec_hi > rec_lo or (schedule.snap_row >= 0).any()
    for k in range(k0, k1):
        c = k - k0
        if k > 0:
            kk = k - 1
            column = kk - drive.offset
            if white_index < 0:
                mean, pre, amp, key = drive.mean[0], drive.rows[drive.slot[0], column], drive.u_amp[0], drive.u_key[0]
                mode = 0 if refractory else (2 if record else 1)
                if groups == FULL_GROUPS:  # a full block: the loops' trip counts compiled in (see FULL_GROUPS)
                    _lanes_uniform(model, x, counts, masks, FULL_GROUPS, j0, kk, mean, pre, amp, key, mode, draws)
                else:
                    _lanes_uniform(model, x, counts, masks, groups, j0, kk, mean, pre, amp, key, mode, draws)
            else:
                base = drive.rows[drive.slot[0], column] if white_index == 1 else 0.0
                w = drive.slot[white_index]
                mean, scale, key = drive.mean[white_index], drive.w_scale[w], drive.w_key[w]
                # with refractoriness, _lanes_threshold follows (and marks the lanes that fired)
                firing = model.spiking and not refractory  # False: V is left as the update made it
                step = (base, white_index == 1, mean, scale, firing)
                mark = record and firing
                if groups == FULL_GROUPS:  # a full block: the loops' trip counts compiled in (see FULL_GROUPS)
                    _lanes_white(
                        model, x, spare, counts, masks, FULL_GROUPS, j0, kk, step, key, mark, raw, rad, k32, normal
                    )
                else:
                    _lanes_white(model, x, spare, counts, masks, groups, j0, kk, step, key, mark, raw, rad, k32, normal)
            if refractory:
                if groups == FULL_GROUPS:
                    _lanes_threshold(model, x, counts, hold, ref, masks, FULL_GROUPS, refractory)
                else:
                    _lanes_threshold(model, x, counts, hold, ref, masks, groups, refractory)
            if record:
                if groups == FULL_GROUPS:
                    _record(out, g, k, masks, counts, not refractory, FULL_GROUPS, m)
                else:
                    _record(out, g, k, masks, counts, not refractory, groups, m)
            elif refractory:  # _lanes_threshold marked the lanes that fired: no spike list wants them
                masks[:] = 0
        # the statistics as the update: a full block's trip counts compiled in (one function taking both counts
        # measured slower: W1 0.36 against 0.33 ns per neuron-step on an AMD EPYC)
        if groups == FULL_GROUPS:
            _lane_moments(x, FULL_GROUPS, gmean, gm2)
        else:
            _lane_moments(x, groups, gmean, gm2)
        if partial:  # the last group's own fold: only its first lanes hold neurons
            gmean[groups - 1], gm2[groups - 1] = _partial_group(x, groups, groups - 1, m - full * _GROUP, buf)
        if groups == FULL_GROUPS:
            out.mean[g, c], out.m2[g, c] = _merge_groups(gmean, gm2, FULL_GROUPS, w1, w2)
        else:
            out.mean[g, c], out.m2[g, c] = _merge_groups(gmean, gm2, groups, w1, w2)
        if more:
            _observe_more(model, schedule, state, out, g, x, vt, groups, m, j0, s0, k, c, rec_lo, rec_hi, buf, gsum)
    _from_lanes(x, state.v[s0 : s0 + m], groups, m)
    if refractory:
        _from_lanes(hold, state.hold[s0 : s0 + m], groups, m)
    if white_index >= 0:
        _from_lanes(spare, state.spare[drive.slot[white_index], s0 : s0 + m], groups, m)
    for jj in range(m):
        state.counts[s0 + jj] += counts[_lane(jj, groups)]
