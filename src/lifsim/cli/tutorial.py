"""``lifsim tutorial EX``: replay an exercise of the LIF tutorial, Part I or Part II (``lifsim tutorial`` lists them).

Both parts come from one registry (:data:`lifsim.tutorial.REGISTRY`): the
listing, the checks of EX, --plot and --data, and what is printed and written
are the same code for every exercise.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import UsageError, add_options, resolve, say, wrote

HELP = "replay an exercise of the LIF tutorial, Part I or Part II (without EX: list them)"

#: Part II demo's settings: flag -> (setting, what it is)
SETTING_FLAGS = {
    "--t-ref": ("t_ref", "mean refractory period"),
    "--t-ref-std": ("t_ref_std", "standard deviation of the refractory periods"),
}
#: each part's heading where ``lifsim tutorial`` lists both
PART_HEADINGS = {1: "LIF Neuron Part I:", 2: "LIF Neuron Part II (spikes), --part 2:"}
#: the older spellings (the notebook's mu and sigma), refused with the new name: --sigma is a voltage elsewhere
RENAMED_FLAGS = {"--mu": "--t-ref", "--sigma": "--t-ref-std"}


def add_parser(sub: Any) -> None:
    from ..tutorial import REGISTRY
    from ..tutorial_part2 import DEMO_MU, DEMO_SIGMA

    parser = sub.add_parser("tutorial", help=HELP, description=HELP + ".")
    part1, part2 = list(REGISTRY[1]), list(REGISTRY[2])
    parser.add_argument(
        "exercise",
        metavar="EX",
        nargs="?",
        help=f"exercise: Part I {part1[0]}..{part1[-1]}; Part II {', '.join(part2)}",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the exercises with their titles (both parts, or the --part given)"
    )
    parser.add_argument(
        "--part",
        metavar="{1,2}",
        default=None,
        help="LIF Neuron Part I (1, the default for EX) or Part II (2, spikes); without EX, the part to list",
    )
    defaults = {"--t-ref": DEMO_MU, "--t-ref-std": DEMO_SIGMA}
    for flag, (dest, what) in SETTING_FLAGS.items():
        parser.add_argument(
            flag,
            dest=dest,
            metavar="TIME",
            help=f"Part II demo: {what} (default {defaults[flag] * 1e3:g} ms, where the notebook's slider starts; "
            f"the notebook's {'mu' if dest == 't_ref' else 'sigma'})",
        )
    for old in RENAMED_FLAGS:  # kept only to say the new name
        parser.add_argument(old, dest="renamed_" + old[2:], help=argparse.SUPPRESS)
    add_options(parser, "tutorial")


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..tutorial import REGISTRY, find_exercise, replay, replay_figures, replay_meta

    for old, new in RENAMED_FLAGS.items():
        if getattr(args, "renamed_" + old[2:]) is not None:
            raise UsageError(
                f"{old}: renamed {new} (a time, the demo's {SETTING_FLAGS[new][1]}; --sigma is a voltage elsewhere)"
            )
    part = "1" if args.part is None else str(args.part).strip()
    if part not in ("1", "2"):
        raise UsageError(f"--part: expected 1 or 2, got {args.part!r}")
    if args.list and args.exercise is not None:
        raise UsageError(f"--list: lists the exercises; replay {args.exercise} without --list")
    if args.list or args.exercise is None:
        parts = (1, 2) if args.part is None else (int(part),)  # both, as the README says, unless one is asked for
        for number in parts:
            if len(parts) > 1:
                print(("" if number == 1 else "\n") + PART_HEADINGS[number])
            _list(REGISTRY[number], number, bool(args.list))
        return 0
    values = resolve("tutorial", args, labels=labels)
    try:
        exercise = find_exercise(part, args.exercise)
    except ValueError as error:
        raise UsageError(str(error)) from None
    settings = _settings(args, exercise)
    plots = _check_outputs(values, exercise)
    out = replay(exercise, xkcd=values["xkcd"], **settings)
    for line in out.lines:
        print(line)
    if values["data"] is not None:
        from ..atomic import saving
        from ..formats.npz import save_arrays

        with saving(bool(values["force"])):
            save_arrays(values["data"], out.data, replay_meta(exercise, **settings))
    if plots:
        from ..plot import save_figure

        for figure, path in zip(replay_figures(out), plots):
            save_figure(figure, path)
    if exercise.figures:  # Part I's exercises 1-4 print exactly the tutorial's output
        say(f"{exercise.label}: {exercise.title}: {out.summary}")
    if values["data"] is not None:
        wrote(values["data"], f"arrays {', '.join(out.data)}")
    for path in plots:
        wrote(str(path), "figure")
    if exercise.figures and not plots:
        stem = f"ex{exercise.name}" if exercise.part == 1 else f"part2-{exercise.name}"
        given = "".join(
            f" {flag} {getattr(args, dest)}" for flag, (dest, _) in SETTING_FLAGS.items() if dest in settings
        )
        say(f"draw it with '{exercise.command}{given} --plot {stem}.png'")  # the same run: its settings too
    return 0


def _list(exercises: dict[str, Any], part: int, asked: bool) -> None:
    width = max(len(name) for name in exercises)
    for name, exercise in exercises.items():
        kind = "" if part == 2 else (" (figure)" if exercise.figures else " (prints)")
        print(f"{name:>{width}}  {exercise.title}{kind}")
    if not asked:
        command = "lifsim tutorial" if part == 1 else "lifsim tutorial --part 2"
        saves = "--data PATH.npz saves it" if part == 1 else "--data PATH.npz"
        print(f"replay one with '{command} EX' (--plot PATH.png draws its figure, {saves})")


def _settings(args: argparse.Namespace, exercise: Any) -> dict[str, float]:
    """The demo's settings given on the command line (s), checked."""
    from ..units import slip_hint, to_si

    settings = {}
    for flag, (dest, _what) in SETTING_FLAGS.items():
        text = getattr(args, dest)
        if text is None:
            continue
        if dest not in exercise.settings:
            raise UsageError(
                f"{flag}: sets Part II's demo ('lifsim tutorial --part 2 demo {flag} ...'), not {exercise.label}"
            )
        value = to_si(text, "time", flag)
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"{flag}: expected a finite time >= 0 (e.g. 10ms), got {text!r}")
        settings[dest] = value
        if value > 0.1:  # the range LIFParams.plausibility gives t_ref: a slip of units (--t-ref 20 is 20 s)
            from .common import warn

            warn(
                f"{flag}: {text} is {value:g} s, far outside the usual range (0 to 100 ms)"
                + slip_hint(value, "time", 0, 0.1)
            )
    return settings


def _check_outputs(values: Any, exercise: Any) -> list[Path]:
    """Check --data and --plot before running; return the figure paths (one per figure)."""
    from ..atomic import check_output_path
    from ..store import check_overwrite
    from ..tutorial import REGISTRY
    from .options import FIGURE_SUFFIXES

    if values["plot"] is not None and not exercise.figures:
        drawing = [int(name) for name, other in REGISTRY[exercise.part].items() if other.figures]
        raise UsageError(
            f"--plot: exercise {exercise.name} ({exercise.title}) draws no figure; exercises "
            f"{min(drawing)}-{max(drawing)} do (drop --plot to save only --data)"
        )
    if values["data"] is not None:
        check_output_path(values["data"], (".npz",), values.label("data"))
        check_overwrite(values["data"], bool(values["force"]), values.label("data"))
    if values["plot"] is None:
        return []
    target = check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    plots = [target]
    for tag in exercise.figure_tags:
        plots.append(
            check_output_path(target.with_name(f"{target.stem}-{tag}{target.suffix}"), FIGURE_SUFFIXES, "--plot")
        )
    return plots
