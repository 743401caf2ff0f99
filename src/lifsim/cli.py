"""The ``lifsim`` command.

``lifsim tutorial EX``  replay exercise EX (1..14) of the LIF tutorial
``lifsim simulate``     a general run with every parameter and input as an option
``lifsim fi``           f-I curve: simulated rates against current, with theory
``lifsim params``       the parameter set with units
``lifsim init RUN.toml``  a commented configuration file for ``simulate --config``
``lifsim rerun RESULT``   run a saved result again from its provenance, bit for bit

Bad input never ends in a traceback: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Sequence
from typing import NoReturn

import numpy as np

from . import __version__
from .inputs import INPUT_KINDS, Input, Modulated, SineTerm, UniformTerm, array_input, step, white_noise
from .params import PARAM_DOCS, PARAM_UNITS, LIFParams
from .units import to_si

__all__ = ["main", "build_parser", "build_inputs"]

EXIT_USAGE = 2


class UsageError(ValueError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _int_option(name: str, low: int, high: int | None = None):  # type: ignore[no-untyped-def]
    """An argparse type: a whole number in [low, high], with a message naming the range."""
    accepted = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected {accepted}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name}: expected {accepted}, got {text!r}")
        return value

    parse.__name__ = name
    return parse


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


def _cli_message(message: str) -> str:
    """Name the CLI option where an API message names the parameter (``t_max: ...`` -> ``--t-max: ...``)."""
    head, sep, rest = message.partition(": ")
    if sep and head in _OPTION_OF:
        return f"{_OPTION_OF[head]}: {rest}"
    return message


PARAM_OPTIONS = {
    "t_max": "--t-max",
    "dt": "--dt",
    "tau": "--tau",
    "el": "--el",
    "vr": "--vr",
    "vth": "--vth",
    "r": "--r",
    "i_mean": "--i-mean",
    "v0": "--v0",
    "t_ref": "--t-ref",
    "t_ref_std": "--t-ref-std",
}


#: parameter names in API messages -> the CLI options that set them
_OPTION_OF = {
    **PARAM_OPTIONS,
    "n": "--n",
    "record_v": "--record-v",
    "lags": "--lags",
    "snapshots": "--snapshots",
    "sigma": "--sigma",
    "amplitude": "--amplitude",
    "period": "--period",
    "onset": "--onset",
    "seed": "--seed",
    "method": "--method",
    "engine": "--engine",
    "threads": "--threads",
    "array input": "--input-file (array input)",
    "transient": "--transient",
    "points": "--points",
}


def _add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model parameters (SI numbers or values with units, e.g. 20ms, 250pA)")
    defaults = LIFParams()
    for name, flag in PARAM_OPTIONS.items():
        unit = PARAM_UNITS[name][1]
        default = getattr(defaults, name)
        shown = "E_L" if name == "v0" else f"{default!r} {unit}"
        group.add_argument(flag, dest=name, metavar=unit.upper(), help=f"{PARAM_DOCS[name]} (default {shown})")
    group.add_argument(
        "--round-steps", action="store_true", help="accept a t_max that is not a whole number of dt steps (rounds)"
    )


def _params_from(args: argparse.Namespace) -> LIFParams:
    given = {name: getattr(args, name) for name in PARAM_OPTIONS if getattr(args, name) is not None}
    return LIFParams(**given, round_steps=args.round_steps)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lifsim`` command."""
    parser = _Parser(prog="lifsim", description="Leaky integrate-and-fire neuron simulation.")
    parser.add_argument("--version", action="version", version=f"lifsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    tut = sub.add_parser("tutorial", help="replay an exercise of the LIF tutorial")
    tut.add_argument("exercise", metavar="EX", type=_int_option("EX", 1, 14), help="exercise number, 1..14")
    tut.add_argument("--data", metavar="PATH.npz", help="save the exercise's arrays (t, i, v, v_mean, v_std)")
    tut.add_argument("--plot", metavar="PATH", help="save the exercise's figure (.png, .svg or .pdf)")
    tut.add_argument(
        "--xkcd", action=argparse.BooleanOptionalAction, default=None, help="force the xkcd style on or off"
    )

    sim = sub.add_parser("simulate", help="simulate an ensemble of LIF neurons")
    sim.add_argument("--config", metavar="RUN.toml", help="read options from a TOML file (flags override it)")
    sim.add_argument("--n", type=_int_option("--n", 1), default=1, help="number of neurons (default 1)")
    _add_param_options(sim)
    inp = sim.add_argument_group("input current")
    inp.add_argument(
        "--input",
        default="constant",
        metavar="KIND[+KIND]",
        help=f"one of {', '.join(INPUT_KINDS)}, or a sum such as sine+uniform or constant+white "
        "(constant, sine and uniform share the mean: I_mean (1 + sin + A xi))",
    )
    inp.add_argument("--amplitude", help="uniform noise amplitude A (default the tutorial's 0.1 sqrt(t_max/dt))")
    inp.add_argument("--period", default="10ms", help="period of the sinusoid (default 10 ms)")
    inp.add_argument("--sigma", help="white noise strength in volts: tau dV/dt = ... + sigma sqrt(tau) xi(t)")
    inp.add_argument("--onset", default="0s", help="time of the step input (default 0 s)")
    inp.add_argument("--input-file", metavar="PATH.npy", help="current array in A for --input array")
    run = sim.add_argument_group("run")
    run.add_argument("--seed", type=_int_option("--seed", 0), default=0, help="random seed (default 0)")
    run.add_argument(
        "--spiking", action=argparse.BooleanOptionalAction, default=True, help="threshold and reset (default on)"
    )
    run.add_argument("--method", default="euler", choices=("euler", "exact"), help="integration method")
    run.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "numba", "numpy"),
        help="numba: compiled multi-core kernel; numpy: readable reference; auto (default): numba when installed",
    )
    run.add_argument(
        "--threads", type=_int_option("--threads", 1), help="threads of the numba engine (default: all cores)"
    )
    run.add_argument(
        "--record-v",
        nargs="?",
        const="all",
        default=None,
        metavar="NEURONS",
        help="keep full V traces: all neurons, or a selection such as 0:100 or 0,5,9",
    )
    run.add_argument(
        "--record-spikes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep every spike time (default on; counts and rates are always kept)",
    )
    run.add_argument("--lags", default="", metavar="L1,L2", help="autocovariance lags in steps, e.g. 1,5,10")
    run.add_argument(
        "--snapshots", default="", metavar="T1,T2", help="keep V of every neuron at these times, e.g. 10ms,100ms"
    )
    out = sim.add_argument_group("output")
    out.add_argument(
        "--data", metavar="PATH", help="save the run: .nc (NetCDF), .zarr, .npz, or .csv (per-step statistics)"
    )
    out.add_argument("--plot", metavar="PATH", help="save a figure (.png, .svg or .pdf)")
    out.add_argument("--xkcd", action="store_true", help="draw the figure in the tutorial's xkcd style")
    out.add_argument("--quiet", action="store_true", help="print nothing on success, and no progress bar")

    init = sub.add_parser("init", help="write a commented example configuration file")
    init.add_argument("path", metavar="RUN.toml", help="where to write it")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    rerun = sub.add_parser("rerun", help="run a saved result again from its provenance and compare")
    rerun.add_argument("result", metavar="RESULT", help="a result saved by lifsim (.nc, .zarr or .npz)")
    rerun.add_argument("--data", metavar="PATH", help="save the new run (.nc, .zarr, .npz or .csv)")
    rerun.add_argument("--quiet", action="store_true", help="print nothing but errors")

    fi = sub.add_parser("fi", help="f-I curve: simulated rates against input current, with theory")
    fi.add_argument("--i-min", default="0pA", help="lowest mean current (default 0 pA)")
    fi.add_argument("--i-max", default="400pA", help="highest mean current (default 400 pA)")
    fi.add_argument("--points", type=_int_option("--points", 2), default=9, help="number of currents (default 9)")
    fi.add_argument("--n", type=_int_option("--n", 1), default=100, help="neurons per current (default 100)")
    fi.add_argument("--sigma", help="white noise strength in volts (default: no noise)")
    fi.add_argument("--transient", default="100ms", help="initial time left out of the rates (default 100 ms)")
    fi.add_argument("--seed", type=_int_option("--seed", 0), default=0, help="random seed (default 0)")
    fi.add_argument("--method", default="euler", choices=("euler", "exact"), help="integration method")
    _add_param_options(fi)
    fi.add_argument(
        "--data",
        metavar="PATH",
        help="save the table (.npz or .csv): i (A), rate, rate_sem, rate_theory, rate_grid (Hz)",
    )
    fi.add_argument("--plot", metavar="PATH", help="save the f-I figure (.png, .svg or .pdf)")
    fi.add_argument("--xkcd", action="store_true", help="xkcd style")
    fi.add_argument("--quiet", action="store_true", help="print nothing on success")

    par = sub.add_parser("params", help="show the parameter set with units")
    _add_param_options(par)
    return parser


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)  # pragma: no cover


def build_inputs(args: argparse.Namespace, params: LIFParams) -> Input:
    """The input current described by the ``simulate`` options."""
    kinds = [kind.strip() for kind in str(args.input).split("+")]
    for kind in kinds:
        if kind not in INPUT_KINDS:
            raise UsageError(f"--input: unknown input kind {kind!r}; expected {', '.join(INPUT_KINDS)} or a sum a+b")
    if len(set(kinds)) != len(kinds):
        raise UsageError(f"--input: {args.input!r} names a kind twice")
    if "step" in kinds and set(kinds) & {"constant", "sine", "uniform", "array"}:
        raise UsageError("--input: step (0 before --onset, I_mean after) combines only with white")
    if "array" in kinds and set(kinds) & {"constant", "sine", "uniform"}:
        raise UsageError("--input: array combines only with white and step")
    if args.amplitude is not None and "uniform" not in kinds:
        raise UsageError("--amplitude: applies to --input uniform only")
    if args.sigma is not None and "white" not in kinds:
        raise UsageError("--sigma: applies to --input white only")
    if args.input_file is not None and "array" not in kinds:
        raise UsageError("--input-file: applies to --input array only")

    parts: list[Input] = []
    terms: list[SineTerm | UniformTerm] = []
    if "sine" in kinds:
        terms.append(SineTerm(to_si(args.period, "time", "--period")))
    if "uniform" in kinds:
        amplitude = None if args.amplitude is None else to_si(args.amplitude, "dimensionless", "--amplitude")
        terms.append(UniformTerm(amplitude))
    if terms or "constant" in kinds or kinds == ["white"]:
        parts.append(Modulated(params.i_mean, tuple(terms)))
    if "step" in kinds:
        parts.append(step(params.i_mean, to_si(args.onset, "time", "--onset")))
    if "array" in kinds:
        if args.input_file is None:
            raise UsageError("--input array: needs --input-file PATH.npy (current in A)")
        try:
            values = np.load(args.input_file, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise UsageError(f"--input-file: cannot read {args.input_file!r} as a .npy array ({error})") from None
        parts.append(array_input(values))
    if "white" in kinds:
        if args.sigma is None:
            raise UsageError("--input white: needs --sigma, the noise strength in volts (e.g. --sigma 5mV)")
        parts.append(white_noise(args.sigma))
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _parse_lags(text: str) -> tuple[int, ...]:
    if not text.strip():
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--lags: cannot read {text!r}; expected whole numbers of steps such as 1,5,10") from None


def _cmd_tutorial(args: argparse.Namespace) -> int:
    from .io import check_output_path, save_npz
    from .tutorial import run_exercise

    if args.data is not None:
        check_output_path(args.data, (".npz",), "--data")
    if args.plot is not None:
        from .plot import FIGURE_SUFFIXES

        check_output_path(args.plot, FIGURE_SUFFIXES, "--plot")
    out = run_exercise(args.exercise, xkcd=args.xkcd)
    if args.plot is not None and out.draw is None:
        raise UsageError(f"--plot: exercise {args.exercise} draws no figure (exercises 5-14 do)")
    for line in out.lines:
        print(line)
    if args.data is not None:
        data = out.data
        if not data:  # exercise 1 defines the parameters
            p = LIFParams()
            data = {
                name: np.float64(getattr(p, name)) for name in ("t_max", "dt", "tau", "el", "vr", "vth", "r", "i_mean")
            }
        save_npz(args.data, data)
    if args.plot is not None and out.draw is not None:
        from .plot import save_figure

        save_figure(out.draw(), args.plot)
    return 0


def _cmd_simulate(args: argparse.Namespace, argv: Sequence[str], config: dict | None = None) -> int:
    from .io import RESULT_SUFFIXES, check_output_path, save
    from .simulation import simulate

    if args.data is not None:
        check_output_path(args.data, RESULT_SUFFIXES, "--data")
    if args.plot is not None:
        from .plot import FIGURE_SUFFIXES

        check_output_path(args.plot, FIGURE_SUFFIXES, "--plot")
    params = _params_from(args)
    inputs = build_inputs(args, params)
    streamed = args.data is not None and str(args.data).lower().endswith(".zarr") and args.record_v is not None
    result = simulate(
        params,
        inputs,
        n=args.n,
        seed=args.seed,
        spiking=args.spiking,
        method=args.method,
        record_v=args.record_v,
        record_spikes=args.record_spikes,
        lags=_parse_lags(args.lags),
        snapshots=[part.strip() for part in args.snapshots.split(",") if part.strip()],
        engine=args.engine,
        threads=args.threads,
        command="lifsim " + shlex.join(argv),
        config=config,
        progress=False if args.quiet else None,
        # traces stream straight into a .zarr file as the run goes
        trace_store=args.data if streamed else None,
    )
    if not args.quiet:
        print(result.summary())
    if args.data is not None and not streamed:
        save(result, args.data)
    if args.plot is not None:
        from .plot import plot_result, save_figure

        moments = None
        if not args.spiking:
            from .theory import euler_moments

            try:
                moments = euler_moments(params, inputs, method=args.method)
            except ValueError:  # no closed form for this input
                moments = None
        save_figure(plot_result(result, xkcd=args.xkcd, theory=moments), args.plot)
    return 0


def _cmd_fi(args: argparse.Namespace) -> int:
    from .fi import fi_curve
    from .io import check_output_path, save_npz, save_table_csv

    if args.data is not None:
        check_output_path(args.data, (".npz", ".csv"), "--data")
    if args.plot is not None:
        from .plot import FIGURE_SUFFIXES

        check_output_path(args.plot, FIGURE_SUFFIXES, "--plot")
    given = {name: getattr(args, name) for name in PARAM_OPTIONS if getattr(args, name) is not None}
    given.setdefault("t_max", "1 s")
    given.setdefault("dt", "0.1 ms")
    params = LIFParams(**given, round_steps=args.round_steps)
    i_min = to_si(args.i_min, "current", "--i-min")
    i_max = to_si(args.i_max, "current", "--i-max")
    if not (np.isfinite(i_min) and np.isfinite(i_max) and i_max > i_min):
        raise UsageError(f"--i-max: {args.i_max!r} must be a finite current above --i-min {args.i_min!r}")
    if args.points < 2:
        raise UsageError(f"--points: need at least 2, got {args.points}")
    currents = np.linspace(i_min, i_max, args.points)
    curve = fi_curve(
        params, currents, n=args.n, sigma=args.sigma, seed=args.seed, method=args.method, transient=args.transient
    )
    if not args.quiet:
        print(f"{'I (pA)':>10} {'rate (Hz)':>10} {'sem (Hz)':>9} {'theory':>9} {'grid th.':>9}")
        for row in zip(curve.i, curve.rate, curve.rate_sem, curve.rate_theory, curve.rate_grid):
            print(f"{row[0] * 1e12:10.4g} {row[1]:10.4g} {row[2]:9.3g} {row[3]:9.4g} {row[4]:9.4g}")
    if args.data is not None:
        if str(args.data).lower().endswith(".csv"):
            save_table_csv(
                args.data,
                curve.table(),
                units={"i": "A", "rate": "Hz", "rate_sem": "Hz", "rate_theory": "Hz", "rate_grid": "Hz"},
            )
        else:
            save_npz(args.data, curve.table())
    if args.plot is not None:
        import matplotlib.pyplot as plt

        from .plot import figure_style, plot_fi, save_figure

        with figure_style(args.xkcd):
            fig, ax = plt.subplots(figsize=(7, 4.5))
            plot_fi(ax, curve)
            fig.tight_layout()
        save_figure(fig, args.plot)
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import TEMPLATE
    from .io import check_output_path

    target = check_output_path(args.path, (".toml",), "init")
    if target.exists() and not args.force:
        raise UsageError(f"init: {args.path!r} exists; use --force to overwrite it")
    Path(target).write_text(TEMPLATE)
    print(f"wrote {args.path}: edit it, then run 'lifsim simulate --config {args.path}'")
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    from .io import RESULT_SUFFIXES, check_output_path, load, save
    from .provenance import compare, rerun

    if args.data is not None:
        check_output_path(args.data, RESULT_SUFFIXES, "--data")
    original = load(args.result)
    again = rerun(original)
    differences = compare(original, again)
    if args.data is not None:
        save(again, args.data)
    if differences:
        print(f"lifsim: rerun of {args.result} differs: {'; '.join(differences)}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(again.summary())
        print(f"rerun of {args.result}: reproduced bit for bit")
    return 0


def _config_defaults(argv: list[str]) -> tuple[dict, dict]:
    """Read ``--config`` (if the command is simulate and has one): (parser defaults, raw config)."""
    if not argv or argv[0] != "simulate":
        return {}, {}
    path = None
    for index, token in enumerate(argv):
        if token == "--config" and index + 1 < len(argv):
            path = argv[index + 1]
        elif token.startswith("--config="):
            path = token.split("=", 1)[1]
    if path is None:
        return {}, {}
    from .config import read_config

    config = read_config(path)
    defaults: dict = {}
    for key, value in config.items():
        if key in ("lags", "snapshots") and isinstance(value, list):
            value = ",".join(str(x) for x in value)
        elif key == "record_v":
            if value is True:
                value = "all"
            elif value is False:
                value = None
            elif isinstance(value, list):
                value = ",".join(str(x) for x in value)
        elif key in PARAM_OPTIONS or key in ("amplitude", "period", "sigma", "onset"):
            value = str(value) if isinstance(value, str) else value
        defaults[key] = value
    return defaults, config


def _cmd_params(args: argparse.Namespace) -> int:
    print(_params_from(args).describe())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lifsim`` command; return its exit status (2 for bad input)."""
    argv = join_negative_values(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        defaults, config = _config_defaults(argv)
        if defaults:
            _subparser(parser, "simulate").set_defaults(**defaults)
        args = parser.parse_args(argv)
        if args.command == "tutorial":
            return _cmd_tutorial(args)
        if args.command == "simulate":
            return _cmd_simulate(args, argv, config or None)
        if args.command == "init":
            return _cmd_init(args)
        if args.command == "rerun":
            return _cmd_rerun(args)
        if args.command == "fi":
            return _cmd_fi(args)
        return _cmd_params(args)
    except (ValueError, TypeError, ArithmeticError) as error:
        print(f"lifsim: error: {_cli_message(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("lifsim: error: not enough memory for this run; use fewer neurons (--n) or steps", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"lifsim: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lifsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
