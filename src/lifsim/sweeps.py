"""Parameter sweeps: an ensemble at every point of a grid, with the theory beside it.

``lifsim.sweep(params, grid={"i_mean": ..., "tau": ...}, n=..., runner=...)``
simulates ``n`` neurons at every point of the grid (any model parameter, and
the input's ``sigma`` or ``amplitude``) and returns one ``xarray.Dataset``
with a dimension per swept name: the stationary rate (Hz) and its standard
error, the CV of the ISIs, the Fano factor, the stationary mean (V) and
variance (V**2) of V, and the matching theory on the same grid (the
grid-corrected Siegert rate or the noise-free rate on the grid, the
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
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .params import PARAM_UNITS, LIFParams
from .units import to_si

__all__ = ["sweep", "parse_grid", "point_seed", "SWEPT_INPUT", "INPUT_KINDS", "load_sweep", "OUTPUTS"]

#: input settings that can be swept besides the model parameters, and their dimension
SWEPT_INPUT = {"sigma": "voltage", "amplitude": "dimensionless"}
#: the input kinds a sweep drives its neurons with
INPUT_KINDS = ("white", "constant", "uniform")
#: the per-point outputs: name -> (units, description)
OUTPUTS = {
    "rate": ("Hz", "spikes per neuron per second after the transient"),
    "rate_sem": ("Hz", "standard error of the rate (std of the per-neuron rates / sqrt(n))"),
    "cv": ("1", "coefficient of variation of the pooled ISIs after the transient"),
    "fano": ("1", "Fano factor of the spike counts in windows of fano_window after the transient"),
    "v_mean": ("V", "mean over the steps after the transient of the population mean of V"),
    "v_var": ("V**2", "mean over the steps after the transient of the population variance of V (ddof 1)"),
    "rate_theory": ("Hz", "theory of the simulated grid: Siegert with the grid correction, or the noise-free neuron"),
    "rate_theory_continuous": ("Hz", "continuous-time theory: Siegert rate, or the deterministic f-I curve"),
    "v_mean_theory": ("V", "closed-form mean of the free membrane (no threshold), averaged like v_mean"),
    "v_var_theory": ("V**2", "closed-form variance of the free membrane (no threshold), averaged like v_var"),
}
_SWEEPABLE = tuple(name for name in PARAM_UNITS if name not in ("dt", "t_max")) + tuple(SWEPT_INPUT)


def point_seed(seed: int, index: int) -> int:
    """The seed of the grid point with flat index ``index``: ``seed * 2**32 + index``."""
    return int(seed) * 2**32 + int(index)


def _dimension(name: str) -> str:
    return SWEPT_INPUT[name] if name in SWEPT_INPUT else PARAM_UNITS[name][0]


def _unit_of(text: str) -> str:
    """The unit letters at the end of a quantity's text (``"400pA"`` -> ``"pA"``), or ``""``."""
    stripped = text.strip()
    end = len(stripped)
    while end > 0 and (stripped[end - 1].isalpha() or stripped[end - 1] in "µΩ"):
        end -= 1
    return stripped[end:]


def _values(name: str, text: str, label: str) -> tuple[float, ...]:
    dimension = _dimension(name)
    text = text.strip()
    if not text:
        raise ValueError(f"{label}: {name} has no values")
    if ":" in text:
        parts = [part.strip() for part in text.split(":")]
        if len(parts) != 3:
            raise ValueError(f"{label}: {name}={text!r}: expected START:STOP:COUNT, e.g. 0:400pA:21")
        start, stop, count_text = parts
        unit = _unit_of(stop) or _unit_of(start)
        if unit and not _unit_of(start):
            start += unit
        if unit and not _unit_of(stop):
            stop += unit
        from .options import parse_int

        count = parse_int(count_text, f"{label}: {name} count", 1)
        if count > 100_000:
            raise ValueError(f"{label}: {name}: {count} points; at most 100000 per name")
        values = np.linspace(
            to_si(start, dimension, f"{label}: {name}"), to_si(stop, dimension, f"{label}: {name}"), count
        )
        return tuple(float(v) for v in values)
    items = [item.strip() for item in text.split(",") if item.strip()]
    unit = next((_unit_of(item) for item in items if _unit_of(item)), "")
    return tuple(
        to_si(item if _unit_of(item) or not unit else item + unit, dimension, f"{label}: {name}") for item in items
    )


def parse_grid(raw: Any, label: str = "grid") -> dict[str, tuple[float, ...]]:
    """The grid from text (``"i_mean=0:400pA:21"``), a list of such texts, or a mapping name -> values.

    Values: ``START:STOP:COUNT`` (both ends included, a unit on either end
    applies to both) or a list ``V1,V2,...`` (a unit on one applies to those
    without); a mapping may also hold numbers (SI) or lists of them.
    """
    entries: list[tuple[str, Any]] = []
    if isinstance(raw, Mapping):
        entries = [(str(k), v) for k, v in raw.items()]
    else:
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, (list, tuple)):
            raise ValueError(f"{label}: expected NAME=VALUES such as 'i_mean=0:400pA:21', got {raw!r}")
        for text in texts:
            if not isinstance(text, str) or "=" not in text:
                raise ValueError(f"{label}: expected NAME=VALUES such as 'i_mean=0:400pA:21', got {text!r}")
            name, values = text.split("=", 1)
            entries.append((name.strip(), values))
    if not entries:
        raise ValueError(f"{label}: the grid is empty; give NAME=VALUES such as 'i_mean=0:400pA:21'")
    grid: dict[str, tuple[float, ...]] = {}
    for name, values in entries:
        if name not in _SWEEPABLE:
            raise ValueError(f"{label}: cannot sweep {name!r}; sweepable: {', '.join(_SWEEPABLE)}")
        if name in grid:
            raise ValueError(f"{label}: {name} is given twice")
        if isinstance(values, str):
            parsed = _values(name, values, label)
        else:
            items = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
            parsed = tuple(to_si(item, _dimension(name), f"{label}: {name}") for item in items)
        if not parsed:
            raise ValueError(f"{label}: {name} has no values")
        grid[name] = parsed
    total = math.prod(len(v) for v in grid.values())
    if total > 1_000_000:
        raise ValueError(f"{label}: {total} grid points; at most 1000000")
    return grid


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

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()


def _point_params(spec: _Spec, base: LIFParams, names: Sequence[str], values: Sequence[float]) -> tuple[LIFParams, Any]:
    from . import inputs

    model = {name: value for name, value in zip(names, values) if name not in SWEPT_INPUT}
    settings = {"sigma": spec.sigma, "amplitude": spec.amplitude}
    settings.update({name: value for name, value in zip(names, values) if name in SWEPT_INPUT})
    params = base.replace(**model) if model else base
    drive: Any
    if spec.input == "constant":
        drive = inputs.constant(params.i_mean)
    elif spec.input == "white":
        assert settings["sigma"] is not None  # checked by sweep()
        drive = inputs.white_noise(settings["sigma"], params.i_mean)
    else:
        drive = inputs.uniform_noise(params.i_mean, settings["amplitude"])
    return params, drive


def measure_point(
    params: LIFParams, drive: Any, spec: _Spec, seed: int, engine: str = "auto", runner: Any = None
) -> dict[str, Any]:
    """Simulate one grid point and return its outputs (:data:`OUTPUTS`, SI; per-step arrays if asked)."""
    from . import theory
    from .simulation import simulate
    from .spikes import cv_isi, fano_factor, spike_counts

    run = simulate(
        params,
        drive,
        n=spec.n,
        seed=seed,
        method=spec.method,  # type: ignore[arg-type]
        spiking=spec.spiking,
        engine=engine,
        record_spikes=spec.spiking,
        progress=False,
        runner=runner,
    )
    steps = run.steps
    first = min(steps - 1, int(math.ceil(spec.transient / params.dt - 1e-9)))
    duration = (steps - 1) * params.dt - spec.transient
    out: dict[str, Any] = {}
    if spec.spiking:
        spike_t, spike_i = run.spikes()
        late = spike_t >= spec.transient
        per_neuron = spike_counts(spike_i[late], spec.n) / duration
        out["rate"] = float(per_neuron.mean())
        out["rate_sem"] = float(per_neuron.std(ddof=1) / math.sqrt(spec.n)) if spec.n > 1 else math.nan
        out["cv"] = float(cv_isi(spike_t[late], spike_i[late], dt=params.dt))
        window = min(spec.fano_window, duration)
        out["fano"] = float(fano_factor(spike_t, spike_i, spec.n, window, spec.transient, spec.transient + duration))
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
    moments = theory.euler_moments(params, drive, steps=steps, method=spec.method)
    out["v_mean_theory"] = float(np.mean(moments.mean[first:]))
    out["v_var_theory"] = float(np.mean(moments.var[first:]))
    if spec.per_step:
        out["v_mean_t"] = run.v_mean
        out["v_var_t"] = run.v_var(1)
    return out


def _batch_task(
    spec: _Spec, base: LIFParams, names: tuple[str, ...], points: list[tuple[int, tuple[float, ...]]], engine: str
) -> list[tuple[int, dict[str, Any]]]:
    """Run on a worker: several small grid points, one after the other."""
    from .runners.dask import use_worker_threads

    use_worker_threads()
    done = []
    for flat, values in points:
        params, drive = _point_params(spec, base, names, values)
        done.append((flat, measure_point(params, drive, spec, point_seed(spec.seed, flat), engine)))
    return done


class SweepStore:
    """A resumable ``.zarr`` store of a sweep, written point by point (values first, then the point's done mark)."""

    def __init__(self, path: Path, spec: _Spec, coords: dict[str, tuple[float, ...]], steps: int) -> None:
        self.path, self.spec, self.coords, self.steps = path, spec, coords, steps
        self.shape = tuple(len(v) for v in coords.values())
        self.names = tuple(coords)

    def _template(self) -> Any:
        import xarray as xr

        dims = self.names
        data: dict[str, Any] = {}
        for name, (units, text) in OUTPUTS.items():
            data[name] = xr.Variable(dims, np.full(self.shape, np.nan), {"units": units, "description": text})
        if self.spec.per_step:
            for name, units in (("v_mean_t", "V"), ("v_var_t", "V**2")):
                data[name] = xr.Variable(dims + ("t",), np.full(self.shape + (self.steps,), np.nan), {"units": units})
        data["done"] = xr.Variable(dims, np.zeros(self.shape, dtype=bool), {"description": "the point is finished"})
        coords = {
            name: xr.Variable(name, np.asarray(v), {"units": _display_unit_si(name)}) for name, v in self.coords.items()
        }
        ds = xr.Dataset(data, coords=coords)
        ds.attrs["lifsim_sweep_spec"] = json.dumps(self.spec.__dict__, sort_keys=True)
        ds.attrs["lifsim_sweep_digest"] = self.spec.digest()
        ds.attrs["lifsim_complete"] = 0
        return ds

    def open(self, resume: bool) -> np.ndarray:
        """Create the store, or open it to resume; return the done mask."""
        import xarray as xr

        if self.path.exists():
            if not resume:
                raise ValueError(
                    f"data: {self.path} exists; add --resume (resume=True) to finish an interrupted sweep, "
                    "or choose another path"
                )
            try:
                existing = xr.open_zarr(self.path, consolidated=False)
            except Exception as error:  # noqa: BLE001  (anything that is not a store)
                raise ValueError(f"data: {self.path} is not a lifsim sweep store ({type(error).__name__})") from None
            digest = existing.attrs.get("lifsim_sweep_digest")
            if digest is None:
                raise ValueError(f"data: {self.path} is not a lifsim sweep store; it cannot be resumed")
            if digest != self.spec.digest():
                raise ValueError(
                    f"data: {self.path} was written by a different sweep (grid, parameters, n, seed or input "
                    "differ); it cannot be resumed by this command"
                )
            return np.asarray(existing["done"].values, dtype=bool)
        if resume:
            pass  # nothing to resume: start afresh
        template = self._template()
        encoding = {
            name: {"chunks": (1,) * len(self.names) + ((self.steps,) if name.endswith("_t") else ())}
            for name in template.data_vars
        }
        template.to_zarr(self.path, mode="w-", encoding=encoding, consolidated=False, zarr_format=2)
        return np.zeros(self.shape, dtype=bool)

    def write(self, flat: int, values: Mapping[str, Any]) -> None:
        """Store one finished point: its values, then its done mark (so a torn write is never marked done)."""
        import xarray as xr

        index = np.unravel_index(flat, self.shape)
        region = {name: slice(int(i), int(i) + 1) for name, i in zip(self.names, index)}
        one = (1,) * len(self.names)
        data = {}
        for name, value in values.items():
            array = np.asarray(value, dtype=np.float64)
            data[name] = (self.names + (("t",) if array.ndim else ()), array.reshape(one + array.shape))
        xr.Dataset(data).to_zarr(self.path, region=region, consolidated=False)
        xr.Dataset({"done": (self.names, np.ones(one, dtype=bool))}).to_zarr(
            self.path, region=region, consolidated=False
        )

    def finish(self, meta: Mapping[str, Any]) -> None:
        """Mark the store complete (every point done) and record the provenance."""
        import zarr

        group = zarr.open_group(str(self.path), mode="r+")
        group.attrs["lifsim_meta"] = json.dumps(meta, default=str)
        group.attrs["lifsim_complete"] = 1
        zarr.consolidate_metadata(str(self.path))


_SI_UNITS = {"time": "s", "voltage": "V", "current": "A", "resistance": "Ohm", "dimensionless": "1"}


def _display_unit_si(name: str) -> str:
    """The SI unit of a swept name's values."""
    return _SI_UNITS.get(_dimension(name), "1")


def sweep(
    params: LIFParams | None = None,
    grid: Mapping[str, Any] | Sequence[str] | str | None = None,
    *,
    input: str = "white",  # noqa: A002  (the CLI's --input)
    sigma: float | str | None = "5 mV",
    amplitude: float | None = 1.0,
    n: int = 100,
    seed: int = 0,
    method: str = "euler",
    transient: float | str = 0.1,
    spiking: bool = True,
    per_step: bool = False,
    fano_window: float | str = 0.05,
    engine: str = "auto",
    runner: Any = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    command: str | None = None,
    config: dict | None = None,
    dry_run: bool = False,
) -> Any:
    """Simulate ``n`` neurons at every point of ``grid`` and return an ``xarray.Dataset`` (see the module).

    Parameters
    ----------
    params : LIFParams, optional
        The parameters every point starts from (the tutorial's by default).
    grid : mapping or list of str
        ``{"i_mean": "0:400pA:21", "tau": ["10 ms", "20 ms"]}`` or
        ``["i_mean=0:400pA:21", "tau=10ms,20ms"]``: any model parameter but
        dt and t_max, and ``sigma`` (white input) or ``amplitude`` (uniform).
    input : {"white", "constant", "uniform"}
        The drive: ``I_mean`` plus white noise of ``sigma`` (V), constant
        ``I_mean``, or the tutorial's uniform noise of relative ``amplitude``.
    n, seed, method, spiking, engine
        As in :func:`lifsim.simulate`; point ``p`` uses ``point_seed(seed, p)``.
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
    progress : callable, optional
        ``progress(points_done, points_total)``.
    dry_run : bool
        Check everything, calibrate on the first point, and return a
        :class:`lifsim.planning.RunEstimate` instead of running.
    """
    import xarray as xr

    from .provenance import stamp
    from .streams import STREAM_VERSION

    params = LIFParams() if params is None else params
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    coords = parse_grid(grid, "grid")
    if input not in INPUT_KINDS:
        raise ValueError(f"input: expected one of {', '.join(INPUT_KINDS)}, got {input!r}")
    if "sigma" in coords and input != "white":
        raise ValueError("grid: sigma is swept only with input 'white'")
    if "amplitude" in coords and input != "uniform":
        raise ValueError("grid: amplitude is swept only with input 'uniform'")
    sigma_v = to_si(sigma, "voltage", "sigma") if (input == "white" and sigma is not None) else None
    if input == "white" and sigma_v is None and "sigma" not in coords:
        raise ValueError("sigma: white input needs sigma (V)")
    amplitude_v = float(amplitude) if (input == "uniform" and amplitude is not None) else None
    transient_s = to_si(transient, "time", "transient")
    fano_s = to_si(fano_window, "time", "fano_window")
    if not fano_s > 0:
        raise ValueError(f"fano_window: must be > 0 s, got {fano_s!r}")
    duration = (params.steps - 1) * params.dt - transient_s
    if not transient_s >= 0 or not duration > 0:
        raise ValueError(f"transient: {transient_s!r} s must be >= 0 and shorter than the run ({params.t_max!r} s)")
    from .options import parse_int

    n = parse_int(n, "n", 2)
    seed = parse_int(seed, "seed", 0)
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
        stream=f"counter-splitmix64/{STREAM_VERSION}",
    )
    names = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    total = math.prod(shape)
    # every point is checked before any runs (a bad tau at the grid's far corner fails now, not in an hour)
    points: list[tuple[int, tuple[float, ...]]] = []
    for flat in range(total):
        index = np.unravel_index(flat, shape)
        values = tuple(coords[name][i] for name, i in zip(names, index))
        try:
            point_params, _drive = _point_params(spec, params, names, values)
            if method == "euler":
                point_params.check_method("euler")
        except (ValueError, TypeError) as error:
            where = ", ".join(f"{name}={value:g}" for name, value in zip(names, values))
            raise ValueError(f"grid point {where}: {str(error)[:300]}") from None
        points.append((flat, values))
    if dry_run:
        return _estimate_sweep(spec, params, names, points, engine, runner)
    target = None if store is None else Path(store)
    if target is not None and target.suffix != ".zarr":
        raise ValueError(f"store: a sweep is written point by point into a .zarr store, got {str(target)!r}")
    sweep_store = None if target is None else SweepStore(target, spec, coords, params.steps)
    done_mask = np.zeros(shape, dtype=bool) if sweep_store is None else sweep_store.open(bool(resume))
    results: dict[int, dict[str, Any]] = {}
    todo = [(flat, values) for flat, values in points if not done_mask.ravel()[flat]]
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
    if runner is not None:
        from .runners.dask import connect

        cluster = connect(runner)
    try:
        if cluster is None:
            for flat, values in todo:
                point_params, drive = _point_params(spec, params, names, values)
                land(flat, measure_point(point_params, drive, spec, point_seed(seed, flat), engine))
        else:
            _run_on_cluster(cluster, spec, params, names, todo, engine, land)
    finally:
        if cluster is not None:
            cluster.close()
    meta = {
        "kind": "sweep",
        "sweep": spec.__dict__,
        "seeds": "point p (flat C-order index over the grid) uses seed * 2**32 + p",
        **stamp(command, config),
    }
    if sweep_store is not None:
        sweep_store.finish(meta)
        ds = xr.open_zarr(target, consolidated=True).load()  # type: ignore[arg-type]
        ds = ds.drop_vars("done")
    else:
        ds = _dataset(spec, coords, results, params.steps)
    ds.attrs = {"lifsim_meta": json.dumps(meta, default=str), "title": "lifsim sweep"}
    return ds


def _estimate_sweep(
    spec: _Spec,
    base: LIFParams,
    names: tuple[str, ...],
    points: list[tuple[int, tuple[float, ...]]],
    engine: str,
    runner: Any,
) -> Any:
    """A sweep's :class:`~lifsim.planning.RunEstimate`: its middle point calibrated, the rest scaled."""
    from .planning import RunEstimate
    from .simulation import estimate

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
        import numba

        threads = numba.get_num_threads()
    total = len(points)
    local_threads = 1
    if engine != "numpy":
        import numba

        local_threads = numba.get_num_threads()
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


def _dataset(spec: _Spec, coords: dict[str, tuple[float, ...]], results: dict[int, dict[str, Any]], steps: int) -> Any:
    import xarray as xr

    names = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    data: dict[str, Any] = {}
    for name, (units, text) in OUTPUTS.items():
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
    coord_vars = {
        name: xr.Variable(name, np.asarray(v), {"units": _display_unit_si(name)}) for name, v in coords.items()
    }
    return xr.Dataset(data, coords=coord_vars)


def _run_on_cluster(
    cluster: Any,
    spec: _Spec,
    base: LIFParams,
    names: tuple[str, ...],
    todo: list[tuple[int, tuple[float, ...]]],
    engine: str,
    land: Callable[[int, dict[str, Any]], None],
) -> None:
    """Small points batched into tasks of about equal work; a point larger than a task spans several tasks."""
    import distributed

    threads = cluster.total_threads
    work = {flat: spec.n * _steps_of(base, names, values) for flat, values in todo}
    total_work = sum(work.values()) or 1
    target = max(1, total_work // max(1, 8 * threads))  # eight tasks per thread: the last wave is short
    big = [(flat, values) for flat, values in todo if work[flat] > 2 * target and spec.n >= 64 * threads]
    small = [(flat, values) for flat, values in todo if (flat, values) not in big]
    batches: list[list[tuple[int, tuple[float, ...]]]] = []
    current: list[tuple[int, tuple[float, ...]]] = []
    load = 0
    for flat, values in small:
        current.append((flat, values))
        load += work[flat]
        if load >= target:
            batches.append(current)
            current, load = [], 0
    if current:
        batches.append(current)
    client = cluster.client
    [shared_spec, shared_base] = client.scatter([spec, base], broadcast=True, hash=False)
    futures = [
        client.submit(_batch_task, shared_spec, shared_base, names, batch, engine, pure=False, retries=1)
        for batch in batches
    ]
    try:
        for future in distributed.as_completed(futures):
            try:
                finished = future.result()
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as error:
                batch = batches[futures.index(future)]
                where = "; ".join(
                    ", ".join(f"{name}={value:g}" for name, value in zip(names, values)) for _flat, values in batch[:3]
                )
                raise ValueError(f"sweep task for points [{where}] failed: {str(error)[:300]}") from None
            for flat, values in finished:
                land(flat, values)
        for flat, values in big:  # large points: their blocks spread over the workers
            point_params, drive = _point_params(spec, base, names, values)
            land(flat, measure_point(point_params, drive, spec, point_seed(spec.seed, flat), engine, runner=client))
    finally:
        for future in futures:
            if not future.done():
                future.cancel()


def _steps_of(base: LIFParams, names: Sequence[str], values: Sequence[float]) -> int:
    return base.steps


def load_sweep(path: str | os.PathLike) -> Any:
    """A sweep saved by ``lifsim sweep --data`` (``.nc`` or a finished ``.zarr`` store), as an ``xarray.Dataset``."""
    import xarray as xr

    target = Path(path)
    if target.suffix == ".zarr":
        ds = xr.open_zarr(target, consolidated=False)
        if not int(ds.attrs.get("lifsim_complete", 0)):
            raise ValueError(f"{target}: an unfinished sweep; finish it with --resume (resume=True)")
        return ds.drop_vars("done").load()
    return xr.load_dataset(target)
