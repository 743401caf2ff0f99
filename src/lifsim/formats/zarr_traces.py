"""Traces in Zarr stores: the store a run streams its traces into, and the lazy reader of stored traces.

Split from :mod:`lifsim.formats.zarr` so that the runners, which stream traces while a run goes, stand
below the result and its formats: nothing here builds a :class:`~lifsim.result.Result` (a finished run
hands its result to :meth:`TraceStore.finish`, which reads it through :func:`lifsim.dataset.to_dataset`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_folder, check_output_path
from ..dataset import to_dataset
from ..store import WriterLock, check_overwrite, codecs, open_store, quiet_zarr, seal_store, verify_lazy

if TYPE_CHECKING:
    from ..result import Result

__all__ = ["ZarrTraces", "TraceStore", "trace_chunks", "CHUNK_VALUES"]

#: values (float64) per trace chunk: 1 MiB
CHUNK_VALUES = 2**17


def _chunk_row(relative: str) -> int | None:
    """The chunk row (along the recorded neurons) of a trace chunk's path ``v/c/ROW/COLUMN``, else None."""
    parts = relative.split("/")
    if len(parts) == 4 and parts[:2] == ["v", "c"] and parts[2].isdigit():
        return int(parts[2])
    return None


def trace_chunks(recorded: int, steps: int, time_chunk: int | None = None) -> tuple[int, int]:
    """Chunk shape ``(neurons, steps)`` of the trace array ``v``.

    ``time_chunk``: the time slab a streaming run writes at once (chunks must
    not straddle two slabs); None for a run written at once, whose chunks
    then span the whole run in time where 1 MiB allows.
    """
    along_time = min(steps, CHUNK_VALUES) if time_chunk is None else max(1, min(steps, int(time_chunk)))
    neurons = max(1, min(recorded, CHUNK_VALUES // along_time))
    return neurons, along_time


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
        ds = open_store(self.path)
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
        return open_store(self.path)["v"]

    def read(self, rows: Any = None) -> np.ndarray:
        """The traces of ``rows`` (positions in :attr:`neurons`; all by default) as an array (V).

        The chunks that hold them are checked against the SHA-256 the store's manifest kept for each first (a
        chunk rewritten by another program carries a fresh CRC-32C, which zarr's read would accept)."""
        with self._dataset() as ds:
            per_chunk = int((ds["v"].encoding.get("chunks") or ds["v"].shape)[0]) or 1
            wanted = {
                int(p) // per_chunk
                for p in np.atleast_1d(np.arange(self.shape[0])[rows if rows is not None else slice(None)])
            }
            changed = verify_lazy(self.path, lambda relative: _chunk_row(relative) in wanted)
            if changed is not None:
                raise ValueError(f"{self.path}: its traces (v) cannot be read: {changed}")
            v = ds["v"] if rows is None else ds["v"].isel(recorded=rows)
            try:
                return np.asarray(v.values, dtype=np.float64)
            except (ValueError, OSError, RuntimeError) as error:  # a chunk's CRC-32C that does not match, ...
                raise ValueError(
                    f"{self.path}: its traces (v) cannot be read: a chunk is damaged or changed "
                    f"({type(error).__name__}: {str(error)[:160]})"
                ) from None

    def __repr__(self) -> str:
        return f"ZarrTraces({str(self.path)!r}, shape={self.shape})"


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

        self.target = check_output_path(path, (".zarr",), "path")
        check_overwrite(self.target, overwrite, "path")
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
        seal_store(self.store)
        try:
            return self.folder.commit()
        finally:
            self.lock.release()

    def abort(self) -> None:
        """Remove the unfinished store."""
        self.folder.abort()
        self.lock.release()
