"""The room a ``--data`` file needs, checked before the run: a lower bound of what the run writes (a folder that
cannot hold it is refused at once, never one that could), for ``lifsim simulate`` and ``lifsim network``."""

from __future__ import annotations

import shutil

import pytest
from cli_helpers import in_tmp, run_cli, run_script  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.network import BrunelParams
from lifsim.network.result import least_output_bytes
from lifsim.simulation import least_output_size

RUNS = {
    "constant current (synchronous spikes)": (dict(t_max="0.5 s"), inputs.constant(), 300),
    "white noise": (dict(t_max="0.5 s", dt="0.1 ms"), inputs.white_noise(sigma="5 mV"), 300),
    "subthreshold": (dict(t_max="0.5 s", i_mean="100 pA"), inputs.constant(), 300),
    "traces and snapshots": (dict(t_max="0.2 s"), inputs.white_noise(sigma="3 mV"), 100),
}


@pytest.mark.parametrize("name", list(RUNS))
@pytest.mark.parametrize("suffix", [".npz", ".nc"])
def test_the_room_asked_of_a_run_is_at_most_what_its_file_takes(tmp_path, name, suffix):
    params_changes, source, n = RUNS[name]
    params = lifsim.LIFParams(**params_changes)
    extra = dict(record_v="0:20", snapshots=["0.1 s"]) if name == "traces and snapshots" else {}
    least = least_output_size(params, source, n=n, seed=3, **extra)
    result = lifsim.simulate(params, source, n=n, seed=3, progress=False, **extra)
    written = result.save(tmp_path / f"run{suffix}").stat().st_size
    assert 0 < least <= written, (least, written)
    if name != "subthreshold":  # spikes counted: a bound that says something (its spikes at half their rate)
        assert least >= 0.3 * written, (least, written)


@pytest.mark.parametrize(
    "changes", [dict(g=5, eta=2), dict(g=3, eta=2), dict(g=4.5, eta=0.9), dict(g=5, eta=0.8)], ids=str
)
def test_the_room_asked_of_a_network_is_at_most_what_its_file_takes(tmp_path, changes):
    """Brunel's states AI, SR, SI and a silent network: the theory's rate is the asynchronous state's."""
    params = BrunelParams(n_exc=1000, t_max=0.3, **changes)
    for record in ("all", "E", "none"):
        least = least_output_bytes(params, record)
        result = lifsim.network.network(params, record_spikes=record)
        written = result.save(tmp_path / f"net-{record}.npz").stat().st_size
        assert 0 < least <= written, (record, least, written)


def fake_free_room(monkeypatch, free: int) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _folder: shutil._ntuple_diskusage(10**12, 10**12 - free, free))


@pytest.mark.parametrize("name", ["n.nc", "n.npz", "n.csv"])
def test_a_network_file_without_room_is_refused_before_the_run(capsys, monkeypatch, name):
    import lifsim.network.run

    fake_free_room(monkeypatch, 65536)
    monkeypatch.setattr(lifsim.network.run, "simulate_spikes", lambda *a, **k: pytest.fail("the run started"))
    argv = ["network", "--n-exc", "2000", "--t-max", "1s", "--data", name, "--quiet"]
    rc, out, err = run_cli(capsys, argv)
    assert rc == 2 and out == "", err
    assert err.splitlines()[-1].startswith(f"lifsim: error: --data: '{name}' needs about ")
    assert err.splitlines()[-1].endswith(", and its folder has 64 KiB free")


def test_a_compressed_store_is_not_refused_for_its_uncompressed_size(capsys, monkeypatch):
    """A Zarr store's zstd shrinks a synchronous run's spikes 20-fold and more: no size before the run bounds it,
    so the store is checked as it is written (1.1 MiB here, of 38 MiB of arrays; 9.5 MiB was asked before)."""
    fake_free_room(monkeypatch, 4 * 2**20)
    for argv in (
        ["simulate", "--n", "20000", "--t-max", "2s", "--data", "s.zarr", "--quiet"],
        ["network", "--n-exc", "2000", "--t-max", "0.2s", "--data", "n.zarr", "--quiet"],
    ):
        rc, _out, err = run_cli(capsys, argv)
        assert rc == 0 and err == "", (argv, err)


def test_a_network_csv_says_before_the_run_what_it_will_not_hold():
    done = run_script(["network", "--n-exc", "400", "--t-max", "0.1s", "--data", "n.csv", "--quiet"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "lifsim: warning: --data: a .csv holds the per-step table only; the spikes and the per-neuron rates and CVs "
        "of this run will not be in it (.nc, .zarr or .npz keep everything)"
    ]
    quiet = run_script(["network", "--n-exc", "400", "--t-max", "0.1s", "--record-spikes", "none", "--data", "m.csv"])
    assert quiet.returncode == 0 and "warning" not in quiet.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "--grid", "i_mean=0:400pA:50", "--per-step", "--n", "2", "--t-max", "1s", "--data", "s.nc"],
        ["network", "--n-exc", "400", "--grid", "g=3:6:40", "--t-max", "0.1s", "--data", "p.nc"],
        ["fi", "--n", "2", "--points", "9", "--data", "f.npz"],
    ],
    ids=["sweep", "network-sweep", "fi"],
)
def test_a_sweep_file_without_room_is_refused_before_the_sweep(capsys, monkeypatch, argv):
    """A sweep's .nc (or an f-I table) met a full disk after every point had run."""
    import lifsim.sweeps

    fake_free_room(monkeypatch, 0)
    monkeypatch.setattr(lifsim.sweeps, "measure_point", lambda *a, **k: pytest.fail("a point ran"))
    rc, out, err = run_cli(capsys, [*argv, "--quiet"])
    assert rc == 2 and out == "", err
    assert f"lifsim: error: --data: '{argv[-1]}' needs about " in err and err.endswith(
        ", and its folder has 0 B free\n"
    )


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".nwb"])
def test_a_file_that_may_not_fit_is_warned_about_before_the_run(capsys, monkeypatch, suffix):
    """Room for the least the file needs (so not refused) but not for what it is expected to need: said before
    the run, which can be stopped then (it ran, and was lost at the write: No space left on device)."""
    from lifsim.simulation import expected_output_size

    if suffix == ".nwb":
        pytest.importorskip("pynwb")
    params, source = lifsim.LIFParams(t_max="0.5 s", dt="0.1 ms"), inputs.white_noise(sigma="5 mV")
    least = least_output_size(params, source, n=100, record_v="0:30")
    expected = expected_output_size(params, source, n=100, record_v="0:30")
    assert least < expected
    fake_free_room(monkeypatch, (least + expected) // 2)
    monkeypatch.setattr(lifsim.simulation, "simulate", lambda *a, **k: pytest.fail("stopped here: it was said"))
    argv = ["simulate", "--n", "100", "--t-max", "0.5s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
    with pytest.raises(pytest.fail.Exception):
        run_cli(capsys, [*argv, "--record-v", "0:30", "--data", f"run{suffix}"])
    err = capsys.readouterr().err
    assert f"lifsim: warning: --data: 'run{suffix}' is expected to need about" in err, err
    assert "it may not be written after the run" in err
