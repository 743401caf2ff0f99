"""``lifsim tutorial EX``: replay an exercise of the LIF tutorial (``lifsim tutorial`` lists them)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .common import UsageError, add_options, resolve, say, wrote

HELP = "replay an exercise of the LIF tutorial (without EX: list them)"


def add_parser(sub: Any) -> None:
    from ..tutorial import EXERCISES

    parser = sub.add_parser("tutorial", help=HELP, description=HELP + ".")
    parser.add_argument(
        "exercise",
        metavar="EX",
        nargs="?",
        help=f"exercise number, {EXERCISES[0]}..{EXERCISES[-1]}",
    )
    parser.add_argument("--list", action="store_true", help="list the exercises with their titles")
    add_options(parser, "tutorial")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..atomic import check_output_path
    from ..options import FIGURE_SUFFIXES, parse_int
    from ..tutorial import EXERCISES, TITLES, WITH_FIGURE, exercise_meta, run_exercise

    if args.list or args.exercise is None:
        for number in EXERCISES:
            figure = "figure" if number in WITH_FIGURE else "prints"
            print(f"{number:>2}  {TITLES[number]} ({figure})")
        if not args.list:
            print("replay one with 'lifsim tutorial EX' (--plot PATH.png draws its figure, --data PATH.npz saves it)")
        return 0
    values = resolve("tutorial", args, labels=labels)
    ex = parse_int(args.exercise, "EX", None, f"an exercise number from {EXERCISES[0]} to {EXERCISES[-1]}")
    if ex not in EXERCISES:
        raise UsageError(
            f"EX: expected an exercise number from {EXERCISES[0]} to {EXERCISES[-1]}, got {args.exercise!r}"
        )
    if values["data"] is not None:
        check_output_path(values["data"], (".npz",), values.label("data"))
    if values["plot"] is not None:
        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
        if ex not in WITH_FIGURE:
            raise UsageError(
                f"--plot: exercise {ex} ({TITLES[ex]}) draws no figure; exercises "
                f"{min(WITH_FIGURE)}-{max(WITH_FIGURE)} do (drop --plot to save only --data)"
            )
    out = run_exercise(ex, xkcd=values["xkcd"])
    for line in out.lines:
        print(line)
    if values["data"] is not None:
        from ..formats.npz import save_arrays

        save_arrays(values["data"], out.data, exercise_meta(ex))
    if values["plot"] is not None and out.draw is not None:
        from ..plot import save_figure

        save_figure(out.draw(), values["plot"])
    if ex in WITH_FIGURE:  # exercises 1-4 print exactly the tutorial's output
        say(f"exercise {ex}: {TITLES[ex]}: {out.summary}")
    if values["data"] is not None:
        wrote(values["data"], f"arrays {', '.join(out.data)}")
    if ex in WITH_FIGURE:
        if values["plot"] is not None:
            wrote(values["plot"], "figure")
        if values["plot"] is None:
            say(f"draw it with 'lifsim tutorial {ex} --plot ex{ex}.png'")
    return 0
