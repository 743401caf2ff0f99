"""``lifsim sweep``: an ensemble at every point of a parameter grid, with theory, on one process or a Dask cluster."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from .common import UsageError, add_options, check_sweep_outputs, resolve, run_sweep

HELP = "parameter sweep: an ensemble at every grid point, with theory (on a Dask cluster with --workers/--scheduler)"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("sweep", help=HELP, description=HELP + ".")
    add_options(parser, "sweep", config=True)


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..params import LIFParams
    from ..sweeps import sweep

    values = resolve("sweep", args, labels=labels)
    if values["grid"] is None:
        raise UsageError(f"{values.label('grid')}: required, e.g. --grid i_mean=0:400pA:21 --grid tau=10ms,20ms")
    check_sweep_outputs(values)
    params = LIFParams(**values.model())
    keywords = values.pick(
        "sigma",
        "amplitude",
        "n",
        "seed",
        "method",
        "transient",
        "fano_window",
        "spiking",
        "per_step",
        "engine",
        "threads",
    )
    for name in ("sigma", "amplitude"):  # one not given is the API's default: the input it does not apply to is told
        if not values.given(name):
            del keywords[name]
    keywords["stream_version"] = values["stream_version"]
    keywords["input"] = values["input"]

    def figure(ds: Any) -> Any:
        from ..plot import plot_sweep

        return plot_sweep(ds)

    return run_sweep(sweep, values, params, keywords, argv, format_sweep, figure)


def _cell(value: float, width: int, spec: str) -> str:
    """One table cell; an undefined statistic (a CV with fewer than two intervals, a Fano factor without spikes)
    reads ``n/a``, not ``nan``."""
    return f"{value:{width}{spec}}" if math.isfinite(value) else f"{'n/a':>{width}}"


def format_sweep(ds: Any) -> str:
    """The sweep as a table: the grid's values in display units (named in the header), rate and its standard error
    (Hz: the theory is judged against it), theory, CV, Fano factor, mean V."""
    import numpy as np

    from ..sweeps import _dimension
    from ..units import DISPLAY_UNITS, display_factor

    names = [name for name in ds.rate.dims]
    units = [DISPLAY_UNITS[_dimension(name)][0] if _dimension(name) in DISPLAY_UNITS else "" for name in names]
    header = " ".join(f"{name + (f' ({unit})' if unit else ''):>12}" for name, unit in zip(names, units))
    columns = f"{'rate (Hz)':>10} {'sem (Hz)':>8} {'theory (Hz)':>11} {'CV':>6} {'Fano':>6} {'V mean (mV)':>12}"
    lines = [f"{header} {columns}"]
    for flat in range(int(np.prod(ds.rate.shape))):
        index = np.unravel_index(flat, ds.rate.shape)
        cells = []
        for name, i in zip(names, index):
            value = float(ds[name].values[i]) * display_factor(_dimension(name))
            cells.append(f"{value:12.4g}")
        pick = dict(zip(names, index))
        keys = ("rate", "rate_sem", "rate_theory", "cv", "fano", "v_mean")
        row = {key: float(ds[key].isel(pick).values) for key in keys}
        lines.append(
            " ".join(cells) + f" {_cell(row['rate'], 10, '.4g')} {_cell(row['rate_sem'], 8, '.2g')}"
            f" {_cell(row['rate_theory'], 11, '.4g')} {_cell(row['cv'], 6, '.3f')}"
            f" {_cell(row['fano'], 6, '.3f')} {_cell(row['v_mean'] * 1e3, 12, '.4g')}"
        )
    return "\n".join(lines)
