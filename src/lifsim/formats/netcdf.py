"""``.nc``: the :mod:`lifsim.dataset` layout as NetCDF-4 (HDF5, through h5netcdf and h5py).

Written and read by :mod:`lifsim.netcdf_io`, the NetCDF layer every ``.nc`` of lifsim goes through
(checksums, built in memory and renamed into place when whole, a damaged file refused in one line).
Reading also checks the sizes a file declares against what its own attributes allow before any array is
read, so a small hostile file cannot inflate to gigabytes.
"""

from __future__ import annotations

from pathlib import Path

from ..dataset import check_declared_sizes, from_dataset, to_dataset
from ..netcdf_io import read_dataset, write_dataset
from ..result import Result

__all__ = ["save", "load"]


def save(result: Result, target: Path) -> Path:
    """Write ``result`` to ``target`` (.nc) atomically; traces kept on disk are copied chunk by chunk.

    Every array carries an HDF5 Fletcher-32 checksum; the provenance carries a SHA-256.
    """
    return write_dataset(to_dataset(result), target)


def load(source: Path) -> Result:
    """Read a run written by :func:`save` (everything into memory, after checking its declared sizes)."""
    return from_dataset(read_dataset(source, check_declared_sizes), Result, source=str(source))
