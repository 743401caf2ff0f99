"""The compiled network loop (see :mod:`lifsim.network.engine_numba`)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._numba_common import poisson, raw


@njit(inline="always", cache=True)
def _lower(row, lo, hi, value):  # type: ignore[no-untyped-def]  # pragma: no cover
    """First position in ``row[lo:hi]`` (ascending) whose value is >= ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(parallel=True, cache=True)
def advance(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    v,
    refr,
    ring,
    offsets,
    targets,
    bounds,
    padded,
    guide,
    key_ext,
    s0,
    s_end,
    d,
    slots,
    ne,
    el,
    decay,
    j_exc,
    j_inh,
    vth,
    vr,
    ref_steps,
    buf_step,
    buf_idx,
    buf_n,
    out_step,
    out_idx,
):
    """Advance steps ``s0 .. s_end - 1`` in windows of ``d`` steps; write the spikes to ``out_*``, return their count.

    ``buf_*[parity]`` hold each block's spikes of the window of that parity (window ``w // d`` mod 2):
    the next window delivers them before it integrates.
    """
    parts = bounds.shape[0] - 1
    n_out = 0
    w = s0
    while w < s_end:
        w_end = min(w + d, s_end)
        par = (w // d) % 2
        prev = 1 - par
        for p in prange(parts):
            lo = bounds[p]
            hi = bounds[p + 1]
            # deliver the previous window's spikes of every block to this block's neurons
            for q in range(parts):
                for m in range(buf_n[prev, q]):
                    src = buf_idx[prev, q, m]
                    arrive = (buf_step[prev, q, m] + d) % slots
                    dst = ring[0 if src < ne else 1, arrive]
                    a = _lower(targets, offsets[src], offsets[src + 1], lo)
                    b = _lower(targets, a, offsets[src + 1], hi)
                    for x in range(a, b):
                        dst[targets[x]] += 1
            # integrate this block's neurons over the window
            count = 0
            for s in range(w, w_end):
                ring_e = ring[0, s % slots]
                ring_i = ring[1, s % slots]
                for i in range(lo, hi):
                    n_e = ring_e[i]
                    n_i = ring_i[i]
                    ring_e[i] = 0
                    ring_i[i] = 0
                    if refr[i] == 0:
                        n_x = poisson(raw(key_ext, i, s), padded, guide)
                        v[i] = el + (v[i] - el) * decay + (j_exc * float(n_e + n_x) + j_inh * float(n_i))
                    else:
                        refr[i] -= 1
                    if v[i] >= vth:
                        v[i] = vr
                        refr[i] = ref_steps
                        buf_step[par, p, count] = s
                        buf_idx[par, p, count] = i
                        count += 1
            buf_n[par, p] = count
        # gather this window's spikes by step, then by block (blocks are in neuron order)
        ptr = np.zeros(parts, np.int64)
        for s in range(w, w_end):
            for q in range(parts):
                m = ptr[q]
                while m < buf_n[par, q] and buf_step[par, q, m] == s:
                    out_step[n_out] = s
                    out_idx[n_out] = buf_idx[par, q, m]
                    n_out += 1
                    m += 1
                ptr[q] = m
        w = w_end
    return n_out
