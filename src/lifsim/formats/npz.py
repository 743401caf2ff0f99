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
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
#: the provenance of a run is a few kilobytes; refuse a meta member larger than this
MAX_META_BYTES = 16 << 20
#: room for a member's .npy header
_HEADER = 4096


def _open(path: str | os.PathLike) -> Any:
    """An opened ``.npz`` archive (members read on access, never unpickled); ``ValueError`` otherwise."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise ValueError(f"{path}: cannot read ({error.strerror or error})") from None
    if head[:4] != _ZIP_MAGIC:
        what = "an empty file" if not head else "a single .npy array" if head == _NPY_MAGIC else "not a zip archive"
        raise ValueError(f"{path}: not a lifsim .npz file ({what})")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {str(error)[:200]})") from None


def _member(data: Any, name: str, limit: int, source: object) -> np.ndarray:
    """Member ``name`` of an opened archive, refused unless its size is at most ``limit`` bytes.

    The size is checked three ways before anything is allocated: what the zip directory declares
    against ``limit``, the decompressed against the compressed size (:func:`_check_inflation`), and
    what the member's ``.npy`` header declares (shape x item size) against the member's size.
    """
    info = data.zip.getinfo(f"{name}.npy")
    size = info.file_size
    if size > limit + _HEADER:
        raise ValueError(f"{name} declares {size} bytes, at most {limit + _HEADER} fit this run")
    _check_inflation(info)
    declared = _declared_bytes(data, name)
    if declared > size:
        raise ValueError(f"{name} declares {declared} bytes of values in a member of {size} bytes")
    try:
        value: np.ndarray = data[name]
    except ValueError as error:
        if "pickle" in str(error):
            raise ValueError(f"{name} holds Python objects, which lifsim never reads") from None
        raise
    return value


#: a deflated member may expand at most this many times (lifsim writes its members uncompressed), above a floor
MAX_RATIO, RATIO_FLOOR = 100, 1 << 20


def _check_inflation(info: zipfile.ZipInfo) -> None:
    """Refuse a member whose declared size is not what its bytes in the file can hold."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            raise ValueError(f"{info.filename} declares {info.file_size} bytes but holds {info.compress_size}")
    elif info.file_size > max(RATIO_FLOOR, MAX_RATIO * info.compress_size):
        raise ValueError(
            f"{info.filename} declares {info.file_size} bytes compressed into {info.compress_size} "
            f"(more than {MAX_RATIO} times); it is damaged or hostile"
        )


def _declared_bytes(data: Any, name: str) -> int:
    """What member ``name``'s ``.npy`` header declares (shape x item size), read without its values."""
    from numpy.lib import format as npy

    with data.zip.open(f"{name}.npy") as handle:
        version = npy.read_magic(handle)
        if version == (1, 0):
            shape, _order, dtype = npy.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _order, dtype = npy.read_array_header_2_0(handle)
        else:
            raise ValueError(f"{name} has an .npy header of unknown version {version}")
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects, which lifsim never reads")
    return math.prod(int(d) for d in shape) * dtype.itemsize


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file (never unpickles anything); ``ValueError`` naming the file otherwise."""
    data = _open(path)
    try:
        with data:
            return {name: _member(data, name, MAX_META_BYTES << 6, path) for name in data.files}
    except ValueError as error:
        raise ValueError(f"{path}: not a lifsim .npz file ({error})") from None
    except Exception as error:  # damaged archives raise many types
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {str(error)[:200]})") from None


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


def load(source: Path) -> Result:
    """Read a run written by :func:`save`: sizes checked against the provenance first, unknown members ignored."""
    data = _open(source)
    try:
        with data:
            if "meta" not in data.files:
                raise KeyError("'meta'")
            meta = json.loads(str(_member(data, "meta", MAX_META_BYTES, source)))
            if not isinstance(meta, dict) or "params" not in meta:
                raise ValueError("meta has no parameters")
            limits = _limits(meta)
            arrays = {name: _member(data, name, limit, source) for name, limit in limits.items() if name in data.files}
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
            v_snapshots=arrays.get("v_snapshots", np.zeros((0, 0))),
            input_array=arrays.get("input_array"),
            meta=meta,
        )
    except KeyError as error:
        raise ValueError(f"{source}: not a complete lifsim result (missing {str(error)[:100]})") from None
    except (TypeError, ValueError, OverflowError, IndexError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: damaged lifsim result ({str(error)[:200]})") from None
    except RecursionError:
        raise ValueError(f"{source}: damaged lifsim result (its provenance is nested too deeply)") from None
    except Exception as error:  # damaged archives raise many types
        raise ValueError(f"{source}: damaged lifsim result ({type(error).__name__}: {str(error)[:200]})") from None
    result.check(str(source))
    return result
