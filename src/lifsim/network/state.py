"""The state of a network run between steps, and the constants every engine uses.

``v`` (float64, V) and ``refractory`` (int32, steps left) per neuron; ``ring`` (int32,
``(2, D_steps + 1, N)``): counts of excitatory (``ring[0]``) and inhibitory (``ring[1]``) spikes
arriving at each neuron in each of the next ``D_steps + 1`` steps (step ``a`` in slot
``a % (D_steps + 1)``).  Integer counts make the input of a step the same whatever the order of
delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..portable import exp as portable_exp
from . import keys
from .model import BrunelParams
from .poisson import cdf_table, guide_table, padded_table, uniforms

__all__ = ["Constants", "State", "constants", "initial_state"]


@dataclass(frozen=True)
class Constants:
    """The numbers of the update, computed once (the same bits on every machine)."""

    decay: float  #: exp(-dt/tau), correctly rounded (lifsim.portable.exp)
    j_exc: float  #: J (V)
    j_inh: float  #: -g J (V)
    table: np.ndarray  #: the external drive's Poisson CDF (lifsim.network.poisson)
    padded: np.ndarray  #: the table and a sentinel 2.0
    guide: np.ndarray  #: the indexed search's starting counts
    key_ext: np.uint64  #: the external drive's stream key
    slots: int  #: ring slots, D_steps + 1


@dataclass
class State:
    """Per-neuron potential and refractory counter, and the ring of arriving spike counts."""

    v: np.ndarray
    refractory: np.ndarray
    ring: np.ndarray


def constants(params: BrunelParams) -> Constants:
    """The update's constants for ``params``."""
    table = cdf_table(params.lam)
    return Constants(
        decay=portable_exp(-params.dt / params.tau),
        j_exc=params.j,
        j_inh=-params.g * params.j,
        table=table,
        padded=padded_table(table),
        guide=guide_table(table),
        key_ext=keys.key(params.seed, keys.EXTERNAL),
        slots=params.delay_steps + 1,
    )


def initial_state(params: BrunelParams) -> State:
    """V uniform in [E_L, V_th) (draw 0 of each neuron under ``keys.INITIAL_V``), nothing in flight."""
    from ..streams import CounterStream

    stream = CounterStream(params.seed)
    u = uniforms(stream.raw(keys.INITIAL_V, np.arange(params.n, dtype=np.uint64), 0))
    v = params.el + u * (params.vth - params.el)
    return State(
        v=v,
        refractory=np.zeros(params.n, dtype=np.int32),
        ring=np.zeros((2, params.delay_steps + 1, params.n), dtype=np.int32),
    )
