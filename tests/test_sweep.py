"""Sweeps: the grid, the theory beside the simulation, the same numbers alone, in a sweep and on a cluster,
and a store that survives a killed client."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.sweeps import load_sweep, parse_grid, point_seed, sweep

P = lifsim.LIFParams(t_max="0.4 s", dt="0.1 ms")
GRID = {"i_mean": "100:300pA:3", "tau": "10ms,20ms"}


def assert_same(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        assert a[name].values.tobytes() == b[name].values.tobytes(), name
    for name in a.coords:
        assert np.array_equal(a[name].values, b[name].values), name


def test_grid_text_forms():
    grid = parse_grid(["i_mean=0:400pA:5", "tau=10,20ms", "sigma=2mV,5mV"])
    assert grid["i_mean"] == pytest.approx((0.0, 1e-10, 2e-10, 3e-10, 4e-10))
    assert grid["tau"] == pytest.approx((0.01, 0.02))  # the unit of one item applies to those without
    assert grid["sigma"] == pytest.approx((0.002, 0.005))
    assert parse_grid({"t_ref": ["1 ms", 0.002]})["t_ref"] == pytest.approx((0.001, 0.002))
    assert parse_grid("i_mean=100:400pA:4")["i_mean"][0] == pytest.approx(1e-10)  # not 100 A
    for bad, match in (
        ("dt=1ms,2ms", "cannot sweep 'dt'"),
        ("foo=1,2", "cannot sweep 'foo'"),
        (["tau=1ms", "tau=2ms"], "twice"),
        ("i_mean=0:400pA", "START:STOP:COUNT"),
        ("i_mean=0:400pA:0", "count"),
        ("tau", "NAME=VALUES"),
        ("tau=10 parsecs", "tau"),
        ([], "empty"),
    ):
        with pytest.raises(ValueError, match=match):
            parse_grid(bad)


@pytest.fixture(scope="module")
def local():
    return sweep(P, GRID, n=300, seed=7, sigma="5 mV")


def test_dataset_has_a_dimension_per_name_and_units(local):
    assert local.rate.dims == ("i_mean", "tau")
    assert local.rate.shape == (3, 2)
    assert local.i_mean.attrs["units"] == "A" and local.tau.attrs["units"] == "s"
    assert local.rate.attrs["units"] == "Hz" and local.v_var.attrs["units"] == "V**2"
    for name in ("rate", "rate_sem", "cv", "fano", "v_mean", "v_var", "rate_theory", "rate_theory_continuous"):
        assert np.all(np.isfinite(local[name].values)), name
    assert "point p" in local.attrs["lifsim_meta"]


def test_rates_agree_with_the_grid_theory_and_siegert(local):
    """The grid's Markov-chain rate at every point within 5 sem; independently, the grid-corrected Siegert rate
    (Brunel 2000), its limit for small dt, within 3 % of both."""
    from lifsim import theory

    for i, current in enumerate(local.i_mean.values):
        for j, tau in enumerate(local.tau.values):
            params = P.replace(tau=float(tau))
            expected = float(theory.grid_rate(params, 5e-3, float(current))[()])
            assert float(local.rate_theory[i, j]) == pytest.approx(expected, rel=1e-12)
            simulated, sem = float(local.rate[i, j]), float(local.rate_sem[i, j])
            assert abs(simulated - expected) < 5 * sem + 1e-3 * expected, (current, tau, simulated, expected)
            siegert = float(theory.siegert_rate(params, 5e-3, float(current), dt_correction=params.dt))
            assert abs(siegert - expected) < 0.03 * expected + 0.05, (current, tau, siegert, expected)


def test_free_membrane_moments_agree_with_the_closed_form():
    ds = sweep(P, {"sigma": "2mV,4mV"}, n=2000, seed=1, spiking=False, sigma=None)
    assert np.all(np.isnan(ds.rate.values))
    ratio = ds.v_var.values / ds.v_var_theory.values
    assert np.all(np.abs(ratio - 1) < 5 * math.sqrt(2 / 2000) + 0.01), ratio
    assert np.allclose(ds.v_mean.values, ds.v_mean_theory.values, atol=5 * np.sqrt(ds.v_var_theory.values / 2000))


def test_spiking_neurons_v_moments_sit_on_their_stationary_distribution():
    """With spiking, v_mean_theory and v_var_theory are the moments of the grid chain's stationary distribution of
    V (they were the free membrane's, -20 mV above threshold beside a simulated -61 mV at 400 pA); a noise-free
    drive, with no such distribution (its neurons fire in step), has none (NaN)."""
    params = lifsim.LIFParams(t_max="1 s", dt="0.1 ms", t_ref="2 ms")
    ds = sweep(params, {"i_mean": "150pA,400pA"}, n=2000, seed=1, sigma="5 mV", transient="300 ms")
    mean, var = ds.v_mean.values, ds.v_var.values
    assert np.all(np.abs(mean - ds.v_mean_theory.values) < 0.1e-3), (mean, ds.v_mean_theory.values)
    assert np.all(np.abs(var / ds.v_var_theory.values - 1) < 0.01), (var, ds.v_var_theory.values)
    assert np.all(ds.v_mean_theory.values < params.vth)
    steady = sweep(params.replace(t_max="200 ms"), {"i_mean": "300pA"}, n=20, input="constant", transient="50 ms")
    assert np.isnan(steady.v_mean_theory.values).all() and np.isnan(steady.v_var_theory.values).all()
    # no chain (no noise, or noise too weak for its cells) but V far below threshold: the free membrane's, exact
    below = sweep(params.replace(t_max="300 ms"), {"i_mean": "0pA,50pA"}, n=50, sigma="0.2 mV")
    np.testing.assert_allclose(below.v_mean_theory.values, [-0.06, -0.055], rtol=1e-4)
    assert np.all(np.abs(below.v_mean.values - below.v_mean_theory.values) < 0.01e-3)
    quiet = sweep(params.replace(t_max="300 ms"), {"i_mean": "50pA,99pA"}, n=5, input="constant")
    np.testing.assert_allclose(quiet.v_mean_theory.values, quiet.v_mean.values, rtol=1e-6)


def test_a_point_alone_gives_the_numbers_it_has_in_the_sweep(local):
    """Point (i_mean=300 pA, tau=20 ms) has flat index 5: lifsim.simulate with point_seed(7, 5) is that point."""
    params = P.replace(i_mean=3e-10, tau=0.02)
    run = lifsim.simulate(params, inputs.white_noise("5 mV", 3e-10), n=300, seed=point_seed(7, 5))
    spike_t, spike_i = run.spikes()
    late = spike_t > 0.10005  # the updates after grid point 1000 (0.1 s): spikes at 1001 .. steps - 1
    rate = np.mean(np.bincount(spike_i[late], minlength=300) / ((P.steps - 1 - 1000) * P.dt))
    assert float(local.rate[2, 1]) == rate
    assert float(local.v_mean[2, 1]) == float(np.mean(run.v_mean[1000:]))


def test_a_sweep_on_a_cluster_gives_the_same_bits(local):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    try:
        with distributed.Client(cluster) as client:
            assert_same(local, sweep(P, GRID, n=300, seed=7, sigma="5 mV", runner=client))
            # a point large enough to span several tasks (its blocks spread over the workers)
            big = sweep(P, {"i_mean": ["150 pA", "250 pA"]}, n=20_000, seed=3, runner=client)
            assert_same(sweep(P, {"i_mean": ["150 pA", "250 pA"]}, n=20_000, seed=3), big)
    finally:
        cluster.close()


def test_per_step_statistics_are_kept_on_request(tmp_path):
    ds = sweep(P, {"i_mean": "100pA,200pA"}, n=50, per_step=True)
    assert ds.v_mean_t.shape == (2, P.steps) and ds.v_var_t.dims == ("i_mean", "t")
    # the time axis is a coordinate with its unit, in memory and in a store (it had neither)
    assert ds["t"].attrs["units"] == "s" and np.array_equal(ds["t"].values, np.arange(P.steps) * P.dt)
    stored = sweep(P, {"i_mean": "100pA,200pA"}, n=50, per_step=True, store=tmp_path / "s.zarr")
    assert_same(ds, stored)
    assert load_sweep(tmp_path / "s.zarr")["t"].attrs["units"] == "s"


def test_a_bad_point_is_refused_before_any_point_runs(monkeypatch):
    import lifsim.sweeps as module

    monkeypatch.setattr(module, "measure_point", lambda *a, **k: pytest.fail("a point ran"))
    with pytest.raises(ValueError, match=r"grid point .*tau=0\.1 ms"):
        sweep(P, {"tau": "20ms,0.1ms"}, n=10)  # dt = tau: forward Euler cannot run it


# ---------------------------------------------------------------- the store, resumed

CLI = [
    "sweep",
    "--grid",
    "i_mean=50:350pA:8",
    "--grid",
    "tau=10ms,20ms",
    "--n",
    "2000",
    "--t-max",
    "1 s",
    "--seed",
    "4",
]


def lifsim_cli(args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "lifsim", *args, "--quiet"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def uninterrupted():
    params = lifsim.LIFParams(t_max="1 s", dt="0.1 ms")
    return sweep(params, {"i_mean": "50:350pA:8", "tau": "10ms,20ms"}, n=2000, seed=4, sigma="5 mV")


def killed_after(store, cwd, wanted):
    """Start the CLI sweep into ``store`` and SIGKILL it once ``wanted`` of its 16 points have landed (their
    resume marks are lines of the marks log, less the creation's mark)."""
    process = lifsim_cli([*CLI, "--data", str(store)], cwd)
    marks = store / "lifsim-marks.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if marks.exists() and marks.read_text().count('"key":"') - 1 >= wanted:
            break
        time.sleep(0.005)
    if process.poll() is not None:  # what the sweep said, to tell a crash from a machine too fast for the test
        raise AssertionError(f"the sweep ended (status {process.returncode}) before the kill: {process.communicate()}")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)


def resumed(argv, store, cwd):
    """``python -m lifsim ARGV --data STORE --resume --quiet``, finished (a CompletedProcess)."""
    command = [sys.executable, "-m", "lifsim", *argv, "--data", str(store), "--resume", "--quiet"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("moment", range(3))
def test_resume_after_the_client_is_killed(tmp_path, uninterrupted, moment):
    store = tmp_path / "sweep.zarr"
    killed_after(store, tmp_path, random.Random(moment).randint(1, 12))
    if store.exists():
        with pytest.raises(ValueError, match="unfinished sweep|not a lifsim sweep"):
            load_sweep(store)
    rc = resumed(CLI, store, tmp_path)
    assert rc.returncode == 0, rc.stderr
    finished = load_sweep(store)
    assert_same(uninterrupted, finished)
    if moment == 0:  # the record keeps how the store was begun beside the command that finished it
        meta = json.loads(finished.attrs["lifsim_meta"])
        assert "--resume" in meta["command"] and "--resume" not in meta["started"]["command"]
        assert meta["started"]["command"].startswith("lifsim sweep")


def test_a_store_is_not_resumed_with_its_grid_in_another_order(tmp_path, uninterrupted):
    """The same --grid options in another order are another sweep: a point's flat index, so its seed and its place,
    follow the order.  Resumed so, points landed at the wrong coordinates (exit 0) or a non-square grid crashed."""
    store = tmp_path / "sweep.zarr"
    killed_after(store, tmp_path, 3)
    landed = (store / "lifsim-marks.jsonl").read_text()
    swapped = [*CLI[:1], *CLI[3:5], *CLI[1:3], *CLI[5:]]  # --grid tau=... --grid i_mean=...
    assert swapped[1:5] == ["--grid", "tau=10ms,20ms", "--grid", "i_mean=50:350pA:8"]
    done = resumed(swapped, store, tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"lifsim: error: --data: {store} was made with its grid in the order i_mean, tau; this sweep gives it as "
        "tau, i_mean. A point's seed follows the order: give the grid (--grid options, or the grid mapping's keys) "
        "in the store's order to resume it\n"
    )
    assert (store / "lifsim-marks.jsonl").read_text() == landed  # nothing written
    params = lifsim.LIFParams(t_max="1 s", dt="0.1 ms")
    with pytest.raises(ValueError, match=r"was made with its grid in the order i_mean, tau;"):
        swapped_grid = {"tau": "10ms,20ms", "i_mean": "50:350pA:8"}
        sweep(params, swapped_grid, n=2000, seed=4, sigma="5 mV", store=store, resume=True)
    rc = resumed(CLI, store, tmp_path)
    assert rc.returncode == 0, rc.stderr
    assert_same(uninterrupted, load_sweep(store))


def test_a_store_is_never_overwritten_or_resumed_by_another_sweep(capsys, tmp_path):
    store = str(tmp_path / "s.zarr")
    args = ["sweep", "--grid", "i_mean=100pA,200pA", "--n", "20", "--t-max", "0.2 s", "--quiet", "--data", store]
    assert run_cli(capsys, args)[0] == 0
    rc, _out, err = run_cli(capsys, args)  # a complete store: replaced only with --force (nothing to resume)
    assert rc == 2 and "--force" in err and err.count("\n") == 1
    rc, _out, err = run_cli(capsys, [*args[:-2], "--seed", "9", "--data", store, "--resume"])
    assert rc == 2 and "different sweep" in err and err.count("\n") == 1
    assert run_cli(capsys, [*args, "--resume"])[0] == 0  # complete: nothing to run, the same result
    assert load_sweep(store).rate.shape == (2,)


def test_cli_sweep_table_data_and_figure(capsys, tmp_path):
    rc, out, err = run_cli(
        capsys,
        [
            "sweep",
            "--grid",
            "i_mean=100:300pA:3",
            "--grid",
            "sigma=3mV,6mV",
            "--n",
            "50",
            "--t-max",
            "0.3 s",
            "--data",
            str(tmp_path / "s.nc"),
            "--plot",
            str(tmp_path / "s.png"),
        ],
    )
    assert rc == 0, err
    assert "rate (Hz)" in out and "theory" in out and len(out.splitlines()) >= 7
    ds = load_sweep(tmp_path / "s.nc")
    assert ds.rate.dims == ("i_mean", "sigma")
    assert (tmp_path / "s.png").stat().st_size > 10_000
    rc, _out, err = run_cli(capsys, ["sweep", "--n", "10"])
    assert rc == 2 and "--grid" in err and err.count("\n") == 1
    rc, _out, err = run_cli(capsys, ["sweep", "--grid", "i_mean=1pA,2pA", "--resume"])
    assert rc == 2 and ".zarr" in err
    rc, _out, err = run_cli(capsys, ["sweep", "--grid", "i_mean=1pA,2pA", "--data", "x.csv"])
    assert rc == 2 and ".nc" in err and ".zarr" in err
    rc, _out, err = run_cli(capsys, ["sweep", "--grid", "amplitude=1,2"])
    assert rc == 2 and "amplitude" in err and "uniform" in err


def test_sweep_figure_of_one_and_two_dimensions(local, tmp_path):
    from lifsim.plot import plot_sweep, save_figure

    save_figure(plot_sweep(local), tmp_path / "two.png")
    one = sweep(P, {"i_mean": "100pA,200pA,300pA"}, n=30)
    save_figure(plot_sweep(one), tmp_path / "one.png")
    assert (tmp_path / "two.png").stat().st_size > 10_000 and (tmp_path / "one.png").stat().st_size > 10_000
    assert Path(tmp_path / "one.png").exists()


# ---------------------------------------------------------------- the SLURM example (README)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "slurm_sweep.py"


def test_slurm_example_writes_the_job_script_it_would_submit():
    pytest.importorskip("dask_jobqueue")
    out = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--print-job-script",
            "--partition",
            "short",
            "--account",
            "neuro",
            "--cores",
            "8",
            "--memory",
            "16GB",
            "--venv",
            "/opt/lifsim-venv",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    script = out.stdout
    assert "#SBATCH -p short" in script and "#SBATCH -A neuro" in script
    assert "--cpus-per-task=8" in script and "source /opt/lifsim-venv/bin/activate" in script
    assert "distributed.cli.dask_worker" in script or "dask worker" in script or "dask-worker" in script


def test_slurm_example_runs_its_sweep_on_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    import importlib.util

    spec = importlib.util.spec_from_file_location("slurm_sweep", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = tmp_path / "fI.zarr"
    argv = [
        "--local",
        "2",
        "--n",
        "100",
        "--t-max",
        "0.3 s",
        "--data",
        str(store),
        "--grid",
        "i_mean=100pA,250pA",
        "--grid",
        "tau=10ms,20ms",
    ]
    assert module.main(argv) == 0
    alone = sweep(
        lifsim.LIFParams(t_max="0.3 s", dt="0.1 ms", t_ref="2 ms"),
        {"i_mean": "100pA,250pA", "tau": "10ms,20ms"},
        n=100,
        input="white",
    )
    assert_same(alone, load_sweep(store))


def test_a_sweep_store_of_another_stream_version_is_refused_saying_so(tmp_path):
    """``--stream-version 2`` sweeps with stream version 2's normals (as ``lifsim.sweep(..., stream_version=2)``);
    its store is resumed only by a sweep that draws the same version, and the refusal says how."""
    from cli_helpers import run_script

    argv = ["sweep", "--grid", "i_mean=100,200pA", "--n", "5", "--t-max", "150ms", "--quiet"]
    argv += ["--data", str(tmp_path / "s.zarr")]
    assert run_script([*argv, "--stream-version", "2"]).returncode == 0
    params = lifsim.params.profile("study", t_max="150 ms")  # what lifsim sweep --t-max 150ms runs
    grid = {"i_mean": "100pA,200pA"}
    assert_same(sweep(params, grid, n=5, stream_version=2), load_sweep(tmp_path / "s.zarr"))
    newer = sweep(params, grid, n=5)  # version 3: white noise from other normals
    assert not np.array_equal(newer["v_var"].values, load_sweep(tmp_path / "s.zarr")["v_var"].values)
    done = run_script([*argv, "--resume"])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "its random stream is counter-splitmix64/2, this sweep draws counter-splitmix64/3" in done.stderr
    assert "resume it with --stream-version 2" in done.stderr
    assert run_script([*argv, "--resume", "--stream-version", "2"]).returncode == 0


@pytest.mark.parametrize("progress", [False, None, True])
def test_progress_takes_what_simulate_takes(progress):
    """``progress=False`` (as lifsim.simulate takes it) met a call of a bool in the sweep's middle."""
    ds = lifsim.sweep(
        lifsim.LIFParams(t_max="20 ms"), {"i_mean": "100pA,200pA"}, n=2, transient="5 ms", progress=progress
    )
    assert ds["rate"].shape == (2,)


def test_a_progress_that_cannot_be_called_is_named():
    with pytest.raises(TypeError, match=r"^progress: expected progress\(points_done, points_total\), True for a bar"):
        lifsim.sweep(lifsim.LIFParams(t_max="20 ms"), {"i_mean": "100pA"}, n=2, transient="5 ms", progress="yes")


def test_a_sweep_seed_too_large_for_its_points_is_named_as_typed():
    with pytest.raises(
        ValueError,
        match=r"^seed: a sweep's point p runs with seed \* 2\*\*32 \+ p, .* got 79228162514264337593543950336",
    ):
        lifsim.sweep(lifsim.LIFParams(t_max="20 ms"), {"i_mean": "1pA"}, n=2, transient="5 ms", seed=2**96)


def test_a_progress_bar_is_drawn_only_once_the_sweep_runs(capsys):
    with pytest.raises(ValueError):
        lifsim.sweep(lifsim.LIFParams(t_max="20 ms"), {"tau": "0.1ms,5s"}, n=2, transient="5 ms", progress=True)
    lifsim.sweep(lifsim.LIFParams(t_max="20 ms"), {"i_mean": "1pA"}, n=2, transient="5 ms", progress=True, dry_run=True)
    assert "point" not in capsys.readouterr().err


def test_a_sweeps_netcdf_goes_through_the_runs_netcdf_layer(tmp_path):
    """The sweep's .nc was written by its own to_netcdf, without the checksums every run's .nc keeps."""
    import xarray as xr
    from cli_helpers import run_script

    done = run_script(
        ["sweep", "--grid", "i_mean=100pA,200pA", "--n", "20", "--t-max", "0.2s", "--data", "s.nc", "-q"], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "lifsim_sha256" not in lifsim.load_sweep(tmp_path / "s.nc").attrs
    edited = xr.open_dataset(tmp_path / "s.nc", engine="h5netcdf").load()
    edited["rate"] = edited["rate"] * 1.01
    edited.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(
        ValueError, match=r"edited\.nc: cannot read as a lifsim sweep \(rate does not match its checksum"
    ):
        lifsim.load_sweep(tmp_path / "edited.nc")


def test_weak_noise_rates_sit_on_the_theory_within_their_error():
    """All neurons start at V0: with weak noise they fire in step for about 1 / CV**2 intervals, so they count the
    same spikes over the window and their spread (the old error: 0.004 Hz at 0.5 mV) said the count, 0.1 Hz off
    the grid's theory, was 20 errors away. The error now includes the edge error of neurons in step."""
    params = lifsim.LIFParams(t_max="1 s", dt="0.1 ms")
    found = sweep(params, {"sigma": "0.5mV,1mV"}, n=1000, input="white")  # in step: the edge error's case
    z = (found.rate - found.rate_theory) / found.rate_sem
    assert np.all(np.abs(z.values) < 2.5), (found.rate.values, found.rate_theory.values, found.rate_sem.values)
    one = lifsim.simulate(params, inputs.white_noise(sigma="0.5 mV"), n=1000, seed=point_seed(0, 0))
    first, duration = lifsim.spikes.after_transient(0.1, params.dt, one.steps)
    t, i = one.spikes()
    per_neuron = lifsim.spikes.spike_counts(i[t > (first + 0.5) * params.dt], 1000) / duration
    spread = per_neuron.std(ddof=1) / math.sqrt(1000)
    assert float(found.rate[0]) == pytest.approx(per_neuron.mean(), rel=1e-12)
    assert abs(float(found.rate[0] - found.rate_theory[0])) > 10 * spread  # what the neurons' spread alone said


def test_a_noise_free_point_with_one_spike_a_neuron_is_counted():
    """No interval after the transient (each neuron fires once there): the intervals say nothing, and the point
    read 0.000 +- 0.000 Hz against a theory of 6.7 Hz; the count says what it can."""
    found = sweep(lifsim.LIFParams(t_max=0.25, i_mean="100.1pA"), {"sigma": "0mV"}, n=10, input="white")
    rate, sem, theory = (float(found[name][0]) for name in ("rate", "rate_sem", "rate_theory"))
    assert rate > 0 and abs(rate - theory) < 3 * sem + 1 / 0.15, (rate, sem, theory)


def test_a_point_without_noise_gives_the_regular_trains_rate():
    """sigma = 0: a regular train, measured by its intervals as a constant drive is (a count over the window
    was 58.9 Hz against 58.82 Hz on the grid, with an error of 1e-16 Hz)."""
    found = sweep(lifsim.LIFParams(t_max="0.5 s"), {"sigma": "0mV,2mV"}, n=20, input="white")
    assert float(found.rate[0]) == pytest.approx(float(found.rate_theory[0]), rel=1e-12)
    assert float(found.rate_sem[0]) == 0.0


def test_a_store_measured_by_an_older_lifsim_is_not_resumed(tmp_path):
    """A store whose points were measured by other rules (an older lifsim: no measure in its spec) is refused on
    --resume, saying so, rather than finished with points measured two ways."""
    import hashlib
    import json

    from cli_helpers import run_script

    argv = ["sweep", "--grid", "sigma=1mV,2mV", "--n", "5", "--t-max", "150ms", "--quiet", "--no-plot"]
    argv += ["--data", str(tmp_path / "s.zarr")]
    assert run_script(argv).returncode == 0
    meta = tmp_path / "s.zarr" / "zarr.json"
    root = json.loads(meta.read_text())
    spec = json.loads(root["attributes"]["lifsim_sweep_spec"])
    del spec["measure"]
    older = {key: value for key, value in spec.items() if key != "model"}
    root["attributes"]["lifsim_sweep_spec"] = json.dumps(spec, sort_keys=True)
    root["attributes"]["lifsim_sweep_digest"] = hashlib.sha256(json.dumps(older, sort_keys=True).encode()).hexdigest()
    meta.write_text(json.dumps(root))
    done = run_script([*argv, "--resume"])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "measured by an older lifsim, measure 1 against this one's 3" in done.stderr
    assert "--force" in done.stderr


def test_a_transient_too_short_to_forget_the_start_is_said_once(recwarn):
    """Neurons only partly in step after a short transient keep a bias beyond rate_sem (z about -2 at 2 mV over
    0.1 s): said once for the sweep, naming a point; a transient long enough says nothing."""
    from lifsim.errors import PlausibilityWarning

    params = lifsim.LIFParams(t_max="0.6 s", dt="0.1 ms")
    with pytest.warns(PlausibilityWarning, match=r"transient: at 2 of 3 points \(sigma = 1 mV the first\)"):
        sweep(params, {"sigma": "1mV,2mV,6mV"}, n=50, input="white")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        sweep(params, {"sigma": "6mV"}, n=50, input="white", transient="0.3 s")


def test_a_window_too_short_for_the_intervals_is_said_for_the_cv(tmp_path):
    """At 0 pA (0.75 Hz) a 0.9 s window holds under one interval a neuron: the pooled ISIs' CV read 0.52 where the
    theory's is 0.96 (long intervals never end in the window), without a word.  Said once, through the installed
    script; a point whose window holds many intervals says nothing."""
    from cli_helpers import run_script

    argv = ["sweep", "--grid", "i_mean=0pA,300pA", "--t-ref", "2ms", "--n", "50", "--no-data", "--no-plot"]
    done = run_script(argv)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "cv:" in line]
    assert len(said) == 1 and "at 1 of 2 points (i_mean = 0 pA the first)" in said[0], done.stderr
    quiet = run_script([*argv[:2], "i_mean=300pA", *argv[3:]])
    assert quiet.returncode == 0 and "cv:" not in quiet.stderr, quiet.stderr


SHORT = lifsim.LIFParams(t_max="0.15 s", dt="0.1 ms")


def _said(call):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if "is ignored" in str(w.message)]


@pytest.mark.parametrize(
    ("keywords", "needles"),
    [
        (dict(input="constant", sigma="3 mV"), ["sigma:", "white", "'constant'", "3 mV"]),
        (dict(input="white", amplitude=2.0), ["amplitude:", "uniform", "'white'", "(2)"]),
        (dict(input="uniform", sigma="5 mV"), ["sigma:", "white", "'uniform'", "5 mV"]),  # the default's value, given
    ],
)
def test_a_setting_the_sweeps_input_does_not_use_is_said_to_be_ignored(keywords, needles):
    """``sweep(input="constant", sigma="3 mV")`` dropped sigma without a word (its provenance: sigma None)."""
    said = _said(lambda: sweep(SHORT, {"i_mean": ["100 pA"]}, n=2, transient="50 ms", **keywords))
    assert len(said) == 1, said
    assert all(needle in said[0] for needle in needles), said


def test_a_setting_left_at_its_default_is_not_said_to_be_ignored():
    assert _said(lambda: sweep(SHORT, {"i_mean": ["100 pA"]}, n=2, transient="50 ms", input="constant")) == []


def test_the_command_says_a_sigma_its_input_does_not_use_is_ignored(tmp_path):
    from cli_helpers import run_script

    argv = ["sweep", "--grid", "i_mean=100pA", "--n", "2", "--t-max", "150ms", "--transient", "50ms", "--quiet"]
    done = run_script([*argv, "--input", "constant", "--sigma", "3mV"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "ignored" in line]
    assert lines == ["lifsim: warning: --sigma: applies to the input kind white only, not 'constant'; the sigma "
                     "given (3 mV) is ignored"], done.stderr  # fmt: skip
    quiet = run_script([*argv, "--input", "constant"], cwd=tmp_path)
    assert quiet.returncode == 0 and "ignored" not in quiet.stderr, quiet.stderr


def test_a_sweeps_warnings_point_at_the_callers_line():
    """A sweep's own warnings did; a point's run's (sweeps.py:258) and the grid's (grid.py) did not."""
    from lifsim.errors import LifsimWarning
    from lifsim.params import profile

    params = profile("study", t_max="100 ms")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep(params, {"i_mean": ["100 nA"]}, n=2, transient="10 ms", input="constant")  # a spike a step
        sweep(params, {"i_mean": "200,400pA,4e-10"}, n=2, transient="10 ms", input="constant")  # 4e-10 pA?
    said = [w for w in caught if issubclass(w.category, LifsimWarning)]
    texts = [str(w.message) for w in said]
    assert any(t.startswith("rate:") for t in texts) and any("takes the list's unit" in t for t in texts), texts
    assert [w.filename for w in said] == [__file__] * len(said), [(w.filename, w.lineno) for w in said]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["--grid", "t_ref=0.05ms,1ms"],
            "lifsim: error: grid point t_ref=0.05 ms: t_ref: 0.05 ms is not a whole number of steps dt = 0.1 ms",
        ),
        (["--grid", "vth=-0.08,-0.05"], "lifsim: error: grid point vth=-80 mV: vth: the threshold -80 mV must be"),
        (["--grid", "tau=0.05ms,1ms"], "lifsim: error: grid point tau=0.05 ms: dt: 0.1 ms must be smaller than"),
        (["--grid", "sigma=-1mV,1mV"], "lifsim: error: grid point sigma=-1 mV: sigma: must be >= 0 mV, got -1 mV"),
        (["--grid", "t_ref_std=-1ms,1ms"], "lifsim: error: grid point t_ref_std=-1 ms: t_ref_std: must be >= 0 ms"),
        (
            ["--grid", "i_mean=50pA,50pA"],
            "lifsim: error: --grid: i_mean: the value 50 pA appears more than once; each point of a grid is unique",
        ),
    ],
)
def test_a_sweeps_grid_messages_say_values_in_the_fields_units(argv, line):
    """``grid point t_ref=5e-05: ...`` and ``the value 5e-11 (SI) appears more than once`` spoke SI where every
    other message speaks the field's units (format_display)."""
    from cli_helpers import run_script

    done = run_script(["sweep", *argv, "--n", "10", "--t-max", "0.3s", "--no-data", "--no-plot"])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(line), done.stderr
    with pytest.raises(ValueError, match=r"^grid point t_ref=0\.05 ms: t_ref: 0\.05 ms is not a whole number"):
        sweep(lifsim.profile("study", t_max="0.3 s"), {"t_ref": "0.05ms,1ms"}, n=2, dry_run=True)
    with pytest.raises(ValueError, match=r"^grid: i_mean: the value 50 pA appears more than once"):
        parse_grid("i_mean=50pA,50pA")


def test_a_repeated_snapshot_is_said_in_ms():
    """``--snapshots 10ms,10ms`` said ``got [0.01, 0.01]``."""
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "10", "--snapshots", "10ms,10ms"])
    line = "lifsim: error: --snapshots: each time can be asked for once; 10 ms is asked for 2 times\n"
    assert (done.returncode, done.stderr) == (2, line)
    with pytest.raises(ValueError, match=r"^snapshots: each time can be asked for once; 10 ms is asked for 2 times$"):
        lifsim.simulate(None, n=2, snapshots=["10 ms", "0.01"])
