"""Parameter sweeps: an ensemble at every point of a grid, with the theory beside it.

``lifsim.sweep(params, grid={"i_mean": ..., "tau": ...}, n=..., runner=...)``
simulates ``n`` neurons at every point of the grid (any model parameter, and
the input's ``sigma`` or ``amplitude``) and returns one ``xarray.Dataset``
with a dimension per swept name: the stationary rate (Hz) and its standard
error, the CV of the ISIs, the Fano factor, the stationary mean (V) and
variance (V**2) of V, and the matching theory on the same grid (the
rate of the update's Markov chain on the grid or the noise-free rate on the grid, the
continuous-time rate, the closed-form moments of the free membrane).

Seeds: the point with flat index ``p`` (C order over the grid's names, in
the order given) uses seed ``seed * 2**32 + p``, so a point gives the same
numbers whether run alone (``lifsim.simulate(..., seed=point_seed(seed, p))``)
or inside the sweep, on one process or on a Dask cluster.

Resumable: written to a ``.zarr`` store, each finished point lands in the
store as it completes (its values first, then its ``done`` mark); after a
crash, Ctrl-C or a killed client, the same command with ``resume=True``
(``--resume``) runs only the missing points, and the store ends bitwise equal
to an uninterrupted sweep's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomic import check_path_type
from .defaults import FI, STUDY_PROFILE, SWEEP
from .errors import PlausibilityWarning, user_stacklevel
from .grid import SWEPT_INPUT, GridPoints, check_grid, parse_grid
from .grid import grid_dimension as _dimension
from .params import LIFParams, profile
from .reduce import variance_from_m2
from .runners.base import point_progress
from .sweep_store import SweepStore, compare_sweeps, load_sweep, per_step_time
from .units import format_display, parse_int, time_slip, to_si

if TYPE_CHECKING:
    from .fi import FICurve
    from .planning import RunEstimate

__all__ = [
    "sweep",
    "rerun_sweep",
    "compare_sweeps",
    "sweep_request",
    "fi_curve",
    "parse_grid",
    "point_seed",
    "SWEPT_INPUT",
    "INPUT_KINDS",
    "load_sweep",
    "OUTPUTS",
]

#: the input kinds a sweep drives its neurons with
INPUT_KINDS = ("white", "constant", "uniform")
#: the version of a neuron sweep's measure of a point's rate (:func:`measure_point`), kept in its store's spec:
#: 2 counts the spikes after the transient's grid point (1 counted those at it too) and gives the larger of the
#: neurons' and the edge standard errors (1: the neurons'); 3 has the grid chain's theory of uniform noise without a
#: Richardson step and Siegert's rate where weak noise spreads spikes over many steps (2's ``rate_theory`` was
#: 0.3-2 % off there), and one neuron's error with Cox's term for where the window's edges fall on its train;
#: a store measured by another is not resumed
MEASURE = 3
#: the per-point outputs: name -> (units, description)
OUTPUTS = {
    "rate": ("Hz", "spikes per neuron per second after the transient"),
    "rate_sem": (
        "Hz",
        "standard error of the rate: the larger of std(per-neuron rates) / sqrt(n) and the edge error of neurons "
        "firing in step (lifsim.spikes.window_rate); 1 / mean ISI's for a noise-free drive",
    ),
    "cv": ("1", "coefficient of variation of the pooled ISIs after the transient"),
    "fano": ("1", "Fano factor of the spike counts in windows of fano_window after the transient"),
    "v_mean": ("V", "mean over the steps after the transient of the population mean of V"),
    "v_var": ("V**2", "mean over the steps after the transient of the population variance of V (ddof 1)"),
    "rate_theory": ("Hz", "theory of the simulated grid: its update's Markov chain, or the noise-free neuron"),
    "rate_theory_continuous": ("Hz", "continuous-time theory: Siegert rate, or the deterministic f-I curve"),
    "v_mean_theory": (
        "V",
        "theory of v_mean: with spiking the mean of the stationary distribution of the grid's chain "
        "(lifsim.theory.stationary_v_moments; NaN where it has none), without the free membrane's closed form "
        "averaged like v_mean",
    ),
    "v_var_theory": (
        "V**2",
        "theory of v_var: with spiking the variance of the stationary distribution of the grid's chain (NaN where "
        "it has none), without the free membrane's closed form averaged like v_var",
    ),
}


def point_seed(seed: int, index: int) -> int:
    """The seed of the grid point with flat index ``index``: ``seed * 2**32 + index``."""
    return int(seed) * 2**32 + int(index)


#: the largest seed of a sweep: its points' seeds (:func:`point_seed`) stay below the streams' 2**128
MAX_SWEEP_SEED = 2**96 - 1


def sweep_seed(raw: object) -> int:
    """A sweep's seed, checked against :data:`MAX_SWEEP_SEED` (the message quoted a point's derived seed)."""
    seed = parse_int(raw, "seed", 0)
    if seed > MAX_SWEEP_SEED:
        raise ValueError(
            f"seed: a sweep's point p runs with seed * 2**32 + p, below 2**128, so its seed is at most 2**96 - 1, "
            f"got {seed}"
        )
    return seed


@dataclass(frozen=True)
class _Spec:
    """Everything that defines a sweep's numbers (what a store must match to be resumed)."""

    params: dict
    grid: dict
    input: str
    sigma: float | None
    amplitude: float | None
    n: int
    seed: int
    method: str
    transient: float
    spiking: bool
    per_step: bool
    fano_window: float
    stream: str
    model: str = "neuron"  #: what runs at each point: "neuron" (an ensemble) or "network" (Brunel's)
    #: how a neuron sweep's point measures its rate (:data:`MEASURE`); a store measured otherwise is not resumed
    measure: int = 0

    def digest(self) -> str:
        fields = dict(self.__dict__)
        if fields["model"] == "neuron":
            del fields["model"]  # the digest of a neuron sweep is what it was before networks could be swept
        if not fields["measure"]:
            del fields["measure"]  # a network sweep's (its own measure), or a spec read back from an older store
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @property
    def outputs(self) -> dict[str, tuple[str, str]]:
        """The per-point outputs of this sweep's model: name -> (units, description)."""
        if self.model == "network":
            from .network.sweep import OUTPUTS as NETWORK_OUTPUTS

            return NETWORK_OUTPUTS
        return OUTPUTS

    @property
    def stream_version(self) -> int:
        """The random stream version every point draws (:mod:`lifsim.streams`), from ``stream``."""
        return int(self.stream.rsplit("/", 1)[1])

    def unit(self, name: str) -> str:
        """The SI unit of the swept name ``name``."""
        if self.model == "network":
            from .network.sweep import units

            return units(name)
        return _display_unit_si(name)


def _point_params(spec: _Spec, base: Any, names: Sequence[str], values: Sequence[float]) -> tuple[Any, Any]:
    """The point's model (``LIFParams`` and its drive, or ``BrunelParams`` and None)."""
    from . import inputs

    if spec.model == "network":
        from .network.sweep import point_params

        return point_params(base, names, values), None

    model = {name: value for name, value in zip(names, values) if name not in SWEPT_INPUT}
    settings = {"sigma": spec.sigma, "amplitude": spec.amplitude}
    settings.update({name: value for name, value in zip(names, values) if name in SWEPT_INPUT})
    params = base.replace(**model) if model else base
    drive: Any
    if spec.input == "constant":
        drive = inputs.constant(params.i_mean)
    elif spec.input == "white":
        assert settings["sigma"] is not None  # checked by sweep()
        drive = inputs.white_noise(params.i_mean, sigma=settings["sigma"])
    else:
        drive = inputs.uniform_noise(params.i_mean, settings["amplitude"])
    return params, drive


def _check_point(spec: _Spec, base: Any, names: Sequence[str], values: Sequence[float], engine: str = "auto") -> None:
    """Raise ValueError or TypeError if the point ``values`` cannot run (see :func:`lifsim.grid.check_grid`)."""
    point_params, _drive = _point_params(spec, base, names, values)
    if spec.model == "network":
        from .network.run import choose_engine
        from .network.theory import memory_rate

        # numpy's build needs 8 times numba's memory; spikes at the mean-field rate where it is above 100 Hz
        point_params.check_memory(engine=choose_engine(engine), theory_rate=memory_rate(point_params))
        point_params.warn_plausibility()  # a slip of units, said before any point runs
    else:
        if spec.method == "euler":
            point_params.check_method("euler")
        for note in point_params.notes():  # round_steps: the period a point runs, said once per distinct rounding
            warnings.warn(f"round_steps: {note}", PlausibilityWarning, stacklevel=user_stacklevel())


#: most points whose memory a sweep checks before the first runs (each is a theory rate, a few milliseconds)
MEMORY_PROBES = 256


def _check_memory(spec: _Spec, base: Any, points: GridPoints) -> None:
    """Refuse the sweep before any point runs when a point's run (its spike list at the theory's rate) cannot
    fit in this process's memory: a point of a high rate failed after the others had run, and a .npz or .nc
    lost them.  Every point of a grid of up to :data:`MEMORY_PROBES`; of a larger one, its corners (where the
    rate and the steps, monotonic in the swept names, are largest) and points spread evenly over it."""
    from .simulation import check_run_memory

    total = len(points)
    if total <= MEMORY_PROBES:
        flats: Iterable[int] = range(total)
    else:
        ends = [(0, size - 1) for size in points.shape]
        corners = {int(np.ravel_multi_index(corner, points.shape)) for corner in itertools.product(*ends)}
        flats = sorted(set(list(corners)[:MEMORY_PROBES]) | set(np.linspace(0, total - 1, MEMORY_PROBES, dtype=int)))
    for flat in flats:
        _flat, values = points[int(flat)]
        params, drive = _point_params(spec, base, points.names, values)
        try:
            check_run_memory(
                params, drive, n=spec.n, method=spec.method, spiking=spec.spiking, record_spikes=spec.spiking
            )
        except ValueError as error:
            raise ValueError(f"grid point {points.describe(values)}: {error}") from None


def measure_point(
    params: Any,
    drive: Any,
    spec: _Spec,
    seed: int,
    engine: str = "auto",
    runner: Any = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Simulate one grid point and return its outputs (``spec.outputs``: :data:`OUTPUTS`, SI; per-step arrays if
    asked; a network sweep's point gives :data:`lifsim.network.sweep.OUTPUTS`).

    The rate after the transient: spikes per neuron per second with noise;
    ``1 / mean ISI`` for a noise-free drive, whose regular train a count in a
    window gets wrong by up to one spike (its standard error then comes from
    the spread of the intervals, counted in whole steps: 0 for a regular train).
    """
    if spec.model == "network":  # Brunel's network at this point (lifsim.network.sweep): its own measure
        from .network.sweep import measure

        return measure(params, seed, engine, threads)
    from . import theory
    from .simulation import simulate
    from .spikes import after_transient, cv_isi, fano_factor

    run = simulate(
        params,
        drive,
        n=spec.n,
        seed=seed,
        stream_version=spec.stream_version,
        method=spec.method,  # type: ignore[arg-type]
        spiking=spec.spiking,
        engine=engine,
        record_spikes=spec.spiking,
        progress=False,
        runner=runner,
        threads=threads,
    )
    steps = run.steps
    # the updates after the transient: the spikes at grid points first + 1 .. steps - 1 (those at `first` too, over
    # the same length, made every rate 0.11 % too high at 1 ms steps over 0.9 s: 11 standard errors of 8,000 neurons)
    first, duration = after_transient(spec.transient, params.dt, steps)
    out: dict[str, Any] = {}
    if spec.spiking:
        spike_t, spike_i = run.spikes()
        late = spike_t > (first + 0.5) * params.dt
        out["rate"], out["rate_sem"] = _rate(spike_t, spike_i, spec.n, first, steps, params, drive)
        out["cv"] = float(cv_isi(spike_t[late], spike_i[late], dt=params.dt))
        window = min(spec.fano_window, duration)
        out["fano"] = float(fano_factor(spike_t, spike_i, spec.n, window, spec.transient, (steps - 1) * params.dt))
    else:
        out.update(rate=math.nan, rate_sem=math.nan, cv=math.nan, fano=math.nan)
    out["v_mean"] = float(np.mean(run.v_mean[first:]))
    out["v_var"] = float(np.mean(run.v_var(1)[first:])) if spec.n > 1 else math.nan
    found = theory.stationary_rate(params, drive, spec.method)
    out["rate_theory"] = found[0] if found is not None else math.nan
    i_mean = float(drive.mean_current(0.0, params))
    variance = theory.noise_variance_per_step(drive, params)
    if variance == 0.0:
        out["rate_theory_continuous"] = float(theory.fi_deterministic(params, i_mean)[()])
    else:
        sigma = params.r * math.sqrt(variance * params.dt / params.tau)
        out["rate_theory_continuous"] = float(theory.siegert_rate(params, sigma, i_mean))
    out["v_mean_theory"], out["v_var_theory"] = _v_theory(spec, params, drive, steps, first)
    if spec.per_step:
        out["v_mean_t"] = run.v_mean
        out["v_var_t"] = variance_from_m2(run.v_m2, run.n, 1)  # NaN for one neuron: no ddof-1 variance
    return out


def _v_theory(spec: _Spec, params: Any, drive: Any, steps: int, first: int) -> tuple[float, float]:
    """The theory of a point's ``v_mean`` and ``v_var`` (V, V**2): the free membrane's moments averaged over the
    grid points after ``first``; with spiking, the stationary distribution of the grid's chain (the free membrane
    ignores the threshold: -20 mV beside a simulated -61 mV at 400 pA), or, where the chain has none (no noise,
    or noise too weak for its cells), the free membrane's where it stays 5 standard deviations below threshold
    (spikes too rare to move V), else NaN."""
    from . import theory

    moments = theory.euler_moments(params, drive, steps=steps, method=spec.method)
    mean, var = moments.mean[first:], moments.var[first:]
    free = float(np.mean(mean)), float(np.mean(var))
    if not spec.spiking:
        return free
    found = theory.stationary_v_moments(params, drive, spec.method)
    if found is not None:
        return found
    return free if bool(np.all(mean + 5.0 * np.sqrt(var) < params.vth)) else (math.nan, math.nan)


def _rate(
    spike_t: np.ndarray, spike_i: np.ndarray, n: int, first: int, steps: int, params: Any, drive: Any
) -> tuple[float, float]:
    """The rate (Hz) after grid point ``first`` and its standard error (see :func:`measure_point`)."""
    from .spikes import isi, window_rate
    from .theory import noise_variance_per_step

    if noise_variance_per_step(drive, params) == 0.0:  # no noise, or noise of strength 0: a regular train
        late = spike_t > (first + 0.5) * params.dt
        steps_between = np.rint(isi(spike_t[late], spike_i[late]) / params.dt)
        if not steps_between.size:  # no interval in the window: none fired (exactly 0 Hz, nothing random), or a
            # spike a neuron, which the count measures as it can
            return (0.0, 0.0) if not late.any() else window_rate(spike_t, spike_i, n, first, steps, params.dt)
        rate = 1.0 / (steps_between.mean() * params.dt)
        if steps_between.size < 2:
            return float(rate), 0.0
        return float(rate), float(rate * steps_between.std() / steps_between.mean() / np.sqrt(steps_between.size))
    return window_rate(spike_t, spike_i, n, first, steps, params.dt)


def _batch_task(
    spec: _Spec, base: LIFParams, names: tuple[str, ...], engine: str, points: list[tuple[int, tuple[float, ...]]]
) -> list[tuple[int, dict[str, Any]]]:
    """Run on a worker: several small grid points, one after the other."""
    from .runners.dask import use_worker_threads

    use_worker_threads()
    done = []
    for flat, values in points:
        params, drive = _point_params(spec, base, names, values)
        done.append((flat, measure_point(params, drive, spec, point_seed(spec.seed, flat), engine)))
    return done


_SI_UNITS = {"time": "s", "voltage": "V", "current": "A", "resistance": "Ohm", "dimensionless": "1"}


def _display_unit_si(name: str) -> str:
    """The SI unit of a swept name's values."""
    return _SI_UNITS.get(_dimension(name), "1")


def _make_spec(
    params: LIFParams | None,
    grid: Any,
    input: str,  # noqa: A002
    sigma: float | str | None,
    amplitude: float | str | None,
    n: int,
    seed: int,
    method: str,
    transient: float | str,
    spiking: bool,
    per_step: bool,
    fano_window: float | str,
    stream_version: int = SWEEP["stream_version"],
) -> tuple[LIFParams, dict[str, tuple[float, ...]], _Spec]:
    """Check a sweep's arguments; return its parameters, its grid and its :class:`_Spec`."""
    from .streams import check_version
    from .units import parse_int

    params = profile(STUDY_PROFILE) if params is None else params
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    coords = parse_grid(grid, "grid")
    if input not in INPUT_KINDS:
        raise ValueError(f"input: expected one of {', '.join(INPUT_KINDS)}, got {input!r}")
    if "sigma" in coords and input != "white":
        raise ValueError("grid: sigma is swept only with input 'white'")
    if "amplitude" in coords and input != "uniform":
        raise ValueError("grid: amplitude is swept only with input 'uniform'")
    _warn_unused_settings(input, sigma=sigma, amplitude=amplitude)
    sigma_v = to_si(sigma, "voltage", "sigma") if (input == "white" and sigma is not None) else None
    if input == "white" and sigma_v is None and "sigma" not in coords:
        raise ValueError("sigma: white input needs sigma (V)")
    amplitude_v = None
    if input == "uniform" and amplitude is not None:
        amplitude_v = to_si(amplitude, "dimensionless", "amplitude")
    transient_s = to_si(transient, "time", "transient")
    fano_s = to_si(fano_window, "time", "fano_window")
    if not fano_s > 0:
        raise ValueError(f"fano_window: must be > 0 ms, got {format_display(fano_s, 'time')}")
    duration = (params.steps - 1) * params.dt - transient_s
    if not transient_s >= 0:
        raise ValueError(f"transient: must be >= 0 ms, got {format_display(transient_s, 'time')}")
    if not duration > 0:
        if transient_s == SWEEP["transient"]:  # the default transient (fi's too): the run is what was shortened
            raise ValueError(
                f"t_max: the run ({format_display(params.t_max, 'time')}) must be longer than the transient "
                f"({format_display(transient_s, 'time')}) its rates leave out; run longer, or give a shorter transient"
            )
        raise ValueError(  # --transient 50: 50 s, not 50 ms
            f"transient: {format_display(transient_s, 'time')} must be shorter than the run "
            f"({format_display(params.t_max, 'time')})" + time_slip(transient_s, (params.steps - 1) * params.dt)
        )
    # a window given longer than the part measured is cut to it (the default's, of a short run, without a word)
    if fano_s > duration and fano_s != SWEEP["fano_window"]:  # --fano-window 20 is 20 s
        warnings.warn(
            f"fano_window: {format_display(fano_s, 'time')} is longer than the run after the transient "
            f"({format_display(duration, 'time')}): the Fano factor counts spikes in windows of "
            f"{format_display(duration, 'time')}{time_slip(fano_s, duration)}",
            PlausibilityWarning,
            stacklevel=user_stacklevel(),
        )
    n = parse_int(n, "n", 1)
    seed = sweep_seed(seed)
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    spec = _Spec(
        params=params.as_dict(),
        grid={k: list(v) for k, v in coords.items()},
        input=input,
        sigma=sigma_v,
        amplitude=amplitude_v,
        n=n,
        seed=seed,
        method=method,
        transient=transient_s,
        spiking=bool(spiking),
        per_step=bool(per_step),
        fano_window=fano_s,
        stream=f"counter-splitmix64/{check_version(stream_version)}",
        measure=MEASURE,
    )
    return params, coords, spec


def _warn_unused_settings(input: str, **settings: Any) -> None:  # noqa: A002
    """Warn of each setting given that the sweep's ``input`` does not use (:func:`lifsim.inputs.unused_setting`):
    ``sigma`` with constant input was dropped without a word.  A setting left at its default (``sigma``'s 5 mV,
    :data:`lifsim.defaults.SWEEP`, the very object) is not one given."""
    from .inputs import unused_setting

    for name, value in settings.items():
        if value is None or value is SWEEP[name]:
            continue
        if unused := unused_setting(name, input):
            shown = format_display(to_si(value, _dimension(name), name), _dimension(name))
            text = f"{unused}; the {name} given ({shown}) is ignored"
            warnings.warn(text, PlausibilityWarning, stacklevel=user_stacklevel())


def _network_dimensions() -> dict[str, str]:
    """The dimension of each name a network sweep takes, for its messages (``delay=1.5 ms``)."""
    from .network.model import SWEEPABLE_DIMENSIONS

    return dict(SWEEPABLE_DIMENSIONS)


def _is_network(params: Any) -> bool:
    """Whether ``params`` is a network's (:class:`lifsim.network.BrunelParams`), without importing the network."""
    return type(params).__name__ == "BrunelParams" and type(params).__module__.startswith("lifsim.network")


def _make_network_spec(params: Any, grid: Any, seed: int, **neuron_only: Any) -> tuple[Any, dict, _Spec]:
    """A network sweep's parameters, grid and :class:`_Spec` (see :mod:`lifsim.network.sweep`).

    The neuron sweep's keywords (``input``, ``sigma``, ``n``, ...) do not apply: the network's
    model is ``params``; ``seed`` is the sweep's seed, or ``params.seed`` when ``seed`` is left at 0.
    """
    from .network.analysis import SYNCHRONY_BIN, analysis_start
    from .network.model import SWEEPABLE_DIMENSIONS as DIMENSIONS
    from .streams import STREAM_VERSION

    for name, value in neuron_only.items():
        if value != SWEEP[name]:
            raise ValueError(
                f"{name}: a network sweep takes its model from BrunelParams; {name} applies to neuron sweeps only"
            )
    coords = parse_grid(grid, "grid", DIMENSIONS)
    seed = sweep_seed(seed) or sweep_seed(params.seed)  # the neuron sweeps' rule: point seeds below 2**128
    spec = _Spec(
        params={**params.as_dict(), "seed": 0},  # each point's network seed is point_seed(seed, p)
        grid={k: list(v) for k, v in coords.items()},
        input="network",
        sigma=None,
        amplitude=None,
        n=params.n,
        seed=seed,
        method="exact",
        transient=analysis_start(params) * params.dt,
        spiking=True,
        per_step=False,
        fano_window=SYNCHRONY_BIN,
        stream=f"counter-splitmix64/{STREAM_VERSION}",
        model="network",
    )
    return params, coords, spec


def sweep_request(params: Any, grid: Any, *, seed: int = SWEEP["seed"], **settings: Any) -> dict:
    """The request (``attrs["lifsim_meta"]["sweep"]`` of its file) that :func:`sweep` with these arguments makes,
    as JSON reads it back: every value checked, nothing run (:func:`rerun_sweep` compares it with a stored
    one before running a sweep again).  ``settings``: :func:`sweep`'s ``input`` .. ``fano_window`` and
    ``stream_version``; those left out take the sweep's defaults (:data:`lifsim.defaults.SWEEP`)."""
    names = ("input", "sigma", "amplitude", "n", "method", "transient", "spiking", "per_step", "fano_window")
    full = {name: settings.pop(name, SWEEP[name]) for name in names}
    stream_version = settings.pop("stream_version", SWEEP["stream_version"])
    if settings:
        raise TypeError(f"sweep_request: unexpected {sorted(settings)}")
    make: Callable[..., tuple[Any, dict, _Spec]] = _make_network_spec if _is_network(params) else _make_spec
    spec = make(params, grid, seed=seed, stream_version=stream_version, **full)[2]
    return dict(json.loads(json.dumps(spec.__dict__, default=str)))


def sweep(
    params: LIFParams | None = None,
    grid: Mapping[str, Any] | Sequence[str] | str | None = None,
    *,
    input: str = SWEEP["input"],  # noqa: A002  (the CLI's --input)
    sigma: float | str | None = SWEEP["sigma"],
    amplitude: float | str | None = SWEEP["amplitude"],
    n: int = SWEEP["n"],
    seed: int = SWEEP["seed"],
    stream_version: int = SWEEP["stream_version"],
    method: str = SWEEP["method"],
    transient: float | str = SWEEP["transient"],
    spiking: bool = SWEEP["spiking"],
    per_step: bool = SWEEP["per_step"],
    fano_window: float | str = SWEEP["fano_window"],
    engine: str = SWEEP["engine"],
    threads: int | None = None,
    runner: Any = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    command: str | None = None,
    config: dict | None = None,
    dry_run: bool = False,
) -> Any:
    """Simulate ``n`` neurons at every point of ``grid`` and return an ``xarray.Dataset`` (see the module).

    Parameters
    ----------
    params : LIFParams or BrunelParams, optional
        The parameters every point starts from; by default the ``study`` profile
        (1 s at 0.1 ms), as ``lifsim sweep`` (its defaults: :data:`lifsim.defaults.SWEEP`).
        A :class:`~lifsim.network.BrunelParams` sweeps Brunel's network instead: see
        :mod:`lifsim.network.sweep` (the neuron-only keywords below do not apply).
    grid : mapping or list of str
        ``{"i_mean": "0:400pA:21", "tau": ["10 ms", "20 ms"]}`` or
        ``["i_mean=0:400pA:21", "tau=10ms,20ms"]``: any model parameter but
        dt and t_max, and ``sigma`` (white input) or ``amplitude`` (uniform).
    input : {"white", "constant", "uniform"}
        The drive: ``I_mean`` plus white noise of ``sigma`` (V), constant ``I_mean``, or the tutorial's uniform
        noise of relative ``amplitude`` (None: the tutorial's ``0.1 sqrt(t_max / dt)``, as
        :func:`lifsim.inputs.uniform_noise`); one given for an input that does not use it is ignored, with a warning.
    n, seed, stream_version, method, spiking, engine, threads
        As in :func:`lifsim.simulate`; point ``p`` uses ``point_seed(seed, p)``; a store keeps the stream version.
    transient : float or str
        Initial time (s) left out of every stationary estimate.
    per_step : bool
        Also keep each point's per-step mean and variance of V (dimension ``t``).
    fano_window : float or str
        Counting window (s) of the Fano factor.
    runner : None, int, str or dask.distributed.Client
        As in :func:`lifsim.simulate`: small points are batched into tasks,
        a point too large for one task spans several; the numbers do not change.
    store : path, optional
        A ``.zarr`` store that receives each point as it finishes; with
        ``resume=True`` an interrupted store is finished (only the missing
        points run).
    overwrite : bool
        Replace an existing ``store`` (otherwise refused before anything runs, unless resuming).
    progress : callable or bool, optional
        ``progress(points_done, points_total)``, or True for a bar on stderr (:func:`point_progress`).
    dry_run : bool
        Check everything, calibrate on the first point, and return a
        :class:`lifsim.planning.RunEstimate` instead of running.
    """
    from .request import stamp

    point_progress(False if progress is True else progress)  # a bad progress refused now; the bar comes later
    target = _store_path(store)
    settings: dict[str, Any] = dict(input=input, sigma=sigma, amplitude=amplitude, n=n, method=method)
    settings |= dict(transient=transient, spiking=spiking, per_step=per_step, fano_window=fano_window)
    make: Callable[..., tuple[Any, dict, _Spec]] = _make_network_spec if _is_network(params) else _make_spec
    params, coords, spec = make(params, grid, seed=seed, stream_version=stream_version, **settings)
    names = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    total = math.prod(shape)
    # every point is checked before any runs (a bad tau at the grid's far corner fails now, not in an hour)
    points = GridPoints(coords, None if spec.model == "neuron" else _network_dimensions())
    check_grid(points, lambda values: _check_point(spec, params, names, values, engine))
    if spec.model == "neuron" and runner is None:  # this process runs the points (a cluster's workers check theirs)
        _check_memory(spec, params, points)
    if dry_run:
        return _estimate_sweep(spec, params, names, points, engine, runner)
    sweep_store = None if target is None else _store_of(target, spec, coords, params.steps, stamp(command, config))
    done_mask = np.zeros(shape, dtype=bool) if sweep_store is None else sweep_store.open(bool(resume), overwrite)
    todo = [(flat, values) for flat, values in points if not done_mask.ravel()[flat]]
    bar = point_progress(progress)  # after every check: no empty bar beside an error or a dry run
    results = _run_points(spec, params, names, todo, total, sweep_store, engine, threads, runner, bar)
    seeds = "point p (flat C-order index over the grid) uses seed * 2**32 + p"
    meta = {"kind": "sweep", "sweep": spec.__dict__, "seeds": seeds, **stamp(command, config)}
    if sweep_store is not None and sweep_store.resumed:  # finished by this call: begun by another, kept here
        meta["started"] = sweep_store.started
    ds = _dataset(spec, coords, results, params.steps) if sweep_store is None else sweep_store.finish(meta)
    _warn_unsettled(spec, ds)
    _warn_short_window(spec, params, ds)
    ds.attrs = {"lifsim_meta": json.dumps(meta, default=str), "title": "lifsim sweep"}
    return ds


def _stored_request(ds: Any, source: str) -> dict:
    """The sweep request a loaded sweep records; ``ValueError`` naming ``source`` when it holds none."""
    try:
        spec = json.loads(ds.attrs["lifsim_meta"])["sweep"]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{source}: its provenance holds no sweep request to run again") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{source}: its provenance holds no sweep request to run again")
    return spec


def _call(spec: dict, source: str) -> tuple[Any, dict, dict]:
    """``(params, grid, keywords)`` of the :func:`lifsim.sweep` call that makes the request ``spec`` again."""
    if spec.get("model") != "network" and spec.get("measure") != MEASURE:  # (a network's is the network's own)
        raise ValueError(
            f"{source}: measured by another version of lifsim's sweep measurement ({spec.get('measure')!r}; this "
            f"lifsim measures version {MEASURE}), so it cannot be made again bit for bit here"
        )
    grid = {str(name): list(values) for name, values in dict(spec["grid"]).items()}
    if spec.get("model") == "network":
        from .network.model import BrunelParams

        return BrunelParams(**dict(spec["params"])), grid, {"seed": int(spec["seed"])}
    stream = str(spec["stream"])
    keywords = {name: spec[name] for name in ("input", "sigma", "amplitude", "n", "method", "transient")}
    keywords |= {name: spec[name] for name in ("spiking", "per_step", "fano_window")}
    keywords |= {"seed": int(spec["seed"]), "stream_version": int(stream.rsplit("/", 1)[-1])}
    return LIFParams(**dict(spec["params"])), grid, keywords


def rerun_sweep(
    saved: Any,
    *,
    store: str | os.PathLike | None = None,
    overwrite: bool = False,
    runner: Any = None,
    progress: Any = None,
    source: str | None = None,
    dry_run: bool = False,
) -> Any:
    """Run a saved sweep (``saved``: its path, or the ``xarray.Dataset`` :func:`lifsim.load_sweep` gave) again from its
    provenance: :func:`lifsim.sweep` of the stored request; returns the new sweep's ``xarray.Dataset``.

    ``store``: a ``.zarr`` store that receives the new points as they finish (``overwrite``: replace it; never
    the sweep being rerun).  ``runner``: as in :func:`lifsim.sweep` (the numbers do not change).  ``dry_run``:
    return the sweep's :class:`~lifsim.planning.RunEstimate` instead of running it.  Compare the new sweep with
    the stored one by :func:`lifsim.sweep_store.compare_sweeps`.  Raises
    ``ValueError`` naming the file when its provenance is missing, damaged, measured by another version of the
    measurement, or asks for what this lifsim makes otherwise (the request made is compared with the stored one
    before anything runs).
    """
    if not hasattr(saved, "attrs"):
        source = str(saved)
        saved = load_sweep(saved)
    source = source or "rerun_sweep"
    spec = _stored_request(saved, source)
    if store is not None and source != "rerun_sweep":
        from .store import refuse_same

        refuse_same(source, store, "store")
    try:
        params, grid, keywords = _call(spec, source)
        remade = sweep_request(params, grid, **keywords)  # before anything runs: the stored request, made again
        if remade != spec:
            changed = sorted(name for name in set(spec) | set(remade) if spec.get(name) != remade.get(name))
            raise ValueError(f"{source}: this lifsim makes another request of its provenance (it differs in {changed})")
        command = f"rerun of: {str(json.loads(saved.attrs['lifsim_meta']).get('command') or 'a Python call')[:1000]}"
        if dry_run:
            return sweep(params, grid, runner=runner, dry_run=True, **keywords)
        kept = dict(store=store, overwrite=overwrite, runner=runner, progress=progress, command=command)
        again = sweep(params, grid, **kept, **keywords)
    except (TypeError, ValueError, OverflowError, KeyError) as error:
        if str(error).startswith(source):
            raise
        raise ValueError(f"{source}: its provenance asks for a sweep lifsim cannot make ({str(error)[:300]})") from None
    return again


def _store_path(store: Any) -> Path | None:
    """A sweep's ``store`` as a path (None: no store); ``TypeError`` for what is no path, ``ValueError`` for one
    that is not a ``.zarr`` store."""
    if store is None:
        return None
    check_path_type(store, "store")
    target = Path(store)
    if target.suffix != ".zarr":
        raise ValueError(f"store: a sweep is written point by point into a .zarr store, got {str(target)!r}")
    return target


#: CV**2 times the intervals a transient holds below which neurons started together have not forgotten their start
#: (their common rhythm decays as exp(-2 pi**2 CV**2 n) over n intervals: below 0.15, more than 5 % of it is left)
UNSETTLED = 0.15


def _warn_unsettled(spec: _Spec, ds: Any) -> None:
    """Warn once when points' transients held too few intervals for their neurons, all started at V0, to forget
    that start (:data:`UNSETTLED`): their rates carry a bias that ``rate_sem`` does not (a regular train, CV 0, is
    measured by its intervals and has none)."""
    if spec.model != "neuron" or not spec.spiking:
        return
    rate, cv = np.asarray(ds["rate"].values), np.asarray(ds["cv"].values)
    unsettled = np.isfinite(cv) & (cv > 0) & (rate > 0) & (cv**2 * rate * spec.transient < UNSETTLED)
    if unsettled.any():
        warnings.warn(
            f"transient: at {_which_points(ds, unsettled)} the "
            f"{spec.transient * 1e3:g} ms transient held too few intervals for neurons started together at V0 to "
            "forget their start (CV**2 x intervals < 0.15): their rates may be off the stationary theory by more "
            "than rate_sem; a longer transient removes that",
            PlausibilityWarning,
            stacklevel=user_stacklevel(),
        )


def _which_points(ds: Any, where: np.ndarray) -> str:
    """``"2 of 9 points (i_mean = 0 pA the first)"``: how many of a sweep's points ``where`` marks, the first named."""
    first = np.unravel_index(int(np.flatnonzero(where)[0]), where.shape)
    named = ", ".join(
        f"{name} = {format_display(float(ds[name].values[i]), _dimension(name))}"
        for name, i in zip(ds["rate"].dims, first)
    )
    return f"{int(where.sum())} of {where.size} points ({named} the first)"


#: fewest intervals a neuron's window after the transient holds for the CV of its intervals to be read as is
SHORT_WINDOW = 10
#: the CV from which a train is irregular enough for its long intervals to outlast a short window
IRREGULAR = 0.2


def _warn_short_window(spec: _Spec, params: Any, ds: Any) -> None:
    """Warn once when points' windows after the transient held fewer than :data:`SHORT_WINDOW` intervals a neuron:
    intervals longer than the window never end in it, so the CV of those it holds is low (0.52 at 0 pA, 0.72 Hz
    over 0.9 s, where the theory's is 0.96)."""
    if spec.model != "neuron" or not spec.spiking:
        return
    t_max = ds["t_max"] if "t_max" in ds.coords else params.t_max
    held = np.asarray((ds["rate"] * (t_max - spec.transient)).values)
    cv = np.asarray(ds["cv"].values)
    short = np.isfinite(cv) & (cv >= IRREGULAR) & (held < SHORT_WINDOW)  # a regular train's intervals all end
    if short.any():
        warnings.warn(
            f"cv: at {_which_points(ds, short)} the window after the transient "
            f"held fewer than {SHORT_WINDOW} intervals a neuron (rate x window): intervals longer than the window "
            "never end in it, so the CV of those it holds is too low; a longer t_max removes that",
            PlausibilityWarning,
            stacklevel=user_stacklevel(),
        )


def _store_of(target: Path, spec: _Spec, coords: dict, steps: int, started: dict[str, Any]) -> SweepStore:
    """The sweep's store at ``target`` (not yet opened); ``started``: this call's stamp, kept in a store it begins."""
    units = {name: spec.unit(name) for name in coords}
    return SweepStore(target, spec, coords, steps, outputs=spec.outputs, units=units, started=started)


def _run_points(
    spec: _Spec,
    params: LIFParams,
    names: tuple[str, ...],
    todo: list[tuple[int, tuple[float, ...]]],
    total: int,
    sweep_store: SweepStore | None,
    engine: str,
    threads: int | None,
    runner: Any,
    progress: Callable[[int, int], None] | None,
) -> dict[int, dict[str, Any]]:
    """Run the points ``todo`` here or on a cluster; each lands in the store (or the returned dict) when done."""
    results: dict[int, dict[str, Any]] = {}
    finished = total - len(todo)
    if progress is not None:
        progress(finished, total)

    def land(flat: int, values: dict[str, Any]) -> None:
        nonlocal finished
        if sweep_store is not None:
            sweep_store.write(flat, values)
        else:
            results[flat] = values
        finished += 1
        if progress is not None:
            progress(finished, total)

    cluster = None
    try:
        if runner is not None:
            from .runners.dask import Dask

            dask_runner = runner if isinstance(runner, Dask) else Dask(runner)
            cluster = dask_runner.connect()
        if cluster is None:
            for flat, values in todo:
                point_params, drive = _point_params(spec, params, names, values)
                seed = point_seed(spec.seed, flat)
                land(flat, measure_point(point_params, drive, spec, seed, engine, threads=threads))
        else:
            _run_on_cluster(dask_runner, cluster, spec, params, names, todo, engine, land)
    except BaseException:
        if sweep_store is not None:
            sweep_store.close()  # the writer's lock; what is written stays for resume=True
        raise
    finally:
        if cluster is not None:
            cluster.close()
    return results


def _estimate_sweep(
    spec: _Spec,
    base: LIFParams,
    names: tuple[str, ...],
    points: Sequence[tuple[int, tuple[float, ...]]],
    engine: str,
    runner: Any,
) -> Any:
    """A sweep's :class:`~lifsim.planning.RunEstimate`: its middle point calibrated, the rest scaled."""
    from .planning import RunEstimate
    from .simulation import estimate

    if spec.model == "network":
        return _estimate_network_sweep(spec, base, names, points, engine)
    middle, values = points[len(points) // 2]  # a typical point (the first is often a silent corner)
    params, drive = _point_params(spec, base, names, values)
    one = estimate(
        params,
        drive,
        n=spec.n,
        seed=point_seed(spec.seed, middle),
        method=spec.method,
        spiking=spec.spiking,
        engine=engine,
        record_spikes=spec.spiking,
    )
    threads, where = 1, one.where
    if runner is not None:
        from .runners.dask import connect

        cluster = connect(runner)
        try:
            threads = cluster.total_threads
            where = f"Dask: {len(cluster.workers)} workers, {threads} threads"
        finally:
            cluster.close()
    elif engine != "numpy":
        threads = _threads_here(engine)
    total = len(points)
    local_threads = _threads_here(engine)
    if spec.n * base.steps <= 20_000_000:  # small points: time a whole one (its theory and statistics included)
        import time

        measure_point(params, drive, spec, point_seed(spec.seed, middle), engine)
        started = time.perf_counter()
        measure_point(params, drive, spec, point_seed(spec.seed, middle), engine)
        per_point = (time.perf_counter() - started) * local_threads  # thread-seconds
        calibration = f"a whole grid point ({spec.n} neurons x {base.steps} steps) here"
    else:
        per_point = one.ns_per_neuron_step * 1e-9 * spec.n * base.steps + 0.05
        calibration = one.calibration
    seconds = per_point * total / threads
    return RunEstimate(
        what=f"{total} grid points of {spec.n} neurons x {base.steps} steps",
        where=where,
        tasks=total if runner is None else max(1, min(total, 4 * threads)),
        per_task="whole grid points" if runner is not None else "one point after another",
        memory_here=one.memory_here,
        memory_per_task=one.memory_here if runner is not None else None,
        worker_memory=None,
        output_bytes=total * 8 * (len(OUTPUTS) + (2 * base.steps if spec.per_step else 0)),
        ns_per_neuron_step=one.ns_per_neuron_step,
        calibration=calibration,
        seconds=seconds,
    )


def _estimate_network_sweep(
    spec: _Spec, base: Any, names: tuple[str, ...], points: Sequence[tuple[int, tuple[float, ...]]], engine: str
) -> Any:
    """A network sweep's estimate: its middle point simulated for up to 0.1 s here, scaled to the whole run."""
    import time

    from .network.model import estimate_memory
    from .network.run import choose_engine
    from .network.sweep import measure, point_params
    from .network.theory import memory_rate
    from .planning import RunEstimate

    middle, values = points[len(points) // 2]
    params = point_params(base, names, values)
    short = params.replace(t_max=min(params.t_max, max(params.dt, round(0.1 / params.dt) * params.dt)))
    measure(short, point_seed(spec.seed, middle), engine)  # the compiled kernels loaded
    started = time.perf_counter()
    measure(short, point_seed(spec.seed, middle), engine)
    seconds = (time.perf_counter() - started) * params.steps / short.steps
    return RunEstimate(
        what=f"{len(points)} networks of {params.n:,} neurons x {params.steps} steps",
        where="this machine",
        tasks=len(points),
        per_task="one network after another",
        memory_here=estimate_memory(params, engine=choose_engine(engine), theory_rate=memory_rate(params)),
        memory_per_task=None,
        worker_memory=None,
        output_bytes=len(points) * 8 * len(spec.outputs),
        ns_per_neuron_step=seconds / (params.n * params.steps) * 1e9 * _threads_here(engine),
        calibration=f"the middle point for {short.t_max * 1e3:g} ms here",
        seconds=seconds * len(points),
    )


def _threads_here(engine: str) -> int:
    """The threads a run on ``engine`` uses in this process (1 for numpy)."""
    if engine == "numpy":
        return 1
    import numba

    return int(numba.get_num_threads())


def _dataset(spec: _Spec, coords: dict[str, tuple[float, ...]], results: dict[int, dict[str, Any]], steps: int) -> Any:
    import xarray as xr

    names = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    data: dict[str, Any] = {}
    for name, (units, text) in spec.outputs.items():
        values = np.full(shape, np.nan)
        for flat, point in results.items():
            values.ravel()[flat] = point[name]
        data[name] = xr.Variable(names, values, {"units": units, "description": text})
    if spec.per_step:
        for name, units in (("v_mean_t", "V"), ("v_var_t", "V**2")):
            values = np.full(shape + (steps,), np.nan)
            flat_view = values.reshape(-1, steps)
            for flat, point in results.items():
                flat_view[flat] = point[name]
            data[name] = xr.Variable(names + ("t",), values, {"units": units})
    coord_vars = {name: xr.Variable(name, np.asarray(v), {"units": spec.unit(name)}) for name, v in coords.items()}
    if spec.per_step:
        coord_vars["t"] = per_step_time(spec, steps)
    return xr.Dataset(data, coords=coord_vars)


def _run_on_cluster(
    dask_runner: Any,
    cluster: Any,
    spec: _Spec,
    base: LIFParams,
    names: tuple[str, ...],
    todo: list[tuple[int, tuple[float, ...]]],
    engine: str,
    land: Callable[[int, dict[str, Any]], None],
) -> None:
    """The Dask runner's one path (:meth:`lifsim.runners.Dask.map`): small points batched into tasks of about
    equal work; a point larger than two tasks spans the workers as a run of its own."""

    def describe(batch: list[Any]) -> str:
        where = "; ".join(", ".join(f"{n}={v:g}" for n, v in zip(names, values)) for _flat, values in batch[:3])
        return f"sweep task for points [{where}]"

    def spread(flat: Any, values: Any, client: Any) -> dict[str, Any]:
        point_params, drive = _point_params(spec, base, names, values)
        return measure_point(point_params, drive, spec, point_seed(spec.seed, flat), engine, runner=client)

    dask_runner.map(
        _batch_task,
        todo,
        {flat: spec.n * _steps_of(base, names, values) for flat, values in todo},
        land,
        describe,
        shared=(spec, base),
        args=(names, engine),
        spread=spread,
        spreadable=lambda _flat, threads: spec.model == "neuron" and spec.n >= 64 * threads,
        cluster=cluster,
    )


def _steps_of(base: LIFParams, names: Sequence[str], values: Sequence[float]) -> int:
    return base.steps


# --- f-I curves: a one-dimensional sweep over the current, seen through lifsim.fi.FICurve


def fi_curve(
    params: LIFParams | None = None,
    currents: Sequence[float | str] | np.ndarray | None = None,
    *,
    n: int = FI["n"],
    sigma: float | str | None = FI["sigma"],
    seed: int = FI["seed"],
    stream_version: int = FI["stream_version"],
    method: str = FI["method"],
    transient: float | str = FI["transient"],
    engine: str = FI["engine"],
    threads: int | None = None,
    runner: Any = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    command: str | None = None,
    config: dict | None = None,
    dry_run: bool = False,
) -> FICurve | RunEstimate:
    """Simulate ``n`` neurons at each current of ``currents`` (A) and measure their rate.

    A one-dimensional :func:`lifsim.sweep` over ``i_mean`` (constant input, or
    white noise of ``sigma``) seen as an f-I curve: the same seeds
    (:func:`lifsim.sweeps.point_seed`), the same transient check, runners and
    resumable ``.zarr`` stores.  ``lifsim fi`` is this call.

    Parameters
    ----------
    params : LIFParams, optional
        Model parameters; ``i_mean`` is replaced by each current.  By default
        the ``study`` profile (1 s at 0.1 ms, :func:`lifsim.params.profile`),
        as ``lifsim fi``.
    currents : array_like, optional
        Mean input currents (A, or texts such as ``"100 pA"``); by default
        ``lifsim.defaults.FI["currents"]``, 0 to 400 pA in 9 points, as ``lifsim fi``.
    n : int
        Neurons per current.
    sigma : float or str, optional
        White-noise strength (V); None for constant input.
    seed : int
        Seed; point ``p`` uses ``point_seed(seed, p) = seed * 2**32 + p``, so
        no two seeds share a point's noise.
    stream_version : int
        The random stream version (3 or 2), as in :func:`lifsim.sweep`.
    method : {"euler", "exact"}
    transient : float or str
        Initial time (s) left out of the rate, so the rate is the stationary one.
    engine, threads, runner, store, resume, overwrite, progress
        As in :func:`lifsim.sweep`.
    command, config
        How the curve was asked for, kept in its provenance (:attr:`FICurve.meta`).
    dry_run : bool
        Check everything, calibrate on the first current, and return the sweep's
        :class:`lifsim.planning.RunEstimate` instead of the curve (``lifsim fi --dry-run``).
    """
    from .fi import FICurve  # noqa: F811  (the f-I view sits below the sweep)

    params = profile(STUDY_PROFILE) if params is None else params
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    currents = _currents(currents)
    sigma_v = None if sigma is None else to_si(sigma, "voltage", "sigma")
    if sigma_v is not None and not sigma_v > 0:
        raise ValueError(f"sigma: must be > 0 mV, got {format_display(sigma_v, 'voltage')}")
    with warnings.catch_warnings():  # an f-I curve shows no CV: the sweep's word on it is not for its reader
        warnings.filterwarnings("ignore", message="cv: ", category=PlausibilityWarning)
        data = sweep(
            params,
            {"i_mean": [float(current) for current in currents]},
            input="constant" if sigma_v is None else "white",
            sigma=sigma_v,
            n=n,
            seed=seed,
            stream_version=stream_version,
            method=method,
            transient=transient,
            engine=engine,
            threads=threads,
            runner=runner,
            store=store,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            command=command,
            config=config,
            dry_run=dry_run,
        )
    if dry_run:
        return data  # type: ignore[no-any-return]  # sweep's RunEstimate
    return FICurve.from_sweep(data, params)


def _currents(currents: Sequence[float | str] | np.ndarray | None) -> np.ndarray:
    if currents is None:
        currents = FI["currents"]
    items = [currents] if isinstance(currents, str) else list(np.atleast_1d(np.asarray(currents, dtype=object)))
    try:
        values = np.asarray([to_si(item, "current", "currents") for item in items], dtype=np.float64)
    except (ValueError, TypeError):
        values = np.asarray([np.nan])
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"currents: expected a non-empty list of finite currents (A), got {currents!r}")
    return values
