"""``lifsim sweep``: an ensemble at every point of a parameter grid, with theory, on one process or a Dask cluster."""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from .common import UsageError, add_options, resolve, runner_of, say, wrote

HELP = "parameter sweep: an ensemble at every grid point, with theory (on a Dask cluster with --workers/--scheduler)"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("sweep", help=HELP, description=HELP + ".")
    add_options(parser, "sweep", config=True)


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..atomic import check_output_path
    from ..params import LIFParams
    from ..store import check_overwrite
    from ..sweeps import sweep
    from .options import FIGURE_SUFFIXES, SWEEP_SUFFIXES

    values = resolve("sweep", args, labels=labels)
    quiet = bool(values["quiet"])
    if values["grid"] is None:
        raise UsageError(f"{values.label('grid')}: required, e.g. --grid i_mean=0:400pA:21 --grid tau=10ms,20ms")
    data = values["data"]
    if data is not None:
        check_output_path(data, SWEEP_SUFFIXES, values.label("data"))
        if not values["resume"]:
            check_overwrite(data, bool(values["force"]), values.label("data"), resume=str(data).endswith(".zarr"))
    if values["plot"] is not None:
        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    if values["resume"] and (data is None or not str(data).endswith(".zarr")):
        raise UsageError(f"{values.label('resume')}: needs --data PATH.zarr, the store of the sweep to finish")
    params = LIFParams(**values.model())
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=0, unit="point", desc="lifsim sweep", leave=False, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    zarr_store = data if data is not None and str(data).endswith(".zarr") else None
    if values["dry_run"]:
        print(
            sweep(
                params,
                values["grid"],
                input=values["input"],
                **values.pick(
                    "sigma", "amplitude", "n", "seed", "method", "transient", "spiking", "per_step", "engine"
                ),
                runner=runner_of(values),
                dry_run=True,
            ).summary()
        )
        return 0
    try:
        ds = sweep(
            params,
            values["grid"],
            input=values["input"],
            **values.pick("sigma", "amplitude", "n", "seed", "method", "transient", "spiking", "per_step", "engine"),
            runner=runner_of(values),
            store=zarr_store,
            resume=bool(values["resume"]),
            overwrite=bool(values["force"]),
            progress=progress,
            command="lifsim " + shlex.join(argv),
            config=values.config,
        )
    finally:
        if bar is not None:
            bar.close()
    say(format_sweep(ds), quiet)
    if data is not None:
        if zarr_store is None:
            save_netcdf(ds, data)
        wrote(data, "sweep", quiet)
    if values["plot"] is not None:
        from ..plot import plot_sweep, save_figure

        save_figure(plot_sweep(ds), values["plot"])
        wrote(values["plot"], "figure", quiet)
    return 0


def save_netcdf(ds: Any, path: str) -> None:
    """The sweep as a NetCDF file, written whole or not at all."""
    import io
    from pathlib import Path

    from ..atomic import atomic_file

    buffer = io.BytesIO()
    ds.to_netcdf(buffer, engine="h5netcdf")
    with atomic_file(Path(path)) as temporary:
        Path(temporary).write_bytes(buffer.getvalue())


def _cell(value: float, width: int, spec: str) -> str:
    """One table cell; an undefined statistic (a CV with fewer than two intervals, a Fano factor without spikes)
    reads ``n/a``, not ``nan``."""
    return f"{value:{width}{spec}}" if math.isfinite(value) else f"{'n/a':>{width}}"


def format_sweep(ds: Any) -> str:
    """The sweep as a table: the grid's values in display units, rate, theory, CV, Fano factor."""
    import numpy as np

    from ..sweeps import _dimension
    from ..units import display_factor

    names = [name for name in ds.rate.dims]
    header = " ".join(f"{name:>10}" for name in names)
    lines = [f"{header} {'rate (Hz)':>10} {'theory':>9} {'CV':>6} {'Fano':>6} {'V mean (mV)':>12}"]
    for flat in range(int(np.prod(ds.rate.shape))):
        index = np.unravel_index(flat, ds.rate.shape)
        cells = []
        for name, i in zip(names, index):
            value = float(ds[name].values[i]) * display_factor(_dimension(name))
            cells.append(f"{value:10.4g}")
        pick = dict(zip(names, index))
        row = {key: float(ds[key].isel(pick).values) for key in ("rate", "rate_theory", "cv", "fano", "v_mean")}
        lines.append(
            " ".join(cells)
            + f" {_cell(row['rate'], 10, '.4g')} {_cell(row['rate_theory'], 9, '.4g')} {_cell(row['cv'], 6, '.3f')}"
            f" {_cell(row['fano'], 6, '.3f')} {_cell(row['v_mean'] * 1e3, 12, '.4g')}"
        )
    return "\n".join(lines)
