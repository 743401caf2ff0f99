"""The canonical reduction (:mod:`lifsim.reduce`) in numba: groups of 32 folded by halves, groups merged by Chan.

Two layouts of a block's V: neuron order (``v[jj]``, the general kernel) and lane order
(``x[i * groups + q]`` for lane ``i`` of group ``q``, the fast kernels of :mod:`.numba_lanes`), in
which the folds are vertical vector operations over the groups.  Both give the reference's bits: the
same additions in the same order, no reassociation.
"""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split

import numpy as np
from numba import njit

__all__ = [
    "_GROUP",
    "_block_moments",
    "_block_cross",
    "_combine",
    "_fold",
    "_lane_moments",
    "_partial_group",
    "_merge_weights",
    "_merge_groups",
    "_merge_sums",
]

_GROUP = 32


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


# ---------------------------------------------------------------- lane order: x[i * groups + q] is lane i of group q


@njit(cache=True, error_model="numpy")
def _lane_moments(x, groups, gmean, gm2):  # type: ignore[no-untyped-def]
    """The canonical (mean, m2) of each full group of the lane-order block ``x`` into ``gmean``, ``gm2``.

    One loop over the groups whose body is the whole fold by halves of one group
    (lane i + lane i + 16, then i + 8, i + 4, then ``(w0 + w2) + (w1 + w3)``),
    written out: LLVM vectorises it over eight groups at once and keeps the
    group's 32 lanes in registers.  The additions are :func:`_fold_sum`'s and
    :func:`_fold_dev2`'s, in their order (``d * d`` with ``d = x - mean`` is
    their ``(x - mean) * (x - mean)``).
    """
    g = groups
    for q in range(g):
        x0 = x[q]
        x1 = x[1 * g + q]
        x2 = x[2 * g + q]
        x3 = x[3 * g + q]
        x4 = x[4 * g + q]
        x5 = x[5 * g + q]
        x6 = x[6 * g + q]
        x7 = x[7 * g + q]
        x8 = x[8 * g + q]
        x9 = x[9 * g + q]
        x10 = x[10 * g + q]
        x11 = x[11 * g + q]
        x12 = x[12 * g + q]
        x13 = x[13 * g + q]
        x14 = x[14 * g + q]
        x15 = x[15 * g + q]
        x16 = x[16 * g + q]
        x17 = x[17 * g + q]
        x18 = x[18 * g + q]
        x19 = x[19 * g + q]
        x20 = x[20 * g + q]
        x21 = x[21 * g + q]
        x22 = x[22 * g + q]
        x23 = x[23 * g + q]
        x24 = x[24 * g + q]
        x25 = x[25 * g + q]
        x26 = x[26 * g + q]
        x27 = x[27 * g + q]
        x28 = x[28 * g + q]
        x29 = x[29 * g + q]
        x30 = x[30 * g + q]
        x31 = x[31 * g + q]
        t0 = x0 + x16
        t1 = x1 + x17
        t2 = x2 + x18
        t3 = x3 + x19
        t4 = x4 + x20
        t5 = x5 + x21
        t6 = x6 + x22
        t7 = x7 + x23
        t8 = x8 + x24
        t9 = x9 + x25
        t10 = x10 + x26
        t11 = x11 + x27
        t12 = x12 + x28
        t13 = x13 + x29
        t14 = x14 + x30
        t15 = x15 + x31
        t0 = t0 + t8
        t1 = t1 + t9
        t2 = t2 + t10
        t3 = t3 + t11
        t4 = t4 + t12
        t5 = t5 + t13
        t6 = t6 + t14
        t7 = t7 + t15
        t0 = t0 + t4
        t1 = t1 + t5
        t2 = t2 + t6
        t3 = t3 + t7
        mean = ((t0 + t2) + (t1 + t3)) / 32.0
        d0 = x0 - mean
        d1 = x1 - mean
        d2 = x2 - mean
        d3 = x3 - mean
        d4 = x4 - mean
        d5 = x5 - mean
        d6 = x6 - mean
        d7 = x7 - mean
        d8 = x8 - mean
        d9 = x9 - mean
        d10 = x10 - mean
        d11 = x11 - mean
        d12 = x12 - mean
        d13 = x13 - mean
        d14 = x14 - mean
        d15 = x15 - mean
        d16 = x16 - mean
        d17 = x17 - mean
        d18 = x18 - mean
        d19 = x19 - mean
        d20 = x20 - mean
        d21 = x21 - mean
        d22 = x22 - mean
        d23 = x23 - mean
        d24 = x24 - mean
        d25 = x25 - mean
        d26 = x26 - mean
        d27 = x27 - mean
        d28 = x28 - mean
        d29 = x29 - mean
        d30 = x30 - mean
        d31 = x31 - mean
        t0 = d0 * d0 + d16 * d16
        t1 = d1 * d1 + d17 * d17
        t2 = d2 * d2 + d18 * d18
        t3 = d3 * d3 + d19 * d19
        t4 = d4 * d4 + d20 * d20
        t5 = d5 * d5 + d21 * d21
        t6 = d6 * d6 + d22 * d22
        t7 = d7 * d7 + d23 * d23
        t8 = d8 * d8 + d24 * d24
        t9 = d9 * d9 + d25 * d25
        t10 = d10 * d10 + d26 * d26
        t11 = d11 * d11 + d27 * d27
        t12 = d12 * d12 + d28 * d28
        t13 = d13 * d13 + d29 * d29
        t14 = d14 * d14 + d30 * d30
        t15 = d15 * d15 + d31 * d31
        t0 = t0 + t8
        t1 = t1 + t9
        t2 = t2 + t10
        t3 = t3 + t11
        t4 = t4 + t12
        t5 = t5 + t13
        t6 = t6 + t14
        t7 = t7 + t15
        t0 = t0 + t4
        t1 = t1 + t5
        t2 = t2 + t6
        t3 = t3 + t7
        gmean[q] = mean
        gm2[q] = (t0 + t2) + (t1 + t3)


@njit(cache=True, error_model="numpy")
def _partial_group(x, groups, q, count, buf):  # type: ignore[no-untyped-def]
    """The canonical (mean, m2) of group ``q`` of a lane-order block when only its first ``count`` lanes hold
    neurons (missing lanes count as 0.0, as in :func:`_block_moments`)."""
    for i in range(_GROUP):
        buf[i] = x[i * groups + q] if i < count else 0.0
    mean = _fold(buf) / float(count)
    for i in range(_GROUP):
        d = x[i * groups + q] - mean if i < count else 0.0
        buf[i] = d * d
    return mean, _fold(buf)


@njit(cache=True, error_model="numpy")
def _merge_weights(m):  # type: ignore[no-untyped-def]
    """The weights ``nb / n`` and ``na nb / n`` of every merge of the group tree of a block of ``m`` neurons, in
    merge order: with them, :func:`_merge_groups` makes :func:`_combine`'s bits without its divisions."""
    groups = (m + _GROUP - 1) // _GROUP
    counts = np.empty(groups, np.int64)
    for q in range(groups):
        counts[q] = min(_GROUP, m - q * _GROUP)
    w1 = np.empty(max(groups - 1, 1))
    w2 = np.empty(max(groups - 1, 1))
    at = 0
    size = groups
    while size > 1:
        pairs = size // 2
        for i in range(pairs):
            fa = float(counts[2 * i])
            fb = float(counts[2 * i + 1])
            total = counts[2 * i] + counts[2 * i + 1]
            fn = float(total)
            w1[at] = fb / fn
            w2[at] = fa * fb / fn
            at += 1
            counts[i] = total
        if size % 2:
            counts[pairs] = counts[size - 1]
        size = pairs + size % 2
    return w1, w2


@njit(inline="always", cache=True, error_model="numpy")
def _merge_groups(gmean, gm2, groups, w1, w2):  # type: ignore[no-untyped-def]
    """Chan's merge of the groups' (mean, m2) pairwise up the canonical tree, with :func:`_merge_weights`;
    returns the block's (mean, m2): the bits of :func:`_block_moments`'s merges."""
    at = 0
    size = groups
    while size > 1:
        pairs = size // 2
        for i in range(pairs):
            ma = gmean[2 * i]
            d = gmean[2 * i + 1] - ma
            gm2[i] = gm2[2 * i] + gm2[2 * i + 1] + d * d * w2[at + i]
            gmean[i] = ma + d * w1[at + i]
        at += pairs
        if size % 2:
            gmean[pairs] = gmean[size - 1]
            gm2[pairs] = gm2[size - 1]
        size = pairs + size % 2
    return gmean[0], gm2[0]


@njit(inline="always", cache=True, error_model="numpy")
def _merge_sums(gsum, groups):  # type: ignore[no-untyped-def]
    """The groups' sums added pairwise up the canonical tree (:func:`_block_cross`'s order)."""
    size = groups
    while size > 1:
        pairs = size // 2
        for i in range(pairs):
            gsum[i] = gsum[2 * i] + gsum[2 * i + 1]
        if size % 2:
            gsum[pairs] = gsum[size - 1]
        size = pairs + size % 2
    return gsum[0]
