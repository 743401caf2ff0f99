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
  ``ln f = 2 atanh(s) = 2 s (1 + s**2/3 + s**4/5 + ...)``, ``s = (f-1)/(f+1)``,
  twelve terms; ``ln(1 - u1) = (e - 53) ln 2 + ln f`` with ``ln 2`` split so
  that ``(e - 53) ln2_hi`` is exact.
* **cos, sin of 2 pi u2**: ``u2 = K 2**-53`` is dyadic, so the quadrant
  ``q = K >> 51`` and the fraction ``w`` of a quarter turn are exact; ``w`` is
  folded to ``[0, 1/2]`` (``sin(pi/2 w) = cos(pi/2 (1 - w))``, exact since
  ``1 - w`` is) and Taylor polynomials in ``w`` with the ``(pi/2)**n / n!``
  folded into their coefficients give ``sin`` and ``cos`` (9 and 10 terms).

Against ``scipy``/libm the values differ by a few units in the last place
(see ``tests/test_portable.py`` for the measured maximum); the draws pass
the moment, Kolmogorov-Smirnov, tail and correlation tests there.

Both outputs are used: the normal of step ``k`` is the cosine output of the
pair ``p = k // 2`` for even ``k`` and its sine output for odd ``k``, the pair
made from the stream's draws ``2p`` and ``2p + 1``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SQRT2",
    "LN2_HI",
    "LN2_LO",
    "LOG_COEFFICIENTS",
    "SIN_COEFFICIENTS",
    "COS_COEFFICIENTS",
    "neg2log",
    "sincos_quarter",
    "box_muller",
]

SQRT2 = 1.4142135623730951
#: ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 trailing zero bits (fdlibm's split)
LN2_HI = 0.6931471803691238
LN2_LO = 1.9082149292705877e-10
#: 1 / (2k + 1), k = 0..11: ln f = 2 s sum_k s**(2k) / (2k + 1)
LOG_COEFFICIENTS = (
    1.0,
    0.3333333333333333,
    0.2,
    0.14285714285714285,
    0.1111111111111111,
    0.09090909090909091,
    0.07692307692307693,
    0.06666666666666667,
    0.058823529411764705,
    0.05263157894736842,
    0.047619047619047616,
    0.043478260869565216,
)
#: (-1)**k (pi/2)**(2k+1) / (2k+1)!, k = 0..8: sin(pi/2 w) = w sum_k c_k w**(2k)
SIN_COEFFICIENTS = (
    1.5707963267948966,
    -0.6459640975062463,
    0.07969262624616705,
    -0.004681754135318688,
    0.00016044118478735983,
    -3.598843235212085e-06,
    5.692172921967927e-08,
    -6.688035109811468e-10,
    6.0669357311061955e-12,
)
#: (-1)**k (pi/2)**(2k) / (2k)!, k = 0..9: cos(pi/2 w) = sum_k c_k w**(2k)
COS_COEFFICIENTS = (
    1.0,
    -1.2337005501361697,
    0.25366950790104803,
    -0.02086348076335296,
    0.0009192602748394266,
    -2.5202042373060607e-05,
    4.710874778818172e-07,
    -6.386603083791852e-09,
    6.565963114979473e-11,
    -5.294400200734623e-13,
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


def neg2log(raw1: np.ndarray) -> np.ndarray:
    """``-2 ln(1 - u1)`` for the uniform ``u1 = (raw1 >> 11) 2**-53`` of uint64 draws ``raw1``."""
    m = _TWO53 - (np.asarray(raw1, dtype=np.uint64) >> _U53)  # 1 .. 2**53
    e = np.zeros(m.shape, dtype=np.int64)
    for shift in (32, 16, 8, 4, 2, 1):  # e = floor(log2 m), by binary search on integer shifts
        found = (m >> (e + shift).astype(np.uint64)) != 0
        e = np.where(found, e + shift, e)
    f = m.astype(np.float64) / (np.uint64(1) << e.astype(np.uint64)).astype(np.float64)  # in [1, 2), exact
    big = f > SQRT2
    f = np.where(big, f * 0.5, f)
    e = np.where(big, e + 1, e)
    s = (f - 1.0) / (f + 1.0)
    ln_f = 2.0 * s * _horner(s * s, LOG_COEFFICIENTS)
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
    w2 = w * w
    sin_w = w * _horner(w2, SIN_COEFFICIENTS)
    cos_w = _horner(w2, COS_COEFFICIENTS)
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
