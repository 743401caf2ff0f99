"""Recorded traces streamed into a Zarr store while the run goes: bounded memory, complete or absent."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.cli import main

P = lifsim.LIFParams(t_max=0.1, dt=1e-4)
SOURCE = inputs.uniform_noise(P.i_mean, 1.2)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_streamed_traces_equal_in_memory_traces(tmp_path, engine):
    store = tmp_path / "run.zarr"
    streamed = lifsim.simulate(
        P, SOURCE, n=300, seed=4, record_v="10:40", lags=(2,), engine=engine, trace_store=store, chunk_steps=128
    )
    assert streamed.v is None and "trace_store" not in streamed.meta  # a file never names other files to read
    assert streamed.trace_source is not None and streamed.trace_source.path == store
    np.testing.assert_array_equal(streamed.trace(10), streamed.traces()[0])
    full = lifsim.simulate(P, SOURCE, n=300, seed=4, record_v="10:40", lags=(2,), engine=engine)
    loaded = lifsim.load(store)
    assert loaded.v is None  # read on demand
    np.testing.assert_array_equal(loaded.traces(), full.v)
    np.testing.assert_array_equal(loaded.v_neurons, np.arange(10, 40))
    np.testing.assert_array_equal(loaded.v_mean, full.v_mean)
    np.testing.assert_array_equal(loaded.spike_t, full.spike_t)
    assert lifsim.provenance.compare(lifsim.rerun(loaded), loaded) == []
    assert [p.name for p in tmp_path.iterdir()] == ["run.zarr"]  # no temporary folders left


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_traces_arrive_in_chunks(engine):
    from lifsim.engine import get
    from lifsim.engine.plan import RunPlan
    from lifsim.runners import run_local
    from lifsim.streams import CounterStream

    chunks = []
    plan = RunPlan.build(
        P,
        SOURCE,
        n=50,
        steps=P.steps,
        stream=CounterStream(1),
        spiking=True,
        method="euler",
        record=np.arange(5),
        record_spikes=True,
        lags=(),
        snapshot_steps=(),
    )
    output = run_local(
        plan, get(engine), trace_sink=lambda k0, block: chunks.append((k0, block.shape)), chunk_steps=300
    )
    assert output.trace is None
    assert chunks == [(0, (5, 300)), (300, (5, 300)), (600, (5, 300)), (900, (5, 100))]


def test_interrupted_stream_leaves_no_store(tmp_path, monkeypatch):
    from lifsim.engine import numba_engine

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(numba_engine, "advance", boom)
    with pytest.raises(KeyboardInterrupt):
        lifsim.simulate(P, SOURCE, n=50, record_v="all", engine="numba", trace_store=tmp_path / "run.zarr")
    assert list(tmp_path.iterdir()) == []


def test_cli_streams_traces_into_zarr(tmp_path, capsys):
    out = tmp_path / "run.zarr"
    assert (
        main(
            [
                "simulate",
                "--n",
                "100",
                "--t-max",
                "50ms",
                "--dt",
                "0.1ms",
                "--input",
                "uniform",
                "--record-v",
                "0:20",
                "--data",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    loaded = lifsim.load(out)
    assert loaded.traces().shape == (20, 500)
    assert loaded.trace_source.path == out


def test_trace_store_needs_traces_and_a_zarr_path(tmp_path):
    with pytest.raises(ValueError, match="record_v"):
        lifsim.simulate(P, n=5, trace_store=tmp_path / "run.zarr")
    with pytest.raises(ValueError, match="zarr"):
        lifsim.simulate(P, n=5, record_v="all", trace_store=tmp_path / "run.nc")
