"""The ``lifsim`` console script: interrupts and termination are one line from the first instant.

This module is what the installed ``lifsim`` command runs.  It imports nothing
heavy before it is ready to catch Ctrl-C, so an interrupt during start-up
(while numpy, matplotlib or numba load) prints ``lifsim: interrupted`` and
exits with status 130 instead of a traceback.  SIGTERM gets the same clean-up
as Ctrl-C (temporary files removed, existing outputs untouched) and exits
with status 143.  Once lifsim has said its one line it leaves at once
(``os._exit``), so that library threads still winding down (zarr's writer,
asyncio) cannot print anything after it.
"""

from __future__ import annotations

import os
import signal
import sys

from .signals import Terminated, install

__all__ = ["main", "Terminated", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _leave(status: int, message: str | None) -> None:
    """Say the last line (if any) and leave at once: no interpreter shutdown, in which a signal would meet
    the default handlers again and kill the process without a word."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if message:
            print(message, file=sys.stderr, flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def main() -> None:
    """Run ``lifsim`` with the process's arguments and exit with its status."""
    status: int = EXIT_INTERRUPTED
    message: str | None = "lifsim: interrupted"
    try:
        install()
        from .cli import main as run

        status, message = run(), None  # a failing or interrupted run has said its line already
    except Terminated:
        status, message = EXIT_TERMINATED, "lifsim: terminated"
    except KeyboardInterrupt:
        status, message = EXIT_INTERRUPTED, "lifsim: interrupted"
    finally:
        _leave(status, message)
