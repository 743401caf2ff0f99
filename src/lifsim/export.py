"""Exports to the field's formats: NWB (pynwb) and Neo (for Elephant).

Both are optional extras: ``pip install 'lifsim[nwb]'`` and ``'lifsim[neo]'``.

NWB file (``to_nwb``)
    * ``acquisition/membrane_potential``: a ``TimeSeries`` of the recorded
      traces, shape (time, recorded neuron), in volts, ``rate = 1/dt``; the
      neuron indices are in its ``control``-free description and in
      ``processing/ensemble/recorded_neurons``;
    * ``stimulus/input_current``: the ensemble-mean input current (A) on the
      grid (an array input's own values where the run had one);
    * ``processing/ensemble``: ``v_mean`` and ``v_std`` (V, ddof 1) per step;
    * ``units``: one row per neuron with its spike times (s);
    * the session description holds the parameters and the run's
      provenance as JSON (``notes``).

Neo block (``to_neo``)
    One ``Segment`` with an ``AnalogSignal`` of the recorded traces (V,
    ``sampling_period = dt``, array annotation ``neuron``) and one
    ``SpikeTrain`` per neuron (s, ``t_start = 0``, ``t_stop = (steps - 1) dt``,
    the span over which spikes can occur, so Elephant's rates equal lifsim's).
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
from pathlib import Path

import numpy as np

from .result import Result

__all__ = ["to_nwb", "to_neo", "mean_input_current"]


def mean_input_current(result: Result) -> np.ndarray:
    """The ensemble-mean input current (A) at each time of the run (NaN at the last time).

    Rebuilt from the run's input description (noise averages to zero), so it
    needs no trace of the currents.
    """
    from .inputs import from_description
    from .params import PARAM_UNITS, LIFParams

    meta = result.meta
    given = {name: meta["params"][name] for name in PARAM_UNITS if name in meta["params"]}
    params = LIFParams(**given, round_steps=True)
    inputs = from_description(meta["input"], result.input_array)
    current = np.full(result.steps, np.nan)
    for k in range(result.steps - 1):
        current[k] = inputs.mean_current(float(result.t[k]), params)
    return current


def to_nwb(result: Result, path: str | os.PathLike, *, session_description: str | None = None) -> Path:
    """Write ``result`` to an NWB 2 file at ``path`` (atomically); see the module docstring."""
    try:
        from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    except ImportError:
        raise ValueError("to_nwb: needs pynwb; pip install 'lifsim[nwb]'") from None
    from .io import atomic_file, check_output_path

    target = check_output_path(path, (".nwb",), "--data")
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
    current = mean_input_current(result)
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


def to_neo(result: Result):  # type: ignore[no-untyped-def]
    """The run as a ``neo.Block`` (see the module docstring)."""
    try:
        import neo
        import quantities as pq
    except ImportError:
        raise ValueError("to_neo: needs neo; pip install 'lifsim[neo]'") from None
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
