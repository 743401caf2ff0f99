"""``.npz``: every array of a run under flat names, the provenance as JSON in ``meta``.

Names: ``t`` (s), ``v_mean`` (V), ``v_std`` (V, ddof 1), ``v_var`` (V**2,
ddof 1), ``v_m2`` (V**2), with spiking ``spike_t`` (s), ``spike_i``,
``spike_count`` and ``rate`` (Hz), with traces ``v`` (V) and ``v_neurons``,
``autocov_lagL`` (V**2) for each lag, ``lags``, ``comoment``, ``snapshot_t``,
``v_snapshots``, ``input_array`` (A) and ``meta``.  Files are read with
``allow_pickle=False``: nothing in them can run code.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..atomic import atomic_file, check_output_path
from ..result import Result

__all__ = ["save", "load", "save_arrays", "read_arrays"]


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping | None = None) -> Path:
    """Write ``arrays`` (and ``meta`` as a JSON string under ``meta``) to ``path`` atomically."""
    target = check_output_path(path, (".npz",), "--data")
    payload = dict(arrays)
    if meta is not None:
        payload["meta"] = np.array(json.dumps(meta))
    with atomic_file(target) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **payload)  # type: ignore[arg-type]
    return target


#: the first bytes of a zip archive (.npz) and of a single numpy array (.npy)
_ZIP_MAGIC, _NPY_MAGIC = b"PK\x03\x04", b"\x93NUMPY"


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read an ``.npz`` file (never unpickles anything); ``ValueError`` naming the file otherwise."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise ValueError(f"{path}: cannot read ({error.strerror or error})") from None
    if head[:4] != _ZIP_MAGIC and head != _NPY_MAGIC:
        what = "an empty file" if not head else "neither a zip archive nor a numpy array"
        raise ValueError(f"{path}: not a lifsim .npz file ({what})")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):  # a bare .npy array under an .npz name
                raise ValueError("it holds a single array, not named arrays")
            return {name: data[name] for name in data.files}
    except ValueError as error:
        if "pickle" in str(error):  # numpy suggests allow_pickle=True: never do that with a file
            raise ValueError(
                f"{path}: not a lifsim .npz file (it holds Python objects, which lifsim never reads)"
            ) from None
        raise ValueError(f"{path}: not a lifsim .npz file ({error})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {error})") from None
    except Exception as error:  # damaged archives raise many types
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {error})") from None


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.npz); see the module docstring for the names."""
    result.load_traces()
    arrays = result.arrays(ddof=1)
    meta = json.loads(str(arrays.pop("meta")))
    return save_arrays(target, arrays, meta)


def load(source: Path) -> Result:
    """Read a run written by :func:`save`."""
    data = read_arrays(source)
    try:
        meta = json.loads(str(data["meta"]))
        if not isinstance(meta, dict) or "params" not in meta:
            raise ValueError("meta has no parameters")
        t = data["t"]
        if t.ndim != 1 or t.dtype.kind != "f":
            raise ValueError("t must be a 1-D array of times")
        lags = tuple(int(lag) for lag in data.get("lags", np.zeros(0, dtype=np.int64)))
        steps = t.size
        result = Result(
            t=t.astype(np.float64),
            n=int(meta["n"]),
            v_mean=data["v_mean"].astype(np.float64),
            v_m2=data["v_m2"].astype(np.float64),
            lags=lags,
            comoment=data["comoment"] if lags else np.zeros((0, steps)),
            v=data.get("v"),
            v_neurons=data.get("v_neurons"),
            spike_t=data.get("spike_t"),
            spike_i=data.get("spike_i"),
            spike_count=data.get("spike_count"),
            snapshot_t=data.get("snapshot_t", np.zeros(0)),
            v_snapshots=data.get("v_snapshots", np.zeros((0, 0))),
            input_array=data.get("input_array"),
            meta=meta,
        )
    except KeyError as error:
        raise ValueError(f"{source}: not a complete lifsim result (missing {error})") from None
    except (TypeError, ValueError, OverflowError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: damaged lifsim result ({error})") from None
    result.check(str(source))
    return result
