"""The Dask runner against a 2-worker LocalCluster: the same bits as one process, and failures survived or named."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import numpy as np
import pytest
from cli_helpers import in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.engine import installed
from lifsim.provenance import compare

distributed = pytest.importorskip("distributed")

P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
KW = dict(n=5000, seed=3, record_v="0:5000:97", lags=(1, 5), snapshots=("10 ms",), block=64)


def source():
    return inputs.white_noise("4 mV", 150e-12) + inputs.uniform_noise("100 pA", 0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("engine", installed())
@pytest.mark.parametrize("blocks_per_task", [1, 4, 16, 128])
def test_every_task_size_gives_the_single_process_bits(client, engine, blocks_per_task):
    ref = lifsim.simulate(P, source(), engine=engine, **KW)
    run = lifsim.simulate(P, source(), engine=engine, runner=client, blocks_per_task=blocks_per_task, **KW)
    assert compare(ref, run) == []
    assert run.meta["runner"]["kind"] == "dask" and run.meta["runner"]["workers"] == 2
    assert ref.meta["runner"] == {"kind": "local"}
    assert run.total_spikes > 0 and run.v.shape == ref.v.shape


def test_exact_method_and_refractoriness_on_the_cluster(client):
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms")
    kwargs = dict(n=3000, seed=11, method="exact", record_v="10:20", block=32)
    ref = lifsim.simulate(params, source(), **kwargs)
    assert compare(ref, lifsim.simulate(params, source(), runner=client, blocks_per_task=8, **kwargs)) == []


def test_a_worker_count_starts_and_closes_a_local_cluster():
    ref = lifsim.simulate(P, source(), **KW)
    run = lifsim.simulate(P, source(), runner=2, **KW)
    assert compare(ref, run) == []
    assert run.meta["runner"]["workers"] == 2


def test_a_killed_worker_does_not_change_the_result(client):
    params = lifsim.LIFParams(t_max=1.0, dt=1e-4)
    kwargs = dict(n=100_000, seed=5, block=64, record_v="0:100000:1000", record_spikes=True)
    ref = lifsim.simulate(params, source(), **kwargs)
    pids = list(client.run(os.getpid).values())
    box = {}

    def run():
        box["result"] = lifsim.simulate(params, source(), runner=client, blocks_per_task=8, **kwargs)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)  # the tasks are under way (about 200 of them, 1.5 s of work per worker)
    assert thread.is_alive()
    os.kill(pids[0], signal.SIGKILL)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert compare(ref, box["result"]) == []
    client.wait_for_workers(2, timeout=30)  # the nanny restarts the worker for the next tests


def test_a_failing_task_names_its_neurons(client, monkeypatch):
    from lifsim.runners import dask as dask_runner

    monkeypatch.setattr(dask_runner, "_task", lambda *args: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(ValueError, match=r"task for neurons \d+\.\.\d+ failed: boom"):
        lifsim.simulate(P, source(), runner=client, blocks_per_task=16, **KW)


def test_an_unreachable_scheduler_is_one_line_within_ten_seconds(capsys):
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler"):
        lifsim.simulate(P, n=10, runner=address)
    assert time.monotonic() - started < 10
    started = time.monotonic()
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--t-max", "20 ms", "--scheduler", address])
    assert rc == 2 and err.count("\n") == 1 and "cannot reach" in err and address in err
    assert time.monotonic() - started < 10


def test_a_task_larger_than_a_worker_may_hold_is_refused_up_front():
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        memory_limit="200MB",
        dashboard_address=":0",
        silence_logs=50,
    )
    try:
        with distributed.Client(cluster) as small:
            params = lifsim.LIFParams(t_max="1 s", dt="0.1 ms")
            started = time.monotonic()
            with pytest.raises(ValueError, match="needs about .* more than the .* a worker may use"):
                lifsim.simulate(params, n=200_000, lags=(2000,), runner=small, blocks_per_task=64)
            assert time.monotonic() - started < 5  # refused, not run
    finally:
        cluster.close()


def test_runner_arguments_are_checked():
    with pytest.raises(ValueError, match="workers"):
        lifsim.simulate(P, n=10, runner=0)
    with pytest.raises(TypeError, match="runner"):
        lifsim.simulate(P, n=10, runner=2.5)
    started = time.monotonic()
    with pytest.raises(ValueError, match=r"workers: expected a whole number from 1 to \d+ .*got 300"):
        lifsim.simulate(P, n=10, runner=300)  # a LocalCluster is never bigger than the machine
    assert time.monotonic() - started < 5
    with pytest.raises(ValueError, match="power of two"):
        lifsim.simulate(P, n=10, runner=1, blocks_per_task=3)
    with pytest.raises(ValueError, match="blocks_per_task"):
        lifsim.simulate(P, n=10, blocks_per_task=4)
    with pytest.raises(ValueError, match="threads"):
        lifsim.simulate(P, n=10, runner=1, threads=1)
    with pytest.raises(ValueError, match="resume: finishes a Dask run"):
        lifsim.simulate(P, n=10, runner=1, resume=True)  # resuming needs a store


def test_cli_workers_give_the_single_process_bits(capsys, tmp_path):
    base = ["simulate", "--n", "3000", "--t-max", "30 ms", "--input", "white", "--sigma", "4 mV", "--quiet"]
    assert run_cli(capsys, base + ["--data", str(tmp_path / "one.npz")])[0] == 0
    assert run_cli(capsys, base + ["--workers", "2", "--data", str(tmp_path / "two.npz")])[0] == 0
    one, two = lifsim.load(str(tmp_path / "one.npz")), lifsim.load(str(tmp_path / "two.npz"))
    assert compare(one, two) == []
    assert two.meta["runner"]["kind"] == "dask"
    rc, _out, err = run_cli(capsys, base + ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert rc == 2 and "--workers" in err and "--scheduler" in err and err.count("\n") == 1
    assert np.isfinite(two.v_mean).all()


def test_dry_run_plans_without_running(capsys, tmp_path, monkeypatch):
    from lifsim.planning import RunEstimate

    params = lifsim.LIFParams(t_max="2 s", dt="0.1 ms")
    drive = inputs.constant("60 pA") + inputs.white_noise("5 mV")
    here = lifsim.estimate(params, drive, n=1_000_000, lags=(1,))
    assert isinstance(here, RunEstimate) and here.tasks == 1
    assert 0.1 < here.ns_per_neuron_step < 100 and here.seconds > 0
    assert here.memory_here > 8 * 1_000_000 and here.output_bytes > 8 * params.steps
    cluster = lifsim.estimate(params, drive, n=1_000_000, runner=2, blocks_per_task=8)
    blocks = -(-1_000_000 // 2048)
    assert cluster.tasks == -(-blocks // 8) and cluster.memory_per_task < cluster.memory_here
    assert "Dask: 2 workers" in cluster.summary()
    data = tmp_path / "never.nc"
    rc, out, _err = run_cli(
        capsys,
        [
            "simulate",
            "--n",
            "1e6",
            "--t-max",
            "2s",
            "--dt",
            "0.1ms",
            "--input",
            "white",
            "--sigma",
            "5mV",
            "--workers",
            "2",
            "--dry-run",
            "--data",
            str(data),
        ],
    )
    assert rc == 0 and "dry run" in out and "tasks" in out and "nothing was run or written" in out
    assert not data.exists()
    rc, out, _err = run_cli(
        capsys, ["sweep", "--grid", "i_mean=0:400pA:5", "--n", "100", "--dry-run", "--data", str(tmp_path / "s.zarr")]
    )
    assert rc == 0 and "5 grid points" in out and not (tmp_path / "s.zarr").exists()
