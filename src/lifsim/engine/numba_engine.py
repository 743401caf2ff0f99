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

import os
from collections.abc import Callable

# LLVM's SLP vectorizer (off in numba by default) packs the unrolled group folds into vector adds; it
# changes no result (no reassociation, no fused multiply-add), only speed.  Set before numba compiles.
os.environ.setdefault("NUMBA_SLP_VECTORIZE", "1")


def _full_width_features() -> str | None:
    """The host's LLVM feature string with 512-bit vectors preferred, where the host has AVX-512; else None.

    LLVM tunes most Intel AVX-512 cores to prefer 256-bit vectors; the kernels
    here are pure vector arithmetic and run about 1.3x faster on 512-bit ones
    (measured on a Xeon: a normal pair 5.2 -> 3.9 ns, a W1 step 1.12 -> 0.80 ns
    per thread).  The width changes no result (no fused multiply-add, no
    reassociation).  A user's own ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES`` win.
    """
    if "NUMBA_CPU_FEATURES" in os.environ or "NUMBA_CPU_NAME" in os.environ:
        return None
    try:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
    except Exception:  # noqa: BLE001  (no feature query on this platform: keep numba's defaults)
        return None
    if "+avx512f" not in features.split(","):
        return None
    return features + ",-prefer-256-bit"


_FEATURES = _full_width_features()
if _FEATURES is not None:
    os.environ["NUMBA_CPU_FEATURES"] = _FEATURES

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import njit, prange, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

from ..portable import COS_COEFFICIENTS, LN2_HI, LN2_LO, LOG_COEFFICIENTS, PIO2, SIN_COEFFICIENTS, SQRT2  # noqa: E402
from ..streams import seed_key  # noqa: E402
from .host import run_range as host_loop  # noqa: E402
from .output import RangeOutput  # noqa: E402
from .plan import DET, MOD, WHITE, Drive, Outputs, RunPlan, Schedule, State  # noqa: E402

numba.core.config.SLP_VECTORIZE = 1  # type: ignore[attr-defined]  # numba was imported before: its code generator is made at the first compile
if _FEATURES is not None:
    numba.core.config.CPU_FEATURES = _FEATURES  # type: ignore[attr-defined]

__all__ = ["run_range", "advance", "available", "needs_compile", "max_threads", "splitmix64_sequence", "draws"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 2.0**-53
_TWO_M51 = 2.0**-51
_TWO53 = np.uint64(1) << np.uint64(53)
_MASK51 = (np.uint64(1) << np.uint64(51)) - np.uint64(1)
_STRIDE = np.uint64((0x9E3779B97F4A7C15 << 32) & 0xFFFFFFFFFFFFFFFF)  # GAMMA * 2**32 mod 2**64
_L0 = LOG_COEFFICIENTS[0]
_L1 = LOG_COEFFICIENTS[1]
_L2 = LOG_COEFFICIENTS[2]
_L3 = LOG_COEFFICIENTS[3]
_L4 = LOG_COEFFICIENTS[4]
_L5 = LOG_COEFFICIENTS[5]
_L6 = LOG_COEFFICIENTS[6]
_S0 = SIN_COEFFICIENTS[0]
_S1 = SIN_COEFFICIENTS[1]
_S2 = SIN_COEFFICIENTS[2]
_S3 = SIN_COEFFICIENTS[3]
_S4 = SIN_COEFFICIENTS[4]
_S5 = SIN_COEFFICIENTS[5]
_C0 = COS_COEFFICIENTS[0]
_C1 = COS_COEFFICIENTS[1]
_C2 = COS_COEFFICIENTS[2]
_C3 = COS_COEFFICIENTS[3]
_C4 = COS_COEFFICIENTS[4]
_C5 = COS_COEFFICIENTS[5]
_GROUP = 32


def available() -> bool:
    """True: this module imports only where numba is installed."""
    return True


# ---------------------------------------------------------------- random numbers


@njit(inline="always", cache=True, error_model="numpy")
def _mix(z):  # type: ignore[no-untyped-def]
    """SplitMix64's output function (Stafford's Mix13) on a uint64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True, error_model="numpy")
def _raw(key, j, draw):  # type: ignore[no-untyped-def]
    """The uint64 draw ``draw`` (0-based) of neuron ``j`` (as CounterStream.raw)."""
    return _mix(key + ((np.uint64(j) << np.uint64(32)) + np.uint64(draw + 1)) * _GAMMA)


@njit(inline="always", cache=True, error_model="numpy")
def _uniform(key, j, draw):  # type: ignore[no-untyped-def]
    """U[0, 1) with 53 random bits (as CounterStream.uniform)."""
    return float(np.int64(_raw(key, j, draw) >> np.uint64(11))) * _TWO_M53


@intrinsic
def _float_bits(typingctx, x):  # type: ignore[no-untyped-def]
    """The IEEE bits of a float64 as an int64 (a bit cast, vectorisable)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, x):  # type: ignore[no-untyped-def]
    """The float64 with the IEEE bits of an int64 (a bit cast, vectorisable)."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@njit(inline="always", cache=True, error_model="numpy")
def _neg2log(raw):  # type: ignore[no-untyped-def]
    """``-2 ln(1 - u)`` of the draw ``raw``: lifsim.portable.neg2log's values, straight-line code.

    ``m = 2**e f`` is split by bit casts of the exact float ``m`` (the same ``e``
    and ``f`` as portable's shifts and division), and the polynomial is
    unrolled, so that LLVM vectorises the whole function.
    """
    m = np.int64(_TWO53 - (raw >> np.uint64(11)))
    bits = _float_bits(float(m))
    e = (bits >> 52) - 1023
    f = _bits_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = f > SQRT2
    f = f * 0.5 if big else f
    e = e + 1 if big else e
    s = (f - 1.0) / (f + 1.0)
    z = s * s
    r = (((((_L6 * z + _L5) * z + _L4) * z + _L3) * z + _L2) * z + _L1) * z + _L0
    ln_f = 2.0 * s + s * (z * r)
    k = float(e - 53)
    return -2.0 * (k * LN2_HI + (k * LN2_LO + ln_f))


@njit(inline="always", cache=True, error_model="numpy")
def _sincos(raw):  # type: ignore[no-untyped-def]
    """``(cos, sin)`` of ``2 pi u`` for the draw ``raw``: lifsim.portable.sincos_quarter's values, straight-line."""
    k = raw >> np.uint64(11)
    q = np.int64(k >> np.uint64(51))
    w = float(np.int64(k & _MASK51)) * _TWO_M51
    upper = w > 0.5
    w = 1.0 - w if upper else w
    x = w * PIO2
    z = x * x
    ps = ((((_S5 * z + _S4) * z + _S3) * z + _S2) * z + _S1) * z + _S0
    sin_w = x + x * z * ps
    pc = ((((_C5 * z + _C4) * z + _C3) * z + _C2) * z + _C1) * z + _C0
    hz = 0.5 * z
    c = 1.0 - hz
    cos_w = c + (((1.0 - c) - hz) + z * (z * pc))
    sin_p = cos_w if upper else sin_w
    cos_p = sin_w if upper else cos_w
    # quadrant q: an odd q swaps sine and cosine; q = 1, 2 negate the cosine, q = 2, 3 the sine
    odd = (q & 1) == 1
    cos_t = sin_p if odd else cos_p
    sin_t = cos_p if odd else sin_p
    cos_t = -cos_t if ((q + 1) & 2) == 2 else cos_t
    sin_t = -sin_t if (q & 2) == 2 else sin_t
    return cos_t, sin_t


@njit(inline="always", cache=True, error_model="numpy")
def _pair(key, j, pair):  # type: ignore[no-untyped-def]
    """The two normals of Box-Muller pair ``pair`` of neuron ``j``: draws 2 pair and 2 pair + 1."""
    r = np.sqrt(_neg2log(_raw(key, j, 2 * pair)))
    c, s = _sincos(_raw(key, j, 2 * pair + 1))
    return r * c, r * s


@njit(inline="always", cache=True, error_model="numpy")
def _normal(key, j, kk, spare, w, jj):  # type: ignore[no-untyped-def]
    """N(0, 1) of neuron ``j`` at update step ``kk``: the cosine half of pair kk // 2 for even kk (its sine
    half kept in ``spare[w, jj]``, ``jj`` the neuron's place in the block), that sine half for odd kk."""
    if kk % 2 == 0:
        z, other = _pair(key, j, kk // 2)
        spare[w, jj] = other
        return z
    return spare[w, jj]


# ---------------------------------------------------------------- the canonical reduction


# ---------------------------------------------------------------- folds of full groups, unrolled
# (written out lane by lane so that LLVM's SLP vectorizer packs them into vector adds)


@njit(inline="always", cache=True, error_model="numpy")
def _fold_sum(v, b):  # type: ignore[no-untyped-def]
    """The fold by halves of v[b : b + 32] (a full group)."""
    t0 = v[b + 0] + v[b + 16]
    t1 = v[b + 1] + v[b + 17]
    t2 = v[b + 2] + v[b + 18]
    t3 = v[b + 3] + v[b + 19]
    t4 = v[b + 4] + v[b + 20]
    t5 = v[b + 5] + v[b + 21]
    t6 = v[b + 6] + v[b + 22]
    t7 = v[b + 7] + v[b + 23]
    t8 = v[b + 8] + v[b + 24]
    t9 = v[b + 9] + v[b + 25]
    t10 = v[b + 10] + v[b + 26]
    t11 = v[b + 11] + v[b + 27]
    t12 = v[b + 12] + v[b + 28]
    t13 = v[b + 13] + v[b + 29]
    t14 = v[b + 14] + v[b + 30]
    t15 = v[b + 15] + v[b + 31]
    u0 = t0 + t8
    u1 = t1 + t9
    u2 = t2 + t10
    u3 = t3 + t11
    u4 = t4 + t12
    u5 = t5 + t13
    u6 = t6 + t14
    u7 = t7 + t15
    w0 = u0 + u4
    w1 = u1 + u5
    w2 = u2 + u6
    w3 = u3 + u7
    return (w0 + w2) + (w1 + w3)


@njit(inline="always", cache=True, error_model="numpy")
def _fold_dev2(v, b, mean):  # type: ignore[no-untyped-def]
    """The fold of (v - mean)**2 over v[b : b + 32]."""
    t0 = (v[b + 0] - mean) * (v[b + 0] - mean) + (v[b + 16] - mean) * (v[b + 16] - mean)
    t1 = (v[b + 1] - mean) * (v[b + 1] - mean) + (v[b + 17] - mean) * (v[b + 17] - mean)
    t2 = (v[b + 2] - mean) * (v[b + 2] - mean) + (v[b + 18] - mean) * (v[b + 18] - mean)
    t3 = (v[b + 3] - mean) * (v[b + 3] - mean) + (v[b + 19] - mean) * (v[b + 19] - mean)
    t4 = (v[b + 4] - mean) * (v[b + 4] - mean) + (v[b + 20] - mean) * (v[b + 20] - mean)
    t5 = (v[b + 5] - mean) * (v[b + 5] - mean) + (v[b + 21] - mean) * (v[b + 21] - mean)
    t6 = (v[b + 6] - mean) * (v[b + 6] - mean) + (v[b + 22] - mean) * (v[b + 22] - mean)
    t7 = (v[b + 7] - mean) * (v[b + 7] - mean) + (v[b + 23] - mean) * (v[b + 23] - mean)
    t8 = (v[b + 8] - mean) * (v[b + 8] - mean) + (v[b + 24] - mean) * (v[b + 24] - mean)
    t9 = (v[b + 9] - mean) * (v[b + 9] - mean) + (v[b + 25] - mean) * (v[b + 25] - mean)
    t10 = (v[b + 10] - mean) * (v[b + 10] - mean) + (v[b + 26] - mean) * (v[b + 26] - mean)
    t11 = (v[b + 11] - mean) * (v[b + 11] - mean) + (v[b + 27] - mean) * (v[b + 27] - mean)
    t12 = (v[b + 12] - mean) * (v[b + 12] - mean) + (v[b + 28] - mean) * (v[b + 28] - mean)
    t13 = (v[b + 13] - mean) * (v[b + 13] - mean) + (v[b + 29] - mean) * (v[b + 29] - mean)
    t14 = (v[b + 14] - mean) * (v[b + 14] - mean) + (v[b + 30] - mean) * (v[b + 30] - mean)
    t15 = (v[b + 15] - mean) * (v[b + 15] - mean) + (v[b + 31] - mean) * (v[b + 31] - mean)
    u0 = t0 + t8
    u1 = t1 + t9
    u2 = t2 + t10
    u3 = t3 + t11
    u4 = t4 + t12
    u5 = t5 + t13
    u6 = t6 + t14
    u7 = t7 + t15
    w0 = u0 + u4
    w1 = u1 + u5
    w2 = u2 + u6
    w3 = u3 + u7
    return (w0 + w2) + (w1 + w3)


@njit(inline="always", cache=True, error_model="numpy")
def _fold_cross(x, y, b, shift):  # type: ignore[no-untyped-def]
    """The fold of (x - shift)(y - shift) over lanes b .. b + 31."""
    t0 = (x[b + 0] - shift) * (y[b + 0] - shift) + (x[b + 16] - shift) * (y[b + 16] - shift)
    t1 = (x[b + 1] - shift) * (y[b + 1] - shift) + (x[b + 17] - shift) * (y[b + 17] - shift)
    t2 = (x[b + 2] - shift) * (y[b + 2] - shift) + (x[b + 18] - shift) * (y[b + 18] - shift)
    t3 = (x[b + 3] - shift) * (y[b + 3] - shift) + (x[b + 19] - shift) * (y[b + 19] - shift)
    t4 = (x[b + 4] - shift) * (y[b + 4] - shift) + (x[b + 20] - shift) * (y[b + 20] - shift)
    t5 = (x[b + 5] - shift) * (y[b + 5] - shift) + (x[b + 21] - shift) * (y[b + 21] - shift)
    t6 = (x[b + 6] - shift) * (y[b + 6] - shift) + (x[b + 22] - shift) * (y[b + 22] - shift)
    t7 = (x[b + 7] - shift) * (y[b + 7] - shift) + (x[b + 23] - shift) * (y[b + 23] - shift)
    t8 = (x[b + 8] - shift) * (y[b + 8] - shift) + (x[b + 24] - shift) * (y[b + 24] - shift)
    t9 = (x[b + 9] - shift) * (y[b + 9] - shift) + (x[b + 25] - shift) * (y[b + 25] - shift)
    t10 = (x[b + 10] - shift) * (y[b + 10] - shift) + (x[b + 26] - shift) * (y[b + 26] - shift)
    t11 = (x[b + 11] - shift) * (y[b + 11] - shift) + (x[b + 27] - shift) * (y[b + 27] - shift)
    t12 = (x[b + 12] - shift) * (y[b + 12] - shift) + (x[b + 28] - shift) * (y[b + 28] - shift)
    t13 = (x[b + 13] - shift) * (y[b + 13] - shift) + (x[b + 29] - shift) * (y[b + 29] - shift)
    t14 = (x[b + 14] - shift) * (y[b + 14] - shift) + (x[b + 30] - shift) * (y[b + 30] - shift)
    t15 = (x[b + 15] - shift) * (y[b + 15] - shift) + (x[b + 31] - shift) * (y[b + 31] - shift)
    u0 = t0 + t8
    u1 = t1 + t9
    u2 = t2 + t10
    u3 = t3 + t11
    u4 = t4 + t12
    u5 = t5 + t13
    u6 = t6 + t14
    u7 = t7 + t15
    w0 = u0 + u4
    w1 = u1 + u5
    w2 = u2 + u6
    w3 = u3 + u7
    return (w0 + w2) + (w1 + w3)


@njit(inline="always", cache=True, error_model="numpy")
def _fold(buf):  # type: ignore[no-untyped-def]
    """The sum of buf[0:32] by folding halves (lane i + lane i + 16, i + 8, ...)."""
    for i in range(16):
        buf[i] = buf[i] + buf[i + 16]
    for i in range(8):
        buf[i] = buf[i] + buf[i + 8]
    for i in range(4):
        buf[i] = buf[i] + buf[i + 4]
    for i in range(2):
        buf[i] = buf[i] + buf[i + 2]
    return buf[0] + buf[1]


@njit(inline="always", cache=True, error_model="numpy")
def _combine(na, ma, qa, nb, mb, qb):  # type: ignore[no-untyped-def]
    """Chan's merge in the canonical operation order (lifsim.reduce.combine)."""
    count = na + nb
    fa = float(na)
    fb = float(nb)
    fn = float(count)
    d = mb - ma
    return count, ma + d * (fb / fn), qa + qb + d * d * (fa * fb / fn)


@njit(cache=True, error_model="numpy")
def _block_moments(v, m, buf, gcount, gmean, gm2):  # type: ignore[no-untyped-def]
    """The canonical (count, mean, m2) of v[0:m]: groups of 32 folded, then merged pairwise."""
    groups = (m + _GROUP - 1) // _GROUP
    full = m // _GROUP
    for q in range(full):  # full groups: no lane to mask
        base = q * _GROUP
        mean = _fold_sum(v, base) / 32.0
        gcount[q] = _GROUP
        gmean[q] = mean
        gm2[q] = _fold_dev2(v, base, mean)
    for q in range(full, groups):  # the last, partial group: missing lanes are 0.0
        base = q * _GROUP
        count = m - base
        for i in range(_GROUP):
            buf[i] = v[base + i] if i < count else 0.0
        mean = _fold(buf) / float(count)
        for i in range(_GROUP):
            d = v[base + i] - mean if i < count else 0.0
            buf[i] = d * d
        gcount[q] = count
        gmean[q] = mean
        gm2[q] = _fold(buf)
    size = groups
    while size > 1:
        pairs = size // 2
        for i in range(pairs):
            c, mu, q2 = _combine(
                gcount[2 * i], gmean[2 * i], gm2[2 * i], gcount[2 * i + 1], gmean[2 * i + 1], gm2[2 * i + 1]
            )
            gcount[i] = c
            gmean[i] = mu
            gm2[i] = q2
        if size % 2:
            gcount[pairs] = gcount[size - 1]
            gmean[pairs] = gmean[size - 1]
            gm2[pairs] = gm2[size - 1]
        size = pairs + size % 2
    return gmean[0], gm2[0]


@njit(cache=True, error_model="numpy")
def _block_cross(a, b, m, shift, buf, gsum):  # type: ignore[no-untyped-def]
    """The canonical sum of (a - shift)(b - shift) over the first m entries (groups folded, added pairwise)."""
    groups = (m + _GROUP - 1) // _GROUP
    full = m // _GROUP
    for q in range(full):
        gsum[q] = _fold_cross(a, b, q * _GROUP, shift)
    for q in range(full, groups):
        base = q * _GROUP
        count = m - base
        for i in range(_GROUP):
            buf[i] = (a[base + i] - shift) * (b[base + i] - shift) if i < count else 0.0
        gsum[q] = _fold(buf)
    size = groups
    while size > 1:
        pairs = size // 2
        for i in range(pairs):
            gsum[i] = gsum[2 * i] + gsum[2 * i + 1]
        if size % 2:
            gsum[pairs] = gsum[size - 1]
        size = pairs + size % 2
    return gsum[0]


# ---------------------------------------------------------------- one step of a block


@njit(inline="always", cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def _step_uniform(model, v, hold, ref, fired, counts, j0, kk, base, mean, pre, amp, key, refractory, keep_fired):  # type: ignore[no-untyped-def]
    """One Euler step of a block driven by ``base + mean (pre + A xi)`` (W1's input); returns the spike count.

    Branch-free, with the counter as an induction (one vector add per number), so LLVM vectorises it.
    """
    a, el, r, vr, vth, spiking = model.a, model.el, model.r, model.vr, model.vth, model.spiking
    n_fired = 0
    z0 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(kk + 1)) * _GAMMA
    if not refractory and not keep_fired:  # the leanest loop
        for jj in range(v.shape[0]):
            z = _mix(z0 + np.uint64(jj) * _STRIDE)
            u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
            current = base + mean * (pre + amp * (2 * u - 1))
            x = v[jj] + a * (el - v[jj] + r * current)
            f = (x > vth) & spiking
            v[jj] = vr if f else x
            counts[jj] += f
            n_fired += np.int64(f)
        return n_fired
    for jj in range(v.shape[0]):
        z = _mix(z0 + np.uint64(jj) * _STRIDE)
        u = float(np.int64(z >> np.uint64(11))) * _TWO_M53
        current = base + mean * (pre + amp * (2 * u - 1))
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


@njit(inline="always", cache=True, error_model="numpy")
def _white_update(model, v_j, base, has_base, w_mean, scale, z):  # type: ignore[no-untyped-def]
    """V after one step driven by ``base + (w_mean + scale z)`` (Euler) or the exact step with its OU noise."""
    if model.exact:
        if w_mean != 0.0:
            current = base + w_mean if has_base else w_mean
        else:
            current = base if has_base else 0.0
        v_inf = model.el + model.r * current
        x = v_inf + (v_j - v_inf) * model.decay
        return x + scale * z
    noise = w_mean + scale * z
    current = base + noise if has_base else noise
    return v_j + model.a * (model.el - v_j + model.r * current)


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
        z1 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(2 * pair + 1)) * _GAMMA
        z2 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(2 * pair + 2)) * _GAMMA
        for jj in range(m):
            rr = np.sqrt(_neg2log(_mix(z1 + np.uint64(jj) * _STRIDE)))
            c, s = _sincos(_mix(z2 + np.uint64(jj) * _STRIDE))
            spare[jj] = rr * s
            x = _white_update(model, v[jj], base, has_base, w_mean, scale, rr * c)
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
            zbuf[w] = _normal(drive.w_key[w], j, kk, spare, w, jj)
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
    # the input's shape decides the loop
    parts = drive.kind.shape[0]
    uniform_path = parts == 1 and drive.kind[0] == MOD and drive.u_first[1] - drive.u_first[0] == 1 and not model.exact
    white_index = -1
    if parts == 1 and drive.kind[0] == WHITE:
        white_index = 0
    elif parts == 2 and drive.kind[0] == DET and drive.kind[1] == WHITE:
        white_index = 1
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
                    0.0,
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
                            out.spike_j[g, idx] = j0 + jj
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
        _run_block(model, drive, schedule, state, out, g, first_block, block, n, k0, k1)


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
    _advance(plan.model, drive, schedule, state, out, first_block, n_blocks, plan.block, plan.n, k0, k1)


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
def _draws(key, neurons, step, normal):  # type: ignore[no-untyped-def]
    out = np.empty(neurons.shape[0])
    for index in range(neurons.shape[0]):
        j = neurons[index]
        if normal:
            c, s = _pair(key, j, step // 2)
            out[index] = c if step % 2 == 0 else s
        else:
            out[index] = _uniform(key, j, step)
    return out


def splitmix64_sequence(seed: int, count: int) -> np.ndarray:
    """The first ``count`` outputs of SplitMix64 seeded with ``seed``, from the compiled mixer (for tests)."""
    return _sequence(np.uint64(seed), count)


def draws(seed: int, stream: int, neurons: np.ndarray, step: int, kind: str) -> np.ndarray:
    """The compiled engine's uniform or normal draws for ``neurons`` at ``step`` (for tests)."""
    return _draws(seed_key(seed, stream), np.asarray(neurons, dtype=np.int64), step, kind == "normal")


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
