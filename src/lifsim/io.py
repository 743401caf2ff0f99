"""Writing results to files safely: check the destination first, write atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["check_output_path", "save_npz", "load_npz", "save_table_csv", "save", "load", "RESULT_SUFFIXES"]


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Validate an output path before any work is done.

    Raises ``ValueError`` if the suffix is not one of ``suffixes`` or the
    folder does not exist (or is not a folder).
    """
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise ValueError(f"{what}: {str(path)!r} must end in one of {', '.join(suffixes)}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} does not exist")
    if target.is_dir() and target.suffix.lower() != ".zarr":
        raise ValueError(f"{what}: {str(path)!r} is a folder, expected a file name")
    return target


@contextlib.contextmanager
def atomic_file(target: Path, suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path beside ``target``; rename it to ``target`` if the block succeeds.

    On any exception (KeyboardInterrupt included) the temporary file is removed
    and ``target`` is left as it was, so no half-written file ever carries its name.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent or ".")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` (.npz) atomically: a temporary file, then a rename.

    A crash mid-write leaves the previous file (if any) untouched and no
    partial file under ``path``.
    """
    target = check_output_path(path, (".npz",), "--data")
    with atomic_file(target) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    return target


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read an ``.npz`` file written by lifsim (never unpickles anything)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path}: cannot read as a lifsim .npz file ({error})") from None
    except Exception as error:  # zipfile.BadZipFile and friends
        raise ValueError(f"{path}: cannot read as a lifsim .npz file ({type(error).__name__}: {error})") from None


def save_table_csv(path: str | os.PathLike, columns: Mapping[str, np.ndarray], units: Mapping[str, str]) -> Path:
    """Write equal-length columns to a CSV file atomically; the header names each column's unit."""
    target = check_output_path(path, (".csv",), "--data")
    names = list(columns)
    header = ",".join(f"{name} ({units[name]})" if name in units else name for name in names)
    table = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in names])
    with atomic_file(target) as tmp, open(tmp, "w") as handle:
        np.savetxt(handle, table, delimiter=",", header=header, comments="", fmt="%.17g")
    return target


# ---------------------------------------------------------------- results

RESULT_SUFFIXES = (".nc", ".zarr", ".npz", ".csv", ".nwb")


def save(result: Result, path: str | os.PathLike) -> Path:
    """Save a run, the format chosen by the suffix; the write is atomic.

    ``.nc`` NetCDF-4 (h5netcdf) and ``.zarr`` hold the whole run as an
    xarray Dataset (:mod:`lifsim.dataset`); ``.npz`` holds the same arrays under
    flat names (``t``, ``v_mean``, ``v_std``, ``v_var``, ``v_m2``, ``v``,
    ``spike_t``, ``spike_i``, ``spike_count``, ``rate``, ``autocov_lagL``,
    ``meta``...); ``.csv`` is the per-step statistics table only.

    A file is first written under a temporary name in the same folder and
    renamed when complete, so an interrupted write never leaves a file that
    looks complete (an existing file is kept until the new one is whole).
    """
    from .result import Result

    if not isinstance(result, Result):
        raise TypeError(f"result: expected a lifsim Result, got {type(result).__name__}")
    target = check_output_path(path, RESULT_SUFFIXES, "--data")
    suffix = target.suffix.lower()
    result.load_traces()  # traces streamed to a Zarr store travel with the copy
    if suffix == ".npz":
        return save_npz(target, result.arrays(ddof=1))
    if suffix == ".nwb":
        from .export import to_nwb

        return to_nwb(result, target)
    if suffix == ".csv":
        columns = {"t": result.t, "v_mean": result.v_mean, "v_std": result.v_std(1), "v_var": result.v_var(1)}
        units = {"t": "s", "v_mean": "V", "v_std": "V", "v_var": "V**2"}
        for lag in result.lags:
            columns[f"autocov_lag{lag}"] = result.autocov(lag, 1)
            units[f"autocov_lag{lag}"] = "V**2"
        return save_table_csv(target, columns, units)
    from .dataset import to_dataset

    ds = to_dataset(result)
    if suffix == ".nc":
        with atomic_file(target) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
        return target
    # .zarr: a folder; written beside the target, marked complete, then swapped in
    import shutil

    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        ds.attrs["lifsim_complete"] = 0
        ds.to_zarr(tmp_dir / "data.zarr", mode="w", consolidated=False)
        import zarr

        # the mark that the store is whole, written last
        group = zarr.open_group(str(tmp_dir / "data.zarr"), mode="r+")
        group.attrs["lifsim_complete"] = 1
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            os.replace(target, old)
        os.replace(tmp_dir / "data.zarr", target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return target


def load(path: str | os.PathLike) -> Result:
    """Read a run saved by :func:`save` (``.nc``, ``.zarr`` or ``.npz``) back as a Result.

    Never runs code from the file: no pickle, no eval.  A missing, truncated,
    corrupted or foreign file raises ``ValueError`` naming the file and the problem.
    """
    from .dataset import from_dataset

    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in (".nc", ".zarr", ".npz"):
        hint = {".csv": " (a .csv file holds only the per-step table)", ".nwb": " (read .nwb files with pynwb)"}.get(
            suffix, ""
        )
        raise ValueError(f"{path}: cannot load {suffix or 'a file without suffix'}{hint}; expected .nc, .zarr or .npz")
    if not source.exists():
        raise ValueError(f"{path}: no such file")
    if suffix == ".npz":
        return _result_from_npz(source)
    import xarray as xr

    try:
        if suffix == ".nc":
            with xr.open_dataset(source, engine="h5netcdf") as opened:
                ds = opened.load()
        else:
            ds = xr.open_zarr(source, consolidated=False).load()
            if int(ds.attrs.get("lifsim_complete", 0)) != 1:
                raise ValueError("the Zarr store was not completely written")
    except ValueError as error:
        raise ValueError(f"{path}: cannot read as a lifsim result ({error})") from None
    except Exception as error:  # h5py/zarr raise their own types for damaged files
        raise ValueError(f"{path}: cannot read as a lifsim result ({type(error).__name__}: {error})") from None
    return from_dataset(ds, source=str(path))


def _result_from_npz(source: Path) -> Result:
    import json

    from .result import Result

    data = load_npz(source)
    try:
        meta = json.loads(str(data["meta"]))
        if not isinstance(meta, dict) or "params" not in meta:
            raise ValueError("meta has no parameters")
        lags = tuple(int(lag) for lag in data.get("lags", np.zeros(0, dtype=np.int64)))
        steps = data["t"].size
        result = Result(
            t=data["t"].astype(np.float64),
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
    except (TypeError, ValueError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: damaged lifsim result ({error})") from None
    result.check(str(source))
    return result


class TraceStore:
    """A Zarr store that recorded traces stream into while a run goes.

    Created empty (the ``v`` array's shape is known from the start) under a
    temporary name beside ``path``; the engine hands over chunks of time
    (:meth:`write`), so memory holds one chunk, not the whole trace.
    :meth:`finish` adds the rest of the run (statistics, spikes, provenance),
    marks the store complete and moves it to ``path``; :meth:`abort` removes it.
    """

    def __init__(self, path: str | os.PathLike, neurons: np.ndarray, t: np.ndarray, chunk_steps: int) -> None:
        import dask.array as da
        import xarray as xr

        self.target = check_output_path(path, (".zarr",), "--data")
        self.tmp_dir = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent))
        self.store = self.tmp_dir / "data.zarr"
        self.chunk_steps = int(chunk_steps)
        shape = (len(neurons), len(t))
        template = xr.Dataset(
            {
                "v": (
                    ("recorded", "time"),
                    da.zeros(shape, chunks=(len(neurons), self.chunk_steps)),
                    {"units": "V", "long_name": "membrane potential"},
                )
            },
            coords={
                "time": ("time", t, {"units": "s", "long_name": "time"}),
                "recorded": ("recorded", np.asarray(neurons, dtype=np.int64), {"long_name": "recorded neuron index"}),
            },
            attrs={"lifsim_complete": 0},
        )
        template.to_zarr(self.store, mode="w", compute=False, consolidated=False)

    def write(self, first_step: int, block: np.ndarray) -> None:
        """Write traces (V) for steps ``first_step .. first_step + block.shape[1] - 1``."""
        import xarray as xr

        part = xr.Dataset({"v": (("recorded", "time"), block)})
        part.to_zarr(
            self.store,
            region={"time": slice(first_step, first_step + block.shape[1]), "recorded": slice(0, block.shape[0])},
            consolidated=False,
        )

    def finish(self, result: Result) -> Path:
        """Add the rest of ``result`` (whose ``v`` stayed on disk), mark complete, move into place."""
        import shutil

        import zarr

        from .dataset import to_dataset

        # v and its coordinates are in the store already; result.v is None here
        ds = to_dataset(result).drop_vars(["time", "recorded"], errors="ignore")
        ds.attrs["lifsim_complete"] = 0
        ds.to_zarr(self.store, mode="a", consolidated=False)
        group = zarr.open_group(str(self.store), mode="r+")
        group.attrs["lifsim_complete"] = 1
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            os.replace(self.target, old)
        os.replace(self.store, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Remove the unfinished store."""
        import shutil

        shutil.rmtree(self.tmp_dir, ignore_errors=True)
