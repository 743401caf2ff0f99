"""What every runner shares: the memory guard, the progress bar, the estimate's common part, a job's shape.

A runner (:class:`~lifsim.runners.local.Local`, :class:`~lifsim.runners.dask.Dask`)
is where a run goes.  ``runner.job(plan, request, trace_store=..., chunk_steps=...,
resume=...)`` checks everything that depends on where the run goes (memory,
threads, the cluster, the stores) before any work and returns a :class:`Job`:
``job.estimate()`` says what the run would take, running nothing (the dry
run); ``job.run()`` runs it and returns the merged
:class:`~lifsim.engine.output.RunOutput`; ``job.finish(result)`` completes the
stores the run wrote; ``job.meta`` is the runner's part of the provenance.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import in_own_words
from ..memory import available_memory, format_bytes, single_thread_native_pools

if TYPE_CHECKING:
    from ..engine.output import RunOutput
    from ..engine.plan import RunPlan
    from ..planning import RunEstimate
    from ..request import RunRequest, ValidRequest
    from ..result import Result

__all__ = [
    "Job",
    "Runner",
    "check_memory",
    "expected_rate",
    "make_progress",
    "output_bytes",
    "point_progress",
    "PointBar",
    "least_output_bytes",
    "positive_int",
    "MAX_TRACE_BYTES",
    "STREAM_CHUNK_BYTES",
]

#: refuse to keep more than this many bytes of recorded traces in memory (stream them to a .zarr instead)
MAX_TRACE_BYTES = 8 * 2**30
#: bytes of traces per chunk of time streamed to a .zarr store
STREAM_CHUNK_BYTES = 64 * 2**20
#: rough cost per neuron-step (s) of each engine, to decide whether a run is long
_COST = {"numba": 1.5e-9, "numpy": 2e-8, "cuda": 2e-11, "cuda-twin": 5e-9}


class Job(Protocol):
    """One run on one runner, checked and ready (see the module docstring)."""

    meta: dict[str, object]

    def estimate(self) -> RunEstimate: ...

    def run(self) -> RunOutput: ...

    def finish(self, result: Result) -> None: ...


class Runner(Protocol):
    """Where runs go: makes a checked :class:`Job` of a plan."""

    def job(
        self,
        plan: RunPlan,
        request: ValidRequest,
        *,
        trace_store: Any = None,
        chunk_steps: int | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> Job: ...


def positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or ``TypeError``/``ValueError`` naming ``name``."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a whole number >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: must be >= 1, got {value!r}")
    return int(value)


def stream_chunk_steps(request: ValidRequest, chunk_steps: int | None) -> int:
    """Steps per chunk of traces streamed to a store: ``chunk_steps``, or about 64 MiB of traces."""
    if chunk_steps is not None:
        return positive_int(chunk_steps, "chunk_steps")
    size = 0 if request.record is None else int(request.record.size)
    return max(1, min(request.steps, STREAM_CHUNK_BYTES // (8 * max(1, size))))


def _theory_rate(request: ValidRequest) -> tuple[float | None, float]:
    """The stationary rate (Hz) of the theory's closed form (None without one) and the rate no neuron can pass."""
    from ..theory import stationary_rate

    try:
        found = stationary_rate(request.params, request.inputs, request.method, on_grid=False)  # an estimate
    except (ValueError, ArithmeticError):
        found = None
    # a neuron spikes at most once a step, and then waits out its refractory steps: the continuous theory's rate
    # has no such ceiling (a drive of a kilovolt gave 1e14 Hz, and a spike list of petabytes for 50 neurons)
    hold = 0 if request.params.t_ref_std > 0 else request.params.refractory_steps  # per-neuron periods: any
    ceiling = 1.0 / (request.params.dt * (1 + hold))
    return (None if found is None else found[0]), ceiling


def expected_rate(request: ValidRequest) -> float:
    """The stationary rate (Hz) the theory expects, for the memory estimate of the spike list (100 Hz when
    there is no closed form)."""
    if not request.spiking:
        return 0.0
    found, ceiling = _theory_rate(request)
    return 100.0 if found is None else min(max(found, 1.0), ceiling)


#: the share of the theory's rate a lower bound of the spikes counts on (a grid of dt fires below the continuous
#: theory, by a few per cent at the tutorial's settings)
LEAST_RATE_SHARE = 0.5


def least_output_bytes(plan: RunPlan, request: ValidRequest) -> int:
    """A lower bound of :func:`output_bytes`, for refusing a file before the run only where it cannot fit: the
    spikes at :data:`LEAST_RATE_SHARE` of the theory's rate, none without a closed form."""
    found, ceiling = _theory_rate(request) if request.spiking else (None, 0.0)
    rate = 0.0 if found is None else LEAST_RATE_SHARE * min(found, ceiling)
    return output_bytes(plan, request, rate)


def least_file_bytes(plan: RunPlan, request: ValidRequest) -> dict[str, int]:
    """A lower bound of the bytes a file of each format (``.nc``, ``.npz``, ``.nwb``, ``.zarr``) of this run takes,
    the spikes at :data:`LEAST_RATE_SHARE` of the theory's rate: one estimate per format, for refusing a file
    before the run only where it cannot fit.  ``.nc`` and ``.npz`` hold the arrays uncompressed; ``.nwb`` the
    traces, 8 bytes a spike time, the per-step mean, deviation and input current and a row per neuron; a
    ``.zarr`` store compresses, but lifsim reads back none whose arrays (traces aside) are more than
    :data:`lifsim.store.MAX_RATIO` times its size."""
    from ..store import MAX_RATIO

    found, ceiling = _theory_rate(request) if request.spiking else (None, 0.0)
    rate = 0.0 if found is None else LEAST_RATE_SHARE * min(found, ceiling)
    arrays = output_bytes(plan, request, rate)
    spikes = 0
    if plan.spiking and plan.record_spikes:
        spikes = int(plan.n * max(plan.steps - 1, 0) * plan.params.dt * rate)
    units = 8 * plan.n if plan.spiking and plan.record_spikes else 0
    nwb = request.trace_bytes + 8 * spikes + 24 * plan.steps + units
    return {".nc": arrays, ".npz": arrays, ".nwb": nwb, ".zarr": (arrays - request.trace_bytes) // MAX_RATIO}


def check_memory(plan: RunPlan, request: ValidRequest, streamed_chunk: int | None) -> int:
    """Bytes this process needs for the run; ``ValueError`` when more than it can use, naming what is too large.

    ``streamed_chunk``: the traces stream to a store, this many steps at a time, and are never held whole
    (finding 5 of issue 16): only that chunk counts.  When the traces are what does not fit, or the larger part of
    what does not, the message names ``record_v``, not ``n`` or ``t_max``.
    """
    single_thread_native_pools()  # before the writers load theirs (finding 15)
    rate = expected_rate(request)
    if streamed_chunk is None:  # the traces are held whole (the engine's chunk and the result's array)
        needed = plan.memory_estimate(rate) + request.trace_bytes
        without_traces = needed - 2 * request.trace_bytes
        per_step = plan.memory_estimate(rate, neurons=0) + request.trace_bytes
    else:
        needed = plan.memory_estimate(rate, chunk=streamed_chunk)
        without_traces = needed
        per_step = plan.memory_estimate(rate, chunk=streamed_chunk, neurons=0)
    available = available_memory()
    if available is not None and needed > available:
        traces = needed - without_traces
        if request.record is not None and (without_traces <= available or traces >= without_traces):
            rest = "" if without_traces <= available else f" (the rest of the run {format_bytes(without_traces)})"
            raise ValueError(
                f"record_v: {request.record.size} traces x {request.steps} steps need about {format_bytes(needed)} "
                f"of memory with the run{rest}, more than the {format_bytes(available)} available; record fewer "
                "neurons (e.g. '0:100') or stream them to disk (trace_store='run.zarr', --data run.zarr)"
            )
        blamed, fix = _too_large(request, steps_dominate=per_step > needed - per_step)
        spikes = plan.memory_estimate(rate) - plan.memory_estimate(0.0)
        if spikes >= needed - spikes:  # the spike list is the larger part: a run without it may fit
            keep_none = in_own_words("--no-record-spikes", "record_spikes=False")
            fix += f", or keep no spike times ({keep_none}): they are about {format_bytes(spikes)} of it, and the "
            fix += "counts and rates are kept without them"
        raise ValueError(
            f"{blamed}: {request.n} neuron{'s' if request.n != 1 else ''} x {request.steps} steps need about "
            f"{format_bytes(needed)} of memory (state, statistics, traces and spikes), more than the "
            f"{format_bytes(available)} available; {fix}"
        )
    if streamed_chunk is None and request.trace_bytes > MAX_TRACE_BYTES:
        assert request.record is not None
        raise ValueError(
            f"record_v: {request.record.size} traces x {request.steps} steps need "
            f"{request.trace_bytes / 2**30:.1f} GiB; record fewer neurons (e.g. '0:100') or stream them to disk "
            "(trace_store='run.zarr', --data run.zarr)"
        )
    return needed


#: recorded neurons from which a selection of them (``"all"``, ``"a:b"``) is counted before it is listed
COUNT_FIRST = 100_000


def check_memory_from_counts(request: RunRequest, streamed: bool, chunk_steps: int | None = None) -> None:
    """:func:`check_memory` of a request whose recorded neurons (``record_v``) are a range of many (``"all"``,
    ``"a:b"``, a slice), from their count, before they are listed: ``--n 1e8 --record-v all --dry-run`` listed
    10**8 indices (40 s, 5.5 GB) before it was refused.  ``streamed``: the traces stream to a store."""
    from dataclasses import replace

    import numpy as np

    from ..engine.plan import RunPlan
    from ..request import Record, selection_size

    record = request.record
    if not isinstance(record, Record) or not (record.v is True or isinstance(record.v, (str, slice))):
        return  # nothing recorded, or a list already in memory
    bare = replace(request, record=replace(record, v=None)).validate()  # everything else checked
    size = selection_size(record.v, bare.n)
    if size is None or size < COUNT_FIRST:
        return
    counted = replace(bare, record=np.broadcast_to(np.zeros(1, dtype=np.int64), (size,)))  # its size, no memory
    check_memory(RunPlan.from_request(counted), counted, stream_chunk_steps(counted, chunk_steps) if streamed else None)


def _too_large(request: ValidRequest, steps_dominate: bool) -> tuple[str, str]:
    """What a run too large for memory blames, and how to make it fit: ``n`` when the bytes that grow with the
    neurons (state, spikes) are the larger part, else the step count, as the network blames its ``t_max`` when
    its spikes outweigh the network; the steps by whichever of ``t_max`` and ``dt`` moved further from its
    default towards more steps (``--t-max 1ms --dt 1e-12`` is the ``dt``)."""
    if not steps_dominate:
        return "n", "use fewer neurons"
    from ..params import LIFParams

    params, default = request.params, LIFParams()
    longer, finer = params.t_max / default.t_max, default.dt / params.dt
    return ("dt" if finer > longer else "t_max"), "use fewer steps (t_max / dt): a larger dt or a shorter t_max"


def output_bytes(plan: RunPlan, request: ValidRequest, rate: float | None = None) -> int:
    """Bytes of the result's arrays (what a file holds before compression), the spikes at ``rate`` (Hz; default
    :func:`expected_rate`)."""
    spikes = 0
    if plan.spiking and plan.record_spikes:
        rate = expected_rate(request) if rate is None else rate
        spikes = int(plan.n * max(plan.steps - 1, 0) * plan.params.dt * rate)
    output = 8 * plan.steps * (3 + len(plan.lags)) + 8 * plan.n * (1 + len(plan.snapshot_steps)) + 16 * spikes
    return output + request.trace_bytes + request.inputs.array_bytes()  # a result keeps its input array


def compile_notice(engine: str, progress: bool | None) -> None:
    """Say on a terminal that the numba engine compiles (first run only)."""
    if engine == "numba" and progress is not False and sys.stderr.isatty():
        from ..engine import get

        if get("numba").needs_compile():
            print(
                "lifsim: compiling the numba engine (first run only, about a minute; later runs load it from disk)",
                file=sys.stderr,
                flush=True,
            )


class PointBar:
    """A sweep's progress as a bar of points on stderr (tqdm), closed when the last point lands or by
    :meth:`close`; a callable ``bar(points_done, points_total)``."""

    def __init__(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=0, unit="point", desc="lifsim sweep", leave=False, file=sys.stderr)

    def __call__(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()
        if done >= total:
            self.close()

    def close(self) -> None:
        self.bar.close()


def point_progress(progress: object) -> Callable[[int, int], None] | None:
    """A sweep's ``progress`` argument as its callback: a callable as it is, True a :class:`PointBar`, None or
    False none; ``TypeError`` for anything else (``progress=False`` met a call of a bool in the sweep's middle)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return PointBar()
    if callable(progress):
        return progress  # type: ignore[return-value]
    raise TypeError(
        f"progress: expected progress(points_done, points_total), True for a bar or False for none, got "
        f"{type(progress).__name__} {progress!r}"
    )


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


def check_progress(progress: object) -> bool | None:
    """``progress``: True, False or None."""
    import numpy as np

    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress: expected True, False or None, got {progress!r}")
    return None if progress is None else bool(progress)
