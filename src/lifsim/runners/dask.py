"""The Dask runner: a run's blocks as tasks on a Dask cluster, merged into the same bits as one process.

The plan's blocks are cut into ranges of ``2**t`` aligned blocks (nodes of the
canonical reduction tree, :mod:`lifsim.reduce`).  Each range is one task: a
worker runs an engine over it (:func:`lifsim.runners.local.run_blocks`) and
returns only mergeable results: the range's statistics root per step, its
spikes, counts, snapshots and recorded traces.  The client merges the ranges
in block order (:func:`lifsim.runners.local.merge_ranges`).  Since every
neuron's numbers depend only on ``(seed, neuron)`` and the statistics follow
one tree, the result is bitwise the single-process run's, for any worker
count, task size, or task that ran twice because its worker died.

:class:`Dask` is the runner object: ``Dask(client | address | workers,
blocks_per_task=...)`` owns the cluster (a ``LocalCluster`` it started is
closed with the run), the checkpoint store of a resumable run and the
progress bar.  The same object runs batches of small independent items
(:meth:`Dask.map`, grid points of a sweep or an f-I curve), packed into tasks
of about equal work (:func:`plan_batches`).

``distributed`` is an optional dependency (``pip install ".[dask]"`` in the lifsim folder);
this module imports it only when a cluster is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import os
import signal
import sys
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.output import RangeOutput, RunOutput
from ..engine.plan import RunPlan
from ..memory import format_bytes
from ..signals import pending
from .base import check_memory, check_progress, expected_rate, make_progress, output_bytes, positive_int
from .ranges import merge_ranges, run_blocks

if TYPE_CHECKING:
    from ..planning import RunEstimate
    from ..request import ValidRequest
    from ..result import Result

__all__ = ["Dask", "run_dask", "run_batches", "plan_batches", "connect", "task_ranges", "CONNECT_TIMEOUT_S", "Cluster"]

_EXPECTED = "expected a dask.distributed.Client, a scheduler address or a worker count"

#: seconds to reach a scheduler before giving up with one line
CONNECT_TIMEOUT_S = 8.0
#: seconds an interrupted run's LocalCluster workers get to leave before they are killed
STOP_S = 0.5


class Cluster:
    """A Dask client and, when lifsim started it, the LocalCluster to close with it."""

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client, self.cluster = client, cluster

    @property
    def workers(self) -> dict[str, Any]:
        return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    @property
    def total_threads(self) -> int:
        return max(1, sum(int(w.get("nthreads", 1)) for w in self.workers.values()))

    @property
    def dashboard(self) -> str | None:
        link = getattr(self.client, "dashboard_link", None)
        return str(link) if link else None

    def close(self) -> None:
        if self.cluster is not None:
            if isinstance(sys.exc_info()[1], KeyboardInterrupt) or pending() is not None:
                self._stop_workers()  # Ctrl-C or SIGTERM: no waiting for the tasks that run
            self.client.close()
            self.cluster.close()

    def _stop_workers(self) -> None:
        """Stop the worker processes of the LocalCluster at once: a worker that does not leave when asked
        (it waits for its running task) is killed after :data:`STOP_S` seconds, and none is restarted."""

        async def stop() -> None:
            nannies = list(self.cluster.workers.values())
            await asyncio.gather(*(nanny.close(timeout=STOP_S) for nanny in nannies), return_exceptions=True)

        loop = getattr(self.cluster.loop, "asyncio_loop", None)
        if loop is not None:  # a scheduler handler cut short by a worker that left reports nothing either
            loop.set_exception_handler(lambda _loop, _context: None)
        with contextlib.suppress(Exception):  # the cluster's own close() below finishes the job
            self.cluster.sync(stop)


def _need_distributed() -> Any:
    from ..errors import MissingDependencyError

    try:
        import distributed
    except ImportError:
        raise MissingDependencyError(
            "runner: a Dask cluster needs the 'distributed' package; "
            'install it with pip install ".[dask]" in the lifsim folder',
            package="distributed",
            extra="dask",
        ) from None
    return distributed


def local_cores() -> int:
    """The cores this process may use: the most worker processes a ``LocalCluster`` gets here."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread while a ``LocalCluster`` starts, so its worker processes never see Ctrl-C.

    The cluster's event-loop thread, started here, inherits the blocked mask, and so does every worker process
    spawned from it (a restarted one too): a terminal's Ctrl-C reaches the whole process group, and a worker that
    took it would print its own ``KeyboardInterrupt`` traceback.  This process still gets it: a Ctrl-C during the
    start stays pending and is raised when the mask is restored; the run's clean-up then closes the cluster, whose
    workers also leave when this process does.  SIGTERM stays unblocked (the nanny stops workers with it).
    """
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:  # pragma: no cover - not on POSIX
        yield
        return
    from multiprocessing import resource_tracker

    # multiprocessing starts its resource tracker on the first semaphore (the nanny's queue, in the loop
    # thread) and unblocks SIGINT in that thread afterwards: started here first, it leaves the mask alone
    resource_tracker.ensure_running()
    previous = block(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, previous)


def connect(runner: Any) -> Cluster:
    """A :class:`Cluster` for ``runner``: a ``distributed.Client``, a scheduler address, or a worker count.

    A worker count starts a ``LocalCluster`` of that many single-threaded
    worker processes; an address that cannot be reached fails within
    :data:`CONNECT_TIMEOUT_S` seconds with one line, handshake included, and at
    once where nothing listens (:func:`lifsim.runners.connect.connect_scheduler`).
    """
    distributed = _need_distributed()
    if isinstance(runner, distributed.Client):
        return Cluster(runner)
    if isinstance(runner, bool):
        raise TypeError(
            f"runner: expected a dask.distributed.Client, a scheduler address or a worker count, got {runner!r}"
        )
    if isinstance(runner, int):
        cores = local_cores()
        if not 1 <= runner <= cores:
            raise ValueError(
                f"workers: expected a whole number from 1 to {cores} (the cores of this machine; a bigger cluster "
                f"is reached with a scheduler address), got {runner!r}"
            )
        import dask

        from .main_guard import check_main_guard

        if dask.config.get("distributed.worker.multiprocessing-method", "spawn") != "fork":
            check_main_guard(runner)  # each worker imports the script again: refused before any starts
        cluster = None
        try:
            with (
                _sigint_blocked(),
                dask.config.set({"distributed.worker.daemon": False, "logging.distributed": "error"}),
            ):
                cluster = distributed.LocalCluster(
                    n_workers=runner, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
                )
            return Cluster(distributed.Client(cluster), cluster)
        except BaseException:  # a Ctrl-C kept while the cluster started is raised here: stop its workers
            if cluster is not None:
                cluster.close()
            raise
    if isinstance(runner, str):
        from .connect import connect_scheduler

        # one deadline for the whole connection, handshake included; a closed port fails at once
        return Cluster(connect_scheduler(runner, CONNECT_TIMEOUT_S))
    raise TypeError(f"runner: {_EXPECTED}, got {type(runner).__name__}")


def task_ranges(n_blocks: int, blocks_per_task: int) -> list[tuple[int, int]]:
    """Aligned block ranges of ``blocks_per_task`` (a power of two) blocks; the last may be shorter."""
    if blocks_per_task < 1 or blocks_per_task & (blocks_per_task - 1):
        raise ValueError(f"blocks_per_task: must be a power of two, got {blocks_per_task!r}")
    return [(b, min(n_blocks, b + blocks_per_task)) for b in range(0, n_blocks, blocks_per_task)]


def default_blocks_per_task(n_blocks: int, threads: int) -> int:
    """About four tasks per worker thread (so a slow or lost worker delays little), as a power of two."""
    wanted = max(1, n_blocks // max(1, 4 * threads))
    return 1 << (wanted.bit_length() - 1)


def use_worker_threads() -> None:
    """On a Dask worker, let numba use the worker's threads (not every core of the machine)."""
    try:
        from distributed import get_worker

        threads = int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]


def _task(plan: RunPlan, engine_name: str, first_block: int, end_block: int, store: Any = None) -> RangeOutput:
    """Run on a worker: the engine over one block range, with the worker's thread count.

    With a :class:`~lifsim.runners.checkpoint.RunStore`, the range's traces and its done mark are written to
    the store from here, and the range comes back without its traces.
    """
    from ..engine import get

    if engine_name == "numba":
        use_worker_threads()
    part = run_blocks(plan, get(engine_name), first_block, end_block)
    return store.write_range(part) if store is not None else part


def run_dask(
    plan: RunPlan,
    engine_name: str,
    cluster: Cluster,
    *,
    blocks_per_task: int | None = None,
    progress: Callable[..., None] | None = None,
    store: Any = None,
    finished: set[int] | None = None,
) -> RunOutput:
    """Run ``plan`` on ``cluster``, one task per aligned block range, and merge the ranges in block order.

    ``store`` (a :class:`~lifsim.runners.checkpoint.RunStore`): the workers write traces and finished ranges
    there; the ranges starting at the blocks in ``finished`` are read from it instead of run (``--resume``).
    """
    distributed = _need_distributed()
    client = cluster.client
    if blocks_per_task is None:
        blocks_per_task = default_blocks_per_task(plan.n_blocks, cluster.total_threads)
    ranges = task_ranges(plan.n_blocks, blocks_per_task)
    finished = finished or set()
    done: list[RangeOutput] = [store.read_range(b0, b1) for b0, b1 in ranges if b0 in finished]
    neuron_steps = sum(r.spike_count.size for r in done) * plan.steps
    [shared] = client.scatter([plan], broadcast=True, hash=False)
    futures = {
        client.submit(_task, shared, engine_name, b0, b1, store, pure=False, retries=1): (b0, b1)
        for b0, b1 in ranges
        if b0 not in finished
    }
    try:
        for future in distributed.as_completed(futures):
            b0, b1 = futures[future]
            try:
                part = future.result()
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as error:  # a task's own error: name the neurons it was running
                if store is not None and _out_of_room(error):  # the store's disk: the store resumes, say so
                    raise store.out_of_room(error) from None
                lo, hi = plan.neuron_range(b0, b1)
                text = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
                raise ValueError(f"task for neurons {lo}..{hi - 1} failed: {text}") from None
            done.append(part)
            lo, hi = plan.neuron_range(b0, b1)
            neuron_steps += (hi - lo) * plan.steps
            if progress is not None:
                progress(neuron_steps, neuron_steps=True)
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
    return merge_ranges(plan, done)


def _out_of_room(error: BaseException) -> bool:
    """Whether ``error`` is a full disk or quota (a worker's write into the store or its parts folder)."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def estimate_tasks(plan: RunPlan, cluster_threads: int, blocks_per_task: int | None = None) -> dict[str, Any]:
    """How a run would be cut: tasks, neurons per task (for ``--dry-run`` and the memory check)."""
    per_task = blocks_per_task or default_blocks_per_task(plan.n_blocks, cluster_threads)
    ranges = task_ranges(plan.n_blocks, per_task)
    neurons = min(plan.n, per_task * plan.block)
    return {
        "tasks": len(ranges),
        "blocks_per_task": per_task,
        "neurons_per_task": neurons,
        "waves": math.ceil(len(ranges) / cluster_threads),
    }


# ---------------------------------------------------------------- the runner object


class Dask:
    """Runs on a Dask cluster: the blocks of a run, or batches of small items, as tasks; the same bits.

    Parameters
    ----------
    target : int, str or dask.distributed.Client
        A worker count: a ``LocalCluster`` of that many single-threaded worker processes, started for each
        run and closed after it; a scheduler address (``"tcp://host:8786"``) or a ``Client``: that cluster
        (left running).
    blocks_per_task : int, optional
        Blocks per task of a run, a power of two (default: about four tasks per worker thread).
        The result does not depend on it.
    progress : bool, optional
        A progress bar, as :class:`~lifsim.runners.local.Local`'s.
    """

    kind = "dask"

    def __init__(self, target: Any, *, blocks_per_task: int | None = None, progress: bool | None = None) -> None:
        if blocks_per_task is not None:
            blocks_per_task = positive_int(blocks_per_task, "blocks_per_task")
            if blocks_per_task & (blocks_per_task - 1):
                raise ValueError(f"blocks_per_task: must be a power of two, got {blocks_per_task!r}")
        self.target, self.blocks_per_task, self.progress = target, blocks_per_task, check_progress(progress)

    def __repr__(self) -> str:
        return f"Dask({self.target!r}, blocks_per_task={self.blocks_per_task!r})"

    def connect(self) -> Cluster:
        """The cluster (``close()`` it after use: that stops a ``LocalCluster`` this runner started)."""
        return connect(self.target)

    def job(
        self,
        plan: RunPlan,
        request: ValidRequest,
        *,
        trace_store: Any = None,
        chunk_steps: int | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> DaskJob:
        """A checked run of ``plan`` on the cluster (connected now: an unreachable scheduler fails here)."""
        return DaskJob(self, plan, request, trace_store, chunk_steps, resume, overwrite)

    def map(
        self,
        func: Callable[..., list[tuple[Hashable, Any]]],
        items: Sequence[tuple[Hashable, Any]],
        work: Mapping[Hashable, int],
        land: Callable[[Hashable, Any], None],
        describe: Callable[[list[tuple[Hashable, Any]]], str],
        *,
        shared: Sequence[Any] = (),
        args: Sequence[Any] = (),
        spread: Callable[[Hashable, Any, Any], Any] | None = None,
        spreadable: Callable[[Hashable, int], bool] | None = None,
        cluster: Cluster | None = None,
    ) -> None:
        """Run independent ``items`` (``(key, payload)``), the small ones batched into tasks of about equal
        ``work`` (:func:`plan_batches`): the one Dask path of sweeps and f-I curves.

        Each task calls ``func(*shared, *args, batch)`` on a worker (``shared`` is sent once to every
        worker) and returns ``[(key, value), ...]``; ``land(key, value)`` is called here as each task
        finishes.  An item worth more than two tasks, when ``spreadable(key, threads)``, is run by
        ``spread(key, payload, client)`` here instead, as a run of its own whose blocks spread over the
        workers.  A task that fails raises ``ValueError`` naming its items (``describe(batch)``).
        ``cluster``: one already connected (default: connect now, and close after).
        """
        own = cluster is None
        cluster = self.connect() if cluster is None else cluster
        try:
            may_spread = None
            if spread is not None and spreadable is not None:
                threads = cluster.total_threads

                def may_spread(key: Hashable) -> bool:
                    return spreadable(key, threads)

            batches, big = plan_batches(items, work, cluster.total_threads, may_spread)
            run_batches(cluster, func, shared, args, batches, land, describe)
            for key, payload in big:  # large items: their blocks spread over the workers
                assert spread is not None
                land(key, spread(key, payload, cluster.client))
        finally:
            if own:
                cluster.close()


class DaskJob:
    """One run on a Dask cluster: checked and connected when made; :meth:`estimate`, or :meth:`run` then
    :meth:`finish` (either closes the cluster it started)."""

    def __init__(
        self,
        runner: Dask,
        plan: RunPlan,
        request: ValidRequest,
        trace_store: Any,
        chunk_steps: Any,
        resume: Any,
        overwrite: bool = False,
    ) -> None:
        from ..streams import LegacyStream

        self.runner, self.plan, self.request = runner, plan, request
        if isinstance(request.stream, LegacyStream):
            raise ValueError("runner: the tutorial's legacy stream draws in one process; use runner=None")
        if not isinstance(resume, bool):
            raise TypeError(f"resume: expected True or False, got {resume!r}")
        if resume and trace_store is None:
            raise ValueError("resume: finishes a Dask run (runner=...) in its .zarr store (trace_store=...)")
        if chunk_steps is not None:
            positive_int(chunk_steps, "chunk_steps")
        # the workers write the traces into the store: this process holds none
        self.needed = check_memory(plan, request, 1 if trace_store is not None else None)
        self.store: Any = None
        per_task = runner.blocks_per_task
        if trace_store is not None:
            from ..formats import by_name, check_dependencies
            from .checkpoint import RunStore

            check_dependencies(by_name("zarr"), "trace_store")
            self.store = RunStore(Path(trace_store), plan, overwrite)
            per_task = self.store.check(resume) or per_task  # a resumed store keeps its task size
        self.cluster = runner.connect()  # an unreachable scheduler fails here, before any work
        try:
            self.per_task = per_task or default_blocks_per_task(plan.n_blocks, self.cluster.total_threads)
            self.rate = expected_rate(request)
            _check_task_memory(plan, self.cluster, self.per_task, self.rate)
            self.meta: dict[str, object] = {
                "kind": "dask",
                "workers": len(self.cluster.workers),
                "threads": self.cluster.total_threads,
                "blocks_per_task": self.per_task,
                "tasks": -(-plan.n_blocks // self.per_task),
            }
        except BaseException:
            self.cluster.close()
            raise

    def estimate(self) -> RunEstimate:
        """What the run would take on the cluster, running nothing but a short calibration here."""
        from ..planning import RunEstimate
        from .ranges import calibrate

        plan, request = self.plan, self.request
        try:
            ns, calibration = calibrate(request)
            neurons = min(plan.n, self.per_task * plan.block)
            threads = self.cluster.total_threads
            tasks = int(self.meta["tasks"])  # type: ignore[call-overload]
            return RunEstimate(
                what=f"{plan.n} neurons x {plan.steps} steps",
                where=f"Dask: {self.meta['workers']} workers, {threads} threads ({request.engine})",
                tasks=tasks,
                per_task=f"{self.per_task} blocks, up to {neurons} neurons each",
                memory_here=self.needed,
                memory_per_task=_task_memory(plan, neurons, self.rate),
                worker_memory=_worker_memory(self.cluster),
                output_bytes=output_bytes(plan, request),
                ns_per_neuron_step=ns,
                calibration=calibration,
                # the last wave may be partly idle
                seconds=ns * 1e-9 * plan.n * plan.steps / threads * (1 + 0.5 * (threads - 1) / max(tasks, 1)),
            )
        finally:
            self.cluster.close()

    def run(self) -> RunOutput:
        """Run the plan's block ranges as tasks and merge them (the finished ranges of a resumed store are read)."""
        import sys

        finished: set[int] = set()
        bar = None
        try:
            if self.store is not None:  # every check has passed: the store is created (or its ranges listed) now
                finished = self.store.open(self.per_task)
            bar = make_progress(self.runner.progress, self.request.engine, self.plan.n, self.plan.steps)
            if bar is not None and self.cluster.cluster is not None and self.cluster.dashboard:
                print(f"lifsim: Dask dashboard at {self.cluster.dashboard}", file=sys.stderr, flush=True)
            return run_dask(
                self.plan,
                self.request.engine,
                self.cluster,
                blocks_per_task=self.per_task,
                progress=bar.update if bar is not None else None,
                store=self.store,
                finished=finished,
            )
        except BaseException:
            if self.store is not None:
                self.store.abort()
            raise
        finally:
            if bar is not None:
                bar.close()
            self.cluster.close()  # a LocalCluster's workers are stopped (killed, after an interrupt) here
            if self.store is not None:  # what a worker killed mid-write left in the parts folder
                self.store.drop_leftovers()

    def finish(self, result: Result) -> None:
        """Complete the run's store (when it has one) and point the result's traces at it."""
        if self.store is None:
            return
        try:
            self.store.finish(result)
        except OSError as error:
            self.store.abort()
            if _out_of_room(error):  # the merge's writes: the finished ranges are kept, --resume merges again
                raise self.store.out_of_room(error) from None
            raise
        except BaseException:
            self.store.abort()
            raise
        if self.plan.record is not None:
            from ..formats.zarr_traces import ZarrTraces

            result.trace_source = ZarrTraces(self.store.target)


def _worker_memory(cluster: Cluster) -> int | None:
    """The smallest memory limit (bytes) of the cluster's workers, or None when none has one."""
    limits = [int(w.get("memory_limit") or 0) for w in cluster.workers.values()]
    limits = [limit for limit in limits if limit > 0]
    return min(limits) if limits else None


def _task_memory(plan: RunPlan, neurons: int, expected_rate: float) -> int:
    """Bytes a worker needs for one task of ``neurons`` neurons (its traces, and its copy of the plan's input
    array, included)."""
    needed = plan.memory_estimate(expected_rate, neurons=neurons) + plan.inputs.array_bytes()
    if plan.record is not None:
        needed += 8 * plan.record.size * plan.steps
    return needed


def _check_task_memory(plan: RunPlan, cluster: Cluster, blocks_per_task: int, expected_rate: float) -> None:
    """Refuse up front a Dask run whose tasks need more memory than a worker has."""
    limit = _worker_memory(cluster)
    if limit is None:
        return
    neurons = min(plan.n, blocks_per_task * plan.block)
    needed = _task_memory(plan, neurons, expected_rate)
    held = plan.inputs.array_bytes()
    if needed > limit and held > needed - held:
        raise ValueError(
            f"array input: each worker holds the run's input array, {format_bytes(held)}, and a task needs about "
            f"{format_bytes(needed)} with it, more than the {format_bytes(limit)} a worker may use; run it in this "
            "process (no runner), or on workers with more memory"
        )
    if needed > limit:
        raise ValueError(
            f"runner: a task of {neurons} neurons x {plan.steps} steps needs about {format_bytes(needed)}, more than "
            f"the {format_bytes(limit)} a worker may use; use smaller tasks (blocks_per_task), fewer steps, "
            "or workers with more memory"
        )


# ---------------------------------------------------------------- batches of small items (sweeps, f-I curves)


def plan_batches(
    items: Sequence[tuple[Hashable, Any]],
    work: Mapping[Hashable, int],
    threads: int,
    spreadable: Callable[[Hashable], bool] | None = None,
) -> tuple[list[list[tuple[Hashable, Any]]], list[tuple[Hashable, Any]]]:
    """``items`` in order, cut into batches of about equal ``work`` (eight batches per thread: the last wave
    is short); and, apart, the items worth more than two batches that are ``spreadable`` (run on their own)."""
    total = sum(work[key] for key, _ in items) or 1
    target = max(1, total // max(1, 8 * threads))
    big = [(key, p) for key, p in items if spreadable is not None and work[key] > 2 * target and spreadable(key)]
    apart = {key for key, _ in big}
    batches: list[list[tuple[Hashable, Any]]] = []
    current: list[tuple[Hashable, Any]] = []
    load = 0
    for key, payload in items:
        if key in apart:
            continue
        current.append((key, payload))
        load += work[key]
        if load >= target:
            batches.append(current)
            current, load = [], 0
    if current:
        batches.append(current)
    return batches, big


def run_batches(
    cluster: Cluster,
    func: Callable[..., list[tuple[Hashable, Any]]],
    shared: Sequence[Any],
    args: Sequence[Any],
    batches: list[list[tuple[Hashable, Any]]],
    land: Callable[[Hashable, Any], None],
    describe: Callable[[list[tuple[Hashable, Any]]], str],
) -> None:
    """One task per batch (``func(*shared, *args, batch)``, ``shared`` scattered once to every worker);
    ``land(key, value)`` as each finishes."""
    distributed = _need_distributed()
    client = cluster.client
    scattered = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
    futures = [client.submit(func, *scattered, *args, batch, pure=False, retries=1) for batch in batches]
    try:
        for future in distributed.as_completed(futures):
            try:
                finished = future.result()
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as error:  # a task's own error: name its items
                batch = batches[futures.index(future)]
                raise ValueError(f"{describe(batch)} failed: {str(error)[:300]}") from None
            for key, value in finished:
                land(key, value)
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
