"""A distributed run's resumable ``.zarr`` store: traces written by the workers, finished ranges kept as they land.

``lifsim simulate ... --workers N --data run.zarr`` (``simulate(...,
runner=..., trace_store="run.zarr")``) creates the store at once, marked
incomplete, with the run's identity (a digest of everything that decides its
numbers, and the task size).  Each task, on its worker:

1. writes its neurons' recorded traces into the store's ``v`` array (one
   row per chunk, so no two tasks ever write the same chunk);
2. then writes its block range's mergeable output (per-step statistics,
   spikes, counts, snapshots) to ``.run.zarr.parts/B0-B1.npz`` beside the
   store, under a temporary name renamed into place: the range's done mark.

When every range is done the client merges them in the canonical tree (bit
for bit the single-process run), adds the rest of the result to the store,
marks it complete and removes the parts folder.  After a crash, Ctrl-C or a
SIGKILL of the client, the same command with ``--resume`` (``resume=True``)
runs only the ranges without a done mark.  A store written by another run
refuses to resume, saying so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import check_output_path
from ..engine.plan import RunPlan
from .local import RangeOutput

__all__ = ["RunStore", "run_identity"]

#: the store's attributes
IDENTITY, TASK_SIZE, COMPLETE = "lifsim_run_identity", "lifsim_blocks_per_task", "lifsim_complete"


def run_identity(plan: RunPlan) -> str:
    """A digest of everything that decides a run's numbers (not the engine, the workers or the task size)."""
    description = {
        "params": plan.params.as_dict(),
        "input": plan.inputs.describe(),
        "n": plan.n,
        "steps": plan.steps,
        "seed": plan.stream.seed,
        "stream": plan.stream.describe(),
        "method": plan.method,
        "spiking": plan.spiking,
        "record": None if plan.record is None else plan.record.tolist(),
        "record_spikes": plan.record_spikes,
        "lags": list(plan.lags),
        "snapshot_steps": list(plan.snapshot_steps),
    }
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class RunStore:
    """The resumable store of one distributed run (see the module docstring).  Picklable: workers get a copy."""

    def __init__(self, path: str | os.PathLike, plan: RunPlan) -> None:
        self.target = check_output_path(path, (".zarr",), "--data")
        self.parts = self.target.parent / f".{self.target.name}.parts"
        self.identity = run_identity(plan)
        self.recorded = 0 if plan.record is None else int(plan.record.size)
        self.steps = plan.steps
        self.dt = plan.params.dt
        self.record = None if plan.record is None else np.asarray(plan.record, dtype=np.int64)
        self.blocks_per_task = 0  #: set by open()

    # ------------------------------------------------------------ on the client
    def check(self, resume: bool) -> int | None:
        """Read-only checks before anything runs; the task size of the store to resume (None: a new store).

        Refuses an existing store without ``resume``, a store of another run, a complete one, a foreign one.
        """
        import zarr

        if not self.target.exists():
            return None  # nothing to resume: the run starts afresh
        if not resume:
            raise ValueError(
                f"data: {self.target} exists; add --resume (resume=True) to finish an interrupted run, or choose "
                "another path"
            )
        try:
            attributes: dict[str, Any] = dict(zarr.open_group(str(self.target), mode="r").attrs)
        except Exception as error:  # noqa: BLE001  (anything that is not a store)
            raise ValueError(f"data: {self.target} is not a lifsim run store ({type(error).__name__})") from None
        if IDENTITY not in attributes:
            raise ValueError(f"data: {self.target} is not the store of a distributed lifsim run; it cannot resume")
        if attributes[IDENTITY] != self.identity:
            raise ValueError(
                f"data: {self.target} was written by a different run (parameters, input, n, seed, steps or "
                "recording differ); it cannot be resumed by this command"
            )
        if int(attributes.get(COMPLETE, 0)) == 1:
            raise ValueError(f"data: {self.target} is complete already; load it with lifsim.load")
        return int(attributes[TASK_SIZE])

    def open(self, blocks_per_task: int) -> set[int]:
        """Create the store (task size ``blocks_per_task``), or, when :meth:`check` found one, list its finished
        ranges (their first blocks)."""
        self.blocks_per_task = blocks_per_task
        if self.target.exists():
            self.parts.mkdir(exist_ok=True)
            return self.finished()
        self._create(blocks_per_task)
        return set()

    def _create(self, blocks_per_task: int) -> None:
        import dask.array as da
        import xarray as xr

        from ..formats.zarr import _codecs, _quiet_zarr

        variables: dict[str, Any] = {}
        coords: dict[str, Any] = {"time": ("time", np.arange(self.steps) * self.dt, {"units": "s"})}
        if self.record is not None:
            chunks = (1, self.steps)  # a row per chunk: each task writes its own chunks only
            variables["v"] = (
                ("recorded", "time"),
                da.zeros((self.recorded, self.steps), chunks=chunks),
                {"units": "V", "long_name": "membrane potential"},
            )
            coords["recorded"] = ("recorded", self.record, {"long_name": "recorded neuron index"})
        template = xr.Dataset(
            variables, coords=coords, attrs={COMPLETE: 0, IDENTITY: self.identity, TASK_SIZE: blocks_per_task}
        )
        encoding = {
            name: {**_codecs(), **({"chunks": (1, self.steps)} if name == "v" else {})} for name in template.variables
        }
        self.parts.mkdir(exist_ok=True)
        with _quiet_zarr(self.target):
            template.to_zarr(self.target, mode="w-", compute=False, consolidated=False, encoding=encoding)

    def finished(self) -> set[int]:
        """The first blocks of the ranges whose done mark is written."""
        done = set()
        for entry in self.parts.glob("*.npz"):
            first, _, _end = entry.stem.partition("-")
            if first.isdigit():
                done.add(int(first))
        return done

    def read_range(self, first_block: int) -> RangeOutput:
        """A finished range's output (its traces stay in the store)."""
        [path] = list(self.parts.glob(f"{first_block}-*.npz"))
        with np.load(path, allow_pickle=False) as data:
            spikes = bool(data["has_spikes"])
            return RangeOutput(
                first_block=int(data["first_block"]),
                end_block=int(data["end_block"]),
                count=int(data["count"]),
                mean=data["mean"],
                m2=data["m2"],
                lag=data["lag"],
                spike_k=data["spike_k"] if spikes else None,
                spike_j=data["spike_j"] if spikes else None,
                spike_count=data["spike_count"],
                snapshots=data["snapshots"],
                trace_rows=data["trace_rows"],
                trace=None,
            )

    def finish(self, result: Any) -> Path:
        """Add the rest of ``result`` (its traces are in the store), mark the store complete, drop the parts."""
        from ..dataset import to_dataset
        from ..formats.zarr import _codecs, _digest, _mark_complete, _quiet_zarr

        ds = to_dataset(result, with_traces=False)
        ds = ds.drop_vars(["time", "recorded"], errors="ignore")
        ds.attrs[COMPLETE] = 0
        ds.attrs[IDENTITY] = self.identity  # the group's attributes are replaced by the dataset's: keep these
        ds.attrs[TASK_SIZE] = self.blocks_per_task
        with _quiet_zarr(self.target):
            encoding = {name: _codecs() for name in ds.variables}
            ds.to_zarr(self.target, mode="a", consolidated=False, write_empty_chunks=True, encoding=encoding)
        _mark_complete(self.target, {name: _digest(ds[name].values) for name in ds.variables})
        shutil.rmtree(self.parts, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Keep what is written: the same command with ``--resume`` finishes it."""

    # ------------------------------------------------------------ on a worker
    def write_range(self, part: RangeOutput) -> RangeOutput:
        """Write a finished range: its traces into the store, then its output with the done mark (atomically).

        Returns the range without its traces (they are in the store, not sent back).
        """
        if part.trace is not None and part.trace_rows.size:
            import zarr

            from ..formats.zarr import _quiet_zarr

            with _quiet_zarr(self.target):
                array = zarr.open_array(str(self.target / "v"), mode="r+")
                for row, values in zip(part.trace_rows.tolist(), part.trace):
                    array[row, :] = values
        name = f"{part.first_block}-{part.end_block}"
        partial = self.parts / f".{name}.{os.getpid()}.npz"
        with open(partial, "wb") as handle:
            np.savez(
                handle,
                first_block=part.first_block,
                end_block=part.end_block,
                count=part.count,
                mean=part.mean,
                m2=part.m2,
                lag=part.lag,
                has_spikes=part.spike_k is not None,
                spike_k=part.spike_k if part.spike_k is not None else np.zeros(0, np.int64),
                spike_j=part.spike_j if part.spike_j is not None else np.zeros(0, np.int64),
                spike_count=part.spike_count,
                snapshots=part.snapshots,
                trace_rows=part.trace_rows,
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.parts / f"{name}.npz")
        return dataclasses.replace(part, trace=None)
