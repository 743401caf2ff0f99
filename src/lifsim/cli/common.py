"""What every ``lifsim`` command shares: the parser, options from the table, values from
flags and config files, one-line messages."""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .options import FLAG, GRID, NEURONS, PATH, Option, api_name_to_flag, for_command

__all__ = [
    "UsageError",
    "Parser",
    "add_options",
    "Values",
    "resolve",
    "cli_message",
    "join_negative_values",
    "say",
    "wrote",
    "runner_of",
    "check_sweep_outputs",
    "run_sweep",
    "save_netcdf",
]


class UsageError(ValueError):
    """Bad command-line input."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (raised, then printed by ``main``).

    Abbreviated options are off: ``--n`` is ``--n``, never a prefix of ``--no-data``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --n: ..." where lifsim says "--n: ..."
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        unknown = re.match(r"^unrecognized arguments: (--[\w-]+)", message)
        if unknown:
            message = _not_here(unknown.group(1), self.prog) or message
        raise UsageError(f"{message}{_close_choice(message)} (see '{self.prog} --help')")


def _close_choice(message: str) -> str:
    """``; did you mean simulate?`` after argparse's ``invalid choice: 'simulat' (choose from ...)``, where a
    choice is close (a command, a ``--method``), as a misspelled option gets its own."""
    import difflib

    invalid = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if invalid is None:
        return ""
    choices = re.findall(r"'([^']*)'", invalid.group(2))
    close = difflib.get_close_matches(invalid.group(1), choices, n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def _not_here(flag: str, prog: str) -> str | None:
    """Why an option of the table is not an option of this command, if it is one."""
    from .options import OPTIONS

    command = prog.split()[-1]
    for option in OPTIONS:
        if flag.split("=")[0] in (option.flag, f"--no-{option.flag[2:]}") and command not in option.commands:
            why = option.elsewhere.get(command) or f"it is an option of lifsim {', '.join(option.commands)}"
            return f"{option.flag}: not an option of {prog}; {why}"
    return None


_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """Rewrite ``--el -65mV`` as ``--el=-65mV``.

    argparse takes a token such as ``-65mV`` or ``-1e-3`` for an option; no
    lifsim option starts with a digit, so a dash followed by a number is
    always a value.
    """
    out: list[str] = []
    for token in argv:
        if out and _NEGATIVE_VALUE.match(token) and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def add_options(parser: argparse.ArgumentParser, command: str, *, config: bool = False) -> None:
    """Add ``command``'s options from the option table, in argparse groups with their help texts.

    Every value option stores None when absent, so that a config file's value
    or the table's default can fill it in (:func:`resolve`).
    """
    from .options import group_title

    if config:
        parser.add_argument(
            "--config", metavar="RUN.toml", help="read options from a TOML file (flags given here override it)"
        )
    groups: dict[str, Any] = {}
    for option in for_command(command):
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(group_title(option.group, command))
        group = groups[option.group]
        help_text = option.help_for(command).replace("%", "%%")
        if option.kind == FLAG:
            group.add_argument(
                option.flag, dest=option.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
            if option.short:
                group.add_argument(
                    option.short, dest=option.name, action="store_true", default=None, help=argparse.SUPPRESS
                )
            continue
        kwargs: dict[str, Any] = {"dest": option.name, "default": None, "metavar": option.metavar(command)}
        if option.kind == NEURONS:
            kwargs.update(nargs="?", const="all")
        if option.kind == GRID:
            kwargs.update(action="append")
        group.add_argument(option.flag, help=help_text, **kwargs)
        if option.kind == PATH and option.group == "output":
            group.add_argument(
                f"--no-{option.flag[2:]}",
                dest=option.name,
                action="store_const",
                const=False,
                help=f"no {option.name} output" + (f" (overrides a config file's {option.name})" if config else ""),
            )


@dataclass
class Values:
    """The options of one command, resolved: the table's default < config file < command line.

    Attributes
    ----------
    command : str
    values : dict
        Option name -> value (SI for quantities; None when unset).
    labels : dict
        Option name -> where the user gave it (``--tau``, ``run.toml: tau``).
    config : dict or None
        The config file's entries as written, for the run's provenance.
    """

    command: str
    values: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def pick(self, *names: str) -> dict[str, Any]:
        """``{name: value}`` for keyword arguments: an option's name is the API keyword it sets."""
        return {name: self.values[name] for name in names}

    def given(self, name: str) -> bool:
        """True when the user set ``name`` (on the command line or in a config file)."""
        return name in self.labels

    def from_config(self, name: str) -> bool:
        """True when ``name`` came from the config file (``--config: 'run.toml': key 'tau'``), not a flag."""
        return self.labels.get(name, "").startswith("--config")

    def label(self, name: str) -> str:
        """Where ``name`` came from, for messages (its flag when not given)."""
        return self.labels.get(name) or api_name_to_flag(name) or name

    def model(self) -> dict[str, Any]:
        """The model parameters given (SI), for :class:`~lifsim.params.LIFParams`."""
        from ..params import PARAM_UNITS

        model = {name: self.values[name] for name in PARAM_UNITS if name in self.values}
        model["round_steps"] = bool(self.values.get("round_steps"))
        return model


def resolve(command: str, args: argparse.Namespace, *, labels: dict[str, str] | None = None) -> Values:
    """Combine the table's defaults, the ``--config`` file and the flags into checked values.

    ``labels`` (a dict) is filled in as values are read, so that an error
    raised later names the option the user typed.
    """
    from .config import config_label, read_config

    result = Values(command, labels={} if labels is None else labels)
    options = {option.name: option for option in for_command(command)}
    raw: dict[str, tuple[Any, str]] = {}
    config_path = getattr(args, "config", None)
    if config_path is not None:
        entries = read_config(config_path, command)
        result.config = entries
        raw.update({name: (value, config_label(config_path, name)) for name, value in entries.items()})
    for name, option in options.items():
        value = getattr(args, name, None)
        if value is not None:
            raw[name] = (
                value,
                option.flag if not (value is False and option.kind == PATH) else f"--no-{option.flag[2:]}",
            )
    for name, option in options.items():
        if name in raw:
            value, label = raw[name]
            result.labels[name] = label
            result.values[name] = option.parse(value, label, command)
        else:
            result.values[name] = option.default_for(command)
    return result


def cli_message(message: str, labels: Mapping[str, str] | None = None) -> str:
    """Name the option where an API message names the parameter (``t_max: ...`` -> ``--t-max: ...``)."""
    head, sep, rest = message.partition(": ")
    if not sep or head.startswith("-"):
        return message
    flag = api_name_to_flag(head, labels)
    if flag is None:
        return message
    if " " in head:  # a phrase such as "array input" names what the option gave
        return f"{flag} ({head}): {rest}"
    return f"{flag}: {rest}"


def say(text: str, quiet: bool = False) -> None:
    """Print a line on stdout unless ``quiet``."""
    if not quiet:
        print(text)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def wrote(path: str | Path, what: str, quiet: bool = False) -> None:
    """Say that ``path`` was written (``wrote run.nc (NetCDF-4 run, 1.2 MiB)``)."""
    if quiet:
        return
    from ..memory import format_bytes

    try:
        size = f", {format_bytes(_size(Path(path)))}"
    except OSError:  # pragma: no cover - removed meanwhile
        size = ""
    print(f"wrote {path} ({what}{size})")


def warn(text: str) -> None:
    """One warning line on stderr; a stderr that cannot take it (closed, full, a reader gone) costs the warning,
    never the run (its failed write ended the command before it wrote its files)."""
    try:
        print(f"lifsim: warning: {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def csv_note(what: str, left_out: Sequence[str]) -> None:
    """Before a run saved as ``.csv``: say which of its recorded data (the non-empty ``left_out``) the per-step
    table will not hold, rather than drop them without a word."""
    dropped = [text for text in left_out if text]
    if dropped:
        warn(
            f"{what}: a .csv holds the per-step table only; {' and '.join(dropped)} of this run will not be in it "
            "(.nc, .zarr or .npz keep everything)"
        )


def option_of(name: str) -> Option:
    from .options import BY_NAME

    return BY_NAME[name]


def runner_of(values: Values) -> int | str | None:
    """``--workers N``, ``--scheduler ADDRESS`` or ``$DASK_SCHEDULER_ADDRESS``: where the run goes (None: here)."""
    import os

    workers, scheduler = values["workers"], values["scheduler"]
    if workers is not None and scheduler is not None:
        raise ValueError(f"{values.label('workers')} and {values.label('scheduler')}: give one of them, not both")
    if workers is not None:
        return int(workers)
    if scheduler is not None:
        return str(scheduler)
    return os.environ.get("DASK_SCHEDULER_ADDRESS") or None


# ---------------------------------------------------------------- sweeps: lifsim sweep, lifsim network --grid


def check_sweep_outputs(values: Any) -> None:
    """Refuse, before anything runs, a sweep's --data or --plot path that cannot be written, and --resume without
    a .zarr store."""
    from ..atomic import check_output_path
    from ..store import check_overwrite
    from .options import FIGURE_SUFFIXES, SWEEP_SUFFIXES

    data = values["data"]
    if data is not None:
        check_output_path(data, SWEEP_SUFFIXES, values.label("data"))
        if not values["resume"]:
            check_overwrite(data, bool(values["force"]), values.label("data"), resume=str(data).endswith(".zarr"))
    if values["plot"] is not None:
        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    if values["resume"] and (data is None or not str(data).endswith(".zarr")):
        raise UsageError(f"{values.label('resume')}: needs --data PATH.zarr, the store of the sweep to finish")


def run_sweep(
    sweep: Any,
    values: Any,
    params: Any,
    keywords: dict[str, Any],
    argv: Sequence[str],
    table: Any,
    figure: Any,
) -> int:
    """Run ``sweep`` (:func:`lifsim.sweep`, handed in by the command so that this module sits below the library's
    sweep layer) for ``lifsim sweep`` and ``lifsim network --grid``: a progress bar, the table printed, the data
    written (a .zarr store point by point, or NetCDF at the end), the figure saved."""
    quiet = bool(values["quiet"])
    data = values["data"]
    zarr_store = data if data is not None and str(data).endswith(".zarr") else None
    if data is not None and zarr_store is None:  # the sweep's .nc at least: found after the sweep before
        from ..atomic import check_room_for

        points = math.prod(len(axis) for axis in values["grid"].values())
        per_step = "per_step" in values.values and bool(values["per_step"])
        per_point = 8 * (4 + (2 * params.steps if per_step else 0))  # rate, theory, CV, Fano (and V per step)
        check_room_for(Path(data), values.label("data"), array_bytes=points * per_point, table_bytes=0)
    if values["dry_run"]:
        print(sweep(params, values["grid"], **keywords, runner=runner_of(values), dry_run=True).summary())
        return 0
    from ..runners.base import point_progress

    bar = point_progress(not quiet and sys.stderr.isatty())
    try:
        ds = sweep(
            params,
            values["grid"],
            **keywords,
            runner=runner_of(values),
            store=zarr_store,
            resume=bool(values["resume"]),
            overwrite=bool(values["force"]),
            progress=bar,
            command="lifsim " + shlex.join(argv),
            config=values.config,
        )
    finally:
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
    say(table(ds), quiet)
    if data is not None:
        if zarr_store is None:
            save_netcdf(ds, data, overwrite=bool(values["force"]))
        wrote(data, "sweep", quiet)
    if values["plot"] is not None:
        from ..plot import save_figure

        save_figure(figure(ds), values["plot"])
        wrote(values["plot"], "figure", quiet)
    return 0


def save_netcdf(ds: Any, path: str, overwrite: bool = False) -> None:
    """The sweep as a NetCDF file through the run's NetCDF layer (written whole or not at all, every array's
    SHA-256 and Fletcher-32 kept, its room checked); a file another writer made since the check stays, unless
    ``overwrite``."""
    from ..atomic import saving
    from ..netcdf_io import write_dataset

    with saving(overwrite):
        write_dataset(ds, Path(path))
