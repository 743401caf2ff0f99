"""Neo (extra ``lifsim[neo]``): ``Result.to_neo()``, a ``neo.Block`` for Elephant.

One ``Segment`` with an ``AnalogSignal`` of the recorded traces (V,
``sampling_period = dt``, array annotation ``neuron``) and one
``SpikeTrain`` per neuron (s, ``t_start = 0``, ``t_stop = (steps - 1) dt``,
the span over which spikes can occur, so Elephant's rates equal lifsim's).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..result import Result

__all__ = ["to_neo"]


def to_neo(result: Result) -> Any:
    """The run as a ``neo.Block`` (see the module docstring)."""
    import neo
    import quantities as pq

    result.load_traces()
    block = neo.Block(name="lifsim run", description=json.dumps(result.meta.get("params", {})))
    segment = neo.Segment(name="run")
    block.segments.append(segment)
    if result.v is not None:
        neurons = result.v_neurons if result.v_neurons is not None else np.arange(result.v.shape[0])
        signal = neo.AnalogSignal(
            result.v.T,
            units=pq.V,
            sampling_period=result.dt * pq.s,
            t_start=0 * pq.s,
            name="membrane potential",
            array_annotations={"neuron": np.asarray(neurons)},
        )
        segment.analogsignals.append(signal)
    if result.spike_t is not None:
        t_stop = (result.steps - 1) * result.dt
        spike_t, spike_i = result.spikes()
        order = np.lexsort((spike_t, spike_i))
        times, owners = spike_t[order], spike_i[order]
        bounds = np.searchsorted(owners, np.arange(result.n + 1))
        for j in range(result.n):
            train = neo.SpikeTrain(
                times[bounds[j] : bounds[j + 1]] * pq.s, t_start=0 * pq.s, t_stop=t_stop * pq.s, name=f"neuron {j}"
            )
            train.annotate(neuron=j)
            segment.spiketrains.append(train)
    return block
