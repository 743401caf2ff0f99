"""``lifsim network``: Brunel's sparse excitatory-inhibitory network, with its mean-field theory."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import UsageError, add_options, check_sweep_outputs, resolve, run_sweep, wrote

HELP = "Brunel's (2000) excitatory-inhibitory network: spikes, rates, CVs, synchrony beside the theory"

_MODEL = ("n_exc", "epsilon", "j", "g", "eta", "delay", "tau", "el", "vth", "vr", "t_ref", "t_max", "dt", "seed")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("network", help=HELP, description=HELP + ".")
    add_options(parser, "network", config=True)


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..atomic import check_output_path
    from ..formats import FIGURE_SUFFIXES
    from ..network import BrunelParams
    from ..network.record import parse_record
    from ..network.result import check_target
    from ..network.run import choose_engine, network

    values = resolve("network", args, labels=labels)
    quiet = bool(values["quiet"])
    params = BrunelParams(**values.pick(*_MODEL))
    engine = choose_engine(values["engine"])
    if values["grid"] is not None:
        return _sweep(values, params, argv)
    for name in ("resume", "dry_run", "workers", "scheduler"):  # a single network runs here, on --threads
        if values[name]:
            raise UsageError(f"{values.label(name)}: applies to a network sweep (--grid NAME=VALUES)")
    record = parse_record(values["record_spikes"])
    if values["data"] is not None:  # suffix, folder, the format's packages, an existing file, room: before the run
        target, _ = check_target(values["data"], bool(values["force"]), values.label("data"))
        _check_data_room(target, values.label("data"), params, record)
    if values["plot"] is not None:
        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    result = network(
        params,
        engine=engine,
        threads=values["threads"],
        record_spikes=record,
        command="lifsim " + shlex.join(argv),
        config=values.config,
    )
    if not quiet:
        print(result.summary())
    if values["data"] is not None:
        result.save(values["data"], overwrite=bool(values["force"]))
        wrote(values["data"], "network", quiet)
    if values["plot"] is not None:
        result.plot(values["plot"])
        wrote(values["plot"], "figure", quiet)
    return 0


#: bytes a row of the network's .csv takes at least: a time of 3 characters or more, two rates of 3 ("0.0")
CSV_ROW = 12


def _check_data_room(target: Path, what: str, params: Any, record: str) -> None:
    """Refuse a --data file whose folder lacks its room before the run, and say what a .csv leaves out."""
    from ..atomic import check_room_for
    from ..network.result import least_output_bytes
    from .common import csv_note

    if target.suffix.lower() == ".csv":
        csv_note(what, ["the spikes and the per-neuron rates and CVs" if record != "none" else ""])
    check_room_for(target, what, array_bytes=least_output_bytes(params, record), table_bytes=CSV_ROW * params.steps)


def _sweep(values: Any, params: Any, argv: Sequence[str]) -> int:
    """``lifsim network --grid ...``: the network at every grid point, through the sweep layer (lifsim.sweep)."""
    from ..network.plot import plot_phase_diagram
    from ..network.sweep import format_table
    from ..sweeps import sweep, sweep_seed

    check_sweep_outputs(values)
    if values["plot"] is not None and len(values["grid"]) > 2:  # before the sweep, not after it
        raise UsageError(
            f"{values.label('plot')}: a network sweep's phase diagram shows one or two swept names, this grid has "
            f"{len(values['grid'])} ({', '.join(values['grid'])}); keep --data and draw slices of it"
        )
    if _keeps_spikes(values):  # a sweep keeps each point's statistics, never its spikes
        raise UsageError(
            f"{values.label('record_spikes')}: a network sweep keeps rates, CVs, synchrony and theory per grid point, "
            "not spikes; run one point without --grid to keep its spikes"
        )
    # the neuron sweeps' rule: point p's network runs with seed * 2**32 + p, which a run takes up to 2**128 - 1
    keywords = {"seed": sweep_seed(values["seed"]), "engine": values["engine"], "threads": values["threads"]}
    return run_sweep(sweep, values, params, keywords, argv, format_table, plot_phase_diagram)


def _keeps_spikes(values: Any) -> bool:
    """Whether ``values`` ask a sweep to keep spikes: any selection but ``none``, where it was given; ``all`` in a
    config file is the default that ``lifsim init --for network`` wrote before it was commented out."""
    from ..network.record import parse_record

    if not values.given("record_spikes"):
        return False
    record = parse_record(values["record_spikes"])
    return record != "none" and not (record == "all" and values.from_config("record_spikes"))
