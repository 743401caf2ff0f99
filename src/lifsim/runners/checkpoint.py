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

The store is one of :mod:`lifsim.store`'s: created whole under a temporary
name and moved into place, written by one client at a time (a second is
refused), its links and special files refused before a resume, and sealed
with a manifest when complete.  An existing store is replaced only with
``overwrite=True`` (``--force``).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import check_output_path, clean_stale_in
from ..engine.output import RangeOutput
from ..engine.plan import RunPlan
from ..errors import in_own_words
from ..npz_io import read_arrays, save_arrays
from ..store import (
    LAYER,
    WriterLock,
    check_overwrite,
    codecs,
    create,
    file_digest,
    note_unfinished,
    quiet_zarr,
    read_attributes,
    refuse_links,
    seal,
    sealed,
)

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


#: the largest member of a finished range's part (bytes): a range's spikes and statistics are as large as the run
#: makes them (its size is bounded by the run's memory check), so no member is refused for its size alone
PART_LIMIT = 1 << 62


class RunStore:
    """The resumable store of one distributed run (see the module docstring).  Picklable: workers get a copy."""

    def __init__(self, path: str | os.PathLike, plan: RunPlan, overwrite: bool = False) -> None:
        self.target = check_output_path(path, (".zarr",), "path")
        self.overwrite = bool(overwrite)
        self.lock = WriterLock(self.target, "data")
        self.resuming = False
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

        Refuses a store being written by another process, an existing store without ``resume`` (unless
        ``overwrite``), a store of another run, a complete one, a foreign one, one holding links.
        """
        with self.lock:  # only a probe: the lock is taken for good by open()
            pass
        if not (self.target.exists() or self.target.is_symlink()):
            return None  # nothing to resume: the run starts afresh
        if not resume:
            check_overwrite(self.target, self.overwrite, "data", resume=True)
            return None  # replaced by a new store when the run starts
        try:
            refuse_links(self.target)
            attributes = read_attributes(self.target)
        except (ValueError, OSError) as error:
            raise ValueError(f"data: {self.target} cannot be resumed: {error}") from None
        if attributes is None:
            raise ValueError(f"data: {self.target} is not a lifsim run store")
        if IDENTITY not in attributes:
            raise ValueError(f"data: {self.target} is not the store of a distributed lifsim run; it cannot resume")
        if attributes[IDENTITY] != self.identity:
            raise ValueError(
                f"data: {self.target} was written by a different run (parameters, input, n, seed, steps or "
                "recording differ); it cannot be resumed by this command"
            )
        if sealed(self.target) or (LAYER not in attributes and int(attributes.get(COMPLETE, 0)) == 1):
            raise ValueError(f"data: {self.target} is complete already; load it with lifsim.load")
        self.resuming = True
        return int(attributes[TASK_SIZE])

    def open(self, blocks_per_task: int) -> set[int]:
        """Take the writer's lock; create the store (task size ``blocks_per_task``), or, when :meth:`check`
        found one to resume, list its finished ranges (their first blocks)."""
        self.lock.acquire()
        self.blocks_per_task = blocks_per_task
        if self.resuming:
            self.parts.mkdir(exist_ok=True)
            self.drop_leftovers()  # a killed run's workers' half-written parts
            return self.finished()
        shutil.rmtree(self.parts, ignore_errors=True)  # the done marks of a store being replaced
        create(self.target, lambda path: self._create(path, blocks_per_task))
        self.parts.mkdir(exist_ok=True)
        return set()

    def _create(self, path: Path, blocks_per_task: int) -> None:
        import dask.array as da
        import xarray as xr

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
            name: {**codecs(), **({"chunks": (1, self.steps)} if name == "v" else {})} for name in template.variables
        }
        with quiet_zarr(self.target):
            template.to_zarr(path, mode="w-", compute=False, consolidated=False, encoding=encoding)

    def drop_leftovers(self) -> None:
        """Remove the temporary files of parts whose worker is gone (killed mid-write by an interrupt: its
        ``.B0-B1.npz.PID.RANDOM.tmp``), once the cluster is closed; a finished part is never touched."""
        if self.parts.is_dir():
            clean_stale_in(self.parts)

    def finished(self) -> set[int]:
        """The first blocks of the ranges whose done mark is written."""
        done = set()
        for entry in self.parts.glob("*.npz"):
            first, _, _end = entry.stem.partition("-")
            if first.isdigit():
                done.add(int(first))
        return done

    def read_range(self, first_block: int, end_block: int) -> RangeOutput:
        """A finished range's output (its traces stay in the store), after checking that its part is this run's
        (the run's identity), this range's (its blocks), whole (every member's SHA-256) and that the trace chunks
        it wrote are unchanged (their files' SHA-256): a part or chunk from another run, swapped or damaged, was
        merged and sealed into a valid-looking store."""
        path = self.parts / f"{first_block}-{end_block}.npz"
        try:
            data = read_arrays(path, limit=PART_LIMIT, require_digests=True)
            if "identity" not in data:
                raise ValueError("it has no run identity: an older lifsim wrote it")
            if str(data["identity"]) != self.identity:
                raise ValueError("it is another run's")
            if (int(data["first_block"]), int(data["end_block"])) != (first_block, end_block):
                raise ValueError(f"it holds blocks {int(data['first_block'])} .. {int(data['end_block']) - 1}")
            for relative, digest in json.loads(str(data["trace_files"])).items():
                if not (self.target / relative).is_file():
                    raise ValueError(f"its trace chunk {relative} is missing")
                if file_digest(self.target / relative) != digest:
                    raise ValueError(f"its trace chunk {relative} was changed since (damaged or swapped)")
        except OSError as error:  # a permission, a disk: not the part's fault
            raise ValueError(f"data: {path}: cannot be read ({error.strerror or error})") from None
        except (ValueError, KeyError) as error:
            raise ValueError(
                f"data: {path}, a finished range of {self.target.name}, cannot be used ({error}); delete it and "
                "resume again to run its range anew"
            ) from None
        spikes = bool(data["has_spikes"])
        return RangeOutput(
            first_block=first_block,
            end_block=end_block,
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
        """Add the rest of ``result`` (its traces are in the store), seal the store, drop the parts."""
        import zarr

        from ..dataset import to_dataset

        ds = to_dataset(result, with_traces=False)
        ds = ds.drop_vars(["time", "recorded"], errors="ignore")
        ds.attrs[COMPLETE] = 0
        ds.attrs[IDENTITY] = self.identity  # the group's attributes are replaced by the dataset's: keep these
        ds.attrs[TASK_SIZE] = self.blocks_per_task
        try:
            self._check_traces()
            for name in ds.variables:  # what a merge killed midway wrote: written again whole ("already exists")
                leftover = self.target / str(name)
                if name != "v" and leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover)
            with quiet_zarr(self.target):
                encoding = {name: codecs() for name in ds.variables}
                ds.to_zarr(self.target, mode="a", consolidated=False, write_empty_chunks=True, encoding=encoding)
                group = zarr.open_group(str(self.target), mode="r+")
                group.attrs.update({COMPLETE: 1, LAYER: 1})
                zarr.consolidate_metadata(str(self.target))
            seal(self.target, lazy=("v",))
            shutil.rmtree(self.parts, ignore_errors=True)
        finally:
            self.lock.release()
        return self.target

    def _check_traces(self) -> None:
        """Every recorded neuron's trace chunk is there (a deleted one would read as zeros), no link in the store."""
        refuse_links(self.target)
        if self.record is None:
            return
        folder = self.target / "v" / "c"
        found = sum(len(names) for _root, _dirs, names in os.walk(folder))
        if found != self.recorded:
            raise ValueError(
                f"data: {self.target}: the store holds {found} of its {self.recorded} trace chunks; it was damaged "
                "while the run went"
            )

    def out_of_room(self, error: OSError) -> ValueError:
        """The one line for ``error`` (a full disk or quota, met by a worker or by the merge) naming the store, not
        the hidden part or chunk file being written, and what keeps: the finished ranges, which ``--resume``
        (``resume=True``) finishes from once there is room (a resumable store is kept on purpose)."""
        cause = "the disk quota is exceeded" if error.errno == errno.EDQUOT else "no space is left on the device"
        again = in_own_words("the same command with --resume", "the same call with resume=True")
        return ValueError(
            f"data: {str(self.target)!r} was not finished: {cause}; its finished neuron ranges are kept (in it and in "
            f"{self.parts.name} beside it), and {again} finishes it once there is room"
        )

    def abort(self) -> None:
        """Keep what is written (the same command with ``--resume`` finishes it, as an interrupt's line says:
        :func:`~lifsim.store.note_unfinished`); give up the writer's lock."""
        note_unfinished(self.target)
        self.lock.release()

    # ------------------------------------------------------------ on a worker
    def write_range(self, part: RangeOutput) -> RangeOutput:
        """Write a finished range: its traces into the store, then its output with the done mark (atomically).

        Returns the range without its traces (they are in the store, not sent back).
        """
        trace_files: dict[str, str] = {}
        if part.trace is not None and part.trace_rows.size:
            import zarr

            with quiet_zarr(self.target), zarr.config.set({"array.write_empty_chunks": True}):
                array = zarr.open_array(str(self.target / "v"), mode="r+")
                for row, values in zip(part.trace_rows.tolist(), part.trace):
                    array[row, :] = values
            for row in part.trace_rows.tolist():  # each row is one chunk: its file, as a resume will find it
                for relative in (f"v/c/{row}/0", f"v/{row}.0"):  # the chunk key of Zarr format 3, or of format 2
                    if (self.target / relative).is_file():
                        trace_files[relative] = file_digest(self.target / relative)
                        break
        arrays = {
            "identity": np.array(self.identity),
            "first_block": np.array(part.first_block),
            "end_block": np.array(part.end_block),
            "count": np.array(part.count),
            "mean": part.mean,
            "m2": part.m2,
            "lag": part.lag,
            "has_spikes": np.array(part.spike_k is not None),
            "spike_k": part.spike_k if part.spike_k is not None else np.zeros(0, np.int64),
            "spike_j": part.spike_j if part.spike_j is not None else np.zeros(0, np.int64),
            "spike_count": part.spike_count,
            "snapshots": part.snapshots,
            "trace_rows": part.trace_rows,
            "trace_files": np.array(json.dumps(trace_files)),
        }
        # the npz layer: written whole under a temporary name, every member's SHA-256 kept (the range's done mark)
        save_arrays(self.parts / f"{part.first_block}-{part.end_block}.npz", arrays)
        return dataclasses.replace(part, trace=None)
