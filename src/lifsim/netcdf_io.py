"""NetCDF-4 files (``.nc``, HDF5 through h5netcdf and h5py) of any lifsim Dataset, written and read with checks.

The one NetCDF layer under every ``.nc`` lifsim writes (a run's, :mod:`lifsim.formats.netcdf`; a network's,
:mod:`lifsim.network.result`):

* every numeric array carries an HDF5 Fletcher-32 checksum, and the file's ``lifsim_sha256`` attribute the
  SHA-256 of every array (HDF5 reads a chunk whose address was damaged as fill values, silently); reading
  checks both, and a damaged file is one ``ValueError``;
* the file is built in memory and then written with plain file I/O under a temporary name (HDF5 that meets a
  full disk crashes the interpreter when the half-closed file is collected), or, when too large for memory,
  straight to a disk whose room was checked; it is renamed into place when whole.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_file, check_free_space
from .memory import available_memory

__all__ = ["write_dataset", "read_dataset", "plain_attribute"]

#: HDF5 structure around the arrays: a generous allowance
_OVERHEAD = 1 << 20


def _checksummed(ds: object) -> dict[str, dict]:
    """Fletcher-32 checksums on every non-empty numeric array, so that a damaged file is refused on reading
    (HDF5 filters cannot take variable-length strings, such as the labels "E", "I": the SHA-256 covers those)."""
    return {
        name: {"fletcher32": True}
        for name, variable in ds.variables.items()  # type: ignore[attr-defined]
        if variable.ndim and variable.size and variable.dtype.kind not in "OUS"
    }


def write_dataset(ds: Any, target: Path) -> Path:
    """Write any lifsim Dataset (a run's, a network's) to ``target`` (.nc) atomically, with the checksums.

    Every array gets an HDF5 Fletcher-32 checksum and a SHA-256 in the ``lifsim_sha256`` attribute; the file is
    built in memory and written with plain file I/O (or straight to a disk whose room was checked, when it is too
    large for memory).
    """
    ds = ds.copy()
    ds.attrs["lifsim_sha256"] = json.dumps(_digests(ds))
    needed = int(ds.nbytes) + _OVERHEAD
    room = available_memory()
    if room is None or needed < room // 3:
        image = io.BytesIO()
        ds.to_netcdf(image, engine="h5netcdf", encoding=_checksummed(ds))
        check_free_space(target, image.getbuffer().nbytes, "path")  # the file's own size (an estimate refused fits)
        with atomic_file(target) as tmp, open(tmp, "wb") as handle:
            handle.write(image.getbuffer())
        return target
    check_free_space(target, needed, "path")
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


#: the key of the digest of the file's attributes; of a variable's, this and its name (``attrs:spike_t``)
ATTRIBUTES = "attrs"


def plain_attribute(value: Any) -> Any:
    """An attribute's value as JSON takes it, the same written and read back (HDF5 returns numpy scalars)."""
    if isinstance(value, np.ndarray):
        return [plain_attribute(item) for item in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain_attribute(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _attribute_digest(attrs: Any) -> str:
    """SHA-256 of attributes (but the digests' own): what other tools read (units, params_json, method) is
    covered as the arrays are, so that a changed unit or parameter is not certified by a rerun."""
    plain = {str(name): plain_attribute(value) for name, value in attrs.items() if name != "lifsim_sha256"}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def _digests(ds: Any) -> dict[str, str]:
    """SHA-256 of every array's bytes (HDF5 reads a chunk whose address was damaged as fill values, silently), of
    the file's attributes and of each variable's."""
    digests = {ATTRIBUTES: _attribute_digest(ds.attrs)}
    for name, variable in ds.variables.items():
        digest = hashlib.sha256()
        if variable.dtype.kind in "OUS":  # labels ("E", "I"): their text (a file gives them back as objects)
            digest.update("\0".join(map(str, np.asarray(variable.values).ravel().tolist())).encode())
        elif variable.chunks and variable.ndim == 2:  # traces kept on disk: hashed a block of rows at a time
            start = 0
            for rows in variable.chunks[0]:
                digest.update(np.ascontiguousarray(variable[start : start + rows].values).tobytes())
                start += rows
        else:
            digest.update(np.ascontiguousarray(variable.values).tobytes())
        digests[name] = digest.hexdigest()
        if variable.attrs:
            digests[f"{ATTRIBUTES}:{name}"] = _attribute_digest(variable.attrs)
    return digests


def _of_attributes(name: str) -> bool:
    """Whether a digest's name is of attributes (the file's, or a variable's ``attrs:<name>``)."""
    return name == ATTRIBUTES or name.startswith(f"{ATTRIBUTES}:")


def _verify(ds: Any, source: Path) -> None:
    stored = ds.attrs.get("lifsim_sha256")
    if stored is None:  # a file of an older lifsim, or one whose digests were removed: read, but not in silence
        from .errors import warn_unchecked

        warn_unchecked(source)
        return
    expected = json.loads(stored)
    attributes_listed = any(map(_of_attributes, expected))
    if not attributes_listed:  # arrays checked, attributes not (a lifsim before 2026-12, or their keys removed)
        from .errors import warn_unchecked

        warn_unchecked(source, "attributes")
    found = _digests(ds)
    # every array has been listed since there were digests, and every attribute set since attributes were: one
    # the table leaves out was added, or changed and its entry removed (an edit that needs no hashing)
    unlisted = [name for name in found if name not in expected and (attributes_listed or not _of_attributes(name))]
    if unlisted:
        what = unlisted[0].replace(f"{ATTRIBUTES}:", "the attributes of ").replace(ATTRIBUTES, "the file's attributes")
        raise ValueError(f"it holds {what}, which its checksums do not list: added, or changed with its entry removed")
    for name, digest in expected.items():
        if found.get(name) != digest:
            if name == ATTRIBUTES:
                raise ValueError("its attributes do not match their checksum (the file was changed or damaged)")
            if name.startswith(f"{ATTRIBUTES}:"):
                raise ValueError(
                    f"the attributes of {name.split(':', 1)[1]} (such as its units) do not match their checksum "
                    "(the file was changed or damaged)"
                )
            raise ValueError(f"{name} does not match its checksum (the file is damaged)")


def read_dataset(source: Path, check: Callable[..., Any] | None = None, what: str = "a lifsim result") -> Any:
    """The Dataset in ``source`` (.nc), loaded and checked against its checksums; ``check(opened, name,
    on_disk=size)`` vets the declared sizes before any array is read.  Any failure: one ``ValueError``
    "<source>: cannot read as <what> (<why>)"."""
    with _quiet_half_opened_files():
        return _read(source, check, what)


def _read(source: Path, check: Callable[..., Any] | None, what: str) -> Any:
    import xarray as xr

    failure = None
    try:
        with xr.open_dataset(source, engine="h5netcdf") as opened:
            if check is not None:
                opened = check(opened, str(source), on_disk=source.stat().st_size)
            ds = opened.load()
        _verify(ds, source)
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
        raise ValueError(f"{source}: cannot read as {what} ({failure[:300]})")
    return ds
