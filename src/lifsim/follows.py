"""Whether a file's members that follow from its run are what they follow from (a file edited by hand, its
checksums made again, is refused): shared by :meth:`lifsim.Result.check_stored` and
:func:`lifsim.network.load`."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["follows", "changed"]


def follows(ours: Any, theirs: Any, rtol: float = 1e-12) -> bool:
    """Whether a stored member (``theirs``) is what lifsim computes from a file's other members (``ours``): the
    same shape and values to ``rtol`` (the last bits a sum in another order may change), NaN where NaN."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.shape != theirs.shape or theirs.dtype.kind not in "biuf":
        return False
    return bool(np.allclose(theirs, ours, rtol=rtol, atol=0.0, equal_nan=True))


def changed(source: str, name: str, origin: str = "the run's other arrays", kind: str = "lifsim result") -> str:
    """The one line that refuses a file whose member ``name`` does not follow from ``origin`` (edited by hand,
    its checksums made again)."""
    return f"{source}: damaged {kind} ({name} does not follow from {origin}: the file was changed)"
