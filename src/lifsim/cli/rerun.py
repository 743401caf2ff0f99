"""``lifsim rerun RESULT``: run a saved result again from its provenance, and compare bit for bit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .common import add_options, resolve, say, wrote

HELP = "run a saved result again from its provenance and compare"


def add_parser(sub: Any) -> None:
    from ..formats import LOADABLE_SUFFIXES, RESULT_SUFFIXES, suffix_help

    cannot = [s for s in RESULT_SUFFIXES if s not in LOADABLE_SUFFIXES]
    parser = sub.add_parser(
        "rerun",
        help=HELP,
        description=f"{HELP}. {', '.join(cannot)} files cannot be rerun: they do not hold the whole run.",
    )
    parser.add_argument(
        "result",
        metavar="RESULT",
        help=f"a result saved by lifsim: {suffix_help(LOADABLE_SUFFIXES)} "
        f"({', '.join(cannot)} files hold too little to run again)",
    )
    add_options(parser, "rerun")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..formats import check_target, load
    from ..provenance import compare, rerun

    values = resolve("rerun", args, labels=labels)
    quiet = bool(values["quiet"])
    data_format = None
    if values["data"] is not None:
        data_format, _ = check_target(values["data"], values.label("data"))
    original = load(args.result)
    again = rerun(original)
    differences = compare(original, again)
    if values["data"] is not None:
        again.save(values["data"])
        wrote(values["data"], f"{data_format.label if data_format else ''} run".strip(), quiet)
    if differences:
        print(f"lifsim: rerun of {args.result} differs: {'; '.join(differences)}", file=sys.stderr)
        return 1
    say(again.summary(), quiet)
    say(f"rerun of {args.result}: reproduced bit for bit", quiet)
    return 0
