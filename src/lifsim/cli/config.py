"""Run configuration files (TOML) for ``lifsim simulate --config run.toml`` (and ``lifsim fi``).

Every option of the command is a key, spelled like the option without its
dashes (``t_max`` or ``t-max``); command-line flags override the file
(``--no-plot``, ``--no-data``, ``--no-quiet`` turn off what a file sets).
Relative paths in a file (``data``, ``plot``, ``input_file``) are taken from
the file's own folder, so a config means the same wherever it is run from.
The keys, their types and the commented template of ``lifsim init`` are all
derived from the option table (:mod:`lifsim.cli.options`).  The file is parsed
with ``tomllib`` (``tomli`` before Python 3.11): reading it never runs code.
Unknown keys and values of the wrong type are errors that name the file, the
key and what is expected.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

from .options import FLAG, PATH, QUANTITY, Option, for_command

__all__ = ["read_config", "config_label", "template", "config_keys", "MAX_CONFIG_BYTES"]

#: a configuration is a few hundred bytes; refuse anything much larger before parsing it
MAX_CONFIG_BYTES = 1 << 20


def config_keys(command: str = "simulate") -> dict[str, Option]:
    """The TOML keys ``command`` accepts, and their options."""
    return {option.name: option for option in for_command(command)}


def read_config(path: str | Path, command: str = "simulate") -> dict[str, Any]:
    """Read and check a run configuration: ``{option name: value as written}``.

    Every value is checked as the option would check it on the command line
    (a unit of the wrong dimension is refused here, before any run);
    relative paths are resolved against the file's folder.  Raises
    ``ValueError`` naming the file and, for a bad entry, the key and what is expected.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    source = Path(path)
    where = config_label(path)
    try:
        if not source.exists():
            raise ValueError(f"{where}: no such file")
        if source.is_dir():
            raise ValueError(f"{where}: a folder, expected a .toml file")
        if not source.is_file():
            raise ValueError(f"{where}: not a regular file")
        if source.stat().st_size > MAX_CONFIG_BYTES:
            raise ValueError(f"{where}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a lifsim configuration")
        with open(source, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{where}: not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not a text file") from None
    except RecursionError:
        raise ValueError(f"{where}: nested too deeply to be a lifsim configuration") from None
    except OSError as error:
        raise ValueError(f"{where}: {error.strerror or error}") from None
    if command in raw and isinstance(raw[command], dict):  # an optional [simulate] (or [fi]) table
        raw = {**{k: v for k, v in raw.items() if k != command}, **raw[command]}
    keys = config_keys(command)
    config: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name in config:
            raise ValueError(f"{where}: key {key!r} is given twice (as - and _ spellings)")
        if name not in keys:
            close = difflib.get_close_matches(name, list(keys), n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(
                f"{where}: unknown key {key!r} for lifsim {command}{hint} (known keys: {', '.join(sorted(keys))})"
            )
        option = keys[name]
        if not isinstance(value, option.toml_types()) or (isinstance(value, bool) and bool not in option.toml_types()):
            wanted = option.expected(command)
            raise ValueError(f"{config_label(path, key)}: must be {wanted}, got {type(value).__name__} {value!r}")
        if option.kind == PATH and isinstance(value, bool):
            if value:
                raise ValueError(f"{config_label(path, key)}: must be {option.expected()}, got {value!r}")
        elif option.kind == PATH and isinstance(value, str) and not Path(value).is_absolute():
            value = str(source.parent / value) if str(source.parent) not in ("", ".") else value
        option.parse(value, config_label(path, key), command)  # refuse a bad value now, not after a run
        config[name] = value
    return config


def config_label(path: str | Path, name: str | None = None) -> str:
    """How every message about a config file names it, and a key of it: ``--config: 'run.toml': key 'tau'`` (the
    file as given; its checks here and the run's later ones say it the same way)."""
    where = f"--config: {str(path)!r}"
    return where if name is None else f"{where}: key {name!r}"


def _toml_value(option: Option, value: Any) -> str:
    if option.kind == QUANTITY:
        if option.dimension == "dimensionless":
            return repr(float(value))
        return f'"{option.show(value)}"'
    if option.kind == FLAG:
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(option, x) if isinstance(x, str) else str(x) for x in value) + "]"
    return str(value)


#: keys the template leaves commented out although they have a default, with the example it shows: a network's
#: record_spikes (its default keeps every spike) would refuse the grid line below it, as a sweep keeps none
COMMENTED = {("network", "record_spikes"): "E"}


def template(command: str = "simulate", path: str = "run.toml") -> str:
    """The commented configuration file ``lifsim init`` writes to ``path``, generated from the option table.

    Every key of ``command`` appears with its default (in the field's units);
    keys without a default are commented out with an example that is a valid value of the key; where the
    template sets another value than the default, its comment says so and why.
    """
    import shlex

    from .options import GROUP_TITLES, group_title

    lines = [
        f"# lifsim run configuration: `lifsim {command} --config {shlex.quote(path)}`",
        f"# Every `lifsim {command}` option is a key (dashes or underscores); flags given on the command",
        "# line override the values here (--no-plot, --no-data, --no-quiet turn off what this file sets).",
        "# Values with units are strings; plain numbers are SI (s, V, A, Ohm). Relative paths are",
        "# taken from this file's folder. Lines starting with # are comments.",
    ]
    group = None
    order = list(GROUP_TITLES)  # each group once, in the order of the help's groups (a command's table interleaves
    # them: the network's model, run, model again, sweep, run again; each heading was written twice)
    for option in sorted(for_command(command), key=lambda o: order.index(o.group) if o.group in order else len(order)):
        if option.group != group:
            group = option.group
            lines += ["", f"# --- {group_title(group, command)}"]
        default = option.default_for(command)
        comment = option.help_for(command)  # ends in "(default ...)"
        chosen = option.template_for(command)
        if chosen is not None:
            value, why = chosen
            lines.append(f"{option.name} = {_toml_value(option, value)}")
            lines.append(f"#   {comment[:-1]}; set here: {why})")
        elif (
            default is None
            or default == ()
            or (option.group == "input" and option.name != "input")
            or (command, option.name) in COMMENTED
        ):
            example = {
                "v0": -65e-3,
                "sigma": 5e-3,
                "amplitude": 1.2247,
                "threads": 2,
                "device": 0,
                "workers": 2,
                "scheduler": "tcp://127.0.0.1:8786",  # where `dask scheduler` listens on this machine
                "input_file": "current.npy",
                "snapshots": ["10 ms", "100 ms"],
                "xkcd": True,
                "grid": ["g=3:8:11", "eta=1:4:7"],  # the network's (the sweep's template sets its own)
                "record_spikes": COMMENTED.get((command, option.name)),
            }.get(option.name)
            if example is None and default is not None and default != ():
                example = default
            shown = _toml_value(option, example) if example is not None else f"<{option.expected(command)}>"
            lines.append(f"# {option.name} = {shown}")
            lines.append(f"#   {comment}")
        else:
            lines.append(f"{option.name} = {_toml_value(option, default)}")
            lines.append(f"#   {comment}")
    return "\n".join(lines) + "\n"
