"""The reference engine: one numpy step at a time, written to be read.

Step ``s`` (0-based, from ``t = s dt`` to ``(s + 1) dt``), for every neuron, as NEST's
``iaf_psc_delta``:

1. take the counts ``n_E``, ``n_I`` of spikes arriving now (ring slot ``s % (D + 1)``) and clear it;
2. a neuron that is not refractory draws its external count ``n_ext`` (Poisson, mean
   ``C_E nu_ext dt``) and integrates exactly:
   ``V <- E_L + (V - E_L) exp(-dt/tau) + (J (n_E + n_ext) + (-g J) n_I)``;
   a refractory one drops its input and counts down;
3. ``V >= V_th``: a spike at ``t = (s + 1) dt``, ``V <- V_r``, refractory for ``t_ref / dt`` steps;
4. each spike adds 1 to its targets' count in slot ``(s + D) % (D + 1)``: it arrives ``D`` later.
"""

from __future__ import annotations

import numpy as np

from ..streams import CounterStream
from . import keys
from .connectivity import Connectivity
from .model import BrunelParams
from .poisson import counts_from_uniforms, uniforms
from .state import Constants, State

__all__ = ["run"]


def run(
    params: BrunelParams, conn: Connectivity, state: State, k: Constants, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """Advance ``state`` from step ``start`` to ``stop``; the spikes' steps and neurons (int32), by step then neuron."""
    stream = CounterStream(params.seed)
    neurons = np.arange(params.n, dtype=np.uint64)
    d, slots, n = params.delay_steps, k.slots, params.n
    steps_out: list[np.ndarray] = []
    idx_out: list[np.ndarray] = []
    v, refr, ring = state.v, state.refractory, state.ring
    for s in range(start, stop):
        slot = s % slots
        n_e = ring[0, slot].copy()
        n_i = ring[1, slot].copy()
        ring[:, slot] = 0
        active = refr == 0
        ext = counts_from_uniforms(uniforms(stream.raw(keys.EXTERNAL, neurons[active], s)), k.table)
        v[active] = (
            params.el + (v[active] - params.el) * k.decay + (k.j_exc * (n_e[active] + ext) + k.j_inh * n_i[active])
        )
        refr[~active] -= 1
        spiking = np.flatnonzero(v >= params.vth)
        v[spiking] = params.vr
        refr[spiking] = params.ref_steps
        if spiking.size:
            steps_out.append(np.full(spiking.size, s, dtype=np.int32))
            idx_out.append(spiking.astype(np.int32))
            arrive = (s + d) % slots
            for pop, chosen in ((0, spiking[spiking < params.n_exc]), (1, spiking[spiking >= params.n_exc])):
                if chosen.size:
                    rows = np.concatenate([conn.row(int(src)) for src in chosen])
                    ring[pop, arrive] += np.bincount(rows, minlength=n).astype(np.int32)
    if not steps_out:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(steps_out), np.concatenate(idx_out)
