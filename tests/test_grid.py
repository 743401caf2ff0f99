"""Sweep grids (issue 16, finding 17): START:STOP:COUNT keeps both ends, repeated values and digits of other
scripts are refused, and a million-point grid's dry run is quick; the CLI cases through the installed script."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import lifsim
from lifsim.grid import COUPLED, EXHAUSTIVE_CHECK, SWEEPABLE, GridPoints, check_grid, parse_grid
from lifsim.params import LIFParams

SCRIPT = Path(sys.executable).parent / "lifsim"


def lifsim_cli(tmp_path: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed ``lifsim`` console script in a subprocess, in ``tmp_path``."""
    if not SCRIPT.exists():
        pytest.skip("no lifsim console script next to the running Python")
    return subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, cwd=tmp_path, timeout=timeout)


def assert_usage_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


# ---------------------------------------------------------------- START:STOP:COUNT


def test_range_includes_both_ends():
    assert parse_grid("tau=10ms:40ms:4")["tau"] == pytest.approx((0.01, 0.02, 0.03, 0.04))
    assert parse_grid("i_mean=0:400pA:2")["i_mean"] == (0.0, 4e-10)


@pytest.mark.parametrize(
    ("grid", "texts"),
    [
        ("i_mean=100:300pA:3", ["100pA", "200pA", "300pA"]),  # an SI linspace's middle was 1.9999999999999998e-10
        ("vth=0.1:0.7mV:7", [f"0.{k}mV" for k in range(1, 8)]),  # 0.30000000000000004 mV
        ("tau=10ms:0.04s:4", ["10ms", "20ms", "30ms", "40ms"]),  # units of two sizes
        ("i_mean=100pA:0.3nA:3", ["100pA", "200pA", "300pA"]),  # in the finer unit (0.1 nA is 1.0000000000000002e-10)
        ("i_mean=1e-10:3.5e-10:6", ["1e-10", "1.5e-10", "2e-10", "2.5e-10", "3e-10", "3.5e-10"]),  # SI numbers
    ],
)
def test_a_ranges_points_are_the_values_their_texts_read_as(grid, texts):
    """A point of a sweep run alone with the value its table prints (--i-mean 200pA) gives the sweep's numbers
    only if it is that value to the bit."""
    name = grid.split("=")[0]
    dimension = lifsim.grid.grid_dimension(name)
    expected = tuple(lifsim.units.to_si(text, dimension, name) for text in texts)
    assert parse_grid(grid)[name] == expected


def test_a_sweep_point_alone_gives_its_numbers_with_the_value_typed(tmp_path):
    """The researcher's check: the middle point of i_mean=100:300pA:3, run alone with --i-mean 200pA and its
    point's seed, gives the sweep's per-step mean of V to the bit (346 of 2,000 steps differed in the last bit)."""
    from lifsim import inputs
    from lifsim.sweeps import point_seed

    params = LIFParams(t_max="0.2 s", dt="0.1 ms")
    found = lifsim.sweep(params, {"i_mean": "100:300pA:3"}, n=5, seed=3, per_step=True, sigma="5 mV")
    alone = lifsim.simulate(
        params.replace(i_mean="200 pA"), inputs.white_noise(sigma="5 mV"), n=5, seed=point_seed(3, 1)
    )
    assert found["v_mean_t"].values[1].tobytes() == alone.v_mean.tobytes()


def test_fi_currents_are_the_values_their_texts_read_as():
    """lifsim fi's currents (0 to 400 pA in 9 points): 350 pA was 3.5000000000000003e-10 A."""
    from lifsim.sweeps import _currents

    assert tuple(_currents(None)) == tuple(lifsim.units.to_si(f"{50 * k}pA", "current", "i") for k in range(9))


def test_count_one_is_a_single_value_only_when_start_equals_stop():
    assert parse_grid("tau=20ms:20ms:1")["tau"] == (0.02,)
    with pytest.raises(ValueError, match=r"both ends.*COUNT >= 2.*tau=10ms"):
        parse_grid("tau=10ms:40ms:1")  # used to give (0.01,), silently dropping STOP


@pytest.mark.parametrize("count", ["0", "-3", "2.5", "1.5e0", "x", ""])
def test_count_must_be_a_whole_number(count):
    with pytest.raises(ValueError, match="count"):
        parse_grid(f"tau=10ms:40ms:{count}")


# ---------------------------------------------------------------- repeated values


@pytest.mark.parametrize(
    "grid",
    [
        "tau=10ms,20ms,10ms",
        "tau=10ms,0.01s",  # the same time written twice
        "tau=20ms:20ms:3",  # a range whose points coincide
        "i_mean=0,-0",
        {"tau": [0.01, "10 ms"]},
        {"vth": np.array([-0.05, -0.05])},
    ],
)
def test_repeated_values_are_refused(grid):
    with pytest.raises(ValueError, match="more than once"):
        parse_grid(grid)


# ---------------------------------------------------------------- digits of other scripts


@pytest.mark.parametrize(
    "text",
    [
        "tau=１２ms",  # full-width
        "tau=١٢ms",  # Arabic-Indic
        "tau=۱۲ms",  # extended Arabic-Indic
        "tau=१२ms",  # Devanagari
        "tau=12ms,２０ms",
        "tau=10ms:４0ms:3",
        "i_mean=²",
    ],
)
def test_non_ascii_digits_are_refused(text):
    assert float("１２") == 12.0  # what Python alone would accept
    with pytest.raises(ValueError, match="non-ASCII digit"):
        parse_grid(text)


@pytest.mark.parametrize("text", ["１２ms", "١٢ ms", "1２ms"])
def test_every_quantity_reads_ascii_digits_only(text):
    from lifsim.units import to_si

    with pytest.raises(ValueError, match="tau"):
        to_si(text, "time", "tau")


def test_non_ascii_digits_refused_in_a_mapping_too():
    with pytest.raises(ValueError, match="non-ASCII digit"):
        parse_grid({"tau": ["１２ ms"]})


def test_units_with_non_ascii_letters_still_read():
    assert parse_grid("tau=10µs,20µs")["tau"] == pytest.approx((1e-5, 2e-5))
    assert parse_grid("r=100MΩ,200MΩ")["r"] == pytest.approx((1e8, 2e8))


@pytest.mark.parametrize("grid", ["tau=nan", "tau=inf", {"tau": [float("inf")]}, "i_mean=0:inf:3"])
def test_non_finite_values_are_refused(grid):
    with pytest.raises(ValueError, match="finite"):
        parse_grid(grid)


# ---------------------------------------------------------------- lazy points and the grid check


def test_grid_points_match_the_c_order_product():
    coords = {"i_mean": (1.0, 2.0, 3.0), "tau": (0.01, 0.02), "sigma": (0.1, 0.2, 0.3, 0.4)}
    points = GridPoints(coords)
    expected = list(enumerate(itertools.product(*coords.values())))
    assert len(points) == 24
    assert list(points) == expected
    assert [points[i] for i in range(24)] == expected
    assert points[-1] == expected[-1] and points[5:8] == expected[5:8]
    with pytest.raises(IndexError):
        points[24]


def _exhaustive_failure(points: GridPoints, check) -> bool:
    for _flat, values in points:
        try:
            check(values)
        except (ValueError, TypeError):
            return True
    return False


def _sweep_check(names):
    from lifsim.sweeps import _check_point, _Spec

    spec = _Spec(
        params={}, grid={}, input="white", sigma=0.005, amplitude=None, n=2, seed=0, method="euler",
        transient=0.0, spiking=True, per_step=False, fano_window=0.05, stream="",
    )  # fmt: skip
    base = LIFParams(t_max="20 ms", dt="1 ms")
    return lambda values: _check_point(spec, base, names, values)


# values that sit on both sides of every check a point makes (vr < vth, dt < tau, t_ref whole steps, sigma > 0)
PROBE_VALUES = {
    "tau": (0.0005, 0.02, -0.01),
    "el": (-0.06, 0.0),
    "vr": (-0.07, -0.045, 0.01),
    "vth": (-0.05, -0.08, 0.02),
    "r": (1e8, -1.0),
    "i_mean": (2.5e-10, -1e-9),
    "v0": (-0.06, -0.1),
    "t_ref": (0.0, 0.002, 0.0015, -0.001),
    "t_ref_std": (0.0, 0.001, -0.001),
    "sigma": (0.005, 0.0, -0.001),
}


def test_probe_values_cover_every_sweepable_name():
    assert set(PROBE_VALUES) | {"amplitude"} == set(SWEEPABLE)  # amplitude: uniform input, checked alone


@pytest.mark.parametrize("pair", list(itertools.combinations(sorted(PROBE_VALUES), 2)), ids="-".join)
def test_probe_check_finds_what_an_exhaustive_check_finds(pair, monkeypatch):
    """Guards COUPLED: if a point's check reads two swept names together, that pair must be listed."""
    import lifsim.grid as grid_module

    monkeypatch.setattr(grid_module, "EXHAUSTIVE_CHECK", 0)  # always the probes
    for first in itertools.product(*(PROBE_VALUES[name] for name in pair)):
        # each value in turn first, so the probes' fixed values vary too
        coords = {
            name: (value,) + tuple(v for v in PROBE_VALUES[name] if v != value) for name, value in zip(pair, first)
        }
        points = GridPoints(coords)
        check = _sweep_check(tuple(coords))
        try:
            check_grid(points, check)
            probes_fail = False
        except ValueError:
            probes_fail = True
        assert probes_fail == _exhaustive_failure(points, check), (coords, COUPLED)


def test_check_grid_names_the_failing_point():
    points = GridPoints({"vr": (-0.07, -0.06), "vth": (-0.05, -0.065)})
    with pytest.raises(ValueError, match=r"grid point vr=-60 mV, vth=-65 mV: vr"):
        check_grid(points, _sweep_check(points.names))


def test_million_point_dry_run_is_quick():
    assert EXHAUSTIVE_CHECK < 1_000_000
    params = LIFParams(t_max="20 ms", dt="0.1 ms")
    grid = {"i_mean": "0:400pA:1000", "tau": "10ms:40ms:1000"}
    options = {"n": 2, "engine": "numpy", "transient": "5 ms", "dry_run": True}
    lifsim.sweep(params, {"i_mean": "0:400pA:2"}, **options)  # imports and warm-up
    started = time.perf_counter()
    estimate = lifsim.sweep(params, grid, **options)
    elapsed = time.perf_counter() - started
    assert "1000000 grid points" in estimate.summary()
    assert elapsed < 5.0, f"dry run of a 1000 x 1000 grid took {elapsed:.1f} s"


def test_a_bad_point_deep_in_a_large_grid_is_still_found():
    params = LIFParams(t_max="20 ms", dt="0.1 ms")
    taus = ",".join(f"{10 + k * 0.01:.2f}ms" for k in range(199)) + ",0.05ms"  # the last tau is below dt
    with pytest.raises(ValueError, match=r"grid point i_mean=0 pA, tau=0.05 ms: dt"):
        lifsim.sweep(params, {"i_mean": "0:400pA:100", "tau": taus}, n=2, transient="5 ms", dry_run=True)


# ---------------------------------------------------------------- the CLI, as the user meets it


@pytest.mark.parametrize(
    "grid, needles",
    [
        ("tau=10ms:40ms:1", ("both ends", "tau")),
        ("tau=10ms,20ms,10ms", ("more than once", "tau")),
        ("tau=１２ms", ("non-ASCII digit", "tau")),
        ("i_mean=١٠٠pA,200pA", ("non-ASCII digit", "i_mean")),
    ],
    ids=["count-1", "repeated", "fullwidth", "arabic-indic"],
)
def test_cli_refuses_bad_grids_in_one_line(tmp_path, grid, needles):
    proc = lifsim_cli(tmp_path, "sweep", "--grid", grid, "--n", "2", "--t-max", "20ms", "--dry-run")
    assert_usage_error(proc, "--grid", *needles)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_non_ascii_digits_in_any_quantity(tmp_path):
    proc = lifsim_cli(tmp_path, "simulate", "--tau", "１２ms", "--dry-run")
    assert_usage_error(proc, "--tau", "１２ms")


def test_cli_million_point_dry_run_finishes(tmp_path):
    argv = ["sweep", "--grid", "i_mean=0:400pA:1000", "--grid", "tau=10ms:40ms:1000"]
    argv += ["--n", "2", "--t-max", "20ms", "--transient", "5ms", "--engine", "numpy", "--dry-run"]
    started = time.perf_counter()
    proc = lifsim_cli(tmp_path, *argv, timeout=90)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert "1000000 grid points" in proc.stdout
    assert elapsed < 30, f"{elapsed:.1f} s"  # the process start and imports included


@pytest.mark.parametrize("text", ["i_mean=1pA,,2pA", "i_mean=1pA,2pA,", "i_mean=,1pA"])
def test_an_empty_value_in_a_list_is_refused_not_dropped(text):
    with pytest.raises(ValueError, match=r"^grid: i_mean: an empty value in '.*' \(two commas together"):
        parse_grid(text)


def test_a_plain_list_value_far_from_its_unit_and_near_as_si_is_warned_about():
    """``4e-10,200pA`` takes 4e-10 pA, as the grammar says; its SI reading (400 pA) is what was likely meant."""
    from lifsim.errors import PlausibilityWarning

    with pytest.warns(PlausibilityWarning) as caught:
        grid = parse_grid("i_mean=4e-10,200pA")
    assert grid == {"i_mean": (4e-22, 2e-10)}
    assert [str(w.message) for w in caught] == [
        "grid: i_mean: 4e-10 takes the list's unit (4e-10 pA), far from the other values; as a plain number (SI) "
        "it would be 400 pA: write a unit on each value if that was meant"
    ]


@pytest.mark.parametrize("text", ["i_mean=0,100,200pA", "tau=10,20,40ms", "i_mean=1,10000pA", "vth=-50,-0.045V"])
def test_a_plain_list_value_in_its_unit_is_not_warned_about(text):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_grid(text)


def test_the_sweep_table_names_the_units_of_its_grid(tmp_path):
    argv = ["sweep", "--grid", "tau=10,20ms", "--grid", "i_mean=4e-10,300pA", "--n", "2", "--t-max", "50ms"]
    proc = lifsim_cli(tmp_path, *argv, "--transient", "10ms", "--engine", "numpy")
    assert proc.returncode == 0, proc.stderr
    header = ["tau", "(ms)", "i_mean", "(pA)", "rate", "(Hz)", "sem", "(Hz)", "theory", "(Hz)"]
    assert proc.stdout.splitlines()[0].split() == header + [
        "CV",
        "Fano",
        "V",
        "mean",
        "(mV)",
    ]
    assert proc.stderr.splitlines()[0].startswith("lifsim: warning: --grid: i_mean: 4e-10 takes the list's unit")


@pytest.mark.parametrize("text", ["el=-0.065,-60mV", "tau=0.02,20ms,40ms"])
def test_an_si_value_among_milli_values_is_warned_about(text):
    """One thousand is the milli factor: the first bound (1000x) let exactly these slips through."""
    from lifsim.errors import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match="takes the list's unit"):
        parse_grid(text)


def test_a_range_count_reads_as_every_count_does():
    """README: counts take 1000 or 1e3; a range's COUNT refused 1e1 saying it "must be a whole number"."""
    assert parse_grid("i_mean=0:400pA:1e1")["i_mean"] == parse_grid("i_mean=0:400pA:10")["i_mean"]
    with pytest.raises(ValueError, match=r"the count '2\.5' of START:STOP:COUNT must be a whole number >= 1"):
        parse_grid("i_mean=0:400pA:2.5")
