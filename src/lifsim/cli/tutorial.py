"""``lifsim tutorial EX``: replay an exercise of the LIF tutorial (``lifsim tutorial`` lists them)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from .common import UsageError, add_options, resolve, say, wrote

HELP = "replay an exercise of the LIF tutorial, Part I or Part II (without EX: list them)"


def add_parser(sub: Any) -> None:
    from ..tutorial import EXERCISES
    from ..tutorial_part2 import DEMO_MU, DEMO_SIGMA, PART2_EXERCISES

    parser = sub.add_parser("tutorial", help=HELP, description=HELP + ".")
    parser.add_argument(
        "exercise",
        metavar="EX",
        nargs="?",
        help=f"exercise: Part I {EXERCISES[0]}..{EXERCISES[-1]}; Part II {', '.join(PART2_EXERCISES)}",
    )
    parser.add_argument("--list", action="store_true", help="list the exercises with their titles")
    parser.add_argument(
        "--part", metavar="{1,2}", default="1", help="LIF Neuron Part I (1, the default) or Part II (2, spikes)"
    )
    parser.add_argument(
        "--mu",
        metavar="TIME",
        help=f"Part II demo: mean refractory period (default {DEMO_MU * 1e3:g} ms, where the notebook's slider starts)",
    )
    parser.add_argument(
        "--sigma",
        metavar="TIME",
        help=f"Part II demo: its standard deviation (default {DEMO_SIGMA * 1e3:g} ms, the slider's start)",
    )
    add_options(parser, "tutorial")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..atomic import check_output_path
    from ..options import FIGURE_SUFFIXES, parse_int
    from ..tutorial import EXERCISES, TITLES, WITH_FIGURE, exercise_meta, run_exercise

    part = str(args.part).strip()
    if part not in ("1", "2"):
        raise UsageError(f"--part: expected 1 or 2, got {args.part!r}")
    if part == "2":
        return run_part2_command(args, labels)
    if args.mu is not None or args.sigma is not None:
        raise UsageError("--mu, --sigma: set Part II's demo (lifsim tutorial --part 2 demo --mu 10ms --sigma 7ms)")
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


def run_part2_command(args: argparse.Namespace, labels: dict[str, str]) -> int:
    """``lifsim tutorial --part 2 EX``: Part II's exercises 1-7 and its demo."""
    from ..atomic import check_output_path
    from ..options import FIGURE_SUFFIXES
    from ..tutorial_part2 import PART2_EXERCISES, PART2_TITLES, part2_meta, run_part2
    from ..units import to_si

    if args.list or args.exercise is None:
        for name in PART2_EXERCISES:
            print(f"{name:>4}  {PART2_TITLES[name]}")
        if not args.list:
            print("replay one with 'lifsim tutorial --part 2 EX' (--plot PATH.png draws its figure, --data PATH.npz)")
        return 0
    values = resolve("tutorial", args, labels=labels)
    ex = str(args.exercise).strip().lower()
    if ex not in PART2_EXERCISES:
        raise UsageError(f"EX: expected one of {', '.join(PART2_EXERCISES)} for Part II, got {args.exercise!r}")
    demo = {}
    for name in ("mu", "sigma"):
        text = getattr(args, name)
        if text is not None:
            if ex != "demo":
                raise UsageError(f"--{name}: sets the demo's slider ('lifsim tutorial --part 2 demo --{name} ...')")
            value = to_si(text, "time", f"--{name}")
            if not math.isfinite(value) or value < 0:
                raise UsageError(f"--{name}: expected a finite time >= 0 (e.g. 10ms), got {text!r}")
            demo[name] = value
    if values["data"] is not None:
        check_output_path(values["data"], (".npz",), values.label("data"))
    plots = []
    if values["plot"] is not None:
        target = check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
        plots.append(target)
        if ex == "demo":  # the demo draws two figures: the second is the refractory periods' histogram
            plots.append(
                check_output_path(target.with_name(f"{target.stem}-tref{target.suffix}"), FIGURE_SUFFIXES, "--plot")
            )
    out = run_part2(ex, xkcd=values["xkcd"], **demo)
    for line in out.lines:
        print(line)
    if values["data"] is not None:
        from ..formats.npz import save_arrays

        save_arrays(values["data"], out.data, part2_meta(ex, **demo))
    if plots and out.draw is not None:
        from ..plot import save_figure

        for figure, path in zip(out.draw(), plots):
            save_figure(figure, path)
    say(f"Part II {ex}: {PART2_TITLES[ex]}: {out.summary}")
    if values["data"] is not None:
        wrote(values["data"], f"arrays {', '.join(out.data)}")
    for path in plots:
        wrote(str(path), "figure")
    if not plots:
        say(f"draw it with 'lifsim tutorial --part 2 {ex} --plot part2-{ex}.png'")
    return 0
