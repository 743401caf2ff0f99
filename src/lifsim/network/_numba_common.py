"""numba helpers shared by the network's compiled kernels: SplitMix64 on uint64, and the Poisson table look-up."""

from __future__ import annotations

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
TWO_M53 = 2.0**-53


@njit(inline="always", cache=True)
def mix(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64's output function (as :func:`lifsim.streams.splitmix64`)."""
    z = (z ^ (z >> np.uint64(30))) * M1
    z = (z ^ (z >> np.uint64(27))) * M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def raw(key: np.uint64, index: int, draw: int) -> np.uint64:  # pragma: no cover - compiled
    """The draw ``draw`` of ``index`` under ``key`` (as :meth:`lifsim.streams.CounterStream.raw`)."""
    return mix(key + ((np.uint64(index) << np.uint64(32)) + np.uint64(draw + 1)) * GAMMA)


@njit(inline="always", cache=True)
def pick(r: np.uint64, n: int) -> int:  # pragma: no cover - compiled
    """An index in [0, n) from a uint64 draw: the top 32 bits times n, shifted down 32 (multiply-shift)."""
    return int(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(inline="always", cache=True)
def poisson(r: np.uint64, padded: np.ndarray, guide: np.ndarray) -> int:  # pragma: no cover - compiled
    """The number of entries of the CDF table that are <= the uniform of ``r`` (indexed search).

    ``padded`` is the table followed by a sentinel 2.0; ``guide[b]`` is the count for ``u = b 2**-11``,
    where ``b`` is the top 11 bits of ``r`` (so ``u >= b 2**-11``): the search starts there.
    """
    u = float(np.int64(r >> np.uint64(11))) * TWO_M53
    k = guide[r >> np.uint64(53)]
    while padded[k] <= u:
        k += 1
    return k
