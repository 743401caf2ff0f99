"""``.zarr``: the :mod:`lifsim.dataset` layout as a Zarr store (a folder).

* A store is written under a temporary name beside its target, marked
  complete (attribute ``lifsim_complete = 1``) as the last write, its metadata
  consolidated (one read opens it), and then moved into place.
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
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_folder, check_output_path
from ..dataset import from_dataset, to_dataset
from ..result import Result

__all__ = ["save", "load", "ZarrTraces", "TraceStore", "trace_chunks", "CHUNK_VALUES"]

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


@contextlib.contextmanager
def _quiet_zarr() -> Iterator[None]:
    """Silence zarr's note that consolidated metadata is not yet part of the Zarr 3 spec."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        yield


def _open(path: Path) -> Any:
    import xarray as xr

    with _quiet_zarr():
        try:
            return xr.open_zarr(path, consolidated=True)
        except (KeyError, FileNotFoundError, ValueError, OSError):  # a store without consolidated metadata
            return xr.open_zarr(path, consolidated=False)


def _mark_complete(path: Path) -> None:
    import zarr

    with _quiet_zarr():
        group = zarr.open_group(str(path), mode="r+")
        group.attrs["lifsim_complete"] = 1
        zarr.consolidate_metadata(str(path))


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


def _write(ds: Any, path: Path, time_chunk: int | None = None) -> None:
    encoding: dict[str, dict] = {}
    if "v" in ds:
        chunks = trace_chunks(ds["v"].shape[0], ds["v"].shape[1], time_chunk)
        encoding["v"] = {"chunks": chunks}
        if ds["v"].chunks is not None:  # dask-backed: chunks must line up with the store's
            ds = ds.assign(v=ds["v"].chunk({"recorded": chunks[0], "time": chunks[1]}))
    ds.attrs["lifsim_complete"] = 0
    with _quiet_zarr():
        ds.to_zarr(path, mode="w", consolidated=False, encoding=encoding)
    _mark_complete(path)


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.zarr); an existing store is replaced only when the new one is whole."""
    ds = to_dataset(result)
    folder = atomic_folder(target)
    try:
        _write(ds, folder.path)
        return folder.commit()
    finally:
        folder.abort()


def load(source: Path) -> Result:
    """Read a run written by :func:`save` or streamed by :class:`TraceStore`; traces stay on disk."""
    try:
        ds = _open(source)
        if int(ds.attrs.get("lifsim_complete", 0)) != 1:
            raise ValueError("the Zarr store was not completely written")
        traces = ZarrTraces(source) if "v" in ds else None
        without_traces = ds.drop_vars(["v"]) if "v" in ds else ds
        loaded = without_traces.load()
    except ValueError as error:
        raise ValueError(f"{source}: cannot read as a lifsim result ({error})") from None
    except Exception as error:  # zarr raises its own types for damaged stores
        raise ValueError(f"{source}: cannot read as a lifsim result ({type(error).__name__}: {error})") from None
    return from_dataset(loaded, source=str(source), traces=traces)


class TraceStore:
    """A Zarr store that recorded traces stream into while a run goes.

    Created empty (the ``v`` array's shape is known from the start) under a
    temporary name beside ``path``; the engine hands over slabs of time
    (:meth:`write`), so memory holds one slab, not the whole trace.
    :meth:`finish` adds the rest of the run (statistics, spikes, provenance),
    marks the store complete and moves it to ``path``; :meth:`abort` removes it.
    """

    def __init__(self, path: str | Path, neurons: np.ndarray, t: np.ndarray, chunk_steps: int) -> None:
        import dask.array as da
        import xarray as xr

        self.target = check_output_path(path, (".zarr",), "--data")
        self.folder = atomic_folder(self.target)
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
        with _quiet_zarr():
            template.to_zarr(
                self.store, mode="w", compute=False, consolidated=False, encoding={"v": {"chunks": self.chunks}}
            )

    def write(self, first_step: int, block: np.ndarray) -> None:
        """Write traces (V) for steps ``first_step .. first_step + block.shape[1] - 1``."""
        import xarray as xr

        part = xr.Dataset({"v": (("recorded", "time"), block)})
        with _quiet_zarr():
            part.to_zarr(
                self.store,
                region={"time": slice(first_step, first_step + block.shape[1]), "recorded": slice(0, block.shape[0])},
                consolidated=False,
            )

    def finish(self, result: Result) -> Path:
        """Add the rest of ``result`` (whose traces are in the store already), mark complete, move into place."""
        ds = to_dataset(result, with_traces=False)
        ds = ds.drop_vars(["time", "recorded"], errors="ignore")
        ds.attrs["lifsim_complete"] = 0
        with _quiet_zarr():
            ds.to_zarr(self.store, mode="a", consolidated=False)
        _mark_complete(self.store)
        return self.folder.commit()

    def abort(self) -> None:
        """Remove the unfinished store."""
        self.folder.abort()
