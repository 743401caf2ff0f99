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
    assert err.splitlines()[-1].startswith(f"lifsim: error: --data: '{name}' needs at least ")
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
    assert f"lifsim: error: --data: '{argv[-1]}' needs at least " in err and err.endswith(
        ", and its folder has 0 B free\n"
    )


@pytest.mark.parametrize("name", list(RUNS))
@pytest.mark.parametrize("suffix", [".npz", ".nc", ".nwb", ".zarr"])
def test_the_least_size_of_each_format_is_at_most_what_its_file_takes(tmp_path, name, suffix):
    """The one estimate per format that the refusal before a run uses: never more than the file written."""
    from lifsim.simulation import least_file_sizes

    if suffix == ".nwb":
        pytest.importorskip("pynwb")
    params_changes, source, n = RUNS[name]
    params = lifsim.LIFParams(**params_changes)
    extra = dict(record_v="0:20", snapshots=["0.1 s"]) if name == "traces and snapshots" else {}
    least = least_file_sizes(params, source, n=n, seed=3, **extra)[suffix]
    path = lifsim.simulate(params, source, n=n, seed=3, progress=False, **extra).save(tmp_path / f"run{suffix}")
    written = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    assert least <= written, (least, written)


#: for each format, a run whose file cannot fit in 1 MiB by its format's lower bound (refused before it runs)
TOO_BIG = {
    ".nc": "--n 20000 --t-max 0.5s",
    ".npz": "--n 20000 --t-max 0.5s",
    ".nwb": "--n 20000 --t-max 0.5s",
    ".csv": "--n 10 --t-max 2s",
    ".zarr": "--n 1e6 --t-max 1s",
}


@pytest.mark.parametrize("suffix", list(TOO_BIG))
def test_a_file_that_cannot_fit_is_refused_before_the_run_on_a_real_small_disk(tmp_path, suffix):
    """On a 2 MiB tmpfs a warning said 'expected to need about 3.36 MiB ... may not be written after the run', then
    an error 'needs about 3.21 MiB' (.nc), or the run went ahead and failed at the write (.npz): two numbers, two
    verdicts, and .zarr and .nwb unchecked.  One check now, one lower bound per format, before anything runs."""
    from cli_helpers import run_on_small_disk

    if suffix == ".nwb":
        pytest.importorskip("pynwb")
    argv = ["simulate", *TOO_BIG[suffix].split(), "--input", "white", "--sigma", "5mV", "--i-mean", "200pA"]
    argv += ["--t-ref", "2ms", "--dt", "0.1ms", "--data", f"small/x{suffix}", "-q"]
    rc, out, err, left = run_on_small_disk(argv, tmp_path, size="1m", timeout=120)
    lines = [line for line in err.splitlines() if "a .csv holds the per-step table only" not in line]
    assert rc == 2 and out == "" and len(lines) == 1, err
    assert lines[0].startswith(f"lifsim: error: --data: 'small/x{suffix}' needs at least "), err
    assert lines[0].endswith(", and its folder has 1 MiB free"), err
    assert left == []


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".nwb"])
def test_a_file_that_may_not_fit_is_warned_about_before_the_run_and_only_warned(capsys, monkeypatch, suffix):
    """Room for the least the file needs (so not refused) but not for what it is expected to need (its spikes at
    the theory's rate): said before the run, which can be stopped then rather than lost at the write after an
    hour; one line, no refusal beside it with another number."""
    from lifsim.simulation import expected_output_size, least_file_sizes

    if suffix == ".nwb":
        pytest.importorskip("pynwb")
    params, source = lifsim.LIFParams(t_max="0.5 s", dt="0.1 ms"), inputs.white_noise(sigma="5 mV")
    least = least_file_sizes(params, source, n=100, record_v="0:30")[suffix]
    expected = expected_output_size(params, source, n=100, record_v="0:30")
    assert least < expected
    fake_free_room(monkeypatch, (least + expected) // 2)
    monkeypatch.setattr(lifsim.simulation, "simulate", lambda *a, **k: pytest.fail("stopped here: it was said"))
    argv = ["simulate", "--n", "100", "--t-max", "0.5s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
    with pytest.raises(pytest.fail.Exception):
        run_cli(capsys, [*argv, "--record-v", "0:30", "--data", f"run{suffix}"])
    err = capsys.readouterr().err
    assert f"lifsim: warning: --data: 'run{suffix}' is expected to need about" in err, err
    assert "the run may not be written at its end" in err and "error" not in err, err
