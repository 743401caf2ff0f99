"""Interrupts (Ctrl-C) and termination (SIGTERM) that cannot be lost.

A library deep in a write (h5py, zarr's writer thread) can swallow the
``KeyboardInterrupt`` that Ctrl-C raises, and a run would then finish and say
it succeeded.  :func:`install` makes both signals also leave a mark that
:func:`raise_if_interrupted` turns back into the exception; every atomic
write calls it just before it renames a finished file into place, so an
interrupted run never leaves a file that looks complete and never exits 0.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

__all__ = ["Terminated", "install", "raise_if_interrupted", "pending"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up that runs for an interrupt runs for it too."""


_pending: type[KeyboardInterrupt] | None = None


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


def install() -> None:
    """Handle SIGINT and SIGTERM (in the main thread; elsewhere nothing changes)."""
    try:
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
    except ValueError:  # not the main thread
        return
    if not getattr(sys.unraisablehook, "__lifsim_signals__", False):
        sys.unraisablehook = _drop_our_interrupt(sys.unraisablehook)


def pending() -> type[KeyboardInterrupt] | None:
    """The interrupt received so far, if any."""
    return _pending


def raise_if_interrupted() -> None:
    """Raise the interrupt received earlier, if a library swallowed it."""
    if _pending is not None:
        raise _pending()
