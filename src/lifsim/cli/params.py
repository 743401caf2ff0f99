"""``lifsim params``: the parameter set with units."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .common import add_options, resolve

HELP = "show the parameter set with units, and the profiles each command starts from"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("params", help=HELP, description=HELP + ".")
    add_options(parser, "params")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    import warnings

    from ..errors import PlausibilityWarning
    from ..params import LIFParams, describe_profiles

    values = resolve("params", args, labels=labels)
    params = LIFParams(**values.model())
    for text in params.plausibility():  # a unit slip, said as lifsim simulate says it (--r 100mohm: 0.1 Ohm)
        warnings.warn(text, PlausibilityWarning, stacklevel=2)
    print(params.describe())
    print("\nprofiles (where each command starts; lifsim.params.profile(NAME, **changes) in Python):")
    print(describe_profiles())
    return 0
