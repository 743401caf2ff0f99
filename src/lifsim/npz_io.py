"""``.npz`` archives of named arrays, written atomically and read without trusting them.

The one npz layer under every ``.npz`` lifsim writes (a run's, :mod:`lifsim.formats.npz`; a network's,
:mod:`lifsim.network.result`; tables): written under a temporary name and renamed into place when whole;
read with ``allow_pickle=False`` (nothing in a file can run code), each member's size checked three ways
before anything is allocated, and a damaged archive (a zip member's CRC-32 that does not match) refused
as one ``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_file, check_output_path

__all__ = ["save_arrays", "read_arrays", "open_archive", "read_member", "check_digests", "digest", "MAX_META_BYTES"]


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping | None = None) -> Path:
    """Write ``arrays`` (and ``meta`` as a JSON string under ``meta``) to ``path`` atomically."""
    target = check_output_path(path, (".npz",), "path")
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    if meta is not None:
        payload["meta"] = np.array(json.dumps(meta))
    payload[DIGESTS] = np.array(json.dumps({name: digest(value) for name, value in payload.items()}))
    with atomic_file(target) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **payload)  # type: ignore[arg-type]
    return target


#: the member that holds every other member's SHA-256 (:func:`digest`), as a .nc keeps its ``lifsim_sha256``: a
#: zip's CRC-32 catches damage, not an array rewritten whole (``numpy.savez`` of an edited rate)
DIGESTS = "lifsim_sha256"


def digest(array: np.ndarray) -> str:
    """SHA-256 of an array's type, shape and bytes (C order)."""
    import hashlib

    value = np.ascontiguousarray(array)
    hashed = hashlib.sha256(f"{value.dtype.str}|{value.shape}|".encode())
    hashed.update(value.tobytes())
    return hashed.hexdigest()


def check_digests(data: Any, source: object, read: Mapping[str, np.ndarray], limit: int) -> None:
    """Check every member an opened archive's :data:`DIGESTS` names against its SHA-256: those already ``read``
    and the rest (read here, each at most ``limit`` bytes); ``ValueError`` naming the first that differs.  A file
    written before lifsim kept digests has none to check."""
    if DIGESTS not in data.files:
        from .errors import warn_unchecked

        warn_unchecked(source)
        return
    try:
        table = json.loads(str(read_member(data, DIGESTS, MAX_META_BYTES, source)))
    except ValueError:
        raise ValueError(f"its {DIGESTS} member is damaged") from None
    if not isinstance(table, dict):
        raise ValueError(f"its {DIGESTS} member is damaged")
    # every member has been listed since there were digests: one the table leaves out was added, or changed and
    # its entry removed (an edit that needs no hashing)
    unlisted = [name for name in data.files if name != DIGESTS and name not in table]
    if unlisted:
        raise ValueError(
            f"it holds {unlisted[0]}, which its checksums do not list: added, or changed with its entry removed"
        )
    for name, expected in table.items():
        if f"{name}.npy" not in data.zip.namelist():
            raise ValueError(f"{name} is missing (its checksum is listed)")
        value = read[name] if name in read else read_member(data, name, limit, source)
        if digest(value) != expected:
            raise ValueError(f"{name} does not match its checksum (changed or damaged)")


#: the first bytes of a zip archive (.npz) and of a single numpy array (.npy)
_ZIP_MAGIC, _NPY_MAGIC = b"PK\x03\x04", b"\x93NUMPY"
#: the provenance of a run is a few kilobytes; refuse a meta member larger than this
MAX_META_BYTES = 16 << 20
#: room for a member's .npy header
_HEADER = 4096


def open_archive(path: str | os.PathLike) -> Any:
    """An opened ``.npz`` archive (members read on access, never unpickled); ``ValueError`` otherwise."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise ValueError(f"{path}: cannot read ({error.strerror or error})") from None
    if head[:4] != _ZIP_MAGIC:
        what = "an empty file" if not head else "a single .npy array" if head == _NPY_MAGIC else "not a zip archive"
        raise ValueError(f"{path}: not a lifsim .npz file ({what})")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {str(error)[:200]})") from None


def read_member(data: Any, name: str, limit: int, source: object) -> np.ndarray:
    """Member ``name`` of an opened archive, refused unless its size is at most ``limit`` bytes.

    The size is checked three ways before anything is allocated: what the zip directory declares
    against ``limit``, the decompressed against the compressed size (:func:`_check_inflation`), and
    what the member's ``.npy`` header declares (shape x item size) against the member's size.
    """
    info = data.zip.getinfo(f"{name}.npy")
    size = info.file_size
    if size > limit + _HEADER:
        raise ValueError(f"{name} declares {size} bytes, at most {limit + _HEADER} fit this run")
    _check_inflation(info)
    declared = _declared_bytes(data, name)
    if declared > size:
        raise ValueError(f"{name} declares {declared} bytes of values in a member of {size} bytes")
    try:
        value: np.ndarray = data[name]
    except ValueError as error:
        if "pickle" in str(error):
            raise ValueError(f"{name} holds Python objects, which lifsim never reads") from None
        raise
    return value


#: a deflated member may expand at most this many times (lifsim writes its members uncompressed), above a floor
MAX_RATIO, RATIO_FLOOR = 100, 1 << 20


def _check_inflation(info: zipfile.ZipInfo) -> None:
    """Refuse a member whose declared size is not what its bytes in the file can hold."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            raise ValueError(f"{info.filename} declares {info.file_size} bytes but holds {info.compress_size}")
    elif info.file_size > max(RATIO_FLOOR, MAX_RATIO * info.compress_size):
        raise ValueError(
            f"{info.filename} declares {info.file_size} bytes compressed into {info.compress_size} "
            f"(more than {MAX_RATIO} times); it is damaged or hostile"
        )


def _declared_bytes(data: Any, name: str) -> int:
    """What member ``name``'s ``.npy`` header declares (shape x item size), read without its values."""
    from numpy.lib import format as npy

    with data.zip.open(f"{name}.npy") as handle:
        version = npy.read_magic(handle)
        if version == (1, 0):
            shape, _order, dtype = npy.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _order, dtype = npy.read_array_header_2_0(handle)
        else:
            raise ValueError(f"{name} has an .npy header of unknown version {version}")
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects, which lifsim never reads")
    return math.prod(int(d) for d in shape) * dtype.itemsize


class _Changed(ValueError):
    """A lifsim .npz whose members do not match its checksums."""


def read_arrays(
    path: str | os.PathLike, limit: int = MAX_META_BYTES << 6, require_digests: bool = False
) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file (never unpickles anything; each member at most ``limit`` bytes, its
    size checked against the file first; ``require_digests``: a file lifsim always writes with its checksums, so
    one without them was changed); ``ValueError`` naming the file otherwise."""
    data = open_archive(path)
    try:
        with data:
            if require_digests and DIGESTS not in data.files:
                raise ValueError(f"its checksums ({DIGESTS}) are missing")
            arrays = {name: read_member(data, name, limit, path) for name in data.files}
            try:
                check_digests(data, path, arrays, limit)
            except ValueError as error:  # lifsim's file, changed since (not "not a lifsim .npz file")
                raise _Changed(str(error)) from None
            arrays.pop(DIGESTS, None)
            return arrays
    except _Changed as error:
        raise ValueError(f"{path}: a lifsim .npz file changed or damaged since it was written ({error})") from None
    except ValueError as error:
        raise ValueError(f"{path}: not a lifsim .npz file ({error})") from None
    except Exception as error:  # damaged archives raise many types
        raise ValueError(f"{path}: not a lifsim .npz file ({type(error).__name__}: {str(error)[:200]})") from None
