"""Runners: they own a run's orchestration; engines only advance blocks of neurons.

An engine (:mod:`lifsim.engine`) advances a plan's neuron blocks over a chunk
of time points and hands back each block's canonical statistics, lag sums,
spikes and traces.  A runner owns everything around that: the time chunks,
the order in which blocks are given to the engine, progress, trace sinks,
spike-buffer growth (a block that overflows is run again from its saved
state; the counter stream makes the rerun identical), and the final merge of
the blocks' results in the canonical tree.  :mod:`lifsim.runners.local` runs
in this process; :mod:`lifsim.runners.dask` gives aligned block ranges to the
workers of a Dask cluster and merges them the same way, so the bits do not
change.
"""

from .local import RangeOutput, merge_ranges, run_blocks, run_local

__all__ = ["run_local", "run_blocks", "merge_ranges", "RangeOutput"]
