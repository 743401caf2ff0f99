"""``lifsim rerun RESULT``: run a saved result again from its provenance, and compare bit for bit."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
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
        help=f"a run, network or sweep saved by lifsim: {suffix_help(LOADABLE_SUFFIXES)} "
        f"({', '.join(cannot)} files hold too little to run again)",
    )
    add_options(parser, "rerun")


def _too_big(nbytes: int) -> bool:
    from ..memory import available_memory

    room = available_memory()
    return room is not None and nbytes > room // 4


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..formats import check_target, load
    from ..provenance import compare, rerun

    values = resolve("rerun", args, labels=labels)
    quiet = bool(values["quiet"])
    from ..network.result import is_network_result
    from ..store import refuse_same

    if values["data"] is not None:  # never onto its input, whatever the result holds
        refuse_same(args.result, values["data"], values.label("data"))
    if is_network_result(args.result):  # issue 18: a lifsim network result
        from ..network.reproduce import rerun_command

        return rerun_command(args.result, values["data"], bool(values["force"]), quiet)
    from ..sweep_store import is_sweep_file

    if is_sweep_file(args.result):  # a sweep (lifsim sweep, lifsim network --grid, lifsim fi's store)
        return _rerun_sweep(args.result, values, quiet)
    data_format = None
    if values["data"] is not None:
        data_format, _ = check_target(values["data"], values.label("data"), overwrite=bool(values["force"]))
    original = load(args.result)
    if data_format is not None:  # what the --data format leaves out of the run, said before it runs again
        from ..formats import left_out
        from .common import warn

        note = left_out(data_format, original.parts(), before=True)
        if note is not None:
            warn(f"{values.label('data')}: {note}")
    if values["dry_run"]:  # what the stored request would take: checked and calibrated, nothing run or written
        say(rerun(original, source=str(args.result), dry_run=True).summary(), False)
        return 0
    if original.trace_source is not None:  # traces on disk: their chunks' checksums, before the run, not after
        from ..store import verify_lazy

        changed = verify_lazy(original.trace_source.path)
        if changed is not None:
            raise ValueError(f"{args.result}: its traces were changed after it was written: {changed}")
    scratch = None
    store = None
    if original.v is None and original.trace_source is not None and _too_big(original.trace_source.nbytes):
        # traces that do not fit in memory: the new run streams its own into a store too
        if data_format is not None and data_format.name == "zarr":
            store = values["data"]
        else:
            folder = original.trace_source.path.parent
            scratch = tempfile.mkdtemp(prefix=f".{original.trace_source.path.name}.rerun.{os.getpid()}.", dir=folder)
            store = os.path.join(scratch, "rerun.zarr")
    try:
        again = rerun(original, trace_store=store, source=str(args.result), overwrite=bool(values["force"]))
        differences = compare(original, again)
        if values["data"] is not None:
            if store != values["data"]:
                import warnings

                from ..errors import LeftOutWarning

                with warnings.catch_warnings():  # said before the run
                    warnings.simplefilter("ignore", LeftOutWarning)
                    again.save(values["data"], overwrite=bool(values["force"]))
            wrote(values["data"], f"{data_format.label if data_format else ''} run".strip(), quiet)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if differences:
        print(f"lifsim: rerun of {args.result} differs: {'; '.join(differences)}", file=sys.stderr)
        from ..errors import EXIT_DIFFERS

        return EXIT_DIFFERS
    say(again.summary(), quiet)
    say(f"rerun of {args.result}: reproduced bit for bit", quiet)
    return 0


def _rerun_sweep(path: str, values: Any, quiet: bool) -> int:
    """``lifsim rerun`` of a sweep: every point again from the stored request (:func:`lifsim.sweeps.rerun_sweep`),
    compared bit for bit; ``--data`` a ``.zarr`` store (written point by point) or a ``.nc``; the exit status."""
    from ..errors import EXIT_DIFFERS
    from ..sweep_store import compare_sweeps, load_sweep
    from ..sweeps import rerun_sweep
    from .common import save_netcdf

    data, force = values["data"], bool(values["force"])
    if data is not None:  # suffix, folder, an existing file: before the points run again
        from ..formats import check_target

        check_target(data, values.label("data"), suffixes=(".zarr", ".nc"), overwrite=force)
    original = load_sweep(path)
    if values["dry_run"]:  # what the stored sweep would take: checked and calibrated on its first point
        say(rerun_sweep(original, source=str(path), dry_run=True).summary(), False)
        return 0
    store = data if data is not None and str(data).endswith(".zarr") else None
    again = rerun_sweep(original, store=store, overwrite=force, source=str(path))
    differences = compare_sweeps(original, again)
    if data is not None:
        if store is None:
            save_netcdf(again, data, overwrite=force)
        wrote(data, "sweep", quiet)
    if differences:
        print(f"lifsim: rerun of {path} differs: {'; '.join(differences)}", file=sys.stderr)
        return EXIT_DIFFERS
    say(f"rerun of {path}: every one of its {_points(again)} points reproduced bit for bit", quiet)
    return 0


def _points(ds: Any) -> int:
    import math

    return math.prod(int(ds.sizes[name]) for name in ds.dims if name != "t")
