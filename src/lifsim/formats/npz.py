"""``.npz``: every array of a run under flat names, the provenance as JSON in ``meta``.

Names: ``t`` (s), ``v_mean`` (V), ``v_std`` (V, ddof 1), ``v_var`` (V**2,
ddof 1), ``v_m2`` (V**2), with spiking ``spike_t`` (s), ``spike_i``,
``spike_count`` and ``rate`` (Hz), with traces ``v`` (V) and ``v_neurons``,
``autocov_lagL`` (V**2) for each lag, ``lags``, ``comoment``, ``snapshot_t``,
``v_snapshots``, ``input_array`` (A) and ``meta``.  Files are written and read by :mod:`lifsim.npz_io`
(atomically; with ``allow_pickle=False``: nothing in them can run code).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..npz_io import MAX_META_BYTES, check_digests, open_archive, read_arrays, read_member, save_arrays
from ..result import Result
from ..store import FI_READER, fi_table_words

__all__ = ["save", "load", "save_arrays", "read_arrays"]


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.npz); see the module docstring for the names."""
    result.load_traces()
    arrays = result.arrays(ddof=1)
    meta = json.loads(str(arrays.pop("meta")))
    return save_arrays(target, arrays, meta)


def _limits(meta: dict) -> dict[str, int]:
    """The most bytes each member of a run with this provenance can hold (before its header)."""
    n, steps = int(meta["n"]), int(meta["steps"])
    run = meta.get("run", {})
    recorded = n if run.get("record_v") is None else len(run["record_v"])
    lags = len(run.get("lags", ())) or steps
    snapshots = len(run.get("snapshot_steps", ())) or steps
    if n < 1 or steps < 1 or recorded > n:
        raise ValueError(f"meta declares n = {n}, steps = {steps}")
    per_step = 8 * steps
    limits = {name: per_step for name in ("t", "v_mean", "v_std", "v_var", "v_m2")}
    limits.update(
        v=recorded * per_step,
        v_neurons=8 * recorded,
        spike_t=n * per_step,
        spike_i=n * per_step,
        spike_count=8 * n,
        rate=8,
        snapshot_t=8 * snapshots,
        v_snapshots=8 * snapshots * n,
        lags=8 * lags,
        comoment=lags * per_step,
        input_array=n * (per_step + 8),
    )
    return limits


class _NotARun(ValueError):
    """A lifsim .npz of another kind than a run (its message says which)."""


def _refuse_other_kinds(meta: dict, source: Path) -> None:
    """Name what a lifsim .npz that is not a run holds (an f-I table, a tutorial exercise's arrays) instead of
    calling it an incomplete run."""
    command = str(meta.get("command", ""))[:120]
    if meta.get("kind") == "f-I curve":
        raise _NotARun(
            f"{source}: {fi_table_words(meta)}, not a run: read it with {FI_READER}; lifsim load and rerun take a "
            "run's file"
        )
    if "tutorial" in meta and "exercise" in meta:
        raise _NotARun(
            f"{source}: the arrays of tutorial exercise {meta['exercise']} ('{command}'), not a run: it is read with "
            "numpy.load and made again by its command; lifsim load and rerun take a run's file"
        )


def load(source: Path) -> Result:
    """Read a run written by :func:`save`: sizes checked against the provenance first; a member its checksums do
    not list refused (unknown members of a file without checksums, an older lifsim's, ignored)."""
    data = open_archive(source)
    try:
        with data:
            if "meta" not in data.files:
                raise KeyError("'meta'")
            meta_text = str(read_member(data, "meta", MAX_META_BYTES, source))
            meta = json.loads(meta_text)
            if not isinstance(meta, dict) or "params" not in meta:
                raise ValueError("meta has no parameters")
            _refuse_other_kinds(meta, source)
            limits = _limits(meta)
            arrays = {
                name: read_member(data, name, limit, source) for name, limit in limits.items() if name in data.files
            }
            for name in data.files:  # one autocovariance per lag: a step's values, like v_std
                if name.startswith("autocov_lag"):
                    arrays[name] = read_member(data, name, limits["v_std"], source)
            # every member's checksum, the derived ones (v_std, rate, ...) a Result rebuilds included
            check_digests(data, source, {**arrays, "meta": np.array(meta_text)}, max(limits.values(), default=0))
        t = arrays["t"]
        lags_array = arrays.get("lags", np.zeros(0, dtype=np.int64))
        if lags_array.dtype.kind not in "iu" or lags_array.ndim != 1 or (lags_array.size and lags_array.min() < 0):
            raise ValueError("lags must be whole numbers of steps >= 0")
        lags = tuple(int(lag) for lag in lags_array)
        steps = t.size if t.ndim == 1 else -1
        result = Result(
            t=t,
            n=int(meta["n"]),
            v_mean=arrays["v_mean"],
            v_m2=arrays["v_m2"],
            lags=lags,
            comoment=arrays["comoment"] if lags else np.zeros((0, max(steps, 0))),
            v=arrays.get("v"),
            v_neurons=arrays.get("v_neurons"),
            spike_t=arrays.get("spike_t"),
            spike_i=arrays.get("spike_i"),
            spike_count=arrays.get("spike_count"),
            snapshot_t=arrays.get("snapshot_t", np.zeros(0)),
            v_snapshots=arrays.get("v_snapshots", np.zeros((0, int(meta["n"])))),
            input_array=arrays.get("input_array"),
            meta=meta,
        )
    except _NotARun:
        raise
    except KeyError as error:
        raise ValueError(f"{source}: not a complete lifsim result (missing {str(error)[:100]})") from None
    except (TypeError, ValueError, OverflowError, IndexError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: damaged lifsim result ({str(error)[:200]})") from None
    except RecursionError:
        raise ValueError(f"{source}: damaged lifsim result (its provenance is nested too deeply)") from None
    except Exception as error:  # damaged archives raise many types
        raise ValueError(f"{source}: damaged lifsim result ({type(error).__name__}: {str(error)[:200]})") from None
    result.check(str(source))
    result.check_stored(arrays, str(source))  # v_std, rate, autocov_lagL, ...: what the run's arrays give
    return result
