"""What a run is asked to do, checked once: :class:`RunRequest` and what to record, :class:`Record`.

A request says *what* to simulate (parameters, input, neurons, seed, method,
spiking, engine) and *what to keep* (:class:`Record`, in the spirit of
diffrax's ``SaveAt``); a runner (:mod:`lifsim.runners`) says *where*.
:meth:`RunRequest.validate` makes every up-front check of a run, once, and
returns a :class:`ValidRequest`: the same request in canonical form (neuron
indices, steps, the engine resolved, the random stream built) from which the
engines' plan is lowered (:meth:`lifsim.engine.plan.RunPlan.from_request`).

:meth:`RunRequest.to_dict` is the provenance a result carries
(``meta["params"]``, ``meta["input"]`` and ``meta["run"]``, the layout of
every file lifsim has written), and :meth:`RunRequest.from_dict` reads it
back, so that :func:`lifsim.rerun` is :func:`lifsim.simulate` of the stored
request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .inputs import Input, constant, from_description, resolve_means
from .params import PARAM_UNITS, LIFParams
from .seeds import check_seed
from .streams import STREAM_VERSION, STREAM_VERSIONS, CounterStream, LegacyStream, check_version
from .units import far_outside, format_display, format_si, time_slip, to_si

__all__ = ["Record", "RunRequest", "ValidRequest", "parse_neuron_selection", "MAX_NEURONS", "MAX_VOLTS", "stamp"]

#: neurons the counter-based stream can key (2**32)
MAX_NEURONS = 2**32
#: the largest potential (V) lifsim accepts anywhere: V**2 must stay far from float overflow (1e308)
MAX_VOLTS = 1e100
#: the methods a run can use
METHODS = ("euler", "exact")


@dataclass(frozen=True)
class Record:
    """What a run keeps besides the per-step statistics (which are always kept).

    Parameters
    ----------
    v : None, True, "all", "a:b[:s]", "i,j,k", slice or sequence of int
        Neurons whose full trace V (V) is kept (``record_v``); None keeps none.
    spikes : bool
        Keep every spike time and index (spike counts are always kept).
    lags : sequence of int
        Lags (steps) at which the autocovariance is accumulated while running.
    snapshots : sequence of float or str
        Times (s, or ``"50 ms"``) at which V of every neuron is kept; each on the time grid.
    """

    v: Any = None
    spikes: bool = True
    lags: Sequence[int] = ()
    snapshots: Sequence[float | str] = ()


@dataclass(frozen=True)
class RunRequest:
    """One run of ``n`` independent LIF neurons, as asked (checked by :meth:`validate`).

    Parameters
    ----------
    params : LIFParams, optional
        Model parameters (SI); the tutorial's by default.
    input : Input, optional
        Input current (A); ``constant(params.i_mean)`` by default.
    n : int
        Number of neurons, 1 .. 2**32.
    seed : int
        Seed of the counter-based stream: neuron ``j``'s noise depends only on ``(seed, j)``.
    method : {"euler", "exact"}
        Forward Euler (the tutorial's) or the exact update for input held constant over a step.
    spiking : bool
        Threshold and reset on.
    steps : int, optional
        Number of time points (default ``params.steps``), at least 2.
    engine : str
        ``"auto"``, ``"numba"``, ``"numpy"``, ``"cuda"`` (see :mod:`lifsim.engine`).
    record : Record
        What to keep.
    stream : CounterStream or LegacyStream, optional
        Overrides the stream made from ``seed`` (the tutorial replay's legacy stream).
    stream_version : int
        The version of the random stream: 3 (the default, :data:`lifsim.streams.STREAM_VERSION`) or 2 (the
        normals of lifsim before issue 17); :data:`lifsim.streams.STREAM_VERSIONS` lists what this lifsim draws.
    block : int, optional
        Neurons per block, a power of two >= 32 (the result does not depend on it).
    device : int, optional
        The GPU of the cuda engine (default 0).
    command, config : optional
        The command line and the configuration file's contents that asked for the run (provenance only).
    """

    params: LIFParams | None = None
    input: Input | None = None
    n: int = 1
    seed: int = 0
    method: str = "euler"
    spiking: bool = True
    steps: int | None = None
    engine: str = "auto"
    record: Record = field(default_factory=Record)
    stream: CounterStream | LegacyStream | None = None
    stream_version: int = STREAM_VERSION
    block: int | None = None
    device: int | None = None
    command: str | None = None
    config: dict | None = None

    def validate(self) -> ValidRequest:
        """Every up-front check of the run, once; ``ValueError``/``TypeError`` naming the bad value."""
        return _validate(self)

    def to_dict(self) -> dict[str, Any]:
        """The provenance of the run: ``{"params": ..., "input": ..., "run": ...}`` (JSON-ready)."""
        return self.validate().to_dict()

    @classmethod
    def from_dict(
        cls, meta: Mapping[str, Any], input_array: np.ndarray | None = None, *, source: str = "request"
    ) -> RunRequest:
        """The request stored in a result's provenance (``meta``; an array input's values in ``input_array``).

        Reads every file lifsim has written.  ``ValueError`` naming ``source`` when the provenance is
        missing, damaged, or made with another random stream version.
        """
        return _from_dict(cls, meta, input_array, source)


@dataclass(frozen=True, eq=False)
class ValidRequest:
    """A checked :class:`RunRequest` in canonical form (made by :meth:`RunRequest.validate` only)."""

    request: RunRequest  #: the canonical request (``record.v`` as indices, ``steps`` and ``engine`` resolved)
    params: LIFParams
    inputs: Input
    n: int
    steps: int
    stream: CounterStream | LegacyStream
    method: str
    spiking: bool
    engine: str
    record: np.ndarray | None  #: recorded neurons (indices), or None
    record_spikes: bool
    lags: tuple[int, ...]
    snapshot_steps: tuple[int, ...]
    block: int | None
    device: int | None

    def validate(self) -> ValidRequest:
        return self

    @property
    def trace_bytes(self) -> int:
        """Bytes of the recorded traces (``record.v`` x steps, float64)."""
        return 0 if self.record is None else 8 * int(self.record.size) * self.steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params.as_dict(),
            "input": self.inputs.describe(),
            "run": {
                "n": self.n,
                "steps": self.steps,
                "seed": self.stream.seed,
                "stream": self.stream.kind,
                # the counter stream's version; None for the tutorial's legacy stream (MT19937), which has none
                # and which a rerun cannot draw again (it said 3, the default it never drew)
                "stream_version": self.stream.version if isinstance(self.stream, CounterStream) else None,
                "spiking": self.spiking,
                "method": self.method,
                "engine": self.engine,
                "record_v": None if self.record is None else self.record.tolist(),
                "record_spikes": self.record_spikes,
                "lags": list(self.lags),
                "snapshot_steps": list(self.snapshot_steps),
            },
        }


# ---------------------------------------------------------------- checking


def _validate(request: RunRequest) -> ValidRequest:
    params = LIFParams() if request.params is None else request.params
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    inputs = constant(params.i_mean) if request.input is None else request.input
    if not isinstance(inputs, Input):
        raise TypeError(f"inputs: expected an lifsim input (lifsim.inputs), got {type(inputs).__name__}")
    inputs = resolve_means(inputs, params)  # a mean left unset is LIFParams.i_mean (lifsim.inputs)
    if not isinstance(request.record, Record):
        raise TypeError(f"record: expected a lifsim.Record, got {type(request.record).__name__}")
    n = _positive_int(request.n, "n")
    if n > MAX_NEURONS:
        raise ValueError(f"n: {n} neurons is more than the {MAX_NEURONS} (2**32) the random streams can key")
    steps = _steps(request.steps, params)
    if request.method not in METHODS:
        raise ValueError(f"method: expected 'euler' or 'exact', got {request.method!r}")
    params.check_method(request.method)
    record = request.record
    for name, flag in (("spiking", request.spiking), ("record_spikes", record.spikes)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name}: expected True or False, got {flag!r}")
    if request.command is not None and not isinstance(request.command, str):
        raise TypeError(f"command: expected a string or None, got {type(request.command).__name__}")
    if request.config is not None and not isinstance(request.config, dict):
        raise TypeError(f"config: expected a dict or None, got {type(request.config).__name__}")
    lags, snapshot_steps = _lags(record.lags, steps), _snapshots(record.snapshots, params.dt, steps)
    stream = _stream(request)
    engine = _engine(request, stream)
    block = request.block
    if block is not None:
        from .reduce import GROUP

        if isinstance(block, bool) or not isinstance(block, (int, np.integer)):
            raise TypeError(f"block: expected a power of two >= {GROUP}, got {block!r}")
        if block < GROUP or block & (block - 1):
            raise ValueError(f"block: must be a power of two >= {GROUP}, got {block!r}")
        block = int(block)
    check_magnitudes(params, inputs)
    _check_selection_room(record.v, n, steps)
    neurons = parse_neuron_selection(record.v, n)
    canonical = replace(
        request,
        params=params,
        input=inputs,
        n=n,
        seed=stream.seed,
        method=str(request.method),
        spiking=bool(request.spiking),
        steps=steps,
        engine=engine,
        record=Record(
            v=None if neurons is None else selection_range(record.v, n) or tuple(neurons.tolist()),  # a range: unlisted
            spikes=bool(record.spikes),
            lags=lags,
            snapshots=tuple(k * params.dt for k in snapshot_steps),
        ),
        stream=stream,
        block=block,
    )
    return ValidRequest(
        canonical,
        params,
        inputs,
        n,
        steps,
        stream,
        str(request.method),
        bool(request.spiking),
        engine,
        neurons,
        bool(record.spikes),
        lags,
        snapshot_steps,
        block,
        request.device,
    )


def _steps(steps: object, params: LIFParams) -> int:
    if steps is None:
        if params.steps < 2:
            raise ValueError(
                f"t_max: {format_display(params.t_max, 'time')} is one time point of dt = "
                f"{format_display(params.dt, 'time')}; a run needs at least two "
                "(t_max >= 2 dt), so that V is updated at least once"
            )
        return int(params.steps)
    value = _positive_int(steps, "steps")
    if value < 2:
        raise ValueError(f"steps: a run needs at least 2 time points, got {value}")
    return value


def _lags(lags: object, steps: int) -> tuple[int, ...]:
    if isinstance(lags, (int, np.integer, str, bytes)) or not isinstance(lags, (Sequence, np.ndarray)):
        raise TypeError(f"lags: expected a sequence of whole numbers of steps such as (1, 5, 10), got {_short(lags)}")
    out = tuple(_nonneg_int(lag, "lags") for lag in lags)
    for lag in out:
        if lag >= steps:
            raise ValueError(f"lags: lag {lag} must be below the number of steps {steps}")
    if len(set(out)) != len(out):  # as snapshots: a second copy would be a second, identical row
        raise ValueError(f"lags: each lag can be asked for once, got {_short(list(lags))}")
    return out


def _snapshots(snapshots: object, dt: float, steps: int) -> tuple[int, ...]:
    if isinstance(snapshots, (str, bytes, int, float)) or not isinstance(snapshots, (Sequence, np.ndarray)):
        raise TypeError(f"snapshots: expected a sequence of times such as ('10 ms', '50 ms'), got {_short(snapshots)}")
    out = tuple(_grid_step(time, dt, steps) for time in snapshots)
    if len(set(out)) != len(out):
        seen: set[int] = set()
        repeated = next(step for step in out if step in seen or seen.add(step))  # type: ignore[func-returns-value]
        raise ValueError(
            f"snapshots: each time can be asked for once; {format_display(repeated * dt, 'time')} is asked for "
            f"{out.count(repeated)} times"
        )
    return out


def _stream(request: RunRequest) -> CounterStream | LegacyStream:
    version = check_version(request.stream_version)
    if request.stream is None:
        return CounterStream(check_seed(request.seed), version)
    if not isinstance(request.stream, (CounterStream, LegacyStream)):
        kind = type(request.stream).__name__
        raise TypeError(f"stream: expected a lifsim stream (lifsim.streams) or None, got {kind}")
    if isinstance(request.stream, CounterStream) and request.stream.version != version:
        raise ValueError(
            f"stream_version: the stream given draws version {request.stream.version}, the request asks for "
            f"{version}; give one of them"
        )
    return request.stream


def _engine(request: RunRequest, stream: CounterStream | LegacyStream) -> str:
    from .engine import choose_engine

    if not isinstance(request.engine, str):
        raise TypeError(f"engine: expected a name such as 'auto', 'numba' or 'numpy', got {request.engine!r}")
    engine = choose_engine(request.engine, stream.kind)
    if request.device is not None and engine != "cuda":
        raise ValueError(f"device: applies to the cuda engine, not {engine!r}")
    return engine


def _largest_drive(inputs: Input, params: LIFParams) -> float:
    """An upper bound of ``|R I|`` (V) over the run, noise at its largest plausible excursion.

    Each input kind bounds itself (:meth:`lifsim.inputs.Input.drive_bound`).
    """
    return inputs.drive_bound(params)


def check_magnitudes(params: LIFParams, inputs: Input) -> None:
    """Refuse finite values whose products overflow: every potential and drive within :data:`MAX_VOLTS`."""
    advice = f"beyond {MAX_VOLTS:.0e} V, where the statistics (V**2) overflow; check the units (plain numbers are SI)"
    for name in ("el", "vr", "vth", "v0"):
        if not abs(getattr(params, name)) <= MAX_VOLTS:
            raise ValueError(f"{name}: {getattr(params, name):.3g} V is {advice}")
    with np.errstate(over="ignore"):
        drive = _largest_drive(inputs, params)
    if not drive <= MAX_VOLTS:
        raise ValueError(f"input: R I reaches {drive:.3g} V (R = {params.r:.3g} Ohm), {advice}")


def plausibility(request: ValidRequest) -> list[str]:
    """Settings far outside what a neuron sees (a unit slip): the parameters' and the input's."""
    out = list(request.params.plausibility())
    for part in request.inputs.white_parts():
        if part.sigma > 0.1:
            out.append(far_outside("sigma", part.sigma, 0.0, 0.1, "voltage", "0 to 100 mV"))
    if not any(text.startswith("i_mean:") for text in out):
        with np.errstate(over="ignore"):
            drive = request.params.r * request.inputs.slip_bound(request.params)
        if drive > 1.0:  # R I of tens of mV drives a neuron; a volt is a unit slip or an amplitude of thousands
            out.append(
                f"input: R I reaches {format_si(drive, 'V')} (R = {format_display(request.params.r, 'resistance')}), "
                "far outside the usual range (up to 1 V): check the input's currents (plain numbers are A) and "
                "amplitude (a plain factor of I_mean)"
            )
    if not request.spiking and (request.params.t_ref > 0 or request.params.t_ref_std > 0):
        out.append(
            f"t_ref: {format_display(request.params.t_ref, 'time')} has no effect on a run without spiking (V is "
            "never reset, so never held)"
        )
    end = (request.steps - 1) * request.params.dt
    for onset in request.inputs.onsets():
        if not 0.0 <= onset <= end:
            out.append(
                f"onset: {format_display(onset, 'time')} is outside the run (0 to {format_display(end, 'time')}): "
                + ("the step never switches on" if onset > end else "the step is on from the start")
                + time_slip(onset, end)
            )
    for period in request.inputs.periods():
        if hint := time_slip(period, end):  # --period 10 is 10 s: a 150 ms run sees 1.5 % of a cycle
            out.append(
                f"period: {format_display(period, 'time')} is longer than the run (0 to "
                f"{format_display(end, 'time')}), which sees {100 * end / period:.2g} % of one cycle{hint}"
            )
    out += request.inputs.left_out(request.params, request.steps)  # an array longer than the run
    return out


#: bytes a recorded neuron costs before its traces: its index in the request's record (a Python int in a tuple)
#: and in the arrays that make it
SELECTION_BYTES = 64


def selection_range(selection: object, n: int) -> range | None:
    """The neurons of ``n`` that a selection (``"all"``, ``True``, a slice or ``"a:b[:s]"``) names, as a range,
    not a list; None for an explicit list (already in memory), nothing or one :func:`parse_neuron_selection`
    refuses (it says why)."""
    if selection is True or (isinstance(selection, str) and selection == "all"):
        return range(n)
    try:
        if isinstance(selection, slice):
            return range(n)[selection]
        if isinstance(selection, str) and ":" in selection:
            return range(n)[slice(*(int(p) if p.strip() else None for p in selection.split(":")))]
    except (ValueError, TypeError):
        pass
    return None


def selection_size(selection: object, n: int) -> int | None:
    """How many neurons a selection of ``n`` names, counted (:func:`selection_range`); None for a list."""
    span = selection_range(selection, n)
    return None if span is None else len(span)


def _check_selection_room(selection: object, n: int, steps: int) -> None:
    """Refuse a selection of neurons (``"all"``, ``True``, a slice or ``"a:b"``) too large to list, before it is
    listed: ``record_v="all"`` of 10**9 neurons built a tuple of 10**9 Python ints and the process was killed for
    memory, before the run's memory check could say so."""
    from .memory import available_memory, format_bytes

    size = selection_size(selection, n)
    if size is None:
        return
    room = available_memory()
    if room is not None and size * SELECTION_BYTES > room:  # the traces themselves may stream to a store: not here
        raise ValueError(
            f"record_v: {size} neurons need about {format_bytes(size * SELECTION_BYTES)} of memory only to list "
            f"them, before their traces ({format_bytes(size * steps * 8)}), more than the {format_bytes(room)} "
            "available; record fewer neurons (e.g. '0:100')"
        )


def parse_neuron_selection(selection: object, n: int) -> np.ndarray | None:
    """Turn ``record_v`` into neuron indices.

    Accepts None/False (nothing), True or ``"all"``, ``"a:b"`` or ``"a:b:s"``,
    ``"i,j,k"``, a ``slice``, or a sequence of ints; indices must be in ``0 .. n-1``.
    """
    if selection is None or selection is False:
        return None
    if selection is True or (isinstance(selection, str) and selection == "all"):
        return np.arange(n)
    if isinstance(selection, slice):
        indices = np.arange(n)[selection]
    elif isinstance(selection, str):
        indices = _parse_selection_text(selection, n)
    else:
        indices = np.asarray(selection)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"record_v: expected neuron indices (integers), got {_short(selection)}")
    indices = np.asarray(indices, dtype=np.int64).ravel()
    if indices.size == 0:
        raise ValueError(f"record_v: {_short(selection)} selects no neuron")
    if indices.min() < 0 or indices.max() >= n:
        raise ValueError(f"record_v: {_short(selection)} reaches outside neurons 0 .. {n - 1}")
    ranged = isinstance(selection, slice) or (isinstance(selection, str) and ":" in selection)  # distinct
    if not ranged and np.unique(indices).size != indices.size:
        raise ValueError(f"record_v: {_short(selection)} names a neuron twice")
    return indices


def _parse_selection_text(selection: str, n: int) -> np.ndarray:
    text = selection.strip()
    try:
        if ":" not in text:
            return np.array([int(p) for p in text.split(",")], dtype=np.int64)
        parts = [int(p) if p.strip() else None for p in text.split(":")]
        if len(parts) > 3:
            raise ValueError
        indices = np.arange(n)[slice(*parts)]
        if parts[0] is not None and not 0 <= parts[0] < n:
            raise IndexError
        if parts[1] is not None and not 0 <= parts[1] <= n:
            raise IndexError
        if len(parts) == 3 and parts[2] is not None and parts[2] < 1:
            raise ValueError
        return indices
    except ValueError:
        raise ValueError(
            f"record_v: cannot read {_short(selection)}; expected 'all', 'start:stop[:step]' (step >= 1) or 'i,j,k'"
        ) from None
    except IndexError:
        raise ValueError(f"record_v: {_short(selection)} reaches outside neurons 0 .. {n - 1}") from None


# ---------------------------------------------------------------- provenance


def stamp(command: str | None = None, config: dict | None = None) -> dict[str, object]:
    """What every file lifsim writes records about how it was made: versions, time, command, config."""
    import datetime
    import sys

    from . import __version__

    return {
        "lifsim_version": __version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "command": command,
        "config": config,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _from_dict(cls: type[RunRequest], meta: Mapping[str, Any], input_array: Any, source: str) -> RunRequest:
    run = meta.get("run") if isinstance(meta, Mapping) else None
    if not isinstance(run, dict):
        raise ValueError(f"{source}: the result has no run provenance (saved by an older lifsim?)")
    if run.get("stream") != "counter":
        raise ValueError(f"{source}: only runs on the default counter-based stream can be made again from a seed")
    check_stream_version(run, meta, source)
    try:
        given = {name: meta["params"][name] for name in PARAM_UNITS if name in meta["params"]}
        params = LIFParams(**given, round_steps=True)
        return cls(
            params=params,
            input=from_description(meta["input"], input_array),
            n=int(run["n"]),
            seed=int(run["seed"]),
            method=run["method"],
            spiking=_flag(run["spiking"]),
            steps=int(run["steps"]),
            engine=run["engine"],
            stream_version=int(run.get("stream_version", 1)),
            record=Record(
                v=run["record_v"],
                spikes=_flag(run["record_spikes"]),
                lags=tuple(int(lag) for lag in run["lags"]),
                snapshots=tuple(int(k) * params.dt for k in run["snapshot_steps"]),
            ),
            command=meta.get("command") if isinstance(meta.get("command"), str) else None,
            config=meta.get("config") if isinstance(meta.get("config"), dict) else None,
        )
    except KeyError as error:
        raise ValueError(f"{source}: the provenance lacks {str(error)[:100]}") from None
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{source}: its provenance asks for a run lifsim cannot make ({str(error)[:300]})") from None


def check_stream_version(run: Mapping[str, Any], meta: Mapping[str, Any], source: str) -> None:
    """Refuse, with the reason, a run made with another version of the random stream.

    Version 1 (lifsim before the portable normals; files without
    ``run["stream_version"]``) drew normals through the platform's libm and
    summed statistics in an order that depended on the machine, so this lifsim
    cannot make its bits again: a rerun would differ by design, not by a bug.
    """
    from . import __version__

    version = run.get("stream_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{source}: its provenance has an unreadable stream_version {str(version)[:40]!r}")
    if version in STREAM_VERSIONS:
        return
    made_by = str(meta.get("lifsim_version", "an older lifsim"))[:40]
    why = (
        "normals from the platform's libm and statistics summed in a machine-dependent order"
        if version == 1
        else "a stream this lifsim does not know"
    )
    raise ValueError(
        f"{source}: made with random stream version {version} ({why}) by lifsim {made_by}; lifsim {__version__} "
        f"draws stream versions {' and '.join(map(str, STREAM_VERSIONS))}, so a rerun here would differ by design, "
        "not by a bug. "
        f"Rerun it with lifsim {made_by}, or simulate it afresh"
    )


# ---------------------------------------------------------------- small checks


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {str(value)[:40]!r}")
    return value


def _grid_step(time: float | str, dt: float, steps: int) -> int:
    """The grid index of ``time`` (s); it must be a grid point inside the run."""
    value = to_si(time, "time", "snapshots")
    ratio = value / dt
    k = int(round(ratio)) if np.isfinite(ratio) and abs(ratio) < 2**62 else -1
    if k < 0 or abs(ratio - k) > 1e-6 or not k < steps:
        shown = repr(time) if isinstance(time, str) or not np.isfinite(value) else format_display(value, "time")
        last, step = format_display((steps - 1) * dt, "time"), format_display(dt, "time")
        hint = time_slip(value, (steps - 1) * dt)
        raise ValueError(
            f"snapshots: {shown} is not a time on the grid 0, dt, ..., {last} of the run (dt = {step}){hint}"
        )
    return k


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a million indices must not make a megabyte message)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a whole number >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: must be >= 1, got {value!r}")
    return int(value)


def _nonneg_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: expected whole numbers >= 0, got {value!r}")
    return int(value)
