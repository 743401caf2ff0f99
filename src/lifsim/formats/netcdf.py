"""``.nc``: the :mod:`lifsim.dataset` layout as NetCDF-4 (HDF5, through h5netcdf and h5py)."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_file
from ..dataset import from_dataset, to_dataset
from ..result import Result

__all__ = ["save", "load"]


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.nc) atomically; traces kept on disk are copied chunk by chunk."""
    ds = to_dataset(result)
    with atomic_file(target) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return target


def load(source: Path) -> Result:
    """Read a run written by :func:`save` (everything into memory)."""
    import xarray as xr

    try:
        with xr.open_dataset(source, engine="h5netcdf") as opened:
            ds = opened.load()
    except ValueError as error:
        raise ValueError(f"{source}: cannot read as a lifsim result ({error})") from None
    except Exception as error:  # h5py raises its own types for damaged files
        raise ValueError(f"{source}: cannot read as a lifsim result ({type(error).__name__}: {error})") from None
    return from_dataset(ds, source=str(source))
