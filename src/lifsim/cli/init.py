"""``lifsim init RUN.toml``: a commented configuration file, generated from the option table."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .common import UsageError, wrote

HELP = "write a commented example configuration file"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("init", help=HELP, description=HELP + ".")
    parser.add_argument("path", metavar="RUN.toml", help="where to write it")
    parser.add_argument(
        "--for",
        dest="command_for",
        choices=("simulate", "fi", "sweep", "network"),
        default="simulate",
        help="the command the file configures (default simulate)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    import shlex

    from ..atomic import atomic_file, check_output_path
    from .config import template

    target = check_output_path(args.path, (".toml",), "init")
    if target.exists() and not args.force:
        raise UsageError(f"init: {args.path!r} exists; use --force to overwrite it")
    with atomic_file(target) as tmp, open(tmp, "w") as handle:
        handle.write(template(args.command_for, args.path))
    wrote(args.path, f"configuration for lifsim {args.command_for}")
    print(f"edit it, then run 'lifsim {args.command_for} --config {shlex.quote(args.path)}'")
    return 0
