"""One layer for every Zarr store lifsim writes: a run (``--data run.zarr``), a distributed run's
resumable store (:mod:`lifsim.runners.checkpoint`) and a sweep (:mod:`lifsim.sweeps`).

Every store gets the same guarantees, written once here:

* **Atomic creation** (:func:`create`): a store is built under a temporary name beside its target
  (``.NAME.PID.RANDOM.tmp``) and moved into place in one step, so a Ctrl-C or a SIGKILL during its
  creation leaves either nothing or the store that was there before; a killed writer's leftovers are
  removed by the next one.
* **One writer at a time** (:class:`WriterLock`): ``.NAME.lock`` beside the store, locked with
  ``flock`` and holding the writer's process id.  A second writer is refused in one line naming that
  process; the kernel releases the lock of a process that dies, even by SIGKILL.
* **Resume marks** (:class:`Marks`): a store written piece by piece (a sweep's points) appends one
  line per finished piece to ``lifsim-marks.jsonl``, with the SHA-256 of the files it wrote, after
  those files are written; a torn last line (a writer killed mid-line) marks nothing.
* **A manifest** (:func:`seal`): a complete store lists every file in ``lifsim-manifest.json`` with
  its size and SHA-256 (bulk traces: size only; their chunks carry a CRC-32C checked when read).
  The manifest is the last thing written: a store without one is unfinished.
* **Checks before anything is read** (:func:`verify`, :meth:`Marks.verify`): symbolic links and
  special files are refused (a chunk linked to ``/dev/zero`` would never end), and so is a missing,
  resized, changed or unlisted file, or a folder where a file belongs.  A deleted or swapped chunk is
  refused in one line, never read as NaN or as another point's values.
* **No silent replacement** (:func:`check_overwrite`): an existing result is replaced only when the
  caller says so (``--force``, ``overwrite=True``), and that is decided before any work.
* **A Dataset as a store, and back** (:func:`write_dataset`, :func:`read_dataset`): any lifsim Dataset
  (a run's, a network's) is written with all of the above and read back only after its kind and its
  manifest were checked.

Errors are ``ValueError`` with one line of text; the callers prefix the path and what was being done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .atomic import atomic_folder, file_mode
from .errors import in_own_words

__all__ = [
    "LAYER",
    "MANIFEST",
    "MARKS",
    "WriterLock",
    "Marks",
    "check_inflation",
    "check_overwrite",
    "unfinished",
    "note_unfinished",
    "left_unfinished",
    "codecs",
    "create",
    "file_digest",
    "kind_of",
    "quiet_zarr",
    "read_attributes",
    "refuse_links",
    "refuse_same",
    "seal",
    "sealed",
    "verify",
    "open_store",
    "seal_store",
    "write_dataset",
    "read_dataset",
    "READERS",
]

#: root attribute naming the version of this layer a store was written with (absent: an older lifsim)
LAYER = "lifsim_store"
#: the manifest of a complete store, and the resume marks of one being written (both at the store's root)
MANIFEST, MARKS = "lifsim-manifest.json", "lifsim-marks.jsonl"
#: the largest manifest, marks log or root metadata file read (bytes)
_MAX_TEXT = 256 << 20


def check_overwrite(path: str | os.PathLike, overwrite: bool, what: str = "path", resume: bool = False) -> None:
    """Refuse to replace an existing result unless ``overwrite`` (``--force``) is given.

    ``resume``: the caller could finish the existing store (``--resume``); the refusal offers that first when the
    store is :func:`unfinished` (a complete one has nothing to finish: ``--force`` alone is offered).
    """
    target = Path(path)
    if overwrite or not (target.exists() or target.is_symlink()):
        return
    # the lifsim command's flags or Python's keywords, as who called speaks
    if resume and unfinished(target):
        finish = "add --resume to finish it, --force", "pass resume=True to finish it, overwrite=True"
    else:
        finish = "add --force", "pass overwrite=True"
    how = in_own_words(*finish) + " to replace it"
    if not target.exists():  # a link to nothing: it is what would be replaced
        raise ValueError(
            f"{what}: {str(path)!r} is a link to {os.readlink(target)!r}, which does not exist; {how}, or choose "
            "another path"
        )
    raise ValueError(f"{what}: {str(path)!r} exists; {how}, or choose another path")


def unfinished(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a lifsim store written piece by piece (a sweep's, a distributed run's) that its writer
    did not finish: no manifest, not marked complete.  The one rule of every refusal and message that offers
    ``--resume`` (:func:`check_overwrite`, :func:`note_unfinished`)."""
    target = Path(path)
    try:
        if target.is_symlink() or not target.is_dir():
            return False
        attributes = read_attributes(target)
    except (ValueError, OSError):
        return False
    if kind_of(attributes) not in ("sweep", "checkpoint") or attributes is None:
        return False
    try:
        complete = int(attributes.get("lifsim_complete", 0)) == 1
    except (TypeError, ValueError):
        complete = False
    return not (complete or sealed(target))


#: the stores this process left unfinished (an interrupted run or sweep): named by :func:`left_unfinished`
_LEFT: list[Path] = []


def note_unfinished(path: str | os.PathLike) -> None:
    """Record that this process leaves ``path`` as it is, when it is :func:`unfinished` (a writer giving up)."""
    target = Path(path)
    if target not in _LEFT and unfinished(target):
        _LEFT.append(target)


def left_unfinished() -> list[Path]:
    """The stores this process left unfinished (what ``--resume`` finishes), in the order they were left."""
    return [path for path in _LEFT if unfinished(path)]


def refuse_same(source: str | os.PathLike, target: str | os.PathLike, what: str = "path") -> None:
    """Refuse writing ``target`` when it is ``source`` (the same file or store, through any link or name).

    ``lifsim rerun a.npz --data a.npz`` would replace the result under test: never allowed, even with
    ``--force``.
    """
    a, b = Path(source), Path(target)
    try:
        same = a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        same = False
    if same:
        raise ValueError(
            f"{what}: {str(target)!r} is the result being rerun ({str(source)!r}); a rerun never writes onto its "
            "input, not even with --force; choose another path"
        )


@contextlib.contextmanager
def quiet_zarr(target: Path | None = None) -> Iterator[None]:
    """Silence zarr's note that consolidated metadata is not yet part of the Zarr 3 spec; name ``target``
    in a file-system error (zarr's writer thread reports a full disk without any file name)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        warnings.filterwarnings("ignore", message=".*is not recognized as a component of a Zarr hierarchy.*")
        try:
            yield
        except OSError as error:
            if target is None or error.errno is None:
                raise
            raise OSError(error.errno, error.strerror or str(error), str(target)) from None


def codecs() -> dict[str, Any]:
    """Zstandard compression and a CRC-32C checksum per chunk (an xarray ``encoding`` entry)."""
    from zarr.codecs import Crc32cCodec, ZstdCodec

    return {"compressors": (ZstdCodec(), Crc32cCodec())}


#: a file's arrays may declare at most this many times the bytes the file holds, above a floor (finding 7 of
#: issue 16: a 1.5 MB .npz claimed 1.6 GB); lifsim's own files are uncompressed (.nc, .npz) or hold
#: float data that Zstandard shrinks far less than this
MAX_RATIO, INFLATION_FLOOR = 100, 64 << 20


def check_inflation(declared: int, on_disk: int, what: str = "the file") -> None:
    """Refuse ``declared`` bytes of arrays from ``on_disk`` bytes of file beyond :data:`MAX_RATIO`.

    Raises ``ValueError`` before anything is allocated, so a small file cannot make lifsim claim gigabytes.
    """
    from .memory import format_bytes

    allowed = max(INFLATION_FLOOR, MAX_RATIO * max(0, int(on_disk)))
    if declared > allowed:
        raise ValueError(
            f"{what} declares {format_bytes(declared)} of arrays in {format_bytes(on_disk)} on disk "
            f"(more than {MAX_RATIO} times its size); it is damaged or hostile"
        )


# ---------------------------------------------------------------------------------------------- writers
class _Held(Exception):
    """The lock is held by another open file (``holder``: the pid written in it)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


#: the writer locks this process holds (released by :func:`release_held_locks` when it leaves at once)
_HELD: set[WriterLock] = set()


def release_held_locks() -> None:
    """Give up every writer lock this process holds (a process leaving without unwinding, after a signal)."""
    for lock in list(_HELD):
        lock.release()


class WriterLock:
    """The lock that keeps a second writer off a store: ``.NAME.lock`` beside it, holding the writer's pid.

    Picklable: a copy (sent to a Dask worker) holds no lock.
    """

    def __init__(self, target: Path, what: str = "path") -> None:
        self.target = Path(target)
        self.what = what
        folder = self.target.parent if str(self.target.parent) else Path(".")
        self.path = folder / f".{self.target.name}.lock"
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fd": None}

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._fd is not None

    def acquire(self, wait: float = 0.0) -> WriterLock:
        """Take the lock, or raise ``ValueError`` naming the process that holds it.

        ``wait``: seconds to wait for another writer to finish first (a store written at once, in a
        moment); 0 refuses at once (a store written over a long run).
        """
        import time

        deadline = time.monotonic() + wait
        while True:
            try:
                return self._try()
            except _Held as held:
                if time.monotonic() >= deadline:
                    raise ValueError(
                        f"{self.what}: {str(self.target)!r} is being written by another lifsim process (pid "
                        f"{held.holder}); wait for it to finish, stop it, or choose another path"
                    ) from None
                time.sleep(0.05)

    def _try(self) -> WriterLock:
        import fcntl

        if self._fd is not None:
            return self
        for _attempt in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), file_mode())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise _Held(holder) from None
            try:  # the previous holder may have removed the file between our open and our lock
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = -1
            if current != os.fstat(fd).st_ino:
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError as error:  # a full disk: no lock file left behind, and the message names the target
                os.close(fd)
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
                raise OSError(error.errno, error.strerror, str(self.target)) from None
            self._fd = fd
            _HELD.add(self)
            return self
        raise ValueError(f"{self.what}: could not lock {str(self.target)!r}; another process keeps replacing its lock")

    def release(self) -> None:
        """Give the lock up (and remove its file); nothing when not held."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None
        _HELD.discard(self)

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def create(target: Path, build: Callable[[Path], None]) -> Path:
    """Build a store with ``build(path)`` under a temporary name beside ``target``, then move it into place.

    An existing store at ``target`` is swapped out in the same step (the caller has checked that it may
    be replaced).  On any exception, Ctrl-C included, the temporary store is removed and ``target`` is
    left as it was.
    """
    folder = atomic_folder(target)
    try:
        build(folder.path)
        return folder.commit()
    except OSError as error:
        if error.filename is None and error.errno is not None:  # zarr's writes name no file: say which store
            raise OSError(error.errno, error.strerror, str(target)) from None
        raise
    finally:
        folder.abort()


# ---------------------------------------------------------------------------------------------- checks
def refuse_links(root: Path) -> None:
    """Raise ``ValueError`` if ``root`` is, or holds, a symbolic link or a special file (nothing is read)."""
    mode = os.lstat(root).st_mode
    if stat.S_ISLNK(mode):
        raise ValueError("it is a symbolic link")
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise ValueError(f"it holds a symbolic link ({os.path.relpath(path, root)})")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise ValueError(f"it holds a special file ({os.path.relpath(path, root)})")


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file's bytes (a link or special file is refused, not followed)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_text(path: Path) -> str:
    """A small text file of the store (manifest, marks, metadata), never through a link."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        data = handle.read(_MAX_TEXT + 1)
    if len(data) > _MAX_TEXT:
        raise ValueError(f"{path.name} is larger than {_MAX_TEXT >> 20} MiB")
    return data.decode("utf-8", errors="replace")


def array_dimensions(array: Path) -> list[str] | None:
    """The dimension names of a Zarr array (format 3's ``dimension_names``, format 2's ``_ARRAY_DIMENSIONS``),
    read without zarr; None when they cannot be read."""
    for name, key in (("zarr.json", "dimension_names"), (".zattrs", "_ARRAY_DIMENSIONS")):
        path = array / name
        if not (path.exists() or path.is_symlink()):
            continue
        try:
            document = json.loads(_read_text(path))
        except (OSError, ValueError, RecursionError):
            return None
        names = document.get(key) if isinstance(document, dict) else None
        return names if isinstance(names, list) and all(isinstance(item, str) for item in names) else None
    return None


def read_attributes(store: Path) -> dict[str, Any] | None:
    """The root attributes of a Zarr store (format 3 or 2), read without zarr; None if it is not a store."""
    for name, key in (("zarr.json", "attributes"), (".zattrs", None)):
        path = store / name
        if not (path.exists() or path.is_symlink()):
            continue
        try:
            document = json.loads(_read_text(path))
        except (OSError, ValueError, RecursionError) as error:
            raise ValueError(f"its metadata {name} cannot be read ({str(error)[:100]})") from None
        if not isinstance(document, dict):
            return None
        attributes = document.get(key, {}) if key else document
        return attributes if isinstance(attributes, dict) else None
    return None


def kind_of(attributes: Mapping[str, Any] | None) -> str | None:
    """What a store holds, from its root attributes: ``"run"``, ``"checkpoint"``, ``"sweep"``, ``"network"`` or
    None."""
    if not attributes:
        return None
    if "lifsim_sweep_digest" in attributes or attributes.get("lifsim_kind") == "sweep":
        return "sweep"
    if "lifsim_network" in attributes:  # a network result (lifsim.network.result)
        return "network"
    if "lifsim_schema" in attributes:
        return "run"
    if "lifsim_run_identity" in attributes:
        return "checkpoint"
    return None


def _listing(store: Path) -> dict[str, int]:
    """Every regular file of the store (relative path -> size), the manifest and marks left out."""
    files: dict[str, int] = {}
    for folder, _dirs, names in os.walk(store, followlinks=False):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, store).replace(os.sep, "/")
            if relative in (MANIFEST, MARKS) or (relative.startswith(f".{MANIFEST}.") and folder == str(store)):
                continue
            files[relative] = os.lstat(path).st_size
    return files


def _is_lazy(relative: str, lazy: Iterable[str]) -> bool:
    return any(relative.startswith(f"{name}/c/") for name in lazy)


def seal(store: Path, lazy: Iterable[str] = ()) -> None:
    """Write the manifest of a complete store (the last write): every file's size and SHA-256.

    ``lazy``: arrays read on demand (the traces ``v``), whose chunks are checked by their size when the
    store is opened and by their CRC-32C when read, so loading stays cheap; their SHA-256 is kept too, third in
    their entry, for :func:`verify_lazy` (a chunk rewritten by another program gets a fresh CRC-32C, which a
    read cannot tell from the one lifsim wrote).  Removes the resume marks.
    """
    lazy = tuple(lazy)
    refuse_links(store)
    entries = {
        relative: [size, None, file_digest(store / relative)]
        if _is_lazy(relative, lazy)
        else [size, file_digest(store / relative)]
        for relative, size in sorted(_listing(store).items())
    }
    text = json.dumps({"version": 1, "lazy": list(lazy), "files": entries}, indent=0)
    partial = store / f".{MANIFEST}.{os.getpid()}"
    with open(partial, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(partial, file_mode())
    os.replace(partial, store / MANIFEST)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(store / MARKS)


def sealed(store: Path) -> bool:
    """True when the store has its manifest (it was completely written)."""
    return (store / MANIFEST).is_file()


def _check_file(store: Path, relative: str, size: int, digest: str | None) -> None:
    path = store / relative
    try:
        mode = os.lstat(path)
    except FileNotFoundError:
        raise ValueError(f"{_name(relative)} is missing") from None
    if stat.S_ISDIR(mode.st_mode):
        raise ValueError(f"{_name(relative)} is a folder, expected a file")
    if mode.st_size != size:
        raise ValueError(f"{_name(relative)} has {mode.st_size} bytes; the store was written with {size}")
    if digest is not None and file_digest(path) != digest:
        raise ValueError(f"{_name(relative)} does not match its checksum (changed, damaged or swapped)")


def _name(relative: str) -> str:
    """``chunk rate/c/0/3`` or ``file rate/zarr.json``."""
    return f"chunk {relative}" if "/c/" in f"/{relative}" else f"file {relative}"


def verify(store: Path) -> None:
    """Check a complete store against its manifest before anything is read (see the module docstring)."""
    refuse_links(store)
    if not sealed(store):
        raise ValueError("it was not completely written (it has no manifest)")
    try:
        manifest = json.loads(_read_text(store / MANIFEST))
        entries = manifest["files"]
        listed = {str(k): (int(v[0]), None if v[1] is None else str(v[1])) for k, v in entries.items()}
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        raise ValueError(f"its manifest {MANIFEST} is damaged") from None
    for relative, (size, digest) in listed.items():
        _check_file(store, relative, size, digest)
    unlisted = sorted(set(_listing(store)) - set(listed))
    if unlisted:
        raise ValueError(f"it holds {_name(unlisted[0])}, which its manifest does not list")


def verify_lazy(store: Path, wanted: Callable[[str], bool] | None = None) -> str | None:
    """The first chunk of the lazily read arrays (the traces) that does not match the SHA-256 the manifest kept
    for it, in words; None when all match (or the store is of a lifsim that kept none).  Reads every such chunk
    (``wanted``: only those whose relative path it accepts): for a rerun that found the traces different, to tell
    a changed file from a run that did not reproduce, and before the traces' rows are read from their chunks."""
    try:
        entries = json.loads(_read_text(store / MANIFEST))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for relative, entry in entries.items():
        if wanted is not None and not wanted(str(relative)):
            continue
        if isinstance(entry, list) and len(entry) > 2 and entry[2] is not None:
            if not (store / relative).is_file() or file_digest(store / relative) != entry[2]:
                return f"{_name(relative)} does not match its checksum (changed, damaged or swapped)"
    return None


def _drop_torn_tail(handle: Any) -> None:
    """Cut a line file (open ``ab+``) back to its last newline: a line torn by a kill or a full disk, which
    :meth:`Marks.read` leaves out, would otherwise sit before the next line, in the middle of the file, where it
    is damage (a resumed sweep ran every point and then could not be finished)."""
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return
    handle.seek(end - 1)
    if handle.read(1) == b"\n":
        return
    position = end
    while position > 0:  # back in blocks to the last newline (a line is a few hundred bytes)
        start = max(0, position - 4096)
        handle.seek(start)
        block = handle.read(position - start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            handle.truncate(start + cut + 1)
            return
        position = start
    handle.truncate(0)


class Marks:
    """The resume marks of a store written piece by piece: ``lifsim-marks.jsonl`` at its root.

    One JSON line per finished piece: its key and the SHA-256 of each file it wrote.
    """

    def __init__(self, store: Path) -> None:
        self.store = Path(store)
        self.path = self.store / MARKS

    def add(self, key: str, files: Iterable[str]) -> None:
        """Mark piece ``key`` finished, recording its files (paths relative to the store), already written."""
        digests = {relative: file_digest(self.store / relative) for relative in files}
        line = json.dumps({"key": key, "files": digests}, separators=(",", ":"))
        with open(self.path, "ab+") as handle:
            _drop_torn_tail(handle)
            handle.write((line + "\n").encode())

    def read(self) -> dict[str, dict[str, str]]:
        """The marks (key -> {file: digest}); a torn last line is left out; ``ValueError`` if damaged."""
        if not (self.path.exists() or self.path.is_symlink()):
            return {}
        text = _read_text(self.path)
        lines = text.split("\n")
        marks: dict[str, dict[str, str]] = {}
        for number, line in enumerate(lines[:-1], 1):  # the last piece has no newline yet: a torn line
            try:
                entry = json.loads(line)
                marks[str(entry["key"])] = {str(k): str(v) for k, v in entry["files"].items()}
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                raise ValueError(f"its resume marks ({MARKS}) are damaged at line {number}") from None
        return marks

    def verify(self) -> dict[str, dict[str, str]]:
        """The marks, after checking that every marked file is there, a regular file, and unchanged."""
        refuse_links(self.store)
        marks = self.read()
        for files in marks.values():
            for relative, digest in files.items():
                path = self.store / relative
                try:
                    mode = os.lstat(path).st_mode
                except FileNotFoundError:
                    raise ValueError(f"{_name(relative)} of a finished piece is missing") from None
                if stat.S_ISDIR(mode):
                    raise ValueError(f"{_name(relative)} is a folder, expected a file")
                if file_digest(path) != digest:
                    raise ValueError(f"{_name(relative)} does not match its checksum (changed, damaged or swapped)")
        return marks


#: the attribute (a ``.csv``'s first comment key) that holds a network result's provenance (:mod:`lifsim.network`)
NETWORK_ATTR = "lifsim_network"


def network_reader(path: str | os.PathLike) -> str:
    """How a network's file is read, for the messages of readers of other kinds."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "its per-step population rates; read it with pandas.read_csv(path, comment='#')"
    if suffix == ".nwb":
        return "read it with pynwb.NWBHDF5IO(path).read()"
    return "read it with lifsim.network.load"


#: what reads an f-I curve (its ``.npz`` or ``.csv`` table, its sweep's ``.zarr``), for the messages of other readers
FI_READER = "lifsim.load_fi"


def fi_table_words(meta: Mapping[str, Any]) -> str:
    """ "an f-I table", with the command that made it where one did (a table saved from Python has none)."""
    command = str(meta.get("command") or "")[:120]
    return f"an f-I table (made by '{command}')" if command else "an f-I table"


def fi_table_provenance(path: str | os.PathLike) -> dict[str, Any] | None:
    """The provenance of an f-I table (``FICurve.save``, ``lifsim fi --data`` ``.npz`` or ``.csv``: its kind is
    "f-I curve"), read without its columns; None for any other file (a damaged one included)."""
    source = Path(path)
    suffix = source.suffix.lower()
    meta: Any = None
    try:
        if suffix == ".npz" and source.is_file():
            import zipfile

            from numpy.lib.format import read_array

            with zipfile.ZipFile(source) as archive:
                info = archive.getinfo("meta.npy")  # KeyError: no provenance, no f-I table
                if info.file_size > 16 << 20:  # a provenance is a few kilobytes (npz_io.MAX_META_BYTES)
                    return None
                with archive.open(info) as handle:
                    meta = json.loads(str(read_array(handle, allow_pickle=False)))
        elif suffix == ".csv" and source.is_file():
            with open(source, encoding="utf-8", errors="replace") as handle:
                head = [handle.readline(1 << 20) for _ in range(40)]
            meta = {}
            for line in head:
                key, _, value = line[2:].partition(": ") if line.startswith("# ") else ("", "", "")
                if key in ("kind", "command"):
                    meta[key] = json.loads(value)
    except Exception:  # noqa: BLE001 - a damaged file is no f-I table (its reader says what is wrong with it)
        return None
    return meta if isinstance(meta, dict) and meta.get("kind") == "f-I curve" else None


def is_network_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a saved network result in any of its formats (its provenance is looked up, no array
    is read): what :func:`load` and ``lifsim rerun`` send to :func:`lifsim.network.load`, or name."""
    import zipfile

    source = Path(path)
    suffix = source.suffix.lower()
    try:
        if suffix in (".nc", ".nwb") and source.is_file():
            import h5py

            with h5py.File(source, "r") as handle:
                if suffix == ".nc":
                    return NETWORK_ATTR in handle.attrs
                notes = handle["general/notes"][()] if "general/notes" in handle else b""
                return b'"kind": "brunel-network"' in (notes if isinstance(notes, bytes) else str(notes).encode())
        if suffix == ".npz" and source.is_file():
            with zipfile.ZipFile(source) as archive:
                return f"{NETWORK_ATTR}.npy" in archive.namelist()
        if suffix == ".csv" and source.is_file():
            with open(source, "rb") as handle:
                return handle.read(len(NETWORK_ATTR) + 3) == f"# {NETWORK_ATTR}:".encode()
        if suffix == ".zarr" and source.is_dir():  # the root attributes' keys, not any mention in the text
            return NETWORK_ATTR in (read_attributes(source) or {})
    except Exception:  # noqa: BLE001 - a damaged file raises anything (h5py: RuntimeError): not a network's then
        return False
    return False


# ---------------------------------------------------------------------------------------- Datasets as stores
#: how to read each kind of store (:func:`kind_of`), for the message when another kind was asked for
READERS = {
    "sweep": "lifsim.load_sweep",
    "network": "lifsim.network.load",
    "run": "lifsim.load",
    "checkpoint": "lifsim.load",
}
#: seconds a whole-store write waits for another writer of the same store to finish
SAVE_WAIT = 120.0


def open_store(path: Path) -> Any:
    """The store at ``path`` as a lazy xarray Dataset (consolidated metadata where it has them)."""
    import xarray as xr

    with quiet_zarr():
        try:
            return xr.open_zarr(path, consolidated=True)
        except (KeyError, FileNotFoundError, ValueError, OSError):  # a store without consolidated metadata
            return xr.open_zarr(path, consolidated=False)


def seal_store(path: Path) -> None:
    """Mark the store complete, consolidate its metadata, and seal it with its manifest (the last write)."""
    import zarr

    with quiet_zarr():
        group = zarr.open_group(str(path), mode="r+")
        group.attrs.update({"lifsim_complete": 1, LAYER: 1})
        zarr.consolidate_metadata(str(path))
    seal(path, lazy=("v",))


def write_dataset(ds: Any, target: Path, encoding: Mapping[str, dict] | None = None) -> Path:
    """Write any lifsim Dataset (a run's, a network's) to the store ``target``: built under a temporary name,
    one writer at a time, every chunk compressed and checksummed (:func:`codecs`; ``encoding`` adds per-variable
    settings such as chunks), sealed with its manifest, moved into place when whole.

    Labels (fixed-width numpy strings such as the populations "E", "I") are stored as Zarr 3's variable-length
    strings, a data type of the specification (fixed-width UTF-32 is not, and other readers may not know it).
    """
    labels = {name: ds[name].astype(object) for name in ds.variables if ds[name].dtype.kind == "U"}
    if labels:
        ds = ds.assign_coords({k: v for k, v in labels.items() if k in ds.coords})
        ds = ds.assign({k: v for k, v in labels.items() if k not in ds.coords})
    settings = {name: {**dict((encoding or {}).get(name, {})), **codecs()} for name in ds.variables}

    def build(path: Path) -> None:
        marked = ds.copy()
        marked.attrs["lifsim_complete"] = 0
        with quiet_zarr(target):
            marked.to_zarr(path, mode="w", consolidated=False, encoding=settings, write_empty_chunks=True)
        seal_store(path)

    with WriterLock(target).acquire(wait=SAVE_WAIT):
        return create(target, build)


def read_dataset(source: Path, kind: str) -> Any:
    """The Dataset of a store of ``kind`` (``"network"``) written by :func:`write_dataset`, loaded whole once its
    kind and manifest were checked; any failure is one ``ValueError`` "<source>: cannot read as a lifsim <kind>
    (<why>)", and another kind of lifsim store names the function that reads it."""
    try:
        refuse_links(source)
        found = kind_of(read_attributes(source))
        if found is not None and found != kind:
            raise ValueError(f"{source}: a lifsim {found}, not a {kind}; read it with {READERS[found]}")
        if found is None:
            raise ValueError(f"not a lifsim {kind} store")
        verify(source)
        return open_store(source).load()
    except ValueError as error:
        if str(error).startswith(str(source)):
            raise
        raise ValueError(f"{source}: cannot read as a lifsim {kind} ({str(error)[:300]})") from None
    except Exception as error:  # zarr and the file system raise their own types
        raise ValueError(
            f"{source}: cannot read as a lifsim {kind} ({type(error).__name__}: {str(error)[:300]})"
        ) from None
