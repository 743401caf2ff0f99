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

``distributed`` is an optional dependency (``pip install "lifsim[dask]"``);
this module imports it only when a cluster is used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from ..engine.output import RunOutput
from ..engine.plan import RunPlan
from .local import RangeOutput, merge_ranges, run_blocks

__all__ = ["run_dask", "connect", "task_ranges", "CONNECT_TIMEOUT_S", "Cluster"]

_EXPECTED = "expected a dask.distributed.Client, a scheduler address or a worker count"

#: seconds to reach a scheduler before giving up with one line
CONNECT_TIMEOUT_S = 8.0


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
            self.client.close()
            self.cluster.close()


def _need_distributed() -> Any:
    from ..errors import MissingDependencyError

    try:
        import distributed
    except ImportError:
        raise MissingDependencyError(
            "runner: a Dask cluster needs the 'distributed' package; install it with pip install \"lifsim[dask]\"",
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


def connect(runner: Any) -> Cluster:
    """A :class:`Cluster` for ``runner``: a ``distributed.Client``, a scheduler address, or a worker count.

    A worker count starts a ``LocalCluster`` of that many single-threaded
    worker processes; an address that cannot be reached fails within
    :data:`CONNECT_TIMEOUT_S` seconds with one line.
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

        with dask.config.set({"distributed.worker.daemon": False, "logging.distributed": "error"}):
            cluster = distributed.LocalCluster(
                n_workers=runner, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
            )
        return Cluster(distributed.Client(cluster), cluster)
    if isinstance(runner, str):
        address = runner.strip()
        if not address:
            raise ValueError("scheduler: expected an address such as tcp://127.0.0.1:8786, got ''")
        try:
            client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
            raise ValueError(
                f"scheduler: cannot reach a Dask scheduler at {address!r} within {CONNECT_TIMEOUT_S:g} s ({reason})"
            ) from None
        return Cluster(client)
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
    done: list[RangeOutput] = [store.read_range(b0) for b0, _b1 in ranges if b0 in finished]
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
