"""Random streams: the tutorial's legacy order, and the default counter-based stream.

Two kinds of stream hand the engine the random numbers of one time step for a
set of neurons.

``LegacyStream`` — *tutorial mode*.  The tutorial seeds numpy's global legacy
generator (``np.random.seed(2020)``) and draws uniforms in one of two orders:

* ``"step-major"``: exercises 7-10 call ``np.random.random()`` once per neuron
  inside the step loop, so draw ``k * n + j`` belongs to neuron ``j`` at step ``k``;
* ``"neuron-major"``: exercises 11-14 draw one ``[n, steps]`` array, so draw
  ``j * steps + k`` belongs to neuron ``j`` at step ``k``.

It uses ``np.random.RandomState(seed)``, which is the very generator (MT19937
with the legacy seeding) behind ``np.random.seed``, without touching numpy's
global state.

``CounterStream`` — *default mode*.  Every number is a pure function of
``(seed, stream, neuron, draw index)``: a SplitMix64 sequence (Steele, Lea and
Flood 2014, the generator behind Java's ``SplittableRandom``) whose state
starts at a 64-bit key derived from the seed by ``numpy.random.SeedSequence``
(one key per noise term), and in which neuron ``j`` owns the disjoint segment
``j * 2**32 + 1 .. (j + 1) * 2**32`` of counters.  Hence neuron 17 of a
10-neuron run receives exactly the numbers of neuron 17 of a 10-million-neuron
run, whatever the block size, thread or process count.  Limits: 2**32 neurons
and 2**32 steps.

Reproducibility contract (stream versions 3 and 2, ``counter-splitmix64/3``)
-----------------------------------------------------------------------------
The contract holds for both stream versions this lifsim draws: version 3, the
default, and version 2 (lifsim 0.2 before issue 17), which a run asks for with
``stream_version=2`` (``--stream-version 2``) and which ``lifsim rerun`` picks
for the files that name it.  They differ in the normals only (see
:mod:`lifsim.portable`: float32 arithmetic and one draw a pair in version 3).
In the manner of numpy's *Compatibility Guarantee*: with the counter stream,
a run is a pure function of its arguments.  For each quantity, "bitwise"
below means the same IEEE-754 bits, not "close":

=============================  =======  =======  ===========  ========  =======  ========
quantity                       engines  threads  block/chunk  N prefix  workers  machines
=============================  =======  =======  ===========  ========  =======  ========
raw draws (uint64)             bitwise  bitwise  bitwise      bitwise   bitwise  bitwise
uniforms                       bitwise  bitwise  bitwise      bitwise   bitwise  bitwise
normals                        bitwise  bitwise  bitwise      bitwise   bitwise  bitwise
per-neuron V, traces           bitwise  bitwise  bitwise      bitwise   bitwise  bitwise [1]
spikes, counts, snapshots      bitwise  bitwise  bitwise      bitwise   bitwise  bitwise [1]
per-step mean, m2              bitwise  bitwise  bitwise      --  [2]   bitwise  bitwise [1]
autocovariance (co-moments)    bitwise  bitwise  bitwise      --  [2]   bitwise  bitwise [1]
=============================  =======  =======  ===========  ========  =======  ========

How it is kept: the draws are integer functions of ``(seed, term, neuron,
draw)``; normals use :mod:`lifsim.portable` (``+ - * /``, ``sqrt``, compares,
selects, conversions and integer bit operations only, in float32 for version
3 and float64 for version 2, no libm, no fused multiply-add);
the exact method's ``exp(-dt/tau)`` is :func:`lifsim.portable.exp`
(correctly rounded in decimal arithmetic, not the platform's libm);
statistics are reduced in one canonical order (:mod:`lifsim.reduce`: groups
of 32 neurons folded by halves, groups and blocks merged by Chan's formulas
in a fixed binary tree) that every engine reproduces exactly, without
``fastmath`` or BLAS; compiled code may use any vector width, because
nothing is reassociated or contracted.  "Workers" are the runner's worker
processes: the Dask runner (:mod:`lifsim.runners.dask`) gives aligned block
ranges, nodes of the same canonical tree, to its workers and merges them in
that tree (``tests/test_dask.py``).

[1] Two inputs take a value from the platform: a sine term
(:class:`~lifsim.inputs.SineTerm`) is ``numpy.sin`` (the tutorial's formula,
which lifsim must reproduce), and the tutorial's default uniform amplitude
``0.1 (t_max/dt) ** 0.5`` is the C library's ``pow``.  Runs with them are
bitwise equal across engines, threads, blocks and N on one machine, and
across machines whose numpy ``sin`` and libm ``pow`` round alike (almost
always, but not promised).  Everything else is computed from IEEE-754
basic operations only.

[2] The statistics of a larger population are different numbers.

Proven by: ``tests/test_engine_conformance.py`` (every engine against the
numpy reference on 13 input kinds x 2 methods x spiking, refractoriness,
arrays; thread counts; block sizes and chunk lengths; N prefix),
``tests/test_engine_numba.py`` and ``tests/test_streams.py`` (draws, known
answers), ``tests/test_portable.py`` (the normal transform against long
double, known answers), ``tests/test_contract.py`` (SHA-256 of whole runs,
rerun on every CI machine), ``tests/test_reduce.py`` (the canonical order).

Networks (:mod:`lifsim.network`, network stream version 1, on the counter
stream above; "engines" are its numpy and numba engines, "block" its neuron
blocks; it has no worker processes):

=============================  =======  =======  ===========  ========  ========
quantity                       engines  threads  block        N prefix  machines
=============================  =======  =======  ===========  ========  ========
connectivity (sources)         bitwise  bitwise  bitwise      --  [3]   bitwise
external Poisson counts        bitwise  bitwise  bitwise      bitwise   bitwise
initial V                      bitwise  bitwise  bitwise      bitwise   bitwise
spikes, V                      bitwise  bitwise  bitwise      --        bitwise [4]
rates, CVs, synchrony          bitwise  bitwise  bitwise      --        bitwise [4]
=============================  =======  =======  ===========  ========  ========

[3] A source index is drawn in [0, N_E): another N_E draws other sources.
[4] ``exp(-dt/tau)`` and ``exp(-lambda)`` are :func:`lifsim.portable.exp`;
the update uses ``+ - *`` in a fixed order without fused multiply-add, and
synaptic input is built from integer spike counts (exact in any order); the
statistics' means use numpy's sums.  Proven by ``tests/test_network.py`` and
``tests/test_network_engines.py``.

Stream versions: 1 (lifsim before issue 10) drew normals with libm's
``log1p`` and ``cos`` and summed statistics in a machine-dependent order;
files made with it carry no ``run["stream_version"]``, and ``lifsim rerun``
refuses them with that reason instead of reporting a difference.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "REFRACTORY_STREAM",
    "STREAM_VERSION",
    "STREAM_VERSIONS",
    "CounterStream",
    "LegacyStream",
    "StepDraws",
    "splitmix64",
    "seed_key",
    "Stream",
]

#: version of the counter stream and of the canonical reduction, recorded in every result.
#: 1: normals from the platform's log1p and cos, statistics summed per block in any order;
#: 2: portable Box-Muller in float64 from two draws a pair, and the canonical reduction order (lifsim.reduce);
#: 3: portable Box-Muller in float32 from one draw a pair (lifsim.portable.box_muller_f32); the rest as 2
STREAM_VERSION = 3
#: the versions this lifsim draws: a run asks for one (the default: STREAM_VERSION), a rerun takes its file's
STREAM_VERSIONS = (2, 3)

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_TWO_M53 = 2.0**-53

#: stream number of the per-neuron random refractory periods (far from the input terms' 0, 1, ...)
REFRACTORY_STREAM = 2**20


def splitmix64(state: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (Stafford's "Mix13") applied to uint64 ``state``.

    ``splitmix64(key + m * GOLDEN_GAMMA)`` is the ``m``-th output (m = 1, 2, ...)
    of SplitMix64 seeded with ``key``.  Arithmetic wraps modulo 2**64.
    """
    z = np.asarray(state, dtype=np.uint64)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def seed_key(seed: int | None, stream: int) -> np.uint64:
    """The 64-bit SplitMix64 starting state of noise term ``stream`` under ``seed``.

    Derived with ``SeedSequence(seed, spawn_key=(stream,))`` so that different
    terms (and different seeds) get well-separated, independent keys.
    """
    entropy = 0 if seed is None else seed
    state = np.random.SeedSequence(entropy, spawn_key=(stream,)).generate_state(1, dtype=np.uint64)
    return np.uint64(state[0])


class CounterStream:
    """Default random stream: neuron ``j``'s numbers depend only on ``(seed, j)``.

    Parameters
    ----------
    seed : int
        Non-negative integer seed (any size: it is fed to ``SeedSequence``).
    version : int
        The stream version (:data:`STREAM_VERSIONS`); it fixes how normals are made.
    """

    kind = "counter"

    def __init__(self, seed: int, version: int = STREAM_VERSION) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
        check_version(version)
        self.seed = int(seed)
        self.version = int(version)
        self._keys: dict[int, np.uint64] = {}

    def _key(self, stream: int) -> np.uint64:
        if stream not in self._keys:
            self._keys[stream] = seed_key(self.seed, stream)
        return self._keys[stream]

    def raw(self, stream: int, neurons: np.ndarray, draw: int) -> np.ndarray:
        """uint64 outputs for ``neurons`` (uint64 array) at draw index ``draw`` (0-based)."""
        counter = (neurons << _S32) + np.uint64(draw + 1)
        return splitmix64(self._key(stream) + counter * GOLDEN_GAMMA)

    def uniform(self, stream: int, step: int, neurons: np.ndarray) -> np.ndarray:
        """Uniform floats in [0, 1) with 53 random bits, one per neuron, at ``step``."""
        return (self.raw(stream, neurons, step) >> _S11).astype(np.float64) * _TWO_M53

    def normal(self, stream: int, step: int, neurons: np.ndarray) -> np.ndarray:
        """Standard normal floats, one per neuron, at ``step``.

        Lifsim's portable Box-Muller (:mod:`lifsim.portable`) of pair
        ``p = step // 2``: its cosine output for an even step, its sine output
        for an odd one.  Version 3 makes the pair from draw ``p`` in float32
        arithmetic, version 2 from the draws ``2 p`` and ``2 p + 1`` in float64.
        """
        from .portable import box_muller, box_muller_f32

        pair = step // 2
        if self.version == 3:
            z_cos, z_sin = box_muller_f32(self.raw(stream, neurons, pair))
        else:
            z_cos, z_sin = box_muller(self.raw(stream, neurons, 2 * pair), self.raw(stream, neurons, 2 * pair + 1))
        return z_cos if step % 2 == 0 else z_sin

    def describe(self) -> dict[str, object]:
        return {"stream": f"counter-splitmix64/{self.version}", "seed": self.seed}


def check_version(version: object) -> int:
    """``version`` if this lifsim draws that stream version, else ``ValueError`` naming the ones it draws."""
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or int(version) not in STREAM_VERSIONS:
        known = " or ".join(str(v) for v in STREAM_VERSIONS)
        raise ValueError(f"stream_version: this lifsim draws random stream version {known}, got {version!r}")
    return int(version)


class LegacyStream:
    """The tutorial's stream: numpy's legacy MT19937 seeded like ``np.random.seed(seed)``.

    Parameters
    ----------
    seed : int
        The tutorial uses 2020.
    order : {"step-major", "neuron-major"}
        Draw order (see the module docstring).
    n : int
        Number of neurons (fixes the layout of the draws).
    steps : int
        Number of columns of the ``[n, steps]`` array for ``"neuron-major"``.
    column_offset : int
        For ``"neuron-major"``: engine step ``k`` uses column ``k + column_offset``
        (the tutorial's exercises 11-14 drive ``v[step]`` with ``i[step]``, i.e.
        the update from step ``k`` uses column ``k + 1``).

    Only one noise term can use a legacy stream, and steps must be requested in
    order, because the numbers come from one sequential generator.
    """

    kind = "legacy"

    def __init__(
        self,
        seed: int,
        order: Literal["step-major", "neuron-major"],
        n: int,
        steps: int,
        column_offset: int = 0,
    ) -> None:
        if order not in ("step-major", "neuron-major"):
            raise ValueError(f"order: expected 'step-major' or 'neuron-major', got {order!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
            raise ValueError(f"seed: the legacy stream needs an integer in [0, 2**32), got {seed!r}")
        self.seed = int(seed)
        self.order = order
        self.n = int(n)
        self.steps = int(steps)
        self.column_offset = int(column_offset)
        self._rs = np.random.RandomState(self.seed)
        self._next_step = 0
        self._block: np.ndarray | None = None
        self._kind_used: str | None = None

    def _check(self, stream: int, step: int, neurons: np.ndarray, kind: str) -> None:
        if stream != 0:
            raise ValueError("the tutorial's legacy stream feeds a single noise term; use the default stream")
        if len(neurons) != self.n:
            raise ValueError("the legacy stream draws for the whole ensemble at once")
        if self._kind_used not in (None, kind):
            raise ValueError("the legacy stream feeds one kind of noise per run")
        self._kind_used = kind

    def _draw(self, step: int, neurons: np.ndarray, kind: str, sampler) -> np.ndarray:  # type: ignore[no-untyped-def]
        self._check(0, step, neurons, kind)
        if self.order == "step-major":
            if step != self._next_step:
                raise ValueError(
                    f"legacy stream: steps must be drawn in order (expected {self._next_step}, got {step})"
                )
            self._next_step += 1
            return sampler(self.n)
        if self._block is None:
            self._block = sampler((self.n, self.steps))
        return self._block[:, step + self.column_offset]

    def uniform(self, stream: int, step: int, neurons: np.ndarray) -> np.ndarray:
        """Uniform floats in [0, 1): ``np.random.random`` in the tutorial's order."""
        if stream != 0:
            self._check(stream, step, neurons, "uniform")
        return self._draw(step, neurons, "uniform", self._rs.random_sample)

    def normal(self, stream: int, step: int, neurons: np.ndarray) -> np.ndarray:
        """Standard normals from the same legacy generator (``standard_normal``)."""
        if stream != 0:
            self._check(stream, step, neurons, "normal")
        return self._draw(step, neurons, "normal", self._rs.standard_normal)

    def describe(self) -> dict[str, object]:
        return {"stream": f"legacy-mt19937-{self.order}", "seed": self.seed}


Stream = CounterStream | LegacyStream


class StepDraws:
    """The random numbers of one step for ``neurons``, drawn on first use, cached per noise term."""

    __slots__ = ("_stream", "_step", "_neurons", "_uniform", "_normal")

    def __init__(self, stream: Stream, step: int, neurons: np.ndarray) -> None:
        self._stream = stream
        self._step = step
        self._neurons = neurons
        self._uniform: dict[int, np.ndarray] = {}
        self._normal: dict[int, np.ndarray] = {}

    def uniform(self, stream: int) -> np.ndarray:
        """U(0, 1) draws of noise term ``stream``, shape (len(neurons),)."""
        if stream not in self._uniform:
            self._uniform[stream] = self._stream.uniform(stream, self._step, self._neurons)
        return self._uniform[stream]

    def normal(self, stream: int) -> np.ndarray:
        """N(0, 1) draws of noise term ``stream``, shape (len(neurons),)."""
        if stream not in self._normal:
            self._normal[stream] = self._stream.normal(stream, self._step, self._neurons)
        return self._normal[stream]
