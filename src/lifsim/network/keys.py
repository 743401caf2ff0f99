"""The counter-stream keys of a network run: one SplitMix64 key per purpose, disjoint from neuron noise.

Every random number of a network is a pure function of ``(seed, purpose, index, draw)``
(:class:`lifsim.streams.CounterStream`: counter ``index * 2**32 + draw + 1`` under the key of
``purpose``).  The purposes are stream numbers far from the ensemble's noise terms (0, 1, ...)
and its refractory stream (2**20), so a network's numbers never coincide with them:

=====================  ==========  =========================  ======================================
purpose                stream      index                      draw
=====================  ==========  =========================  ======================================
excitatory sources     2**21       target neuron              k = 0 .. C_E - 1
inhibitory sources     2**21 + 1   target neuron              k = 0 .. C_I - 1
external Poisson       2**21 + 2   neuron                     step
initial potential      2**21 + 3   neuron                     0
=====================  ==========  =========================  ======================================
"""

from __future__ import annotations

import numpy as np

from ..streams import seed_key

__all__ = ["EXC_SOURCES", "INH_SOURCES", "EXTERNAL", "INITIAL_V", "key", "NETWORK_STREAM_VERSION"]

EXC_SOURCES = 2**21
INH_SOURCES = 2**21 + 1
EXTERNAL = 2**21 + 2
INITIAL_V = 2**21 + 3

#: version of the network's use of the stream (sources by multiply-shift, Poisson by inversion)
NETWORK_STREAM_VERSION = 1


def key(seed: int, purpose: int) -> np.uint64:
    """The 64-bit key of ``purpose`` under ``seed`` (:func:`lifsim.streams.seed_key`)."""
    return seed_key(seed, purpose)
