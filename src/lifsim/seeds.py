"""The one rule for seeds: a run's (an ensemble's or a network's) is a whole number from 0 to 2**128 - 1.

A sweep's seed is smaller (:func:`lifsim.sweeps.sweep_seed`, at most 2**96 - 1), so that its points' seeds
(``seed * 2**32 + p``, :func:`lifsim.sweeps.point_seed`) are runs' seeds too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_SEED", "check_seed"]

#: the largest seed of a run
MAX_SEED = 2**128 - 1


def check_seed(seed: object) -> int:
    """The seed of one run as an ``int``: ``TypeError`` for what is not a whole number, ``ValueError`` for one
    outside 0 .. :data:`MAX_SEED` (the rule of ``lifsim.simulate`` and ``lifsim.network`` alike)."""
    accepted = "expected a whole number from 0 to 2**128 - 1"
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: {accepted}, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed: {accepted}, got {seed!r}")
    return int(seed)
