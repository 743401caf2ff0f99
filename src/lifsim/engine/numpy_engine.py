"""The readable numpy reference engine: a loop over time, vectorised over neurons.

Each step ``k -> k+1`` (``k = 0 .. steps-2``):

1. the input current ``I[k]`` (A) is evaluated for all neurons (noise drawn
   from the stream for step ``k``);
2. the membrane is advanced:

   * ``method="euler"`` (the tutorial's forward Euler)::

         v[k+1] = v[k] + dt/tau * (E_L - v[k] + R I[k])

   * ``method="exact"``: the exact solution for input held constant over the
     step, ``v[k+1] = V_inf + (v[k] - V_inf) exp(-dt/tau)``,
     ``V_inf = E_L + R I[k]``; white noise is added by the exact
     Ornstein-Uhlenbeck transition, ``sigma sqrt((1 - exp(-2 dt/tau)) / 2) z``;

3. neurons in their refractory period are held at ``V_reset``;
4. with spiking on, every neuron with ``v[k+1] > V_th`` spikes at ``t_{k+1}``
   and is reset to ``V_reset`` (held there for ``t_ref``);
5. the reducer records the ensemble statistics of ``v[k+1]``.

With ``trace_sink``, recorded traces are handed over in chunks of
``chunk_steps`` columns, ``trace_sink(first_step, array)``, and not kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..inputs import Input, bind_streams
from ..params import LIFParams
from ..reduce import EnsembleReducer
from ..streams import REFRACTORY_STREAM, CounterStream, LegacyStream, StepDraws
from .output import RunOutput

__all__ = ["run_numpy"]


def run_numpy(
    params: LIFParams,
    inputs: Input,
    *,
    n: int,
    steps: int,
    stream: CounterStream | LegacyStream,
    spiking: bool,
    method: str,
    record_neurons: np.ndarray | None,
    record_spikes: bool,
    lags: tuple[int, ...],
    snapshot_steps: tuple[int, ...] = (),
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int = 1024,
    progress: Callable[[int], None] | None = None,
) -> RunOutput:
    """Run ``n`` neurons for ``steps`` time points; see the module docstring."""
    bind_streams(inputs)
    inputs.check(params, n, steps)
    neurons = np.arange(n, dtype=np.uint64)
    dt, el, r, vr, vth = params.dt, params.el, params.r, params.vr, params.vth
    a = dt / params.tau
    decay = math.exp(-dt / params.tau)
    if method == "exact":
        deterministic = inputs.without_white()
        whites = inputs.white_parts()
        ou_scale = math.sqrt((1.0 - decay * decay) / 2.0)
    refractory_steps = refractory_steps_per_neuron(params, stream, neurons)

    v = np.full(n, params.v0, dtype=np.float64)
    reducer = EnsembleReducer(n, steps, lags)
    reducer.observe(0, v)
    trace = None
    chunk = steps if trace_sink is None else max(1, int(chunk_steps))
    chunk_start = 0
    if record_neurons is not None:
        # the whole trace, or one chunk of it handed to trace_sink when full
        trace = np.empty((len(record_neurons), min(chunk, steps)))
        trace[:, 0] = v[record_neurons]
    counts = np.zeros(n, dtype=np.int64)
    spike_steps: list[np.ndarray] = []
    spike_neurons: list[np.ndarray] = []
    refractory = np.zeros(n, dtype=np.int64) if (spiking and np.any(refractory_steps > 0)) else None
    snapshot_at = {int(k): row for row, k in enumerate(snapshot_steps)}
    snapshots = np.empty((len(snapshot_steps), n))
    if 0 in snapshot_at:
        snapshots[snapshot_at[0]] = v

    for k in range(steps - 1):
        t = k * dt
        draws = StepDraws(stream, k, neurons)
        if method == "euler":
            current = inputs.current(k, t, draws, params)
            v = v + a * (el - v + r * current)
        else:
            current = deterministic.current(k, t, draws, params) if deterministic is not None else 0.0
            v_inf = el + r * current
            v = v_inf + (v - v_inf) * decay
            for white in whites:
                v = v + (white.sigma * ou_scale) * draws.normal(white.stream)
        if refractory is not None:
            held = refractory > 0
            if held.any():
                v[held] = vr
                refractory[held] -= 1
        if spiking:
            fired = np.flatnonzero(v > vth)
            if fired.size:
                v[fired] = vr
                counts[fired] += 1
                if refractory is not None:
                    refractory[fired] = refractory_steps[fired]
                if record_spikes:
                    spike_steps.append(np.full(fired.size, k + 1, dtype=np.int64))
                    spike_neurons.append(fired)
        reducer.observe(k + 1, v)
        if trace is not None:
            column = k + 1 - chunk_start
            if column == trace.shape[1]:  # only with a sink: hand over the full chunk
                trace_sink(chunk_start, trace)  # type: ignore[misc]
                chunk_start = k + 1
                trace = np.empty((trace.shape[0], min(chunk, steps - chunk_start)))
                column = 0
            trace[:, column] = v[record_neurons]
        if k + 1 in snapshot_at:
            snapshots[snapshot_at[k + 1]] = v
        if progress is not None:
            progress(k + 1)

    if trace_sink is not None and trace is not None:
        trace_sink(chunk_start, trace)
    spike_step = np.concatenate(spike_steps) if spike_steps else np.zeros(0, dtype=np.int64)
    spike_i = np.concatenate(spike_neurons) if spike_neurons else np.zeros(0, dtype=np.int64)
    return RunOutput(
        moments=reducer.moments(),
        lags=reducer.lags,
        comoment=reducer.comoment,
        trace=trace if trace_sink is None else None,
        spike_step=spike_step if record_spikes else None,
        spike_i=spike_i if record_spikes else None,
        spike_count=counts,
        snapshots=snapshots,
    )


def refractory_steps_per_neuron(
    params: LIFParams, stream: CounterStream | LegacyStream, neurons: np.ndarray
) -> np.ndarray:
    """Refractory period of each neuron in steps, ``round(t_ref_j / dt)``.

    With ``t_ref_std > 0``, ``t_ref_j = max(0, t_ref + t_ref_std * z_j)`` where
    ``z_j`` is neuron ``j``'s own normal draw (counter stream of the run's seed,
    stream ``REFRACTORY_STREAM``), so it too depends only on ``(seed, j)``.
    """
    if params.t_ref_std == 0.0:
        return np.full(neurons.size, params.refractory_steps, dtype=np.int64)
    z = CounterStream(stream.seed).normal(REFRACTORY_STREAM, 0, neurons)
    t_ref = np.maximum(0.0, params.t_ref + params.t_ref_std * z)
    return np.rint(t_ref / params.dt).astype(np.int64)
