"""Fixed in-degree connectivity from the counter stream, stored for push delivery (CSR by source).

Target ``i`` (0 .. N - 1) draws its ``k``-th excitatory source (k = 0 .. C_E - 1) from the draw
``k`` of index ``i`` under the key of :data:`~lifsim.network.keys.EXC_SOURCES`:
``source = ((raw >> 32) * N_E) >> 32`` (integer multiply-shift, bias below ``N_E / 2**32``), and
its ``k``-th inhibitory source as ``N_E + ((raw >> 32) * N_I) >> 32`` under
:data:`~lifsim.network.keys.INH_SOURCES`.  Self-connections and repeated connections are allowed
(NEST's ``fixed_indegree`` defaults): the draws are independent.  Every connection is a pure
function of ``(seed, target, k)``: the network of one seed is the same on any engine and thread
count.

Storage: ``offsets`` (int64, N + 1) and ``targets`` (int32, one per synapse); the targets of source
``s`` are ``targets[offsets[s]:offsets[s + 1]]``, ascending (repeats adjacent), so a thread that
delivers to the target range ``[lo, hi)`` finds its part of a row by binary search.  Built by a
counting sort in two passes over the stream (count, then fill), so no per-synapse temporary is
held: 4 bytes per synapse in all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..streams import GOLDEN_GAMMA, splitmix64
from . import keys
from .model import BrunelParams

__all__ = ["Connectivity", "build", "build_numpy", "in_degrees"]


@dataclass(frozen=True)
class Connectivity:
    """CSR connectivity by presynaptic neuron: ``targets[offsets[s]:offsets[s+1]]`` are ``s``'s targets."""

    offsets: np.ndarray
    targets: np.ndarray
    n_exc: int

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.targets.nbytes)

    def row(self, source: int) -> np.ndarray:
        """The targets of ``source`` (ascending)."""
        return self.targets[self.offsets[source] : self.offsets[source + 1]]

    def sources(self) -> np.ndarray:
        """The source of every synapse (int32, same order as ``targets``): for checks, not for runs."""
        return np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.offsets))


def _source_draws(key: np.uint64, targets: np.ndarray, count: int, population: int) -> np.ndarray:
    """Sources (int64, shape (len(targets), count)) drawn in [0, population) for ``targets``."""
    counter = (targets.astype(np.uint64)[:, None] << np.uint64(32)) + np.arange(1, count + 1, dtype=np.uint64)
    r = splitmix64(key + counter * GOLDEN_GAMMA)
    return ((r >> np.uint64(32)) * np.uint64(population) >> np.uint64(32)).astype(np.int64)


def build_numpy(params: BrunelParams, block: int = 4096) -> Connectivity:
    """The reference build: every source drawn with numpy, grouped by a stable sort (readable, slower)."""
    n, ne, ni = params.n, params.n_exc, params.n_inh
    k_e, k_i = keys.key(params.seed, keys.EXC_SOURCES), keys.key(params.seed, keys.INH_SOURCES)
    parts = []
    for lo in range(0, n, block):
        t = np.arange(lo, min(n, lo + block), dtype=np.int64)
        src = np.concatenate(
            [_source_draws(k_e, t, params.c_exc, ne), ne + _source_draws(k_i, t, params.c_inh, ni)], axis=1
        )
        parts.append(src.ravel())
    sources = np.concatenate(parts)
    del parts  # the peak is the sort's: sources, the order and the targets (SYNAPSE_BYTES)
    targets_flat = np.repeat(np.arange(n, dtype=np.int32), params.c_exc + params.c_inh)
    order = np.argsort(sources, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=n), out=offsets[1:])
    return Connectivity(offsets, targets_flat[order], ne)


def build(params: BrunelParams, threads: int | None = None) -> Connectivity:
    """The connectivity of ``params`` (compiled, two-pass counting sort, parallel over target ranges)."""
    from ._numba_build import count_sources, fill_targets

    n = params.n
    parts = max(1, int(threads or 1))
    bounds = np.linspace(0, n, parts + 1).round().astype(np.int64)
    k_e, k_i = keys.key(params.seed, keys.EXC_SOURCES), keys.key(params.seed, keys.INH_SOURCES)
    counts = np.zeros((parts, n), dtype=np.int64)
    count_sources(k_e, k_i, bounds, params.n_exc, params.n_inh, params.c_exc, params.c_inh, counts)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=0), out=offsets[1:])
    # where partition p starts writing in each row: the row start plus the earlier partitions' counts
    starts = offsets[:-1][None, :] + np.cumsum(counts, axis=0) - counts
    del counts
    targets = np.empty(int(offsets[-1]), dtype=np.int32)
    fill_targets(k_e, k_i, bounds, params.n_exc, params.n_inh, params.c_exc, params.c_inh, starts, targets)
    return Connectivity(offsets, targets, params.n_exc)


def in_degrees(conn: Connectivity) -> tuple[np.ndarray, np.ndarray]:
    """(excitatory, inhibitory) in-degree of every neuron, counted from the stored synapses."""
    src = conn.sources()
    exc = src < conn.n_exc
    return (
        np.bincount(conn.targets[exc], minlength=conn.n),
        np.bincount(conn.targets[~exc], minlength=conn.n),
    )
