"""Making a saved run again from its provenance, and checking it is the same.

Every :class:`~lifsim.result.Result` records the :class:`~lifsim.request.RunRequest`
that made it (:meth:`~lifsim.request.RunRequest.to_dict`): in ``meta["run"]``
what :func:`lifsim.simulate` was asked (neurons, steps, seed, stream, spiking,
method, engine, recorded neurons, lags, snapshots), in ``meta["params"]``
every parameter and in ``meta["input"]`` the input (an array input's values
travel in the file).  :func:`rerun` runs the stored request again; with the default
counter-based stream the new run equals the old one bit for bit, on any
engine, thread count and machine, as the reproducibility contract
(:mod:`lifsim.streams`) states; a run made with another stream version is
refused with the reason instead of being reported as different.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .atomic import check_path_type
from .request import stamp
from .result import Result

__all__ = ["rerun", "compare", "stamp", "check_stream_version"]


def rerun(
    result: Result | str,
    *,
    trace_store: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    overwrite: bool = False,
) -> Any:
    """Run ``result`` (a Result or a saved file's path) again from its provenance: :func:`lifsim.simulate` of
    the stored :class:`~lifsim.request.RunRequest`.

    ``trace_store``: a ``.zarr`` path to stream the new run's traces into (for
    runs whose traces do not fit in memory).  ``dry_run``: return the run's
    :class:`~lifsim.planning.RunEstimate` (memory, output, time) instead of
    running it.  ``overwrite``: replace an existing ``trace_store``; the
    store is never the result being rerun.  Raises ``ValueError`` if the provenance is missing or damaged
    (the message names the file and what in its provenance cannot be run), or
    the run used the tutorial's legacy stream (whose draws depend on the
    exercise's code, not on a seed alone).  ``source`` names the result in
    messages (a loaded file's path).
    """
    from .engine import installed
    from .request import RunRequest
    from .runners.local import Local
    from .simulation import run

    source = source or "rerun"
    if trace_store is not None:
        check_path_type(trace_store, "trace_store")
    if not isinstance(result, Result):
        from .formats import load

        source = str(result)
        result = load(result)
    assert isinstance(result, Result)
    stored = RunRequest.from_dict(result.meta, result.input_array, source=source)
    # every engine gives the same bits (the contract): one that cannot run here (a GPU run made again on a
    # laptop) is replaced by the best that can
    request = replace(
        stored,
        engine=stored.engine if stored.engine in installed() else "auto",
        command=f"rerun of: {str(result.meta.get('command') or 'a Python call')[:1000]}",
    )
    try:
        if trace_store is not None and source != "rerun":
            from .store import refuse_same

            refuse_same(source, trace_store, "trace_store")
        return run(request, Local(progress=False), trace_store=trace_store, dry_run=dry_run, overwrite=overwrite)
    except (TypeError, ValueError, OverflowError) as error:
        if str(error).startswith(source):
            raise
        raise ValueError(f"{source}: its provenance asks for a run lifsim cannot make ({str(error)[:300]})") from None


def check_stream_version(run: dict, meta: dict, source: str) -> None:
    """Refuse, with the reason, a run made with another version of the random stream (see
    :func:`lifsim.request.check_stream_version`)."""
    from .request import check_stream_version as check

    check(run, meta, source)


def _traces_equal(a: Result, b: Result) -> bool:
    """The recorded traces of two runs are bitwise equal; traces on disk are read in blocks of rows."""
    if a.has_traces != b.has_traces:
        return False
    if not a.has_traces:
        return True
    neurons = a.recorded_neurons()
    if not np.array_equal(neurons, b.recorded_neurons()):
        return False
    rows = max(1, (64 * 2**20) // (8 * max(1, a.steps)))  # about 64 MiB of each at a time
    for start in range(0, neurons.size, rows):
        part = slice(start, min(neurons.size, start + rows))
        x, y = a.traces(part), b.traces(part)
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
            return False
    return True


def compare(a: Result, b: Result) -> list[str]:
    """The arrays in which two runs differ (empty when they are bitwise identical).

    Traces kept on disk (a loaded Zarr store) are compared block by block, never loaded whole.
    """
    differences: list[str] = []
    for name in ("t", "v_mean", "v_m2", "comoment", "v", "spike_t", "spike_i", "spike_count", "v_snapshots"):
        if name == "v":
            if not _traces_equal(a, b):
                differences.append(name)
            continue
        x, y = getattr(a, name), getattr(b, name)
        if x is None and y is None:
            continue
        if x is not None and y is not None and np.size(x) == 0 and np.size(y) == 0:
            continue
        if x is None or y is None or np.shape(x) != np.shape(y) or not np.array_equal(x, y, equal_nan=True):
            differences.append(name)
    return differences
