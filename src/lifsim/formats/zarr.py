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

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_folder, check_output_path
from ..dataset import check_declared_sizes, from_dataset, to_dataset
from ..result import Result
from ..store import (
    LAYER,
    WriterLock,
    check_overwrite,
    codecs,
    create,
    kind_of,
    quiet_zarr,
    read_attributes,
    refuse_links,
    seal,
    verify,
)

__all__ = ["save", "load", "ZarrTraces", "TraceStore", "trace_chunks", "CHUNK_VALUES"]

#: seconds a whole-store save waits for another writer of the same store to finish
_SAVE_WAIT = 120.0
#: values (float64) per trace chunk: 1 MiB
CHUNK_VALUES = 2**17


def trace_chunks(recorded: int, steps: int, time_chunk: int | None = None) -> tuple[int, int]:
    """Chunk shape ``(neurons, steps)`` of the trace array ``v``.

    ``time_chunk``: the time slab a streaming run writes at once (chunks must
    not straddle two slabs); None for a run written at once, whose chunks
    then span the whole run in time where 1 MiB allows.
    """
    along_time = min(steps, CHUNK_VALUES) if time_chunk is None else max(1, min(steps, int(time_chunk)))
    neurons = max(1, min(recorded, CHUNK_VALUES // along_time))
    return neurons, along_time


def _open(path: Path) -> Any:
    import xarray as xr

    with quiet_zarr():
        try:
            return xr.open_zarr(path, consolidated=True)
        except (KeyError, FileNotFoundError, ValueError, OSError):  # a store without consolidated metadata
            return xr.open_zarr(path, consolidated=False)


def _digest(values: Any) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def _seal(path: Path) -> None:
    """Mark the store complete, consolidate its metadata, and seal it with its manifest (the last write)."""
    import zarr

    with quiet_zarr():
        group = zarr.open_group(str(path), mode="r+")
        group.attrs.update({"lifsim_complete": 1, LAYER: 1})
        zarr.consolidate_metadata(str(path))
    seal(path, lazy=("v",))


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


class ZarrTraces:
    """Recorded traces (V) kept in a Zarr store, read on demand.

    Attributes
    ----------
    path : Path
        The store.
    neurons : ndarray
        Neuron index of each row.
    shape : tuple of int
        ``(recorded neurons, steps)``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self._dataset() as ds:
            if "v" not in ds:
                raise ValueError(f"{self.path}: holds no traces")
            self.neurons = np.asarray(ds["recorded"].values, dtype=np.int64)
            self.shape = tuple(int(size) for size in ds["v"].shape)

    @contextlib.contextmanager
    def _dataset(self) -> Iterator[Any]:
        ds = _open(self.path)
        try:
            yield ds
        finally:
            ds.close()

    @property
    def nbytes(self) -> int:
        """Bytes the whole trace array takes in memory."""
        return 8 * self.shape[0] * self.shape[1]

    def lazy(self) -> Any:
        """The traces as a dask-backed ``xarray.DataArray`` (recorded, time); nothing read yet."""
        return _open(self.path)["v"]

    def read(self, rows: Any = None) -> np.ndarray:
        """The traces of ``rows`` (positions in :attr:`neurons`; all by default) as an array (V)."""
        with self._dataset() as ds:
            v = ds["v"] if rows is None else ds["v"].isel(recorded=rows)
            return np.asarray(v.values, dtype=np.float64)

    def __repr__(self) -> str:
        return f"ZarrTraces({str(self.path)!r}, shape={self.shape})"


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
    _seal(path)


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.zarr); an existing store is replaced only when the new one is whole.

    Whether an existing store may be replaced is decided before (:func:`lifsim.formats.save`'s ``overwrite``).
    """
    ds = to_dataset(result)
    with WriterLock(target).acquire(wait=_SAVE_WAIT):
        return create(target, lambda path: _write(ds, path, target))


def _bytes_on_disk(source: Path) -> int:
    """The bytes of every file in the store (links were refused before)."""
    import os

    return sum(os.lstat(os.path.join(folder, name)).st_size for folder, _d, names in os.walk(source) for name in names)


def _check_store(source: Path) -> None:
    """Everything checked before a store is opened: its kind, then its manifest (or an old store's checks)."""
    try:
        refuse_links(source)
        attributes = read_attributes(source)
        kind = kind_of(attributes)
        if kind == "sweep":
            raise ValueError(f"{source}: a lifsim sweep, not a run; read it with lifsim.load_sweep")
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


def load(source: Path) -> Result:
    """Read a run written by :func:`save` or streamed by :class:`TraceStore`; traces stay on disk."""
    _check_store(source)
    try:
        ds = check_declared_sizes(_open(source), str(source), lazy_traces=True, on_disk=_bytes_on_disk(source))
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
    return from_dataset(loaded, source=str(source), traces=traces)


class TraceStore:
    """A Zarr store that recorded traces stream into while a run goes.

    Created empty (the ``v`` array's shape is known from the start) under a
    temporary name beside ``path``; the engine hands over slabs of time
    (:meth:`write`), so memory holds one slab, not the whole trace.
    :meth:`finish` adds the rest of the run (statistics, spikes, provenance),
    marks the store complete and moves it to ``path``; :meth:`abort` removes it.
    """

    def __init__(
        self, path: str | Path, neurons: np.ndarray, t: np.ndarray, chunk_steps: int, overwrite: bool = False
    ) -> None:
        import dask.array as da
        import xarray as xr

        self.target = check_output_path(path, (".zarr",), "--data")
        check_overwrite(self.target, overwrite, "--data")
        self.lock = WriterLock(self.target).acquire()
        try:
            self.folder = atomic_folder(self.target)
        except BaseException:
            self.lock.release()
            raise
        self.store = self.folder.path
        self.chunk_steps = int(chunk_steps)
        shape = (len(neurons), len(t))
        self.chunks = trace_chunks(shape[0], shape[1], self.chunk_steps)
        template = xr.Dataset(
            {
                "v": (
                    ("recorded", "time"),
                    da.zeros(shape, chunks=self.chunks),
                    {"units": "V", "long_name": "membrane potential"},
                )
            },
            coords={
                "time": ("time", t, {"units": "s", "long_name": "time"}),
                "recorded": ("recorded", np.asarray(neurons, dtype=np.int64), {"long_name": "recorded neuron index"}),
            },
            attrs={"lifsim_complete": 0},
        )
        with quiet_zarr(self.target), self._or_abort():
            template.to_zarr(
                self.store,
                mode="w",
                compute=False,
                consolidated=False,
                encoding={
                    name: {**codecs(), **({"chunks": self.chunks} if name == "v" else {})}
                    for name in template.variables
                },
            )

    @contextlib.contextmanager
    def _or_abort(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abort()
            raise

    def write(self, first_step: int, block: np.ndarray) -> None:
        """Write traces (V) for steps ``first_step .. first_step + block.shape[1] - 1``."""
        import xarray as xr

        part = xr.Dataset({"v": (("recorded", "time"), block)})
        with quiet_zarr(self.target):
            part.to_zarr(
                self.store,
                region={"time": slice(first_step, first_step + block.shape[1]), "recorded": slice(0, block.shape[0])},
                consolidated=False,
                write_empty_chunks=True,
            )

    def finish(self, result: Result) -> Path:
        """Add the rest of ``result`` (whose traces are in the store already), mark complete, move into place."""
        ds = to_dataset(result, with_traces=False)
        ds = ds.drop_vars(["time", "recorded"], errors="ignore")
        ds.attrs["lifsim_complete"] = 0
        with quiet_zarr(self.target):
            encoding = {name: codecs() for name in ds.variables}
            ds.to_zarr(self.store, mode="a", consolidated=False, write_empty_chunks=True, encoding=encoding)
        _seal(self.store)
        try:
            return self.folder.commit()
        finally:
            self.lock.release()

    def abort(self) -> None:
        """Remove the unfinished store."""
        self.folder.abort()
        self.lock.release()
