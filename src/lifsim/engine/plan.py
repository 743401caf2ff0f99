"""The run plan: every input, parameter, recording request and check, lowered and validated once.

:func:`lifsim.simulate` builds one :class:`RunPlan` before anything runs; every
engine and runner reads it, so no engine repeats a check or re-derives an
input.  Its typed groups are what the kernels take (numba accepts these
NamedTuples as arguments; a GPU kernel's parameter list is generated from the
same field names):

* :class:`Model`: the model's scalars;
* :class:`Drive`: the input lowered to arrays for one chunk of update steps
  (computed per chunk, so no per-step array of the whole run is ever held);
* :class:`Schedule`: what to record at each time point of a chunk;
* :class:`State`: the mutable per-neuron state a run carries from chunk to chunk;
* :class:`Outputs`: what an engine hands back for a range of neuron blocks and
  a chunk of time points (canonical per-block statistics, spikes, traces).

Conventions: time points ``k = 0 .. steps-1`` (``t_k = k dt``); the update from
point ``k - 1`` to ``k`` uses the input of update step ``kk = k - 1``.  Neurons
are cut into blocks of ``block`` neurons, a power-of-two multiple of 32, so
that every block is a node of the canonical reduction tree (:mod:`lifsim.reduce`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..inputs import Input, bind_streams
from ..params import LIFParams
from ..portable import exp as portable_exp
from ..reduce import GROUP
from ..streams import REFRACTORY_STREAM, STREAM_VERSION, CounterStream, LegacyStream, seed_key

if TYPE_CHECKING:
    from ..request import ValidRequest

__all__ = [
    "Model",
    "Drive",
    "DriveParts",
    "Schedule",
    "State",
    "Outputs",
    "RunPlan",
    "block_size",
    "BLOCK",
    "evaluate_drive",
]

#: the largest block: its state (V, counters) stays in cache while it runs through a chunk
BLOCK = 2048
#: bytes of an array input's columns that one chunk's drive holds (a chunk is cut to fit, but keeps one column): the
#: drive copies its chunk's columns of every row, and a chunk of the whole run copied the whole array
DRIVE_BUDGET = 64 * 2**20


class Model(NamedTuple):
    """The model's scalars (SI)."""

    a: float  #: dt / tau, the Euler factor (dimensionless)
    decay: float  #: exp(-dt / tau), the exact update's factor (dimensionless)
    el: float  #: leak potential E_L (V)
    r: float  #: membrane resistance R (Ohm)
    vr: float  #: reset potential (V)
    vth: float  #: threshold (V)
    v0: float  #: initial potential (V)
    exact: bool  #: exact (exponential) update instead of forward Euler
    spiking: bool  #: threshold and reset on
    ref_steps: int  #: refractory steps after a spike, when all neurons share it
    per_neuron_ref: bool  #: refractory steps per neuron (State.ref) instead of ref_steps
    lag_shift: float  #: the fixed shift (V) of the autocovariance sums: V0
    normals: int  #: the stream version of the normals: 3 (float32, one draw a pair) or 2 (float64, two draws)


#: kinds of lowered input parts
DET, MOD, WHITE, ARRAY = 0, 1, 2, 3


class Drive(NamedTuple):
    """The input, lowered for the update steps ``offset .. offset + K - 1`` of one chunk.

    The input is a sum of parts, added left to right as :meth:`Input.current`
    adds them (the order decides the sum's last bit).  Part ``p`` of kind:

    * ``DET`` (0): the deterministic current ``rows[slot[p], kk]`` (A): a constant,
      a sinusoid ``mean (1 + sin)`` or a step;
    * ``MOD`` (1): ``mean[p] * (rows[slot[p], kk] + sum_u amp[u] (2 U_u - 1))`` (A),
      ``rows`` holding ``1 + sine terms`` and the uniform terms being
      ``u_first[p] .. u_first[p + 1] - 1``;
    * ``WHITE`` (2): ``mean[p] + w_scale[slot[p]] z`` (A) with Euler; with the exact
      update the part contributes ``mean[p]`` (and nothing when that is 0) and
      ``w_scale z`` (V) is added to V after the step;
    * ``ARRAY`` (3): ``arr[slot[p] + (j if per_neuron[p] else 0), kk]`` (A).
    """

    offset: int  #: update step of column 0
    kind: np.ndarray  #: (P,) int64 part kinds
    slot: np.ndarray  #: (P,) int64 row in rows, white term or first row in arr
    per_neuron: np.ndarray  #: (P,) bool: an ARRAY part with one row per neuron
    mean: np.ndarray  #: (P,) means (A) of MOD and WHITE parts
    rows: np.ndarray  #: (D, K) per-step values of DET and MOD parts
    u_first: np.ndarray  #: (P + 1,) int64 uniform terms of each part
    u_amp: np.ndarray  #: (U,) uniform amplitudes A (dimensionless)
    u_key: np.ndarray  #: (U,) uint64 stream keys
    w_scale: np.ndarray  #: (W,) white scales: A per unit normal (Euler) or V (exact)
    w_key: np.ndarray  #: (W,) uint64 stream keys
    arr: np.ndarray  #: (A, K) array inputs' rows (A)


class Schedule(NamedTuple):
    """What to record at the time points ``k0 .. k0 + C - 1`` of one chunk."""

    k0: int
    snap_row: np.ndarray  #: (C,) int64: snapshot row of each time point, -1 for none
    lags: np.ndarray  #: (L,) int64 autocovariance lags (steps)
    rec_neurons: np.ndarray  #: (R,) int64 recorded neurons, sorted
    rec_rows: np.ndarray  #: (R,) int64 their rows in the trace
    record_spikes: bool


class State(NamedTuple):
    """What a run carries from chunk to chunk, per neuron (V and counters)."""

    v: np.ndarray  #: (n,) membrane potential (V)
    hold: np.ndarray  #: (n,) int64 steps still held at V_reset ((0,) without refractoriness)
    ref: np.ndarray  #: (n,) int64 refractory steps per neuron ((0,) when shared)
    spare: np.ndarray  #: (W, n) the sine half of each white term's Box-Muller pair (V or A units of 1)
    ring: np.ndarray  #: (depth, n) V of the last max(lags) + 1 points (V) ((0, n) without lags)
    counts: np.ndarray  #: (n,) int64 spikes per neuron
    snapshots: np.ndarray  #: (S, n) V at the snapshot points (V)
    base: int  #: the first neuron the arrays hold (0 for a whole run; a task's first neuron under a runner)


class Outputs(NamedTuple):
    """What an engine returns for blocks ``first .. first + nb - 1`` and one chunk of C points."""

    mean: np.ndarray  #: (nb, C) each block's mean V (the root of its canonical subtree)
    m2: np.ndarray  #: (nb, C) each block's sum of squared deviations (V**2)
    lag: np.ndarray  #: (nb, L, C) each block's sum of (V[k - l] - shift)(V[k] - shift) (V**2)
    spike_k: np.ndarray  #: (nb, cap) int32 time point of each spike
    spike_j: np.ndarray  #: (nb, cap) int32 neuron of each spike within its block
    spike_n: np.ndarray  #: (nb,) int64 spikes of each block (may exceed cap: then run again)
    trace: np.ndarray  #: (R, C) recorded V (V), rows of Schedule.rec_rows


def block_size(n: int) -> int:
    """Neurons per block: a power-of-two multiple of 32, at most BLOCK, small enough that small runs
    still make several blocks for the threads to share.  It never depends on the thread count."""
    wanted = max(GROUP, -(-n // 8))
    size = GROUP
    while size < wanted and size < BLOCK:
        size *= 2
    return size


class DriveParts:
    """The drive of one chunk as the input lowers itself into it (:class:`lifsim.inputs.DriveBuilder`).

    Each input kind calls one method per part (:meth:`lifsim.inputs.Input.lower`);
    this turns the parts into the kernels' arrays (:meth:`drive`): noise
    stream numbers into keys, white-noise strengths into the scale of the
    update method.  The plan never asks which kind an input is.
    """

    def __init__(self, params: LIFParams, model: Model, seed: int, offset: int, count: int) -> None:
        self.params, self.model, self.seed, self.offset = params, model, seed, offset
        self.t = np.arange(offset, offset + count) * params.dt  #: times (s) of the update steps
        self.kind: list[int] = []
        self.slot: list[int] = []
        self.per_neuron: list[bool] = []
        self.mean: list[float] = []
        self.rows: list[np.ndarray] = []
        self.u_first = [0]
        self.u_amp: list[float] = []
        self.u_key: list[np.uint64] = []
        self.w_scale: list[float] = []
        self.w_key: list[np.uint64] = []
        self.arr: list[np.ndarray] = []
        self.arr_rows = 0

    def _part(self, kind: int, slot: int, mean: float = 0.0, per_neuron: bool = False) -> None:
        self.kind.append(kind)
        self.slot.append(slot)
        self.per_neuron.append(per_neuron)
        self.mean.append(mean)
        self.u_first.append(len(self.u_amp))

    def deterministic(self, current: np.ndarray) -> None:
        """A ``DET`` part: ``current`` (A) per update step."""
        self._part(DET, len(self.rows))
        self.rows.append(current)

    def modulated(self, mean: float, base: np.ndarray, amplitudes: Sequence[float], streams: Sequence[int]) -> None:
        """A ``MOD`` part: ``mean * (base + sum_u A_u (2 U_u - 1))`` (A)."""
        for amplitude, stream in zip(amplitudes, streams, strict=True):
            self.u_amp.append(amplitude)
            self.u_key.append(seed_key(self.seed, stream))
        self._part(MOD, len(self.rows), mean)
        self.rows.append(base)

    def white(self, mean: float, sigma: float, stream: int) -> None:
        """A ``WHITE`` part of strength ``sigma`` (V): scaled to A per unit normal (Euler) or V (exact)."""
        params, model = self.params, self.model
        self._part(WHITE, len(self.w_scale), mean)
        if model.exact:
            self.w_scale.append(sigma * math.sqrt((1.0 - model.decay * model.decay) / 2.0))
        else:
            self.w_scale.append(sigma / params.r * math.sqrt(params.tau / params.dt))
        self.w_key.append(seed_key(self.seed, stream))

    def array(self, values: np.ndarray) -> None:
        """An ``ARRAY`` part: ``(K,)`` shared or ``(n, K)`` one row per neuron (A)."""
        rows = np.atleast_2d(values)
        self._part(ARRAY, self.arr_rows, per_neuron=values.ndim == 2)
        self.arr.append(rows)
        self.arr_rows += rows.shape[0]

    def drive(self) -> Drive:
        """The parts as the kernels take them."""
        count = len(self.t)
        return Drive(
            offset=self.offset,
            kind=np.array(self.kind, dtype=np.int64),
            slot=np.array(self.slot, dtype=np.int64),
            per_neuron=np.array(self.per_neuron, dtype=np.bool_),
            mean=np.array(self.mean, dtype=np.float64),
            rows=np.array(self.rows, dtype=np.float64).reshape(len(self.rows), count),
            u_first=np.array(self.u_first, dtype=np.int64),
            u_amp=np.array(self.u_amp, dtype=np.float64),
            u_key=np.array(self.u_key, dtype=np.uint64),
            w_scale=np.array(self.w_scale, dtype=np.float64),
            w_key=np.array(self.w_key, dtype=np.uint64),
            arr=np.concatenate(self.arr) if self.arr else np.zeros((0, count)),
        )


@dataclass
class RunPlan:
    """One validated run: parameters, lowered input, recording requests, sizes.

    Built by :meth:`build`; engines and runners only read it.
    """

    params: LIFParams
    inputs: Input
    n: int
    steps: int
    stream: CounterStream | LegacyStream
    method: str
    spiking: bool
    record: np.ndarray | None
    record_spikes: bool
    lags: tuple[int, ...]
    snapshot_steps: tuple[int, ...]
    block: int
    model: Model
    n_white: int
    array_rows: int = 0  #: rows of the array inputs' values in a chunk's drive (n per neuron, 1 shared)

    # ------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        params: LIFParams,
        inputs: Input,
        *,
        n: int,
        steps: int,
        stream: CounterStream | LegacyStream,
        method: str,
        spiking: bool,
        record: np.ndarray | None,
        record_spikes: bool,
        lags: tuple[int, ...],
        snapshot_steps: tuple[int, ...],
        block: int | None = None,
    ) -> RunPlan:
        """Lower and check everything once (raises ``ValueError`` before any work)."""
        bind_streams(inputs)
        inputs.check(params, n, steps)
        if block is None:
            block = block_size(n)
        per_neuron_ref = params.t_ref_std > 0
        model = Model(
            a=params.dt / params.tau,
            decay=portable_exp(-params.dt / params.tau),  # the same bits on every machine
            el=params.el,
            r=params.r,
            vr=params.vr,
            vth=params.vth,
            v0=params.v0,
            exact=method == "exact",
            spiking=bool(spiking),
            ref_steps=params.refractory_steps,
            per_neuron_ref=per_neuron_ref,
            lag_shift=params.v0,
            normals=int(getattr(stream, "version", STREAM_VERSION)),
        )
        probe = DriveParts(params, model, stream.seed, 0, 0)
        inputs.lower(probe)  # every input kind lowers itself; ValueError for one that cannot, before any work
        n_white, array_rows = len(probe.w_scale), probe.arr_rows
        return cls(
            params,
            inputs,
            n,
            steps,
            stream,
            method,
            bool(spiking),
            record,
            bool(record_spikes),
            tuple(lags),
            tuple(snapshot_steps),
            int(block),
            model,
            n_white,
            array_rows,
        )

    @classmethod
    def from_request(cls, request: ValidRequest) -> RunPlan:
        """The plan of a checked request (:meth:`lifsim.request.RunRequest.validate`)."""
        return cls.build(
            request.params,
            request.inputs,
            n=request.n,
            steps=request.steps,
            stream=request.stream,
            method=request.method,
            spiking=request.spiking,
            record=request.record,
            record_spikes=request.record_spikes,
            lags=request.lags,
            snapshot_steps=request.snapshot_steps,
            block=request.block,
        )

    # ------------------------------------------------------------ sizes
    @property
    def n_blocks(self) -> int:
        return -(-self.n // self.block)

    @property
    def depth(self) -> int:
        """Rows of the autocovariance ring: the largest lag + 1 (0 without lags)."""
        return max(self.lags) + 1 if self.lags else 0

    @property
    def refractory(self) -> bool:
        """Whether any neuron can be held at V_reset."""
        return self.spiking and (self.model.per_neuron_ref or self.model.ref_steps > 0)

    # ------------------------------------------------------------ lowering
    def neuron_range(self, first_block: int = 0, end_block: int | None = None) -> tuple[int, int]:
        """The neurons ``lo .. hi - 1`` of blocks ``first_block .. end_block - 1`` (default: all)."""
        end_block = self.n_blocks if end_block is None else end_block
        return first_block * self.block, min(self.n, end_block * self.block)

    def new_state(self, first_block: int = 0, end_block: int | None = None) -> State:
        """The state at t = 0 of blocks ``first_block .. end_block - 1`` (default: all neurons).

        V = V0 everywhere, nothing held, no spikes; the arrays hold the
        block range's neurons only (``State.base`` is its first neuron).
        """
        lo, hi = self.neuron_range(first_block, end_block)
        n = hi - lo
        ref = np.zeros(0, dtype=np.int64)
        if self.model.per_neuron_ref:
            ref = refractory_steps_per_neuron(self.params, self.stream, np.arange(lo, hi, dtype=np.uint64))
        return State(
            v=np.full(n, self.model.v0),
            hold=np.zeros(n if self.refractory else 0, dtype=np.int64),
            ref=ref,
            spare=np.zeros((self.n_white, n)),
            ring=np.zeros((self.depth, n)),
            counts=np.zeros(n, dtype=np.int64),
            snapshots=np.empty((len(self.snapshot_steps), n)),
            base=lo,
        )

    def drive(self, k0: int, k1: int) -> Drive:
        """The input lowered for the updates into time points ``k0 .. k1 - 1`` (update steps ``k0 - 1 .. k1 - 2``).

        Deterministic terms are evaluated here with numpy, once, and shared by
        every engine, so they agree bit for bit; ``Input.current`` is the
        specification, and a test checks the lowering against it.
        """
        offset = max(k0 - 1, 0)
        count = max(k1 - 1 - offset, 0)
        parts = DriveParts(self.params, self.model, self.stream.seed, offset, count)
        self.inputs.lower(parts)  # each input kind adds its own parts (lifsim.inputs.Input.lower)
        return parts.drive()

    def schedule(self, k0: int, k1: int) -> Schedule:
        """What to record at the time points ``k0 .. k1 - 1``."""
        snap_row = np.full(k1 - k0, -1, dtype=np.int64)
        for row, k in enumerate(self.snapshot_steps):
            if k0 <= k < k1:
                snap_row[k - k0] = row
        if self.record is None:
            rec_neurons = rec_rows = np.zeros(0, dtype=np.int64)
        else:
            order = np.argsort(self.record, kind="stable")
            rec_neurons = np.asarray(self.record, dtype=np.int64)[order]
            rec_rows = order.astype(np.int64)
        return Schedule(
            k0=k0,
            snap_row=snap_row,
            lags=np.array(self.lags, dtype=np.int64),
            rec_neurons=rec_neurons,
            rec_rows=rec_rows,
            record_spikes=self.spiking and self.record_spikes,
        )

    def drive_columns(self, chunk: int) -> int:
        """``chunk`` time points, cut so that a chunk's drive holds at most :data:`DRIVE_BUDGET` of the array
        inputs' columns (at least one column); every engine's chunks are cut by it."""
        if not self.array_rows:
            return chunk
        return max(1, min(chunk, DRIVE_BUDGET // (8 * self.array_rows)))

    # ------------------------------------------------------------ memory
    def memory_estimate(
        self, expected_rate: float = 100.0, chunk: int | None = None, neurons: int | None = None
    ) -> int:
        """Bytes the run needs at its peak (state, per-step results, outputs, traces, spikes).

        ``expected_rate`` (Hz): spikes per neuron per second, for the spike
        list (16 bytes a spike while recorded, about 40 while sorted at the end).
        ``neurons``: the estimate for a runner's task of that many neurons
        (default: the whole run).
        """
        n, steps = (self.n if neurons is None else int(neurons)), self.steps
        chunk = steps if chunk is None else chunk
        state = 8 * n * (2 + (2 if self.refractory else 0) + self.n_white + self.depth + len(self.snapshot_steps))
        per_step = 8 * steps * (3 + len(self.lags))  # t, mean, m2, comoment
        per_chunk = 8 * chunk * (4 + len(self.lags)) * (1 + min(self.n_blocks, 64))  # drive, block outputs
        per_chunk += 8 * self.drive_columns(chunk) * self.array_rows  # the drive's columns of the array inputs
        traces = 8 * (0 if self.record is None else len(self.record)) * chunk
        spikes = 0
        if self.spiking and self.record_spikes:
            spikes = int(40 * n * max(steps - 1, 0) * self.params.dt * expected_rate)
        return state + per_step + per_chunk + traces + spikes


def refractory_steps_per_neuron(
    params: LIFParams, stream: CounterStream | LegacyStream, neurons: np.ndarray
) -> np.ndarray:
    """Refractory period of each neuron in steps, ``rint(t_ref_j / dt)``.

    With ``t_ref_std > 0``, ``t_ref_j = max(0, t_ref + t_ref_std * z_j)`` where
    ``z_j`` is neuron ``j``'s own normal draw (counter stream of the run's seed,
    stream ``REFRACTORY_STREAM``), so it too depends only on ``(seed, j)``.
    """
    if params.t_ref_std == 0.0:
        return np.full(neurons.size, params.refractory_steps, dtype=np.int64)
    z = CounterStream(stream.seed, getattr(stream, "version", STREAM_VERSION)).normal(REFRACTORY_STREAM, 0, neurons)
    t_ref = np.maximum(0.0, params.t_ref + params.t_ref_std * z)
    return np.rint(t_ref / params.dt).astype(np.int64)


def evaluate_drive(drive: Drive, model: Model, kk: int, neurons: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The lowered input at update step ``kk`` for ``neurons``, evaluated as the kernels evaluate it.

    A numpy mirror of the compiled kernel's general step (the draws come from
    the lowered keys, the parts are added in the kernel's order), used by the
    property test that holds the lowering to ``Input.current``.  Returns the
    current (A) and, for the exact method, the V increment (V) of each white
    term in order (the kernels add them to V one by one).
    """
    from ..portable import box_muller, box_muller_f32
    from ..streams import GOLDEN_GAMMA, splitmix64

    neurons = np.asarray(neurons, dtype=np.uint64)

    def raw(key: np.uint64, draw: int) -> np.ndarray:
        return splitmix64(key + ((neurons << np.uint64(32)) + np.uint64(draw + 1)) * GOLDEN_GAMMA)

    def uniform(key: np.uint64) -> np.ndarray:
        return (raw(key, kk) >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def normal(key: np.uint64) -> np.ndarray:
        pair = kk // 2
        if model.normals == 3:
            z_cos, z_sin = box_muller_f32(raw(key, pair))
        else:
            z_cos, z_sin = box_muller(raw(key, 2 * pair), raw(key, 2 * pair + 1))
        return z_cos if kk % 2 == 0 else z_sin

    column = kk - drive.offset
    current = np.zeros(neurons.size)
    increments: list[np.ndarray] = []
    first = True
    for p in range(drive.kind.size):
        kind, index = int(drive.kind[p]), int(drive.slot[p])
        if kind == DET:
            value = np.full(neurons.size, drive.rows[index, column])
        elif kind == MOD:
            total = np.full(neurons.size, drive.rows[index, column])
            for u in range(int(drive.u_first[p]), int(drive.u_first[p + 1])):
                total = total + drive.u_amp[u] * (2 * uniform(drive.u_key[u]) - 1)
            value = drive.mean[p] * total
        elif kind == WHITE:
            z = normal(drive.w_key[index])
            if model.exact:
                increments.append(drive.w_scale[index] * z)
                if drive.mean[p] == 0.0:
                    continue
                value = np.full(neurons.size, drive.mean[p])
            else:
                value = drive.mean[p] + drive.w_scale[index] * z
        else:
            rows = index + neurons.astype(np.int64) if drive.per_neuron[p] else np.full(neurons.size, index)
            value = drive.arr[rows, column]
        current = value if first else current + value
        first = False
    return current, increments
