"""``lifsim network`` (issue 18) through the installed script: runs, files, rerun, one-line errors."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LIFSIM = shutil.which("lifsim") or str(Path(sys.executable).with_name("lifsim"))


def lifsim(*argv, cwd):
    return subprocess.run([LIFSIM, *argv], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_network_command_saves_reruns_and_plots(tmp_path):
    # the command, at a size for a shared test machine
    done = lifsim(
        "network",
        "--g",
        "5",
        "--eta",
        "2",
        "--t-max",
        "0.1s",
        "--n-exc",
        "400",
        "--data",
        "net.nc",
        "--plot",
        "net.png",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Brunel network: N_E 400, N_I 100, C_E 40, C_I 10, g 5, eta 2")
    assert any(
        line.strip().startswith("E: rate") and "theory" in line and "CV" in line and "synchrony" in line
        for line in lines
    )
    assert any(line.startswith("build ") and ", simulate " in line and line.endswith(" s") for line in lines)
    assert (tmp_path / "net.nc").stat().st_size > 0 and (tmp_path / "net.png").read_bytes()[:4] == b"\x89PNG"
    again = lifsim("rerun", "net.nc", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "reproduced bit for bit" in again.stdout
    refused = lifsim("network", "--n-exc", "400", "--t-max", "10ms", "--data", "net.nc", cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--g", "-1"], "--g: the relative inhibition must be in [0, 10000]"),
        (["--epsilon", "0"], "--epsilon: the connection probability must be in (0, 1]"),
        (["--delay", "0.05ms"], "--delay: 0.05 ms is shorter than the time step dt = 0.1 ms"),
        (["--delay", "1.55ms"], "--delay: 1.55 ms is not a whole number of time steps dt = 0.1 ms"),
        (["--dt", "0.3ms"], "--t-ref: 2 ms is not a whole number of time steps dt = 0.3 ms; choose a dt that divides"),
        (["--t-max", "0.05ms"], "--t-max: 0.05 ms must be at least one time step dt = 0.1 ms"),
        (
            ["--vth", "20"],
            "--vth: 20 V is far outside the usual range (-200 to 200 mV); plain numbers are SI units (V): did you "
            "mean 20mV?",
        ),
        (["--eta", "1e4"], "--eta: the external drive C_E nu_ext dt = 1e+04 events per neuron and step exceeds 500"),
        (
            ["--n-exc", "80000", "--epsilon", "1"],
            "--n-exc: the network of 100,000 neurons and 10,000,000,000 synapses needs about",
        ),
        (["--record-spikes", "some"], "--record-spikes: expected"),
        (["--engine", "cuda"], '--engine: expected "auto" or "numpy" or "numba", got \'cuda\''),
        (["--workers", "2"], "--workers: applies to a network sweep (--grid NAME=VALUES)"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler: applies to a network sweep (--grid NAME=VALUES)"),
        (
            ["--grid", "g=3,5", "--grid", "eta=1,2", "--grid", "j=0.1,0.2mV", "--plot", "p.png"],
            "--plot: a network sweep's phase diagram shows one or two swept names, this grid has 3 (g, eta, j)",
        ),
        (["--n-exc", "400", "--record-spikes", "0:99999"], "--record-spikes: 0:99999 reaches beyond the network's 500"),
        # a network's seed is a run's (lifsim simulate), a network sweep's a sweep's (lifsim sweep)
        (["--seed", str(2**300)], f"--seed: expected a whole number from 0 to 2**128 - 1, got {2**300}"),
        (["--seed", str(2**128)], f"--seed: expected a whole number from 0 to 2**128 - 1, got {2**128}"),
        (["--grid", "g=3,5", "--seed", str(2**96)], f"so its seed is at most 2**96 - 1, got {2**96}"),
        (["--grid", "g=3,5", "--seed", str(2**128 - 1)], f"so its seed is at most 2**96 - 1, got {2**128 - 1}"),
    ],
)
def test_bad_input_one_line_before_running(tmp_path, argv, needle):
    done = lifsim("network", *argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifsim: error: ") and needle in lines[0], lines
    assert "Traceback" not in done.stderr and done.stdout == ""


#: the unit hint a time step of seconds gets (lifsim.units.plain_number_hint), as lifsim simulate --dt 1 does
HINT = "plain numbers are SI units (s): did you mean"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--dt", "1s"], f"--dt: 1 s is longer than the synaptic delay (delay = 1.5 ms); {HINT} 1ms?"),
        (["--dt", "0.5"], f"--dt: 500 ms is longer than the synaptic delay (delay = 1.5 ms); {HINT} 0.5ms?"),
        (["--dt", "2", "--t-max", "1"], f"--dt: 2 s is longer than the run (t_max = 1 s); {HINT} 2ms?"),
        (
            ["--dt", "0.1", "--delay", "0.2", "--t-ref", "0", "--t-max", "0.35"],
            f"--dt: t_max = 350 ms is not a whole number of time steps dt = 100 ms; {HINT} 0.1ms?",
        ),
        (
            ["--dt", "0.1", "--delay", "0.1", "--t-ref", "0"],
            f"--dt: the external drive C_E nu_ext dt = 2000 events per neuron and step of 100 ms exceeds 500; {HINT}",
        ),
    ],
)
def test_a_time_step_of_seconds_is_blamed_on_dt_with_the_unit_hint(tmp_path, argv, needle):
    """`lifsim network --dt 1s` said "--delay: 1.5 ms is shorter than the time step dt = 1 s", blaming an option
    never given; `lifsim simulate --dt 1` blames --dt and says the unit."""
    from lifsim.network import BrunelParams

    done = lifsim("network", *argv, "--no-data", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("lifsim: error: " + needle), done.stderr
    keywords = {flag[2:].replace("-", "_"): value for flag, value in zip(argv[::2], argv[1::2])}
    with pytest.raises(ValueError, match="^dt: "):
        BrunelParams(**{name: float(value.rstrip("s")) for name, value in keywords.items()})


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--dt", "1e-300s"], "--dt: a step of 1e-300 s makes the run (t_max = 1.2 s) 1.2e+300 steps; at most 2,147,"),
        (["--dt", "1e-300s", "--t-max", "2s"], "--t-max: 2 s with dt = 1e-300 s is 2e+300 steps; at most 2,147,"),
        (["--t-max", "1e300"], "--t-max: 1e+300 s with dt = 0.1 ms is 1e+304 steps; at most 2,147,483,647"),
        (["--delay", "1e300"], "--delay: 1e+300 s is 1e+304 steps of dt = 0.1 ms; at most 2,147,483,647 (2**31 - 1)"),
        (["--t-ref", "1e300"], "--t-ref: 1e+300 s is 1e+304 steps of dt = 0.1 ms; at most 2,147,483,647 (2**31 - 1)"),
        (["--n-exc", "1e400"], "--n-exc: at most 1,073,741,824 neurons (int32 indices), got 1e+400"),
        (["--j", "2"], "--j: the synaptic weight must be in (0, 1 V] (1000 mV; 0.1 mV is Brunel's), got 2000 mV"),
    ],
)
def test_refusals_say_their_values_in_a_few_digits(tmp_path, argv, needle):
    """`lifsim network --dt 1e-300s` was refused as "--t-max: at most 2**31 - 1 steps, got 1199999999999999914..."
    (301 digits); --n-exc 1e400 printed its 401."""
    import re

    done = lifsim("network", *argv, "--no-data", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("lifsim: error: " + needle), done.stderr
    assert not re.search(r"\d{11}", done.stderr) and len(done.stderr) < 200, done.stderr


def test_a_delay_of_too_many_steps_for_memory_blames_the_delay_or_dt():
    """--dt 1e-9s made the 1.5 ms delay 1,500,000 steps, whose spike buffer does not fit: it was blamed on
    --n-exc ("use a smaller n_exc or epsilon")."""
    from lifsim.network import BrunelParams

    with pytest.raises(ValueError, match=r"^dt: the delay of 1\.5 ms is 1,500,000 steps of dt = 1 ns, whose"):
        BrunelParams(dt=1e-9).check_memory(available=1 << 30)
    with pytest.raises(ValueError, match=r"^delay: the delay of 100 s is 1,000,000 steps .* shorter delay$"):
        BrunelParams(delay=100.0, t_max=0.1).check_memory(available=1 << 30)


def test_saturation_warns_on_one_line(tmp_path):
    done = lifsim("network", "--g", "0", "--eta", "4", "--t-max", "5ms", "--quiet", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        line for line in done.stderr.splitlines() if line.startswith("lifsim: warning: ")
    ]
    assert "reaches 1/t_ref = 500 Hz" in done.stderr


# ------------------------------------------------------------------ the network's files go through the run's layers


def _flip_spike_bytes(path):
    """Change bytes inside the stored spike times (found by their value), as a bad disk would."""
    import numpy as np

    import lifsim.network as ln

    spikes = ln.load(path).dataset["spike_t"].values
    raw = bytearray(path.read_bytes())
    needle = np.ascontiguousarray(spikes[5:7]).tobytes()
    at = raw.find(needle)
    assert at > 0, "the spike times are stored uncompressed"
    raw[at + 3] ^= 0x10
    path.write_bytes(bytes(raw))


def _change_a_zarr_chunk(path):
    chunk = next(p for p in sorted((path / "spike_t" / "c").rglob("*")) if p.is_file())
    raw = bytearray(chunk.read_bytes())
    raw[-1] ^= 0x01
    chunk.write_bytes(bytes(raw))


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    ("name", "harm", "needle"),
    [
        ("net.nc", _flip_spike_bytes, "cannot read as a lifsim network result"),
        ("net.zarr", _change_a_zarr_chunk, "checksum"),
        ("net.npz", _truncate, "not a lifsim .npz file"),
    ],
)
def test_a_damaged_network_file_is_refused_in_one_line(tmp_path, name, harm, needle):
    """A network result is written and read by the run's own layers (NetCDF checksums, the Zarr store's manifest,
    the npz reader): a damaged file is one line from ``lifsim rerun`` and a ValueError from the API, never
    silently different numbers."""
    import lifsim.network as ln

    done = lifsim("network", "--n-exc", "200", "--t-max", "0.1s", "--data", name, "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = tmp_path / name
    assert ln.rerun(path)[1] == []  # whole: it reruns bit for bit
    harm(path)
    failed = lifsim("rerun", name, cwd=tmp_path)
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1, failed.stderr
    assert needle in failed.stderr and name in failed.stderr, failed.stderr
    with pytest.raises(ValueError, match=needle) as error:
        ln.load(path)
    assert "\n" not in str(error.value)


def test_a_network_store_is_not_read_as_a_run_or_a_sweep(tmp_path):
    import lifsim as package
    import lifsim.network as ln

    done = lifsim("network", "--n-exc", "200", "--t-max", "0.05s", "--data", "net.zarr", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with pytest.raises(ValueError, match=r"a lifsim network, not a run; read it with lifsim\.network\.load"):
        package.load(tmp_path / "net.zarr")
    with pytest.raises(ValueError, match=r"a lifsim network, not a sweep"):
        package.load_sweep(tmp_path / "net.zarr")
    assert (tmp_path / "net.zarr" / "lifsim-manifest.json").is_file()  # sealed by the store layer
    assert ln.load(tmp_path / "net.zarr").dataset["spike_t"].size > 0


def test_a_network_as_nwb_holds_every_neuron_its_spikes_and_the_theory(tmp_path):
    """``--data net.nwb``: pynwb reads one unit per neuron whose spike times are the ``.nc`` twin's, the
    population rates and the theory; a neuron left out by ``--record-spikes`` says so."""
    pynwb = pytest.importorskip("pynwb")
    import numpy as np

    import lifsim.network as ln

    argv = ("network", "--n-exc", "200", "--t-max", "0.1s", "--record-spikes", "E", "--quiet")
    for name in ("net.nwb", "net.nc"):
        done = lifsim(*argv, "--data", name, cwd=tmp_path)
        assert done.returncode == 0 and done.stderr == "", done.stderr
    twin = ln.load(tmp_path / "net.nc").dataset
    with pynwb.NWBHDF5IO(str(tmp_path / "net.nwb"), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert len(units) == 250 and list(units["population"][:200].unique()) == ["E"]
        assert units["spikes_recorded"][:200].all() and not units["spikes_recorded"][200:].any()
        # NWB's own word for it: a neuron whose spikes were left out was not observed (no claim of silence)
        assert all(np.array_equal(units["obs_intervals"][j], [[0.0, 0.1]]) for j in (0, 199))
        assert all(len(units["obs_intervals"][j]) == 0 for j in (200, 249))
        spike_t, spike_i = twin["spike_t"].values, twin["spike_i"].values
        for j in (0, 57, 199):
            assert np.array_equal(units["spike_times"][j], np.sort(spike_t[spike_i == j]))
        assert np.array_equal(units["rate"].values, twin["neuron_rate"].values)
        rate_e = nwb.processing["population"]["rate_E"].data[:]
        assert np.array_equal(rate_e, twin["population_rate"].values[0])
        theory = nwb.processing["theory"]["mean_field"].to_dataframe()
        assert theory["rate"][0] == float(twin["rate_theory"]) and theory["mu"][0] == float(twin["mu_theory"])
        statistics = nwb.processing["population"]["statistics"].to_dataframe()
        assert statistics["population"].tolist() == ["E", "I"]
        assert np.array_equal(statistics["mean_rate"].values, twin["rate"].values)
        assert '"g": 5.0' in nwb.notes
    again = lifsim(*argv, "--data", "net.nwb", cwd=tmp_path)  # an existing file: refused without --force
    assert again.returncode == 2 and "net.nwb" in again.stderr and again.stderr.count("\n") == 1, again.stderr


def test_help_offers_the_network_engines_only(tmp_path):
    done = lifsim("network", "--help", cwd=tmp_path)
    assert done.returncode == 0 and "--engine {auto,numpy,numba}" in done.stdout


def test_record_spikes_takes_counts_as_every_count_does():
    from lifsim.network.record import parse_record

    assert [parse_record(v) for v in ("1e3", "1000", "e", "i", "ALL")] == ["1000", "1000", "E", "I", "all"]


def test_a_count_above_both_populations_says_it_keeps_every_neuron(tmp_path):
    """`--record-spikes 5000` of 1,000 + 250 neurons was taken silently: a count keeps at most K of each
    population (by design, for a K kept at every size), and one above both says, before the run, that it is all."""
    import warnings

    import lifsim as package  # beside this module's lifsim(), the command
    from lifsim.errors import LifsimWarning

    said = "--record-spikes: 5,000 is more than either population has (400 E, 100 I), so every neuron's spikes"
    done = lifsim("network", "--n-exc", "400", "--t-max", "20ms", "--record-spikes", "5000", "-q", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr.startswith("lifsim: warning: " + said), done.stderr
    assert done.stderr.count("\n") == 1
    within = lifsim("network", "--n-exc", "400", "--t-max", "20ms", "--record-spikes", "400", "-q", cwd=tmp_path)
    assert (within.returncode, within.stderr) == (0, "")  # all of E and 100 of 100 I: what a count is for
    with pytest.warns(LifsimWarning, match="^record_spikes: 5,000 is more than either population"):
        package.network(n_exc=400, t_max=0.02, record_spikes=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LifsimWarning)
        package.network(n_exc=400, t_max=0.02, record_spikes=400)


def test_the_numpy_build_is_estimated_at_its_own_peak():
    """The reference build sorts int64 sources (about 29 bytes a synapse measured): refused before the build with
    a pointer to the numba engine, where the numba build (4 bytes a synapse) fits."""
    from lifsim.network import BrunelParams

    params = BrunelParams(n_exc=16000, epsilon=0.5)
    room = 2 * 2**30
    params.check_memory(available=room, engine="numba")
    with pytest.raises(ValueError, match=r"^n_exc: .* or the numba engine \(its build needs 4 bytes a synapse"):
        params.check_memory(available=room, engine="numpy")


def test_the_summary_says_why_a_statistic_is_missing_and_what_synchrony_counted(tmp_path):
    small = ["--n-exc", "400", "--epsilon", "0.5"]
    counted = lifsim("network", *small, "--t-max", "0.2s", cwd=tmp_path).stdout.splitlines()
    assert counted[2].endswith(" of 400 neurons") and counted[3].endswith(" of 100 neurons"), counted
    short = lifsim("network", *small, "--t-max", "1.5ms", cwd=tmp_path).stdout.splitlines()
    assert "synchrony none (the window is shorter than a 1 ms bin)" in short[2], short
    assert "CV none (no neuron with three spikes in the window)" in short[2], short
    silent = lifsim("network", *small, "--t-max", "0.2s", "--eta", "0.5", cwd=tmp_path).stdout.splitlines()
    assert silent[2].startswith("  E: rate 0.00 Hz (theory 0.00 Hz), CV none"), silent  # not "-100.0%"
    assert "synchrony none (no spikes in the window)" in silent[2]


def test_rerun_compares_every_array_of_a_network_file(tmp_path):
    """A network .npz without checksums (written before them) whose rate was edited passed as bit for bit: only the
    spikes, population rates and neuron rates were compared."""
    import numpy as np

    done = lifsim("network", "--n-exc", "400", "--t-max", "0.1s", "--data", "n.npz", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    members = dict(np.load(tmp_path / "n.npz"))
    del members["lifsim_sha256"]
    members["cv"] = members["cv"] * 1.001
    np.savez(tmp_path / "edited.npz", **members)
    again = lifsim("rerun", "edited.npz", cwd=tmp_path)
    # a cv that is not the mean of neuron_cv is refused as it is read, before the rerun runs
    assert again.returncode == 2 and "cv does not follow from neuron_cv" in again.stderr, again.stderr


def test_record_spikes_takes_a_range_in_scientific_notation():
    from lifsim.network.record import parse_record

    assert parse_record("1e3:2e3") == "1000:2000"
    with pytest.raises(ValueError, match="record_spikes: expected"):
        parse_record("2e3:1e3")


def test_a_file_with_the_old_theory_names_loads_and_reruns_under_the_new(tmp_path):
    """A network run saved `theory_rate`, `theory_mu`, `theory_sigma` while a network sweep says `rate_theory`, ...;
    the run's names are now the sweep's, and a file written before reads under them (and reruns bit for bit)."""
    from lifsim.netcdf_io import write_dataset
    from lifsim.network import load

    assert (
        lifsim("network", "--n-exc", "400", "--t-max", "0.1s", "--data", "new.nc", "--quiet", cwd=tmp_path).returncode
        == 0
    )
    new = load(tmp_path / "new.nc").dataset
    assert {"rate_theory", "mu_theory", "sigma_theory"} <= set(new.variables)
    old = new.rename({"rate_theory": "theory_rate", "mu_theory": "theory_mu", "sigma_theory": "theory_sigma"})
    write_dataset(old, tmp_path / "old.nc")
    assert float(load(tmp_path / "old.nc").dataset["rate_theory"]) == float(new["rate_theory"])
    done = lifsim("rerun", "old.nc", cwd=tmp_path)
    assert done.returncode == 0 and "reproduced bit for bit" in done.stdout, done.stderr


def test_a_run_too_long_for_memory_blames_t_max_and_says_its_unit(tmp_path):
    """A NEST user's --t-max 12000 (meant as ms) is 12,000 s: the spikes, not the synapses, are what does not fit.
    It was blamed on --n-exc, and no unit slip was said for t_max (as it is for --tau 20 or --j 0.1)."""
    done = lifsim("network", "--t-max", "12000", "--no-plot", "--no-data", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    warning, error = done.stderr.splitlines()
    assert warning.startswith("lifsim: warning: --t-max: 12000 s is far outside the usual range (up to 100 s)")
    assert error.startswith("lifsim: error: --t-max: the spikes of 12,500 neurons over 12000 s"), error
    assert "run shorter (t_max is in seconds" in error


def test_the_memory_estimate_counts_a_fast_states_spikes():
    """The SR state fires at about 333 Hz; spikes were counted at 100 Hz, 3.3 times too few."""
    from lifsim.network import BrunelParams
    from lifsim.network.model import expected_rate, spike_memory
    from lifsim.network.theory import memory_rate

    fast = BrunelParams(g=3, eta=2)
    assert expected_rate(memory_rate(fast)) >= 333
    assert spike_memory(fast, theory_rate=memory_rate(fast)) >= 2 * 12 * fast.n * 333 * fast.t_max
    slow = BrunelParams(g=5, eta=2)
    assert expected_rate(memory_rate(slow)) == 100.0  # the AI state's 38 Hz: the floor


def test_a_network_run_from_a_config_file_records_it(tmp_path):
    """The run's provenance said "config": null when its options came from --config run.toml."""
    import lifsim

    assert lifsim_ok(tmp_path, "init", "net.toml", "--for", "network")
    text = (tmp_path / "net.toml").read_text().replace('t_max = "1.2 s"', 't_max = "0.1 s"')
    (tmp_path / "net.toml").write_text(text)
    assert lifsim_ok(tmp_path, "network", "--config", "net.toml", "--n-exc", "400", "--no-plot", "--quiet")
    config = lifsim.network.load(str(tmp_path / "network.nc")).provenance["config"]
    assert config is not None and config["t_max"] == "0.1 s"


def lifsim_ok(cwd, *argv):
    done = lifsim(*argv, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return True


def test_the_init_templates_grid_line_runs_and_a_sweep_takes_record_spikes_none(tmp_path):
    """`lifsim init --for network` wrote record_spikes = "all" uncommented, so uncommenting its grid line was always
    refused ("a network sweep keeps ... not spikes"), and so was --record-spikes none with --grid."""
    assert lifsim("init", "run.toml", "--for", "network", cwd=tmp_path).returncode == 0
    text = (tmp_path / "run.toml").read_text()
    assert 'record_spikes = "all"' not in text
    edits = {"# grid = ": 'grid = ["g=4,5"]', "n_exc = ": "n_exc = 400", "t_max = ": 't_max = "20 ms"'}
    lines = [next((new for old, new in edits.items() if line.startswith(old)), line) for line in text.splitlines()]
    lines = [line for line in lines if not line.startswith("plot = ")] + ['record_spikes = "all"']  # an older file's
    (tmp_path / "run.toml").write_text("\n".join(lines) + "\n")
    done = lifsim("network", "--config", "run.toml", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    flags = ["--n-exc", "400", "--t-max", "0.02s", "--no-data", "--quiet", "--grid", "g=4,5"]
    done = lifsim("network", *flags, "--record-spikes", "none", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    refused = lifsim("network", *flags, "--record-spikes", "E", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "not spikes" in refused.stderr


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--g", "1e200", "--g: the relative inhibition must be in [0, 10000], got 1e+200"),
        ("--g", "1e20", "--g: the relative inhibition must be in [0, 10000], got 1e+20"),
        ("--j", "1e300", "--j: the synaptic weight must be in (0, 1 V]"),
    ],
)
def test_huge_g_or_j_is_refused_naming_the_option_and_its_range(tmp_path, flag, value, message):
    """--g 1e200 printed "(34, 'Numerical result out of range')", --g 1e20 the quadrature's raw words."""
    done = lifsim("network", flag, value, "--n-exc", "1000", "--t-max", "0.01s", "--no-data", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


#: what a spike selection may be, in every refusal of one
ACCEPTED = "'all', 'none', 'E', 'I', a count K (the first K neurons of each population) or a range START:STOP"


def _refusal(stderr):
    """The one error line of ``stderr`` split at its label: (where the value came from, what is accepted)."""
    (line,) = stderr.splitlines()
    assert line.startswith("lifsim: error: ") and "Traceback" not in stderr, stderr
    label, _, rest = line[len("lifsim: error: ") :].partition(": expected ")
    return label, rest.rpartition(", got ")[0]


@pytest.mark.parametrize(
    ("toml", "text"),
    [("false", "false"), ("true", "true"), ("[0, 5]", "0,5"), ('"0:10:2"', "0:10:2"), ('"some"', "some")],
)
def test_a_config_files_record_spikes_is_refused_as_the_option_is(tmp_path, toml, text):
    """A config's record_spikes took false (none) and true (all), which --record-spikes refuses, and an integer
    count was refused with the accepted forms of --record-v (a list, "i,j,k", false): one parser serves both."""
    (tmp_path / "run.toml").write_text(f'n_exc = 100\nepsilon = 0.2\nt_max = "10 ms"\nrecord_spikes = {toml}\n')
    config = lifsim("network", "--config", "run.toml", "--no-data", "-q", cwd=tmp_path)
    option = lifsim("network", "--n-exc", "100", "--t-max", "10ms", "--record-spikes", text, "-q", cwd=tmp_path)
    assert config.returncode == option.returncode == 2, (config.stderr, option.stderr)
    assert _refusal(config.stderr) == ("--config: 'run.toml': key 'record_spikes'", ACCEPTED)
    assert _refusal(option.stderr) == ("--record-spikes", ACCEPTED)


def test_a_config_files_record_spikes_takes_what_the_option_takes(tmp_path):
    """A count (an integer in TOML, as --record-spikes 5) keeps the first 5 neurons of each population."""
    import lifsim as package

    (tmp_path / "run.toml").write_text('n_exc = 100\nepsilon = 0.2\nt_max = "50 ms"\nrecord_spikes = 5\n')
    assert lifsim_ok(tmp_path, "network", "--config", "run.toml", "--data", "c.npz", "-q")
    flags = ["--n-exc", "100", "--epsilon", "0.2", "--t-max", "50ms", "--data", "o.npz", "-q"]
    assert lifsim_ok(tmp_path, "network", *flags, "--record-spikes", "5")
    kept = [package.network.load(tmp_path / name).dataset["spike_i"].values for name in ("c.npz", "o.npz")]
    assert set(kept[0]) == set(kept[1]) and set(kept[0]) <= {*range(5), *range(100, 105)} and kept[0].size


def test_the_csv_writes_the_grids_times_without_float_noise(tmp_path):
    """`lifsim network --data n.csv` wrote 0.00030000000000000003 for the end of the third step of 0.1 ms: the times
    are now (k + 1) dt in decimal, each reading back to the run's float time within an ulp."""
    import numpy as np

    import lifsim as package

    flags = ["--n-exc", "100", "--epsilon", "0.2", "--t-max", "50ms", "-q"]
    assert lifsim_ok(tmp_path, "network", *flags, "--data", "n.csv", "--no-plot")
    rows = [line.split(",") for line in (tmp_path / "n.csv").read_text().splitlines() if not line.startswith("#")]
    assert rows[0] == ["time (s)", "rate_E (Hz)", "rate_I (Hz)"] and len(rows) == 1 + 500
    times = [row[0] for row in rows[1:]]
    assert times[:3] == ["0.0001", "0.0002", "0.0003"] and times[9] == "0.001" and times[-1] == "0.05"
    assert times == [np.format_float_positional(k / 10_000, trim="-") for k in range(1, 501)]
    quarter = package.network(n_exc=100, epsilon=0.2, t_max=0.05, dt="0.25 ms", engine="numpy")
    quarter.save(tmp_path / "q.csv")
    lines = [line for line in (tmp_path / "q.csv").read_text().splitlines() if not line.startswith("#")][1:]
    texts = [line.split(",")[0] for line in lines]
    assert texts[:5] == ["0.00025", "0.0005", "0.00075", "0.001", "0.00125"] and texts[-1] == "0.05"
    np.testing.assert_allclose([float(t) for t in texts], quarter.dataset["time"].values, rtol=1e-15, atol=0)


def test_the_network_template_says_each_heading_once_and_loads(tmp_path):
    """`lifsim init --for network x.toml` wrote "# --- model parameters" and "# --- run" twice each (the option table
    interleaves the network's groups); the written file runs as it is, its size given on the command line."""
    from lifsim.cli.config import template

    assert lifsim_ok(tmp_path, "init", "--for", "network", "x.toml")
    lines = (tmp_path / "x.toml").read_text().splitlines()
    headings = [line for line in lines if line.startswith("# --- ")]
    assert len(headings) == len(set(headings)) == 4, headings
    assert [h.split(" (")[0] for h in headings] == ["# --- model parameters", "# --- network sweep", "# --- run",
                                                     "# --- output"]  # fmt: skip
    keys = [line.split(" = ")[0].lstrip("# ") for line in lines if " = " in line and not line.startswith("#   ")]
    assert len(keys) == len(set(keys)), keys
    flags = ["--n-exc", "100", "--epsilon", "0.2", "--t-max", "20ms", "--no-plot", "-q"]
    assert lifsim_ok(tmp_path, "network", "--config", "x.toml", *flags)
    assert (tmp_path / "network.nc").exists()  # the file's data key, beside it
    for command in ("simulate", "fi", "sweep", "network"):  # one heading per group in every template
        written = [line for line in template(command).splitlines() if line.startswith("# --- ")]
        assert len(written) == len(set(written)), (command, written)
