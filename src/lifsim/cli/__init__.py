"""The ``lifsim`` command: one module per subcommand, options from one table (:mod:`lifsim.options`).

``lifsim tutorial EX``    replay exercise EX (1..14) of the LIF tutorial (no EX: the list)
``lifsim simulate``       a general run with every parameter and input as an option
``lifsim fi``             f-I curve: simulated rates against current, with theory
``lifsim sweep``          an ensemble at every point of a parameter grid, with theory (Dask with --workers)
``lifsim params``         the parameter set with units
``lifsim init RUN.toml``  a commented configuration file for ``simulate --config``
``lifsim rerun RESULT``   run a saved result again from its provenance, bit for bit

Bad input never ends in a traceback: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from ..errors import PlausibilityWarning
from . import fi, init, params, rerun, simulate, sweep, tutorial
from .common import Parser, UsageError, _not_here, cli_message, join_negative_values, warn

__all__ = ["main", "build_parser", "EXIT_USAGE", "UsageError"]

EXIT_USAGE = 2
#: subcommand name -> module with add_parser(sub) and run(args, argv, labels)
COMMANDS = {
    "tutorial": tutorial,
    "simulate": simulate,
    "fi": fi,
    "sweep": sweep,
    "params": params,
    "init": init,
    "rerun": rerun,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lifsim`` command."""
    from .. import __version__

    parser = Parser(prog="lifsim", description="Leaky integrate-and-fire neuron simulation.")
    parser.add_argument("--version", action="version", version=f"lifsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def _run(argv: list[str], labels: dict[str, str]) -> int:
    from ..signals import raise_if_interrupted

    status = _dispatch(argv, labels)
    raise_if_interrupted()  # an interrupt a library swallowed still ends the run as interrupted
    return status


def _dispatch(argv: list[str], labels: dict[str, str]) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = f"lifsim {args.command}"
        flag = next((token for token in unknown if token.startswith("--")), None)
        message = _not_here(flag, command) if flag else None
        raise UsageError(f"{message or 'unrecognized arguments: ' + ' '.join(unknown)} (see '{command} --help')")
    return int(COMMANDS[args.command].run(args, argv, labels))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lifsim`` command; return its exit status (2 for bad input)."""
    labels: dict[str, str] = {}  # option name -> what the user typed, for messages
    try:
        tokens = join_negative_values(sys.argv[1:] if argv is None else argv)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return _run(tokens, labels)
            finally:
                said = set()
                for warning in caught:
                    text = cli_message(str(warning.message), labels)
                    if issubclass(warning.category, (PlausibilityWarning, RuntimeWarning)) and text not in said:
                        said.add(text)  # once, however many points of a sweep raised it
                        warn(_one_line(text))
    except ImportError as error:  # an optional package a format or feature needs
        print(f"lifsim: error: {_one_line(cli_message(str(error), labels))}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
        print(f"lifsim: error: {_one_line(cli_message(str(error), labels))}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("lifsim: error: not enough memory for this run; use fewer neurons (--n) or steps", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        text = f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
        print(f"lifsim: error: {_one_line(text)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        from .._console import EXIT_INTERRUPTED, EXIT_TERMINATED
        from ..atomic import cleanup_after_interrupt
        from ..signals import Terminated

        cleanup_after_interrupt()
        if isinstance(interrupt, Terminated):
            print("lifsim: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        print("lifsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


#: the longest message lifsim prints
MAX_MESSAGE = 400


def _one_line(text: str) -> str:
    """One line of at most MAX_MESSAGE characters (library messages can span lines or run long)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
