"""Compiled passes of the connectivity build (see :mod:`lifsim.network.connectivity`)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._numba_common import GAMMA, mix


@njit(parallel=True, cache=True)
def count_sources(k_e, k_i, bounds, ne, ni, ce, ci, counts):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Pass 1: ``counts[p, s]`` = synapses from source s onto the targets of partition p."""
    for p in prange(bounds.shape[0] - 1):
        c = counts[p]
        for i in range(bounds[p], bounds[p + 1]):
            base = np.uint64(i) << np.uint64(32)
            for k in range(ce):
                r = mix(k_e + (base + np.uint64(k + 1)) * GAMMA)
                c[np.int64(((r >> np.uint64(32)) * np.uint64(ne)) >> np.uint64(32))] += 1
            for k in range(ci):
                r = mix(k_i + (base + np.uint64(k + 1)) * GAMMA)
                c[ne + np.int64(((r >> np.uint64(32)) * np.uint64(ni)) >> np.uint64(32))] += 1


@njit(parallel=True, cache=True)
def fill_targets(k_e, k_i, bounds, ne, ni, ce, ci, starts, targets):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Pass 2: write each target into its sources' rows, partitions in target order (rows ascending)."""
    for p in prange(bounds.shape[0] - 1):
        pos = starts[p]
        for i in range(bounds[p], bounds[p + 1]):
            base = np.uint64(i) << np.uint64(32)
            t = np.int32(i)
            for k in range(ce):
                r = mix(k_e + (base + np.uint64(k + 1)) * GAMMA)
                s = np.int64(((r >> np.uint64(32)) * np.uint64(ne)) >> np.uint64(32))
                targets[pos[s]] = t
                pos[s] += 1
            for k in range(ci):
                r = mix(k_i + (base + np.uint64(k + 1)) * GAMMA)
                s = ne + np.int64(((r >> np.uint64(32)) * np.uint64(ni)) >> np.uint64(32))
                targets[pos[s]] = t
                pos[s] += 1
