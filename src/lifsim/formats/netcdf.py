"""``.nc``: the :mod:`lifsim.dataset` layout as NetCDF-4 (HDF5, through h5netcdf and h5py).

The file is built in memory and then written with plain file I/O: HDF5 that
meets a full disk leaves its library in a state that crashes the interpreter
(a segmentation fault when the half-closed file is garbage-collected), so
HDF5 never writes to disk here.  A full disk is then an ordinary ``OSError``,
reported as one line, and the temporary file is removed.  Runs too large to
build in memory are written directly, after a check that the disk has room.
Reading checks the sizes a file declares against what its own attributes
allow before any array is read, so a small hostile file cannot inflate to
gigabytes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file, check_free_space
from ..dataset import check_declared_sizes, from_dataset, to_dataset
from ..memory import available_memory
from ..result import Result

__all__ = ["save", "load"]

#: HDF5 structure around the arrays: a generous allowance
_OVERHEAD = 1 << 20


def _checksummed(ds: object) -> dict[str, dict]:
    """Fletcher-32 checksums on every non-empty array, so that a damaged file is refused on reading."""
    return {
        name: {"fletcher32": True}
        for name, variable in ds.variables.items()  # type: ignore[attr-defined]
        if variable.ndim and variable.size
    }


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.nc) atomically; traces kept on disk are copied chunk by chunk.

    Every array carries an HDF5 Fletcher-32 checksum; the provenance carries a SHA-256.
    """
    ds = to_dataset(result)
    ds.attrs["lifsim_sha256"] = json.dumps(_digests(ds))
    needed = int(ds.nbytes) + _OVERHEAD
    check_free_space(target, needed, "--data")
    room = available_memory()
    if room is None or needed < room // 3:
        image = io.BytesIO()
        ds.to_netcdf(image, engine="h5netcdf", encoding=_checksummed(ds))
        with atomic_file(target) as tmp, open(tmp, "wb") as handle:
            handle.write(image.getbuffer())
        return target
    with atomic_file(target) as tmp:  # too large for memory: straight to disk, whose room was checked
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=_checksummed(ds))
    return target


@contextlib.contextmanager
def _quiet_half_opened_files() -> Iterator[None]:
    """Drop h5netcdf's complaints about files it half-opened before a damaged file stopped it.

    h5netcdf's ``File`` whose constructor failed raises in its finaliser
    ("Exception ignored in: File.close"), printing a traceback long after
    lifsim said its one line.  Those objects are collected here, quietly.
    """
    previous = sys.unraisablehook

    def hook(info: Any) -> None:
        if not str(getattr(info.object, "__module__", "")).startswith("h5netcdf"):
            previous(info)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.collect()
        sys.unraisablehook = previous


def _digests(ds: Any) -> dict[str, str]:
    """SHA-256 of every array's bytes: HDF5 reads a chunk whose address was damaged as fill values, silently."""
    digests = {}
    for name, variable in ds.variables.items():
        digest = hashlib.sha256()
        if variable.chunks and variable.ndim == 2:  # traces kept on disk: hashed a block of rows at a time
            start = 0
            for rows in variable.chunks[0]:
                digest.update(np.ascontiguousarray(variable[start : start + rows].values).tobytes())
                start += rows
        else:
            digest.update(np.ascontiguousarray(variable.values).tobytes())
        digests[name] = digest.hexdigest()
    return digests


def _verify(ds: Any) -> None:
    stored = ds.attrs.get("lifsim_sha256")
    if stored is None:
        return  # a file of an older lifsim
    expected = json.loads(stored)
    found = _digests(ds)
    for name, digest in expected.items():
        if found.get(name) != digest:
            raise ValueError(f"{name} does not match its checksum (the file is damaged)")


def load(source: Path) -> Result:
    """Read a run written by :func:`save` (everything into memory, after checking its declared sizes)."""
    with _quiet_half_opened_files():
        return _load(source)


def _load(source: Path) -> Result:
    import xarray as xr

    failure = None
    try:
        with xr.open_dataset(source, engine="h5netcdf") as opened:
            ds = check_declared_sizes(opened, str(source), on_disk=source.stat().st_size).load()
        _verify(ds)
    except ValueError as error:
        message = str(error)
        if message.startswith(str(source)):
            raise
        failure = message
    except (RecursionError, MemoryError) as error:
        failure = type(error).__name__
    except Exception as error:  # h5py raises its own types for damaged files
        failure = f"{type(error).__name__}: {error}"
    if failure is not None:  # raised here, outside the handler, so the half-opened file is freed now
        gc.collect()
        raise ValueError(f"{source}: cannot read as a lifsim result ({failure[:300]})")
    return from_dataset(ds, Result, source=str(source))
