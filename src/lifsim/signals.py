"""Interrupts (Ctrl-C) and termination (SIGTERM) that cannot be lost.

A library deep in a write (h5py, zarr's writer thread) can swallow the
``KeyboardInterrupt`` that Ctrl-C raises, and a run would then finish and say
it succeeded.  :func:`install` makes both signals also leave a mark that
:func:`raise_if_interrupted` turns back into the exception; every atomic
write calls it just before it renames a finished file into place, so an
interrupted run never leaves a file that looks complete and never exits 0.
"""

from __future__ import annotations

import signal
from typing import Any

__all__ = ["Terminated", "install", "raise_if_interrupted", "pending"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up that runs for an interrupt runs for it too."""


_pending: type[KeyboardInterrupt] | None = None


def _handler(signum: int, frame: Any) -> None:
    global _pending
    _pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    raise _pending()


def install() -> None:
    """Handle SIGINT and SIGTERM (in the main thread; elsewhere nothing changes)."""
    try:
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
    except ValueError:  # not the main thread
        pass


def pending() -> type[KeyboardInterrupt] | None:
    """The interrupt received so far, if any."""
    return _pending


def raise_if_interrupted() -> None:
    """Raise the interrupt received earlier, if a library swallowed it."""
    if _pending is not None:
        raise _pending()
