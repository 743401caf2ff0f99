"""Writing results to files safely: check the destination first, write atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

__all__ = ["check_output_path", "save_npz", "load_npz", "save_table_csv"]


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
    if target.is_dir():
        raise ValueError(f"{what}: {str(path)!r} is a folder, expected a file name")
    return target


def save_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` (.npz) atomically: a temporary file, then a rename.

    A crash mid-write leaves the previous file (if any) untouched and no
    partial file under ``path``.
    """
    target = check_output_path(path, (".npz",), "--data")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read an ``.npz`` file written by lifsim (never unpickles anything)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read as a lifsim .npz file ({error})") from None


def save_table_csv(path: str | os.PathLike, columns: Mapping[str, np.ndarray], units: Mapping[str, str]) -> Path:
    """Write equal-length columns to a CSV file atomically; the header names each column's unit."""
    target = check_output_path(path, (".csv",), "--data")
    names = list(columns)
    header = ",".join(f"{name} ({units[name]})" if name in units else name for name in names)
    table = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in names])
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w") as handle:
            np.savetxt(handle, table, delimiter=",", header=header, comments="", fmt="%.17g")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
