"""Planning a run before making it: tasks, memory, output size and a time measured on a short calibration run.

``lifsim simulate ... --dry-run``, ``lifsim rerun ... --dry-run`` and ``lifsim sweep ... --dry-run`` (in
Python ``lifsim.estimate(...)``, ``lifsim.rerun(..., dry_run=True)`` and ``lifsim.sweep(..., dry_run=True)``) check
everything a real run checks (values, memory, the cluster), run a short
calibration (the same model, input and engine, a few thousand neurons and a
few hundred steps) and report what the run would take, writing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .memory import format_bytes

__all__ = ["RunEstimate", "format_seconds", "CALIBRATION_NEURONS", "CALIBRATION_NEURON_STEPS"]

#: calibration size: at most this many neurons, and steps enough for this many neuron-steps
CALIBRATION_NEURONS = 8192
CALIBRATION_NEURON_STEPS = 4_000_000


@dataclass
class RunEstimate:
    """What a run or sweep would take (bytes, seconds); ``summary()`` says it in words."""

    what: str  #: "N neurons x S steps" or "P grid points of N neurons x S steps"
    where: str  #: "this process, T threads" or "Dask: W workers, T threads"
    tasks: int  #: runner tasks (1 in one process)
    per_task: str  #: what one task holds
    memory_here: int  #: bytes this process needs (the merged result included)
    memory_per_task: int | None  #: bytes a worker needs for one task (Dask)
    worker_memory: int | None  #: the smallest worker's memory limit (Dask), if it has one
    output_bytes: int  #: bytes of the result's arrays (what a file holds, before compression)
    ns_per_neuron_step: float  #: calibrated, per thread
    calibration: str  #: what the calibration ran
    seconds: float  #: the estimated compute time (start-up, file writing and queueing not included)

    def summary(self) -> str:
        lines = [
            f"dry run: {self.what} on {self.where}",
            f"  tasks: {self.tasks} ({self.per_task})",
            f"  memory: about {format_bytes(self.memory_here)} here"
            + (
                f", {format_bytes(self.memory_per_task)} per task"
                + (f" (a worker may use {format_bytes(self.worker_memory)})" if self.worker_memory else "")
                if self.memory_per_task is not None
                else ""
            ),
            f"  output: about {format_bytes(self.output_bytes)} of arrays",
            f"  time: about {format_seconds(self.seconds)} of compute ({self.ns_per_neuron_step:.3g} ns per "
            f"neuron-step per thread, measured on {self.calibration})",
            "  nothing was run or written",
        ]
        return "\n".join(lines)


def format_seconds(seconds: float) -> str:
    """``0.8 s``, ``12 min``, ``3.4 h``, ``2.1 days``."""
    if seconds < 90:
        return f"{seconds:.2g} s"
    if seconds < 5400:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
