"""Streaming, mergeable ensemble statistics, reduced in one canonical order.

The engine hands each time step's membrane potentials ``v[k]`` (one value per
neuron) to an :class:`EnsembleReducer`, which keeps, per step, the sample mean
and the sum of squared deviations ``M2[k] = sum_n (v_n[k] - mean[k])**2``, and,
for chosen lags ``l``, the co-moment ``sum_n (v_n[k-l] - mean[k-l]) (v_n[k] - mean[k])``.
From these the variance with any ``ddof`` and the sample autocovariance
``C(t_{k-l}, t_k)`` of the tutorial's section 5 follow, without keeping the
``[n, steps]`` traces.  Memory: ``O(steps * (1 + len(lags)))`` for the
statistics plus ``O(n * (max lag + 1))`` for the lag buffer.

:func:`merge_moments` combines the statistics of two disjoint neuron blocks
exactly (Chan, Golub and LeVeque 1979), which is what lets blocks be simulated
separately (threads, processes, machines) and merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Moments",
    "merge_moments",
    "EnsembleReducer",
    "variance_from_m2",
    "GROUP",
    "fold",
    "group_nodes",
    "group_sums",
    "combine",
    "tree_merge",
    "tree_sum",
    "block_roots",
    "block_sums",
    "TreeStack",
]

#: neurons per group of the canonical reduction (a GPU warp)
GROUP = 32


@dataclass
class Moments:
    """Statistics of ``count`` samples: ``mean`` and ``m2`` (sum of squared deviations).

    Arrays may have any shape (one entry per time step, say); units are those
    of the samples (``m2`` in their square).
    """

    count: int
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, samples: np.ndarray, axis: int = 0) -> Moments:
        """Moments of ``samples`` along ``axis`` (two-pass, numerically stable)."""
        samples = np.asarray(samples, dtype=np.float64)
        mean = samples.mean(axis=axis)
        dev = samples - np.expand_dims(mean, axis)
        return cls(samples.shape[axis], mean, np.sum(dev * dev, axis=axis))

    def variance(self, ddof: int = 1) -> np.ndarray:
        """Sample variance ``m2 / (count - ddof)``; NaN where ``count <= ddof``."""
        return variance_from_m2(self.m2, self.count, ddof)


def variance_from_m2(m2: np.ndarray, count: int, ddof: int) -> np.ndarray:
    """``m2 / (count - ddof)``, NaN (without a warning) when ``count - ddof <= 0``."""
    if ddof < 0:
        raise ValueError(f"ddof: must be >= 0, got {ddof}")
    m2 = np.asarray(m2, dtype=np.float64)
    if count - ddof <= 0:
        return np.full_like(m2, np.nan)
    return m2 / (count - ddof)


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Exact merge of the moments of two disjoint sample sets (Chan et al. 1979).

    ``mean = mean_a + delta * n_b / n`` and
    ``m2 = m2_a + m2_b + delta**2 * n_a * n_b / n`` with ``delta = mean_b - mean_a``.
    """
    if a.count == 0:
        return b
    if b.count == 0:
        return a
    count = a.count + b.count
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.count / count)
    m2 = a.m2 + b.m2 + delta * delta * (a.count * b.count / count)
    return Moments(count, mean, m2)


# ---------------------------------------------------------------- the canonical order
#
# Every engine reduces the per-step statistics in this one order, with the same
# IEEE operations, so that the bits do not depend on the engine, the thread or
# worker count, the block size or the machine:
#
# 1. neurons are cut into groups of GROUP = 32 consecutive indices (the last may be
#    partial; its missing lanes count as 0.0);
# 2. within a group, values are summed by folding halves: lane i + lane i + 16,
#    then i + i + 8, i + 4, i + 2, i + 1 (what a GPU warp's shuffle and a CPU's
#    vector adds do); the group's mean is sum / count, its m2 the folded sum of
#    squared deviations from that mean;
# 3. groups are merged level by level, pairs (2i, 2i + 1), an odd last node passing
#    up unchanged, by the exact Chan et al. formulas (plain addition for sums).
#
# A block of 2**b groups that starts at a multiple of its size is a node of this
# tree, so engines reduce their blocks and a runner merges the blocks' nodes by
# the same rule: the result is the tree's root, whatever the blocks were.


def fold(x: np.ndarray) -> np.ndarray:
    """Sum over the first axis (a power of two long) by folding halves: ``x[i] + x[i + h]``, h = len/2, ..."""
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        x = x[:half] + x[half:]
    return x[0]


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` (n, ...) as (GROUP, groups, ...) padded with 0.0, the valid-lane mask, and the counts."""
    n = values.shape[0]
    groups = -(-n // GROUP)
    padded = np.zeros((groups * GROUP,) + values.shape[1:], dtype=np.float64)
    padded[:n] = values
    lanes = padded.reshape((groups, GROUP) + values.shape[1:]).swapaxes(0, 1)
    valid = (np.arange(groups * GROUP) < n).reshape(groups, GROUP).T
    counts = np.full(groups, GROUP, dtype=np.int64)
    counts[-1] = n - GROUP * (groups - 1)
    return lanes, valid, counts


def group_nodes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The canonical group nodes of ``values`` (n, ...): ``(counts, means, m2s)``, one per group of 32."""
    lanes, valid, counts = _groups(np.asarray(values, dtype=np.float64))
    shape = valid.shape + (1,) * (lanes.ndim - 2)
    means = fold(lanes) / counts.reshape((-1,) + (1,) * (lanes.ndim - 2)).astype(np.float64)
    deviations = np.where(valid.reshape(shape), lanes - means[None], 0.0)
    return counts, means, fold(deviations * deviations)


def group_sums(values: np.ndarray) -> np.ndarray:
    """The canonical group sums of ``values`` (n, ...), one per group of 32 (missing lanes 0.0)."""
    lanes, _valid, _counts = _groups(np.asarray(values, dtype=np.float64))
    return fold(lanes)


def combine(
    count_a: np.ndarray | int,
    mean_a: np.ndarray,
    m2_a: np.ndarray,
    count_b: np.ndarray | int,
    mean_b: np.ndarray,
    m2_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chan et al.'s exact merge of two nodes, in the canonical operation order.

    ``count = na + nb``, ``d = mb - ma``, ``mean = ma + d * (nb / count)``,
    ``m2 = m2a + m2b + d * d * (na * nb / count)`` (counts as floats, left to right).
    """
    count = np.asarray(count_a) + np.asarray(count_b)
    fa = np.asarray(count_a, dtype=np.float64)
    fb = np.asarray(count_b, dtype=np.float64)
    fn = count.astype(np.float64)
    d = mean_b - mean_a
    extra = (1,) * (np.ndim(mean_a) - fa.ndim)  # counts per node, values per node and step
    if fa.ndim and extra:
        fa, fb, fn = fa.reshape(fa.shape + extra), fb.reshape(fb.shape + extra), fn.reshape(fn.shape + extra)
    mean = mean_a + d * (fb / fn)
    m2 = m2_a + m2_b + d * d * (fa * fb / fn)
    return count, mean, m2


def tree_merge(counts: np.ndarray, means: np.ndarray, m2s: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The root of the canonical tree over nodes (counts (k,), means (k, ...), m2s (k, ...))."""
    counts = np.asarray(counts, dtype=np.int64)
    while counts.shape[0] > 1:
        pairs = counts.shape[0] // 2
        count, mean, m2 = combine(
            counts[0 : 2 * pairs : 2],
            means[0 : 2 * pairs : 2],
            m2s[0 : 2 * pairs : 2],
            counts[1 : 2 * pairs : 2],
            means[1 : 2 * pairs : 2],
            m2s[1 : 2 * pairs : 2],
        )
        if counts.shape[0] % 2:
            count = np.append(count, counts[-1:])
            mean = np.concatenate([mean, means[-1:]])
            m2 = np.concatenate([m2, m2s[-1:]])
        counts, means, m2s = count, mean, m2
    return int(counts[0]), means[0], m2s[0]


def tree_sum(sums: np.ndarray) -> np.ndarray:
    """The root of the canonical tree over node sums (k, ...): pairs added level by level."""
    while sums.shape[0] > 1:
        pairs = sums.shape[0] // 2
        merged = sums[0 : 2 * pairs : 2] + sums[1 : 2 * pairs : 2]
        sums = np.concatenate([merged, sums[-1:]]) if sums.shape[0] % 2 else merged
    return sums[0]


def block_roots(
    counts: np.ndarray, means: np.ndarray, m2s: np.ndarray, groups_per_block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each block's root, for group nodes of consecutive blocks of ``groups_per_block`` (a power of two).

    Full blocks are merged together, vectorised (no odd node inside them); the
    last block may be partial and is merged by :func:`tree_merge`.
    """
    total = counts.shape[0]
    full = total // groups_per_block
    out_counts, out_means, out_m2s = [], [], []
    if full:
        c = counts[: full * groups_per_block].reshape(full, groups_per_block).T
        m = means[: full * groups_per_block].reshape((full, groups_per_block) + means.shape[1:]).swapaxes(0, 1)
        q = m2s[: full * groups_per_block].reshape((full, groups_per_block) + m2s.shape[1:]).swapaxes(0, 1)
        while c.shape[0] > 1:
            c, m, q = combine(c[0::2], m[0::2], q[0::2], c[1::2], m[1::2], q[1::2])
        out_counts.append(c[0])
        out_means.append(m[0])
        out_m2s.append(q[0])
    if total > full * groups_per_block:
        count, mean, m2 = tree_merge(
            counts[full * groups_per_block :], means[full * groups_per_block :], m2s[full * groups_per_block :]
        )
        out_counts.append(np.array([count]))
        out_means.append(mean[None])
        out_m2s.append(m2[None])
    return np.concatenate(out_counts), np.concatenate(out_means), np.concatenate(out_m2s)


def block_sums(sums: np.ndarray, groups_per_block: int) -> np.ndarray:
    """Each block's root of group sums (consecutive blocks of ``groups_per_block`` groups)."""
    total = sums.shape[0]
    full = total // groups_per_block
    parts = []
    if full:
        x = sums[: full * groups_per_block].reshape((full, groups_per_block) + sums.shape[1:]).swapaxes(0, 1)
        while x.shape[0] > 1:
            x = x[0::2] + x[1::2]
        parts.append(x[0])
    if total > full * groups_per_block:
        parts.append(tree_sum(sums[full * groups_per_block :])[None])
    return np.concatenate(parts)


class TreeStack:
    """Merges nodes that arrive in order into the canonical tree's root, in O(log k) memory.

    Push each node (a block's root) as it comes; two nodes of the same height
    merge at once (a binary counter); :meth:`root` folds what is left from the
    right, which is exactly the level-by-level tree with odd nodes passing up.
    """

    def __init__(self) -> None:
        self.stack: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []

    def push(self, count: int, mean: np.ndarray, m2: np.ndarray, extra: np.ndarray, height: int = 0) -> None:
        """Add the next node; ``extra`` holds sums (merged by addition), e.g. the lag sums.

        ``height``: the node is the root of ``2**height`` blocks that start at a
        multiple of ``2**height`` (a runner's aligned range, a kernel call's blocks);
        a node may follow only nodes of its height or higher (then the stack is what
        pushing its blocks one by one would have made).
        """
        while self.stack and self.stack[-1][0] == height:
            _h, c, m, q, e = self.stack.pop()
            merged_count, mean, m2 = combine(c, m, q, count, mean, m2)
            count = int(merged_count)
            extra = e + extra
            height += 1
        self.stack.append((height, count, mean, m2, extra))

    def root(
        self, tail: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
    ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """The root of everything pushed, then of ``tail`` (the root of a last, shorter range) if given."""
        entries = list(self.stack)
        if tail is not None:
            entries.append((-1, *tail))
        _h, count, mean, m2, extra = entries[-1]
        for _height, c, m, q, e in reversed(entries[:-1]):
            merged_count, mean, m2 = combine(c, m, q, count, mean, m2)
            count = int(merged_count)
            extra = e + extra
        return count, mean, m2, extra


class EnsembleReducer:
    """Per-step ensemble statistics of ``n`` neurons over ``steps`` time points.

    Parameters
    ----------
    n : int
        Number of neurons.
    steps : int
        Number of time points.
    lags : sequence of int
        Lags (in steps, >= 0) at which to accumulate the autocovariance
        ``C(t_{k-l}, t_k)``.
    """

    def __init__(self, n: int, steps: int, lags: tuple[int, ...] = ()) -> None:
        self.n = n
        self.steps = steps
        self.lags = tuple(int(lag) for lag in lags)
        for lag in self.lags:
            if lag < 0 or lag >= steps:
                raise ValueError(f"lags: each lag must be in 0 .. {steps - 1} steps, got {lag}")
        self.mean = np.full(steps, np.nan)
        self.m2 = np.full(steps, np.nan)
        self.comoment = np.full((len(self.lags), steps), np.nan)
        depth = max(self.lags, default=0) + 1
        self._ring = np.zeros((depth, n)) if self.lags else None

    def observe(self, k: int, v: np.ndarray) -> None:
        """Record the potentials ``v`` (V, shape ``(n,)``) at step ``k``."""
        # shift by one sample: exact for identical values (v[0] = V0 for all
        # neurons) and better conditioned when the spread is small
        shift = v[0]
        shifted = v - shift
        offset = shifted.mean()
        dev = shifted - offset
        self.mean[k] = shift + offset
        self.m2[k] = dev @ dev
        if self._ring is not None:
            depth = self._ring.shape[0]
            self._ring[k % depth] = dev
            for row, lag in enumerate(self.lags):
                if k >= lag:
                    self.comoment[row, k] = self._ring[(k - lag) % depth] @ dev

    def moments(self) -> Moments:
        """The per-step :class:`Moments` (V and V**2)."""
        return Moments(self.n, self.mean, self.m2)
