"""One set of defaults, owned by the API (issue 16, item 7; findings 3, 4 and 13).

For each command, the installed ``lifsim`` script (run in a subprocess, as a
user meets it) and the documented Python call with the same values give the
same bits: the arrays each saves are compared number for number.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.params import PROFILES, LIFParams, profile
from lifsim.tutorial_part2 import run_part2

SRC = Path(lifsim.__file__).resolve().parent
#: the installed console script beside this interpreter
LIFSIM = str(Path(sys.executable).with_name("lifsim"))


def lifsim_script(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the installed ``lifsim`` script; return the finished process (text output)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    return subprocess.run([LIFSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def ok(*args: str, cwd: Path) -> str:
    done = lifsim_script(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a saved ``.npz`` without its provenance (which names the command)."""
    with np.load(path) as data:
        return {name: data[name] for name in data.files if name not in ("meta", "lifsim_sha256")}  # how asked


def assert_same_bits(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert np.array_equal(a[name], b[name], equal_nan=True), name


# ---------------------------------------------------------------- simulate


@pytest.mark.parametrize(
    ("argv", "python"),
    [
        (
            ["--input", "white", "--sigma", "5mV", "--n", "20", "--seed", "3"],
            lambda: lifsim.simulate(LIFParams(), inputs.white_noise(sigma="5 mV"), n=20, seed=3),
        ),
        (
            ["--input", "uniform", "--n", "10", "--seed", "1", "--i-mean", "300pA"],
            lambda: lifsim.simulate(LIFParams(i_mean="300 pA"), inputs.uniform_noise(), n=10, seed=1),
        ),
        (["--n", "4"], lambda: lifsim.simulate(n=4)),
        (  # the sum of two parts without a mean: one mean, both terms (the noise was dropped as 0 pA * (1 + A xi))
            ["--input", "sine+uniform", "--n", "10", "--seed", "2", "--no-spiking", "--t-max", "50ms"],
            lambda: lifsim.simulate(
                LIFParams(t_max="50 ms"), inputs.sine() + inputs.uniform_noise(), n=10, seed=2, spiking=False
            ),
        ),
        (  # sine(depth=) and step(baseline=) had no options on the command line
            ["--input", "sine", "--depth", "0.5", "--n", "3"],
            lambda: lifsim.simulate(LIFParams(), inputs.sine(depth=0.5), n=3),
        ),
        (
            ["--input", "step", "--onset", "20ms", "--baseline", "50pA", "--n", "3"],
            lambda: lifsim.simulate(LIFParams(), inputs.step(onset="20 ms", baseline="50 pA"), n=3),
        ),
    ],
    ids=["white-mean-from-params", "uniform-tutorial-amplitude", "defaults", "sine-plus-uniform", "depth", "baseline"],
)
def test_simulate_cli_and_python_give_the_same_bits(tmp_path, argv, python):
    ok("simulate", *argv, "--data", "cli.npz", "--quiet", cwd=tmp_path)
    python().save(str(tmp_path / "py.npz"))
    assert_same_bits(arrays(tmp_path / "cli.npz"), arrays(tmp_path / "py.npz"))
    # and the same request on record: `--input white` was saved as "250 pA + white noise" (a sum), Python's
    # white_noise() as "white noise around 250 pA"; a reader of the file could not tell they were one input
    cli, py = (lifsim.load(str(tmp_path / name)) for name in ("cli.npz", "py.npz"))
    assert cli.meta["input"] == py.meta["input"]


# ---------------------------------------------------------------- fi


def test_fi_defaults_cli_and_python_give_the_same_table(tmp_path):
    """``lifsim fi`` and ``lifsim.fi_curve()``: 9 currents, 0 to 400 pA, 100 neurons, 1 s at 0.1 ms."""
    ok("fi", "--data", "cli.npz", "--quiet", cwd=tmp_path)
    curve = lifsim.fi_curve()
    curve.save(str(tmp_path / "py.npz"))
    assert_same_bits(arrays(tmp_path / "cli.npz"), arrays(tmp_path / "py.npz"))
    assert curve.params == profile("study") and curve.n == 100 and curve.i.size == 9


def test_the_default_currents_are_the_list_fi_curve_takes():
    """``FI["currents"]`` was documented as (lowest, highest, how many) = (0, 4e-10, 9), and ``fi_curve`` given it
    ran three currents, 0, 400 pA and 9 A, with only a plausibility warning: it is now the curve's currents."""
    from lifsim.defaults import FI

    params = profile("study", t_max="30 ms")
    given = lifsim.fi_curve(params, FI["currents"], n=2, transient="10 ms")
    default = lifsim.fi_curve(params, n=2, transient="10 ms")
    assert given.i.size == 9 and given.i.min() == 0.0 and given.i.max() == 400e-12, given.i
    assert given.i.tobytes() == default.i.tobytes() and given.rate.tobytes() == default.rate.tobytes()


def test_fi_with_noise_cli_and_python_give_the_same_table(tmp_path):
    ok(
        "fi", "--sigma", "5mV", "--n", "20", "--seed", "1", "--points", "3", "--t-max", "0.3s", "--tau", "15ms",
        "--data", "cli.npz", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    params = profile("study", t_max="0.3 s", tau="15 ms")
    curve = lifsim.fi_curve(params, np.linspace(0, 400e-12, 3), n=20, sigma="5 mV", seed=1)
    curve.save(str(tmp_path / "py.npz"))
    assert_same_bits(arrays(tmp_path / "cli.npz"), arrays(tmp_path / "py.npz"))


def test_fi_seeds_do_not_overlap(tmp_path):
    """Finding 4: point p of ``--seed 1`` uses ``point_seed(1, p)``, not ``1 + p`` (``--seed 0``'s point p + 1)."""
    from lifsim.spikes import spike_counts
    from lifsim.sweeps import point_seed

    ok(
        "fi", "--sigma", "5mV", "--n", "20", "--seed", "1", "--points", "2", "--i-max", "300pA", "--t-max", "0.3s",
        "--data", "seed1.npz", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    rate = arrays(tmp_path / "seed1.npz")["rate"]
    params = profile("study", t_max="0.3 s", i_mean="300 pA")
    for seed, same in ((point_seed(1, 1), True), (1 + 1, False)):  # the sweeps' rule, then the old one
        run = lifsim.simulate(params, inputs.white_noise(sigma="5 mV"), n=20, seed=seed)
        spike_t, spike_i = run.spikes()
        late = spike_t >= 0.1
        alone = (spike_counts(spike_i[late], 20) / ((params.steps - 1) * params.dt - 0.1)).mean()
        assert bool(alone == rate[1]) is same, seed
    assert all(point_seed(1, p) != point_seed(0, p + 1) for p in range(1000))


# ---------------------------------------------------------------- sweep


def test_sweep_uniform_cli_and_python_agree(tmp_path):
    """Finding 3: the uniform amplitude is the tutorial's 0.1 sqrt(t_max/dt) in both (the API used 1.0)."""
    grid = ["--grid", "i_mean=100pA,250pA"]
    ok("sweep", "--input", "uniform", *grid, "--n", "20", "--t-max", "0.2s", "--data", "cli.nc", "--quiet",
       cwd=tmp_path)  # fmt: skip
    python = lifsim.sweep(
        profile("study", t_max="200 ms"), grid={"i_mean": ["100 pA", "250 pA"]}, input="uniform", n=20
    )
    assert_same_dataset(lifsim.load_sweep(tmp_path / "cli.nc"), python)


def test_sweep_fano_window_and_threads_reach_the_cli_as_in_python(tmp_path):
    """`lifsim.sweep(fano_window=..., threads=...)` had no --fano-window or --threads in `lifsim sweep`."""
    grid = ["--grid", "i_mean=100pA,250pA"]
    ok("sweep", *grid, "--n", "20", "--t-max", "0.2s", "--fano-window", "20ms", "--threads", "1", "--data", "cli.nc",
       "--quiet", cwd=tmp_path)  # fmt: skip
    python = lifsim.sweep(
        profile("study", t_max="200 ms"), grid={"i_mean": ["100 pA", "250 pA"]}, n=20, fano_window="20 ms", threads=2
    )
    assert_same_dataset(lifsim.load_sweep(tmp_path / "cli.nc"), python)
    default = lifsim.sweep(profile("study", t_max="200 ms"), grid={"i_mean": ["100 pA", "250 pA"]}, n=20)
    assert not np.array_equal(default["fano"].values, python["fano"].values)


def test_sweep_defaults_start_from_the_study_profile(tmp_path):
    ok("sweep", "--grid", "i_mean=150pA,250pA", "--n", "4", "--data", "cli.nc", "--quiet", cwd=tmp_path)
    python = lifsim.sweep(grid={"i_mean": ["150 pA", "250 pA"]}, n=4)
    assert_same_dataset(lifsim.load_sweep(tmp_path / "cli.nc"), python)
    assert json.loads(python.attrs["lifsim_meta"])["sweep"]["params"] == profile("study").as_dict()


def assert_same_dataset(a, b) -> None:
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True), name
    for name in a.coords:
        assert np.array_equal(a[name].values, b[name].values), name


# ---------------------------------------------------------------- tutorial


def test_tutorial_cli_and_python_give_the_same_bits(tmp_path):
    from lifsim.tutorial import find_exercise, replay

    ok("tutorial", "14", "--data", "p1.npz", cwd=tmp_path)
    assert_same_bits(arrays(tmp_path / "p1.npz"), replay(find_exercise(1, 14)).data)
    ok("tutorial", "--part", "2", "demo", "--t-ref", "10ms", "--t-ref-std", "7ms", "--data", "p2.npz", cwd=tmp_path)
    python = run_part2("demo", t_ref=0.01, t_ref_std=0.007)
    assert_same_bits(arrays(tmp_path / "p2.npz"), python.data)
    with np.load(tmp_path / "p2.npz") as data:
        meta = json.loads(str(data["meta"]))
    assert (meta["t_ref"], meta["t_ref_std"]) == (0.01, 0.007)


@pytest.mark.parametrize(("old", "new"), [("--sigma", "--t-ref-std"), ("--mu", "--t-ref")])
def test_part2_refractory_options_do_not_clash_with_sigma(tmp_path, old, new):
    """Finding 13: --sigma is a voltage everywhere; Part II's refractory spread is --t-ref-std, a time."""
    done = lifsim_script("tutorial", "--part", "2", "demo", old, "7ms", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"lifsim: error: {old}: renamed {new}")
    help_text = ok("tutorial", "--help", cwd=tmp_path)
    assert new in help_text and f"{old} " not in help_text
    with pytest.raises(TypeError, match="renamed t_ref"):
        run_part2("demo", **{old[2:]: 0.007})


def test_both_parts_share_one_registry():
    from lifsim.tutorial import REGISTRY, find_exercise

    assert list(REGISTRY) == [1, 2]
    assert [e.name for e in REGISTRY[1].values()] == [str(k) for k in range(1, 15)]
    assert list(REGISTRY[2]) == ["1", "2", "3", "4", "5", "demo", "6", "7"]
    assert find_exercise(2, "DEMO").settings == ("t_ref", "t_ref_std")
    with pytest.raises(ValueError, match="EX: expected one of"):
        find_exercise(2, "8")


# ---------------------------------------------------------------- inputs: the mean and the argument order


def test_an_input_without_a_mean_takes_lifparams_i_mean():
    """Finding 3: ``white_noise("5 mV")`` drove at 0 pA whatever LIFParams(i_mean=...) said."""
    params = LIFParams(i_mean="180 pA")
    for implicit, explicit in (
        (inputs.white_noise(sigma="5 mV"), inputs.white_noise("180 pA", sigma="5 mV")),
        (inputs.white_noise("5 mV"), inputs.white_noise("180 pA", sigma="5 mV")),  # the older order, still read
        (inputs.uniform_noise(), inputs.uniform_noise("180 pA")),
        (inputs.sine(period="20 ms"), inputs.sine("180 pA", "20 ms")),
        (inputs.constant(), inputs.constant("180 pA")),
        (inputs.step(onset="10 ms"), inputs.step("180 pA", "10 ms")),
    ):
        a = lifsim.simulate(params, implicit, n=5, seed=2)
        b = lifsim.simulate(params, explicit, n=5, seed=2)
        assert np.array_equal(a.v_mean, b.v_mean) and np.array_equal(a.spikes()[0], b.spikes()[0]), implicit
        assert a.meta["input"] == b.meta["input"]  # the provenance holds the current itself


def test_every_input_constructor_takes_the_mean_first_and_keywords_still_work():
    for constructor in (inputs.constant, inputs.sine, inputs.uniform_noise, inputs.white_noise, inputs.modulated):
        first = next(iter(inspect.signature(constructor).parameters))
        assert first == "mean", constructor.__name__
    params = LIFParams()
    assert inputs.white_noise(sigma="2 mV", mean="60 pA").mean_current(0.0, params) == pytest.approx(60e-12)
    assert inputs.uniform_noise(mean="60 pA", amplitude=0.5).terms[0].amplitude == 0.5
    with pytest.raises(TypeError, match="sigma by keyword"):
        inputs.white_noise(0.005, 60e-12)  # numbers in the older order are refused, not misread
    # a sum: a part without a mean adds none when another gives one
    drive = inputs.constant("60 pA") + inputs.white_noise(sigma="2 mV")
    assert drive.mean_current(0.0, params) == pytest.approx(60e-12)


def test_saved_descriptions_keep_their_means():
    """Files written before keep running as they did: a stored white noise with mean 0 A stays at 0 A."""
    old = {"kind": "white", "sigma_V": 0.005, "mean_A": 0.0, "stream": 0}
    assert inputs.from_description(old).mean_current(0.0, LIFParams()) == 0.0


def test_a_runs_record_states_the_uniform_amplitude_it_used(tmp_path):
    """``--input uniform`` without ``--amplitude`` recorded ``"amplitude": null`` while its summary printed A =
    1.2247: the file never said A. The record now holds the tutorial's 0.1 sqrt(t_max / dt), computed here, and a
    file with the old null still reruns with it."""
    import math

    ok("simulate", "--input", "uniform", "--n", "5", "--t-max", "0.15s", "--data", "run.nc", "--quiet", cwd=tmp_path)
    meta = lifsim.load(str(tmp_path / "run.nc")).meta
    (term,) = meta["input"]["terms"]
    assert term["amplitude"] == 0.1 * math.sqrt(0.15 / 1e-3)  # the default dt of the tutorial profile, 1 ms
    older = dict(meta["input"], terms=[dict(term, amplitude=None)])
    again = lifsim.simulate(LIFParams(t_max="0.15 s"), inputs.from_description(older), n=5)
    assert again.v_mean.tobytes() == lifsim.load(str(tmp_path / "run.nc")).v_mean.tobytes()


# ---------------------------------------------------------------- the table takes its defaults from the API


def test_option_table_defaults_come_from_the_api():
    from lifsim.cli.options import BY_NAME
    from lifsim.fi import DEFAULT_CURRENTS
    from lifsim.sweeps import fi_curve, sweep

    def default(function, name):
        return inspect.signature(function).parameters[name].default

    for command, function in (("simulate", lifsim.simulate), ("fi", fi_curve), ("sweep", sweep)):
        for name in ("n", "seed", "method", "engine"):
            assert BY_NAME[name].default_for(command) == default(function, name), (command, name)
    for command in ("fi", "sweep"):
        for name, value in PROFILES["study"].items():
            assert BY_NAME[name].default_for(command) == value
        assert BY_NAME["transient"].default_for(command) == default(fi_curve if command == "fi" else sweep, "transient")
    for name in ("t_max", "dt"):
        assert BY_NAME[name].default_for("simulate") == getattr(LIFParams(), name)
    assert BY_NAME["amplitude"].default_for("sweep") is None is default(sweep, "amplitude")
    assert BY_NAME["input"].default_for("sweep") == default(sweep, "input")
    # lifsim fi makes its currents from --i-min, --i-max and --points: the same bits as the API's list
    from lifsim.grid import even_points

    low, high, count = BY_NAME["i_min"].default, BY_NAME["i_max"].default, BY_NAME["points"].default
    assert even_points(low, high, count, "current", "--i-max", "pA") == DEFAULT_CURRENTS


def test_every_entry_point_takes_its_defaults_from_lifsim_defaults():
    """simulate, sweep and fi_curve state the defaults that lifsim.defaults (and so the command line) holds."""
    from lifsim.defaults import DEFAULTS

    functions = {"simulate": lifsim.simulate, "sweep": lifsim.sweep, "fi": lifsim.fi_curve}
    for command, defaults in DEFAULTS.items():
        parameters = inspect.signature(functions[command]).parameters
        for name, value in defaults.items():
            if name != "currents":
                assert parameters[name].default == value, (command, name)
    curve_defaults = inspect.signature(lifsim.fi_curve).parameters
    assert curve_defaults["params"].default is None is curve_defaults["currents"].default  # the study profile


def test_params_command_shows_the_profiles(tmp_path):
    out = ok("params", cwd=tmp_path)
    assert "study" in out and "t_max = 1 s, dt = 0.1 ms" in out and "lifsim fi" in out
    assert "tutorial" in out and "t_max = 150 ms, dt = 1 ms" in out


def test_the_library_never_imports_the_cli():
    """The option table lives in lifsim.cli; no module outside the user surfaces imports lifsim.cli."""
    surfaces = {"cli", "_console", "__main__", "explorer"}  # the command, its entry points, the explorer's sliders
    offenders = []
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[0] in surfaces:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("lifsim.cli") or name.lstrip(".").startswith("cli") or "options" in name:
                    offenders.append(f"{'/'.join(parts)}: {name}")
    assert offenders == []
    assert not (SRC / "options.py").exists() and not (SRC / "config.py").exists()


def test_fi_curve_runs_on_dask_workers_with_the_same_bits(tmp_path):
    """An f-I curve is a sweep, so it runs on workers (``lifsim fi --workers 2``) with the same numbers."""
    pytest.importorskip("distributed")
    params = profile("study", t_max="0.2 s")
    here = lifsim.fi_curve(params, ["100 pA", "300 pA"], n=10, sigma="5 mV", seed=2)
    ok(
        "fi", "--workers", "2", "--points", "2", "--i-min", "100pA", "--i-max", "300pA", "--n", "10", "--sigma",
        "5mV", "--seed", "2", "--t-max", "0.2s", "--data", "workers.npz", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    here.save(str(tmp_path / "here.npz"))
    assert_same_bits(arrays(tmp_path / "workers.npz"), arrays(tmp_path / "here.npz"))


def test_fi_curve_written_as_a_store_is_a_resumable_sweep(tmp_path):
    """``lifsim fi --data c.zarr`` writes the f-I sweep point by point; --resume finishes it; its view is the curve."""
    from lifsim.fi import FICurve

    args = ["fi", "--data", "c.zarr", "--sigma", "5mV", "--points", "2", "--n", "10", "--t-max", "0.2s", "--quiet"]
    ok(*args, cwd=tmp_path)
    ok(*args, "--resume", cwd=tmp_path)
    params = profile("study", t_max="0.2 s")
    stored = FICurve.from_sweep(lifsim.load_sweep(tmp_path / "c.zarr"), params)
    python = lifsim.fi_curve(params, np.linspace(0, 400e-12, 2), n=10, sigma="5 mV")
    assert_same_bits(stored.table(), python.table())
