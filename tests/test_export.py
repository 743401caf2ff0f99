"""Exports: NWB (read back with pynwb, checked by the NWB validator) and Neo (checked against Elephant)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
neo = pytest.importorskip("neo")
elephant_statistics = pytest.importorskip("elephant.statistics")
pq = pytest.importorskip("quantities")

import lifsim  # noqa: E402
from lifsim import inputs  # noqa: E402
from lifsim.cli import main  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PARAMS = lifsim.LIFParams(t_max="80 ms", dt="1 ms")


def spikes_by_neuron(result):
    """Each neuron's spike times (s), in time order."""
    return [np.sort(result.spike_t[result.spike_i == j]) for j in range(result.n)]


def read_nwb(path):
    """Everything the tests look at, read with pynwb (the file closed again)."""
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        out = {
            "notes": nwb.notes,
            "session_description": nwb.session_description,
            "stimulus": {},
            "ensemble": {},
            "acquisition": {},
        }
        for name, series in nwb.acquisition.items():
            out["acquisition"][name] = (np.array(series.data[:]), series.unit, series.rate, series.starting_time)
        for name, series in nwb.stimulus.items():
            out["stimulus"][name] = (np.array(series.data[:]), series.unit, series.rate)
        if "ensemble" in nwb.processing:
            for name, series in nwb.processing["ensemble"].data_interfaces.items():
                if hasattr(series, "rate"):  # a TimeSeries
                    out["ensemble"][name] = (np.array(series.data[:]), series.unit, series.rate)
                else:  # a table (the recorded neurons): its columns
                    out["ensemble"][name] = {key: np.array(series[key].data[:]) for key in series.colnames}
        if nwb.units is not None:
            out["units"] = [np.array(nwb.units["spike_times"][j]) for j in range(len(nwb.units))]
            out["unit_neuron"] = [int(nwb.units["neuron"][j]) for j in range(len(nwb.units))]
        else:
            out["units"] = None
    return out


def validate(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = pynwb.validate(path=str(path))
    if isinstance(errors, tuple):  # older pynwb: (errors, status)
        errors = errors[0]
    return list(errors)


@pytest.fixture(scope="module")
def constant_run():
    """The default constant input (250 pA), every trace recorded."""
    return lifsim.simulate(PARAMS, n=4, record_v="all", seed=1)


@pytest.fixture(scope="module")
def noisy_run():
    return lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=60, seed=2, record_v="1:20:4")


@pytest.fixture(scope="module")
def constant_nwb(tmp_path_factory, constant_run):
    path = tmp_path_factory.mktemp("nwb") / "constant.nwb"
    constant_run.to_nwb(str(path))
    return path


@pytest.fixture(scope="module")
def noisy_nwb(tmp_path_factory, noisy_run):
    path = tmp_path_factory.mktemp("nwb") / "noisy.nwb"
    noisy_run.to_nwb(str(path))
    return path


# ------------------------------------------------------------------ NWB


def test_nwb_membrane_potential(constant_run, constant_nwb):
    data = read_nwb(constant_nwb)
    values, unit, rate, start = data["acquisition"]["membrane_potential"]
    assert values.shape == (constant_run.steps, constant_run.n)
    assert np.array_equal(values, constant_run.v.T)
    assert unit == "volts"
    assert rate == pytest.approx(1 / constant_run.dt, rel=1e-12)
    assert start == 0.0


def test_nwb_spike_times(noisy_run, noisy_nwb):
    data = read_nwb(noisy_nwb)
    assert noisy_run.total_spikes > 0
    assert data["unit_neuron"] == list(range(noisy_run.n))
    expected = spikes_by_neuron(noisy_run)
    assert len(data["units"]) == noisy_run.n
    for j in range(noisy_run.n):
        assert np.array_equal(data["units"][j], expected[j]), j
    assert sum(times.size for times in data["units"]) == noisy_run.total_spikes


def test_nwb_recorded_subset(noisy_run, noisy_nwb):
    data = read_nwb(noisy_nwb)
    values, _unit, _rate, _start = data["acquisition"]["membrane_potential"]
    assert np.array_equal(values, noisy_run.v.T)
    # a table, a row per column of the traces (it was a TimeSeries of neuron indices sampled at 1 Hz)
    assert data["ensemble"]["recorded_neurons"]["neuron"].tolist() == [1, 5, 9, 13, 17]


def test_nwb_input_current_is_the_mean_current(constant_run, constant_nwb, noisy_nwb):
    for path in (constant_nwb, noisy_nwb):  # uniform noise averages out: the mean is 250 pA too
        current, unit, rate = read_nwb(path)["stimulus"]["input_current"]
        assert unit == "amperes"
        assert current.shape == (constant_run.steps,)
        assert np.isnan(current[-1])
        assert np.array_equal(current[:-1], np.full(constant_run.steps - 1, 250e-12))


def test_nwb_ensemble_statistics(noisy_run, noisy_nwb):
    data = read_nwb(noisy_nwb)
    v_mean, unit, rate = data["ensemble"]["v_mean"]
    assert np.array_equal(v_mean, noisy_run.v_mean)
    assert unit == "volts"
    assert rate == pytest.approx(1000.0, rel=1e-12)
    v_std, _unit, _rate = data["ensemble"]["v_std"]
    assert np.array_equal(v_std, noisy_run.v_std(1))


def test_nwb_provenance(noisy_run, noisy_nwb):
    data = read_nwb(noisy_nwb)
    assert json.loads(data["notes"]) == noisy_run.meta
    assert "60" in data["session_description"]


def test_nwb_files_are_valid(constant_nwb, noisy_nwb):
    assert validate(constant_nwb) == []
    assert validate(noisy_nwb) == []


def test_nwb_without_traces_or_spike_times_is_valid(tmp_path):
    result = lifsim.simulate(PARAMS, inputs.white_noise("3 mV", "200 pA"), n=5, record_spikes=False, seed=4)
    path = tmp_path / "bare.nwb"
    result.to_nwb(str(path))
    data = read_nwb(path)
    assert data["acquisition"] == {} and data["units"] is None
    assert np.array_equal(data["ensemble"]["v_mean"][0], result.v_mean)
    current = data["stimulus"]["input_current"][0]
    assert np.array_equal(current[:-1], np.full(result.steps - 1, 200e-12)) and np.isnan(current[-1])
    assert validate(path) == []
    assert [p.name for p in tmp_path.iterdir()] == ["bare.nwb"]


def test_nwb_array_input_current(tmp_path):
    values = np.random.default_rng(1).uniform(0, 5e-10, (3, 79))
    result = lifsim.simulate(PARAMS, inputs.array_input(values), n=3, record_v="all")
    path = tmp_path / "array.nwb"
    result.to_nwb(str(path))
    current = read_nwb(path)["stimulus"]["input_current"][0]
    assert np.allclose(current[:-1], values.mean(axis=0), rtol=1e-15, atol=0)
    assert np.isnan(current[-1])
    assert np.array_equal(current, result.mean_input_current(), equal_nan=True)
    assert validate(path) == []


def test_nwb_sine_input_current():
    result = lifsim.simulate(PARAMS, inputs.sine("250 pA", "10 ms"), n=2)
    current = result.mean_input_current()
    t = result.t[:-1]
    assert np.allclose(current[:-1], 250e-12 * (1 + np.sin(2 * np.pi * t / 10e-3)), rtol=1e-12, atol=1e-24)


def test_cli_simulate_to_nwb(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = [
        "simulate",
        "--n",
        "6",
        "--t-max",
        "50ms",
        "--input",
        "uniform",
        "--seed",
        "3",
        "--record-v",
        "0:3",
        "--quiet",
        "--data",
    ]
    assert main([*argv, "run.nwb"]) == 0
    assert main([*argv, "run.npz"]) == 0
    assert capsys.readouterr() == ("", "")
    result = lifsim.load(tmp_path / "run.npz")
    data = read_nwb(tmp_path / "run.nwb")
    assert np.array_equal(data["acquisition"]["membrane_potential"][0], result.v.T)
    assert np.array_equal(data["ensemble"]["v_mean"][0], result.v_mean)
    for j, times in enumerate(spikes_by_neuron(result)):
        assert np.array_equal(data["units"][j], times)
    meta = json.loads(data["notes"])
    assert meta["command"] == "lifsim " + " ".join([*argv, "run.nwb"])
    assert validate(tmp_path / "run.nwb") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz", "run.nwb"]


def test_nwb_write_is_atomic(tmp_path, monkeypatch, constant_run):
    path = tmp_path / "run.nwb"
    path.write_bytes(b"previous")

    def broken_write(self, *args, **kwargs):
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(pynwb.NWBHDF5IO, "write", broken_write)
    with pytest.raises(RuntimeError):
        constant_run.to_nwb(str(path), overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["run.nwb"]
    assert path.read_bytes() == b"previous"


def test_nwb_bad_path(tmp_path, constant_run):
    with pytest.raises(ValueError, match="does not exist"):
        constant_run.to_nwb(str(tmp_path / "nope" / "run.nwb"))
    with pytest.raises(ValueError, match=r"\.nwb"):
        constant_run.to_nwb(str(tmp_path / "run.h5"))


def test_load_of_nwb_points_to_pynwb(constant_nwb):
    with pytest.raises(ValueError, match="pynwb") as info:
        lifsim.load(str(constant_nwb))
    assert str(constant_nwb) in str(info.value)


# ------------------------------------------------------------------ Neo and Elephant


def test_neo_block(noisy_run):
    block = noisy_run.to_neo()
    assert isinstance(block, neo.Block)
    assert len(block.segments) == 1
    segment = block.segments[0]
    assert len(segment.analogsignals) == 1
    signal = segment.analogsignals[0]
    assert signal.shape == (noisy_run.steps, 5)
    assert signal.units == pq.V
    assert signal.sampling_period.rescale("s").magnitude == pytest.approx(noisy_run.dt, rel=1e-15)
    assert float(signal.t_start.rescale("s").magnitude) == 0.0
    assert np.array_equal(signal.magnitude, noisy_run.v.T)
    assert signal.array_annotations["neuron"].tolist() == [1, 5, 9, 13, 17]
    trains = segment.spiketrains
    assert len(trains) == noisy_run.n
    expected = spikes_by_neuron(noisy_run)
    t_stop = (noisy_run.steps - 1) * noisy_run.dt
    for j, train in enumerate(trains):
        assert isinstance(train, neo.SpikeTrain)
        assert train.units == pq.s
        assert float(train.t_start.magnitude) == 0.0
        assert float(train.t_stop.rescale("s").magnitude) == t_stop
        assert np.array_equal(train.magnitude, expected[j])
        assert train.annotations["neuron"] == j


def _elephant_rate_and_cv(result):
    trains = result.to_neo().segments[0].spiketrains
    rates = [float(elephant_statistics.mean_firing_rate(train).rescale("Hz").magnitude) for train in trains]
    isis = np.concatenate([np.asarray(elephant_statistics.isi(train).rescale("s").magnitude) for train in trains])
    return float(np.mean(rates)), float(elephant_statistics.cv(isis))


def test_rate_and_cv_equal_elephants(noisy_run):
    assert noisy_run.total_spikes > 2 * noisy_run.n
    rate, cv = _elephant_rate_and_cv(noisy_run)
    assert rate == pytest.approx(noisy_run.rate, rel=1e-12, abs=0)
    assert noisy_run.cv() > 0.01  # irregular firing: a meaningful comparison
    assert cv == pytest.approx(noisy_run.cv(), rel=1e-12, abs=0)


def test_rate_and_cv_equal_elephants_with_refractory_periods():
    result = lifsim.simulate(
        lifsim.LIFParams(t_max="100 ms", dt="0.5 ms", t_ref="2 ms", t_ref_std="1 ms"),
        inputs.white_noise("6 mV", "260 pA"),
        n=40,
        seed=9,
    )
    rate, cv = _elephant_rate_and_cv(result)
    assert rate == pytest.approx(result.rate, rel=1e-12, abs=0)
    assert cv == pytest.approx(result.cv(), rel=1e-12, abs=0)


def test_neo_without_traces_or_spikes():
    result = lifsim.simulate(PARAMS, n=3, record_spikes=False)
    segment = result.to_neo().segments[0]
    assert len(segment.analogsignals) == 0 and len(segment.spiketrains) == 0
    silent = lifsim.simulate(PARAMS, inputs.constant("0 pA"), n=3, record_v=[2])
    segment = silent.to_neo().segments[0]
    assert len(segment.spiketrains) == 3 and all(train.size == 0 for train in segment.spiketrains)
    assert segment.analogsignals[0].shape == (silent.steps, 1)
    assert silent.rate == 0.0
    for train in segment.spiketrains:
        assert float(elephant_statistics.mean_firing_rate(train).rescale("Hz").magnitude) == 0.0
    assert np.isnan(silent.cv())


def test_exports_of_a_streamed_run_keep_or_refuse_its_traces(tmp_path):
    streamed = lifsim.simulate(PARAMS, n=3, record_v="all", trace_store=tmp_path / "s.zarr")
    try:
        streamed.to_nwb(str(tmp_path / "s.nwb"))
        block = streamed.to_neo()
    except ValueError:
        return  # refusing is fine
    assert "membrane_potential" in read_nwb(tmp_path / "s.nwb")["acquisition"]
    assert len(block.segments[0].analogsignals) == 1
