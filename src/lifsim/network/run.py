"""Running a network: build, simulate, analyse, and the result as an xarray Dataset.

:func:`network` is the Python entry (``lifsim.network``); ``lifsim network`` calls it.  Phases are
timed as NEST times them: *build* (connectivity, state, the compiled kernel loaded) and
*simulate* (first step to last).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import unknown_keyword
from .model import NETWORK_ENGINES, BrunelParams
from .record import check_record, parse_record

__all__ = ["network", "simulate_spikes", "ENGINES", "NetworkRun", "choose_engine"]

ENGINES = NETWORK_ENGINES

#: the keywords of :func:`network` beside the model's (a run's provenance, ``command`` and ``config``, is the CLI's)
RUN_KEYWORDS = ("engine", "threads", "block", "record_spikes")


def choose_engine(engine: str | None) -> str:
    """``"numba"`` when installed for ``"auto"``; ValueError for an unknown name or a missing numba."""
    import importlib.util

    name = "auto" if engine is None else str(engine)
    if name not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    has_numba = importlib.util.find_spec("numba") is not None
    if name == "auto":
        return "numba" if has_numba else "numpy"
    if name == "numba" and not has_numba:
        raise ValueError("engine: 'numba' needs the numba package (pip install numba); use --engine numpy")
    return name


@dataclass
class NetworkRun:
    """The complete spike list of a run and how it was made (before analysis)."""

    params: BrunelParams
    spike_step: np.ndarray  #: int32, the step of each spike (spike time (step + 1) dt)
    spike_i: np.ndarray  #: int32, the neuron (E 0 .. N_E - 1, then I)
    engine: str
    threads: int
    block: int | None
    build_s: float
    simulate_s: float
    synapse_bytes: int
    extra: dict[str, Any] = field(default_factory=dict)


def simulate_spikes(
    params: BrunelParams,
    engine: str | None = "auto",
    threads: int | None = None,
    block: int | None = None,
    theory_rate: float | None = None,
) -> NetworkRun:
    """Build and simulate ``params``; every spike, in (step, neuron) order (``theory_rate``: the mean-field rate,
    Hz, for the memory check; computed here when not given)."""
    from . import connectivity
    from .state import constants, initial_state
    from .theory import memory_rate

    name = choose_engine(engine)
    for label, value, what in (("threads", threads, "a positive integer"), ("block", block, "a positive number")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{label}: must be {what}{' of neurons' if label == 'block' else ''}, got {value!r}")
    params.check_memory(engine=name, theory_rate=memory_rate(params) if theory_rate is None else theory_rate)
    t0 = time.perf_counter()
    detail: dict[str, Any] = {}
    if name == "numpy":
        k = constants(params)
        state = initial_state(params)
        conn = connectivity.build_numpy(params)
        used_threads = 1
        t1 = time.perf_counter()
        from . import engine_numpy

        steps, neurons = engine_numpy.run(params, conn, state, k, 0, params.steps)
    else:
        # threads meet once per delay: waiting threads sleep rather than spin, so that a machine shared with
        # other work does not stall every meeting (7x faster on a busy 2-core machine; OMP_WAIT_POLICY=ACTIVE
        # restores spinning). Read when OpenMP starts, at the first parallel loop of the process.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import numba

        from .engine_numba import NumbaRunner

        most = int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
        used_threads = max(1, min(int(threads or most), most))
        previous = numba.get_num_threads()
        numba.set_num_threads(used_threads)
        try:
            # load the compiled kernels on a tiny network (numba's start-up: part of the build, as NEST's
            # kernel is compiled beforehand), then build the real one
            tiny = BrunelParams(n_exc=4, t_max=params.dt, dt=params.dt, delay=params.dt, t_ref=0.0)
            tiny_k = constants(tiny)
            NumbaRunner(tiny, connectivity.build(tiny, 1), tiny_k, 1).run(initial_state(tiny), 0, 0)
            t_loaded = time.perf_counter()
            k = constants(params)
            state = initial_state(params)
            conn = connectivity.build(params, used_threads)
        finally:
            numba.set_num_threads(previous)
        runner = NumbaRunner(params, conn, k, used_threads, block)
        t1 = time.perf_counter()
        detail = {
            "jit_load_s": t_loaded - t0,
            "connectivity_s": t1 - t_loaded,
            "threading_layer": numba.threading_layer(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        }
        steps, neurons = runner.run(state, 0, params.steps)
    t2 = time.perf_counter()
    return NetworkRun(params, steps, neurons, name, used_threads, block, t1 - t0, t2 - t1, conn.nbytes, detail)


def network(
    params: BrunelParams | None = None,
    *,
    engine: str | None = "auto",
    threads: int | None = None,
    block: int | None = None,
    record_spikes: object = "all",
    command: str | None = None,
    config: dict | None = None,
    **changes: object,
) -> Any:
    """Simulate Brunel's network model A and return its :class:`~lifsim.network.result.NetworkResult`.

    Parameters
    ----------
    params : BrunelParams, optional
        The model (default: Brunel's Fig. 8 network, AI state); keyword ``changes`` (``g=5``,
        ``eta=2``, ``t_max="0.5 s"``, ...) are applied to it.
    engine : {"auto", "numpy", "numba"}
        ``numpy`` is the readable reference, ``numba`` the compiled multi-threaded engine; both
        give the same spikes bit for bit.
    threads : int, optional
        Threads of the numba engine (default: all).
    block : int, optional
        Neurons per parallel block (default: N / threads); the spikes do not depend on it.
    record_spikes : str
        Whose spikes the result keeps (:func:`lifsim.network.record.parse_record`); the statistics
        always use every spike.
    """
    from .result import NetworkResult
    from .theory import self_consistent_rate

    base = params if params is not None else BrunelParams()
    if not isinstance(base, BrunelParams):
        raise TypeError(f"params: expected a BrunelParams, got {type(base).__name__}")
    model = list(base.as_dict())
    unknown = [name for name in changes if name not in model]
    if unknown:  # the model's names and this call's own (Python's bare "unexpected keyword" named BrunelParams)
        raise unknown_keyword(unknown[0], [*model, *RUN_KEYWORDS], "lifsim.network")
    if changes:
        base = base.replace(**changes)
    selection = parse_record(record_spikes)
    check_record(base, selection)
    choose_engine(engine)
    base.warn_plausibility()  # a slip of units, said before the run
    theory = self_consistent_rate(base)  # warns before the run when the network saturates
    run = simulate_spikes(base, engine, threads, block, theory_rate=theory.rate)
    return NetworkResult.from_run(run, theory, selection, command=command, config=config)
