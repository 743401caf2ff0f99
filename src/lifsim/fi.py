"""f-I curves: simulated firing rate against input current, with theory beside it.

An f-I curve is a one-dimensional sweep over the mean current
(:func:`lifsim.sweep`), seen through :class:`FICurve`: its table (currents
and rates, with the theory) and its figure (:func:`lifsim.plot.plot_fi_figure`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .defaults import FI
from .params import LIFParams

__all__ = ["FICurve", "DEFAULT_CURRENTS", "load_fi", "FI_SUFFIXES"]

#: the table's theory columns, described in the file's provenance (``meta["columns"]``) by the sweep's own words
THEORY_COLUMNS = ("rate_theory", "rate_theory_continuous")
#: what reading the old name says (an f-I table's grid theory was ``rate_grid``, and its ``rate_theory`` the
#: continuous one, the reverse of the sweep's names, until the CHANGELOG's entry on this)
RENAMED = (
    "rate_grid: renamed; the theory of the simulated grid is rate_theory, as in a sweep, and the continuous-time "
    "theory is rate_theory_continuous (an f-I table's rate_theory was the continuous one until lifsim 0.1.0's "
    "renaming: see the CHANGELOG)"
)

#: the currents of the default f-I curve (A): 0 to 400 pA in 9 points, as ``lifsim fi``
DEFAULT_CURRENTS: tuple[float, ...] = FI["currents"]


@dataclass
class FICurve:
    """A simulated f-I curve and its theory.

    Attributes
    ----------
    i : ndarray
        Input currents I_mean (A).
    rate : ndarray
        Simulated population rate (Hz) after the transient: spikes per neuron
        per second with noise; ``1 / mean ISI`` without noise (a regular train,
        whose spike count in a window is off by up to one spike).
    rate_sem : ndarray
        Standard error of ``rate`` (Hz): std of the per-neuron rates / sqrt(n).
    rate_theory : ndarray
        Theory of the simulated grid (Hz), the one the simulated rates are
        measured against: the noise-free neuron on the grid
        (:func:`lifsim.theory.fi_grid`) without noise, the Siegert rate with
        the discrete-threshold correction with noise.  The sweep's
        ``rate_theory``: the same name means the same numbers in every file
        lifsim writes.
    rate_theory_continuous : ndarray
        Continuous-time theory (Hz): the deterministic f-I curve without
        noise, the Siegert rate with white noise (the sweep's
        ``rate_theory_continuous``).
    sigma : float or None
        White-noise strength (V), None for noise-free input.
    n : int
        Neurons per point.
    window : tuple of float
        Time window (s) over which rates were counted.
    """

    i: np.ndarray
    rate: np.ndarray
    rate_sem: np.ndarray
    rate_theory: np.ndarray
    rate_theory_continuous: np.ndarray
    sigma: float | None
    n: int
    window: tuple[float, float]
    params: LIFParams
    method: str
    meta: dict = field(default_factory=dict)

    #: the table's columns and their units
    UNITS = {"i": "A", "rate": "Hz", "rate_sem": "Hz", "rate_theory": "Hz", "rate_theory_continuous": "Hz"}

    @property
    def rate_grid(self) -> np.ndarray:
        """Renamed: the grid theory is :attr:`rate_theory` (raises ``AttributeError`` naming the new names)."""
        raise AttributeError(RENAMED)

    @classmethod
    def from_sweep(cls, data: Any, params: LIFParams) -> FICurve:
        """The f-I view of a finished one-dimensional sweep over ``i_mean`` (an ``xarray.Dataset``).

        ``params`` are the sweep's starting parameters.  The theory columns are the sweep's own
        (``rate_theory``: of the simulated grid; ``rate_theory_continuous``), computed once per point by
        the sweep, so an f-I table and the sweep store it came from never disagree.
        """
        meta = json.loads(data.attrs["lifsim_meta"])
        spec = meta["sweep"]
        if list(spec["grid"]) != ["i_mean"] or spec["input"] not in ("constant", "white"):
            raise ValueError("data: an f-I curve is a sweep over i_mean alone with constant or white input")
        currents = np.asarray(data["i_mean"].values, dtype=np.float64)
        sigma_v = spec["sigma"] if spec["input"] == "white" else None
        method = spec["method"]
        rate_theory = np.asarray(data["rate_theory"].values, dtype=np.float64)
        rate_theory_continuous = np.asarray(data["rate_theory_continuous"].values, dtype=np.float64)
        from .spikes import after_transient

        first, duration = after_transient(spec["transient"], params.dt, params.steps)
        window = (first * params.dt, first * params.dt + duration)  # the updates the rates count
        fi_meta = {
            **meta,
            "kind": "f-I curve",
            "params": params.as_dict(),
            "sigma_V": sigma_v,
            "n": spec["n"],
            "seed": spec["seed"],
            "seeds": "point p uses point_seed(seed, p) = seed * 2**32 + p",
            "method": method,
            "window_s": list(window),
            "rate": "spikes per neuron per second in the window" if sigma_v is not None else "1 / mean ISI",
            "columns": {name: str(data[name].attrs.get("description", "")) for name in THEORY_COLUMNS},
        }
        rate = np.asarray(data["rate"].values, dtype=np.float64)
        rate_sem = np.asarray(data["rate_sem"].values, dtype=np.float64)
        return cls(
            currents,
            rate,
            rate_sem,
            rate_theory,
            rate_theory_continuous,
            sigma_v,
            spec["n"],
            window,
            params,
            method,
            fi_meta,
        )

    def table(self) -> dict[str, np.ndarray]:
        """Columns of the f-I table (SI units: A and Hz)."""
        return {
            "i": self.i,
            "rate": self.rate,
            "rate_sem": self.rate_sem,
            "rate_theory": self.rate_theory,
            "rate_theory_continuous": self.rate_theory_continuous,
        }

    def format_table(self) -> str:
        """The table as ``lifsim fi`` prints it: currents in pA, rates in Hz."""
        lines = [f"{'I (pA)':>10} {'rate (Hz)':>10} {'sem (Hz)':>9} {'theory (Hz)':>11} {'contin. (Hz)':>12}"]
        for row in zip(self.i, self.rate, self.rate_sem, self.rate_theory, self.rate_theory_continuous):
            lines.append(f"{row[0] * 1e12:10.4g} {row[1]:10.4g} {row[2]:9.3g} {row[3]:11.4g} {row[4]:12.4g}")
        return "\n".join(lines)

    def plot(self, path: str | None = None, *, xkcd: bool = False) -> Any:
        """The figure of ``lifsim fi`` (:func:`lifsim.plot.plot_fi_figure`: rates in Hz against current in pA,
        with the theory); saved to ``path`` (``.png``, ``.svg``, ``.pdf``) if given.  Returns the matplotlib
        Figure (closed once saved), as :meth:`lifsim.Result.plot` does."""
        from .plot import plot_fi_figure, save_figure

        if path is not None:
            from .atomic import FIGURE_SUFFIXES, check_output_path

            check_output_path(path, FIGURE_SUFFIXES, "path")
        figure = plot_fi_figure(self, xkcd=xkcd)
        if path is not None:
            save_figure(figure, path)
        return figure

    def save(self, path: str, overwrite: bool = False) -> Path:
        """Save the table with its provenance: ``.npz`` (arrays and ``meta``) or ``.csv`` (units in the header);
        :func:`load_fi` reads either back.

        An existing file is refused (``ValueError``) unless ``overwrite=True``.  A ``.zarr`` f-I curve is the
        store its sweep writes point by point (``lifsim fi --data x.zarr``): ``lifsim.fi_curve(store=...)``.
        """
        from .atomic import check_output_path, check_path_type, saving
        from .formats import TABLE_SUFFIXES
        from .store import check_overwrite

        check_path_type(path, "path")
        if Path(path).suffix.lower() == ".zarr":
            raise ValueError(
                f"path: {str(path)!r}: a .zarr f-I curve is the store its sweep writes point by point, resumable "
                f"(lifsim fi --data x.zarr): pass store={str(path)!r} to lifsim.fi_curve; FICurve.save writes the "
                "table as .npz or .csv"
            )
        target = check_output_path(path, TABLE_SUFFIXES, "path")
        check_overwrite(path, overwrite, "path")
        with saving(overwrite):  # a file another writer makes meanwhile is never replaced without overwrite
            if target.suffix.lower() == ".csv":
                from .formats.csv import save_columns

                return save_columns(target, self.table(), self.UNITS, self.meta)
            from .formats.npz import save_arrays

            return save_arrays(target, self.table(), self.meta)


#: what :func:`load_fi` reads: the tables :meth:`FICurve.save` and ``lifsim fi --data`` write, and the sweep store
#: ``lifsim fi --data x.zarr`` (``fi_curve(store=...)``) writes
FI_SUFFIXES = (".npz", ".csv", ".zarr")


def load_fi(path: str | os.PathLike) -> FICurve:
    """An f-I curve saved by :meth:`FICurve.save` or ``lifsim fi --data``, as the :class:`FICurve` it was: a
    ``.npz`` or ``.csv`` table (currents in A, rates in Hz, its provenance beside them) or the ``.zarr`` store of its
    sweep (``lifsim fi --data x.zarr``, ``lifsim.fi_curve(store=...)``, checked against its manifest first).

    Never unpickles or evaluates anything.  A missing, damaged or foreign file, or one of another kind (a run, a
    sweep over other parameters), raises ``ValueError`` naming the file and, for another kind, what reads it.
    """
    from .atomic import check_path_type
    from .store import is_network_file, network_reader

    check_path_type(path, "load_fi")
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in FI_SUFFIXES:
        raise ValueError(
            f"load_fi: {str(path)!r} must end in .npz, .csv or .zarr (an f-I curve written by FICurve.save or "
            "lifsim fi --data)"
        )
    if not (source.exists() or source.is_symlink()):
        raise ValueError(f"load_fi: {str(path)!r}: no such file")
    if is_network_file(source):
        raise ValueError(f"{source}: a lifsim network, not an f-I curve; {network_reader(source)}")
    if suffix == ".zarr":
        return _from_store(source)
    columns, meta = _read_table(source)
    try:
        return _from_table(columns, meta)
    except KeyError as error:
        raise ValueError(f"{source}: damaged lifsim f-I table (its provenance lacks {str(error)[:80]})") from None
    except (TypeError, ValueError, OverflowError, IndexError) as error:
        raise ValueError(f"{source}: damaged lifsim f-I table ({str(error)[:200]})") from None


def _read_table(source: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The columns and provenance of an f-I table (``.npz``: its checksums checked; ``.csv``), once its provenance
    says it is one (only that is read before)."""
    from .store import fi_table_provenance

    if fi_table_provenance(source) is None:
        raise ValueError(f"{source}: {_what_else(source)}")
    try:
        if source.suffix.lower() == ".npz":
            from .npz_io import read_arrays

            columns = read_arrays(source)  # never unpickled; each member's SHA-256 checked; one line naming the file
            return columns, json.loads(str(columns.pop("meta")))
        from .formats.csv import read_columns

        return read_columns(source)
    except (OSError, KeyError, ValueError, IndexError, UnicodeDecodeError, RecursionError) as error:
        if str(error).startswith(str(source)):
            raise
        why = f"{type(error).__name__}: {str(error)[:200]}"
        raise ValueError(f"{source}: damaged lifsim f-I table ({why})") from None


def _what_else(source: Path) -> str:
    """What a file that is no f-I table is, and what reads it (a run's file, a tutorial's arrays...)."""
    import zipfile

    if source.suffix.lower() == ".npz":
        try:
            with zipfile.ZipFile(source) as archive:
                members = set(archive.namelist())
        except (OSError, zipfile.BadZipFile, ValueError):
            return "not a lifsim f-I table (not a readable .npz file)"
        if {"t.npy", "v_mean.npy", "meta.npy"} <= members:
            return "a lifsim run, not an f-I curve; read it with lifsim.load"
    return "not a lifsim f-I table (its provenance does not say kind 'f-I curve'); read it with numpy.load or pandas"


def _from_table(columns: dict[str, np.ndarray], meta: dict) -> FICurve:
    """The FICurve of a table's columns and provenance (``KeyError``/``ValueError`` where they do not make one)."""
    if "rate_grid" in columns and "rate_theory_continuous" not in columns:  # a table written before the renaming
        columns = {**columns, "rate_theory": columns["rate_grid"], "rate_theory_continuous": columns["rate_theory"]}
    missing = [name for name in FICurve.UNITS if name not in columns]
    if missing:
        raise ValueError(f"its column {missing[0]} is missing")
    table = {name: np.asarray(columns[name], dtype=np.float64) for name in FICurve.UNITS}
    if any(values.ndim != 1 or values.shape != table["i"].shape for values in table.values()):
        raise ValueError("its columns must be one value per current each")
    low, high = (float(x) for x in meta["window_s"])
    sigma = meta["sigma_V"]
    return FICurve(
        **table,
        sigma=None if sigma is None else float(sigma),
        n=int(meta["n"]),
        window=(low, high),
        params=_params(meta["params"]),
        method=str(meta["method"]),
        meta=meta,
    )


def _params(values: Any) -> LIFParams:
    """The parameters (SI) a file's provenance keeps; rounded to whole steps where the curve asked for that."""
    from .params import PARAM_UNITS

    given = {name: values[name] for name in PARAM_UNITS if name in values}
    try:
        return LIFParams(**given)
    except ValueError:  # a t_max or t_ref of no whole number of steps: the curve ran with round_steps
        return LIFParams(**given, round_steps=True)


def _from_store(source: Path) -> FICurve:
    """The FICurve of an f-I curve's sweep store (a one-dimensional sweep over i_mean, constant or white input)."""
    from .sweep_store import load_sweep

    data = load_sweep(source)
    try:
        spec = json.loads(data.attrs["lifsim_meta"])["sweep"]
        grid = list(spec["grid"])
        if grid != ["i_mean"] or spec["input"] not in ("constant", "white") or spec.get("model", "neuron") != "neuron":
            raise LookupError(", ".join(map(str, grid)))
        params = _params(spec["params"])
        return FICurve.from_sweep(data, params)
    except LookupError as error:
        if isinstance(error, KeyError):
            raise ValueError(f"{source}: damaged lifsim sweep store (its provenance lacks {error})") from None
        raise ValueError(
            f"{source}: a sweep over {error}, not an f-I curve (a sweep over i_mean alone, with constant or white "
            "input); read it with lifsim.load_sweep"
        ) from None
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"{source}: damaged lifsim sweep store ({str(error)[:200]})") from None
