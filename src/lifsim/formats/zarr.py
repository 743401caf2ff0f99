"""``.zarr``: the :mod:`lifsim.dataset` layout as a Zarr store (a folder).

* Every store goes through the store layer of :mod:`lifsim.store`: built
  under a temporary name beside its target and moved into place when whole,
  one writer at a time, sealed with a manifest (every file's size and SHA-256;
  the traces' chunks by size, each also carrying a CRC-32C checked when read)
  that loading checks before anything is read.  A missing, resized, swapped or
  changed file, a symbolic link or a special file is refused in one line, never
  read as fill values.  A store of an older lifsim (without the manifest) is
  checked as it was then (its ``lifsim_manifest`` attribute, its chunk count).
* Traces ``v`` are chunked so that one neuron's trace is a cheap read: chunks
  of about 1 MiB, as long in time as the run allows (a run that streams its
  traces writes them in time slabs, so there a chunk is one slab long and as
  many neurons tall as fit in 1 MiB).
* :func:`load` reads everything but the traces; :class:`ZarrTraces` reads
  them on demand (one neuron, a selection, or lazily as a dask-backed
  ``xarray.DataArray``).
* :class:`TraceStore` receives traces chunk by chunk while a run goes, so
  memory holds one chunk of time, not the whole trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..dataset import check_declared_sizes, from_dataset, to_dataset
from ..result import Result
from ..store import (
    LAYER,
    WriterLock,
    codecs,
    create,
    kind_of,
    quiet_zarr,
    read_attributes,
    refuse_links,
    verify,
)
from .zarr_traces import CHUNK_VALUES, TraceStore, ZarrTraces, open_store, seal_store, trace_chunks

__all__ = ["save", "load", "write_dataset", "read_dataset", "ZarrTraces", "TraceStore", "trace_chunks", "CHUNK_VALUES"]

#: seconds a whole-store save waits for another writer of the same store to finish
_SAVE_WAIT = 120.0


def _digest(values: Any) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def _inspect(path: Path) -> None:
    """A store of an older lifsim (no manifest file): refuse a missing variable or shape, or missing chunk files."""
    import json
    import math
    import os

    with open(path / "zarr.json") as handle:
        attributes = json.loads(handle.read(16 << 20)).get("attributes", {})
    if int(attributes.get("lifsim_complete", 0)) != 1:
        raise ValueError("the Zarr store was not completely written")
    manifest = attributes.get("lifsim_manifest")
    if not isinstance(manifest, dict):
        return  # a store of an older lifsim: nothing to check against
    for name, entry in manifest.items():
        shape = entry["shape"] if isinstance(entry, dict) else entry
        meta_file = path / name / "zarr.json"
        if not meta_file.is_file():
            raise ValueError(f"variable {name} is missing")
        raw = meta_file.read_bytes()[: 1 << 20]
        if isinstance(entry, dict) and _digest(np.frombuffer(raw, np.uint8)) != entry.get("metadata"):
            raise ValueError(f"the metadata of variable {name} does not match its checksum")
        meta = json.loads(raw)
        if list(meta.get("shape", [])) != list(shape):
            raise ValueError(f"variable {name} has shape {meta.get('shape')}, the store was written with {shape}")
        chunks = meta.get("chunk_grid", {}).get("configuration", {}).get("chunk_shape", shape)
        expected = math.prod(-(-size // max(1, chunk)) for size, chunk in zip(shape, chunks)) if shape else 1
        found = sum(len(files) for _root, _dirs, files in os.walk(path / name / "c")) if shape else 1
        if found != expected:
            raise ValueError(f"variable {name} has {found} of its {expected} chunks")


def _write(ds: Any, path: Path, target: Path, time_chunk: int | None = None) -> None:
    encoding: dict[str, dict] = {name: codecs() for name in ds.variables}
    if "v" in ds:
        chunks = trace_chunks(ds["v"].shape[0], ds["v"].shape[1], time_chunk)
        encoding["v"] = {"chunks": chunks, **codecs()}
        if ds["v"].chunks is not None:  # dask-backed: chunks must line up with the store's
            ds = ds.assign(v=ds["v"].chunk({"recorded": chunks[0], "time": chunks[1]}))
    ds.attrs["lifsim_complete"] = 0
    with quiet_zarr(target):
        ds.to_zarr(path, mode="w", consolidated=False, encoding=encoding, write_empty_chunks=True)
    seal_store(path)


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.zarr); an existing store is replaced only when the new one is whole.

    Whether an existing store may be replaced is decided before (:func:`lifsim.formats.save`'s ``overwrite``).
    """
    return write_dataset(to_dataset(result), target)


def write_dataset(ds: Any, target: Path) -> Path:
    """Write any lifsim Dataset (a run's, a network's) to the store ``target`` through the store layer: built
    under a temporary name, one writer at a time, sealed with its manifest, moved into place when whole.

    Labels (fixed-width numpy strings such as the populations "E", "I") are stored as Zarr 3's variable-length
    strings, a data type of the specification (fixed-width UTF-32 is not, and other readers may not know it)."""
    labels = {name: ds[name].astype(object) for name in ds.variables if ds[name].dtype.kind == "U"}
    if labels:
        ds = ds.assign_coords({k: v for k, v in labels.items() if k in ds.coords})
        ds = ds.assign({k: v for k, v in labels.items() if k not in ds.coords})
    with WriterLock(target).acquire(wait=_SAVE_WAIT):
        return create(target, lambda path: _write(ds, path, target))


def _bytes_on_disk(source: Path) -> int:
    """The bytes of every file in the store (links were refused before)."""
    import os

    return sum(os.lstat(os.path.join(folder, name)).st_size for folder, _d, names in os.walk(source) for name in names)


#: how to read each kind of store that is not the one asked for
_READERS = {
    "sweep": "lifsim.load_sweep",
    "network": "lifsim.network.load",
    "run": "lifsim.load",
    "checkpoint": "lifsim.load",
}


def _check_store(source: Path, wanted: str = "run") -> None:
    """Everything checked before a store is opened: its kind, then its manifest (or an old store's checks)."""
    try:
        refuse_links(source)
        attributes = read_attributes(source)
        kind = kind_of(attributes)
        if kind is not None and kind not in (("run", "checkpoint") if wanted == "run" else (wanted,)):
            raise ValueError(f"{source}: a lifsim {kind}, not a {wanted}; read it with {_READERS[kind]}")
        if kind == "checkpoint" and not int((attributes or {}).get("lifsim_complete", 0)):
            raise ValueError(
                f"{source}: an unfinished distributed run (not completely written); finish it with --resume "
                "(resume=True)"
            )
        if attributes is None or kind is None:
            raise ValueError(f"{source}: cannot read as a lifsim result (not a lifsim Zarr store)")
        if LAYER in attributes:
            verify(source)
        else:
            _inspect(source)
    except ValueError as error:
        if str(error).startswith(str(source)):
            raise
        raise ValueError(f"{source}: cannot read as a lifsim result ({str(error)[:300]})") from None
    except OSError as error:
        raise ValueError(f"{source}: cannot read as a lifsim result ({error.strerror or error})") from None


def read_dataset(source: Path, kind: str) -> Any:
    """The Dataset of a store of ``kind`` (``"network"``) written by :func:`write_dataset`, loaded whole after its
    manifest was checked; any failure is one ``ValueError`` naming the store."""
    _check_store(source, kind)
    try:
        return open_store(source).load()
    except Exception as error:  # zarr raises its own types for damaged stores
        raise ValueError(
            f"{source}: cannot read as a lifsim {kind} ({type(error).__name__}: {str(error)[:300]})"
        ) from None


def load(source: Path) -> Result:
    """Read a run written by :func:`save` or streamed by :class:`TraceStore`; traces stay on disk."""
    _check_store(source)
    try:
        ds = check_declared_sizes(open_store(source), str(source), lazy_traces=True, on_disk=_bytes_on_disk(source))
        traces = ZarrTraces(source) if "v" in ds else None
        without_traces = ds.drop_vars(["v"]) if "v" in ds else ds
        loaded = without_traces.load()
        manifest = loaded.attrs.get("lifsim_manifest")
        if isinstance(manifest, dict):
            for name, entry in manifest.items():
                if isinstance(entry, dict) and "data" in entry and name in loaded.variables:
                    if _digest(loaded[name].values) != entry["data"]:
                        raise ValueError(f"the values of {name} do not match their checksum")
    except ValueError as error:
        message = str(error)
        if message.startswith(str(source)):
            raise
        raise ValueError(f"{source}: cannot read as a lifsim result ({message[:300]})") from None
    except Exception as error:  # zarr raises its own types for damaged stores
        raise ValueError(
            f"{source}: cannot read as a lifsim result ({type(error).__name__}: {str(error)[:300]})"
        ) from None
    return from_dataset(loaded, Result, source=str(source), traces=traces)
