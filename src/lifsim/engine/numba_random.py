"""Counter-based random numbers for the numba kernels: SplitMix64 draws, uniforms and portable normals.

Neuron ``j``'s draw ``d`` under a noise term's key is ``mix(key + (j * 2**32 + d + 1) * GAMMA)``
(:class:`lifsim.streams.CounterStream`); normals are lifsim's portable Box-Muller
(:mod:`lifsim.portable`: version 3 in float32 from one draw a pair, version 2 in float64 from two)
written as straight-line code that LLVM vectorises: the same operations in the same order, so the
bits equal the numpy reference's.  numba's settings come from
:mod:`.numba_setup`, imported first.
"""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from ..portable import COS_COEFFICIENTS, F32, LN2_HI, LN2_LO, LOG_COEFFICIENTS, PIO2, SIN_COEFFICIENTS, SQRT2

__all__ = [
    "_GAMMA",
    "_STRIDE",
    "_TWO_M53",
    "_mix",
    "_counter",
    "_raw",
    "_uniform",
    "_neg2log",
    "_sincos",
    "_pair",
    "_box_muller_f32",
    "_radius_f32",
    "_radius_reduce",
    "_radius_from",
    "_angle_f32",
    "_pair_of",
    "_normal",
]

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
# stream version 3: float32 constants (numba keeps a global np.float32 a float32)
_FL0, _FL1, _FL2, _FL3 = F32.LOG
_FS0, _FS1, _FS2, _FS3 = F32.SIN
_FC0, _FC1, _FC2, _FC3 = F32.COS
_F_LN2_HI = F32.LN2_HI
_F_LN2_LO = F32.LN2_LO
_F_PIO2 = F32.PIO2
_F_HALF = F32.HALF
_F_ONE = F32.ONE
_F_TWO = F32.TWO
_TWO32 = np.uint64(1) << np.uint64(32)
_MASK32 = _TWO32 - np.uint64(1)
_MASK30 = (np.uint64(1) << np.uint64(30)) - np.uint64(1)
_TWO_M30 = 2.0**-30


@njit(inline="always", cache=True, error_model="numpy")
def _mix(z):  # type: ignore[no-untyped-def]
    """SplitMix64's output function (Stafford's Mix13) on a uint64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True, error_model="numpy")
def _counter(key, j, draw):  # type: ignore[no-untyped-def]
    """The SplitMix64 state whose output is draw ``draw`` (0-based) of neuron ``j``; neuron ``j + 1``'s is this
    plus ``_STRIDE`` (mod 2**64), so a block's kernels advance it by additions."""
    return key + ((np.uint64(j) << np.uint64(32)) + np.uint64(draw + 1)) * _GAMMA


@njit(inline="always", cache=True, error_model="numpy")
def _raw(key, j, draw):  # type: ignore[no-untyped-def]
    """The uint64 draw ``draw`` (0-based) of neuron ``j`` (as CounterStream.raw)."""
    return _mix(_counter(key, j, draw))


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
def _binade(m):  # type: ignore[no-untyped-def]
    """``(e, f)`` with ``m = 2**e f`` exactly, ``f`` in ``[sqrt(1/2), sqrt(2)]``, for an int64 ``1 <= m <= 2**53``:
    by bit casts of the exact float ``m`` (lifsim.portable's shifts and division give the same ``e`` and ``f``)."""
    bits = _float_bits(float(m))
    e = (bits >> 52) - 1023
    f = _bits_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = f > SQRT2
    return (e + 1 if big else e), (f * 0.5 if big else f)


@njit(inline="always", cache=True, error_model="numpy")
def _neg2log(raw):  # type: ignore[no-untyped-def]
    """``-2 ln(1 - u)`` of the draw ``raw``: lifsim.portable.neg2log's values, straight-line code.

    ``m = 2**e f`` is split by bit casts of the exact float ``m`` (the same ``e``
    and ``f`` as portable's shifts and division), and the polynomial is
    unrolled, so that LLVM vectorises the whole function.
    """
    m = np.int64(_TWO53 - (raw >> np.uint64(11)))
    e, f = _binade(m)
    s = (f - 1.0) / (f + 1.0)
    z = s * s
    r = (((((_L6 * z + _L5) * z + _L4) * z + _L3) * z + _L2) * z + _L1) * z + _L0
    ln_f = 2.0 * s + s * (z * r)
    k = float(e - 53)
    return -2.0 * (k * LN2_HI + (k * LN2_LO + ln_f))


@njit(inline="always", cache=True, error_model="numpy")
def _turn(q, upper, cos_w, sin_w):  # type: ignore[no-untyped-def]
    """``(cos, sin)`` of the whole angle from those of its folded fraction of a quarter turn (float32 or float64):
    ``upper``, the fraction was folded (``sin(pi/2 w) = cos(pi/2 (1 - w))``); quadrant ``q``: an odd ``q`` swaps sine
    and cosine, ``q`` = 1, 2 negate the cosine, ``q`` = 2, 3 the sine (selects and negations: exact)."""
    sin_p = cos_w if upper else sin_w
    cos_p = sin_w if upper else cos_w
    odd = (q & 1) == 1
    cos_t = sin_p if odd else cos_p
    sin_t = cos_p if odd else sin_p
    cos_t = -cos_t if ((q + 1) & 2) == 2 else cos_t
    sin_t = -sin_t if (q & 2) == 2 else sin_t
    return cos_t, sin_t


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
    return _turn(q, upper, cos_w, sin_w)


@njit(inline="always", cache=True, error_model="numpy")
def _pair(key, j, pair):  # type: ignore[no-untyped-def]
    """The two normals of Box-Muller pair ``pair`` of neuron ``j``: draws 2 pair and 2 pair + 1."""
    r = np.sqrt(_neg2log(_raw(key, j, 2 * pair)))
    c, s = _sincos(_raw(key, j, 2 * pair + 1))
    return r * c, r * s


@njit(inline="always", cache=True, error_model="numpy")
def _radius_reduce(raw):  # type: ignore[no-untyped-def]
    """The exact range reduction of stream version 3's radius (float64 and integer work): ``(d, k)`` as float32,
    ``d = f - 1`` and ``k = 32 - e`` for the upper 32 bits' ``m = 2**32 - hi = 2**e f``."""
    m = np.int64(_TWO32 - (raw >> np.uint64(32)))
    e, f = _binade(m)
    return np.float32(f - 1.0), np.float32(32 - e)


@njit(inline="always", cache=True, error_model="numpy")
def _radius_from(d, k):  # type: ignore[no-untyped-def]
    """Stream version 3's radius from its reduction ``(d, k)`` (:func:`_radius_reduce`): float32 arithmetic only,
    so that a loop of it alone runs sixteen lanes to a 512-bit vector."""
    s = d / (d + _F_TWO)
    z = s * s
    ln_f = (s + s) + s * (z * (((_FL3 * z + _FL2) * z + _FL1) * z + _FL0))
    x = (k * _F_LN2_HI - ln_f) + k * _F_LN2_LO
    return np.sqrt(x + x)


@njit(inline="always", cache=True, error_model="numpy")
def _radius_f32(raw):  # type: ignore[no-untyped-def]
    """Stream version 3's radius ``sqrt(-2 ln(1 - u1))`` (float32) of one draw: the upper 32 bits, the range
    reduction exact in float64, then float32 arithmetic (lifsim.portable.neg2log_f32's values, then the root)."""
    d, k = _radius_reduce(raw)
    return _radius_from(d, k)


@njit(inline="always", cache=True, error_model="numpy")
def _angle_f32(raw):  # type: ignore[no-untyped-def]
    """Stream version 3's ``(cos, sin)`` (float32) of the angle in the lower 32 bits of one draw
    (lifsim.portable.sincos_f32's values)."""
    low = raw & _MASK32
    q = np.int64(low >> np.uint64(30))
    w = float(np.int64(low & _MASK30)) * _TWO_M30
    upper = w > 0.5
    w = 1.0 - w if upper else w
    xx = np.float32(w) * _F_PIO2
    zz = xx * xx
    sin_w = xx + xx * (zz * (((_FS3 * zz + _FS2) * zz + _FS1) * zz + _FS0))
    cos_w = (_F_ONE - _F_HALF * zz) + zz * (zz * (((_FC3 * zz + _FC2) * zz + _FC1) * zz + _FC0))
    return _turn(q, upper, cos_w, sin_w)


@njit(inline="always", cache=True, error_model="numpy")
def _box_muller_f32(raw):  # type: ignore[no-untyped-def]
    """Stream version 3's two normals of one draw: lifsim.portable.box_muller_f32's values, straight-line code
    (the radius times the cosine and the sine, in float32, each normal widened exactly).  A loop over many
    draws may run the halves as separate passes (:func:`_radius_f32`, :func:`_angle_f32`): the same bits."""
    r = _radius_f32(raw)
    cos_t, sin_t = _angle_f32(raw)
    return float(r * cos_t), float(r * sin_t)


@njit(inline="always", cache=True, error_model="numpy")
def _pair_of(key, j, pair, normals):  # type: ignore[no-untyped-def]
    """The two normals of pair ``pair`` of neuron ``j`` in stream version ``normals`` (3: one draw, 2: two)."""
    if normals == 3:
        return _box_muller_f32(_raw(key, j, pair))
    return _pair(key, j, pair)


@njit(inline="always", cache=True, error_model="numpy")
def _normal(key, j, kk, spare, w, jj, normals):  # type: ignore[no-untyped-def]
    """N(0, 1) of neuron ``j`` at update step ``kk``: the cosine half of pair kk // 2 for even kk (its sine
    half kept in ``spare[w, jj]``, ``jj`` the neuron's place in the block), that sine half for odd kk."""
    if kk % 2 == 0:
        z, other = _pair_of(key, j, kk // 2, normals)
        spare[w, jj] = other
        return z
    return spare[w, jj]
