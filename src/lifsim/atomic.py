"""Writing files safely: check the destination before any work, write under a
temporary name, rename when complete.

Every file lifsim writes (results, tables, figures, configuration templates)
goes through :func:`atomic_file` or :func:`atomic_folder`: an interrupted
write never leaves a file that looks complete, and an existing file keeps its
contents until the new one is whole.  Finished files get the permissions a
plain ``open(path, "w")`` would give them (``0666`` less the umask), not the
``0600`` of a temporary file.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import in_own_words
from .signals import raise_if_interrupted

__all__ = [
    "FIGURE_SUFFIXES",
    "check_path_type",
    "check_output_path",
    "check_free_space",
    "check_room_for",
    "saving",
    "atomic_file",
    "atomic_folder",
    "umask",
    "file_mode",
    "clean_stale",
    "clean_stale_in",
]

#: suffixes of figure files (matplotlib picks the format from the suffix)
FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".svg", ".pdf")


def umask() -> int:
    """The process's umask (read without changing it where ``/proc`` allows)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)  # pragma: no cover - systems without /proc
    os.umask(current)  # pragma: no cover
    return current  # pragma: no cover


def file_mode(folder: bool = False) -> int:
    """Permissions of a new file (``0666``) or folder (``0777``) under the current umask."""
    return (0o777 if folder else 0o666) & ~umask()


def _utf8(path: Path) -> bool:
    """Whether the file system name of ``path`` (absolute) is UTF-8 text."""
    try:
        os.fsencode(os.path.abspath(path)).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_path_type(path: object, what: str) -> None:
    """``TypeError`` naming ``what`` unless ``path`` is a file path: a ``str`` or an ``os.PathLike`` (a
    ``pathlib.Path``); bytes, numbers and None are refused in one line (every reader and writer checks this)."""
    if not isinstance(path, (str, os.PathLike)):
        shown = repr(path)
        shown = shown if len(shown) <= 80 else f"{shown[:77]}..."
        raise TypeError(f"{what}: expected a file path (a str or pathlib.Path), got {type(path).__name__} {shown}")


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Validate an output path before any work is done; return it as a ``Path`` (see :func:`_check_output_path`)."""
    try:
        return _check_output_path(path, suffixes, what)
    except OSError as error:  # a name too long for the file system, a folder that cannot be read...
        raise ValueError(f"{what}: {str(path)[:200]!r}: {error.strerror or error}") from None


def free_bytes(target: Path) -> int | None:
    """The bytes free in the folder of ``target`` (None where the system cannot say)."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        return int(shutil.disk_usage(folder).free)
    except OSError:
        return None


def check_free_space(target: Path, needed: int, what: str, at_least: bool = False) -> None:
    """Raise ``ValueError`` when the folder of ``target`` has less than ``needed`` bytes free (``at_least``:
    ``needed`` is a lower bound, and the message says so)."""
    from .memory import format_bytes

    free = free_bytes(target)
    if free is not None and needed > free:
        how = "at least" if at_least else "about"
        raise ValueError(
            f"{what}: {str(target)!r} needs {how} {format_bytes(needed)}, and its folder has {format_bytes(free)} free"
        )


def check_room_for(
    target: Path,
    what: str,
    *,
    array_bytes: int,
    table_bytes: int,
    nwb_bytes: int | None = None,
    zarr_bytes: int | None = None,
    expected_bytes: int | None = None,
) -> None:
    """Before a run: raise ``ValueError`` when the folder of ``target`` lacks the room its file takes at least:
    one lower bound per format, from the caller: a ``.csv`` its ``table_bytes``, a ``.nc`` or ``.npz`` (arrays
    stored uncompressed) its ``array_bytes``, a ``.nwb`` its ``nwb_bytes``, a ``.zarr`` store its ``zarr_bytes``
    (None: not bounded by this caller).  Lower bounds (spikes below the theory's rate, the shortest numbers of a
    table, the most a store's compression is trusted with), so a run refused here could not have been written,
    and one check with one number: a file that passes it may still meet a full disk at the write, which says so
    then.  ``expected_bytes`` (the arrays at the theory's rate, for a ``.nc``, ``.npz`` or ``.nwb``): a file that
    passes the check but whose folder has less room than that is warned about (:class:`RoomWarning`), after
    the check and only then (never a warning and a refusal with two numbers), so that a long run that will
    probably not be written can be stopped before its compute rather than lost after it."""
    least = {".csv": table_bytes, ".nc": array_bytes, ".npz": array_bytes, ".nwb": nwb_bytes, ".zarr": zarr_bytes}
    suffix = target.suffix.lower()
    needed = least.get(suffix)
    if needed is not None:
        check_free_space(target, needed, what, at_least=True)
    if expected_bytes is not None and suffix in (".nc", ".npz", ".nwb"):
        _warn_when_short(target, expected_bytes + _FILE_OVERHEAD, what)


#: a file's own structure beside its arrays (HDF5, zip and NWB headers, the provenance): a generous allowance
_FILE_OVERHEAD = 256 << 10


def _warn_when_short(target: Path, expected: int, what: str) -> None:
    """Warn when the folder of ``target`` has less than ``expected`` bytes free (:class:`RoomWarning`)."""
    import warnings

    from .errors import RoomWarning
    from .memory import format_bytes

    free = free_bytes(target)
    if free is not None and expected > free:
        warnings.warn(
            f"{what}: {str(target)!r} is expected to need about {format_bytes(expected)} (its spikes at the "
            f"theory's rate), and its folder has {format_bytes(free)} free: the run may not be written at its end",
            RoomWarning,
            stacklevel=3,
        )


def _check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Validate an output path before any work is done; return it as a ``Path``.

    Raises ``ValueError`` (the message starts with ``what``, e.g. ``--data``)
    if the suffix is not one of ``suffixes``, the folder does not exist or
    cannot be written, the path is a folder where a file is expected, or a
    ``.zarr`` path is a folder that is not a Zarr store (lifsim replaces only
    stores, never a folder of other files).  A path that is a symbolic link
    is written through: the file it points to is replaced, the link stays.
    """
    check_path_type(path, what)
    if len(os.fsencode(path)) > 4096:
        raise ValueError(f"{what}: the path is {len(os.fsencode(path))} bytes long; at most 4096 are supported")
    target = Path(path)
    if target.is_symlink():
        resolved = target.resolve()
        if resolved.suffix.lower() != target.suffix.lower():
            raise ValueError(f"{what}: {str(path)!r} is a link to {str(resolved)!r}, which has another suffix")
        target = resolved
    if target.suffix.lower() not in suffixes:
        raise ValueError(f"{what}: {str(path)!r} must end in one of {', '.join(suffixes)}")
    if target.suffix.lower() in (".nc", ".nwb") and not _utf8(target):  # found at the write, after the run
        raise ValueError(
            f"{what}: {str(path)!r} holds bytes that are not UTF-8, which HDF5 (behind .nc and .nwb) cannot name a "
            "file with; rename it, or write .npz or .zarr"
        )
    folder = target.parent if str(target.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what}: {str(folder)!r} of {str(path)!r} is a file, not a folder")
    if not folder.is_dir():
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} is not writable")
    _probe(folder, path, what)
    if target.is_dir() and target.suffix.lower() != ".zarr":
        raise ValueError(f"{what}: {str(path)!r} is a folder, expected a file name")
    if target.exists() and not target.is_dir() and target.suffix.lower() == ".zarr":
        raise ValueError(f"{what}: {str(path)!r} is a file, expected a .zarr folder (or a new name)")
    if target.is_dir() and not any((target / marker).exists() for marker in ("zarr.json", ".zgroup")):
        raise ValueError(f"{what}: {str(path)!r} is a folder that is not a Zarr store; lifsim will not replace it")
    return target


def _probe(folder: Path, path: str | os.PathLike, what: str) -> None:
    """Make and remove a file in ``folder``: a folder that its permissions call writable may still refuse files
    (/proc, /sys, a read-only mount), which the write after the run would have met; a full disk takes an empty
    file, so room is checked apart (check_room_for)."""
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(prefix=".lifsim-probe.", dir=folder)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} cannot take new files ({reason})") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)


#: temporary files and folders this process is writing (removed by cleanup_after_interrupt)
_ACTIVE: set[Path] = set()


def cleanup_after_interrupt() -> None:
    """Remove every temporary file or folder this process was still writing (after an interrupt).

    The atomic writers remove their own on the way out of an exception; this catches what an interrupt
    landing inside their set-up or clean-up left, and what zarr's writer thread recreated.
    """
    _quiesce_zarr()
    for path in list(_ACTIVE):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        _ACTIVE.discard(path)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: set by :func:`saving`: whether the files written now may replace only what did not exist (``overwrite=False``)
_NEW_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("lifsim_new_only", default=False)


@contextlib.contextmanager
def saving(overwrite: bool) -> Iterator[None]:
    """The files :func:`atomic_file` writes within: without ``overwrite``, renamed into place only where no file
    of that name exists at that moment (the caller checked the name before; a file another writer put there
    since is kept, and this write refused in one line: two runs on one path both exited 0 and one result was
    lost).  Every save of a result (run, network, f-I, sweep, tutorial) goes through it."""
    token = _NEW_ONLY.set(not overwrite)
    try:
        yield
    finally:
        _NEW_ONLY.reset(token)


@contextlib.contextmanager
def atomic_file(target: Path, suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path beside ``target``; rename it to ``target`` if the block succeeds.

    On any exception (KeyboardInterrupt included) the temporary file is removed
    and ``target`` is left as it was, so no half-written file ever carries its
    name.  The finished file is flushed to disk and gets :func:`file_mode`.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    clean_stale(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=folder)
    os.close(fd)
    _ACTIVE.add(Path(tmp))
    try:
        try:
            yield tmp
        except OSError as error:  # a full disk, say: name the file the user asked for, not the temporary one
            if error.errno is None:
                raise
            raise OSError(error.errno, error.strerror or str(error), str(target)) from None
        with contextlib.suppress(OSError):
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, file_mode())
        raise_if_interrupted()  # never rename a file into place after an interrupt, even a swallowed one
        if _NEW_ONLY.get():  # a result saved without overwrite: a file another writer made meanwhile stays
            _publish_new(Path(tmp), target)
        else:
            os.replace(tmp, target)
        _fsync_folder(folder)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        _ACTIVE.discard(Path(tmp))


def _renameat2() -> Any:
    """Linux ``renameat2`` from the C library (ctypes, ``errno`` kept), or None where there is none."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).renameat2
    except Exception:  # noqa: BLE001 - no C library by that name (Windows: CDLL(None) is a TypeError), no renameat2
        return None


def _publish_new(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target`` only if ``target`` does not exist, in one atomic step: Linux
    ``renameat2(RENAME_NOREPLACE)``, else a hard link (which fails on an existing name), else a check and a
    rename (a file system without either); ``ValueError`` naming ``target`` when another writer created it."""
    import errno

    def taken() -> ValueError:
        again = in_own_words("rerun with --force", "save again with overwrite=True")
        return ValueError(
            f"{str(target)!r} appeared while this run was writing it (another run writing the same path?); it is "
            f"left as it is, and this run's file was not written: choose another path, or {again} once it is there"
        )

    renameat2 = _renameat2()
    if renameat2 is not None:
        import ctypes

        at_fdcwd, rename_noreplace = -100, 1
        if renameat2(at_fdcwd, os.fsencode(tmp), at_fdcwd, os.fsencode(target), rename_noreplace) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise taken()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a real failure: say it
            raise OSError(code, os.strerror(code), str(target))
    try:
        os.link(tmp, target)  # fails on an existing name; tmp is removed by the caller
        return
    except FileExistsError:
        raise taken() from None
    except OSError:  # no hard links here (some network and FAT file systems)
        pass
    if target.exists() or target.is_symlink():
        raise taken()
    os.replace(tmp, target)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove what crashed writers of ``target`` left beside it (``.NAME.PID.*`` of dead processes)."""
    folder = target.parent if str(target.parent) else Path(".")
    return _clean_stale(folder, f".{target.name}.")


def clean_stale_in(folder: Path) -> list[Path]:
    """Remove what crashed writers of any file in ``folder`` left there (``.NAME.PID.RANDOM.tmp`` or ``.old`` of
    dead processes): the parts folder of a distributed run, whose worker processes are killed with the run."""
    return _clean_stale(folder, ".")


def _clean_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove the ``PREFIX...PID.RANDOM.tmp`` (or ``.old``) entries of ``folder`` whose process ``PID`` is dead
    (the temporary names of :func:`atomic_file` and :class:`atomic_folder`; their random part has no dot)."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.name.endswith((".tmp", ".old")):
            continue
        fields = entry.name[len(prefix) :].split(".")
        pid_text = fields[-3] if len(fields) >= 3 else ""
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


class atomic_folder:
    """A folder (a Zarr store) written beside ``target`` and moved into place when complete.

    ``path`` is where to write (inside ``.NAME.PID.RANDOM.tmp``, so that leftovers
    of a killed writer can be recognised and removed by the next one); :meth:`commit`
    moves it to ``target``, swapping it with an existing folder in one atomic step
    where the system allows (Linux ``renameat2``), so ``target`` is never missing,
    not even for an instant; :meth:`abort` removes it.
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.folder = self.target.parent if str(self.target.parent) else Path(".")
        clean_stale(self.target)
        self.work = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.{os.getpid()}.", suffix=".tmp", dir=self.folder))
        _ACTIVE.add(self.work)
        self.path = self.work / self.target.name

    def commit(self) -> Path:
        """Move the finished folder to ``target``; return ``target``."""
        for root, dirs, _files in os.walk(self.path):
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(root, name), file_mode(folder=True))
        with contextlib.suppress(OSError):
            os.chmod(self.path, file_mode(folder=True))
        raise_if_interrupted()  # never move a store into place after an interrupt, even a swallowed one
        if _NEW_ONLY.get():  # a result saved without overwrite: a store another writer made meanwhile stays
            _publish_new(self.path, self.target)
        elif self.target.exists() and not self.target.is_symlink() and _exchange(self.path, self.target):
            pass  # the old store is now at self.path, removed with the work folder below
        else:
            old = None
            if self.target.exists() or self.target.is_symlink():
                old = self.folder / f".{self.target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.old"
                os.replace(self.target, old)
            os.replace(self.path, self.target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        _fsync_folder(self.folder)
        shutil.rmtree(self.work, ignore_errors=True)
        _ACTIVE.discard(self.work)
        return self.target

    def abort(self) -> None:
        """Remove the unfinished folder (after the Zarr writer has stopped writing into it)."""
        _quiesce_zarr()
        shutil.rmtree(self.work, ignore_errors=True)
        _ACTIVE.discard(self.work)


def _quiesce_zarr(timeout: float = 5.0) -> None:
    """Wait until zarr's background writer has finished its pending writes.

    zarr 3 writes chunks from an event loop in another thread; after an
    interrupt in the main thread those writes go on and would recreate files
    in a folder that was just removed.
    """
    import sys

    if "zarr" not in sys.modules:
        return
    try:
        import asyncio

        from zarr.core.sync import _get_loop

        loop = _get_loop()

        async def drain() -> None:
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        asyncio.run_coroutine_threadsafe(drain(), loop).result(timeout + 1)
    except Exception:  # zarr internals differ, or nothing to wait for
        pass
