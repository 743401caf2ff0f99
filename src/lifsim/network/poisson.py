"""A portable Poisson sampler: inversion of a CDF table built with IEEE-exact operations only.

The count of external events of neuron ``i`` at step ``s`` is the number of entries of the table
``F_0 < F_1 < ...`` that are ``<= u``, where ``u = (raw >> 11) 2**-53`` is the counter stream's
uniform for ``(i, s)``.  The table is ``p_0 = exp(-lambda)``, correctly rounded
(:func:`lifsim.portable.exp`, decimal arithmetic, not the platform's libm), then
``p_k = (p_{k-1} * lambda) / k`` and ``F_k = F_{k-1} + p_k``, each a single IEEE-754 rounding in
that order (no fused multiply-add).  It ends when ``F`` stops growing (``p_k`` below half an ulp
of ``F``) or reaches 1: the mass left off is the running sum's round-off (below 1e-13 for
``lambda <= 500``).  Any engine (numpy, numba, a CUDA
kernel compiled with ``--fmad=false``) that builds the table by the same recursion, or receives
it, and compares ``u`` against it draws the same counts.

Compiled engines search from a guide (Chen and Asau's indexed search): ``guide[b]``, the count at
``u = b 2**-11`` for the top 11 bits ``b`` of the draw, then step up while the next entry is
``<= u``; the result is the same count, found in one or two compares.
"""

from __future__ import annotations

import numpy as np

from ..portable import exp as portable_exp

__all__ = ["cdf_table", "counts_from_uniforms", "uniforms", "guide_table", "padded_table", "GUIDE_BITS"]

#: the indexed search starts from the count at the top GUIDE_BITS bits of the draw
GUIDE_BITS = 11

_TWO_M53 = 2.0**-53


def cdf_table(lam: float) -> np.ndarray:
    """The cumulative Poisson probabilities ``F_0, F_1, ...`` of mean ``lam`` (float64, increasing).

    ``lam = 0`` gives ``[1.0]`` (every count is 0).
    """
    lam = float(lam)
    if not 0.0 <= lam <= 700.0:
        raise ValueError(f"lambda: the Poisson mean must be in [0, 700], got {lam!r}")
    p = portable_exp(-lam)
    total = p
    table = [total]
    k = 0
    while total < 1.0:
        k += 1
        p = (p * lam) / k
        grown = total + p
        if grown == total and k > lam:  # past the mode, nothing more can be added
            break
        total = grown
        table.append(total)
    return np.array(table, dtype=np.float64)


def uniforms(raw: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) with 53 bits from uint64 draws (as :meth:`CounterStream.uniform`)."""
    return (np.asarray(raw, dtype=np.uint64) >> np.uint64(11)).astype(np.float64) * _TWO_M53


def counts_from_uniforms(u: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Poisson counts (int32): for each ``u``, the number of table entries ``<= u``."""
    return np.searchsorted(table, u, side="right").astype(np.int32)


def guide_table(table: np.ndarray) -> np.ndarray:
    """``guide[b]`` (int64) = number of table entries ``<= b 2**-GUIDE_BITS``, b = 0 .. 2**GUIDE_BITS - 1."""
    grid = np.arange(2**GUIDE_BITS, dtype=np.float64) * 2.0**-GUIDE_BITS
    return np.searchsorted(table, grid, side="right").astype(np.int64)


def padded_table(table: np.ndarray) -> np.ndarray:
    """The table followed by the sentinel 2.0 (greater than every uniform), so a search needs no bound."""
    return np.append(table, 2.0)
