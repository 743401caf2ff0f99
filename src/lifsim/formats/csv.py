"""``.csv``: tables with units in the header and the provenance in ``#`` comment lines.

A run's file is its per-step statistics table (``t``, ``v_mean``, ``v_std``,
``v_var``, ``autocov_lagL``); an f-I curve's is its table of rates.  The
first lines, each starting with ``#``, hold the provenance as ``key: JSON``
(read them with ``pandas.read_csv(path, comment="#")`` or
``numpy.loadtxt(path, delimiter=",", skiprows=...)``).  Numbers are written
in the shortest form that reads back to the same float (Python's ``repr``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..atomic import atomic_file, check_output_path
from ..result import Result

__all__ = ["save", "save_columns", "read_columns"]


def _number(x: float) -> str:
    """The shortest text that reads back to the same float (0 for 0.0, -0 kept)."""
    if x != x:
        return "nan"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def save_columns(
    path: str | os.PathLike,
    columns: Mapping[str, np.ndarray],
    units: Mapping[str, str],
    meta: Mapping | None = None,
) -> Path:
    """Write equal-length columns to a CSV file atomically; header ``name (unit)``, provenance in comments."""
    target = check_output_path(path, (".csv",), "path")
    names = list(columns)
    header = ",".join(f"{name} ({units[name]})" if units.get(name) else name for name in names)
    table = [np.asarray(columns[name], dtype=np.float64).tolist() for name in names]
    with atomic_file(target) as tmp, open(tmp, "w", newline="") as handle:
        for key, value in (meta or {}).items():
            handle.write(f"# {key}: {json.dumps(value)}\n")
        handle.write(header + "\n")
        for row in zip(*table):
            handle.write(",".join(_number(x) for x in row) + "\n")
    return target


def read_columns(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Read a table written by :func:`save_columns`: ``({name: column}, provenance)``."""
    meta: dict[str, object] = {}
    with open(path) as handle:
        lines = handle.read().splitlines()
    body: list[str] = []
    for line in lines:
        if line.startswith("# ") and ": " in line and not body:
            key, _, value = line[2:].partition(": ")
            meta[key] = json.loads(value)
        else:
            body.append(line)
    names = [field.split(" (")[0] for field in body[0].split(",")]
    rows = np.array([[float(x) for x in line.split(",")] for line in body[1:] if line], dtype=np.float64)
    rows = rows.reshape(-1, len(names))
    return {name: rows[:, col] for col, name in enumerate(names)}, meta


def save(result: Result, target: Path) -> Path:
    """Write ``result``'s per-step statistics table (with its provenance) to ``target``."""
    stored = result.arrays(1)  # the .npz's statistics (NaN where one neuron leaves no degrees of freedom)
    columns = {name: stored[name] for name in ("t", "v_mean", "v_std", "v_var")}
    units = {"t": "s", "v_mean": "V", "v_std": "V", "v_var": "V**2"}
    for lag in result.lags:
        columns[f"autocov_lag{lag}"] = stored[f"autocov_lag{lag}"]
        units[f"autocov_lag{lag}"] = "V**2"
    return save_columns(target, columns, units, result.meta)
