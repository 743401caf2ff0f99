"""Interrupts (Ctrl-C) and termination (SIGTERM) that cannot be lost.

A library deep in a write (h5py, zarr's writer thread) can swallow the
``KeyboardInterrupt`` that Ctrl-C raises, and a run would then finish and say
it succeeded.  :func:`install` makes both signals also leave a mark that
:func:`raise_if_interrupted` turns back into the exception; every atomic
write calls it just before it renames a finished file into place, so an
interrupted run never leaves a file that looks complete and never exits 0.

A signal that arrives while numba compiles a kernel (Python code of numba's
compiler and llvmlite's bindings on the stack) must not raise there: the
exception unwinds through half-built LLVM objects, whose clean-up can crash the
process (a segmentation fault after the interrupt's line, seen once in CI).
The ``lifsim`` command therefore installs a ``leave`` function that removes
what this process was writing and leaves at once; without one (a program that
calls :func:`install` itself) the mark is kept and raised when the kernel
returns.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["Terminated", "install", "raise_if_interrupted", "pending"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up that runs for an interrupt runs for it too."""


_pending: type[KeyboardInterrupt] | None = None
#: what the handler calls for a signal inside numba's compiler (it never returns); None: keep the mark
_leave_now: Callable[[type[KeyboardInterrupt]], None] | None = None


def _compiler_folders() -> tuple[str, ...]:
    """The package folders of numba and llvmlite, where they are imported (nothing compiles otherwise)."""
    folders = []
    for name in ("numba", "llvmlite"):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            folders.append(os.path.dirname(os.path.abspath(path)) + os.sep)
    return tuple(folders)


def _inside_compiler(frame: Any) -> bool:
    """Whether the signal arrived in Python code of numba's compiler or llvmlite's bindings (a kernel's first
    call compiles it for seconds; a compiled kernel runs with no Python frame of numba's on the stack)."""
    folders = _compiler_folders()
    if not folders:
        return False
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename).startswith(folders):
            return True
        frame = frame.f_back
    return False


def _inside_ctypes_callback(frame: Any) -> bool:
    """Whether the signal arrived in llvmlite's object-cache callbacks, which numba's compiler calls through
    ctypes: an exception raised there is printed as a traceback and dropped."""
    while frame is not None:
        code = frame.f_code
        if code.co_name.startswith("_raw_object_cache") and f"{os.sep}llvmlite{os.sep}" in code.co_filename:
            return True
        frame = frame.f_back
    return False


def _handler(signum: int, frame: Any) -> None:
    global _pending
    _pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    if _leave_now is not None and _inside_compiler(frame):
        _leave_now(_pending)  # never unwind through numba's compiler: the process leaves from here
    if _inside_ctypes_callback(frame):
        # an exception raised in a ctypes callback is printed as a traceback and dropped; the mark stays, and
        # the runner raises it (raise_if_interrupted) as soon as the engine returns
        return
    raise _pending()


def _drop_our_interrupt(previous: Any) -> Any:
    """An ``sys.unraisablehook`` that drops the interrupt :func:`_handler` raised where Python cannot propagate it.

    A signal can arrive while Python runs a weakref callback, a finaliser or a ctypes callback (importlib's module
    locks use weakref callbacks while pynwb imports); the exception raised there is "ignored" and printed as a
    traceback.  The mark stays in :func:`pending`, and the command raises it (:func:`raise_if_interrupted`) as
    soon as control is back in ordinary code, so nothing is lost by not printing it.
    """

    def hook(info: Any) -> None:
        if _pending is not None and isinstance(info.exc_value, KeyboardInterrupt):
            return
        previous(info)

    hook.__lifsim_signals__ = True  # type: ignore[attr-defined]
    return hook


def install(leave: Callable[[type[KeyboardInterrupt]], None] | None = None) -> None:
    """Handle SIGINT and SIGTERM (in the main thread; elsewhere nothing changes).

    ``leave``: called with the interrupt (``KeyboardInterrupt`` or :class:`Terminated`) for a signal that
    arrives while numba compiles; it must end the process (the ``lifsim`` command's removes what this process
    was writing, says its line and exits).  None keeps the mark for :func:`raise_if_interrupted` instead.
    """
    global _leave_now
    try:
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
    except ValueError:  # not the main thread
        return
    _leave_now = leave
    if not getattr(sys.unraisablehook, "__lifsim_signals__", False):
        sys.unraisablehook = _drop_our_interrupt(sys.unraisablehook)


def pending() -> type[KeyboardInterrupt] | None:
    """The interrupt received so far, if any."""
    return _pending


def raise_if_interrupted() -> None:
    """Raise the interrupt received earlier, if a library swallowed it."""
    if _pending is not None:
        raise _pending()
