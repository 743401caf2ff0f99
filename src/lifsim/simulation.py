"""The one entry point: :func:`simulate`, a request run on a runner.

``simulate`` reads top to bottom: the request (what, :class:`~lifsim.request.RunRequest`),
its plan (:class:`~lifsim.engine.plan.RunPlan`), the runner (where,
:mod:`lifsim.runners`), the result.  :func:`run` does the same for a request
already made (:func:`lifsim.rerun` runs the request stored in a file);
:func:`estimate` is the runner's estimate of the plan, running nothing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from .atomic import check_path_type
from .engine.output import RunOutput
from .engine.plan import RunPlan
from .engine.spike_list import steps_to_times
from .errors import PlausibilityWarning, user_stacklevel
from .inputs import Input, array_values
from .params import LIFParams
from .planning import RunEstimate
from .request import (
    MAX_NEURONS,
    MAX_VOLTS,
    Record,
    RunRequest,
    ValidRequest,
    parse_neuron_selection,
    plausibility,
    stamp,
)
from .result import Result
from .runners.base import MAX_TRACE_BYTES, Runner, check_memory_from_counts, make_progress
from .runners.local import Local
from .streams import STREAM_VERSION, CounterStream, LegacyStream
from .units import format_display

__all__ = ["simulate", "run", "estimate", "as_runner", "parse_neuron_selection"]
__all__ += ["MAX_NEURONS", "MAX_VOLTS", "MAX_TRACE_BYTES", "make_progress"]  # kept where they were


def simulate(
    params: LIFParams | None = None,
    inputs: Input | None = None,
    *,
    n: int = 1,
    seed: int = 0,
    stream: CounterStream | LegacyStream | None = None,
    stream_version: int = STREAM_VERSION,
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
    overwrite: bool = False,
    _dry_run: bool = False,
) -> Result:
    """Simulate ``n`` independent LIF neurons driven by ``inputs`` (A; ``constant(params.i_mean)`` by default).

    What to run: ``params``, ``inputs``, ``n``, ``seed``, ``stream``, ``stream_version`` (3, the default, or
    2: the normals of lifsim before issue 17, see :mod:`lifsim.streams`), ``spiking``, ``method``
    (``"euler"`` or ``"exact"``), ``steps``, ``engine``, ``device``, ``block``, ``command``, ``config``:
    the fields of :class:`~lifsim.request.RunRequest`.  What to keep besides the per-step statistics:
    ``record_v`` (neurons whose trace V is kept: ``"all"``, ``"a:b"``, indices), ``record_spikes``,
    ``lags`` (steps) and ``snapshots`` (times): the fields of :class:`~lifsim.request.Record`.
    Where: ``runner``: None (this process, :class:`~lifsim.runners.Local` with ``threads`` and
    ``progress``), a worker count, a scheduler address or a ``dask.distributed.Client``
    (:class:`~lifsim.runners.Dask` with ``blocks_per_task``), or a runner object.  ``trace_store``:
    a ``.zarr`` path the traces stream into as the run goes (``chunk_steps`` steps at a time), the
    whole run written there at the end; with a Dask runner, ``resume=True`` finishes an interrupted run
    in it; an existing store is replaced only with ``overwrite=True``.  None of ``threads``, ``block``,
    ``runner``, ``blocks_per_task`` or ``chunk_steps`` changes a bit.

    Raises ``ValueError`` / ``TypeError`` for invalid arguments, before any work, naming the bad value.
    """
    what: dict[str, Any] = dict(n=n, seed=seed, method=method, spiking=spiking, steps=steps, engine=engine)
    what |= dict(stream=stream, stream_version=stream_version, block=block, device=device, command=command)
    what |= dict(config=config, record_v=record_v, record_spikes=record_spikes, lags=lags, snapshots=snapshots)
    request = _request(params, inputs, what)
    where = as_runner(runner, threads=threads, progress=progress, blocks_per_task=blocks_per_task)
    stores = dict(trace_store=trace_store, chunk_steps=chunk_steps, resume=resume, overwrite=overwrite)
    return run(request, where, dry_run=_dry_run, **stores)  # type: ignore[return-value,arg-type]  # (estimate)


def run(
    request: RunRequest | ValidRequest,
    runner: Runner | None = None,
    *,
    trace_store: str | os.PathLike | None = None,
    chunk_steps: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    dry_run: bool = False,
) -> Result | RunEstimate:
    """Run ``request`` on ``runner`` (default :class:`~lifsim.runners.Local`): checked, planned, run, collected.

    ``dry_run``: check everything and return the runner's :class:`~lifsim.planning.RunEstimate` of the plan
    instead (a short calibration run measures the speed here); nothing is written.
    """
    if trace_store is not None:
        check_path_type(trace_store, "trace_store")
    if isinstance(request, RunRequest) and (runner is None or isinstance(runner, Local)):
        check_memory_from_counts(request, trace_store is not None, chunk_steps)  # before the recorded are listed
    valid = request.validate()
    plan = RunPlan.from_request(valid)
    job = (Local() if runner is None else runner).job(
        plan, valid, trace_store=trace_store, chunk_steps=chunk_steps, resume=resume, overwrite=overwrite
    )
    if dry_run:
        return job.estimate()
    for text in plausibility(valid):
        warnings.warn(text, PlausibilityWarning, stacklevel=user_stacklevel())
    gpu = _use_device(valid)
    result = collect(valid, plan, job.run(), {"runner": job.meta, **({"device": gpu} if gpu is not None else {})})
    job.finish(result)
    return checked(result)


def _request(params: LIFParams | None, inputs: Input | None, what: dict[str, Any]) -> RunRequest:
    """The :class:`~lifsim.request.RunRequest` of :func:`simulate`'s keywords ``what`` (what to run and keep)."""
    fields = {"record_v": "v", "record_spikes": "spikes", "lags": "lags", "snapshots": "snapshots"}
    record = Record(**{field: what.pop(name) for name, field in fields.items() if name in what})
    return RunRequest(params, inputs, record=record, **what)


def least_output_size(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> int:
    """At least how many bytes of arrays :func:`simulate` with these arguments would return (what a file holds
    before compression; the spikes at half the theory's rate, none without a closed form): checked as the run
    is, nothing run.  ``threads``, ``runner`` and the other keywords of where it runs are ignored (they change
    no bit)."""
    from .runners.base import least_output_bytes

    valid = _checked_request(params, inputs, kwargs)
    return least_output_bytes(RunPlan.from_request(valid), valid)


def least_file_sizes(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> dict[str, int]:
    """At least how many bytes a ``.nc``, ``.npz``, ``.nwb`` or ``.zarr`` file of :func:`simulate` with these
    arguments takes (keyed by suffix; :func:`lifsim.runners.base.least_file_bytes`): checked as the run is, nothing
    run; what ``lifsim simulate --data`` refuses a folder by, before the run."""
    from .runners.base import least_file_bytes

    valid = _checked_request(params, inputs, kwargs)
    return least_file_bytes(RunPlan.from_request(valid), valid)


def expected_output_size(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> int:
    """About how many bytes of arrays :func:`simulate` with these arguments would return: as
    :func:`least_output_size`, the spikes at the theory's rate (what a warning that a file may not fit needs)."""
    from .runners.base import output_bytes

    valid = _checked_request(params, inputs, kwargs)
    return output_bytes(RunPlan.from_request(valid), valid)


def _checked_request(params: LIFParams | None, inputs: Input | None, kwargs: dict[str, Any]) -> Any:
    """The validated request of :func:`simulate`'s arguments, the keywords of where it runs left out."""
    where = ("threads", "progress", "runner", "blocks_per_task", "trace_store", "chunk_steps", "resume", "overwrite")
    return _request(params, inputs, {k: v for k, v in kwargs.items() if k not in where}).validate()


def check_run_memory(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> int:
    """The bytes :func:`simulate` with these arguments needs in this process, checked as the run checks them
    (``ValueError`` naming ``n`` or ``record_v`` when they are more than it can use), nothing run: a sweep checks
    every point before the first runs (a point of a high rate's spike list failed after the others had run)."""
    from .runners.base import check_memory
    from .runners.ranges import start_engine_under_limit

    valid = _checked_request(params, inputs, kwargs)
    plan = RunPlan.from_request(valid)
    threads = kwargs.get("threads")
    start_engine_under_limit(valid, plan.block, threads if isinstance(threads, int) else None)
    return check_memory(plan, valid, None)


def estimate(params: LIFParams | None = None, inputs: Input | None = None, **kwargs: Any) -> RunEstimate:
    """What :func:`simulate` with these arguments would take, without running it (a ``RunEstimate``).

    Everything is checked as for the run (values, memory, the Dask cluster);
    a short calibration run measures the speed of this model, input and
    engine here. ``print(lifsim.estimate(...).summary())``.
    """
    found = simulate(params, inputs, _dry_run=True, **kwargs)
    assert isinstance(found, RunEstimate)
    return found


def as_runner(
    runner: object = None,
    *,
    threads: int | None = None,
    progress: bool | None = None,
    blocks_per_task: int | None = None,
) -> Runner:
    """The runner object for :func:`simulate`'s keywords: ``runner`` None -> :class:`~lifsim.runners.Local`
    (``threads``, ``progress``); a worker count, an address or a ``Client`` -> :class:`~lifsim.runners.Dask`
    (``blocks_per_task``, ``progress``); a runner object as it is."""
    from .runners.dask import Dask

    if isinstance(runner, (Local, Dask)):
        if threads is not None or blocks_per_task is not None:
            raise ValueError("runner: threads and blocks_per_task are settings of the runner object; set them there")
        return runner
    if runner is None:
        if blocks_per_task is not None:
            raise ValueError("blocks_per_task: applies to a Dask runner (runner=...)")
        return Local(threads=threads, progress=progress)
    if threads is not None:
        raise ValueError("threads: a Dask runner gives each task its worker's threads; leave threads unset")
    return Dask(runner, blocks_per_task=blocks_per_task, progress=progress)


def collect(request: ValidRequest, plan: RunPlan, output: RunOutput, extra: dict[str, object]) -> Result:
    """The :class:`~lifsim.result.Result` of a run: the engine's output and the provenance (the request)."""
    params, stored = request.params, request.to_dict()
    meta = {
        "params": stored["params"],
        "units": {"t": "s", "v": "V", "v_mean": "V", "v_var": "V**2", "v_std": "V", "spike_t": "s", "rate": "Hz"},
        "input": stored["input"],
        "n": request.n,
        "steps": request.steps,
        "seed": request.stream.seed,
        "stream": request.stream.describe(),
        "block": plan.block,
        "method": request.method,
        "engine": request.engine,
        **extra,
        "spiking": request.spiking,
        **stamp(request.request.command, request.request.config),
        "notes": params.notes(),
        **({"rounded": params.rounded()} if params.rounded() else {}),  # the values a rounded run used (s)
        "run": stored["run"],  # everything lifsim.rerun needs to make this run again (RunRequest.from_dict)
    }
    return Result(
        t=np.arange(request.steps) * params.dt,
        n=request.n,
        v_mean=output.moments.mean,
        v_m2=output.moments.m2,
        lags=output.lags,
        comoment=output.comoment,
        v=output.trace,
        v_neurons=request.record,
        spike_t=None if output.spike_step is None else steps_to_times(output.spike_step, params.dt),
        spike_i=output.spike_i,
        spike_count=output.spike_count,
        snapshot_t=np.array(request.snapshot_steps, dtype=np.int64) * params.dt,
        v_snapshots=output.snapshots,
        input_array=array_values(request.inputs),
        meta=meta,
    )


def checked(result: Result) -> Result:
    """``result``, once its statistics are finite (``ValueError`` otherwise) and its rate plausible (a warning)."""
    if not (np.isfinite(result.v_mean).all() and np.isfinite(result.v_m2).all()):
        raise ValueError(
            "v: the membrane potential overflowed to infinity or NaN during the run; "
            "the parameters or input drive it far beyond anything physical (check their units)"
        )
    dt = result.meta["params"]["dt"]
    if result.meta["spiking"] and result.rate > 0.5 / dt:
        warnings.warn(
            f"rate: the neurons fire at {result.rate:.4g} Hz, over half the most that steps of "
            f"{format_display(dt, 'time')} allow (a spike every step: {1 / dt:.4g} Hz); check the units of the input "
            "and parameters",
            PlausibilityWarning,
            stacklevel=user_stacklevel(),
        )
    return result


def _use_device(request: ValidRequest) -> str | None:
    """Make the cuda engine's GPU current; its name (None for the other engines)."""
    if request.engine != "cuda":
        return None
    from .engine.cuda.engine import use_device

    return use_device(request.device)
