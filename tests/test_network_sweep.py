"""Network sweeps (issue 18): Brunel's network on a (g, eta) grid through the one sweep layer, beside its theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from cli_helpers import run_script

import lifsim
from lifsim.network import BrunelParams
from lifsim.network.analysis import statistics
from lifsim.network.run import simulate_spikes
from lifsim.sweeps import point_seed

#: a small network (C_E = 100) and a short run: the sweep's numbers in seconds
SMALL = BrunelParams(n_exc=400, epsilon=0.25, t_max=0.3)
GRID = {"g": [3.0, 5.0], "eta": [1.0, 2.0, 4.0]}


@pytest.fixture(scope="module")
def swept():
    return lifsim.sweep(SMALL, GRID, seed=7)


def test_every_point_is_the_network_run_alone_with_its_point_seed(swept):
    """The sweep's seeding rule is the neuron sweeps': point p is the network with seed point_seed(seed, p)."""
    assert swept["rate_exc"].dims == ("g", "eta")
    for flat, (g, eta) in enumerate((g, eta) for g in GRID["g"] for eta in GRID["eta"]):
        alone = SMALL.replace(g=g, eta=eta, seed=point_seed(7, flat))
        run = simulate_spikes(alone, "numpy")  # the readable reference engine, the sweep ran numba
        stats = statistics(alone, run.spike_step, run.spike_i)
        point = swept.sel(g=g, eta=eta)
        assert float(point["rate_exc"]) == stats.mean_rate[0]
        assert float(point["rate_inh"]) == stats.mean_rate[1]
        assert float(point["synchrony_exc"]) == stats.synchrony[0]
        assert np.array_equal(float(point["cv_exc"]), stats.mean_cv[0], equal_nan=True)


def test_the_simulated_rates_follow_the_mean_field_theory(swept):
    """Independent check: the Siegert self-consistent rate (lifsim.network.theory) against the spikes."""
    rate, theory = swept["rate_exc"].values, swept["rate_theory"].values
    assert np.all(np.isfinite(theory)) and np.all(theory > 0)
    assert np.all(np.abs(rate / theory - 1) < 0.1), (rate, theory)  # measured within 6 %
    assert np.all(np.diff(rate, axis=1) > 0)  # more drive, more firing
    assert np.all(rate[1] < rate[0])  # more inhibition, less
    assert swept["mu_theory"].attrs["units"] == "V" and swept["rate_exc"].attrs["units"] == "Hz"


def test_neuron_sweep_keywords_are_refused_for_a_network():
    with pytest.raises(ValueError, match="^sigma: a network sweep takes its model from BrunelParams"):
        lifsim.sweep(SMALL, GRID, sigma="3 mV")
    with pytest.raises(ValueError, match="cannot sweep 'i_mean'; sweepable: g, eta"):
        lifsim.sweep(SMALL, {"i_mean": [1e-10, 2e-10]})
    with pytest.raises(ValueError, match="grid point g=3, eta=600: eta: the external drive"):
        lifsim.sweep(SMALL, {"g": [3.0], "eta": [1.0, 600.0]})  # every point is checked before any runs


def test_the_command_line_sweeps_writes_a_resumable_store_and_draws_the_phase_diagram(tmp_path):
    argv = ["network", "--n-exc", "400", "--epsilon", "0.25", "--t-max", "0.3s", "--seed", "7"]
    argv += ["--grid", "g=3,5", "--grid", "eta=1:4:3", "--data", str(tmp_path / "phase.zarr")]
    done = run_script([*argv, "--plot", str(tmp_path / "phase.png")], timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["g", "eta", "E"] and len(lines) >= 7
    assert (tmp_path / "phase.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    store = lifsim.load_sweep(tmp_path / "phase.zarr")
    python = lifsim.sweep(SMALL, {"g": [3.0, 5.0], "eta": [1.0, 2.5, 4.0]}, seed=7)
    for name in ("rate_exc", "rate_inh", "cv_exc", "synchrony_exc", "rate_theory"):
        assert np.array_equal(store[name].values, python[name].values, equal_nan=True), name
    again = run_script([*argv, "--resume", "--quiet"], timeout=300)  # nothing left to run: the same store
    assert again.returncode == 0, again.stderr
    assert np.array_equal(lifsim.load_sweep(tmp_path / "phase.zarr")["rate_exc"].values, store["rate_exc"].values)
    refused = run_script([*argv, "--quiet"])  # the store exists: refused in one line, before any work
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "phase.zarr" in refused.stderr
    swapped = [*argv[:-6], "--grid", "eta=1:4:3", "--grid", "g=3,5", *argv[-2:]]  # the same grid, another order
    refused = run_script([*swapped, "--resume", "--quiet"])
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "was made with its grid in the order g, eta; this sweep gives it as eta, g" in refused.stderr


def test_the_command_line_refuses_what_a_network_cannot_sweep(tmp_path):
    bad = run_script(["network", "--grid", "sigma=1,2mV", "--quiet"])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "cannot sweep 'sigma'" in bad.stderr and "g, eta" in bad.stderr
    bad = run_script(["network", "--resume", "--quiet"])
    assert bad.returncode == 2 and "--resume: applies to a network sweep" in bad.stderr, bad.stderr
    spikes = run_script(["network", "--grid", "g=3,5", "--record-spikes", "E", "--quiet"])
    assert spikes.returncode == 2 and spikes.stderr.count("\n") == 1, spikes.stderr
    assert "--record-spikes: a network sweep keeps rates" in spikes.stderr, spikes.stderr
    neuron = run_script(["sweep", "--grid", "g=3,5", "--quiet"])
    assert neuron.returncode == 2 and "cannot sweep 'g'" in neuron.stderr, neuron.stderr
    dry = run_script(["network", "--n-exc", "400", "--t-max", "0.3s", "--grid", "g=3,5", "--dry-run"], cwd=tmp_path)
    assert dry.returncode == 0 and "dry run: 2 networks of 500 neurons x 3000 steps" in dry.stdout, dry.stdout
    assert "nothing was run or written" in dry.stdout and not any(tmp_path.iterdir())


def test_a_one_dimensional_network_sweep_draws_curves(tmp_path):
    from lifsim.network.plot import plot_phase_diagram
    from lifsim.plot import save_figure

    ds = lifsim.sweep(SMALL.replace(t_max=0.1), {"g": [4.0, 6.0]})
    assert ds["rate_exc"].dims == ("g",) and math.isfinite(float(ds["rate_exc"][0]))
    save_figure(plot_phase_diagram(ds), tmp_path / "line.png")
    assert (tmp_path / "line.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="one or two swept names"):
        plot_phase_diagram(xr.Dataset({"rate_exc": (("a", "b", "c"), np.zeros((1, 1, 1)))}))


def test_a_network_sweep_on_two_workers_gives_the_same_bits(swept, tmp_path):
    """``lifsim network --grid ... --workers 2`` (a Dask LocalCluster, from the command line): every point's
    statistics are the in-process sweep's bits, whichever worker ran it."""
    argv = ["network", "--n-exc", "400", "--epsilon", "0.25", "--t-max", "0.3s", "--seed", "7", "--quiet"]
    argv += ["--grid", "g=3,5", "--grid", "eta=1,2,4", "--workers", "2", "--data", str(tmp_path / "two.zarr")]
    done = run_script(argv, timeout=600)
    assert done.returncode == 0, done.stderr
    store = lifsim.load_sweep(tmp_path / "two.zarr")
    for name in ("rate_exc", "rate_inh", "cv_exc", "cv_inh", "synchrony_exc", "synchrony_inh", "rate_theory"):
        assert np.array_equal(store[name].values, swept[name].values, equal_nan=True), name


def test_a_network_sweep_saved_as_netcdf_reads_back(tmp_path):
    """The documented phase-diagram command with --data ph.nc wrote a file load_sweep refused ("not a lifsim
    sweep": it looked for a neuron sweep's rate), while lifsim.load sent it to load_sweep."""
    argv = ["network", "--n-exc", "400", "--epsilon", "0.25", "--t-max", "0.1s", "--seed", "7"]
    done = run_script([*argv, "--grid", "g=3,5", "--grid", "eta=1,2", "--data", str(tmp_path / "ph.nc"), "-q"])
    assert done.returncode == 0, done.stderr
    back = lifsim.load_sweep(tmp_path / "ph.nc")
    python = lifsim.sweep(SMALL.replace(t_max=0.1), {"g": [3.0, 5.0], "eta": [1.0, 2.0]}, seed=7)
    assert np.array_equal(back["rate_exc"].values, python["rate_exc"].values, equal_nan=True)


def test_a_network_sweep_is_checked_for_its_engines_memory_before_any_point(monkeypatch):
    """The numpy build needs 8 times numba's memory: the check before the points used numba's estimate, so the
    first point failed after the sweep had started."""
    import lifsim.memory
    from lifsim.network.model import estimate_memory

    params = BrunelParams(n_exc=2000, t_max=0.02)
    low, high = estimate_memory(params, engine="numba"), estimate_memory(params, engine="numpy")
    monkeypatch.setattr(lifsim.memory, "available_memory", lambda: (low + high) // 2)
    started = []
    with pytest.raises(ValueError, match=r"^grid point g=4.*: n_exc: .* or the numba engine"):
        lifsim.sweep(params, {"g": [4.0, 5.0]}, engine="numpy", progress=lambda done, total: started.append(done))
    assert started == []


def test_a_network_sweep_takes_the_seeds_of_a_neuron_sweep():
    """As a neuron sweep's: point p's network runs with seed * 2**32 + p, which a network takes up to 2**128 - 1."""
    with pytest.raises(ValueError, match=r"^seed: a sweep's point p .* at most 2\*\*96 - 1, got 1267650600228229"):
        lifsim.sweep(SMALL.replace(t_max=0.02), {"g": [4.0]}, seed=2**100)


def test_the_network_loader_points_a_sweep_to_its_loader(tmp_path):
    lifsim.sweep(SMALL.replace(t_max=0.02), {"g": [4.0, 5.0]}).to_netcdf(tmp_path / "s.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match=r"is a lifsim sweep, not one network; read it with lifsim\.load_sweep"):
        lifsim.network.load(tmp_path / "s.nc")


def _labelled(axis):
    """The (position, text) of the labelled ticks of ``axis`` inside its view, once drawn."""
    low, high = sorted(axis.get_view_interval())
    return [
        (tick.get_loc(), tick.label1.get_text() or tick.label2.get_text())
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]
        if low <= tick.get_loc() <= high and (tick.label1.get_text() or tick.label2.get_text())
    ]


def _check_log_axis(axis):
    """Every decade inside a log axis is labelled, and no stretch of more than a third of it is left unlabelled
    (between two labels, or at an end); labels are plain numbers that name their ticks."""
    low, high = sorted(axis.get_view_interval())
    labelled = _labelled(axis)
    assert len(labelled) >= 2, labelled
    for where, text in labelled:
        assert math.isclose(float(text), where, rel_tol=1e-6), (where, text)
    places = [math.log10(low), *sorted(math.log10(w) for w, _ in labelled), math.log10(high)]
    assert max(b - a for a, b in zip(places, places[1:])) <= 0.35 * (places[-1] - places[0]), (low, high, labelled)
    decades = [10.0**d for d in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]
    assert all(any(math.isclose(d, w) for w, _ in labelled) for d in decades), (decades, labelled)


@pytest.mark.parametrize(
    "rates",
    [
        [137.9, 117.1, 98.98, 86.06, 74.79, 66.4, 59.51],  # lifsim network --grid g=2:8:7 (N_E 1,000): 57 to 145 Hz
        [400.0, 250.0, 60.0, 9.0, 1.2, 0.2, 0.03],  # the SR state down to near silence: five decades
    ],
)
def test_every_log_axis_of_a_network_sweeps_figure_is_labelled(tmp_path, rates):
    """The one-dimensional figure of `lifsim network --grid g=2:8:7 --plot x.png` had no label above 100 Hz on its
    rate axes (matplotlib's log ticks are 1 to 9 times a power of ten: none between 100 and 145), and its synchrony
    axis none above 6; the phase diagram's colour bars are labelled by the same rule."""
    from lifsim.network.plot import plot_phase_diagram
    from lifsim.plot import save_figure

    rate = np.array(rates)
    g = np.arange(2.0, 2.0 + rate.size)
    one = xr.Dataset(
        {
            "rate_exc": ("g", rate),
            "rate_inh": ("g", rate * 1.003),
            "rate_theory": ("g", rate * 1.01),
            "cv_exc": ("g", np.linspace(0.07, 0.18, rate.size)),
            "synchrony_exc": ("g", np.array([2.22, 6.4, 5.3, 8.48, 5.19, 4.62, 4.99])),
        },
        coords={"g": g},
    )
    fig = plot_phase_diagram(one)
    save_figure(fig, tmp_path / "line.png")  # drawn: the ticks are the saved figure's
    for ax in fig.axes:
        if ax.get_yscale() == "log":
            _check_log_axis(ax.yaxis)
    grid = rate[:, None] * np.linspace(1.0, 1.5, 3)[None, :]
    two = xr.Dataset(
        {key: (("g", "eta"), grid) for key in ("rate_exc", "rate_theory", "synchrony_exc")}
        | {"cv_exc": (("g", "eta"), np.full_like(grid, 0.5))},
        coords={"g": g, "eta": [1.0, 2.0, 3.0]},
    )
    fig = plot_phase_diagram(two)
    save_figure(fig, tmp_path / "map.png")
    bars = [ax for ax in fig.axes if ax.get_yscale() == "log"]
    assert len(bars) == 3  # the colour bars of both rates and of the synchrony
    for bar in bars:
        _check_log_axis(bar.yaxis)
