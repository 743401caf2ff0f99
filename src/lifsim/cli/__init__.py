"""The ``lifsim`` command: one module per subcommand, options from one table (:mod:`lifsim.cli.options`).

``lifsim tutorial EX``    replay exercise EX (1..14) of the LIF tutorial (no EX: the list)
``lifsim simulate``       a general run with every parameter and input as an option
``lifsim fi``             f-I curve: simulated rates against current, with theory
``lifsim sweep``          an ensemble at every point of a parameter grid, with theory (Dask with --workers)
``lifsim params``         the parameter set with units
``lifsim init RUN.toml``  a commented configuration file for ``simulate --config``
``lifsim rerun RESULT``   run a saved result again from its provenance, bit for bit
``lifsim network``        Brunel's excitatory-inhibitory network, with its mean-field theory

Bad input never ends in a traceback: one line on stderr, exit status 2.  Every exit status is in
:data:`lifsim.errors.EXIT_STATUSES`; an unexpected exception is an internal error: one line, status 1.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    LifsimWarning,
    internal_error,
)
from . import fi, init, network, params, rerun, simulate, sweep, tutorial
from .common import Parser, UsageError, _not_here, cli_message, join_negative_values, warn

__all__ = ["main", "build_parser", "EXIT_USAGE", "UsageError"]

#: subcommand name -> module with add_parser(sub) and run(args, argv, labels)
COMMANDS = {
    "tutorial": tutorial,
    "simulate": simulate,
    "fi": fi,
    "sweep": sweep,
    "params": params,
    "init": init,
    "rerun": rerun,
    "network": network,
}


class _ShowVersions(argparse.Action):
    """``--versions``: print :func:`lifsim.versions.show_versions` and exit 0, as ``--version`` does."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:  # noqa: A002
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: object, values: object, option: object = None
    ) -> None:
        from ..versions import show_versions

        show_versions()
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lifsim`` command."""
    from .. import __version__

    parser = Parser(prog="lifsim", description="Leaky integrate-and-fire neuron simulation.")
    parser.add_argument("--version", action="version", version=f"lifsim {__version__}")
    parser.add_argument(
        "--versions",
        action=_ShowVersions,
        help="show the versions of lifsim, Python and every package lifsim uses, and the machine (for a bug "
        "report), and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def _run(argv: list[str], labels: dict[str, str]) -> int:
    from ..errors import command_line
    from ..signals import raise_if_interrupted

    with command_line():  # what a message says to do is said as flags (--force), not keywords (overwrite=True)
        status = _dispatch(argv, labels)
    raise_if_interrupted()  # an interrupt a library swallowed still ends the run as interrupted
    return status


def _dispatch(argv: list[str], labels: dict[str, str]) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = f"lifsim {args.command}"
        flag = next((token for token in unknown if token.startswith("--")), None)
        message = _stray_unit(argv, unknown, args.command) or (_not_here(flag, command) if flag else None)
        if message is None and flag is not None:
            message = _did_you_mean(flag, command, unknown)
        raise UsageError(f"{message or 'unrecognized arguments: ' + ' '.join(unknown)} (see '{command} --help')")
    return int(COMMANDS[args.command].run(args, argv, labels))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lifsim`` command; return its exit status (:data:`lifsim.errors.EXIT_STATUSES`).

    ``--help`` and ``--version`` raise ``SystemExit(0)``, as argparse does.
    """
    labels: dict[str, str] = {}  # option name -> what the user typed, for messages
    stdout = sys.stdout
    tokens: list[str] = []
    try:
        tokens = join_negative_values(sys.argv[1:] if argv is None else argv)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _say_at_once(labels)
            # a closed stdout (``>&-``: Python makes it None) fails at the first write, as a full disk does
            sys.stdout = NamedOutput(_ClosedOutput() if stdout is None else stdout)  # type: ignore[assignment]
            status = _run(tokens, labels)
        lost = getattr(sys.stdout, "lost", None)
        if lost is not None and status == 0:  # the files were written; the printed output was not (all) read
            return _failed(lost, labels)
        return status
    except SystemExit as leaving:  # --help and --version (argparse): the console script exits with its code
        lost = getattr(sys.stdout, "lost", None)
        if lost is not None and leaving.code in (0, None):  # argparse drops a failed write of its help
            return _failed(lost, labels)
        raise
    except BaseException as error:  # every other way out: one line and its exit status
        return _failed(error, labels, next((token for token in tokens if not token.startswith("-")), None))
    finally:
        sys.stdout = stdout


def _stray_unit(argv: list[str], unknown: list[str], command: str) -> str | None:
    """``--i-mean 250 pA`` (a space before the unit, as a config file and the Python API write ``"250 pA"``): the
    unit is an argument of its own that argparse cannot place.  Say, in one line, to write it with the number."""
    from ..units import to_si
    from .options import QUANTITY, QUANTITY_LIST, for_command

    quantities = {o.flag: (o.kind, o.dimension) for o in for_command(command) if o.kind in (QUANTITY, QUANTITY_LIST)}
    quantities.update({flag: (QUANTITY, "time") for flag in tutorial.SETTING_FLAGS if command == "tutorial"})
    for i, token in enumerate(argv):
        if token not in unknown or i == 0:
            continue
        flag, _, value = argv[i - 1].partition("=")  # --el=-65 mV (a negative value is joined to its flag)
        if not value:
            flag, value = (argv[i - 2] if i >= 2 else ""), argv[i - 1]
        kind, dimension = quantities.get(flag, (None, None))
        items = value.split(",") if kind == QUANTITY_LIST else [value]
        if kind is None or dimension in (None, "dimensionless") or not value:
            continue
        if not all(_reads(to_si, item, "dimensionless") and _reads(to_si, item + token, dimension) for item in items):
            continue
        apart = "came as an argument of its own"
        if kind == QUANTITY_LIST:  # each time its unit: "10,20ms" is 10 s and 20 ms
            meant = ",".join(item + token for item in items)
            return f"{flag}: the unit {token!r} {apart}; write it with each number: {flag} {meant}"
        return (
            f"{flag}: the unit {token!r} {apart}; write it with the number: {flag} "
            f"{value}{token}, or quote the value: {flag} '{value} {token}'"
        )
    return None


def _reads(to_si: Callable[..., float], text: str, dimension: str) -> bool:
    try:
        to_si(text, dimension, "value")
    except (TypeError, ValueError):
        return False
    return True


def _did_you_mean(flag: str, command: str, unknown: list[str]) -> str | None:
    """``unrecognized arguments: --tua 20ms; did you mean --tau?`` when an option of ``command`` is close."""
    import difflib

    from .options import for_command

    name = flag.split("=")[0]
    flags = [option.flag for option in for_command(command.split()[-1])]
    close = difflib.get_close_matches(name, flags, n=2, cutoff=0.75)
    if not close:
        return None
    return f"unrecognized arguments: {' '.join(unknown)}; did you mean {' or '.join(close)}?"


class NamedOutput:
    """``sys.stdout`` while a command runs.  A write that fails is remembered, not raised, and the rest of the
    output is dropped: the command goes on to write its files (``lifsim simulate --data q.npz | true`` lost its
    result to the summary's broken pipe), and the command line then exits as the failure says, a broken pipe
    quietly (141) and any other error in one line naming ``stdout`` (``> /dev/full`` said only "No space left
    on device", as if a data file had failed)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.lost: OSError | None = None  #: the first failed write (argparse's help drops it too)

    def write(self, text: str) -> int:
        if self.lost is None:
            try:
                self._stream.write(text)
            except OSError as error:
                self._lose(error)
        return len(text)

    def flush(self) -> None:
        if self.lost is None:
            try:
                self._stream.flush()
            except OSError as error:
                self._lose(error)

    def _lose(self, error: OSError) -> None:
        if isinstance(error, BrokenPipeError):
            self.lost = error
        else:
            self.lost = OSError(error.errno, error.strerror or str(error), "stdout")
        _drop_stdout()  # what is still buffered goes to /dev/null, not to a second failure at exit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _ClosedOutput:
    """The stdout of a command started with it closed (``lifsim params >&-``): every write fails as a write to
    a closed descriptor does (``EBADF``), so the command says so and exits 2 instead of 0 with nothing printed."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        pass


#: a number in a warning, with its unit prefix and unit: what differs between a sweep's points
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?( ?[a-zA-Z]{1,3}\b)?")


def _say_at_once(labels: dict[str, str]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that says each plausibility or numeric warning in one line as it is raised
    (before the run that follows it, not after an hour of compute), once however many points of a sweep raise it;
    other warnings (a library's deprecations) are not the user's business."""
    said: set[str] = set()

    def show(message: Warning | str, category: type[Warning], *_args: object, **_kwargs: object) -> None:
        text = cli_message(str(message), labels)
        key = _NUMBER.sub("#", text)  # the same warning at another point of a sweep (50 A, 100 A, ...): said once
        if issubclass(category, (LifsimWarning, RuntimeWarning)) and key not in said:
            said.add(key)
            warn(_one_line(text))

    return show


def _how_to_finish() -> str:
    """What an interrupt's line adds when the command left a store that ``--resume`` finishes (else nothing)."""
    if "lifsim.store" not in sys.modules:  # nothing was written through the store layer
        return ""
    from ..store import left_unfinished

    left = left_unfinished()
    if not left:
        return ""
    stores = ", ".join(repr(str(path)) for path in left)
    return f"; {stores} keeps the finished work: the same command with --resume finishes it"


def _memory_advice(command: str | None) -> str:
    """How a run of ``command`` that ran out of memory is made smaller, in its own options: ``; use fewer neurons
    (--n) or steps (--t-max, --dt), record fewer traces (--record-v), or keep no spike times (--no-record-spikes)``
    for ``simulate`` (a network's neurons are its ``--n-exc``); empty for a command that sets no size."""
    from .options import for_command

    flags = {option.name: option.flag for option in for_command(command)} if command in COMMANDS else {}
    fewer = [f"neurons ({flags[name]})" for name in ("n", "n_exc") if name in flags]
    if "t_max" in flags and "dt" in flags:
        fewer.append(f"steps ({flags['t_max']}, {flags['dt']})")
    ways = [f"use fewer {' or '.join(fewer)}"] if fewer else []
    if "record_v" in flags:
        ways.append(f"record fewer traces ({flags['record_v']})")
    if "record_spikes" in flags:
        ways.append("keep no spike times (--no-record-spikes)")
    if not ways:
        return ""
    return "; " + (ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + ", or " + ways[-1])


def _failed(error: BaseException, labels: dict[str, str], command: str | None = None) -> int:
    """Say the one line for ``error`` and return the exit status (:data:`lifsim.errors.EXIT_STATUSES`);
    ``command``: the command that ran (``simulate``), whose options a message of too little memory names."""
    from ..signals import Terminated, pending

    interrupt = pending()  # a signal arrived: whatever a library made of the KeyboardInterrupt, it is one
    if isinstance(error, KeyboardInterrupt) or interrupt is not None:
        from ..atomic import cleanup_after_interrupt

        cleanup_after_interrupt()
        if isinstance(error, Terminated) or interrupt is Terminated:
            print("lifsim: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        print(f"lifsim: interrupted{_how_to_finish()}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):  # the reader of stdout went away (lifsim params | head -1)
        _drop_stdout()
        return EXIT_BROKEN_PIPE  # quietly, as a command killed by SIGPIPE
    if isinstance(error, (ImportError, ValueError, TypeError, ArithmeticError, RecursionError)):
        # bad input, or an optional package that a format or feature needs
        print(f"lifsim: error: {_one_line(cli_message(str(error), labels))}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, MemoryError):
        print(f"lifsim: error: not enough memory for this run{_memory_advice(command)}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, OSError):
        text = f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
        if error.filename == "stdout":  # the output lifsim prints, not a file it writes
            text = f"stdout: {error.strerror or error} (the output was not all written)"
        elif error.errno in (errno.ENOSPC, errno.EDQUOT) and error.filename:
            text += " (nothing of it was kept; free some room there or write elsewhere, and run again)"
        print(f"lifsim: error: {_one_line(text)}", file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(error, Exception):  # GeneratorExit and the like: not ours to end
        raise error
    print(internal_error(error), file=sys.stderr)  # anything else is a bug in lifsim or a library
    return EXIT_INTERNAL


#: the longest message lifsim prints
MAX_MESSAGE = 400


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the output still buffered cannot fail once more at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured in tests)
        pass


def _one_line(text: str) -> str:
    """One line of at most MAX_MESSAGE characters (library messages can span lines or run long)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
