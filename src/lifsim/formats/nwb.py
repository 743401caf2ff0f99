"""``.nwb``: Neurodata Without Borders 2 (pynwb; extra ``lifsim[nwb]``).

* ``acquisition/membrane_potential``: a ``TimeSeries`` of the recorded
  traces, shape (time, recorded neuron), in volts, ``rate = 1/dt``; the
  neuron indices are in its description and in the table
  ``processing/ensemble/recorded_neurons`` (column ``neuron``, a row per column
  of the traces);
* ``stimulus/input_current``: the ensemble-mean input current (A) on the
  grid (an array input's own values where the run had one);
* ``processing/ensemble``: ``v_mean`` and ``v_std`` (V, ddof 1) per step;
* ``units``: one row per neuron with its spike times (s);
* ``notes``: the parameters and the run's provenance as JSON.

A network result (:func:`save_network`, ``lifsim network --data net.nwb``):

* ``units``: one row per neuron, with its spike times (s), ``obs_intervals``
  (NWB's record of when a unit was observed: the whole run for a neuron whose
  spikes were recorded, none for one left out by ``--record-spikes``, whose
  empty spike times are then no claim of silence), ``neuron`` (E 0 .. N_E - 1,
  then I), ``population`` ("E", "I"), ``spikes_recorded``, ``rate`` (Hz, in
  the analysis window, of every neuron) and ``isi_cv``;
* ``processing/population``: ``rate_E`` and ``rate_I`` (``TimeSeries``, Hz
  per step) and the table ``statistics``, a row per population (``E``, ``I``)
  with ``mean_rate`` (Hz), ``mean_cv`` and ``synchrony``;
* ``processing/theory``: the table ``mean_field``, one row: Brunel's
  self-consistent ``rate`` (Hz), ``mu`` and ``sigma`` (V);
* ``notes``: the provenance as JSON (parameters, seed, stream versions, build
  and simulate times), from which ``lifsim rerun`` of the ``.nc`` twin works.
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_file

if TYPE_CHECKING:  # pragma: no cover
    from ..network.result import NetworkResult
    from ..result import Result

__all__ = ["save", "save_network"]


def _write(nwb: Any, target: Path) -> None:
    """Write ``nwb`` to ``target`` atomically.  HDF5 meets a full disk with a RuntimeError and dozens of
    tracebacks from its half-written objects' finalisers: one ``OSError`` naming the file instead."""
    import contextlib
    import errno
    import gc
    import io
    import sys

    from pynwb import NWBHDF5IO

    said = io.StringIO()  # what the write prints on stderr: said after it succeeds, dropped when it failed
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: None
    try:
        with contextlib.redirect_stderr(said), atomic_file(target, suffix=".tmp.nwb") as tmp:
            try:
                with NWBHDF5IO(tmp, "w") as handle:
                    handle.write(nwb)
            except (RuntimeError, OSError) as error:
                text = str(error)
                if "No space left" not in text and "write failed" not in text:  # not the disk: not ours to name
                    raise
                code = errno.ENOSPC if "No space left" in text else errno.EIO
                raise OSError(code, os.strerror(code), str(target)) from None
            finally:
                gc.collect()  # the half-written objects' finalisers run here, quietly
    finally:
        sys.unraisablehook = previous
    if said.getvalue():
        sys.stderr.write(said.getvalue())


def _start_time(created: Any) -> datetime.datetime:
    """The session's start: the run's creation time, or now."""
    try:
        if created:
            return datetime.datetime.fromisoformat(str(created))
    except ValueError:
        pass
    return datetime.datetime.now(datetime.timezone.utc)


def save(result: Result, target: Path, *, session_description: str | None = None) -> Path:
    """Write ``result`` to an NWB 2 file at ``target`` (atomically); see the module docstring."""
    from pynwb import NWBFile, TimeSeries

    result.load_traces()
    meta = result.meta
    start = _start_time(meta.get("created"))
    nwb = NWBFile(
        session_description=session_description or f"lifsim simulation of {result.n} LIF neurons",
        identifier=str(uuid.uuid4()),
        session_start_time=start,
        notes=json.dumps(meta),
        source_script=_source(meta, "lifsim.simulate"),
        source_script_file_name="lifsim",
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
            data=np.nan_to_num(result.arrays(1)["v_std"]),  # ddof 1 (NaN, so 0, for one neuron)
            unit="volts",
            rate=rate,
            starting_time=0.0,
            description="ensemble standard deviation of V (ddof 1)",
        )
    )
    if result.v is not None:
        module.add(
            _table(
                "recorded_neurons",
                "the neurons of membrane_potential's columns, a row per column in that order",
                {"neuron": ("lifsim neuron index", np.asarray(neurons, dtype=np.int64))},
            )
        )
    if result.spike_t is not None:
        spike_t, spike_i = result.spikes()
        order = np.lexsort((spike_t, spike_i))
        times, owners = spike_t[order], spike_i[order]
        bounds = np.searchsorted(owners, np.arange(result.n + 1))
        columns = {"neuron": ("lifsim neuron index", np.arange(result.n, dtype=np.int64))}
        nwb.units = _units(f"the {result.n} simulated neurons", times, bounds, columns)
    _write(nwb, target)
    return target


def save_network(result: NetworkResult, target: Path) -> Path:
    """Write a network result to an NWB 2 file at ``target`` (atomically); see the module docstring."""
    from pynwb import NWBFile, TimeSeries

    ds, prov, p = result.dataset, result.provenance, result.params
    nwb = NWBFile(
        session_description=f"lifsim simulation of Brunel's (2000) network: {p.n_exc} excitatory and {p.n_inh} "
        f"inhibitory LIF neurons, g {p.g:g}, eta {p.eta:g}",
        identifier=str(uuid.uuid4()),
        session_start_time=_start_time(prov.get("created")),
        notes=json.dumps(prov),
        source_script=_source(prov, "lifsim.network"),
        source_script_file_name="lifsim",
    )
    spike_t = np.asarray(ds["spike_t"].values)
    spike_i = np.asarray(ds["spike_i"].values)
    order = np.lexsort((spike_t, spike_i))
    times, owners = spike_t[order], spike_i[order]
    bounds = np.searchsorted(owners, np.arange(p.n + 1))
    from ..network.record import record_mask

    recorded = record_mask(p, str(prov.get("record_spikes", "all")))
    rates = np.asarray(ds["neuron_rate"].values, dtype=np.float64)
    cvs = np.asarray(ds["neuron_cv"].values, dtype=np.float64)
    neuron = np.arange(p.n, dtype=np.int64)
    per_neuron: dict[str, tuple[str, Any]] = {
        "neuron": ("lifsim neuron index: excitatory 0 .. N_E - 1, then inhibitory", neuron),
        "population": ("E (excitatory) or I (inhibitory)", np.where(neuron < p.n_exc, "E", "I").tolist()),
        "spikes_recorded": ("whether this neuron's spike times were kept (--record-spikes)", recorded.astype(bool)),
        "rate": ("firing rate in the analysis window (Hz)", rates),
        "isi_cv": ("ISI coefficient of variation in the analysis window (NaN below 3 spikes)", cvs),
    }
    # NWB's record of when a unit was observed: the whole run for a recorded neuron, no interval for one left out
    # (its empty spike times are then no claim of silence)
    observed = np.tile([0.0, p.steps * p.dt], (int(np.count_nonzero(recorded)), 1))
    nwb.units = _units(
        f"the {p.n} neurons of the network", times, bounds, per_neuron, (observed, np.cumsum(recorded.astype(np.int64)))
    )
    time_s = np.asarray(ds["time"].values)
    rate = 1.0 / p.dt
    population = nwb.create_processing_module(name="population", description="population activity and statistics")
    for index, label in enumerate(("E", "I")):
        population.add(
            TimeSeries(
                name=f"rate_{label}",
                data=np.asarray(ds["population_rate"].values[index], dtype=np.float64),
                unit="Hz",
                rate=rate,
                starting_time=float(time_s[0]),
                description=f"population rate of the {label} neurons: spikes in the step over population size and dt",
            )
        )
    columns: dict[str, tuple[str, Any]] = {"population": ("E (excitatory) or I (inhibitory)", ["E", "I"])}
    for name, unit in (("rate", "Hz"), ("cv", "1"), ("synchrony", "1")):
        key = f"mean_{name}" if name != "synchrony" else name
        text = f"{ds[name].attrs.get('long_name', name)} ({unit})"
        columns[key] = (text, np.asarray(ds[name].values, dtype=np.float64))
    population.add(_table("statistics", "each population's statistics over the analysis window", columns))
    theory = nwb.create_processing_module(
        name="theory", description="Brunel's (2000) mean-field theory: the self-consistent stationary rate (AI state)"
    )
    values = {
        name.removesuffix("_theory"): (f"{ds[name].attrs.get('long_name', name)} ({unit})", [float(ds[name])])
        for name, unit in (("rate_theory", "Hz"), ("mu_theory", "V"), ("sigma_theory", "V"))
    }
    theory.add(_table("mean_field", "the self-consistent rate and the mean and strength of the input there", values))
    _write(nwb, target)
    return target


def _units(
    description: str,
    times: np.ndarray,
    bounds: np.ndarray,
    columns: dict[str, tuple[str, Any]],
    observed: tuple[np.ndarray, np.ndarray] | None = None,
) -> Any:
    """NWB's ``units`` table, a row per neuron, built from whole columns: the spike ``times`` (s) grouped by
    neuron, neuron ``j``'s being ``times[bounds[j]:bounds[j + 1]]``; ``columns`` (name -> (description, a value
    per neuron)); ``observed``: ``(intervals, ends)``, the (start, stop) rows (s) of every neuron in order, neuron
    ``j``'s ending at ``ends[j]``.  (One ``add_unit`` call a neuron took 0.35 ms: 35 s for 10**5 neurons.)"""
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    n = bounds.size - 1
    spike_times = VectorData(name="spike_times", description="the spike times for each unit in seconds", data=times)
    made = [spike_times, VectorIndex(name="spike_times_index", data=bounds[1:], target=spike_times)]
    names = ["spike_times"]
    if observed is not None:
        intervals = VectorData(
            name="obs_intervals", description="the observation intervals for each unit", data=observed[0]
        )
        made += [intervals, VectorIndex(name="obs_intervals_index", data=observed[1], target=intervals)]
        names.append("obs_intervals")
    made += [VectorData(name=key, description=text, data=data) for key, (text, data) in columns.items()]
    names += list(columns)
    identifiers = ElementIdentifiers(name="id", data=np.arange(n, dtype=np.int64))
    return Units(name="units", description=description, id=identifiers, columns=made, colnames=tuple(names))


def _table(name: str, description: str, columns: dict[str, tuple[str, Any]]) -> Any:
    """An NWB ``DynamicTable`` of ``columns`` (name -> (description, values)): values that are no time series
    (neuron indices, a statistic per population) as a table, not as samples at 1 Hz from t = 0."""
    from hdmf.common import DynamicTable, VectorData

    return DynamicTable(
        name=name,
        description=description,
        columns=[VectorData(name=key, description=text, data=list(data)) for key, (text, data) in columns.items()],
    )


def _source(meta: Any, default: str) -> str:
    """NWB's ``source_script``: the lifsim version and the command (or Python call) that made the file."""
    return f"lifsim {meta.get('lifsim_version')}: {meta.get('command') or default}"
