"""The canonical reduction order (lifsim.reduce): defined once, the same root for any blocking, and accurate."""

import math
from fractions import Fraction

import numpy as np
import pytest

from lifsim.reduce import GROUP, TreeStack, block_roots, block_sums, combine, fold, group_nodes, group_sums, tree_merge


def halves(values: list[float]) -> float:
    """An independent, scalar statement of the fold: lane i + lane i + h, h = 16, 8, 4, 2, 1 (Python floats)."""
    values = list(values)
    while len(values) > 1:
        h = len(values) // 2
        values = [values[i] + values[i + h] for i in range(h)]
    return values[0]


def scalar_group(values: list[float]) -> tuple[int, float, float]:
    """One group's (count, mean, m2) in scalar Python: missing lanes are 0.0 in both folds."""
    count = len(values)
    padded = values + [0.0] * (GROUP - count)
    mean = halves(padded) / count
    deviations = [(x - mean) * (x - mean) for x in values] + [0.0] * (GROUP - count)
    return count, mean, halves(deviations)


def scalar_tree(nodes: list[tuple[int, float, float]]) -> tuple[int, float, float]:
    """The canonical tree in scalar Python: pairs merged level by level, an odd node passing up."""
    while len(nodes) > 1:
        merged = []
        for i in range(0, len(nodes) - 1, 2):
            (na, ma, qa), (nb, mb, qb) = nodes[i], nodes[i + 1]
            n = na + nb
            d = mb - ma
            merged.append((n, ma + d * (float(nb) / float(n)), qa + qb + d * d * (float(na) * float(nb) / float(n))))
        if len(nodes) % 2:
            merged.append(nodes[-1])
        nodes = merged
    return nodes[0]


@pytest.fixture(scope="module")
def potentials():
    return np.random.default_rng(5).normal(-0.06, 0.004, 5_003)


def test_group_nodes_are_the_scalar_definition(potentials):
    counts, means, m2s = group_nodes(potentials)
    for g in range(counts.size):
        expected = scalar_group(potentials[g * GROUP : (g + 1) * GROUP].tolist())
        assert (int(counts[g]), float(means[g]), float(m2s[g])) == expected
    sums = group_sums(potentials)
    assert sums[-1] == halves(potentials[(counts.size - 1) * GROUP :].tolist() + [0.0] * (GROUP - int(counts[-1])))
    assert fold(potentials[:32]) == halves(potentials[:32].tolist())


def test_tree_root_is_the_scalar_definition(potentials):
    counts, means, m2s = group_nodes(potentials)
    scalar = scalar_tree([(int(c), float(m), float(q)) for c, m, q in zip(counts, means, m2s)])
    assert tree_merge(counts, means, m2s) == (scalar[0], scalar[1], scalar[2])


@pytest.mark.parametrize("groups_per_block", [1, 2, 4, 8, 16, 32, 64])
def test_any_blocking_gives_the_same_root(potentials, groups_per_block):
    """Blocks of any power-of-two size, merged as they arrive: the very same bits as the whole tree."""
    steps = np.stack([potentials, potentials[::-1] * 1.01, np.roll(potentials, 7)], axis=1)  # 3 "time steps"
    counts, means, m2s = group_nodes(steps)
    whole = tree_merge(counts, means, m2s)
    sums = group_sums(steps)
    c, m, q = block_roots(counts, means, m2s, groups_per_block)
    extra = block_sums(sums, groups_per_block)
    stack = TreeStack()
    for i in range(c.size):
        stack.push(int(c[i]), m[i], q[i], extra[i])
    count, mean, m2, total = stack.root()
    assert count == whole[0] == potentials.size
    assert mean.tobytes() == whole[1].tobytes()
    assert m2.tobytes() == whole[2].tobytes()
    # sums follow the same tree
    t = sums
    while t.shape[0] > 1:
        pairs = t.shape[0] // 2
        merged = t[0 : 2 * pairs : 2] + t[1 : 2 * pairs : 2]
        t = np.concatenate([merged, t[-1:]]) if t.shape[0] % 2 else merged
    assert total.tobytes() == t[0].tobytes()


def test_the_canonical_moments_are_accurate(potentials):
    """Against exact rational arithmetic: mean and m2 within a few ulp-scale relative errors."""
    counts, means, m2s = group_nodes(potentials)
    _n, mean, m2 = tree_merge(counts, means, m2s)
    exact_mean = sum(Fraction(x) for x in potentials.tolist()) / potentials.size
    exact_m2 = sum((Fraction(x) - exact_mean) ** 2 for x in potentials.tolist())
    assert abs(float((Fraction(float(mean)) - exact_mean) / exact_mean)) < 1e-15
    assert abs(float((Fraction(float(m2)) - exact_m2) / exact_m2)) < 1e-13
    # and far better than the textbook one-pass formula on data with a large offset
    naive = float(np.sum(potentials**2) - potentials.size * np.mean(potentials) ** 2)
    assert abs(float(m2) - float(exact_m2)) <= abs(naive - float(exact_m2))


def test_identical_values_give_zero_spread():
    values = np.full(1_000, -0.0654321)
    counts, means, m2s = group_nodes(values)
    n, mean, m2 = tree_merge(counts, means, m2s)
    assert n == 1_000 and mean == -0.0654321 and m2 == 0.0


def test_combine_is_chans_formula():
    a = np.array([1.0, 2.0, 4.0])
    b = np.array([10.0, 11.0])
    count, mean, m2 = combine(3, np.mean(a), np.sum((a - a.mean()) ** 2), 2, np.mean(b), np.sum((b - b.mean()) ** 2))
    both = np.concatenate([a, b])
    assert count == 5
    assert math.isclose(mean, both.mean(), rel_tol=1e-15)
    assert math.isclose(m2, np.sum((both - both.mean()) ** 2), rel_tol=1e-14)
