"""Runners: where a run goes.  They own its orchestration; engines only run ranges of neuron blocks.

A runner object says where: :class:`Local` (this process; ``threads``,
``progress``) or :class:`Dask` (a cluster: a ``Client``, a scheduler address
or a worker count; ``blocks_per_task``).  ``runner.job(plan, request, ...)``
checks everything that depends on the place (memory, threads, the cluster,
the stores) before any work; the job's ``estimate()`` is the dry run, its
``run()`` the run (:mod:`lifsim.runners.base`).

An engine (:mod:`lifsim.engine`) runs a range of a plan's blocks through every
time point (``run_range``) and hands back the range's canonical statistics,
lag sums, spikes and traces.  A runner owns everything around that: which
ranges run where, progress, trace stores and checkpoints, the numba thread
count, the cluster, and the final merge of the ranges in the canonical tree
(:func:`merge_ranges`).  :mod:`lifsim.runners.local` runs one range of all
blocks in this process; :mod:`lifsim.runners.dask` gives aligned block ranges
to the workers of a Dask cluster and merges them the same way, so the bits do
not change.  The same Dask path runs the small independent items of sweeps and
f-I curves in batches (:meth:`Dask.map`).
"""

from .dask import Dask
from .local import Local, RangeOutput, merge_ranges, run_blocks, run_local

__all__ = ["Local", "Dask", "run_local", "run_blocks", "merge_ranges", "RangeOutput"]
