"""The GPU engine: ``engine="cuda"``, CUDA kernels through CuPy, the CPU engines' bits.

The engine owns a whole range of neuron blocks (``run_range``, the entry every
engine has, called by the local and the Dask runner alike):
the range's state is copied to the GPU once and stays there; each chunk of
time points is one launch of ``lif_advance`` (one thread per neuron, V in
registers), after which ``lif_merge_nodes`` merges the nodes' statistics
level by level into the range's root on the GPU, and only the per-step root,
the compacted spikes and the recorded traces are copied back.  The reduction
order is lifsim's canonical tree (:mod:`lifsim.reduce`): a warp is a group
of 32 folded by halves with shuffles, a node of up to 1024 neurons is an
aligned subtree, and the nodes are merged level by level, so the result is
the numpy and numba engines' bit for bit (the kernels are compiled with
``--fmad=false``; see :mod:`lifsim.engine.cuda.source`).

The same host logic runs on the kernels' CPU twin (the ``cuda-twin``
engine, :mod:`lifsim.engine.cuda.twin`), which is how CI checks it without
a GPU.

Choosing the GPU is explicit: ``engine="auto"`` never picks it (a GPU is
shared and its memory is the user's to spend); ``engine="cuda"`` with
``device=N`` (``--engine cuda --device N``) does.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...streams import CounterStream
from ..output import RangeOutput, range_trace_rows, time_ordered
from ..plan import RunPlan
from .source import MAX_WHITE, NODE, NVRTC_OPTIONS, kernel_source

__all__ = [
    "run_range",
    "unavailable",
    "available_here",
    "use_device",
    "Backend",
    "CupyBackend",
    "NODE",
    "DEVICE_BUDGET",
]

#: bytes of per-node outputs a chunk may hold on the device (the chunk in time is cut to fit)
DEVICE_BUDGET = 1 << 30
#: threads per block of the merge kernel
MERGE_THREADS = 256

INSTALL_HINT = 'pip install ".[gpu]" in the lifsim folder (CuPy for CUDA 12) on a machine with an NVIDIA GPU'


def unavailable() -> str | None:
    """Why ``engine="cuda"`` cannot run here (one line), or None when it can."""
    try:
        import cupy
    except Exception as error:  # noqa: BLE001  (ImportError, or a CUDA library that fails to load)
        return (
            f"CuPy cannot be imported ({type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''})"
        )
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # noqa: BLE001  (no driver, no device)
        return f"no CUDA device found ({str(error).splitlines()[0][:80] if str(error) else type(error).__name__})"
    if count == 0:
        return "no CUDA device found"
    return None


def available_here() -> bool:
    """Whether ``engine="cuda"`` can run here (the registry's probe: CuPy imports and a device is present)."""
    return unavailable() is None


def use_device(device: int | None) -> str:
    """Make GPU ``device`` (default 0) current; return its name.  ``ValueError`` for a device that is not there."""
    import cupy

    count = int(cupy.cuda.runtime.getDeviceCount())
    index = 0 if device is None else device
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise ValueError(f"device: expected a GPU index from 0 to {count - 1}, got {device!r}")
    cupy.cuda.Device(index).use()
    props = cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


# ---------------------------------------------------------------- backends: where the kernels run


class Backend:
    """Arrays and the two kernels of one place to run them: the GPU (CuPy) or the CPU twin (ctypes)."""

    xp: Any  #: the array module (cupy or numpy)

    def advance(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        raise NotImplementedError  # pragma: no cover - every backend defines it

    def merge(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        raise NotImplementedError  # pragma: no cover

    def to_host(self, array: Any) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover


class CupyBackend(Backend):
    """The GPU: kernels compiled by NVRTC (cached by CuPy on disk), launched on the current device."""

    _modules: dict[int, Any] = {}

    def __init__(self, max_white: int) -> None:
        import cupy

        self.xp = cupy
        module = self._modules.get(max_white)
        if module is None:
            module = cupy.RawModule(code=kernel_source(max_white), options=NVRTC_OPTIONS)
            self._modules[max_white] = module
        self._advance = module.get_function("lif_advance")
        self._merge = module.get_function("lif_merge_nodes")

    @staticmethod
    def _convert(args: list[tuple[str, Any]]) -> tuple[Any, ...]:
        typed = {"f8": np.float64, "i4": np.int32, "i8": np.int64}
        return tuple(value if tag == "ptr" else typed[tag](value) for tag, value in args)

    def advance(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        self._advance((grid,), (threads,), self._convert(args))

    def merge(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        self._merge((grid,), (threads,), self._convert(args))

    def to_host(self, array: Any) -> np.ndarray:
        return self.xp.asnumpy(array)


class CBackend(Backend):
    """The CPU twin (:func:`lifsim.engine.cuda.source.build_reference`): numpy arrays, the kernels via ctypes."""

    xp = np

    def __init__(self, library: ctypes.CDLL) -> None:
        self.library = library

    @staticmethod
    def _convert(args: list[tuple[str, Any]]) -> list[Any]:
        converted: list[Any] = []
        for tag, value in args:
            if tag == "ptr":
                assert value.flags.c_contiguous
                converted.append(ctypes.c_void_p(value.ctypes.data))
            elif tag == "f8":
                converted.append(ctypes.c_double(value))
            elif tag == "i4":
                converted.append(ctypes.c_int(value))
            else:
                converted.append(ctypes.c_longlong(value))
        return converted

    def advance(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        self.library.lif_advance(*self._convert(args), ctypes.c_longlong(grid))

    def merge(self, grid: int, threads: int, args: list[tuple[str, Any]]) -> None:
        self.library.lif_merge_nodes(*self._convert(args))

    def to_host(self, array: Any) -> np.ndarray:
        return np.asarray(array)


# ---------------------------------------------------------------- a range of blocks


def node_size(plan: RunPlan) -> int:
    """Neurons per thread block: the plan's block, at most :data:`NODE` (both powers of two: aligned subtrees)."""
    return min(plan.block, NODE)


def check_plan(plan: RunPlan) -> None:
    """What the GPU engine cannot run, refused before any work."""
    if not isinstance(plan.stream, CounterStream):
        raise ValueError(
            "engine: the cuda engine draws from the counter-based stream; the tutorial's legacy stream runs on "
            "engine='numpy'"
        )
    if plan.n_white > MAX_WHITE:
        raise ValueError(f"inputs: the cuda engine runs at most {MAX_WHITE} white-noise terms, got {plan.n_white}")


def run_range(
    plan: RunPlan,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Callable[..., Any] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
    backend: Backend | None = None,
) -> RangeOutput:
    """Run blocks ``first_block .. end_block - 1`` of ``plan`` through every time point on the GPU.

    Returns a :class:`lifsim.engine.output.RangeOutput`, bit for bit what the
    CPU engines give for the range (see the module docstring).
    """
    check_plan(plan)
    if backend is None:
        backend = CupyBackend(max(1, plan.n_white))
    return _run_range(plan, first_block, end_block, backend, progress, trace_sink, chunk_steps)


class _DeviceRange:
    """One range of blocks on a backend: the state in device memory, the chunk length, the nodes."""

    def __init__(self, plan: RunPlan, first_block: int, end_block: int, backend: Backend, chunk_steps: int | None):
        xp = self.xp = backend.xp
        self.plan, self.backend = plan, backend
        self.lo, self.hi = plan.neuron_range(first_block, end_block)
        self.size = self.hi - self.lo
        self.node = node_size(plan)
        self.nodes = -(-self.size // self.node)
        self.n_lags = len(plan.lags)
        self.n_rec = 0 if plan.record is None else int(plan.record.size)
        per_column = 8 * self.nodes * (2 + self.n_lags) + 8 * self.n_rec
        chunk = plan.steps if chunk_steps is None else max(1, int(chunk_steps))
        self.chunk = plan.drive_columns(max(1, min(chunk, DEVICE_BUDGET // max(per_column, 1))))
        self.record_spikes = plan.spiking and plan.record_spikes
        while self.chunk > 1 and 16 * self.nodes * self.room(self.chunk) > DEVICE_BUDGET:
            self.chunk //= 2  # the spike buffers count against the budget
        self.cap = self.room(self.chunk)
        host = self.host = plan.new_state(first_block, end_block)
        if 0 in plan.snapshot_steps:  # the snapshot at t = 0 is V0, written before any step
            host.snapshots[plan.snapshot_steps.index(0)] = host.v
        self.refractory = host.hold.shape[0] > 0
        self.device = {
            "v": xp.asarray(host.v),
            "hold": xp.asarray(host.hold if self.refractory else np.zeros(1, dtype=np.int64)),
            "ref": xp.asarray(host.ref if plan.model.per_neuron_ref else np.zeros(1, dtype=np.int64)),
            "spare": xp.asarray(np.ascontiguousarray(host.spare) if plan.n_white else np.zeros(1)),
            "ring": xp.asarray(np.ascontiguousarray(host.ring) if plan.depth else np.zeros(1)),
            "counts": xp.asarray(host.counts),
            "snapshots": xp.asarray(np.ascontiguousarray(host.snapshots) if plan.snapshot_steps else np.zeros(1)),
        }
        schedule0 = plan.schedule(0, 1)
        self.lags = xp.asarray(schedule0.lags if self.n_lags else np.zeros(1, dtype=np.int64))
        self.rec_neurons = xp.asarray(schedule0.rec_neurons if self.n_rec else np.zeros(1, dtype=np.int64))
        self.rec_rows = xp.asarray(schedule0.rec_rows if self.n_rec else np.zeros(1, dtype=np.int64))
        node_counts = np.full(self.nodes, self.node, dtype=np.int64)
        node_counts[-1] = self.size - self.node * (self.nodes - 1)
        self.node_counts = xp.asarray(node_counts)

    def room(self, width: int) -> int:
        """Spike buffer slots per node for a chunk of ``width`` points: 100 Hz and a little (more if needed)."""
        if not self.record_spikes:
            return 1
        return int(min(self.node * width, 64 + self.node * 100.0 * width * self.plan.params.dt))

    def drive(self, k0: int, k1: int) -> tuple[Any, dict[str, Any]]:
        """The plan's lowered drive for ``k0 .. k1 - 1``, and its arrays on the device."""
        xp, drive = self.xp, self.plan.drive(k0, k1)
        return drive, {
            "kind": xp.asarray(_nonempty(drive.kind, np.int64)),
            "slot": xp.asarray(_nonempty(drive.slot, np.int64)),
            "u_first": xp.asarray(_nonempty(drive.u_first, np.int64)),
            "per_neuron": xp.asarray(_nonempty(drive.per_neuron.astype(np.uint8), np.uint8)),
            "mean": xp.asarray(_nonempty(drive.mean, np.float64)),
            "rows": xp.asarray(_nonempty(np.ascontiguousarray(drive.rows), np.float64)),
            "u_amp": xp.asarray(_nonempty(drive.u_amp, np.float64)),
            "w_scale": xp.asarray(_nonempty(drive.w_scale, np.float64)),
            "arr": xp.asarray(_nonempty(np.ascontiguousarray(drive.arr), np.float64)),
            "u_key": xp.asarray(_nonempty(drive.u_key, np.uint64)),
            "w_key": xp.asarray(_nonempty(drive.w_key, np.uint64)),
        }

    def outputs(self, width: int) -> dict[str, Any]:
        """Fresh device buffers for one launch over ``width`` time points."""
        xp, nodes, cap = self.xp, self.nodes, self.cap
        return {
            "trace": xp.zeros((max(self.n_rec, 1), width)),
            "spike_k": xp.zeros(nodes * cap, dtype=np.int64),
            "spike_j": xp.zeros(nodes * cap, dtype=np.int64),
            "spike_n": xp.zeros(nodes, dtype=np.int64),
            "mean": xp.empty((nodes, width)),
            "m2": xp.empty((nodes, width)),
            "lag": xp.zeros((nodes, max(self.n_lags, 1), width)),
        }

    def kernel_args(self, drive: Any, d: dict[str, Any], snap_row: Any, out: dict[str, Any], k0: int, k1: int) -> list:
        """The ``lif_advance`` kernel's arguments, in its order (see :mod:`lifsim.engine.cuda.source`)."""
        model, device, plan = self.plan.model, self.device, self.plan
        return [
            ("f8", model.a), ("f8", model.decay), ("f8", model.el), ("f8", model.r), ("f8", model.vr),
            ("f8", model.vth), ("f8", model.lag_shift), ("i4", int(model.exact)), ("i4", int(model.spiking)),
            ("i4", int(model.per_neuron_ref)), ("i8", model.ref_steps), ("i4", model.normals),
            ("i8", drive.offset), ("i8", drive.rows.shape[1] if drive.rows.ndim == 2 else 0),
            ("i8", drive.kind.size), ("i8", drive.w_key.size),
            ("ptr", d["kind"]), ("ptr", d["slot"]), ("ptr", d["u_first"]), ("ptr", d["per_neuron"]),
            ("ptr", d["mean"]), ("ptr", d["rows"]), ("ptr", d["u_amp"]), ("ptr", d["w_scale"]), ("ptr", d["arr"]),
            ("ptr", d["u_key"]), ("ptr", d["w_key"]),
            ("i8", self.lo), ("i8", self.hi), ("i4", self.node), ("i8", k0), ("i8", k1),
            ("ptr", device["v"]), ("ptr", device["hold"]), ("i4", int(self.refractory)), ("ptr", device["ref"]),
            ("ptr", device["spare"]), ("ptr", device["ring"]), ("i4", plan.depth), ("ptr", device["counts"]),
            ("ptr", device["snapshots"]), ("ptr", snap_row),
            ("ptr", self.lags), ("i4", self.n_lags), ("ptr", self.rec_neurons), ("ptr", self.rec_rows),
            ("i4", self.n_rec), ("ptr", out["trace"]),
            ("i4", int(self.record_spikes)), ("i8", self.cap), ("ptr", out["spike_k"]), ("ptr", out["spike_j"]),
            ("ptr", out["spike_n"]),
            ("ptr", out["mean"]), ("ptr", out["m2"]), ("ptr", out["lag"]),
        ]  # fmt: skip

    def launch(self, k0: int, k1: int) -> tuple[dict[str, Any], np.ndarray]:
        """One chunk ``k0 .. k1 - 1`` on the device, run again with more room when a node's spikes overflow."""
        device, record_spikes = self.device, self.record_spikes
        drive, d = self.drive(k0, k1)
        snap_row = self.xp.asarray(self.plan.schedule(k0, k1).snap_row)
        saved = {name: array.copy() for name, array in device.items() if name != "ring"} if record_spikes else None
        saved_ring = device["ring"].copy() if record_spikes and self.plan.depth else None
        while True:
            out = self.outputs(k1 - k0)
            self.backend.advance(self.nodes, self.node, self.kernel_args(drive, d, snap_row, out, k0, k1))
            spike_n = self.backend.to_host(out["spike_n"])
            if not record_spikes or spike_n.max(initial=0) <= self.cap:
                return out, spike_n
            # a node fired more than its buffer holds: restore the state and run the chunk again with room for
            # all (the counter stream makes the second run identical)
            assert saved is not None
            self.cap = int(spike_n.max() * 1.1) + 16
            for name, array in saved.items():
                device[name][...] = array
            if saved_ring is not None:
                device["ring"][...] = saved_ring


def _run_range(
    plan: RunPlan,
    first_block: int,
    end_block: int | None,
    backend: Backend,
    progress: Callable[..., Any] | None,
    trace_sink: Callable[[int, np.ndarray], None] | None,
    chunk_steps: int | None,
) -> RangeOutput:
    end_block = plan.n_blocks if end_block is None else end_block
    steps = plan.steps
    part = _DeviceRange(plan, first_block, end_block, backend, chunk_steps)
    xp, nodes, n_lags, n_rec = backend.xp, part.nodes, part.n_lags, part.n_rec
    mean_total, m2_total, lag_total = np.empty(steps), np.empty(steps), np.zeros((n_lags, steps))
    rows = range_trace_rows(plan, part.lo, part.hi)
    full_trace = np.empty((rows.size, steps)) if plan.record is not None and trace_sink is None else None
    spike_k_parts: list[np.ndarray] = []
    spike_j_parts: list[np.ndarray] = []
    for k0 in range(0, steps, part.chunk):
        k1 = min(steps, k0 + part.chunk)
        out, spike_n = part.launch(k0, k1)
        if part.record_spikes:
            # compaction on the device: each node's spikes, nodes in order (then sorted by time below)
            cap = part.cap
            filled = xp.arange(cap)[None, :] < out["spike_n"][:, None]
            spike_k_parts.append(backend.to_host(out["spike_k"].reshape(nodes, cap)[filled]))
            spike_j_parts.append(backend.to_host(out["spike_j"].reshape(nodes, cap)[filled]))
            # the next chunk's room
            part.cap = max(part.room(part.chunk), int(min(part.node * part.chunk, 1.25 * spike_n.max(initial=0) + 64)))
        root = _merge_nodes(backend, part.node_counts, out["mean"], out["m2"], out["lag"], nodes, k1 - k0, n_lags)
        mean_total[k0:k1], m2_total[k0:k1] = root[0], root[1]
        if n_lags:
            lag_total[:, k0:k1] = root[2]
        if plan.record is not None:
            trace = backend.to_host(out["trace"])[:n_rec]
            if trace_sink is not None:
                trace_sink(k0, trace)
            else:
                assert full_trace is not None
                full_trace[:, k0:k1] = trace[rows]
        if progress is not None:
            progress(k1 * part.size, neuron_steps=True)
    spike_k, spike_j = time_ordered(spike_k_parts, spike_j_parts) if part.record_spikes else (None, None)
    snapshots = (
        backend.to_host(part.device["snapshots"]).reshape(len(plan.snapshot_steps), part.size).copy()
        if plan.snapshot_steps
        else part.host.snapshots
    )
    return RangeOutput(
        first_block=first_block,
        end_block=end_block,
        count=int(part.size),
        mean=mean_total,
        m2=m2_total,
        lag=lag_total,
        spike_k=spike_k,
        spike_j=spike_j,
        spike_count=backend.to_host(part.device["counts"]).copy(),
        snapshots=snapshots,
        trace_rows=rows,
        trace=full_trace,
    )


def _nonempty(array: np.ndarray, dtype: Any) -> np.ndarray:
    """``array`` as a contiguous array of ``dtype``; a one-element placeholder when empty (never read)."""
    array = np.ascontiguousarray(array, dtype=dtype)
    return array if array.size else np.zeros(1, dtype=dtype)


def _merge_nodes(
    backend: Backend, counts: Any, mean: Any, m2: Any, lag: Any, nodes: int, width: int, n_lags: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The range's root per time point: the nodes merged level by level on the device (lifsim.reduce.tree_merge)."""
    xp = backend.xp
    lag_rows = max(n_lags, 1)
    while nodes > 1:
        following = nodes // 2 + nodes % 2
        c_out = xp.empty(following, dtype=np.int64)
        m_out = xp.empty((following, width))
        q_out = xp.empty((following, width))
        l_out = xp.zeros((following, lag_rows, width))
        total = following * width
        backend.merge(
            math.ceil(total / MERGE_THREADS),
            MERGE_THREADS,
            [
                ("ptr", counts),
                ("ptr", mean),
                ("ptr", m2),
                ("ptr", lag),
                ("i8", nodes),
                ("i8", width),
                ("i4", n_lags),
                ("ptr", c_out),
                ("ptr", m_out),
                ("ptr", q_out),
                ("ptr", l_out),
            ],  # fmt: skip
        )
        counts, mean, m2, lag, nodes = c_out, m_out, q_out, l_out, following
    return backend.to_host(mean[0]), backend.to_host(m2[0]), backend.to_host(lag[0][:n_lags])
