"""Running a saved network again from its provenance, and ``lifsim rerun`` of a network file.

This module sits above :mod:`lifsim.network.run` (which makes results) and :mod:`lifsim.network.result`
(which reads them), so neither imports the other.
"""

from __future__ import annotations

import os

import numpy as np

from .model import BrunelParams
from .result import NetworkResult, check_target, load

__all__ = ["rerun", "rerun_command"]


def rerun(
    result: NetworkResult | str | os.PathLike, engine: str | None = None, threads: int | None = None
) -> tuple[NetworkResult, list[str]]:
    """Run a saved network again from its provenance; the new result and the differences (empty: bit for bit)."""
    from .run import network

    old = result if isinstance(result, NetworkResult) else load(result)
    prov = old.provenance
    new = network(
        BrunelParams(**prov["params"]),
        engine=engine or prov["engine"],
        threads=threads,
        record_spikes=prov["record_spikes"],
    )
    differences = []
    for name in old.dataset.variables:  # every array the file holds: rates, CVs, synchrony, theory, not only spikes
        if name not in new.dataset.variables:
            differences.append(name)
            continue
        a, b = np.asarray(old.dataset[name].values), np.asarray(new.dataset[name].values)
        text = a.dtype.kind in "OUST" or b.dtype.kind in "OUST"  # labels ("E", "I"): compared as text, any dtype
        same = a.tolist() == b.tolist() if text else (a.dtype == b.dtype and a.tobytes() == b.tobytes())
        if a.shape != b.shape or not same:
            differences.append(str(name))
    return new, differences


def rerun_command(path: str | os.PathLike, data: str | None, force: bool, quiet: bool) -> int:
    """``lifsim rerun`` of a network result: run it again, compare, save with ``data``; the exit status."""
    import sys

    from ..errors import EXIT_DIFFERS

    if data is not None:  # suffix, folder, the format's packages, an existing file: before the run
        check_target(data, force)
    new, differences = rerun(path)
    if data is not None:
        new.save(data, overwrite=force)
        if not quiet:
            print(f"wrote {data} (network)")
    if differences:
        print(f"lifsim: rerun of {path} differs: {', '.join(differences)}", file=sys.stderr)
        return EXIT_DIFFERS
    if not quiet:
        print(new.summary())
        print(f"rerun of {path}: reproduced bit for bit")
    return 0
