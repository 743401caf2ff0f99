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
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_output_path", "atomic_file", "atomic_folder", "umask", "file_mode"]


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


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Validate an output path before any work is done; return it as a ``Path``.

    Raises ``ValueError`` (the message starts with ``what``, e.g. ``--data``)
    if the suffix is not one of ``suffixes``, the folder does not exist or
    cannot be written, or the path is a folder where a file is expected.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what}: expected a file path, got {type(path).__name__} {path!r}")
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise ValueError(f"{what}: {str(path)!r} must end in one of {', '.join(suffixes)}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{what}: folder {str(folder)!r} of {str(path)!r} is not writable")
    if target.is_dir() and target.suffix.lower() != ".zarr":
        raise ValueError(f"{what}: {str(path)!r} is a folder, expected a file name")
    if target.exists() and not target.is_dir() and target.suffix.lower() == ".zarr":
        raise ValueError(f"{what}: {str(path)!r} is a file, expected a .zarr folder (or a new name)")
    return target


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(target: Path, suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path beside ``target``; rename it to ``target`` if the block succeeds.

    On any exception (KeyboardInterrupt included) the temporary file is removed
    and ``target`` is left as it was, so no half-written file ever carries its
    name.  The finished file is flushed to disk and gets :func:`file_mode`.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        with contextlib.suppress(OSError):
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
        _fsync_folder(folder)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class atomic_folder:
    """A folder (a Zarr store) written beside ``target`` and moved into place when complete.

    ``path`` is where to write; :meth:`commit` moves it to ``target`` (an
    existing folder there is replaced, under unique temporary names, so two
    writers never collide on a fixed name); :meth:`abort` removes it.
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.folder = self.target.parent if str(self.target.parent) else Path(".")
        self.work = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.folder))
        self.path = self.work / self.target.name

    def commit(self) -> Path:
        """Move the finished folder to ``target``; return ``target``."""
        for root, dirs, _files in os.walk(self.path):
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(root, name), file_mode(folder=True))
        with contextlib.suppress(OSError):
            os.chmod(self.path, file_mode(folder=True))
        old = None
        if self.target.exists() or self.target.is_symlink():
            old = self.folder / f".{self.target.name}.{uuid.uuid4().hex[:12]}.old"
            os.replace(self.target, old)
        os.replace(self.path, self.target)
        _fsync_folder(self.folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Remove the unfinished folder."""
        shutil.rmtree(self.work, ignore_errors=True)
