"""``.nwb``: Neurodata Without Borders 2 (pynwb; extra ``lifsim[nwb]``).

* ``acquisition/membrane_potential``: a ``TimeSeries`` of the recorded
  traces, shape (time, recorded neuron), in volts, ``rate = 1/dt``; the
  neuron indices are in its description and in
  ``processing/ensemble/recorded_neurons``;
* ``stimulus/input_current``: the ensemble-mean input current (A) on the
  grid (an array input's own values where the run had one);
* ``processing/ensemble``: ``v_mean`` and ``v_std`` (V, ddof 1) per step;
* ``units``: one row per neuron with its spike times (s);
* ``notes``: the parameters and the run's provenance as JSON.
"""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import numpy as np

from ..atomic import atomic_file
from ..result import Result

__all__ = ["save"]


def save(result: Result, target: Path, *, session_description: str | None = None) -> Path:
    """Write ``result`` to an NWB 2 file at ``target`` (atomically); see the module docstring."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    result.load_traces()
    meta = result.meta
    created = meta.get("created")
    try:
        start = datetime.datetime.fromisoformat(created) if created else datetime.datetime.now(datetime.timezone.utc)
    except ValueError:
        start = datetime.datetime.now(datetime.timezone.utc)
    nwb = NWBFile(
        session_description=session_description or f"lifsim simulation of {result.n} LIF neurons",
        identifier=str(uuid.uuid4()),
        session_start_time=start,
        notes=json.dumps(meta),
        source_script="lifsim " + str(meta.get("lifsim_version")),
        source_script_file_name=str(meta.get("command") or "lifsim.simulate"),
    )
    rate = 1.0 / result.dt
    if result.v is not None:
        neurons = result.v_neurons if result.v_neurons is not None else np.arange(result.v.shape[0])
        nwb.add_acquisition(
            TimeSeries(
                name="membrane_potential",
                data=np.ascontiguousarray(result.v.T),
                unit="volts",
                rate=rate,
                starting_time=0.0,
                description=f"simulated membrane potential of neurons {neurons.tolist()[:20]}"
                f"{'...' if neurons.size > 20 else ''} (columns in that order)",
            )
        )
    current = result.mean_input_current()
    nwb.add_stimulus(
        TimeSeries(
            name="input_current",
            data=current,
            unit="amperes",
            rate=rate,
            starting_time=0.0,
            description="ensemble-mean input current I(t) driving the update from t to t + dt "
            "(noise averaged out; NaN at the last time, which drives nothing)",
        )
    )
    module = nwb.create_processing_module(name="ensemble", description="ensemble statistics across neurons")
    module.add(
        TimeSeries(
            name="v_mean",
            data=result.v_mean,
            unit="volts",
            rate=rate,
            starting_time=0.0,
            description="ensemble mean of V",
        )
    )
    module.add(
        TimeSeries(
            name="v_std",
            data=np.nan_to_num(result.v_std(1)),
            unit="volts",
            rate=rate,
            starting_time=0.0,
            description="ensemble standard deviation of V (ddof 1)",
        )
    )
    if result.v is not None:
        module.add(
            TimeSeries(
                name="recorded_neurons",
                data=np.asarray(neurons, dtype=np.int64),
                unit="n/a",
                rate=1.0,
                description="indices of the neurons in membrane_potential's columns",
            )
        )
    if result.spike_t is not None:
        spike_t, spike_i = result.spikes()
        order = np.lexsort((spike_t, spike_i))
        times, owners = spike_t[order], spike_i[order]
        bounds = np.searchsorted(owners, np.arange(result.n + 1))
        nwb.add_unit_column(name="neuron", description="lifsim neuron index")
        for j in range(result.n):
            nwb.add_unit(spike_times=times[bounds[j] : bounds[j + 1]], neuron=j)
    with atomic_file(target, suffix=".tmp.nwb") as tmp, NWBHDF5IO(tmp, "w") as io:
        io.write(nwb)
    return target
