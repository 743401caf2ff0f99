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
from ..errors import in_own_words
from ..result import Result
from ..store import LAYER, READERS, kind_of, open_store, read_attributes, refuse_links, verify, write_dataset
from .zarr_traces import CHUNK_VALUES, TraceStore, ZarrTraces, trace_chunks

__all__ = ["save", "load", "ZarrTraces", "TraceStore", "trace_chunks", "CHUNK_VALUES"]


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


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.zarr); an existing store is replaced only when the new one is whole.

    Whether an existing store may be replaced is decided before (:func:`lifsim.formats.save`'s ``overwrite``).
    Traces ``v`` are chunked by :func:`trace_chunks`; everything else is :func:`lifsim.store.write_dataset`'s.
    """
    ds = to_dataset(result)
    encoding: dict[str, dict] = {}
    if "v" in ds:
        chunks = trace_chunks(ds["v"].shape[0], ds["v"].shape[1])
        encoding["v"] = {"chunks": chunks}
        if ds["v"].chunks is not None:  # dask-backed: chunks must line up with the store's
            ds = ds.assign(v=ds["v"].chunk({"recorded": chunks[0], "time": chunks[1]}))
    return write_dataset(ds, target, encoding)


def _bytes_on_disk(source: Path) -> int:
    """The bytes of every file in the store (links were refused before)."""
    import os

    return sum(os.lstat(os.path.join(folder, name)).st_size for folder, _d, names in os.walk(source) for name in names)


def _check_store(source: Path, wanted: str = "run") -> None:
    """Everything checked before a store is opened: its kind, then its manifest (or an old store's checks)."""
    try:
        refuse_links(source)
        attributes = read_attributes(source)
        kind = kind_of(attributes)
        if kind is not None and kind not in (("run", "checkpoint") if wanted == "run" else (wanted,)):
            raise ValueError(f"{source}: a lifsim {kind}, not a {wanted}; read it with {READERS[kind]}")
        if kind == "checkpoint" and not int((attributes or {}).get("lifsim_complete", 0)):
            raise ValueError(
                f"{source}: an unfinished distributed run (not completely written); finish it with "
                + in_own_words("--resume", "resume=True")
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
