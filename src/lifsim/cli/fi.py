"""``lifsim fi``: the f-I curve, simulated rates against input current, with theory."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .common import UsageError, add_options, resolve, runner_of, wrote

HELP = "f-I curve: simulated rates against input current, with theory"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("fi", help=HELP, description=HELP + ".")
    add_options(parser, "fi", config=True)


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..atomic import check_output_path
    from ..fi import FICurve
    from ..grid import even_points
    from ..params import LIFParams
    from ..store import check_overwrite
    from ..sweeps import fi_curve
    from ..units import format_display
    from .options import FIGURE_SUFFIXES, TABLE_SUFFIXES

    values = resolve("fi", args, labels=labels)
    # the curve's points are its currents: what a point's i_mean says is about --i-min .. --i-max (fi has no --i-mean)
    labels["i_mean"] = f"{values.label('i_min')}/{values.label('i_max')}"
    quiet = bool(values["quiet"])
    data = values["data"]
    store = data if data is not None and str(data).lower().endswith(".zarr") else None
    if data is not None:
        check_output_path(data, (*TABLE_SUFFIXES, ".zarr"), values.label("data"))
        if not (store is not None and values["resume"]):
            check_overwrite(data, bool(values["force"]), values.label("data"), resume=store is not None)
    if values["resume"] and store is None:
        raise UsageError(f"{values.label('resume')}: needs --data PATH.zarr, the store of the f-I curve to finish")
    if values["plot"] is not None:
        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    params = LIFParams(**values.model())
    i_min, i_max = values["i_min"], values["i_max"]
    if not (np.isfinite(i_min) and np.isfinite(i_max) and i_max > i_min and np.isfinite(i_max - i_min)):
        shown = {name: format_display(values[name], "current") for name in ("i_min", "i_max")}
        raise UsageError(
            f"{values.label('i_max')}: {shown['i_max']} must be a finite current above {values.label('i_min')} "
            f"{shown['i_min']} (and the range between them a finite number)"
        )
    currents = np.asarray(even_points(i_min, i_max, values["points"], "current", values.label("i_max"), "pA"))
    if data is not None and store is None:  # the table's room, before the curve (its columns: 5 numbers a point)
        from ..atomic import check_room_for

        count = 5 * currents.size
        check_room_for(Path(data), values.label("data"), array_bytes=8 * count, table_bytes=2 * count)
    curve = fi_curve(
        params,
        currents,
        **values.pick("n", "sigma", "seed", "stream_version", "method", "transient", "engine", "threads"),
        runner=runner_of(values),
        store=store,
        resume=bool(values["resume"]),
        overwrite=bool(values["force"]),
        command="lifsim " + shlex.join(argv),
        config=values.config,
        dry_run=bool(values["dry_run"]),
    )
    if not isinstance(curve, FICurve):  # --dry-run: the sweep's estimate
        print(curve.summary())
        return 0
    if not quiet:
        print(curve.format_table())
    if data is not None:
        if store is None:
            curve.save(data, overwrite=bool(values["force"]))
        wrote(data, "f-I table" if store is None else "f-I curve (a resumable sweep store)", quiet)
    if values["plot"] is not None:
        from ..plot import plot_fi_figure, save_figure

        save_figure(plot_fi_figure(curve, xkcd=bool(values["xkcd"])), values["plot"])
        wrote(values["plot"], "figure", quiet)
    return 0
