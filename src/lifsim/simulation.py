"""The one entry point: :func:`simulate`."""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .engine import choose_engine
from .engine.plan import RunPlan
from .errors import PlausibilityWarning
from .inputs import Input, array_values, constant
from .memory import available_memory, format_bytes
from .params import LIFParams
from .provenance import stamp
from .result import Result
from .streams import STREAM_VERSION, CounterStream, LegacyStream
from .units import to_si

__all__ = ["simulate", "estimate", "parse_neuron_selection"]

#: refuse to keep more than this many bytes of recorded traces
MAX_TRACE_BYTES = 8 * 2**30
#: neurons the counter-based stream can key (2**32)
MAX_NEURONS = 2**32


def parse_neuron_selection(selection: object, n: int) -> np.ndarray | None:
    """Turn ``record_v`` into neuron indices.

    Accepts None/False (nothing), True or ``"all"``, ``"a:b"`` or ``"a:b:s"``,
    ``"i,j,k"``, a ``slice``, or a sequence of ints; indices must be in ``0 .. n-1``.
    """
    if selection is None or selection is False:
        return None
    if selection is True or selection == "all":
        return np.arange(n)
    if isinstance(selection, slice):
        return np.arange(n)[selection]
    if isinstance(selection, str):
        text = selection.strip()
        try:
            if ":" in text:
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
            else:
                indices = np.array([int(p) for p in text.split(",")], dtype=np.int64)
        except ValueError:
            raise ValueError(
                f"record_v: cannot read {_short(selection)}; expected 'all', 'start:stop[:step]' (step >= 1) or 'i,j,k'"
            ) from None
        except IndexError:
            raise ValueError(f"record_v: {_short(selection)} reaches outside neurons 0 .. {n - 1}") from None
    else:
        indices = np.asarray(selection)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"record_v: expected neuron indices (integers), got {_short(selection)}")
    indices = np.asarray(indices, dtype=np.int64).ravel()
    if indices.size == 0:
        raise ValueError(f"record_v: {_short(selection)} selects no neuron")
    if indices.min() < 0 or indices.max() >= n:
        raise ValueError(f"record_v: {_short(selection)} reaches outside neurons 0 .. {n - 1}")
    if np.unique(indices).size != indices.size:
        raise ValueError(f"record_v: {_short(selection)} names a neuron twice")
    return indices


def simulate(
    params: LIFParams | None = None,
    inputs: Input | None = None,
    *,
    n: int = 1,
    seed: int = 0,
    stream: CounterStream | LegacyStream | None = None,
    spiking: bool = True,
    method: Literal["euler", "exact"] = "euler",
    record_v: object = None,
    record_spikes: bool = True,
    lags: Sequence[int] = (),
    snapshots: Sequence[float | str] = (),
    steps: int | None = None,
    engine: str = "auto",
    threads: int | None = None,
    device: int | None = None,
    command: str | None = None,
    config: dict | None = None,
    progress: bool | None = None,
    trace_store: str | os.PathLike | None = None,
    chunk_steps: int | None = None,
    block: int | None = None,
    runner: object = None,
    blocks_per_task: int | None = None,
    resume: bool = False,
    _dry_run: bool = False,
) -> Result:
    """Simulate ``n`` independent LIF neurons driven by ``inputs``.

    Parameters
    ----------
    params : LIFParams, optional
        Model parameters (SI); the tutorial's by default.
    inputs : Input, optional
        Input current (A); ``constant(params.i_mean)`` by default.
    n : int
        Number of neurons (realizations), >= 1.
    seed : int
        Seed of the default random stream: neuron ``j``'s noise depends only
        on ``(seed, j)``.
    stream : CounterStream or LegacyStream, optional
        Overrides the default stream (the tutorial replay passes a
        :class:`~lifsim.streams.LegacyStream`).
    spiking : bool
        Threshold and reset on (``V > V_th`` -> spike, ``V = V_reset``).
    method : {"euler", "exact"}
        Forward Euler (the tutorial's) or the exact update for input held
        constant over a step.
    record_v : None, "all", "a:b", sequence of int
        Neurons whose full trace V (V) is kept.
    record_spikes : bool
        Keep every spike time and index (counts are always kept).
    lags : sequence of int
        Lags (steps) at which to accumulate the autocovariance while running.
    snapshots : sequence of float or str
        Times (s, or ``"50 ms"``) at which to keep V of every neuron (for
        histograms of V); each must lie on the time grid.
    steps : int, optional
        Number of time points; default ``params.steps = round(t_max / dt)``.
    engine : {"auto", "numba", "numpy", "cuda"}
        ``"numba"``: the compiled multi-core kernel; ``"numpy"``: the readable
        reference; ``"cuda"``: an NVIDIA GPU through CuPy (extra ``lifsim[gpu]``;
        the same bits); ``"auto"``: numba where installed and the stream is the
        default counter-based one (never the GPU).
    threads : int, optional
        Threads for the numba engine (default: all cores, ``NUMBA_NUM_THREADS``).
    device : int, optional
        The GPU of the cuda engine (default 0).
    command : str, optional
        The command line that asked for this run (kept in the provenance).
    config : dict, optional
        The configuration file's contents that asked for this run (kept too).
    trace_store : str or path, optional
        A ``.zarr`` path: the recorded traces (``record_v``) stream into it
        chunk by chunk as the run goes, so memory holds one chunk instead of
        ``recorded x steps`` values; at the end the whole run is written there
        (as :func:`lifsim.save` would) and ``result.v`` stays on disk (None;
        read it with ``lifsim.load`` or ``xarray.open_zarr``).
    chunk_steps : int, optional
        Steps per chunk of time (default: about 64 MiB of streamed traces a
        chunk, or as few chunks as memory allows).  The result does not depend on it.
    block : int, optional
        Neurons per block, a power of two >= 32 (default
        :func:`lifsim.engine.plan.block_size`).  The result does not depend on
        it (the reproducibility contract); it is here to prove that.
    runner : None, int, str or dask.distributed.Client, optional
        Where the blocks run: None (default) in this process; a number of
        workers: a Dask ``LocalCluster`` of that many single-threaded worker
        processes, started and closed for this run; a scheduler address
        (``"tcp://host:8786"``) or a ``Client``: that cluster.  The result is
        bitwise the same as in one process (extra ``lifsim[dask]``).
    blocks_per_task : int, optional
        Blocks per Dask task, a power of two (default: about four tasks per
        worker thread).  The result does not depend on it.
    progress : bool, optional
        Show a progress bar (tqdm, on stderr) with steps/s and ETA: True
        always, False never, None (default) when stderr is a terminal and the
        run is expected to take more than about 2 s.

    Returns
    -------
    Result

    Raises
    ------
    ValueError, TypeError
        For invalid arguments, with a message naming the bad value.
    """
    params = LIFParams() if params is None else params
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    inputs = constant(params.i_mean) if inputs is None else inputs
    if not isinstance(inputs, Input):
        raise TypeError(f"inputs: expected an lifsim input (lifsim.inputs), got {type(inputs).__name__}")
    n = _positive_int(n, "n")
    if steps is None:
        steps = params.steps
        if steps < 2:
            raise ValueError(
                f"t_max: {params.t_max!r} s is one time point of dt = {params.dt!r} s; a run needs at least two "
                "(t_max >= 2 dt), so that V is updated at least once"
            )
    else:
        steps = _positive_int(steps, "steps")
        if steps < 2:
            raise ValueError(f"steps: a run needs at least 2 time points, got {steps}")
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    params.check_method(method)
    for name, flag in (("spiking", spiking), ("record_spikes", record_spikes)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name}: expected True or False, got {flag!r}")
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress: expected True, False or None, got {progress!r}")
    if command is not None and not isinstance(command, str):
        raise TypeError(f"command: expected a string or None, got {type(command).__name__}")
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config: expected a dict or None, got {type(config).__name__}")
    if isinstance(lags, (int, np.integer)) or isinstance(lags, (str, bytes)):
        raise TypeError(f"lags: expected a sequence of whole numbers of steps such as (1, 5, 10), got {lags!r}")
    if isinstance(snapshots, (str, bytes, int, float)):
        raise TypeError(f"snapshots: expected a sequence of times such as ('10 ms', '50 ms'), got {snapshots!r}")
    lags = tuple(_nonneg_int(lag, "lags") for lag in lags)
    for lag in lags:
        if lag >= steps:
            raise ValueError(f"lags: lag {lag} must be below the number of steps {steps}")
    snapshot_steps = tuple(_grid_step(time, params.dt, steps) for time in snapshots)
    if stream is None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**128:
            raise TypeError(f"seed: expected a whole number from 0 to 2**128 - 1, got {seed!r}")
        stream = CounterStream(int(seed))
    elif not isinstance(stream, (CounterStream, LegacyStream)):
        raise TypeError(f"stream: expected a lifsim stream (lifsim.streams) or None, got {type(stream).__name__}")
    if not isinstance(engine, str):
        raise TypeError(f"engine: expected a name such as 'auto', 'numba' or 'numpy', got {engine!r}")
    engine = choose_engine(engine, stream.kind)
    if threads is not None:
        if engine != "numba":
            raise ValueError(f"threads: applies to the numba engine, not {engine!r}")
        threads = _positive_int(threads, "threads")
        from .engine.numba_engine import max_threads

        if threads > max_threads():
            raise ValueError(f"threads: {threads} is more than the {max_threads()} threads numba was started with")
    gpu = None
    if device is not None and engine != "cuda":
        raise ValueError(f"device: applies to the cuda engine, not {engine!r}")
    if engine == "cuda":
        from .engine.cuda.engine import use_device

        gpu = use_device(device)
    cluster = None
    if runner is not None:
        if isinstance(stream, LegacyStream):
            raise ValueError("runner: the tutorial's legacy stream draws in one process; use runner=None")
        if threads is not None:
            raise ValueError("threads: a Dask runner gives each task its worker's threads; leave threads unset")
        if blocks_per_task is not None:
            blocks_per_task = _positive_int(blocks_per_task, "blocks_per_task")
            if blocks_per_task & (blocks_per_task - 1):
                raise ValueError(f"blocks_per_task: must be a power of two, got {blocks_per_task!r}")
    elif blocks_per_task is not None:
        raise ValueError("blocks_per_task: applies to a Dask runner (runner=...)")
    if not isinstance(resume, bool):
        raise TypeError(f"resume: expected True or False, got {resume!r}")
    if resume and (runner is None or trace_store is None):
        raise ValueError("resume: finishes a Dask run (runner=...) in its .zarr store (trace_store=...)")
    if n > MAX_NEURONS:
        raise ValueError(f"n: {n} neurons is more than the {MAX_NEURONS} (2**32) the random streams can key")
    if len(set(snapshot_steps)) != len(snapshot_steps):
        raise ValueError(f"snapshots: each time can be asked for once, got {list(snapshots)!r}")
    _check_magnitudes(params, inputs)
    record = parse_neuron_selection(record_v, n)
    plan = RunPlan.build(
        params,
        inputs,
        n=n,
        steps=steps,
        stream=stream,
        method=method,
        spiking=bool(spiking),
        record=record,
        record_spikes=bool(record_spikes),
        lags=lags,
        snapshot_steps=snapshot_steps,
        block=block,
    )
    needed = plan.memory_estimate(_expected_rate(params, inputs, method, spiking))
    if record is not None and trace_store is None:
        needed += 8 * record.size * steps
    available = available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"n: {n} neurons x {steps} steps need about {format_bytes(needed)} of memory (state, statistics, "
            f"traces and spikes), more than the {format_bytes(available)} available; use fewer neurons or steps"
        )
    for text in params.plausibility() + _input_plausibility(inputs, params):
        warnings.warn(text, PlausibilityWarning, stacklevel=2)
    if record is not None and trace_store is None and record.size * steps * 8 > MAX_TRACE_BYTES:
        raise ValueError(
            f"record_v: {record.size} traces x {steps} steps need {record.size * steps * 8 / 2**30:.1f} GiB; "
            "record fewer neurons (e.g. '0:100') or stream them to disk (trace_store='run.zarr', --data run.zarr)"
        )
    runner_meta: dict[str, object] = {"kind": "local"}
    store: Any = None
    if runner is not None and trace_store is not None:
        from .formats import by_name, check_dependencies
        from .runners.checkpoint import RunStore

        check_dependencies(by_name("zarr"), "trace_store")
        store = RunStore(Path(trace_store), plan)
        blocks_per_task = store.check(resume) or blocks_per_task  # a resumed store keeps its task size
    if runner is not None:
        from .runners.dask import connect, default_blocks_per_task

        cluster = connect(runner)  # an unreachable scheduler fails here, before any work
        try:
            per_task = blocks_per_task or default_blocks_per_task(plan.n_blocks, cluster.total_threads)
            blocks_per_task = per_task
            _check_task_memory(plan, cluster, per_task, _expected_rate(params, inputs, method, spiking))
            runner_meta = {
                "kind": "dask",
                "workers": len(cluster.workers),
                "threads": cluster.total_threads,
                "blocks_per_task": per_task,
                "tasks": -(-plan.n_blocks // per_task),
            }
        except BaseException:
            cluster.close()
            raise
    if _dry_run:  # everything is checked: say what the run would take, run nothing
        try:
            from .planning import DryRun

            raise DryRun(_estimate(plan, params, inputs, engine, cluster, runner_meta, needed, stream, method, spiking))
        finally:
            if cluster is not None:
                cluster.close()
    finished: set[int] = set()
    if store is not None:  # every check has passed: the store is created (or its finished ranges listed) now
        assert blocks_per_task is not None
        finished = store.open(blocks_per_task)
    elif trace_store is not None:
        if record is None:
            raise ValueError("trace_store: there are no traces to stream; pass record_v")
        from .formats import by_name, check_dependencies
        from .formats.zarr import TraceStore

        check_dependencies(by_name("zarr"), "trace_store")

        if chunk_steps is None:
            chunk_steps = max(1, min(steps, (64 * 2**20) // (8 * record.size)))
        store = TraceStore(
            Path(trace_store), record, np.arange(steps) * params.dt, _positive_int(chunk_steps, "chunk_steps")
        )
    elif chunk_steps is not None:
        _positive_int(chunk_steps, "chunk_steps")
    if engine == "numba" and progress is not False and sys.stderr.isatty():
        from .engine.numba_engine import needs_compile

        if needs_compile():
            print(
                "lifsim: compiling the numba engine (first run only, about 20 s; later runs load it from the cache)",
                file=sys.stderr,
                flush=True,
            )
    bar = make_progress(progress, engine, n, steps)
    try:
        if cluster is not None:
            from .runners.dask import run_dask

            if bar is not None and cluster.cluster is not None and cluster.dashboard:
                print(f"lifsim: Dask dashboard at {cluster.dashboard}", file=sys.stderr, flush=True)
            output = run_dask(
                plan,
                engine,
                cluster,
                blocks_per_task=blocks_per_task,
                progress=bar.update if bar is not None else None,
                store=store,
                finished=finished,
            )
        else:
            output = _run(plan, engine, threads, bar, store, chunk_steps)
    except BaseException:
        if store is not None:
            store.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
        if cluster is not None:
            cluster.close()
    t = np.arange(steps) * params.dt
    meta = {
        "params": params.as_dict(),
        "units": {"t": "s", "v": "V", "v_mean": "V", "v_var": "V**2", "v_std": "V", "spike_t": "s", "rate": "Hz"},
        "input": inputs.describe(),
        "n": n,
        "steps": steps,
        "seed": stream.seed,
        "stream": stream.describe(),
        "block": plan.block,
        "method": method,
        "engine": engine,
        **({"device": gpu} if gpu is not None else {}),
        "runner": runner_meta,
        "spiking": bool(spiking),
        **stamp(command, config),
        "notes": params.notes(),
        # everything lifsim.rerun needs to make this run again
        "run": {
            "n": n,
            "steps": steps,
            "seed": stream.seed,
            "stream": stream.kind,
            "stream_version": STREAM_VERSION,
            "spiking": bool(spiking),
            "method": method,
            "engine": engine,
            "record_v": None if record is None else record.tolist(),
            "record_spikes": bool(record_spikes),
            "lags": list(lags),
            "snapshot_steps": list(snapshot_steps),
        },
    }
    result = Result(
        t=t,
        n=n,
        v_mean=output.moments.mean,
        v_m2=output.moments.m2,
        lags=output.lags,
        comoment=output.comoment,
        v=output.trace,
        v_neurons=record,
        spike_t=None if output.spike_step is None else output.spike_step * params.dt,
        spike_i=output.spike_i,
        spike_count=output.spike_count,
        snapshot_t=np.array(snapshot_steps, dtype=np.int64) * params.dt,
        v_snapshots=output.snapshots,
        input_array=array_values(inputs),
        meta=meta,
    )
    if store is not None:
        try:
            store.finish(result)
        except BaseException:
            store.abort()
            raise
        from .formats.zarr import ZarrTraces

        if record is not None:
            result.trace_source = ZarrTraces(store.target)
    if not (np.isfinite(result.v_mean).all() and np.isfinite(result.v_m2).all()):
        raise ValueError(
            "v: the membrane potential overflowed to infinity or NaN during the run; "
            "the parameters or input drive it far beyond anything physical (check their units)"
        )
    if spiking and result.rate > 0.5 / params.dt:
        warnings.warn(
            f"rate: the neurons fire at {result.rate:.4g} Hz, more than half of 1/dt = {1 / params.dt:.4g} Hz "
            "(nearly every step); check the units of the input and parameters",
            PlausibilityWarning,
            stacklevel=2,
        )
    return result


#: the largest potential (V) lifsim accepts anywhere: V**2 must stay far from float overflow (1e308)
MAX_VOLTS = 1e100


def _largest_drive(inputs: Input, params: LIFParams) -> float:
    """An upper bound of ``|R I|`` (V) over the run, noise at its largest plausible excursion."""
    from .inputs import ArrayInput, Modulated, Step, Sum, UniformTerm, WhiteNoise

    total = 0.0
    for part in inputs.parts if isinstance(inputs, Sum) else (inputs,):
        if isinstance(part, Modulated):
            spread = sum(
                abs(term.resolved(params)) if isinstance(term, UniformTerm) else abs(term.depth) for term in part.terms
            )
            total += abs(part.mean) * (1.0 + spread)
        elif isinstance(part, WhiteNoise):
            total += abs(part.mean) + 10.0 * part.sigma / params.r * math.sqrt(params.tau / params.dt)
        elif isinstance(part, Step):
            total += max(abs(part.amplitude), abs(part.baseline))
        elif isinstance(part, ArrayInput):
            total += float(np.max(np.abs(part.values)))
    return params.r * total


def _check_magnitudes(params: LIFParams, inputs: Input) -> None:
    """Refuse finite values whose products overflow: every potential and drive within MAX_VOLTS."""
    advice = f"beyond {MAX_VOLTS:.0e} V, where the statistics (V**2) overflow; check the units (plain numbers are SI)"
    for name in ("el", "vr", "vth", "v0"):
        if not abs(getattr(params, name)) <= MAX_VOLTS:
            raise ValueError(f"{name}: {getattr(params, name):.3g} V is {advice}")
    with np.errstate(over="ignore"):
        drive = _largest_drive(inputs, params)
    if not drive <= MAX_VOLTS:
        raise ValueError(f"input: R I reaches {drive:.3g} V (R = {params.r:.3g} Ohm), {advice}")


def _input_plausibility(inputs: Input, params: LIFParams) -> list[str]:
    """Input settings far outside what a neuron sees (a unit slip): sigma in V, not mV."""
    out = []
    for part in inputs.white_parts():
        if part.sigma > 0.1:
            out.append(
                f"sigma: {part.sigma!r} V is far outside the usual range (0 to 100 mV); "
                "plain numbers are SI units (V): did you mean a value with a unit such as 5mV?"
            )
    return out


#: rough cost per neuron-step (s) of each engine, to decide whether a run is long
_COST = {"numba": 1.5e-9, "numpy": 2e-8, "cuda": 2e-11, "cuda-twin": 5e-9}


def make_progress(progress: bool | None, engine: str, n: int, steps: int):  # type: ignore[no-untyped-def]
    """A tqdm progress bar over neuron-steps, or None.

    Shown when ``progress`` is True, or when it is None, stderr is a terminal
    and the run is expected to last more than about 2 s.
    """
    if progress is False:
        return None
    if progress is None:
        if not sys.stderr.isatty() or n * steps * _COST.get(engine, 2e-8) < 2.0:
            return None
    from tqdm import tqdm

    return _Progress(
        tqdm(total=n * steps, unit="neuron-step", unit_scale=True, desc="lifsim", leave=False, file=sys.stderr),
        n,
        steps,
    )


class _Progress:
    """Adapts the engines' progress calls (steps done, or neurons done) to a tqdm bar of neuron-steps."""

    def __init__(self, bar, n: int, steps: int) -> None:  # type: ignore[no-untyped-def]
        self.bar, self.n, self.steps, self.done = bar, n, steps, 0

    def update(self, count: int, *, neuron_steps: bool = False) -> None:
        total = count if neuron_steps else count * self.n
        if total > self.done:
            self.bar.update(total - self.done)
            self.done = total

    def close(self) -> None:
        self.bar.close()


def _run(plan: RunPlan, engine: str, threads: int | None, bar: Any, store: Any, chunk_steps: int | None) -> Any:
    """Run ``plan`` on ``engine`` with the local runner (and the thread count, for numba)."""
    from .engine import get
    from .runners import run_local

    module = get(engine)
    previous = None
    if engine == "numba" and threads is not None:
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
    try:
        return run_local(
            plan,
            module,
            progress=bar.update if bar is not None else None,
            trace_sink=store.write if store is not None else None,
            chunk_steps=store.chunk_steps if store is not None else chunk_steps,
        )
    finally:
        if previous is not None:
            import numba

            numba.set_num_threads(previous)


def _estimate(
    plan: RunPlan,
    params: LIFParams,
    inputs: Input,
    engine: str,
    cluster: Any,
    runner_meta: dict[str, object],
    needed: int,
    stream: Any,
    method: str,
    spiking: bool,
) -> Any:
    """The :class:`~lifsim.estimate.RunEstimate` of a checked run (a short calibration run included)."""
    from .planning import RunEstimate, calibrate

    expected = _expected_rate(params, inputs, method, spiking)
    ns, calibration = calibrate(
        params, inputs, n=plan.n, steps=plan.steps, engine=engine, seed=stream.seed, method=method, spiking=spiking
    )
    work = ns * 1e-9 * plan.n * plan.steps
    spikes = int(plan.n * max(plan.steps - 1, 0) * params.dt * expected) if plan.spiking and plan.record_spikes else 0
    output = 8 * plan.steps * (3 + len(plan.lags)) + 8 * plan.n * (1 + len(plan.snapshot_steps)) + 16 * spikes
    output += 8 * (0 if plan.record is None else plan.record.size) * plan.steps
    if cluster is None:
        threads = 1
        if engine == "numba":
            import numba

            threads = numba.get_num_threads()
        return RunEstimate(
            what=f"{plan.n} neurons x {plan.steps} steps",
            where=f"this process, {threads} thread{'s' if threads > 1 else ''} ({engine})",
            tasks=1,
            per_task=f"all {plan.n_blocks} blocks of {plan.block} neurons",
            memory_here=needed,
            memory_per_task=None,
            worker_memory=None,
            output_bytes=output,
            ns_per_neuron_step=ns,
            calibration=calibration,
            seconds=work / threads,
        )
    per_task = int(runner_meta["blocks_per_task"])  # type: ignore[call-overload]
    neurons = min(plan.n, per_task * plan.block)
    threads = cluster.total_threads
    tasks = int(runner_meta["tasks"])  # type: ignore[call-overload]
    return RunEstimate(
        what=f"{plan.n} neurons x {plan.steps} steps",
        where=f"Dask: {runner_meta['workers']} workers, {threads} threads ({engine})",
        tasks=tasks,
        per_task=f"{per_task} blocks, up to {neurons} neurons each",
        memory_here=needed,
        memory_per_task=_task_memory(plan, neurons, expected),
        worker_memory=_worker_memory(cluster),
        output_bytes=output,
        ns_per_neuron_step=ns,
        calibration=calibration,
        seconds=work / threads * (1 + 0.5 * (threads - 1) / max(tasks, 1)),  # the last wave may be partly idle
    )


def estimate(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> Any:
    """What :func:`simulate` with these arguments would take, without running it (a ``RunEstimate``).

    Everything is checked as for the run (values, memory, the Dask cluster);
    a short calibration run measures the speed of this model, input and
    engine here. ``print(lifsim.estimate(...).summary())``.
    """
    from .planning import DryRun

    try:
        simulate(params, inputs, _dry_run=True, **kwargs)
    except DryRun as dry:
        return dry.estimate
    raise AssertionError("simulate did not stop for the dry run")  # pragma: no cover


def _worker_memory(cluster: Any) -> int | None:
    """The smallest memory limit (bytes) of the cluster's workers, or None when none has one."""
    limits = [int(w.get("memory_limit") or 0) for w in cluster.workers.values()]
    limits = [limit for limit in limits if limit > 0]
    return min(limits) if limits else None


def _task_memory(plan: RunPlan, neurons: int, expected_rate: float) -> int:
    """Bytes a worker needs for one task of ``neurons`` neurons (its traces included)."""
    needed = plan.memory_estimate(expected_rate, neurons=neurons)
    if plan.record is not None:
        needed += 8 * plan.record.size * plan.steps
    return needed


def _check_task_memory(plan: RunPlan, cluster: Any, blocks_per_task: int, expected_rate: float) -> None:
    """Refuse up front a Dask run whose tasks need more memory than a worker has."""
    limit = _worker_memory(cluster)
    if limit is None:
        return
    neurons = min(plan.n, blocks_per_task * plan.block)
    needed = _task_memory(plan, neurons, expected_rate)
    if needed > limit:
        raise ValueError(
            f"runner: a task of {neurons} neurons x {plan.steps} steps needs about {format_bytes(needed)}, more than "
            f"the {format_bytes(limit)} a worker may use; use smaller tasks (blocks_per_task), fewer steps, "
            "or workers with more memory"
        )


def _expected_rate(params: LIFParams, inputs: Input, method: str, spiking: bool) -> float:
    """The stationary rate (Hz) the theory expects, for the memory estimate of the spike list (100 Hz when
    there is no closed form)."""
    if not spiking:
        return 0.0
    from .theory import stationary_rate

    try:
        found = stationary_rate(params, inputs, method)
    except (ValueError, ArithmeticError):
        found = None
    return 100.0 if found is None else max(found[0], 1.0)


def _grid_step(time: float | str, dt: float, steps: int) -> int:
    """The grid index of ``time`` (s); it must be a grid point inside the run."""
    value = to_si(time, "time", "snapshots")
    ratio = value / dt
    k = int(round(ratio)) if np.isfinite(ratio) and abs(ratio) < 2**62 else -1
    if k < 0 or abs(ratio - k) > 1e-6 or not k < steps:
        raise ValueError(
            f"snapshots: {time!r} is not a time on the grid 0, dt, ..., {(steps - 1) * dt!r} s (dt = {dt!r} s)"
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
