"""lifsim's own exception and warning types.

Bad input raises ``ValueError`` or ``TypeError`` (with a message that names
the bad value and what would be accepted); these add what those two cannot say.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

__all__ = [
    "MissingDependencyError",
    "named_parameters",
    "unknown_keyword",
    "require",
    "PlausibilityWarning",
    "user_stacklevel",
    "EXIT_OK",
    "EXIT_INTERNAL",
    "EXIT_USAGE",
    "EXIT_DIFFERS",
    "EXIT_INTERRUPTED",
    "EXIT_BROKEN_PIPE",
    "EXIT_TERMINATED",
    "EXIT_STATUSES",
    "exit_status_table",
    "internal_error",
    "DEBUG_VARIABLE",
    "command_line",
    "in_own_words",
]


class MissingDependencyError(ImportError):
    """An optional package that a format or feature needs is not installed.

    The message names the package and the pip extra that installs it, e.g.
    ``--data: writing .nwb needs pynwb; pip install ".[nwb]" in the lifsim folder``.
    """

    def __init__(self, message: str, *, package: str, extra: str | None = None) -> None:
        super().__init__(message, name=package)
        self.package = package
        self.extra = extra


def require(package: str, *, extra: str | None, subject: str, what: str = "path") -> None:
    """Raise :class:`MissingDependencyError` unless ``package`` is installed (looked up, not imported).

    ``subject`` says what needs it ("writing .nwb"); ``extra`` is the pip extra that installs it (None: a core
    dependency, so the installation is broken).
    """
    import importlib.util

    if importlib.util.find_spec(package) is not None:
        return
    if extra is not None:
        fix = f'pip install ".[{extra}]" in the lifsim folder'
    else:
        fix = f"pip install {package} (a dependency of lifsim; reinstall lifsim)"
    raise MissingDependencyError(f"{what}: {subject} needs {package}; {fix}", package=package, extra=extra)


#: lifsim's own folder: a warning of lifsim's points at the first frame outside it (:func:`user_stacklevel`)
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the line of the user's code that called lifsim, however
    deep inside lifsim it is raised (``lifsim.fi_curve`` -> ``sweep`` -> ``simulate`` -> the run's check): the
    first frame outside the lifsim package.  ``warnings.warn(text, category, stacklevel=user_stacklevel())``
    (Python 3.12's ``skip_file_prefixes``, for every Python lifsim runs on)."""
    frame = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class LifsimWarning(UserWarning):
    """A warning of lifsim's own, for its user (the ``lifsim`` command says each in one line)."""


class PlausibilityWarning(LifsimWarning):
    """A value that is valid but far outside the physiological range (``--tau 20`` is 20 s),
    or a run whose outcome suggests a unit slip (a rate close to one spike per step)."""


class LeftOutWarning(LifsimWarning):
    """A run saved in a format that keeps only part of it (``.csv``: the per-step table): what is left out."""


class RoomWarning(LifsimWarning):
    """A file's folder has room for the least it will need but not for what it is expected to need."""


class UncheckedFileWarning(LifsimWarning):
    """A lifsim file read without its checksums (written before lifsim kept them, or with them removed): its
    numbers could not be checked."""


def warn_unchecked(source: object, what: str = "numbers and attributes") -> None:
    """Say that ``source`` has no checksums for its ``what`` (:class:`UncheckedFileWarning`)."""
    import warnings

    warnings.warn(
        f"{source}: has no checksums for its {what} (written by a lifsim before they were kept, or they were "
        f"removed), so its {what} cannot be checked",
        UncheckedFileWarning,
        stacklevel=3,
    )


# -- who is told: the ``lifsim`` command's user, or Python's ----------------------------------------------------

#: set by :func:`command_line` while the ``lifsim`` command runs
_COMMAND_LINE: contextvars.ContextVar[bool] = contextvars.ContextVar("lifsim_command_line", default=False)


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Within: messages name what to do as the ``lifsim`` command's flags (``--force``), not as Python's keywords
    (``overwrite=True``); :func:`lifsim.cli.main` runs every command in it."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def in_own_words(flags: str, keywords: str) -> str:
    """One remedy in the words of who called: ``flags`` for the ``lifsim`` command (within :func:`command_line`),
    ``keywords`` for Python (``in_own_words("add --force", "pass overwrite=True")``)."""
    return flags if _COMMAND_LINE.get() else keywords


# -- exit statuses of the ``lifsim`` command ------------------------------------------------------------------

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_DIFFERS = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM

#: every exit status of the ``lifsim`` command: (status, name, when, what it prints); the docs render this table
EXIT_STATUSES: tuple[tuple[int, str, str, str], ...] = (
    (EXIT_OK, "ok", "the command did what was asked; also `--help` and `--version`", "its output"),
    (
        EXIT_INTERNAL,
        "internal error",
        "an unexpected failure: a bug in lifsim or in a library it uses",
        "`lifsim: internal error: ...; rerun with LIFSIM_DEBUG=1 for the traceback` "
        "(with `LIFSIM_DEBUG=1`: the traceback, then that line)",
    ),
    (
        EXIT_USAGE,
        "bad input",
        "a bad option, value, configuration or file; a missing optional package; an unreachable scheduler; "
        "a full disk or too little memory",
        "`lifsim: error: ...` naming the bad value and what is accepted",
    ),
    (
        EXIT_DIFFERS,
        "not reproduced",
        "`lifsim rerun`: the new run differs from the saved result",
        "`lifsim: rerun of FILE differs: ...`",
    ),
    (
        EXIT_INTERRUPTED,
        "interrupted",
        "SIGINT (Ctrl-C); temporary files are removed, earlier results stay untouched",
        "`lifsim: interrupted`",
    ),
    (
        EXIT_BROKEN_PIPE,
        "broken pipe",
        "the reader of the standard output went away (`lifsim params` piped into `head -1`), as for any "
        "command killed by SIGPIPE",
        "nothing",
    ),
    (
        EXIT_TERMINATED,
        "terminated",
        "SIGTERM, with the same clean-up as Ctrl-C",
        "`lifsim: terminated`",
    ),
)


def exit_status_table() -> str:
    """:data:`EXIT_STATUSES` as a Markdown table (status, meaning, when, what lifsim prints on stderr)."""
    rows = ["| status | meaning | when | stderr |", "|---|---|---|---|"]
    rows += [f"| {status} | {name} | {when} | {said} |" for status, name, when, said in EXIT_STATUSES]
    return "\n".join(rows) + "\n"


#: set this environment variable (to anything but "" or "0") to see the traceback of an internal error
DEBUG_VARIABLE = "LIFSIM_DEBUG"


def internal_error(error: BaseException) -> str:
    """The one line the ``lifsim`` command prints for an unexpected exception (exit status 1).

    ``lifsim: internal error: KeyError: 'x'; rerun with LIFSIM_DEBUG=1 for the traceback``.  With
    ``LIFSIM_DEBUG=1`` in the environment the traceback is printed on stderr first, and the line ends after
    the error.
    """
    what = " ".join(str(error).split())
    what = f"{type(error).__name__}: {what}" if what else type(error).__name__
    if len(what) > 300:
        what = what[:297] + "..."
    if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
        import traceback

        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        return f"lifsim: internal error: {what}"
    return f"lifsim: internal error: {what}; rerun with {DEBUG_VARIABLE}=1 for the traceback"


T = TypeVar("T")


def unknown_keyword(name: str, accepted: Sequence[str], owner: str) -> TypeError:
    """The ``TypeError`` of a keyword ``name`` that ``owner`` does not take: it names it, suggests a near name and
    lists the accepted ones (``foo: not a parameter of LIFParams; accepted: t_max, dt, ...``)."""
    import difflib

    close = difflib.get_close_matches(name, list(accepted), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return TypeError(f"{name}: not a parameter of {owner}{hint}; accepted: {', '.join(accepted)}")


def named_parameters(cls: type[T]) -> type[T]:
    """Give a dataclass's generated ``__init__`` a ``TypeError`` that names a parameter of another name
    (``LIFParams(foo=1)``, ``replace(tau_m=...)``, ``BrunelParams(foo=1)``) and lists the accepted ones, in place of
    Python's bare "got an unexpected keyword argument"; the signature (``help``, the docs) stays the generated one."""
    import dataclasses
    import functools

    generated = cls.__init__
    accepted = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]

    @functools.wraps(generated)
    def __init__(self: T, *args: Any, **kwargs: Any) -> None:
        unknown = [name for name in kwargs if name not in accepted]
        if unknown:
            raise unknown_keyword(unknown[0], accepted, cls.__name__)
        if len(args) > len(accepted):
            raise TypeError(
                f"{cls.__name__}: takes at most {len(accepted)} values ({', '.join(accepted)}), got {len(args)}"
            )
        generated(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010 - a method assigned after the class is made
    return cls
