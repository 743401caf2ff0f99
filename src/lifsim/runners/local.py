"""The local runner: a run in this process, its blocks on this machine's cores.

A run is cut into ranges of whole blocks.  :func:`run_blocks` runs one range
through every time chunk and returns a :class:`RangeOutput` (the root of the
range's canonical subtree per step, its spikes, counts, snapshots and the
traces of its recorded neurons); :func:`merge_ranges` merges ranges, given in
block order, into the run's :class:`~lifsim.engine.output.RunOutput`.  The
local runner is one range of all blocks; the Dask runner gives ranges of
``2**t`` aligned blocks to workers and merges them the same way, so the bits
are the same (the contract in :mod:`lifsim.streams`).

:class:`Local` is the runner object: ``Local(threads=..., progress=...)``
owns the numba thread count, the progress bar and the ``.zarr`` store that
traces stream into (see :mod:`lifsim.runners.base`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.host import BLOCKS_PER_CALL, CHUNK_BUDGET
from ..engine.output import RangeOutput, RunOutput, range_trace_rows, time_ordered
from ..engine.plan import RunPlan
from .base import (
    check_memory,
    check_progress,
    compile_notice,
    make_progress,
    output_bytes,
    positive_int,
    stream_chunk_steps,
)
from .ranges import calibrate, merge_ranges, run_blocks, run_local, start_engine_under_limit

if TYPE_CHECKING:
    from ..planning import RunEstimate
    from ..request import ValidRequest
    from ..result import Result

__all__ = [
    "Local",
    "calibrate",
    "run_local",
    "run_blocks",
    "merge_ranges",
    "RangeOutput",
    "range_trace_rows",
    "time_ordered",
    "BLOCKS_PER_CALL",
    "CHUNK_BUDGET",
]


class Local:
    """Runs in this process, its blocks on this machine's cores.

    Parameters
    ----------
    threads : int, optional
        Threads of the numba engine (default: all it was started with, ``NUMBA_NUM_THREADS``);
        set for the run and restored after it.
    progress : bool, optional
        A progress bar (tqdm, on stderr): True always, False never, None (default) when stderr is a
        terminal and the run is expected to take more than about 2 s.
    """

    kind = "local"

    def __init__(self, threads: int | None = None, progress: bool | None = None) -> None:
        self.threads = None if threads is None else positive_int(threads, "threads")
        self.progress = check_progress(progress)

    def __repr__(self) -> str:
        return f"Local(threads={self.threads!r}, progress={self.progress!r})"

    def job(
        self,
        plan: RunPlan,
        request: ValidRequest,
        *,
        trace_store: Any = None,
        chunk_steps: int | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> LocalJob:
        """A checked run of ``plan`` here (``ValueError`` before any work when it cannot run)."""
        return LocalJob(self, plan, request, trace_store, chunk_steps, resume, overwrite)


class LocalJob:
    """One run on the local runner: checked when made; :meth:`estimate`, or :meth:`run` then :meth:`finish`."""

    def __init__(
        self,
        runner: Local,
        plan: RunPlan,
        request: ValidRequest,
        trace_store: Any,
        chunk_steps: Any,
        resume: Any,
        overwrite: bool = False,
    ) -> None:
        self.runner, self.plan, self.request = runner, plan, request
        self.meta: dict[str, object] = {"kind": "local"}
        if not isinstance(resume, bool):
            raise TypeError(f"resume: expected True or False, got {resume!r}")
        if resume:
            raise ValueError("resume: finishes a Dask run (runner=...) in its .zarr store (trace_store=...)")
        if runner.threads is not None:
            if request.engine != "numba":
                raise ValueError(f"threads: applies to the numba engine, not {request.engine!r}")
            from ..engine import get

            most = get("numba").max_threads()  # the registry imports the engine
            if runner.threads > most:
                raise ValueError(f"threads: {runner.threads} is more than the {most} threads numba was started with")
        self.trace_store = None if trace_store is None else Path(trace_store)
        self.chunk_steps = None if chunk_steps is None else positive_int(chunk_steps, "chunk_steps")
        if self.trace_store is not None:
            if request.record is None:
                raise ValueError("trace_store: there are no traces to stream; pass record_v")
            from ..formats import by_name, check_dependencies

            check_dependencies(by_name("zarr"), "trace_store")
            from ..store import check_overwrite

            check_overwrite(self.trace_store, overwrite, "trace_store")
            self.chunk_steps = stream_chunk_steps(request, chunk_steps)
        self.overwrite = bool(overwrite)
        start_engine_under_limit(request, plan.block, runner.threads)  # what the limit counts, before the check
        self.needed = check_memory(plan, request, self.chunk_steps if self.trace_store is not None else None)
        self.store: Any = None

    def threads(self) -> int:
        """The threads the run uses."""
        if self.request.engine != "numba":
            return 1
        if self.runner.threads is not None:
            return self.runner.threads
        import numba

        return int(numba.get_num_threads())

    def estimate(self) -> RunEstimate:
        """What the run would take here, running nothing but a short calibration."""
        from ..planning import RunEstimate

        plan, request = self.plan, self.request
        ns, calibration = calibrate(request, threads=self.runner.threads)
        threads = self.threads()
        return RunEstimate(
            what=f"{plan.n} neurons x {plan.steps} steps",
            where=f"this process, {threads} thread{'s' if threads > 1 else ''} ({request.engine})",
            tasks=1,
            per_task=f"all {plan.n_blocks} blocks of {plan.block} neurons",
            memory_here=self.needed,
            memory_per_task=None,
            worker_memory=None,
            output_bytes=output_bytes(plan, request),
            ns_per_neuron_step=ns,
            calibration=calibration,
            seconds=ns * 1e-9 * plan.n * plan.steps / threads,
        )

    def run(self) -> RunOutput:
        """Run the plan here; the traces stream into the store when one was given."""
        from ..engine import get

        plan, request = self.plan, self.request
        if self.trace_store is not None:
            from ..formats.zarr_traces import TraceStore

            assert plan.record is not None and self.chunk_steps is not None
            times = np.arange(plan.steps) * plan.params.dt
            self.store = TraceStore(self.trace_store, plan.record, times, self.chunk_steps, self.overwrite)
        compile_notice(request.engine, self.runner.progress)
        bar = make_progress(self.runner.progress, request.engine, plan.n, plan.steps)
        previous = None
        try:
            if self.runner.threads is not None:
                import numba

                previous = numba.get_num_threads()
                numba.set_num_threads(self.runner.threads)
            return run_local(
                plan,
                get(request.engine),
                progress=bar.update if bar is not None else None,
                trace_sink=self.store.write if self.store is not None else None,
                chunk_steps=self.chunk_steps,
            )
        except BaseException:
            if self.store is not None:
                self.store.abort()
            raise
        finally:
            if previous is not None:
                import numba

                numba.set_num_threads(previous)
            if bar is not None:
                bar.close()

    def finish(self, result: Result) -> None:
        """Complete the trace store (the rest of the run written beside the traces) and point the result at it."""
        if self.store is None:
            return
        try:
            self.store.finish(result)
        except BaseException:
            self.store.abort()
            raise
        from ..formats.zarr_traces import ZarrTraces

        result.trace_source = ZarrTraces(self.store.target)
