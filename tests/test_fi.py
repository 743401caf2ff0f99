"""The f-I curve: lifsim.fi_curve against theory, theory's hand values, and ``lifsim fi``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, in_tmp, run_ok  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import theory
from lifsim.cli import main
from lifsim.sweeps import fi_curve

# ------------------------------------------------------------------ theory hand values


def test_fi_deterministic_hand_value():
    # mu = -60 mV + 100 MOhm * 250 pA = -35 mV: period tau ln((mu - V_r) / (mu - V_th)) = 20 ms ln(35/15)
    params = lifsim.LIFParams(t_ref=0.0)
    expected = 1 / (0.02 * np.log(35 / 15))
    assert float(theory.fi_deterministic(params, 250e-12)) == pytest.approx(expected, rel=1e-12)
    # i_mean defaults to params.i_mean (250 pA)
    assert float(theory.fi_deterministic(params)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("t_ref", [1e-3, 2e-3, 5e-3])
def test_fi_deterministic_refractory_adds_to_period(t_ref):
    params = lifsim.LIFParams(t_ref=t_ref)
    period = t_ref + 0.02 * np.log(35 / 15)
    assert float(theory.fi_deterministic(params, 250e-12)) == pytest.approx(1 / period, rel=1e-12)
    base = float(theory.fi_deterministic(params.replace(t_ref=0.0), 250e-12))
    assert 1 / float(theory.fi_deterministic(params, 250e-12)) - 1 / base == pytest.approx(t_ref, rel=1e-9)


def test_fi_deterministic_array_and_rheobase():
    params = lifsim.LIFParams()
    currents = np.array([[0.0, 50e-12], [99e-12, 400e-12]])
    rate = theory.fi_deterministic(params, currents)
    assert rate.shape == (2, 2)
    # rheobase: E_L + R I = V_th at I = 100 pA
    np.testing.assert_array_equal(rate[0], [0.0, 0.0])
    assert rate[1, 0] == 0.0
    # 400 pA: mu = -20 mV, period 20 ms ln(50/30)
    assert rate[1, 1] == pytest.approx(1 / (0.02 * np.log(50 / 30)))


def test_fi_grid_hand_values():
    # dt = 0.1 ms: the Euler neuron at 250 pA fires on the 170th step after reset
    params = lifsim.LIFParams(dt=1e-4, t_max=0.15)
    assert float(theory.fi_grid(params, 250e-12)) == pytest.approx(1 / (170 * 1e-4), rel=1e-12)
    # t_ref = 2 ms adds 20 steps
    assert float(theory.fi_grid(params.replace(t_ref=2e-3), 250e-12)) == pytest.approx(1 / (190 * 1e-4), rel=1e-12)
    # exact update: floor(ln(15/35) / (-dt/tau)) + 1 = 170 too
    assert float(theory.fi_grid(params, 250e-12, "exact")) == pytest.approx(1 / (170 * 1e-4), rel=1e-12)
    assert float(theory.fi_grid(params, 50e-12)) == 0.0
    with pytest.raises(ValueError, match="method"):
        theory.fi_grid(params, 250e-12, "rk4")


def test_fi_grid_approaches_continuous_theory():
    currents = np.array([1.5e-10, 2.5e-10, 4e-10])
    params = lifsim.LIFParams(t_max=1.0, dt=1e-6, t_ref=2e-3)
    np.testing.assert_allclose(theory.fi_grid(params, currents), theory.fi_deterministic(params, currents), rtol=1e-3)


def test_siegert_small_noise_approaches_deterministic():
    params = lifsim.LIFParams(t_ref=2e-3)
    rate = theory.siegert_rate(params, 0.1e-3, 250e-12)
    assert rate == pytest.approx(float(theory.fi_deterministic(params, 250e-12)), rel=0.01)
    # noise lets a subthreshold neuron fire
    assert theory.siegert_rate(params, 5e-3, 50e-12) > 0.0


# ------------------------------------------------------------------ fi_curve

CURRENTS = [1.5e-10, 2.5e-10, 4e-10]


@pytest.fixture(scope="module")
def noise_free_curve():
    params = lifsim.LIFParams(t_max=1.0, dt=1e-5, t_ref=2e-3)
    return fi_curve(params, CURRENTS, n=1)


def test_fi_curve_matches_deterministic_theory(noise_free_curve):
    curve = noise_free_curve
    expected = theory.fi_deterministic(curve.params, np.array(CURRENTS))
    assert np.all(curve.rate > 0)
    np.testing.assert_allclose(curve.rate, expected, rtol=0.005)
    np.testing.assert_array_equal(curve.rate_theory_continuous, expected)


def test_fi_curve_equals_grid_theory(noise_free_curve):
    curve = noise_free_curve
    grid = theory.fi_grid(curve.params, np.array(CURRENTS))
    np.testing.assert_allclose(curve.rate, grid, rtol=1e-9)
    np.testing.assert_array_equal(curve.rate_theory, grid)
    # a regular train: no spread of the ISIs beyond round-off
    assert np.all(curve.rate_sem < 1e-6 * curve.rate)


def test_fi_curve_fields(noise_free_curve):
    curve = noise_free_curve
    np.testing.assert_array_equal(curve.i, CURRENTS)
    assert curve.sigma is None and curve.n == 1 and curve.method == "euler"
    assert curve.window == pytest.approx((0.1, 0.99999))
    table = curve.table()
    assert list(table) == ["i", "rate", "rate_sem", "rate_theory", "rate_theory_continuous"]
    assert all(column.shape == (3,) for column in table.values())


def test_fi_curve_zero_below_rheobase():
    params = lifsim.LIFParams(t_max=0.3, dt=1e-4, t_ref=2e-3)
    curve = fi_curve(params, [0.0, 50e-12, 99e-12], n=1, transient=0.0)
    np.testing.assert_array_equal(curve.rate, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(curve.rate_theory, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(curve.rate_theory_continuous, [0.0, 0.0, 0.0])


def test_fi_curve_exact_method():
    params = lifsim.LIFParams(t_max=0.3, dt=1e-4, t_ref=2e-3)
    curve = fi_curve(params, CURRENTS, n=1, method="exact")
    np.testing.assert_allclose(curve.rate, theory.fi_grid(params, np.array(CURRENTS), "exact"), rtol=1e-9)


def test_fi_curve_with_noise():
    params = lifsim.LIFParams(t_max=0.5, dt=1e-4, t_ref=2e-3)
    curve = fi_curve(params, [0.0, 2.5e-10], n=40, sigma="5 mV", seed=1)
    assert curve.sigma == pytest.approx(5e-3)
    np.testing.assert_allclose(
        curve.rate_theory_continuous, theory.siegert_rate(params, 5e-3, np.array([0.0, 2.5e-10]))
    )
    np.testing.assert_allclose(curve.rate_theory, theory.grid_rate(params, 5e-3, np.array([0.0, 2.5e-10])))
    assert np.all(curve.rate > 0)
    assert np.all(curve.rate_sem > 0)
    assert curve.rate[1] == pytest.approx(curve.rate_theory[1], rel=0.15)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"currents": []}, "currents"),
        ({"currents": [np.nan]}, "currents"),
        ({"transient": 2.0}, "transient"),
        ({"transient": 0.0099}, "transient"),  # = (steps - 1) dt: nothing left to count
        ({"transient": -0.01}, "transient"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": "-1 mV"}, "sigma"),
    ],
)
def test_fi_curve_bad_input(kwargs, needle):
    params = lifsim.LIFParams(t_max=0.01, dt=1e-4)
    args = {"currents": [2.5e-10], "n": 1, "transient": 0.0}
    args.update(kwargs)
    currents = args.pop("currents")
    with pytest.raises(ValueError, match=needle):
        fi_curve(params, currents, **args)


# ------------------------------------------------------------------ the CLI

BASE = ["fi", "--t-ref", "2ms", "--n", "1", "--points", "3", "--t-max", "0.3s"]


def test_cli_fi_npz_and_png(capsys, tmp_path):
    out = run_ok(capsys, BASE + ["--data", str(tmp_path / "fi.npz"), "--plot", str(tmp_path / "fi.png"), "--quiet"])
    assert out == ""
    with np.load(tmp_path / "fi.npz", allow_pickle=False) as data:
        table = {name: data[name] for name in data.files}
    meta = json.loads(str(table.pop("meta")))  # every file lifsim writes carries its provenance
    assert set(json.loads(str(table.pop("lifsim_sha256")))) == {*table, "meta"}  # and every member's checksum
    assert meta["kind"] == "f-I curve" and meta["n"] == 1 and meta["params"]["t_ref"] == 2e-3
    assert meta["command"].startswith("lifsim fi ") and meta["lifsim_version"]
    assert set(table) == {"i", "rate", "rate_sem", "rate_theory", "rate_theory_continuous"}
    assert all(column.shape == (3,) for column in table.values())
    np.testing.assert_allclose(table["i"], [0.0, 200e-12, 400e-12])
    params = lifsim.LIFParams(t_max=0.3, dt=1e-4, t_ref=2e-3)
    np.testing.assert_allclose(table["rate_theory"], theory.fi_grid(params, table["i"]), rtol=1e-12)
    np.testing.assert_allclose(table["rate_theory_continuous"], theory.fi_deterministic(params, table["i"]), rtol=1e-12)
    # noise-free: the simulated rate is the grid theory
    np.testing.assert_allclose(table["rate"], table["rate_theory"], rtol=1e-9)
    # the file says what each theory column is, in the sweep's words
    assert meta["columns"]["rate_theory"].startswith("theory of the simulated grid")
    assert meta["columns"]["rate_theory_continuous"].startswith("continuous-time theory")
    assert table["rate"][0] == 0.0
    png = (tmp_path / "fi.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_cli_fi_csv(capsys, tmp_path):
    run_ok(capsys, BASE + ["--data", "fi.csv", "--quiet"])
    lines = (tmp_path / "fi.csv").read_text().splitlines()
    comments = [line for line in lines if line.startswith("# ")]
    assert any(line.startswith('# kind: "f-I curve"') for line in comments)
    assert any(line.startswith("# params: ") for line in comments)
    lines = lines[len(comments) :]
    header, rows = lines[0], lines[1:]
    assert "(A)" in header and "(Hz)" in header
    names = [name.split(" ")[0] for name in header.split(",")]
    assert names == ["i", "rate", "rate_sem", "rate_theory", "rate_theory_continuous"]
    assert len(rows) == 3
    table = np.loadtxt(tmp_path / "fi.csv", delimiter=",", skiprows=len(comments) + 1)
    assert table.shape == (3, 5)
    # the same run as .npz: same numbers (written with full precision)
    run_ok(capsys, BASE + ["--data", "fi.npz", "--quiet"])
    with np.load(tmp_path / "fi.npz") as data:
        np.testing.assert_array_equal(table[:, 0], data["i"])
        np.testing.assert_array_equal(table[:, 1], data["rate"])
        np.testing.assert_array_equal(table[:, 3], data["rate_theory"])
        np.testing.assert_array_equal(table[:, 4], data["rate_theory_continuous"])


def test_cli_fi_prints_table(capsys):
    out = run_ok(capsys, BASE)
    lines = out.strip().splitlines()
    assert len(lines) == 4
    assert "(pA)" in lines[0] and "(Hz)" in lines[0]
    assert [float(line.split()[0]) for line in lines[1:]] == [0.0, 200.0, 400.0]


def test_cli_fi_with_noise(capsys, tmp_path):
    run_ok(
        capsys,
        [
            "fi",
            "--t-ref",
            "2ms",
            "--n",
            "50",
            "--points",
            "3",
            "--sigma",
            "5mV",
            "--t-max",
            "0.6s",
            "--data",
            "fi.npz",
            "--quiet",
        ],
    )
    with np.load(tmp_path / "fi.npz") as data:
        rate, grid, sem = data["rate"], data["rate_theory"], data["rate_sem"]
    assert np.all(rate > 0)
    assert np.all(sem > 0)
    active = grid > 5.0
    assert active.sum() == 2
    np.testing.assert_allclose(rate[active], grid[active], rtol=0.15)


BAD_CLI = {
    "points-1": (["--points", "1"], "--points"),
    "points-0": (["--points", "0"], "--points"),
    "i-max-below-i-min": (["--i-min", "200pA", "--i-max", "100pA"], "--i-max"),
    "i-max-equal-i-min": (["--i-min", "200pA", "--i-max", "200pA"], "--i-max"),
    "i-min-not-a-current": (["--i-min", "3mV"], "--i-min"),
    "sigma-negative": (["--sigma", "-1mV"], "--sigma"),
    "sigma-zero": (["--sigma", "0"], "--sigma"),
    "data-txt": (["--data", "out.txt"], "--data"),
    "plot-txt": (["--plot", "out.txt"], "--plot"),
    "transient-too-long": (["--transient", "2s"], "--transient"),
}


@pytest.mark.parametrize("extra, needle", list(BAD_CLI.values()), ids=list(BAD_CLI))
def test_cli_fi_bad_input(capsys, tmp_path, extra, needle):
    rc = main(BASE + extra + ["--quiet"])
    out, err = capsys.readouterr()
    assert_one_line_error(rc, err, needle)
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("transient", ["2s", "-1ms", "0.3s"])
def test_cli_fi_bad_transient_fails_cleanly(capsys, tmp_path, transient):
    rc = main(BASE + ["--transient", transient, "--data", "fi.npz", "--quiet"])
    out, err = capsys.readouterr()
    assert_one_line_error(rc, err, "transient")
    assert not (tmp_path / "fi.npz").exists()


def test_a_curve_draws_its_figure_as_a_run_does(noise_free_curve, tmp_path):
    import matplotlib.pyplot as plt

    figure = noise_free_curve.plot(tmp_path / "fi.png")
    assert (tmp_path / "fi.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axis = figure.axes[0]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("mean input current $I_{mean}$ (pA)", "firing rate (Hz)")
    assert not plt.fignum_exists(figure.number)  # closed once saved
    with pytest.raises(ValueError, match=r"^path: "):
        noise_free_curve.plot(tmp_path / "fi.txt")
    assert not (tmp_path / "fi.txt").exists()


def test_a_current_slip_in_the_curve_names_the_curves_own_options():
    from cli_helpers import run_script

    done = run_script(["fi", "--i-max", "1A", "--n", "5", "--t-max", "0.3s", "--points", "2", "--quiet"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("lifsim: warning: --i-min/--i-max: 1 A is far outside the usual")


def test_a_rounded_refractory_period_is_compared_with_the_period_that_ran():
    """--round-steps ran t_ref 1.4 ms as 1 step of 1 ms, and the theory columns were computed for 1.4 ms."""
    import warnings

    from lifsim.errors import PlausibilityWarning

    base = dict(t_max="0.3 s", dt="1 ms")
    exact = lifsim.fi_curve(lifsim.LIFParams(**base, t_ref="1 ms"), ["0 pA", "400 pA"], n=20, sigma="5 mV")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rounded = lifsim.fi_curve(
            lifsim.LIFParams(**base, t_ref="1.4 ms", round_steps=True), ["0 pA", "400 pA"], n=20, sigma="5 mV"
        )
    assert np.array_equal(rounded.rate, exact.rate)
    assert np.array_equal(rounded.rate_theory, exact.rate_theory)
    assert np.array_equal(rounded.rate_theory_continuous, exact.rate_theory_continuous)
    notes = {str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)}
    assert notes == {"round_steps: t_ref = 1.4 ms is 1.4 steps of dt; rounded to 1 steps (1 ms)"}


def test_the_table_and_the_sweep_store_name_the_theory_alike(tmp_path):
    """`lifsim fi --data t.csv` and `--data s.zarr` (the sweep store) of one curve: rate_theory is the grid theory
    in both (an f-I table's rate_theory was the continuous one, the store's the grid one: one name, two numbers)."""
    from cli_helpers import run_script

    args = ["fi", "--n", "20", "--points", "3", "--sigma", "5mV", "--t-max", "0.3s", "--quiet"]
    for extra in (["--data", "t.csv"], ["--data", "s.zarr"]):
        done = run_script(args + extra, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    lines = [line for line in (tmp_path / "t.csv").read_text().splitlines() if not line.startswith("#")]
    names = [name.split(" ")[0] for name in lines[0].split(",")]
    table = dict(zip(names, np.loadtxt(lines[1:], delimiter=",", ndmin=2).T))
    store = lifsim.load_sweep(tmp_path / "s.zarr")
    for name in ("rate", "rate_theory", "rate_theory_continuous"):
        np.testing.assert_array_equal(table[name], store[name].values)
    assert np.all(table["rate_theory"] < table["rate_theory_continuous"])  # the grid's threshold lowers the rate


def test_the_old_name_of_the_grid_theory_says_where_it_went(noise_free_curve):
    with pytest.raises(AttributeError, match="rate_grid: renamed; the theory of the simulated grid is rate_theory"):
        noise_free_curve.rate_grid  # noqa: B018


def test_a_point_too_large_for_memory_is_refused_before_any_point_runs(tmp_path):
    """fi over 0 .. 100 nA under a 3.5 GB limit ran the first current, then failed at the second, whose spike list
    (at 10 kHz) did not fit: the finished point was lost with the .npz.  Every point's memory is checked first."""
    import resource

    from cli_helpers import run_script

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3_500_000_000, 3_500_000_000))

    argv = ["fi", "--i-min", "0", "--i-max", "100nA", "--points", "2", "--n", "20000", "--t-max", "1s"]
    done = run_script([*argv, "--data", "mem.npz"], cwd=tmp_path, preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("lifsim: error: grid point i_mean=100000 pA: ") and "of memory" in done.stderr
    assert not (tmp_path / "mem.npz").exists()


def test_a_run_shorter_than_the_default_transient_blames_the_run():
    """`lifsim fi --t-max 0.1s` said "--transient: 0.1 s must be ... shorter than the run", an option never given."""
    from cli_helpers import run_script

    done = run_script(["fi", "--t-max", "0.1s"])
    assert done.returncode == 2
    assert done.stderr.startswith("lifsim: error: --t-max: the run (100 ms) must be longer than the transient (100 ms)")


def test_rerun_of_an_fi_table_csv_calls_it_one(tmp_path):
    """`lifsim rerun fi.csv` described the run's per-step table (t, v_mean, ...), which an f-I table is not."""
    from cli_helpers import run_script

    assert run_script([*BASE, "--data", "fi.csv", "--quiet"], cwd=tmp_path).returncode == 0
    done = run_script(["rerun", "fi.csv"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("lifsim: error: load: 'fi.csv' is an f-I table (made by 'lifsim fi --t-ref 2ms")
    assert done.stderr.endswith("not a run: read it with lifsim.load_fi; lifsim load and rerun take a run's file\n")


def test_fi_dry_run_checks_and_estimates_without_running(tmp_path):
    """`lifsim fi` had no --dry-run (simulate and sweep had); Python's fi_curve(dry_run=True) is the same."""
    from cli_helpers import run_script

    done = run_script([*BASE, "--dry-run", "--data", "fi.csv", "--plot", "fi.png"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dry run: 3 grid points of 1 neurons") and "nothing was run or written" in done.stdout
    assert list(tmp_path.iterdir()) == []
    estimate = fi_curve(lifsim.LIFParams(t_max=0.3), [0.0, 2e-10], n=1, dry_run=True)
    assert "2 grid points" in estimate.summary()


# ------------------------------------------------------------------ reading an f-I curve back (lifsim.load_fi)


def assert_same_curve(a, b):
    """Two FICurves hold the same table (bit for bit) and the same description of it."""
    for name in a.UNITS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype == np.float64 and x.tobytes() == y.tobytes(), name
    assert (a.sigma, a.n, a.window, a.method, a.params) == (b.sigma, b.n, b.window, b.method, b.params)
    assert a.format_table() == b.format_table()


@pytest.mark.parametrize("suffix", [".npz", ".csv", ".zarr"])
def test_an_f_i_curve_written_by_lifsim_fi_loads_as_its_table(tmp_path, suffix):
    """There was no Python reader of an f-I curve: ``lifsim.load_fi`` reads what ``lifsim fi --data`` writes (the
    .npz or .csv table, the .zarr sweep store) as the FICurve whose table the command printed."""
    from cli_helpers import run_script

    argv = ["fi", "--n", "20", "--points", "3", "--sigma", "5mV", "--t-max", "0.3s", "--seed", "4"]
    done = run_script([*argv, "--data", f"fi{suffix}"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    from lifsim.fi import FICurve

    curve = lifsim.load_fi(tmp_path / f"fi{suffix}")
    assert isinstance(curve, FICurve)
    assert curve.format_table() in done.stdout  # the table the command printed
    again = fi_curve(lifsim.profile("study", t_max="0.3 s"), curve.i, n=20, sigma="5 mV", seed=4)
    assert_same_curve(curve, again)  # the curve Python makes of the same arguments
    assert curve.meta["command"] == "lifsim " + " ".join([*argv, "--data", f"fi{suffix}"])


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_saved_f_i_curve_loads_back_as_it_was(tmp_path, noise_free_curve, suffix):
    path = noise_free_curve.save(str(tmp_path / f"curve{suffix}"))
    back = lifsim.load_fi(path)
    assert_same_curve(noise_free_curve, back)
    assert back.meta == noise_free_curve.meta


@pytest.fixture(scope="module")
def python_table(tmp_path_factory):
    """An f-I table saved from Python: no command made it."""
    folder = tmp_path_factory.mktemp("table")
    curve = fi_curve(lifsim.LIFParams(t_max="300 ms"), [1e-10, 2e-10], n=3)
    curve.save(str(folder / "fic.npz"))
    curve.save(str(folder / "fic.csv"))
    return folder


@pytest.mark.parametrize("name", ["fic.npz", "fic.csv"])
def test_a_table_given_to_the_other_loaders_names_load_fi(python_table, name):
    """``lifsim.load("fic.npz")`` of a table made in Python said "an f-I table ('None') ... made again by its
    command", and ``lifsim.load_sweep`` called it "a lifsim run file (.npz) ...; read it with lifsim.load", which
    refuses it: both name the reader that reads it."""
    path = str(python_table / name)
    with pytest.raises(ValueError) as by_load:
        lifsim.load(path)
    with pytest.raises(ValueError) as by_sweep:
        lifsim.load_sweep(path)
    for caught in (by_load, by_sweep):
        message = str(caught.value)
        assert "an f-I table" in message and "read it with lifsim.load_fi" in message, message
        assert "None" not in message and "by its command" not in message and "lifsim.load " not in message
    assert "not a sweep" in str(by_sweep.value) and "not a run" in str(by_load.value)


def test_load_fi_names_the_reader_of_other_files(tmp_path):
    run = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=2)
    run.save(str(tmp_path / "run.npz"))
    with pytest.raises(ValueError, match=r"run\.npz: a lifsim run, not an f-I curve; read it with lifsim\.load$"):
        lifsim.load_fi(tmp_path / "run.npz")
    lifsim.sweep(lifsim.LIFParams(t_max="300 ms"), {"tau": ["10 ms", "20 ms"]}, n=2, store=tmp_path / "tau.zarr")
    with pytest.raises(ValueError, match=r"tau\.zarr: a sweep over tau, not an f-I curve .*lifsim\.load_sweep"):
        lifsim.load_fi(tmp_path / "tau.zarr")
    with pytest.raises(ValueError, match=r"^load_fi: 'x\.nc' must end in \.npz, \.csv or \.zarr"):
        lifsim.load_fi("x.nc")
    with pytest.raises(ValueError, match=r"^load_fi: 'none\.npz': no such file"):
        lifsim.load_fi("none.npz")
    with pytest.raises(TypeError, match=r"^load_fi: expected a file path"):
        lifsim.load_fi(5)


def test_an_f_i_curves_zarr_is_written_by_its_sweep(tmp_path, noise_free_curve):
    """``lifsim fi --data x.zarr`` writes the curve's sweep store; ``FICurve.save("x.zarr")`` was refused as a bad
    suffix: it now says where a .zarr f-I curve comes from (``fi_curve(store=...)``), which load_fi reads."""
    with pytest.raises(ValueError, match=r"^path: 'x\.zarr': .*store='x\.zarr'.*lifsim\.fi_curve.*\.npz or \.csv"):
        noise_free_curve.save("x.zarr")
    assert not (tmp_path / "x.zarr").exists()
    made = fi_curve(lifsim.LIFParams(t_max="300 ms"), [1e-10, 2e-10], n=3, store=tmp_path / "x.zarr")
    assert_same_curve(made, lifsim.load_fi(tmp_path / "x.zarr"))


def _lifsim_warnings(*calls):  # type: ignore[no-untyped-def]
    import warnings

    from lifsim.errors import LifsimWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in calls:
            call()
    return [w for w in caught if issubclass(w.category, LifsimWarning)]


def test_the_curves_warnings_point_at_the_callers_line():
    """``lifsim.fi_curve(sigma="5 mV")`` said ``src/lifsim/sweeps.py:944: PlausibilityWarning: transient: ...``:
    its warnings, and those of the runs of its points, now point at the line that called it."""
    from lifsim.params import profile

    params = profile("study", t_max="100 ms")
    said = _lifsim_warnings(
        lambda: fi_curve(params, ["200 pA"], sigma="5 mV", n=20, transient="10 ms"),  # transient too short
        lambda: fi_curve(params, ["100 nA"], n=2, transient="10 ms"),  # a point's run: a rate of a spike a step
    )
    texts = [str(w.message) for w in said]
    assert any(t.startswith("transient:") for t in texts) and any(t.startswith("rate:") for t in texts), texts
    assert [w.filename for w in said] == [__file__] * len(said), [(w.filename, w.lineno) for w in said]
