"""Making a saved run again from its provenance, and checking it is the same.

Every :class:`~lifsim.result.Result` records in ``meta["run"]`` what
:func:`lifsim.simulate` was asked (neurons, steps, seed, stream, spiking,
method, engine, recorded neurons, lags, snapshots), in ``meta["params"]``
every parameter and in ``meta["input"]`` the input (an array input's values
travel in the file).  :func:`rerun` rebuilds the call; with the default
counter-based stream the new run equals the old one bit for bit, on any
engine, thread count and machine, as the reproducibility contract
(:mod:`lifsim.streams`) states; a run made with another stream version is
refused with the reason instead of being reported as different.
"""

from __future__ import annotations

import numpy as np

from .inputs import from_description
from .params import PARAM_UNITS, LIFParams
from .result import Result

__all__ = ["rerun", "compare", "stamp", "check_stream_version"]


def stamp(command: str | None = None, config: dict | None = None) -> dict[str, object]:
    """What every file lifsim writes records about how it was made: versions, time, command, config."""
    import datetime
    import sys

    from . import __version__

    return {
        "lifsim_version": __version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "command": command,
        "config": config,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def rerun(result: Result | str, *, trace_store: str | None = None, source: str | None = None) -> Result:
    """Run ``result`` (a Result or a saved file's path) again from its provenance.

    ``trace_store``: a ``.zarr`` path to stream the new run's traces into (for
    runs whose traces do not fit in memory).  Raises ``ValueError`` if the
    provenance is missing or damaged (the message names the file and what in
    its provenance cannot be run), or the run used the tutorial's legacy
    stream (whose draws depend on the exercise's code, not on a seed alone).
    ``source`` names the result in messages (a loaded file's path).
    """
    from .simulation import simulate

    source = source or "rerun"
    if not isinstance(result, Result):
        from .formats import load

        source = str(result)
        result = load(result)
    assert isinstance(result, Result)
    meta = result.meta
    run = meta.get("run")
    if not isinstance(run, dict):
        raise ValueError(f"{source}: the result has no run provenance (saved by an older lifsim?)")
    if run.get("stream") != "counter":
        raise ValueError(f"{source}: only runs on the default counter-based stream can be made again from a seed")
    check_stream_version(run, meta, source)
    from .engine import installed

    try:
        given = {name: meta["params"][name] for name in PARAM_UNITS if name in meta["params"]}
        params = LIFParams(**given, round_steps=True)
        inputs = from_description(meta["input"], result.input_array)
        dt = params.dt
        return simulate(
            params,
            inputs,
            n=int(run["n"]),
            seed=int(run["seed"]),
            spiking=_flag(run["spiking"]),
            method=run["method"],
            record_v=run["record_v"],
            record_spikes=_flag(run["record_spikes"]),
            lags=tuple(int(lag) for lag in run["lags"]),
            snapshots=[int(k) * dt for k in run["snapshot_steps"]],
            steps=int(run["steps"]),
            # every engine gives the same bits (the contract): one that cannot run here (a GPU run
            # made again on a laptop) is replaced by the best that can
            engine=run["engine"] if run["engine"] in installed() else "auto",
            command=f"rerun of: {str(meta.get('command') or 'a Python call')[:1000]}",
            config=meta.get("config") if isinstance(meta.get("config"), dict) else None,
            progress=False,
            trace_store=trace_store,
        )
    except KeyError as error:
        raise ValueError(f"{source}: the provenance lacks {str(error)[:100]}") from None
    except (TypeError, ValueError, OverflowError) as error:
        if str(error).startswith(source):
            raise
        raise ValueError(f"{source}: its provenance asks for a run lifsim cannot make ({str(error)[:300]})") from None


def check_stream_version(run: dict, meta: dict, source: str) -> None:
    """Refuse, with the reason, a run made with another version of the random stream.

    Version 1 (lifsim before the portable normals; files without
    ``run["stream_version"]``) drew normals through the platform's libm and
    summed statistics in an order that depended on the machine, so this lifsim
    cannot make its bits again: a rerun would differ by design, not by a bug.
    """
    from . import __version__
    from .streams import STREAM_VERSION

    version = run.get("stream_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{source}: its provenance has an unreadable stream_version {str(version)[:40]!r}")
    if version == STREAM_VERSION:
        return
    made_by = str(meta.get("lifsim_version", "an older lifsim"))[:40]
    why = (
        "normals from the platform's libm and statistics summed in a machine-dependent order"
        if version == 1
        else "a stream this lifsim does not know"
    )
    raise ValueError(
        f"{source}: made with random stream version {version} ({why}) by lifsim {made_by}; lifsim {__version__} "
        f"draws stream version {STREAM_VERSION}, so a rerun here would differ by design, not by a bug. "
        f"Rerun it with lifsim {made_by}, or simulate it afresh"
    )


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {str(value)[:40]!r}")
    return value


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
