"""Normal random numbers with the same bits on every machine and engine.

Box-Muller turns two uniforms into two standard normals,
``r cos(theta)`` and ``r sin(theta)`` with ``r = sqrt(-2 ln(1 - u1))`` and
``theta = 2 pi u2``.  Platform libraries compute ``log`` and ``cos``
differently (glibc, SVML, CUDA each round their own way), so lifsim computes
them itself, with IEEE-exact operations only: ``+ - * /``, ``sqrt``,
comparisons, selects and integer bit operations, no fused multiply-add.
numpy, the numba kernels and a CUDA kernel compiled with ``--fmad=false``
then give the same bits.

* **log**: ``1 - u1 = M 2**-53`` with the integer ``M`` in ``[1, 2**53]``;
  ``M = 2**e f`` splits exactly (the exponent found with integer shifts, ``f``
  by a division by a power of two), ``f`` in ``[sqrt(1/2), sqrt(2))``, and
  ``ln f = 2 atanh(s) = 2 s + s R(s**2)``, ``s = (f-1)/(f+1)``, with fdlibm's
  seven minimax coefficients for ``R``; ``ln(1 - u1) = (e - 53) ln 2 + ln f``
  with ``ln 2`` split so that ``(e - 53) ln2_hi`` is exact.
* **cos, sin of 2 pi u2**: ``u2 = K 2**-53`` is dyadic, so the quadrant
  ``q = K >> 51`` and the fraction ``w`` of a quarter turn are exact; ``w`` is
  folded to ``[0, 1/2]`` (``sin(pi/2 w) = cos(pi/2 (1 - w))``, exact since
  ``1 - w`` is), ``x = (pi/2) w`` is in ``[0, pi/4]``, and fdlibm's kernel
  polynomials (six minimax coefficients each) give ``sin x`` and ``cos x``.

Against ``scipy``/libm the values differ by a few units in the last place
(see ``tests/test_portable.py`` for the measured maximum); the draws pass
the moment, Kolmogorov-Smirnov, tail and correlation tests there.

Both outputs are used: the normal of step ``k`` is the cosine output of the
pair ``p = k // 2`` for even ``k`` and its sine output for odd ``k``.

Two versions of the transform, one per stream version (:mod:`lifsim.streams`):

* **version 3** (the default), :func:`box_muller_f32`: the pair ``p`` is made from
  the one draw ``p``, its upper 32 bits giving ``1 - u1 = M 2**-32`` (``M`` in
  ``[1, 2**32]``) and its lower 32 bits the angle (2 bits of quadrant, 30 of
  fraction).  The range reduction is exact as in version 2 (``M = 2**e f``,
  ``f`` folded to ``[sqrt(1/2), sqrt(2)]``, ``f - 1`` exact in float64); the
  polynomials, the division, the square root and the products are then
  evaluated in IEEE single precision (float32: ``2 atanh s`` to ``s**9``,
  ``sin`` to ``x**9`` and ``cos`` to ``x**10``, Taylor coefficients rounded to
  float32), and each normal is widened to float64 exactly.  Half the draws
  and a fraction of the arithmetic of version 2.  Accuracy (measured in
  ``tests/test_portable.py`` against 80-bit long double): ``-2 ln(1 - u1)``
  within 2.2 float32 ulp, ``cos``/``sin`` within 1.2e-7 absolute, every
  normal within 2.1e-7 ``r`` of the exact transform of its draw (``r`` the
  pair's radius: about two float32 ulps); ``|z| <= sqrt(64 ln 2) = 6.66``.
* **version 2**, :func:`box_muller`: the pair ``p`` from the draws ``2p`` and
  ``2p + 1`` (53 bits each), everything in float64 as described above; within
  a few units in the last place of the exact transform.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SQRT2",
    "PIO2",
    "LN2_HI",
    "LN2_LO",
    "LOG_COEFFICIENTS",
    "SIN_COEFFICIENTS",
    "COS_COEFFICIENTS",
    "neg2log",
    "sincos_quarter",
    "box_muller",
    "neg2log_f32",
    "sincos_f32",
    "box_muller_f32",
    "F32",
    "exp",
]

SQRT2 = 1.4142135623730951
PIO2 = 1.5707963267948966  #: pi / 2, rounded
#: ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 trailing zero bits (fdlibm's split)
LN2_HI = 0.6931471803691238
LN2_LO = 1.9082149292705877e-10
#: ln f = 2 s + s R(s**2), R(z) = z (Lg1 + z (Lg2 + ... + z Lg7)): the minimax coefficients of
#: fdlibm's e_log.c (Sun Microsystems, freely distributable), for |s| <= 0.1716
LOG_COEFFICIENTS = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
#: sin x = x + x z (S1 + z (S2 + ... + z S6)), z = x**2, |x| <= pi/4: fdlibm's k_sin.c
SIN_COEFFICIENTS = (
    -1.66666666666666324348e-01,
    8.33333333332248946124e-03,
    -1.98412698298579493134e-04,
    2.75573137070700676789e-06,
    -2.50507602534068634195e-08,
    1.58969099521155010221e-10,
)
#: cos x = 1 - z/2 + z z (C1 + z (C2 + ... + z C6)), |x| <= pi/4: fdlibm's k_cos.c
COS_COEFFICIENTS = (
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
)

_U53 = np.uint64(11)  # raw >> 11: the 53 random bits
_TWO53 = np.uint64(1) << np.uint64(53)
_MASK51 = (np.uint64(1) << np.uint64(51)) - np.uint64(1)
_TWO_M51 = 2.0**-51


def _horner(x: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """``sum_k c_k x**k`` by Horner's rule, highest power first (the kernels use this very order)."""
    p = np.full_like(x, coefficients[-1])
    for c in coefficients[-2::-1]:
        p = p * x + c
    return p


def _binade(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(e, f)`` with ``m = 2**e f`` exactly and ``f`` in ``[sqrt(1/2), sqrt(2)]``, for uint64 ``1 <= m <= 2**53``:
    ``e = floor(log2 m)`` by a binary search on integer shifts, ``f`` by a division by a power of two (exact),
    then ``f`` folded above ``sqrt(2)`` (a halving, exact)."""
    e = np.zeros(m.shape, dtype=np.int64)
    for shift in (32, 16, 8, 4, 2, 1):
        found = (m >> (e + shift).astype(np.uint64)) != 0
        e = np.where(found, e + shift, e)
    f = m.astype(np.float64) / (np.uint64(1) << e.astype(np.uint64)).astype(np.float64)  # in [1, 2), exact
    big = f > SQRT2
    return np.where(big, e + 1, e), np.where(big, f * 0.5, f)


def neg2log(raw1: np.ndarray) -> np.ndarray:
    """``-2 ln(1 - u1)`` for the uniform ``u1 = (raw1 >> 11) 2**-53`` of uint64 draws ``raw1``."""
    m = _TWO53 - (np.asarray(raw1, dtype=np.uint64) >> _U53)  # 1 .. 2**53
    e, f = _binade(m)
    s = (f - 1.0) / (f + 1.0)
    z = s * s
    ln_f = 2.0 * s + s * (z * _horner(z, LOG_COEFFICIENTS))
    k = (e - 53).astype(np.float64)
    ln_x = k * LN2_HI + (k * LN2_LO + ln_f)
    return -2.0 * ln_x


def sincos_quarter(raw2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cos(2 pi u2), sin(2 pi u2))`` for the uniform ``u2 = (raw2 >> 11) 2**-53`` of uint64 draws ``raw2``."""
    k = np.asarray(raw2, dtype=np.uint64) >> _U53
    q = (k >> np.uint64(51)).astype(np.int64)  # the quadrant, 0..3
    w = (k & _MASK51).astype(np.float64) * _TWO_M51  # the fraction of a quarter turn, in [0, 1)
    upper = w > 0.5
    w = np.where(upper, 1.0 - w, w)  # exact; sin(pi/2 w) = cos(pi/2 (1 - w))
    x = w * PIO2  # in [0, pi/4]
    z = x * x
    sin_w = x + x * z * _horner(z, SIN_COEFFICIENTS)
    hz = 0.5 * z
    c = 1.0 - hz
    cos_w = c + (((1.0 - c) - hz) + z * (z * _horner(z, COS_COEFFICIENTS)))
    sin_p = np.where(upper, cos_w, sin_w)
    cos_p = np.where(upper, sin_w, cos_w)
    cos_t = np.where(q == 0, cos_p, np.where(q == 1, -sin_p, np.where(q == 2, -cos_p, sin_p)))
    sin_t = np.where(q == 0, sin_p, np.where(q == 1, cos_p, np.where(q == 2, -sin_p, -cos_p)))
    return cos_t, sin_t


def box_muller(raw1: np.ndarray, raw2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two standard normals ``(r cos theta, r sin theta)`` of the uint64 draws ``raw1``, ``raw2``."""
    r = np.sqrt(neg2log(raw1))
    cos_t, sin_t = sincos_quarter(raw2)
    return r * cos_t, r * sin_t


class F32:
    """The float32 constants of stream version 3's transform (each the float32 nearest the value named)."""

    #: ln 2 = LN2_HI + LN2_LO, LN2_HI with 15 significant bits, so that k LN2_HI is exact for k <= 32
    LN2_HI = np.float32(0.693145751953125)
    LN2_LO = np.float32(0.6931471805599453 - 0.693145751953125)
    #: 2 atanh s = 2 s + s z (2/3 + z (2/5 + z (2/7 + z 2/9))), z = s**2, |s| <= 0.1716 (truncation < 1e-9)
    LOG = tuple(np.float32(2.0 / n) for n in (3, 5, 7, 9))
    #: sin x = x + x (z (-1/3! + z (1/5! + z (-1/7! + z/9!)))), |x| <= pi/4 (truncation < 2e-9)
    SIN = tuple(np.float32(c) for c in (-1 / 6, 1 / 120, -1 / 5040, 1 / 362880))
    #: cos x = (1 - z/2) + z (z (1/4! + z (-1/6! + z (1/8! - z/10!)))) (truncation < 2e-10)
    COS = tuple(np.float32(c) for c in (1 / 24, -1 / 720, 1 / 40320, -1 / 3628800))
    PIO2 = np.float32(PIO2)
    HALF = np.float32(0.5)
    ONE = np.float32(1.0)
    TWO = np.float32(2.0)


_TWO32 = np.uint64(1) << np.uint64(32)
_MASK32 = _TWO32 - np.uint64(1)
_MASK30 = (np.uint64(1) << np.uint64(30)) - np.uint64(1)


def neg2log_f32(raw: np.ndarray) -> np.ndarray:
    """``-2 ln(1 - u1)`` in float32 for ``1 - u1 = (2**32 - (raw >> 32)) 2**-32`` of uint64 draws ``raw``."""
    m = _TWO32 - (np.asarray(raw, dtype=np.uint64) >> np.uint64(32))  # 1 .. 2**32
    e, f = _binade(m)
    d = (f - 1.0).astype(np.float32)  # f - 1 exact in float64, one rounding to float32
    s = d / (d + F32.TWO)
    z = s * s
    ln_f = (s + s) + s * (z * _horner(z, F32.LOG))
    k = (32 - e).astype(np.float32)  # exact
    x = (k * F32.LN2_HI - ln_f) + k * F32.LN2_LO  # -ln(1 - u1) >= 0
    return x + x


def sincos_f32(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cos, sin)`` in float32 of the angle ``2 pi (raw mod 2**32) 2**-32`` of uint64 draws ``raw``."""
    low = np.asarray(raw, dtype=np.uint64) & _MASK32
    q = (low >> np.uint64(30)).astype(np.int64)  # the quadrant, 0..3
    w = (low & _MASK30).astype(np.float64) * 2.0**-30  # the fraction of a quarter turn, exact
    upper = w > 0.5
    w = np.where(upper, 1.0 - w, w)  # exact
    x = w.astype(np.float32) * F32.PIO2  # in [0, pi/4]
    z = x * x
    sin_w = x + x * (z * _horner(z, F32.SIN))
    cos_w = (F32.ONE - F32.HALF * z) + z * (z * _horner(z, F32.COS))
    sin_p = np.where(upper, cos_w, sin_w)
    cos_p = np.where(upper, sin_w, cos_w)
    cos_t = np.where(q == 0, cos_p, np.where(q == 1, -sin_p, np.where(q == 2, -cos_p, sin_p)))
    sin_t = np.where(q == 0, sin_p, np.where(q == 1, cos_p, np.where(q == 2, -sin_p, -cos_p)))
    return cos_t, sin_t


def box_muller_f32(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stream version 3's two standard normals (float64, from float32 arithmetic) of the uint64 draws ``raw``."""
    r = np.sqrt(neg2log_f32(raw))
    cos_t, sin_t = sincos_f32(raw)
    return (r * cos_t).astype(np.float64), (r * sin_t).astype(np.float64)


def exp(x: float) -> float:
    """``e**x`` rounded to the nearest double, the same on every machine (for run constants, not arrays).

    Computed in decimal arithmetic with 40 significant digits (correctly
    rounded there, by the Python standard library's own code, not the
    platform's libm), then converted to the nearest double.  Used for the
    exact method's decay factor ``exp(-dt/tau)``, so that runs with
    ``method="exact"`` have the same bits on every machine.
    """
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 40
        return float(Decimal(float(x)).exp())
