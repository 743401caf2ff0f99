"""The ``lifsim`` command's happy paths: tutorial replay, simulate, params."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import PNG_MAGIC, assert_one_line_error, in_tmp, run_cli, run_ok  # noqa: F401 (in_tmp: autouse fixture)

# SAMPLE OUTPUT of exercises 1-4, copied from spec/lif-neuron-part-1.md (kept in test_tutorial.py)
from test_tutorial import SAMPLE_OUTPUT as TUTORIAL_OUTPUT

import lifsim
from lifsim.cli import main
from lifsim.params import PARAM_DOCS, PARAM_UNITS


def load(path):
    """The arrays of an .npz lifsim wrote, its checksum member checked (it names every other member) and left out."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    assert set(json.loads(str(arrays.pop("lifsim_sha256")))) == set(arrays)
    return arrays


# ------------------------------------------------------------------ tutorial


@pytest.mark.parametrize("ex", sorted(TUTORIAL_OUTPUT))
def test_tutorial_prints_sample_output(capsys, ex):
    out = run_ok(capsys, ["tutorial", str(ex)])
    assert out.splitlines() == TUTORIAL_OUTPUT[ex]


@pytest.mark.parametrize("ex", range(5, 15))
def test_tutorial_figures_say_what_they_computed_and_how_to_draw_them(capsys, ex):
    from lifsim.tutorial import TITLES

    out = run_ok(capsys, ["tutorial", str(ex)])
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"exercise {ex}: {TITLES[ex]}: ")
    assert f"lifsim tutorial {ex} --plot" in lines[1]


@pytest.mark.parametrize("argv", [["tutorial"], ["tutorial", "--list"]])
def test_tutorial_lists_the_exercises(capsys, argv):
    from lifsim.tutorial import TITLES

    out = run_ok(capsys, argv)
    for number, title in TITLES.items():
        assert f"{number:>2}  {title}" in out


def test_tutorial_without_an_exercise_lists_both_parts_and_how_to_run_each():
    """The installed ``lifsim tutorial``, as the README says: it listed Part I's 14 exercises only, and said only
    ``lifsim tutorial EX``; Part II's eight (with ``demo``) and how to replay them were nowhere."""
    from cli_helpers import lifsim_script

    from lifsim.tutorial import TITLES
    from lifsim.tutorial_part2 import PART2_TITLES

    done = subprocess.run([lifsim_script(), "tutorial"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    out = done.stdout
    for number, title in TITLES.items():
        assert f"{number:>2}  {title}" in out
    second = out.index("Part II")
    for name, title in PART2_TITLES.items():
        assert re.search(rf"^ *{name}  {re.escape(title)}$", out[second:], re.M), (name, title)
    assert "'lifsim tutorial EX'" in out[:second] and "'lifsim tutorial --part 2 EX'" in out[second:]
    # one part when one is asked for, as before
    part2 = subprocess.run([lifsim_script(), "tutorial", "--part", "2"], capture_output=True, text=True, timeout=120)
    assert "Defining parameters" not in part2.stdout and "A class: LIFNeurons" in part2.stdout


# exercise -> {key: shape} of its --data file
TUTORIAL_DATA = {
    2: {"t": (10,), "i": (10,)},
    3: {"t": (10,), "i": (10,)},
    4: {"t": (10,), "i": (10,), "v": (10,)},
    5: {"t": (25,), "i": (25,)},
    6: {"t": (150,), "i": (150,), "v": (150,)},
    7: {"t": (150,), "v": (150,)},
    8: {"t": (150,), "v": (50, 150)},
    9: {"t": (150,), "v": (50, 150), "v_mean": (150,)},
    10: {"t": (150,), "v": (50, 150), "v_mean": (150,), "v_std": (150,)},
    11: {"t": (149,), "i": (149,), "v": (149,)},
    12: {"t": (149,), "i": (149,), "v": (149,)},
    13: {"t": (150,), "i": (50, 150), "v": (50, 150)},
    14: {"t": (150,), "i": (50, 150), "v": (50, 150), "v_mean": (150,), "v_std": (150,)},
}


@pytest.mark.parametrize("ex", sorted(TUTORIAL_DATA))
def test_tutorial_data(capsys, tmp_path, ex):
    out = run_ok(capsys, ["tutorial", str(ex), "--data", "x.npz"])
    assert "wrote x.npz" in out
    data = load(tmp_path / "x.npz")
    meta = json.loads(str(data.pop("meta")))  # every file lifsim writes carries its provenance
    assert meta["exercise"] == ex and meta["params"]["tau"] == 0.02 and meta["lifsim_version"]
    assert {name: array.shape for name, array in data.items()} == TUTORIAL_DATA[ex]
    for array in data.values():
        assert array.dtype == np.float64
        assert np.all(np.isfinite(array))
    assert data["t"][0] == 0.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npz"]  # no temporary file left


def test_tutorial_data_values(capsys, tmp_path):
    run_ok(capsys, ["tutorial", "4", "--data", "x.npz"])
    data = load(tmp_path / "x.npz")
    assert [f"{tk:.3f} {vk:.4e}" for tk, vk in zip(data["t"], data["v"])] == TUTORIAL_OUTPUT[4]
    run_ok(capsys, ["tutorial", "10", "--data", "x.npz", "--force"])  # overwrites
    data = load(tmp_path / "x.npz")
    np.testing.assert_allclose(data["v_mean"], data["v"].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(data["v_std"], data["v"].std(axis=0, ddof=1), rtol=1e-9)
    run_ok(capsys, ["tutorial", "14", "--data", "x.npz", "--force"])
    data = load(tmp_path / "x.npz")
    np.testing.assert_allclose(data["v_std"], data["v"].std(axis=0, ddof=0), rtol=1e-12)


def test_tutorial_1_data_holds_the_parameters(capsys, tmp_path):
    run_ok(capsys, ["tutorial", "1", "--data", "x.npz"])
    data = load(tmp_path / "x.npz")
    assert float(data["tau"]) == 0.02
    assert float(data["i_mean"]) == 2.5e-10


@pytest.mark.parametrize("ex", range(5, 15))
def test_tutorial_plot_png(capsys, tmp_path, ex):
    out = run_ok(capsys, ["tutorial", str(ex), "--plot", "x.png"])
    assert out.splitlines()[-1].startswith("wrote x.png (figure")
    content = (tmp_path / "x.png").read_bytes()
    assert content.startswith(PNG_MAGIC)
    assert len(content) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


@pytest.mark.parametrize(
    "name, check",
    [
        ("x.svg", lambda b: b.lstrip().startswith(b"<?xml") and b"<svg" in b),
        ("x.pdf", lambda b: b.startswith(b"%PDF")),
        ("x.PNG", lambda b: b.startswith(PNG_MAGIC)),
    ],
    ids=["svg", "pdf", "upper-case-png"],
)
def test_tutorial_plot_other_formats(capsys, tmp_path, name, check):
    run_ok(capsys, ["tutorial", "7", "--plot", name, "--no-xkcd"])
    assert check((tmp_path / name).read_bytes())


def test_tutorial_plot_and_data_together(capsys, tmp_path):
    run_ok(capsys, ["tutorial", "9", "--xkcd", "--plot", "f.png", "--data", "d.npz"])
    assert (tmp_path / "f.png").read_bytes().startswith(PNG_MAGIC)
    assert set(load(tmp_path / "d.npz")) == {"t", "v", "v_mean", "meta"}


def test_tutorial_console_script(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lifsim", "tutorial", "3"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == TUTORIAL_OUTPUT[3]


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).parent / "lifsim"
    if not script.exists():
        pytest.skip("no lifsim console script next to the running Python")
    proc = subprocess.run([str(script), "tutorial", "1"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == TUTORIAL_OUTPUT[1]


# ------------------------------------------------------------------ simulate


def test_simulate_ensemble_statistics(capsys, tmp_path):
    out = run_ok(capsys, ["simulate", "--n", "50", "--input", "uniform", "--no-spiking", "--data", "out.npz"])
    data = load(tmp_path / "out.npz")
    for key in ("t", "v_mean", "v_std", "v_var"):
        assert data[key].shape == (150,), key
    assert "v" not in data and "spike_t" not in data and "rate" not in data
    np.testing.assert_allclose(data["v_std"] ** 2, data["v_var"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(data["t"], np.arange(150) * 1e-3, rtol=0, atol=1e-15)
    # every neuron starts at E_L (up to the rounding of the ensemble mean)
    assert data["v_mean"][0] == pytest.approx(-0.06, rel=1e-15) and data["v_std"][0] < 1e-15
    assert np.all(data["v_std"][1:] > 0)
    assert re.search(r"\b50 neuron", out), out
    assert "spiking off" in out


def test_simulate_record_all(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--n", "50", "--input", "uniform", "--no-spiking", "--record-v", "--data", "o.npz"])
    data = load(tmp_path / "o.npz")
    assert data["v"].shape == (50, 150)
    np.testing.assert_allclose(data["v"].mean(axis=0), data["v_mean"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data["v"].var(axis=0, ddof=1), data["v_var"], rtol=1e-8, atol=1e-18)


@pytest.mark.parametrize(
    "selection, rows", [("0:5", [0, 1, 2, 3, 4]), ("0,5,9", [0, 5, 9]), ("45:", list(range(45, 50)))]
)
def test_simulate_record_selection(capsys, tmp_path, selection, rows):
    run_ok(
        capsys,
        ["simulate", "--n", "50", "--input", "uniform", "--no-spiking", "--record-v", selection, "--data", "s.npz"],
    )
    part = load(tmp_path / "s.npz")
    assert part["v"].shape == (len(rows), 150)
    run_ok(capsys, ["simulate", "--n", "50", "--input", "uniform", "--no-spiking", "--record-v", "--data", "a.npz"])
    full = load(tmp_path / "a.npz")
    np.testing.assert_array_equal(part["v"], full["v"][rows])  # neuron j's noise depends only on (seed, j)


def test_simulate_record_v_none_is_the_default(tmp_path):
    """``--record-v none`` (what --help shows as the default) and a config's ``record_v = "none"`` record no
    traces, as the network's ``--record-spikes none`` records no spikes; a config's "none" is none there too (its
    false is refused, as --record-spikes false is: tests/test_network_cli.py)."""
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "5", "--t-max", "20ms", "--record-v", "none", "--data", "n.npz", "-q"])
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "v" not in load(tmp_path / "n.npz")
    (tmp_path / "run.toml").write_text('n = 5\nt_max = "20ms"\nrecord_v = "None"\n', encoding="utf-8")
    done = run_script(["simulate", "--config", "run.toml", "--data", "c.npz", "-q"])
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "v" not in load(tmp_path / "c.npz")
    (tmp_path / "net.toml").write_text('n_exc = 100\nt_max = "20ms"\nrecord_spikes = "none"\n', encoding="utf-8")
    done = run_script(["network", "--config", "net.toml", "--epsilon", "0.2", "--data", "net.npz", "-q"])
    assert done.returncode == 0, done.stderr
    assert lifsim.network.load(tmp_path / "net.npz").dataset.sizes["spike"] == 0


def test_simulate_spiking_rate(capsys, tmp_path):
    out = run_ok(capsys, ["simulate", "--input", "constant", "--t-max", "1s", "--dt", "0.1ms", "--data", "sp.npz"])
    data = load(tmp_path / "sp.npz")
    for key in ("spike_t", "spike_i", "rate", "spike_count"):
        assert key in data, key
    assert data["t"].shape == (10000,)
    assert abs(float(data["rate"]) - 59.0) < 1.0
    assert np.all(data["spike_i"] == 0)
    assert len(data["spike_t"]) == int(data["spike_count"].sum())
    # a noise-free Euler neuron fires every 170 steps of 0.1 ms
    np.testing.assert_allclose(np.diff(data["spike_t"]), 170 * 1e-4, rtol=1e-9)
    match = re.search(r"rate ([0-9.eE+-]+) Hz", out)
    assert match, out
    assert abs(float(match.group(1)) - 59.0) < 1.0
    assert re.search(r"\b1 neuron", out), out


def test_simulate_no_record_spikes(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--n", "3", "--no-record-spikes", "--data", "o.npz"])
    data = load(tmp_path / "o.npz")
    assert "spike_t" not in data and "spike_i" not in data
    assert data["spike_count"].shape == (3,)
    assert "rate" in data


def _sim_arrays(capsys, tmp_path, *extra):
    path = tmp_path / "u.npz"
    argv = ["simulate", "--n", "4", "--input", "uniform", "--no-spiking", "--quiet", "--data", str(path), "--force"]
    run_ok(capsys, argv + list(extra))
    data = load(path)
    meta = data.pop("meta")
    return data, meta


@pytest.mark.parametrize(
    "with_unit, si",
    [
        (["--tau", "20ms"], ["--tau", "0.02"]),
        (["--tau", "20 ms"], ["--tau", "0.02"]),
        (["--i-mean", "250pA"], ["--i-mean", "2.5e-10"]),
        (["--i-mean", "0.25nA"], ["--i-mean", "2.5e-10"]),
        (["--r", "100MOhm"], ["--r", "1e8"]),
        (["--dt", "0.5ms", "--t-max", "75ms"], ["--dt", "0.0005", "--t-max", "0.075"]),
        (["--vth=-45mV"], ["--vth", "-0.045"]),
        (["--el=-65mV"], ["--el", "-0.065"]),
    ],
    ids=["tau-ms", "tau-ms-space", "i-mean-pA", "i-mean-nA", "r-MOhm", "dt-t-max", "vth-mV", "el-mV"],
)
def test_simulate_units_equal_si(capsys, tmp_path, with_unit, si):
    a, _ = _sim_arrays(capsys, tmp_path, *with_unit)
    b, _ = _sim_arrays(capsys, tmp_path, *si)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_simulate_parameters_change_the_run(capsys, tmp_path):
    a, _ = _sim_arrays(capsys, tmp_path, "--tau", "20ms")
    b, _ = _sim_arrays(capsys, tmp_path, "--tau", "10ms")
    assert not np.array_equal(a["v_mean"], b["v_mean"])
    c, _ = _sim_arrays(capsys, tmp_path, "--seed", "1")
    d, _ = _sim_arrays(capsys, tmp_path, "--seed", "1")
    np.testing.assert_array_equal(c["v_mean"], d["v_mean"])
    assert not np.array_equal(a["v_mean"], c["v_mean"])


def test_simulate_meta_records_the_run(capsys, tmp_path):
    import json

    _, meta = _sim_arrays(capsys, tmp_path, "--tau", "20ms", "--seed", "7")
    info = json.loads(str(meta))
    assert info["params"]["tau"] == 0.02
    assert info["n"] == 4 and info["seed"] == 7 and info["spiking"] is False
    assert "--tau 20ms" in info["command"]


@pytest.mark.parametrize("argv", [["--el", "-65mV"], ["--vr", "-70mV"], ["--vth", "-45mV"]], ids=["el", "vr", "vth"])
def test_simulate_negative_value_with_unit_as_separate_argument(capsys, argv):
    run_ok(capsys, ["simulate", "--quiet", *argv])


def test_simulate_negative_plain_number_as_separate_argument(capsys):
    run_ok(capsys, ["simulate", "--quiet", "--el", "-0.065", "--vr", "-0.07"])


def test_simulate_summary(capsys):
    out = run_ok(capsys, ["simulate", "--n", "7", "--input", "uniform", "--no-spiking"])
    assert re.search(r"\b7 neuron", out), out
    assert "150 steps" in out and "dt = 1 ms" in out
    assert "mV" in out and "Hz" not in out
    out = run_ok(capsys, ["simulate", "--n", "2"])
    assert re.search(r"\b2 neuron", out) and re.search(r"rate [0-9.]+ Hz", out), out


def test_simulate_quiet(capsys, tmp_path):
    assert run_ok(capsys, ["simulate", "--quiet", "--data", "q.npz"]) == ""
    assert (tmp_path / "q.npz").exists()


def test_simulate_round_steps(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--quiet", "--t-max", "0.1505", "--round-steps", "--data", "r.npz"])
    assert load(tmp_path / "r.npz")["t"].shape in ((150,), (151,))


def test_simulate_lags(capsys, tmp_path):
    run_ok(capsys, "simulate --quiet --n 20 --input uniform --no-spiking --lags 1,5 --data l.npz")
    data = load(tmp_path / "l.npz")
    assert data["autocov_lag1"].shape == (150,) and data["autocov_lag5"].shape == (150,)
    assert np.all(np.isnan(data["autocov_lag5"][:5]))


def test_simulate_exact_method(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--quiet", "--method", "exact", "--no-spiking", "--data", "e.npz"])
    v = load(tmp_path / "e.npz")["v_mean"]
    # free membrane: V(t) = E_L + R I (1 - exp(-t / tau)), exactly on the grid
    t = np.arange(150) * 1e-3
    np.testing.assert_allclose(v, -0.06 + 0.025 * (1 - np.exp(-t / 0.02)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name, magic", [("s.png", PNG_MAGIC), ("s.svg", b"<?xml"), ("s.pdf", b"%PDF")])
def test_simulate_plot(capsys, tmp_path, name, magic):
    run_ok(capsys, ["simulate", "--quiet", "--n", "5", "--record-v", "--plot", name])
    assert (tmp_path / name).read_bytes().lstrip().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# ------------------------------------------------------------------ inputs


def test_input_sine_plus_uniform(capsys, tmp_path):
    out = run_ok(capsys, ["simulate", "--n", "5", "--input", "sine+uniform", "--no-spiking", "--data", "o.npz"])
    assert "sin" in out and "xi" in out
    data = load(tmp_path / "o.npz")
    assert np.all(np.isfinite(data["v_mean"])) and data["v_std"][-1] > 0


def test_input_sine_period(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--quiet", "--input", "sine", "--period", "20ms", "--no-spiking", "--data", "a.npz"])
    run_ok(capsys, ["simulate", "--quiet", "--input", "sine", "--period", "0.02", "--no-spiking", "--data", "b.npz"])
    run_ok(capsys, ["simulate", "--quiet", "--input", "sine", "--no-spiking", "--data", "c.npz"])
    a, b, c = (load(tmp_path / f"{x}.npz")["v_mean"] for x in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_input_uniform_amplitude(capsys, tmp_path):
    run_ok(capsys, "simulate --quiet --n 5 --input uniform --amplitude 0 --no-spiking --data a.npz")
    run_ok(capsys, ["simulate", "--quiet", "--n", "5", "--input", "constant", "--no-spiking", "--data", "b.npz"])
    a, b = load(tmp_path / "a.npz"), load(tmp_path / "b.npz")
    np.testing.assert_allclose(a["v_mean"], b["v_mean"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(a["v_std"], 0.0, atol=1e-15)


def test_input_constant_plus_white(capsys, tmp_path):
    out = run_ok(capsys, "simulate --n 20 --input constant+white --sigma 2mV --no-spiking --data o.npz")
    assert "white" in out
    data = load(tmp_path / "o.npz")
    assert data["v_std"][0] < 1e-15 and data["v_std"][-1] > 1e-4


def test_input_white_alone(capsys, tmp_path):
    run_ok(capsys, "simulate --quiet --n 20 --input white --sigma 0.002 --no-spiking --data o.npz")
    assert load(tmp_path / "o.npz")["v_std"][-1] > 0


def test_input_step_onset(capsys, tmp_path):
    out = run_ok(capsys, ["simulate", "--input", "step", "--onset", "50ms", "--no-spiking", "--data", "o.npz"])
    assert "step" in out
    v = load(tmp_path / "o.npz")["v_mean"]
    np.testing.assert_array_equal(v[:50], -0.06)  # no current before the onset: V stays at E_L
    assert v[-1] > -0.06 + 0.02


def test_input_array(capsys, tmp_path):
    np.save(tmp_path / "f.npy", np.full(150, 2.5e-10))
    out = run_ok(capsys, ["simulate", "--input", "array", "--input-file", "f.npy", "--no-spiking", "--data", "a.npz"])
    assert "array" in out
    run_ok(capsys, ["simulate", "--quiet", "--input", "constant", "--no-spiking", "--data", "c.npz"])
    np.testing.assert_array_equal(load(tmp_path / "a.npz")["v_mean"], load(tmp_path / "c.npz")["v_mean"])


def test_input_array_per_neuron(capsys, tmp_path):
    currents = np.array([[0.0] * 150, [2.5e-10] * 150])
    np.save(tmp_path / "f.npy", currents)
    run_ok(capsys, "simulate --quiet --n 2 --input array --input-file f.npy --no-spiking --record-v --data a.npz")
    v = load(tmp_path / "a.npz")["v"]
    np.testing.assert_array_equal(v[0], -0.06)
    assert v[1, -1] > -0.04


# ------------------------------------------------------------------ params


def test_params_lists_every_parameter_with_unit(capsys):
    out = run_ok(capsys, ["params"])
    lines = out.split("\n\n")[0].splitlines()  # the parameter set; then the profiles (test_defaults.py)
    assert len(lines) == len(PARAM_UNITS)
    for name, (_dimension, unit) in PARAM_UNITS.items():
        line = next((ln for ln in lines if ln.split() and ln.split()[0] == name), None)
        assert line is not None, f"{name} missing from {out!r}"
        shown = line.split("=", 1)[1].replace(PARAM_DOCS[name], "")
        words = re.findall(r"[A-Za-zΩµμ]+", shown)
        assert any(word.endswith(unit) for word in words), f"no unit {unit!r} in {line!r}"


def test_params_shows_given_values(capsys):
    out = run_ok(capsys, ["params", "--tau", "10ms", "--i-mean", "0.3nA"])
    tau = next(ln for ln in out.splitlines() if ln.startswith("tau "))
    i_mean = next(ln for ln in out.splitlines() if ln.startswith("i_mean "))
    assert "10 ms" in tau and "0.01" in tau
    assert "300 pA" in i_mean


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("lifsim ")


# ------------------------------------------------------------------ what a run says


def test_simulate_says_which_files_it_wrote(capsys, tmp_path):
    out = run_ok(capsys, ["simulate", "--n", "5", "--t-max", "20ms", "--data", "run.nc", "--plot", "run.png"])
    lines = out.splitlines()
    assert lines[-2].startswith("wrote run.nc (NetCDF-4 run, ")
    assert lines[-1].startswith("wrote run.png (figure, ")
    assert run_ok(capsys, ["simulate", "--n", "5", "--t-max", "20ms", "--data", "q.npz", "--quiet"]) == ""


def test_summary_prints_the_noise_amplitude(capsys):
    out = run_ok(capsys, ["simulate", "--n", "3", "--input", "uniform"])
    assert "A = 1.2247 (the tutorial's 0.1 sqrt(t_max/dt))" in out
    out = run_ok(capsys, ["simulate", "--n", "3", "--input", "uniform", "--amplitude", "31.6"])
    assert "A = 31.6" in out and "tutorial" not in out


def test_regular_train_prints_cv_zero(capsys):
    out = run_ok(capsys, ["simulate", "--t-max", "1s", "--dt", "0.1ms"])
    assert "CV of ISIs 0\n" in out


def test_exact_method_runs_where_euler_cannot(capsys):
    out = run_ok(
        capsys,
        ["simulate", "--method", "exact", "--dt", "20ms", "--tau", "10ms", "--t-max", "200ms", "--i-mean", "110pA"],
    )
    assert "method exact" in out
    rc, _out, err = run_cli(capsys, ["simulate", "--dt", "20ms", "--tau", "10ms", "--t-max", "200ms"])
    assert_one_line_error(rc, err, "--dt", "forward Euler", "exact")


def test_t_ref_is_refused_or_rounded_when_asked(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--t-ref", "1.5ms"])
    assert_one_line_error(rc, err, "--t-ref", "whole number of steps", "--round-steps")
    out = run_ok(capsys, ["simulate", "--t-ref", "2.5ms", "--round-steps", "--t-max", "20ms"])
    assert "note: t_ref = 2.5 ms is 2.5 steps of dt; rounded to 3 steps (3 ms)" in out


def test_one_time_point_is_refused_up_front(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--t-max", "1ms"])
    assert_one_line_error(rc, err, "--t-max", "at least two")


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--tau", "20"], "--tau: 20 s is far outside"),
        (["--input", "white", "--sigma", "5"], "--sigma: 5 V is far outside"),
        (["--el", "-60", "--vr", "-70", "--vth", "-50"], "--el: -60 V"),
        (["--i-mean", "250"], "--i-mean: 250 A"),
        (["--input", "uniform", "--amplitude", "1e6"], "--input: R I reaches 25 kV (R = 100 MOhm), far outside"),
        (["--input", "step", "--onset", "2s"], "--onset: 2 s is outside the run (0 to 149 ms): the step never"),
        (["--input", "step", "--onset", "-5ms"], "--onset: -5 ms is outside the run (0 to 149 ms): the step is on"),
        (["--no-spiking", "--t-ref", "2ms"], "--t-ref: 2 ms has no effect on a run without spiking"),
    ],
)
def test_unit_slips_are_warned_about(capsys, argv, needle):
    rc, _out, err = run_cli(capsys, ["simulate", "--quiet", *argv])
    assert rc == 0
    assert any(line.startswith(f"lifsim: warning: {needle}") for line in err.splitlines()), err
    assert "Traceback" not in err


def test_rate_near_one_spike_per_step_is_warned_about(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--quiet", "--i-mean", "100nA", "--n", "2"])
    assert rc == 0 and "lifsim: warning: rate:" in err


def test_first_compile_is_announced_on_a_terminal(capsys, monkeypatch):
    from lifsim.engine import numba_engine

    monkeypatch.setattr(numba_engine, "needs_compile", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "2", "--engine", "numba"])
    assert rc == 0 and "compiling the numba engine (first run only" in err
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "2", "--engine", "numba", "--quiet"])
    assert "compiling" not in err


def test_result_and_input_reprs_are_short():
    import lifsim

    result = lifsim.simulate(lifsim.LIFParams(), lifsim.inputs.uniform_noise("250 pA"), n=200, record_v="all")
    text = repr(result)
    assert text.startswith("<lifsim.Result\nlifsim: 200 neuron(s)") and len(text.splitlines()) <= 6
    assert "array(" not in text
    assert repr(lifsim.inputs.sine("250 pA")) == "<lifsim input: 250 pA * (1 + sin(2 pi t / 10 ms))>"
    assert repr(lifsim.inputs.white_noise("5 mV", "60 pA")) == "<lifsim input: white noise sigma 5 mV around 60 pA>"


def test_rate_of_a_run_without_duration_is_nan():
    import lifsim

    result = lifsim.simulate(lifsim.LIFParams(t_max="10 ms"), n=2)
    result.t = result.t[:1]
    assert np.isnan(result.rate)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            "simulate --n 10 --snapshots 500ms",
            "lifsim: error: --snapshots: 500 ms is not a time on the grid 0, dt, ..., 149 ms of the run (dt = 1 ms)",
        ),
        (
            "simulate --n 1e20",
            "lifsim: error: --n: 100000000000000000000 neurons is more than the 4294967296 (2**32) the random streams "
            "can key",
        ),
    ],
)
def test_the_script_names_bad_values_in_the_units_typed(argv, line):
    from cli_helpers import run_script

    done = run_script(argv)
    assert (done.returncode, done.stderr.strip(), done.stdout) == (2, line, "")


@pytest.mark.parametrize(
    ("argv", "warning"),
    [
        (
            ["simulate", "--n", "100", "--t-max", "0.5", "--tau", "20"],
            "lifsim: warning: --tau: 20 s is far outside the usual range (0.1 ms to 1 s); plain numbers are SI "
            "units (s): did you mean 20ms?",
        ),
        (
            ["network", "--n-exc", "400", "--t-max", "0.2s", "--j", "0.1"],
            "lifsim: warning: --j: 100 mV is far outside the usual range (1 uV to 20 mV); plain numbers are SI "
            "units (V): did you mean 0.1mV?",
        ),
        (
            ["network", "--n-exc", "400", "--t-max", "0.2s", "--grid", "g=3,5", "--delay", "1.5"],
            "lifsim: warning: --delay: 1.5 s is far outside the usual range (0.1 to 100 ms); plain numbers are SI "
            "units (s): did you mean 1.5ms?",
        ),
    ],
)
def test_a_unit_slip_is_said_before_the_run_not_after_it(argv, warning):
    """The warning is the first line the script writes, before the run's header and results (stdout unbuffered,
    merged with stderr: the lines in the order they were written); it used to come after the whole run."""
    from cli_helpers import lifsim_script

    done = subprocess.run(
        [lifsim_script(), *argv],
        capture_output=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == warning and lines.count(warning) == 1
    assert len(lines) > 2  # the run's own lines follow


def test_a_network_whose_connection_probability_rounds_away_is_warned_about():
    from cli_helpers import run_script

    done = run_script(["network", "--n-exc", "400", "--t-max", "0.1s", "--epsilon", "0.001", "--quiet"])
    assert done.returncode == 0
    assert done.stderr.splitlines()[:2] == [
        "lifsim: warning: --epsilon: C_E = round(eps N) = 1 is far from eps N = 0.4 (connection probability 0.0025 "
        "instead of 0.001); use a larger epsilon or n_exc",
        "lifsim: warning: --epsilon: C_I = round(eps N) = 1 is far from eps N = 0.1 (connection probability 0.01 "
        "instead of 0.001); use a larger epsilon or n_exc",
    ]


@pytest.mark.parametrize("name", ["b.nc", "b.npz", "b.csv"])
def test_a_data_file_without_room_is_refused_before_the_run(capsys, monkeypatch, name):
    """The folder's free room is checked against the run's arrays (spikes at half the theory's rate) before any
    compute: a full disk used to be found only when the finished run was written.  (A .zarr store is compressed:
    tests/test_data_room.py.)"""
    import shutil

    import lifsim.simulation

    monkeypatch.setattr(shutil, "disk_usage", lambda _folder: shutil._ntuple_diskusage(10**9, 10**9 - 65536, 65536))
    monkeypatch.setattr(lifsim.simulation, "simulate", lambda *a, **k: pytest.fail("the run started"))
    argv = ["simulate", "--n", "2000", "--t-max", "30s", "--input", "white", "--sigma", "5mV", "--data", name]
    rc, out, err = run_cli(capsys, argv)
    assert rc == 2 and out == ""
    expected = rf"lifsim: error: --data: '{name}' needs at least [0-9.]+ MiB, and its folder has 64 KiB free\n"
    assert re.fullmatch(expected, err.splitlines(keepends=True)[-1]), err
    assert len(err.splitlines()) == (2 if name.endswith(".csv") else 1)  # a .csv also says it holds no spikes


def test_a_csv_says_before_the_run_what_it_will_not_hold():
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "50", "--t-max", "0.1s", "--record-v", "0:10", "--data", "a.csv"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        "lifsim: warning: --data: a .csv holds the per-step table only; the recorded traces and the "
        "spikes of this run will not be in it (.nc, .zarr or .npz keep everything)"
    )
    counts = run_script(["simulate", "--n", "5", "--t-max", "0.1s", "--no-record-spikes", "--data", "c.csv", "-q"])
    assert counts.stderr == (  # a spiking run's counts per neuron were dropped without a word
        "lifsim: warning: --data: a .csv holds the per-step table only; the per-neuron spike counts of this run "
        "will not be in it (.nc, .zarr or .npz keep everything)\n"
    )
    quiet = run_script(["simulate", "--n", "50", "--t-max", "0.1s", "--no-spiking", "--data", "b.csv", "--quiet"])
    assert quiet.returncode == 0 and quiet.stderr == ""  # a table is all such a run keeps: nothing left out


def test_the_memory_estimate_never_expects_more_than_a_spike_a_step():
    """The continuous theory's rate has no ceiling (400 A gave 1e14 Hz): the spike list was estimated at
    tens of thousands of TiB for 50 neurons and the run refused, blaming --n."""
    from lifsim.request import RunRequest
    from lifsim.runners.base import expected_rate

    params = lifsim.LIFParams(t_max="0.2 s", dt="0.1 ms", i_mean=400.0, t_ref="0.2 ms")
    request = RunRequest(params, lifsim.inputs.white_noise(sigma="5 mV"), n=50).validate()
    assert expected_rate(request) == pytest.approx(1 / 3e-4)


def test_a_lag_asked_for_twice_is_refused_as_a_snapshot_is(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--lags", "1,1"])
    assert_one_line_error(rc, err, "--lags", "each lag can be asked for once", "[1, 1]")


def test_a_silent_network_says_it_has_no_cv_or_synchrony_rather_than_nan():
    from cli_helpers import run_script

    done = run_script(["network", "--n-exc", "400", "--t-max", "0.2s", "--eta", "0"])
    assert done.returncode == 0, done.stderr
    assert "nan" not in done.stdout
    expected = "  E: rate 0.00 Hz (theory 0.00 Hz), CV none (no neuron with three spikes in the window), synchrony none"
    assert expected in done.stdout


def test_the_tutorial_demo_warns_about_a_refractory_period_without_its_unit():
    from cli_helpers import run_script

    done = run_script(["tutorial", "--part", "2", "demo", "--t-ref", "20"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("lifsim: warning: --t-ref: 20 is 20 s, far outside the usual range")
    assert run_script(["tutorial", "--part", "2", "demo", "--t-ref", "20ms"]).stderr == ""


def test_rerun_names_an_f_i_table_or_a_tutorial_file_for_what_it_is(tmp_path):
    from cli_helpers import run_script

    made = [["fi", "--n", "5", "--t-max", "0.3s", "--points", "2", "--data", "f.npz", "--quiet"]]
    made.append(["tutorial", "4", "--data", "t4.npz"])
    for argv in made:
        assert run_script(argv, cwd=tmp_path).returncode == 0
    table = run_script(["rerun", "f.npz"], cwd=tmp_path)
    assert table.returncode == 2
    assert table.stderr.startswith("lifsim: error: f.npz: an f-I table (made by 'lifsim fi --n 5")
    assert table.stderr.endswith("not a run: read it with lifsim.load_fi; lifsim load and rerun take a run's file\n")
    exercise = run_script(["rerun", "t4.npz"], cwd=tmp_path)
    assert exercise.returncode == 2
    assert exercise.stderr.startswith("lifsim: error: t4.npz: the arrays of tutorial exercise 4 ('lifsim tutorial 4')")


def test_tutorial_list_with_an_exercise_says_which_it_does(capsys):
    rc, out, err = run_cli(capsys, ["tutorial", "--list", "5"])
    assert_one_line_error(rc, err, "--list", "replay 5 without --list")
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["simulate", "--tua", "20ms"], "unrecognized arguments: --tua 20ms; did you mean --tau?"),
        (["fi", "--sigm", "5mV"], "unrecognized arguments: --sigm 5mV; did you mean --sigma?"),
        (
            ["tutorial", "demo"],
            "EX: expected an exercise number from 1 to 14, got 'demo' (Part II has 'demo': --part 2)",
        ),
    ],
)
def test_a_slip_says_what_was_likely_meant(argv, line):
    from cli_helpers import run_script

    done = run_script(argv)
    assert done.returncode == 2 and done.stderr.splitlines()[0].startswith(f"lifsim: error: {line}"), done.stderr


def test_params_warns_of_a_unit_slip_as_simulate_does(tmp_path):
    """`lifsim params --r 100mohm --el -60MV` printed r = 1e-07 MOhm and el = -6e+10 mV without a word (simulate
    warns); V0, which follows E_L, is not warned about a second time."""
    from cli_helpers import run_script

    done = run_script(["params", "--r", "100mohm", "--el", "-60MV"])
    assert done.returncode == 0, done.stderr
    warned = done.stderr.splitlines()
    assert len(warned) == 2 and warned[0].startswith("lifsim: warning: --el: -60 MV") and "--r: 100 mOhm" in warned[1]
    assert run_script(["params"]).stderr == ""


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["simulate", "--n", "10", "--i-mean", "250", "pA"],
            "lifsim: error: --i-mean: the unit 'pA' came as an argument of its own; write it with the number: "
            "--i-mean 250pA, or quote the value: --i-mean '250 pA' (see 'lifsim simulate --help')",
        ),
        (
            ["simulate", "--el", "-65", "mV"],
            "lifsim: error: --el: the unit 'mV' came as an argument of its own; write it with the number: --el "
            "-65mV, or quote the value: --el '-65 mV' (see 'lifsim simulate --help')",
        ),
        (
            ["simulate", "--snapshots", "10,20", "ms"],
            "lifsim: error: --snapshots: the unit 'ms' came as an argument of its own; write it with each number: "
            "--snapshots 10ms,20ms (see 'lifsim simulate --help')",
        ),
        (
            ["tutorial", "--part", "2", "demo", "--t-ref", "20", "ms"],
            "lifsim: error: --t-ref: the unit 'ms' came as an argument of its own; write it with the number: --t-ref "
            "20ms, or quote the value: --t-ref '20 ms' (see 'lifsim tutorial --help')",
        ),
        (  # --n takes no quantity: nothing to join
            ["simulate", "--n", "10", "pA"],
            "lifsim: error: unrecognized arguments: pA (see 'lifsim simulate --help')",
        ),
    ],
)
def test_a_unit_after_a_space_is_said_to_go_with_its_number(argv, line):
    """``--i-mean 250 pA`` (as a config file and the Python API write "250 pA") said only "unrecognized arguments:
    pA"; the quoted value and the one without a space both run."""
    from cli_helpers import run_script

    done = run_script(argv)
    assert (done.returncode, done.stderr.strip(), done.stdout) == (2, line, "")


def test_a_quantity_quoted_with_its_space_runs():
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "2", "--i-mean", "250 pA", "--el", "-65 mV", "--quiet", "--no-data"])
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.parametrize(
    ("argv", "hint"),
    [(["simulat"], "; did you mean simulate?"), (["sweeps"], "; did you mean sweep?"), (["networ"], "network?")],
)
def test_a_misspelled_command_gets_the_closest_command(argv, hint):
    """``lifsim simulat`` said "invalid choice: 'simulat' (choose from ...)" with no suggestion, where a misspelled
    option (``--t-mx``) gets "did you mean --t-max?"."""
    from cli_helpers import run_script

    done = run_script(argv)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"lifsim: error: COMMAND: invalid choice: '{argv[0]}' (choose from 'tutorial',")
    assert done.stderr.rstrip().endswith(f"{hint} (see 'lifsim --help')"), done.stderr
    assert "did you mean" not in run_script(["xyz"]).stderr  # nothing close: no guess
