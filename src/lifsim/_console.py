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
import sys

from .signals import Terminated, install

__all__ = ["main", "Terminated", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _leave(status: int, message: str | None) -> None:
    try:
        if message:
            print(message, file=sys.stderr, flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def main() -> None:
    """Run ``lifsim`` with the process's arguments and exit with its status."""
    try:
        install()
        from .cli import main as run

        status = run()
    except Terminated:
        _leave(EXIT_TERMINATED, "lifsim: terminated")
    except KeyboardInterrupt:
        _leave(EXIT_INTERRUPTED, "lifsim: interrupted")
    if status in (EXIT_INTERRUPTED, EXIT_TERMINATED):  # the line is said already
        _leave(status, None)
    sys.exit(status)
