"""The Result of a run: time grid, ensemble statistics, traces, spikes, provenance."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .follows import changed, follows
from .reduce import variance_from_m2

__all__ = ["Result", "TraceSource"]


class TraceSource(Protocol):
    """Traces kept outside memory (see :class:`lifsim.formats.zarr_traces.ZarrTraces`)."""

    path: Path
    neurons: np.ndarray
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int: ...

    def read(self, rows: Any = None) -> np.ndarray: ...

    def lazy(self) -> Any: ...


@dataclass
class Result:
    """Everything one run produced, in SI units.

    Attributes
    ----------
    t : ndarray, shape (steps,)
        Time grid ``t_k = k dt`` (s).
    n : int
        Number of neurons.
    v_mean : ndarray, shape (steps,)
        Ensemble mean of V at each step (V).
    v_m2 : ndarray, shape (steps,)
        Sum over neurons of squared deviations from ``v_mean`` (V**2).
    lags : tuple of int
        Lags (steps) at which the autocovariance was accumulated.
    comoment : ndarray, shape (len(lags), steps)
        Co-moment sums for the autocovariance (V**2); see :meth:`autocov`.
    v : ndarray or None, shape (recorded, steps)
        Recorded membrane potentials (V), one row per neuron of ``v_neurons``.
    v_neurons : ndarray or None
        Indices of the recorded neurons.
    spike_t, spike_i : ndarray or None
        Spike times (s) and neuron indices, in time order (None when not recorded).
    spike_count : ndarray, shape (n,)
        Spikes per neuron.
    snapshot_t : ndarray
        Times (s) of the V snapshots.
    v_snapshots : ndarray, shape (len(snapshot_t), n)
        V (V) of every neuron at each snapshot time (for histograms of V).
    input_array : ndarray or None
        The values (A) of an array input, kept so the run can be made again.
    meta : dict
        Provenance: parameters (SI), input description, seed and stream,
        method, engine, spiking, lifsim and numpy versions.
    trace_source : TraceSource or None
        Where traces kept on disk are read from (a streamed or loaded Zarr
        store); ``v`` is then None until :meth:`load_traces`.

    Every array is read-only (``flags.writeable`` is False), however the Result was made (a run, a loaded
    file, a rerun) and whatever array is given to it later: a Result is what ran, and an edit in place
    (``r.v *= 1e3``) raises numpy's ``ValueError``.  Work on a copy: ``np.array(r.v)``, or ``r.v * 1e3``.
    """

    t: np.ndarray
    n: int
    v_mean: np.ndarray
    v_m2: np.ndarray
    lags: tuple[int, ...] = ()
    comoment: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    v: np.ndarray | None = None
    v_neurons: np.ndarray | None = None
    spike_t: np.ndarray | None = None
    spike_i: np.ndarray | None = None
    spike_count: np.ndarray | None = None
    snapshot_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v_snapshots: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    input_array: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    trace_source: TraceSource | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        """Keep every array field read-only (:data:`ARRAY_FIELDS`), from construction on."""
        if name in ARRAY_FIELDS and isinstance(value, np.ndarray):
            value = _read_only(value)
        object.__setattr__(self, name, value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled and copied Results (a Dask worker's, ``copy.deepcopy``) keep their arrays read-only too."""
        for name, value in state.items():
            setattr(self, name, value)

    # ------------------------------------------------------------ statistics
    @property
    def dt(self) -> float:
        """Time step (s)."""
        return float(self.meta["params"]["dt"])

    @property
    def stream_version(self) -> int | None:
        """The version of the random stream the run drew (:data:`lifsim.streams.STREAM_VERSIONS`; its name is
        ``meta["stream"]["stream"]``, ``counter-splitmix64/3``), which a rerun draws again: ``meta["run"]``'s
        ``stream_version``, 1 for a file of a lifsim before versions were recorded, None for the tutorial's legacy
        stream (MT19937), which has none."""
        run = self.meta.get("run")
        run = run if isinstance(run, Mapping) else {}
        stream = self.meta.get("stream")
        name = str(stream.get("stream", "")) if isinstance(stream, Mapping) else ""
        if run.get("stream") == "legacy" or name.startswith("legacy"):
            return None
        version = run.get("stream_version", 1)  # as lifsim.request.check_stream_version reads it
        if isinstance(version, bool) or not isinstance(version, (int, np.integer)):
            raise ValueError(f"stream_version: the provenance's {str(version)[:40]!r} is not a stream version")
        return int(version)

    @property
    def steps(self) -> int:
        """Number of time points."""
        return len(self.t)

    @property
    def duration(self) -> float:
        """Simulated time ``(steps - 1) * dt`` (s): the span over which spikes can occur."""
        return (self.steps - 1) * self.dt

    def v_var(self, ddof: int = 1) -> np.ndarray:
        """Per-step sample variance of V (V**2), ``v_m2 / (n - ddof)`` (``ddof`` 1: the tutorial's ex. 10; 0:
        numpy's).  ``ddof`` must be 0 .. n-1 (``ValueError`` otherwise: one neuron has a variance with ddof 0)."""
        return variance_from_m2(self.v_m2, self.n, _checked_ddof(ddof, self.n))

    def v_std(self, ddof: int = 1) -> np.ndarray:
        """Per-step sample standard deviation of V (V), the square root of :meth:`v_var` (``ddof`` 0 .. n-1)."""
        return np.sqrt(self.v_var(ddof))

    def autocov(self, lag: int, ddof: int = 1) -> np.ndarray:
        """Sample autocovariance ``C(t_{k-lag}, t_k)`` (V**2) for every step ``k``.

        The tutorial's section 5 definition with ``1/(N - ddof)``; entries with
        ``k < lag`` are NaN.  ``lag`` must be one of the lags asked for at run time, ``ddof`` 0 .. n-1.
        """
        if lag not in self.lags:
            raise ValueError(f"lag: {lag} was not recorded; recorded lags: {list(self.lags)}")
        row = self.lags.index(lag)
        return variance_from_m2(self.comoment[row], self.n, _checked_ddof(ddof, self.n))

    def autocov_matrix(self, ddof: int = 1) -> np.ndarray:
        """Full sample autocovariance matrix ``C[t, s]`` (V**2), shape (steps, steps).

        Needs the traces of all neurons (``record_v="all"``); ``ddof`` 0 .. n-1.
        """
        ddof = _checked_ddof(ddof, self.n)
        if self.v is None or self.v.shape[0] != self.n:
            raise ValueError("autocov_matrix: needs the traces of all neurons (record_v='all')")
        dev = self.v - self.v.mean(axis=0)
        return dev.T @ dev / (self.n - ddof)

    @property
    def total_spikes(self) -> int:
        """Number of spikes of all neurons."""
        return int(self.spike_count.sum()) if self.spike_count is not None else 0

    @property
    def rate(self) -> float:
        """Population mean firing rate (Hz): spikes / neuron / second over :attr:`duration`
        (NaN for a run of one time point, which has no duration)."""
        if self.duration <= 0:
            return float("nan")
        return self.total_spikes / (self.n * self.duration)

    def cv(self) -> float:
        """Coefficient of variation of the pooled inter-spike intervals (NaN if < 2 ISIs).

        Intervals are counted in whole steps, so a regular train gives exactly 0.
        """
        from .spikes import cv_isi

        if self.spike_t is None or self.spike_i is None:
            raise ValueError("cv: spike times were not recorded (record_spikes=False)")
        return cv_isi(self.spike_t, self.spike_i, dt=self.dt)

    def mean_input_current(self) -> np.ndarray:
        """The ensemble-mean input current (A) at each time (NaN at the last time, which drives nothing).

        Rebuilt from the run's input description (noise averages to zero).
        """
        from .inputs import from_description, mean_input_current
        from .params import PARAM_UNITS, LIFParams

        meta = self.meta
        given = {name: meta["params"][name] for name in PARAM_UNITS if name in meta["params"]}
        params = LIFParams(**given, round_steps=True)
        return mean_input_current(from_description(meta["input"], self.input_array), params, self.steps)

    # ------------------------------------------------------------ output
    def summary(self) -> str:
        """A short human summary of the run (what ``lifsim simulate`` prints, and ``repr``)."""
        from .inputs import describe_text

        p = self.meta.get("params", {})
        dt = p.get("dt", float("nan"))
        lines = [
            f"lifsim: {self.n} neuron(s), {self.steps} steps of dt = {dt * 1e3:g} ms "
            f"(t = 0 .. {self.t[-1] * 1e3:g} ms), method {self.meta.get('method')}, "
            f"engine {self.meta.get('engine')}, seed {self.meta.get('seed')}",
            f"  input: {describe_text(self.meta.get('input', {}), p)}",
            f"  final V: mean {_millivolts(self.v_mean[-1])} mV",
        ]
        if self.n > 1:
            lines[-1] += f", std {_millivolts(self.v_std(1)[-1])} mV (ddof 1)"
        if self.meta.get("spiking"):
            line = f"  spikes: {self.total_spikes}, rate {self.rate:.4g} Hz per neuron"
            if self.spike_t is not None:
                cv = self.cv()
                line += f", CV of ISIs {_rounded(cv):.3g}" if np.isfinite(cv) else ", CV of ISIs n/a (< 2 intervals)"
            lines.append(line)
        else:
            lines.append("  spiking off (subthreshold membrane)")
        lines.extend(f"  note: {note}" for note in self.meta.get("notes", ()))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<lifsim.Result\n{self.summary()}>"

    def plot(self, path: str | None = None, **kwargs: Any) -> Any:
        """The standard figure of the run (:func:`lifsim.plot.plot_result`); saved to ``path`` if given.

        Returns the matplotlib Figure (closed once saved).
        """
        from .plot import plot_result, save_figure

        if path is not None:
            from .atomic import FIGURE_SUFFIXES, check_output_path

            check_output_path(path, FIGURE_SUFFIXES, "path")
        figure = plot_result(self, **kwargs)
        if path is not None:
            save_figure(figure, path)
        return figure

    def arrays(self, ddof: int = 1) -> dict[str, np.ndarray]:
        """The arrays written to ``.npz`` files (SI units; ``v_std``/``v_var`` with ``ddof``, NaN where ``n - ddof``
        leaves no degrees of freedom: a file of one neuron's run holds NaN for its ddof-1 spread)."""
        variance = variance_from_m2(self.v_m2, self.n, ddof)
        data: dict[str, np.ndarray] = {
            "t": self.t,
            "v_mean": self.v_mean,
            "v_std": np.sqrt(variance),
            "v_var": variance,
        }
        if self.v is not None:
            data["v"] = self.v
            data["v_neurons"] = self.v_neurons if self.v_neurons is not None else np.arange(self.v.shape[0])
        if self.spike_count is not None:
            data["spike_count"] = self.spike_count
        if self.meta.get("spiking"):
            if self.spike_t is not None and self.spike_i is not None:
                data["spike_t"] = self.spike_t
                data["spike_i"] = self.spike_i
            data["rate"] = np.float64(self.rate)
        if self.snapshot_t.size:
            data["snapshot_t"] = self.snapshot_t
            data["v_snapshots"] = self.v_snapshots
        for row, lag in enumerate(self.lags):
            data[f"autocov_lag{lag}"] = variance_from_m2(self.comoment[row], self.n, ddof)
        data["v_m2"] = self.v_m2
        if self.lags:
            data["lags"] = np.array(self.lags, dtype=np.int64)
            data["comoment"] = self.comoment
        if self.input_array is not None:
            data["input_array"] = self.input_array
        data["meta"] = np.array(json.dumps(self.meta))
        return data

    def check(self, source: str = "result") -> None:
        """Raise ValueError (naming ``source``) if the arrays have the wrong types or do not fit together."""
        problems = self.problems()
        if problems:
            raise ValueError(f"{source}: damaged lifsim result ({'; '.join(problems)})")

    def problems(self) -> list[str]:
        """Where the arrays or the provenance do not fit together, in words (empty when they do): what loading
        a file refuses (:meth:`check`), and so what :meth:`save` refuses before it writes anything."""
        problems = []
        kinds = {
            "t": "f",
            "v_mean": "f",
            "v_m2": "f",
            "comoment": "f",
            "v": "f",
            "spike_t": "f",
            "snapshot_t": "f",
            "v_snapshots": "f",
            "input_array": "fiu",
            "v_neurons": "iu",
            "spike_i": "iu",
            "spike_count": "iu",
        }
        for name, kind in kinds.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, np.ndarray) or value.dtype.kind not in kind):
                dtype = getattr(value, "dtype", type(value).__name__)
                expected = "real numbers" if kind.startswith("f") else "whole numbers"
                problems.append(f"{name} must hold {expected}, not {dtype}")
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            problems.append(f"n must be a whole number >= 1, not {self.n!r}")
        if problems or not isinstance(self.t, np.ndarray) or self.t.ndim != 1:
            return problems or ["t must be a 1-D array of times"]
        steps, n = self.t.shape[0], self.n
        if self.t.ndim != 1 or self.v_mean.shape != (steps,) or self.v_m2.shape != (steps,):
            problems.append("t, v_mean and v_m2 must have one value per time")
        if self.comoment.shape != (len(self.lags), steps) and not (len(self.lags) == 0 and self.comoment.size == 0):
            problems.append(f"comoment must have shape ({len(self.lags)}, {steps})")
        if self.v is not None:
            rows = -1 if self.v_neurons is None else len(self.v_neurons)
            if self.v.ndim != 2 or self.v.shape[1] != steps or (rows >= 0 and self.v.shape[0] != rows):
                problems.append(f"v must have shape (recorded neurons, {steps})")
            if (
                self.v_neurons is not None
                and self.v_neurons.size
                and (self.v_neurons.min() < 0 or self.v_neurons.max() >= n)
            ):
                problems.append("v_neurons must index neurons 0 .. n-1")
        if (self.spike_t is None) != (self.spike_i is None) or (
            self.spike_t is not None and self.spike_i is not None and self.spike_t.shape != self.spike_i.shape
        ):
            problems.append("spike_t and spike_i must have the same length")
        if self.spike_i is not None and self.spike_i.size and (self.spike_i.min() < 0 or self.spike_i.max() >= n):
            problems.append("spike_i must index neurons 0 .. n-1")
        if self.spike_count is not None and self.spike_count.shape != (n,):
            problems.append(f"spike_count must have one value per neuron ({n})")
        if self.snapshot_t.size and self.v_snapshots.shape != (self.snapshot_t.size, n):
            problems.append(f"v_snapshots must have shape ({self.snapshot_t.size}, {n})")
        return problems + _provenance_problems(self.meta, n, steps)

    def check_stored(self, stored: Mapping[str, Any], source: str = "result") -> None:
        """Raise ValueError (naming ``source``) where a file's members that follow from the run (named as in
        :meth:`arrays`: ``v_std``, ``v_var``, ``rate``, ``autocov_lagL``, ``lags``) are not what its primary
        arrays give: a file whose ``v_std`` says one thing while its ``v_m2`` (what lifsim reads, and what a
        rerun compares) says another was changed, whatever its checksums say (re-hashed by hand)."""
        rebuilt = self.arrays(1)
        for name, value in stored.items():
            if name not in rebuilt or name == "meta":
                continue
            if not follows(rebuilt[name], value):
                raise ValueError(changed(source, name))

    @property
    def has_traces(self) -> bool:
        """True when traces were recorded (in memory or on disk)."""
        return self.v is not None or self.trace_source is not None

    def recorded_neurons(self) -> np.ndarray:
        """Neuron index of each recorded trace (empty when none were recorded)."""
        if self.v_neurons is not None:
            return np.asarray(self.v_neurons, dtype=np.int64)
        if self.trace_source is not None:
            return np.asarray(self.trace_source.neurons, dtype=np.int64)
        if self.v is not None:
            return np.arange(self.v.shape[0], dtype=np.int64)
        return np.zeros(0, dtype=np.int64)

    def load_traces(self) -> None:
        """Bring traces kept on disk (a streamed or loaded Zarr store) into memory as :attr:`v`.

        Raises ``ValueError`` when they need more memory than is available;
        read a few neurons with :meth:`trace` or work lazily with
        ``trace_source.lazy()`` (a dask-backed DataArray) instead.
        """
        if self.v is not None or self.trace_source is None:
            return
        from .memory import available_memory, format_bytes

        needed = self.trace_source.nbytes
        room = available_memory()
        if room is not None and needed > 0.8 * room:
            raise ValueError(
                f"v: the traces need {format_bytes(needed)}, more than the {format_bytes(room)} of memory "
                "available; read single neurons with result.trace(j), or lazily with result.trace_source.lazy()"
            )
        self.v = self.trace_source.read()
        self.v_neurons = np.asarray(self.trace_source.neurons, dtype=np.int64)

    def trace(self, neuron: int) -> np.ndarray:
        """The recorded trace (V) of neuron ``neuron``, shape (steps,); read from disk if kept there."""
        neurons = self.recorded_neurons()
        rows = np.flatnonzero(neurons == neuron)
        if rows.size == 0:
            raise ValueError(f"neuron: {neuron!r} was not recorded; recorded neurons: {_short_list(neurons)}")
        if self.v is not None:
            return self.v[rows[0]]
        assert self.trace_source is not None
        return self.trace_source.read(int(rows[0]))

    def traces(self, rows: slice | None = None) -> np.ndarray:
        """The recorded traces ``v`` (V), or the rows ``rows`` of them; ValueError if none were recorded."""
        if self.v is not None:
            return self.v if rows is None else self.v[rows]
        if self.trace_source is not None:
            if rows is None:
                self.load_traces()
                assert self.v is not None
                return self.v
            return self.trace_source.read(rows)
        raise ValueError("v: no traces were recorded (pass record_v)")

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(spike_t, spike_i)``; ValueError if spike times were not recorded."""
        if self.spike_t is None or self.spike_i is None:
            raise ValueError("spike_t: spike times were not recorded (record_spikes=False or spiking off)")
        return self.spike_t, self.spike_i

    def to_dataset(self) -> Any:
        """The run as an :class:`xarray.Dataset` (layout in :mod:`lifsim.dataset`)."""
        from .dataset import to_dataset

        return to_dataset(self)

    def to_neo(self) -> Any:
        """The run as a ``neo.Block`` of AnalogSignals and SpikeTrains (see :mod:`lifsim.formats.neo`)."""
        from .formats import by_name, check_dependencies

        fmt = by_name("neo")
        check_dependencies(fmt, "to_neo", action="making")
        return fmt.module().to_neo(self)

    def to_nwb(self, path: str, overwrite: bool = False) -> Any:
        """Write the run to an NWB file (see :mod:`lifsim.formats.nwb`)."""
        from .atomic import check_path_type

        check_path_type(path, "path")
        if not str(path).lower().endswith(".nwb"):
            raise ValueError(f"path: {str(path)!r} must end in .nwb")
        return self.save(path, overwrite=overwrite)

    def save(self, path: str, overwrite: bool = False) -> Any:
        """Save by suffix (:data:`lifsim.formats.RESULT_SUFFIXES`); returns the path written.

        An existing file or store is refused (``ValueError``) unless ``overwrite=True``.  A ``.csv`` (the per-step
        table) or ``.nwb`` file keeps only part of a run: saving one that holds more warns (``UserWarning``) naming
        what it leaves out (:func:`lifsim.formats.left_out`), as ``lifsim simulate --data`` says before its run.
        """
        from .formats import save

        return save(self, path, overwrite=overwrite, _caller=2)

    def parts(self) -> set[str]:
        """The parts of this run a file format may leave out (:data:`lifsim.formats.RUN_PARTS`) that it holds."""
        present = {
            "traces": self.has_traces,
            "spikes": self.spike_t is not None,  # recorded, if none fired (their counts go with them)
            "spike_counts": self.spike_count is not None and bool(self.meta.get("spiking", True)),
            "snapshots": self.v_snapshots.size > 0,
            "lags": bool(self.lags),
        }
        return {part for part, held in present.items() if held}


#: the fields of a :class:`Result` that hold arrays, each kept read-only
ARRAY_FIELDS = frozenset(
    {
        "t",
        "v_mean",
        "v_m2",
        "comoment",
        "v",
        "v_neurons",
        "spike_t",
        "spike_i",
        "spike_count",
        "snapshot_t",
        "v_snapshots",
        "input_array",
    }
)


def _read_only(value: np.ndarray) -> np.ndarray:
    """``value`` itself when it is read-only already, else a read-only view of it (the caller's array keeps its
    own flags)."""
    if not value.flags.writeable:
        return value
    view = value.view()
    view.flags.writeable = False
    return view


def _checked_ddof(ddof: object, n: int) -> int:
    """``ddof`` when a run of ``n`` neurons leaves it degrees of freedom (0 .. n-1); ``ValueError`` (``TypeError``
    for what is no whole number) naming it and that range otherwise: ddof >= n gave all-NaN in silence."""
    accepted = "0" if n == 1 else f"0 .. {n - 1}"
    if not isinstance(ddof, (int, np.integer)):
        raise TypeError(f"ddof: expected a whole number {accepted}, got {type(ddof).__name__} {ddof!r}")
    if not 0 <= ddof < n:
        raise ValueError(
            f"ddof: {ddof} must be {accepted} for a run of {n} neuron{'s' if n != 1 else ''} (N - ddof, the "
            "degrees of freedom, must be at least 1)"
        )
    return int(ddof)


def _rounded(x: float) -> float:
    """``x``, with round-off below 1e-12 shown as 0."""
    return 0.0 if abs(x) < 1e-12 else x


def _short_list(values: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(v) for v in values[:limit].tolist())
    return f"[{shown}{', ...' if values.size > limit else ''}] ({values.size} in all)"


#: fields the provenance keeps twice, at its top and in its ``run`` request (which a rerun runs): they must agree
_TWICE = ("n", "steps", "seed", "method", "spiking")


def _provenance_problems(meta: Any, n: int, steps: int) -> list[str]:
    """Where a run's provenance disagrees with itself or with the run's ``n`` neurons and ``steps`` time points
    (a file edited by hand, its checksum made again; a Result's ``meta`` changed before it was saved): the top's
    ``seed`` (what a summary shows) against the request's (what a rerun runs), and the stream's seed."""
    if not isinstance(meta, Mapping) or not isinstance(meta.get("params"), Mapping):
        return ["the provenance (meta) must be a dict holding the run's parameters (params)"]
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as error:  # a numpy array, a circle: no file can hold it
        return [f"the provenance (meta) cannot be written as JSON ({str(error)[:100]})"]
    problems = [
        f"the provenance's {name} ({meta[name]!r}) disagrees with the run's ({value})"
        for name, value in (("n", n), ("steps", steps))
        if name in meta and meta[name] != value
    ]
    run = meta.get("run")
    if not isinstance(run, Mapping):
        return problems
    problems += [
        f"the provenance's {name} ({meta[name]!r}) disagrees with its request's ({run[name]!r})"
        for name in _TWICE
        if name in meta and name in run and meta[name] != run[name]
    ]
    stream = meta.get("stream")
    if isinstance(stream, Mapping) and "seed" in stream and "seed" in run and stream["seed"] != run["seed"]:
        problems.append(f"the stream's seed ({stream['seed']!r}) disagrees with the request's ({run['seed']!r})")
    return problems


def _millivolts(value: float) -> str:
    """A potential (V) in mV for a summary: four decimals, or six significant digits where that would be long
    (1e88 V of white noise at 1e90 V was printed as a number of 90 digits)."""
    millivolts = float(value) * 1e3
    return f"{millivolts:.4f}" if abs(millivolts) < 1e6 else f"{millivolts:.6g}"
