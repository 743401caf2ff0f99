"""A sweep's resumable ``.zarr`` store, and :func:`load_sweep`, on the store layer of :mod:`lifsim.store`.

The store is created whole under a temporary name and moved into place (its arrays empty, its resume
marks holding the SHA-256 of every metadata file), so an interrupted creation leaves nothing, or the
store that was there.  Each finished grid point then writes its chunk files (one chunk per point and
variable) and, after them, its resume mark with their SHA-256.  ``resume=True`` checks every mark
against the files before it trusts it: a deleted, swapped, changed or linked chunk is refused in one
line.  When every point is done the provenance is added and the store sealed with its manifest, which
:func:`load_sweep` checks before reading anything.  One writer at a time: a second is refused.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import check_path_type
from .errors import in_own_words
from .store import (
    FI_READER,
    LAYER,
    Marks,
    WriterLock,
    array_dimensions,
    check_inflation,
    check_overwrite,
    codecs,
    create,
    fi_table_provenance,
    fi_table_words,
    is_network_file,
    kind_of,
    network_reader,
    note_unfinished,
    quiet_zarr,
    read_attributes,
    refuse_links,
    seal,
    sealed,
    verify,
)

__all__ = ["SweepStore", "load_sweep", "is_sweep_file", "compare_sweeps"]

#: the resume mark of the store's creation (its metadata files)
CREATED = "created"


def per_step_time(spec: Any, steps: int) -> Any:
    """The coordinate ``t`` (s) of a sweep's per-step statistics (``per_step=True``): the time grid ``k dt``."""
    import xarray as xr

    return xr.Variable("t", np.arange(steps) * float(spec.params["dt"]), {"units": "s", "long_name": "time"})


class SweepStore:
    """A resumable ``.zarr`` store of a sweep, written point by point (values first, then the point's mark).

    Parameters
    ----------
    path : Path
        The store (``.zarr``).
    spec
        What defines the sweep's numbers: ``digest()``, ``per_step`` and its fields as ``__dict__``.
    coords : dict
        Swept name -> values (SI), in the grid's order.
    steps : int
        Time steps of one point (the length of the per-step outputs).
    outputs : mapping
        Per-point output name -> (units, description).
    units : mapping
        Swept name -> SI unit of its values.
    """

    def __init__(
        self,
        path: Path,
        spec: Any,
        coords: Mapping[str, tuple[float, ...]],
        steps: int,
        *,
        outputs: Mapping[str, tuple[str, str]],
        units: Mapping[str, str],
        started: Mapping[str, Any] | None = None,
    ) -> None:
        self.path, self.spec, self.coords, self.steps = Path(path), spec, dict(coords), int(steps)
        self.outputs, self.units = dict(outputs), dict(units)
        #: how the store was begun (versions, time, command, config): this call's, or, once resumed, the first's
        self.started: dict[str, Any] | None = None if started is None else dict(started)
        self.resumed = False
        self.shape = tuple(len(v) for v in self.coords.values())
        self.names = tuple(self.coords)
        self.lock = WriterLock(self.path, "data")
        self.marks = Marks(self.path)
        self.complete = False
        self._arrays: dict[str, Any] = {}

    def _template(self) -> Any:
        import dask.array as da
        import xarray as xr

        dims = self.names
        one = (1,) * len(dims)
        data: dict[str, Any] = {}
        for name, (units, text) in self.outputs.items():
            empty = da.full(self.shape, np.nan, chunks=one)
            data[name] = xr.Variable(dims, empty, {"units": units, "description": text})
        if self.spec.per_step:
            for name, units in (("v_mean_t", "V"), ("v_var_t", "V**2")):
                empty = da.full(self.shape + (self.steps,), np.nan, chunks=one + (self.steps,))
                data[name] = xr.Variable(dims + ("t",), empty, {"units": units})
        coords = {
            name: xr.Variable(name, np.asarray(v), {"units": self.units[name]}) for name, v in self.coords.items()
        }
        if self.spec.per_step:
            coords["t"] = per_step_time(self.spec, self.steps)
        ds = xr.Dataset(data, coords=coords)
        ds.attrs.update(
            {
                "lifsim_sweep_spec": json.dumps(self.spec.__dict__, sort_keys=True),
                "lifsim_started": json.dumps(self.started, default=str),  # kept by a resumed sweep's record
                "lifsim_sweep_digest": self.spec.digest(),
                "lifsim_kind": "sweep",
                "lifsim_complete": 0,
                LAYER: 1,
            }
        )
        return ds

    def open(self, resume: bool, overwrite: bool = False) -> np.ndarray:
        """Create the store (replacing an existing one only with ``overwrite``), or check it and resume it.

        Returns the done mask.  Takes the writer's lock, held until :meth:`finish` or :meth:`close`.
        """
        self.lock.acquire()
        try:
            if (self.path.exists() or self.path.is_symlink()) and resume:
                return self._resume()
            check_overwrite(self.path, overwrite, "data", resume=True)
            self._create()
            return np.zeros(self.shape, dtype=bool)
        except BaseException:
            self.lock.release()
            raise

    def _create(self) -> None:
        template = self._template()
        encoding = {name: codecs() for name in template.data_vars}

        def build(path: Path) -> None:
            with quiet_zarr(self.path):
                template.to_zarr(path, mode="w", encoding=encoding, consolidated=False, compute=False)
            files = [
                os.path.relpath(os.path.join(folder, name), path).replace(os.sep, "/")
                for folder, _dirs, names in os.walk(path)
                for name in names
            ]
            Marks(path).add(CREATED, [name for name in files if name != "zarr.json"])

        create(self.path, build)
        self._arrays = {}

    def _differences(self, attributes: dict) -> str:
        """What differs between the stored sweep's spec and this one: its field names, or the usual suspects."""
        try:
            stored = {"model": "neuron", **json.loads(attributes["lifsim_sweep_spec"])}  # before network sweeps
            stored.setdefault("measure", 1 if stored["model"] == "neuron" else 0)  # before a measure was kept
            ours = json.loads(json.dumps(self.spec.__dict__, sort_keys=True))
            names = sorted(name for name in set(stored) | set(ours) if stored.get(name) != ours.get(name))
        except (KeyError, TypeError, ValueError):
            names = []
        if names == ["measure"]:
            return (
                f"measured by an older lifsim, measure {stored['measure']} against this one's {ours['measure']}: its "
                "rates, standard errors or theory came by other rules; "
                + in_own_words("--force", "overwrite=True")
                + " runs the sweep again into it"
            )
        if names == ["stream"]:
            version = str(stored["stream"]).rsplit("/", 1)[-1]
            return (
                f"its random stream is {stored['stream']}, this sweep draws {ours['stream']}; resume it with "
                + in_own_words(f"--stream-version {version}", f"stream_version={version}")
            )
        if not names:
            return "grid, parameters, n, seed or input differ"
        return f"{', '.join(names[:6])} differ" + ("s" if len(names) == 1 else "")

    def _check_grid_order(self) -> None:
        """Refuse a store whose grid has this sweep's names and values in another order.

        The spec's digest sorts the grid's names, so it cannot tell ``--grid a=.. --grid b=..`` from the
        reverse; but a point's flat index, and so its seed, follows the order: resumed in another order, points
        would land at the wrong coordinates.  The order is the stored arrays' dimensions."""
        stored = array_dimensions(self.path / next(iter(self.outputs)))
        if stored is None:
            raise ValueError(f"data: {self.path} cannot be resumed: the dimensions of its arrays cannot be read")
        if tuple(stored) != self.names:
            raise ValueError(
                f"data: {self.path} was made with its grid in the order {', '.join(stored)}; this sweep gives it as "
                f"{', '.join(self.names)}. A point's seed follows the order: give the grid (--grid options, or the "
                "grid mapping's keys) in the store's order to resume it"
            )

    def _resume(self) -> np.ndarray:
        """The done mask of the existing store, after checking that it is this sweep's and undamaged."""
        try:
            refuse_links(self.path)
            attributes = read_attributes(self.path)
        except (ValueError, OSError) as error:
            raise ValueError(f"data: {self.path} cannot be resumed: {error}") from None
        kind = kind_of(attributes)
        if kind != "sweep" or attributes is None:
            what = f"a lifsim {kind} store" if kind else "not a lifsim sweep store"
            raise ValueError(f"data: {self.path} is {what}, not a sweep; it cannot be resumed")
        if attributes.get("lifsim_sweep_digest") != self.spec.digest():
            raise ValueError(
                f"data: {self.path} was written by a different sweep ({self._differences(attributes)}); "
                "it cannot be resumed by this command"
            )
        try:
            self.started = json.loads(str(attributes.get("lifsim_started", "null")))
        except ValueError:  # damaged: the marks' check below refuses the store
            self.started = None
        self.resumed = True
        if LAYER not in attributes:
            raise ValueError(
                f"data: {self.path} was written by an older lifsim without resume marks; it cannot be resumed "
                f"({in_own_words('add --force', 'pass overwrite=True')} to run the sweep again into it)"
            )
        self._check_grid_order()
        try:
            if sealed(self.path):
                verify(self.path)
                self.complete = True
                return np.ones(self.shape, dtype=bool)
            marks = self.marks.verify()
        except (ValueError, OSError) as error:
            raise ValueError(f"data: {self.path} cannot be resumed: {error}") from None
        if CREATED not in marks:
            raise ValueError(f"data: {self.path} cannot be resumed: its resume marks are damaged (no creation mark)")
        done = np.zeros(self.shape, dtype=bool)
        total = math.prod(self.shape)
        for key in marks:
            if key.isdigit() and int(key) < total:
                done.ravel()[int(key)] = True
        return done

    def _array(self, name: str) -> Any:
        import zarr

        if name not in self._arrays:
            self._arrays[name] = zarr.open_array(str(self.path / name), mode="r+")
        return self._arrays[name]

    def write(self, flat: int, values: Mapping[str, Any]) -> None:
        """Store one finished point: its chunk files, then its resume mark (a torn write is never marked)."""
        import zarr

        index = tuple(int(i) for i in np.unravel_index(flat, self.shape))
        files = []
        with zarr.config.set({"array.write_empty_chunks": True}), quiet_zarr(self.path):
            for name, value in values.items():
                array = self._array(name)
                value = np.asarray(value, dtype=np.float64)
                where = index + ((slice(None),) if value.ndim else ())
                array[where] = value
                files.append(f"{name}/{array.metadata.encode_chunk_key(index + ((0,) if value.ndim else ()))}")
        self.marks.add(str(flat), files)

    def finish(self, meta: Mapping[str, Any]) -> Any:
        """Check every mark, record the provenance, seal the store; return it as a Dataset (:func:`load_sweep`)."""
        import zarr

        try:
            if not self.complete:
                try:
                    self.marks.verify()
                except (ValueError, OSError) as error:
                    raise ValueError(f"data: {self.path} was damaged while the sweep ran: {error}") from None
                with quiet_zarr(self.path):
                    group = zarr.open_group(str(self.path), mode="r+")
                    group.attrs.update({"lifsim_meta": json.dumps(meta, default=str), "lifsim_complete": 1})
                    zarr.consolidate_metadata(str(self.path))
                seal(self.path)
                self.complete = True
        finally:
            self.close()
        return load_sweep(self.path)

    def close(self) -> None:
        """Give up the writer's lock (what is written stays: ``resume=True`` finishes it, as an interrupt's line
        says: :func:`~lifsim.store.note_unfinished`)."""
        self._arrays = {}
        if not self.complete:
            note_unfinished(self.path)
        self.lock.release()


def load_sweep(path: str | os.PathLike) -> Any:
    """A sweep saved by ``lifsim sweep --data`` (``.nc`` or a finished ``.zarr`` store), as an ``xarray.Dataset``.

    A ``.zarr`` store is checked against its manifest first (links, missing, swapped or changed chunks are
    refused); a run file (``lifsim.load``'s) is refused, saying so.
    """
    check_path_type(path, "load_sweep")
    target = Path(path)
    if not (target.exists() or target.is_symlink()):
        raise ValueError(f"load_sweep: {str(path)!r}: no such file")
    suffix = target.suffix.lower()
    if is_network_file(target):
        raise ValueError(f"{target}: a lifsim network, not a sweep; {network_reader(target)}")
    table = fi_table_provenance(target)
    if table is not None:
        raise ValueError(f"{target}: {fi_table_words(table)}, not a sweep: read it with {FI_READER}")
    if suffix == ".npz":
        raise ValueError(f"{target}: a lifsim run file (.npz), not a sweep; read it with lifsim.load")
    if suffix == ".zarr":
        return _load_zarr(target)
    if suffix == ".nc":
        return _load_netcdf(target)
    raise ValueError(f"load_sweep: {str(path)!r} must end in .zarr or .nc (a sweep written by lifsim sweep --data)")


def _load_zarr(target: Path) -> Any:
    import xarray as xr

    try:
        refuse_links(target)
        attributes = read_attributes(target)
    except (ValueError, OSError) as error:
        raise ValueError(f"{target}: cannot read as a lifsim sweep ({error})") from None
    kind = kind_of(attributes)
    if kind in ("run", "checkpoint"):
        raise ValueError(f"{target}: a lifsim run, not a sweep; read it with lifsim.load")
    if kind == "network":
        raise ValueError(f"{target}: a lifsim network, not a sweep; read it with lifsim.network.load")
    if kind != "sweep" or attributes is None:
        raise ValueError(f"{target}: not a lifsim sweep (no sweep attributes in its Zarr metadata)")
    if LAYER in attributes:
        if not sealed(target):
            raise ValueError(f"{target}: an unfinished sweep; finish it with {in_own_words('--resume', 'resume=True')}")
        try:
            verify(target)
        except (ValueError, OSError) as error:
            raise ValueError(f"{target}: damaged lifsim sweep store: {error}") from None
    elif not int(attributes.get("lifsim_complete", 0)):
        raise ValueError(f"{target}: an unfinished sweep; finish it with {in_own_words('--resume', 'resume=True')}")
    try:
        with quiet_zarr(target):
            ds = xr.open_zarr(target, consolidated=LAYER in attributes).load()
    except Exception as error:  # zarr raises its own types for damaged stores
        raise ValueError(
            f"{target}: cannot read as a lifsim sweep ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    return ds.drop_vars("done", errors="ignore")


def _load_netcdf(target: Path) -> Any:
    """A sweep's ``.nc`` through the run's NetCDF layer (its SHA-256s checked), refused unless it is a sweep's."""
    from .netcdf_io import read_dataset

    def vet(opened: Any, _name: str, on_disk: int) -> Any:
        attributes = dict(opened.attrs)
        if "lifsim_schema" in attributes:
            raise ValueError(f"{target}: a lifsim run, not a sweep; read it with lifsim.load")
        # a neuron sweep has its rate, a network sweep its populations' (rate_exc, rate_inh)
        if attributes.get("title") != "lifsim sweep" or not ("rate" in opened or "rate_exc" in opened):
            raise ValueError(f"{target}: not a lifsim sweep")
        check_inflation(sum(int(v.size) * v.dtype.itemsize for v in opened.variables.values()), on_disk)
        return opened

    ds = read_dataset(target, vet, what="a lifsim sweep")
    ds.attrs.pop("lifsim_sha256", None)  # checked; not the sweep's own
    return ds


def is_sweep_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a saved sweep (a ``.zarr`` store or a ``.nc``): its attributes are looked up, no
    array is read; what ``lifsim rerun`` sends to :func:`lifsim.sweeps.rerun_sweep`."""
    source = Path(path)
    suffix = source.suffix.lower()
    try:
        if suffix == ".zarr" and source.is_dir():
            return kind_of(read_attributes(source)) == "sweep"
        if suffix == ".nc" and source.is_file():
            import h5py

            with h5py.File(source, "r") as handle:
                title = handle.attrs.get("title", b"")
                return (title.decode() if isinstance(title, bytes) else str(title)) == "lifsim sweep"
    except (OSError, ValueError):
        return False
    return False


def compare_sweeps(a: Any, b: Any) -> list[str]:
    """The measured arrays and grid coordinates in which two sweeps differ (empty when bitwise identical; NaN
    equals NaN, a point that has no value in both)."""
    differences = []
    for name in sorted(set(a.coords) | set(b.coords)):
        if name not in a.coords or name not in b.coords or not np.array_equal(a[name].values, b[name].values):
            differences.append(name)
    for name in sorted(set(a.data_vars) | set(b.data_vars)):
        if name not in a.data_vars or name not in b.data_vars:
            differences.append(name)
            continue
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        same = x.shape == y.shape and (
            np.array_equal(x, y, equal_nan=True) if x.dtype.kind in "fc" else np.array_equal(x, y)
        )
        if not same:
            differences.append(name)
    return differences
