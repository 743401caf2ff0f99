"""The ``lifsim`` console script: every way out has its own exit status and at most one line.

This module is what the installed ``lifsim`` command (and ``python -m lifsim``)
runs.  Its first statements take SIGINT and SIGTERM, before anything else is
imported (the package's ``__init__`` imports nothing heavy either), so a Ctrl-C
or a SIGTERM during start-up prints ``lifsim: interrupted`` (status 130) or
``lifsim: terminated`` (143) instead of a traceback or a silent death.  Once the
command runs, both signals raise (:mod:`lifsim.signals`) so that temporary files
are removed on the way out.

A signal in the few milliseconds before the interpreter runs the script's first
line meets Python itself: it ends the process as that signal does (the shell
reports the same 130 or 143, with no line), and a Ctrl-C while Python imports its
own start-up modules is reported by Python.  No Python program can act earlier.

The exit statuses are :data:`lifsim.errors.EXIT_STATUSES`: 0 done (also
``--help`` and ``--version``), 1 internal error (one line; the traceback with
``LIFSIM_DEBUG=1``), 2 bad input, 3 a rerun that differs, 130 SIGINT, 141 a
broken pipe (no line), 143 SIGTERM.  Once lifsim has said its line it leaves at
once (``os._exit``), so that library threads still winding down (zarr's writer,
asyncio, Dask) cannot print anything after it.
"""

import _signal  # the interpreter's own, already loaded: nothing is imported before the handlers are set

# (everything up to _take_signals below runs with literal statuses: lifsim.errors is not imported yet)
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_SAID = {_signal.SIGINT: (130, "lifsim: interrupted"), _signal.SIGTERM: (143, "lifsim: terminated")}


def _leave_at_start(signum: int, frame: object) -> None:
    """A signal before the command started: nothing has been written yet, so say the line and leave (before
    :func:`_leave` is defined, a few statements below, with the line alone)."""
    status, line = _SAID.get(signum, (130, "lifsim: interrupted"))
    leave = globals().get("_leave")
    if leave is None:
        os.write(2, (line + "\n").encode())
        os._exit(status)
    leave(status, line)


def _entry_point() -> bool:
    """Whether this process is the ``lifsim`` command (its script, or ``python -m lifsim``), not a program
    that merely imports this module (a test, a documentation build)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    script = os.path.basename(str(getattr(main, "__file__", None) or ""))
    return getattr(spec, "name", None) == "lifsim.__main__" or os.path.splitext(script)[0] == "lifsim"


if "__mp_main__" in sys.modules:
    # a worker process (a LocalCluster's) that multiprocessing spawned imports this script again: Ctrl-C in a
    # terminal reaches it too, and the lifsim process that started it decides, stopping it on the way out
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
elif _entry_point():  # at once: a signal while the rest of this module is defined says the line too
    for _signum in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(_signum, _leave_at_start)


def _take_signals(handler: "Callable[[int, object], None] | int") -> None:
    """Handle SIGINT, then SIGTERM, with ``handler``."""
    for signum in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(signum, handler)


def _stop_children() -> None:
    """Kill the worker processes that multiprocessing started here (a LocalCluster's), so that none of them
    prints after lifsim's last line; multiprocessing's resource tracker then frees what they held."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    try:
        children = multiprocessing.active_children()
    except Exception:  # noqa: BLE001 - never in the way of leaving
        return
    for child in children:
        try:
            child.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass


def _stdout_broken() -> bool:
    """Whether nobody reads stdout any more (a pipe whose reader went away): argparse's ``--help`` drops the
    error of such a write, so the status would otherwise claim that the output arrived."""
    try:
        import select

        poller = select.poll()
        poller.register(1, select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except Exception:  # noqa: BLE001 - no poll() here, or no stdout: nothing to tell
        return False


def _leave(status: int, message: str | None) -> None:
    """Say the last line (if any) and leave at once: no interpreter shutdown, in which a signal would meet
    the default handlers again and kill the process without a word."""
    try:
        for signum in (_signal.SIGINT, _signal.SIGTERM):
            _signal.signal(signum, _signal.SIG_IGN)
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except BrokenPipeError:  # the reader went away before the last of the output
            if status == 0:
                status = 141  # EXIT_BROKEN_PIPE
        except OSError as error:  # a full disk behind `> file`: the output (--help's too) was lost
            if status == 0:
                status, message = (
                    2,
                    f"lifsim: error: stdout: {error.strerror or error} (the output was not all written)",
                )
        except ValueError:
            pass
        if status == 0 and _stdout_broken():
            status = 141
        _stop_children()
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            if message:
                os.write(2, (message + "\n").encode("utf-8", "replace"))
        except (OSError, ValueError):
            pass
    finally:
        os._exit(status)


def _close_progress_bars() -> None:
    """Close tqdm's bars (they clear their line), so that lifsim's line does not end a half-drawn bar."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        try:
            bar.close()
        except Exception:  # noqa: BLE001 - never in the way of leaving
            pass


def _said(terminated: bool) -> tuple[int, str]:
    """The exit status and line of an interrupt: SIGTERM's, or Ctrl-C's."""
    return _SAID[_signal.SIGTERM if terminated else _signal.SIGINT]


def _remove_what_was_written() -> None:
    """After an interrupt: this process's temporary files and folders (zarr's writer drained first) and its
    writers' lock files (already released where the exception unwound through their owners)."""
    atomic = sys.modules.get("lifsim.atomic")
    if atomic is not None:
        atomic.cleanup_after_interrupt()
    store = sys.modules.get("lifsim.store")
    if store is not None:
        store.release_held_locks()


def _leave_while_compiling(interrupt: type[KeyboardInterrupt]) -> None:
    """A signal while numba compiles: remove what this process was writing and leave from the handler.

    Raising there would unwind through numba's half-built LLVM objects, whose clean-up can crash the process
    (:mod:`lifsim.signals`); nothing of the run is computed yet, and a store's finished ranges are already on disk.
    """
    try:
        _take_signals(_signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        _remove_what_was_written()
        _close_progress_bars()
    except BaseException:  # noqa: BLE001 - a second signal, or a clean-up that failed: leave all the same
        pass
    finally:
        _leave(*_said(issubclass(interrupt, Terminated)))


from .errors import (  # noqa: E402 - after the signal handlers, on purpose
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    internal_error,
)
from .signals import Terminated  # noqa: E402

__all__ = ["main", "Terminated", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]


def _status_of(leaving: SystemExit) -> tuple[int, str | None]:
    """The exit status (and line) of a ``SystemExit``: argparse's ``--help`` and ``--version`` raise it."""
    code = leaving.code
    if code is None:
        return EXIT_OK, None
    if isinstance(code, int):
        return code, None
    return EXIT_INTERNAL, f"lifsim: {code}"


def main() -> None:
    """Run ``lifsim`` with the process's arguments and exit with its status."""
    status, message = EXIT_INTERNAL, None
    try:
        from .signals import install

        install(leave=_leave_while_compiling)  # from here on, both signals raise and every clean-up on the way
        # out runs; a signal while numba compiles leaves from the handler
        from .memory import single_thread_native_pools

        single_thread_native_pools()  # under ulimit -v, before numpy and SciPy load OpenBLAS (issue 16, finding 15)
        # multiprocessing's resource tracker (a process started with this interpreter's -W options) frees what
        # worker processes killed on the way out held; its "leaked semaphore objects" warning would be a second
        # line after lifsim's one
        sys.warnoptions.append("ignore:resource_tracker:UserWarning")
        from .cli import main as run

        status = run()  # bad input, interrupts and internal errors inside the command have said their line
    except SystemExit as leaving:
        status, message = _status_of(leaving)
    except BrokenPipeError:
        status = EXIT_BROKEN_PIPE
    except BaseException as error:  # noqa: BLE001 - one line, never a traceback
        from .signals import pending

        interrupt = pending()  # a signal arrived: whatever a library made of the KeyboardInterrupt, it is one
        if isinstance(error, KeyboardInterrupt) or interrupt is not None:
            _remove_what_was_written()
            status, message = _said(isinstance(error, Terminated) or interrupt is Terminated)
        else:  # a bug (in lifsim or a library) outside the command itself
            status, message = EXIT_INTERNAL, internal_error(error)
    finally:
        _leave(status, message)
