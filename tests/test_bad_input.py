"""Bad input: one clear line on stderr and exit status 2 from the CLI, ValueError
(TypeError for a wrong type) from the API, never a traceback.

Every message must name the bad value (or the option/parameter it was given
to) and say what would be accepted.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import USAGE, assert_one_line_error, in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
import lifsim.atomic
import lifsim.formats.npz
import lifsim.tutorial
import lifsim.units
from lifsim import inputs

# --------------------------------------------------------------------- CLI

# (argv, substrings the one-line message must contain)
CLI_CASES = {
    # dt <= 0
    "dt-zero": (["simulate", "--dt", "0"], ["dt", "0", "> 0"]),
    "dt-zero-with-unit": (["simulate", "--dt", "0ms"], ["dt", "> 0"]),
    "dt-negative": (["simulate", "--dt=-1e-3"], ["dt", "-1 ms", "> 0"]),
    "dt-negative-with-unit": (["simulate", "--dt=-1ms"], ["dt", "-1 ms", "> 0"]),
    # NaN or infinite values
    "dt-nan": (["simulate", "--dt", "nan"], ["dt", "nan", "finite"]),
    "dt-inf": (["simulate", "--dt", "inf"], ["dt", "inf", "finite"]),
    "tau-nan": (["simulate", "--tau", "nan"], ["tau", "nan", "finite"]),
    "tau-nan-with-unit": (["simulate", "--tau", "nan ms"], ["tau", "nan", "finite"]),
    "i-mean-inf": (["simulate", "--i-mean", "inf"], ["i_mean", "inf", "finite"]),
    "i-mean-inf-with-unit": (["simulate", "--i-mean", "infpA"], ["i_mean", "inf", "finite"]),
    "el-nan": (["simulate", "--el", "nan"], ["el", "nan", "finite"]),
    "v0-nan": (["simulate", "--v0", "nanV"], ["v0", "nan", "finite"]),
    "t-max-inf": (["simulate", "--t-max", "inf"], ["t_max", "inf", "finite"]),
    "r-inf": (["simulate", "--r", "infOhm"], ["r", "inf", "finite"]),
    "tau-overflows-to-inf": (["simulate", "--tau", "1e400"], ["tau", "inf", "finite"]),
    "sigma-nan": (["simulate", "--input", "white", "--sigma", "nan"], ["sigma", "nan", "finite"]),
    "period-nan": (["simulate", "--input", "sine", "--period", "nan"], ["period", "nan", "finite"]),
    "onset-nan": (["simulate", "--input", "step", "--onset", "nan"], ["onset", "nan", "finite"]),
    # t_max < dt, and t_max not a whole number of steps
    "t-max-below-dt": (["simulate", "--t-max", "0.5ms"], ["t_max", "0.5 ms", "dt"]),
    "t-max-zero": (["simulate", "--t-max", "0"], ["t_max", "dt"]),
    "t-max-not-whole-steps": (["simulate", "--t-max", "0.1505"], ["t_max", "150.5 ms", "--round-steps"]),
    # n < 1, or not a number
    "n-zero": (["simulate", "--n", "0"], ["n", "0", ">= 1"]),
    "n-negative": (["simulate", "--n", "-3"], ["n", "-3", ">= 1"]),
    "n-not-a-number": (["simulate", "--n", "abc"], ["--n", "abc", "whole number >= 1"]),
    "n-float": (["simulate", "--n", "2.5"], ["--n", "2.5", "whole number >= 1"]),
    # tau <= 0
    "tau-zero": (["simulate", "--tau", "0"], ["tau", "0", "> 0"]),
    # a leak of 1e-304 a step: a raw numpy "divide by zero" warning, then a run; with white noise a refusal that
    # blamed "--input: R I reaches 1.58e+100 V" at 0 pA
    "tau-beyond-any-leak": (["simulate", "--tau", "1e300"], ["--tau", "1e+300", "at most 1e+12"]),
    "tau-beyond-any-leak-white": (
        ["simulate", "--tau", "1e200", "--input", "white", "--sigma", "5mV", "--i-mean", "0"],
        ["--tau", "1e+200", "at most 1e+12"],
    ),
    "tau-negative": (["simulate", "--tau=-5ms"], ["tau", "-5 ms", "> 0"]),
    "tau-underflows-to-zero": (["simulate", "--tau", "1e-400"], ["tau", "> 0"]),
    # dt >= tau: refuse and say why
    "dt-equals-tau": (["simulate", "--dt", "20ms", "--t-max", "160ms"], ["dt", "20 ms", "tau", "euler", "exact"]),
    "dt-above-tau": (["simulate", "--dt", "30ms"], ["dt", "30 ms", "tau", "euler"]),
    "tau-below-dt": (["simulate", "--tau", "0.5ms"], ["dt", "tau", "0.5 ms", "euler"]),
    # unknown input kind
    "input-foo": (["simulate", "--input", "foo"], ["--input", "foo", "constant", "sine", "uniform", "white"]),
    "input-sine+foo": (["simulate", "--input", "sine+foo"], ["--input", "foo", "constant"]),
    "input-empty": (["simulate", "--input", ""], ["--input", "constant"]),
    "input-twice": (["simulate", "--input", "sine+sine"], ["--input", "sine+sine", "twice"]),
    "input-step+sine": (["simulate", "--input", "step+sine"], ["--input", "step", "white"]),
    "input-white-without-sigma": (["simulate", "--input", "white"], ["white", "--sigma"]),
    "input-constant+white-without-sigma": (["simulate", "--input", "constant+white"], ["white", "--sigma"]),
    "sigma-without-white": (["simulate", "--sigma", "2mV"], ["--sigma", "white"]),
    "amplitude-without-uniform": (["simulate", "--amplitude", "0.1"], ["--amplitude", "uniform"]),
    "input-array-without-file": (["simulate", "--input", "array"], ["array", "--input-file"]),
    "input-array-missing-file": (
        ["simulate", "--input", "array", "--input-file", "missing.npy"],
        ["--input-file", "missing.npy"],
    ),
    "sigma-negative": (["simulate", "--input", "white", "--sigma=-1mV"], ["sigma", "-1 mV", ">= 0"]),
    "period-zero": (["simulate", "--input", "sine", "--period", "0"], ["period", "> 0"]),
    "amplitude-negative": (["simulate", "--input", "uniform", "--amplitude=-1"], ["amplitude", "-1", ">= 0"]),
    # unknown unit, or a unit of the wrong dimension
    "tau-unknown-unit": (["simulate", "--tau", "20 xs"], ["tau", "xs", "ms"]),
    "tau-unknown-unit-no-space": (["simulate", "--tau", "20xs"], ["tau", "xs", "ms"]),
    "tau-voltage-unit": (["simulate", "--tau", "20mV"], ["tau", "mV", "ms"]),
    "i-mean-time-unit": (["simulate", "--i-mean", "250ms"], ["i_mean", "ms", "pA"]),
    "vth-current-unit": (["simulate", "--vth", "50pA"], ["vth", "pA", "mV"]),
    "r-voltage-unit": (["simulate", "--r", "100MV"], ["r", "MV", "Ohm"]),
    "sigma-time-unit": (["simulate", "--input", "white", "--sigma", "2ms"], ["sigma", "ms", "mV"]),
    "period-voltage-unit": (["simulate", "--input", "sine", "--period", "10mV"], ["period", "mV", "ms"]),
    "dt-garbage": (["simulate", "--dt", "fast"], ["dt", "fast", "ms"]),
    "dt-empty": (["simulate", "--dt", ""], ["dt", "ms"]),
    # other parameter checks
    "vr-equals-vth": (["simulate", "--vr", "-0.05"], ["vr", "-50 mV", "vth"]),
    "vr-above-vth": (["simulate", "--vr=-40mV"], ["vr", "-40 mV", "vth"]),
    "vth-below-vr": (["simulate", "--vth=-80mV"], ["vr", "vth", "-80 mV"]),
    "r-zero": (["simulate", "--r", "0"], ["r", "> 0"]),
    "t-ref-negative": (["simulate", "--t-ref=-1ms"], ["t_ref", ">= 0"]),
    "method-rk4": (["simulate", "--method", "rk4"], ["--method", "rk4", "euler", "exact"]),
    "seed-negative": (["simulate", "--seed", "-1"], ["seed", "-1"]),
    "seed-not-a-number": (["simulate", "--seed", "abc"], ["--seed", "abc"]),
    # neuron selections and lags
    "record-v-out-of-range": (["simulate", "--n", "10", "--record-v", "5:999"], ["record_v", "5:999", "0 .. 9"]),
    "record-v-index-too-big": (["simulate", "--n", "10", "--record-v", "10"], ["record_v", "10", "0 .. 9"]),
    "record-v-negative": (["simulate", "--n", "10", "--record-v", "-1"], ["record_v", "-1", "0 .. 9"]),
    "record-v-empty-slice": (["simulate", "--n", "10", "--record-v", "5:3"], ["record_v", "5:3"]),
    "record-v-garbage": (["simulate", "--record-v", "abc"], ["record_v", "abc", "all"]),
    "lags-not-numbers": (["simulate", "--lags", "1,x"], ["--lags", "1,x", "whole numbers"]),
    "lags-float": (["simulate", "--lags", "1.5"], ["--lags", "1.5"]),
    "lags-negative": (["simulate", "--lags=-1"], ["lags", "-1", ">= 0"]),
    "lags-too-long": (["simulate", "--lags", "200"], ["lag", "200", "150"]),
    # output paths
    "plot-bad-suffix": (["simulate", "--plot", "out.jpg"], ["--plot", "out.jpg", ".png", ".svg", ".pdf"]),
    "data-bad-suffix": (["simulate", "--data", "out.txt"], ["--data", "out.txt", ".npz"]),
    "data-missing-folder": (
        ["simulate", "--data", "/nonexistent/dir/out.npz"],
        ["--data", "/nonexistent/dir", "does not exist"],
    ),
    "plot-missing-folder": (
        ["simulate", "--plot", "/nonexistent/dir/x.png"],
        ["--plot", "/nonexistent/dir", "does not exist"],
    ),
    "data-relative-missing-folder": (["simulate", "--data", "nodir/out.npz"], ["--data", "nodir", "does not exist"]),
    "tutorial-data-missing-folder": (
        ["tutorial", "3", "--data", "/nonexistent/dir/x.npz"],
        ["--data", "/nonexistent/dir", "does not exist"],
    ),
    "tutorial-plot-missing-folder": (
        ["tutorial", "5", "--plot", "/nonexistent/dir/x.png"],
        ["--plot", "/nonexistent/dir", "does not exist"],
    ),
    "tutorial-plot-bad-suffix": (["tutorial", "5", "--plot", "x.jpg"], ["--plot", "x.jpg", ".png"]),
    "tutorial-plot-without-figure": (["tutorial", "1", "--plot", "x.png"], ["--plot", "exercise 1", "5-14"]),
    # tutorial exercise outside 1..14
    "tutorial-0": (["tutorial", "0"], ["0", "1 to 14"]),
    "tutorial-15": (["tutorial", "15"], ["15", "1 to 14"]),
    "tutorial-negative": (["tutorial", "-1"], ["-1", "1 to 14"]),
    "tutorial-huge": (["tutorial", "99999999999999999999"], ["99999999999999999999", "1 to 14"]),
    "tutorial-abc": (["tutorial", "abc"], ["abc", "1 to 14"]),
    # the params command validates too
    "params-dt-zero": (["params", "--dt", "0"], ["dt", "> 0"]),
    "params-tau-wrong-unit": (["params", "--tau", "20mV"], ["tau", "mV", "ms"]),
    # the command line itself
    "no-command": ([], ["command"]),
    "unknown-command": (["bogus"], ["bogus", "tutorial", "simulate", "params"]),
    "unknown-option": (["simulate", "--bogus"], ["--bogus"]),
}


@pytest.mark.parametrize("argv, needles", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli_bad_input_gives_one_line_and_status_2(capsys, argv, needles):
    rc, out, err = run_cli(capsys, argv)
    assert_one_line_error(rc, err, *needles, option_names=True)
    assert out == ""


def test_cli_error_lines_start_with_the_program_name(capsys):
    for argv in (["simulate", "--dt", "0"], ["simulate", "--n", "abc"], ["tutorial", "15"]):
        rc, _out, err = run_cli(capsys, argv)
        assert rc == USAGE
        assert err.startswith("lifsim"), err


def test_round_steps_accepts_t_max_that_is_not_whole_steps(capsys):
    rc, out, err = run_cli(capsys, ["simulate", "--t-max", "0.1505", "--round-steps", "--data", "out.npz"])
    assert (rc, err) == (0, "")
    with np.load("out.npz") as data:
        assert data["t"].shape in ((150,), (151,))
    rc, _out, err = run_cli(capsys, ["params", "--t-max", "0.1505", "--round-steps"])
    assert (rc, err) == (0, "")


# Negative values typed as a separate argument: argparse takes "-1e-3" or
# "-5ms" for an option, and the message names neither the value nor the range.
ARGPARSE_NEGATIVE = {
    "dt": (["simulate", "--dt", "-1e-3"], ["dt", ("-1e-3", "-1 ms"), "> 0"]),
    "dt-with-unit": (["simulate", "--dt", "-1ms"], ["dt", ("-1ms", "-1 ms"), "> 0"]),
    "tau-with-unit": (["simulate", "--tau", "-5ms"], ["tau", ("-5ms", "-5 ms"), "> 0"]),
    "t-ref-with-unit": (["simulate", "--t-ref", "-1ms"], [("t_ref", "--t-ref"), ("-1ms", "-1 ms"), ">= 0"]),
}


@pytest.mark.parametrize("argv, needles", list(ARGPARSE_NEGATIVE.values()), ids=list(ARGPARSE_NEGATIVE))
def test_cli_negative_value_as_separate_argument_is_named(capsys, argv, needles):
    rc, _out, err = run_cli(capsys, argv)
    assert_one_line_error(rc, err, *needles, option_names=True)


def test_cli_negative_value_as_separate_argument_still_one_line(capsys):
    # Whatever the message, it is one line and status 2.
    rc, _out, err = run_cli(capsys, ["simulate", "--dt", "-1e-3"])
    assert_one_line_error(rc, err, "--dt", option_names=True)


def test_cli_tiny_dt_no_traceback(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--dt", "1e-320"])
    assert_one_line_error(rc, err, "dt", option_names=True)


def test_cli_run_too_large_for_memory_no_traceback(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", str(10**15), "--quiet"])
    assert_one_line_error(rc, err, "n", option_names=True)


def test_cli_huge_t_max_is_named(capsys):
    rc, _out, err = run_cli(capsys, ["simulate", "--t-max", "1e300", "--quiet"])
    assert_one_line_error(rc, err, "t_max", option_names=True)


# ------------------------------------------------------------ subprocess


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["simulate", "--dt", "0"], "dt"),
        (["tutorial", "15"], "15"),
        (["simulate", "--input", "foo"], "foo"),
    ],
    ids=["dt-0", "tutorial-15", "input-foo"],
)
def test_python_m_lifsim_bad_input(tmp_path, argv, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "lifsim", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == USAGE
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), proc.stderr
    assert needle in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_installed_console_script_bad_input(tmp_path):
    script = Path(sys.executable).parent / "lifsim"
    if not script.exists():
        pytest.skip("no lifsim console script next to the running Python")
    proc = subprocess.run(
        [str(script), "simulate", "--dt", "0"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == USAGE
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "dt" in proc.stderr


# ------------------------------------------------- no output file is touched

LATE_FAILURES = {
    "bad-param": ["simulate", "--dt", "0"],
    "bad-input-kind": ["simulate", "--input", "foo"],
    "white-without-sigma": ["simulate", "--input", "white"],
    "record-v-out-of-range": ["simulate", "--n", "10", "--record-v", "5:999"],  # fails inside simulate()
    "lags-too-long": ["simulate", "--lags", "200"],
    "bad-lags": ["simulate", "--lags", "1,x"],
}


@pytest.mark.parametrize("argv", list(LATE_FAILURES.values()), ids=list(LATE_FAILURES))
def test_bad_input_writes_no_file(capsys, tmp_path, argv):
    rc, _out, err = run_cli(capsys, [*argv, "--data", "out.npz", "--plot", "out.png"])
    assert_one_line_error(rc, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no temporary file


@pytest.mark.parametrize("argv", list(LATE_FAILURES.values()), ids=list(LATE_FAILURES))
def test_bad_input_keeps_existing_files(capsys, tmp_path, argv):
    (tmp_path / "out.npz").write_bytes(b"old data")
    (tmp_path / "out.png").write_bytes(b"old figure")
    rc, _out, err = run_cli(capsys, [*argv, "--data", "out.npz", "--plot", "out.png"])
    assert_one_line_error(rc, err)
    assert (tmp_path / "out.npz").read_bytes() == b"old data"
    assert (tmp_path / "out.png").read_bytes() == b"old figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz", "out.png"]


def test_bad_plot_path_stops_before_data_is_written(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["simulate", "--data", "out.npz", "--plot", "/nonexistent/dir/x.png"])
    assert_one_line_error(rc, err, "--plot", option_names=True)
    assert list(tmp_path.iterdir()) == []


def test_tutorial_without_figure_writes_no_data(capsys, tmp_path):
    (tmp_path / "keep.npz").write_bytes(b"old data")
    rc, out, err = run_cli(capsys, ["tutorial", "1", "--data", "keep.npz", "--plot", "x.png"])
    assert_one_line_error(rc, err, "--plot", option_names=True)
    assert out == ""
    assert (tmp_path / "keep.npz").read_bytes() == b"old data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.npz"]


def test_tutorial_bad_exercise_writes_no_file(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["tutorial", "15", "--data", "x.npz", "--plot", "x.png"])
    assert_one_line_error(rc, err, "15", option_names=True)
    assert list(tmp_path.iterdir()) == []


def test_data_path_that_is_a_folder(capsys, tmp_path):
    (tmp_path / "d.npz").mkdir()
    rc, _out, err = run_cli(capsys, ["simulate", "--data", "d.npz"])
    assert_one_line_error(rc, err, "--data", "d.npz", "folder", option_names=True)
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]
    assert list((tmp_path / "d.npz").iterdir()) == []


def test_unreadable_input_file(capsys, tmp_path):
    (tmp_path / "text.npy").write_text("not an array")
    rc, _out, err = run_cli(capsys, ["simulate", "--input", "array", "--input-file", "text.npy"])
    assert_one_line_error(rc, err, "--input-file", "text.npy", option_names=True)


@pytest.mark.parametrize(
    "array, needles",
    [
        (np.zeros((2, 2, 2)), ["array", "(2, 2, 2)"]),
        (np.zeros(10), ["array", "10", "149"]),
        (np.zeros((3, 150)), ["3", "n = 1"]),
    ],
    ids=["3-d", "too-short", "wrong-rows"],
)
def test_input_file_of_wrong_shape(capsys, tmp_path, array, needles):
    np.save(tmp_path / "f.npy", array)
    rc, _out, err = run_cli(capsys, ["simulate", "--input", "array", "--input-file", "f.npy"])
    assert_one_line_error(rc, err, *needles, option_names=True)


# --------------------------------------------------------------------- API

NAN, INF = math.nan, math.inf

# (keyword arguments of LIFParams, exception, substrings of the message)
PARAM_CASES = {
    "dt-zero": ({"dt": 0}, ValueError, ["dt", "> 0"]),
    "dt-negative": ({"dt": -1e-3}, ValueError, ["dt", "-1 ms", "> 0"]),
    "dt-negative-string": ({"dt": "-1 ms"}, ValueError, ["dt", "-1 ms", "> 0"]),
    "dt-nan": ({"dt": NAN}, ValueError, ["dt", "nan", "finite"]),
    "dt-inf": ({"dt": INF}, ValueError, ["dt", "inf", "finite"]),
    "tau-nan": ({"tau": NAN}, ValueError, ["tau", "nan", "finite"]),
    "tau-nan-string": ({"tau": "nan"}, ValueError, ["tau", "nan", "finite"]),
    "i-mean-inf": ({"i_mean": INF}, ValueError, ["i_mean", "inf", "finite"]),
    "i-mean-minus-inf": ({"i_mean": -INF}, ValueError, ["i_mean", "inf", "finite"]),
    "el-nan": ({"el": NAN}, ValueError, ["el", "nan"]),
    "vr-nan": ({"vr": NAN}, ValueError, ["vr", "nan"]),
    "vth-inf": ({"vth": INF}, ValueError, ["vth", "inf"]),
    "r-nan": ({"r": NAN}, ValueError, ["r", "nan"]),
    "v0-nan": ({"v0": NAN}, ValueError, ["v0", "nan"]),
    "t-ref-inf": ({"t_ref": INF}, ValueError, ["t_ref", "inf"]),
    "t-max-nan": ({"t_max": NAN}, ValueError, ["t_max", "nan"]),
    "t-max-below-dt": ({"t_max": 0.5e-3}, ValueError, ["t_max", "0.5 ms", "dt"]),
    "t-max-zero": ({"t_max": 0}, ValueError, ["t_max", "dt"]),
    "t-max-not-whole-steps": ({"t_max": 0.1505}, ValueError, ["t_max", "150.5 ms", "round"]),
    "tau-zero": ({"tau": 0}, ValueError, ["tau", "> 0"]),
    "tau-negative": ({"tau": -5e-3}, ValueError, ["tau", "> 0"]),
    "vr-equals-vth": ({"vr": -0.05}, ValueError, ["vr", "vth"]),
    "vr-above-vth": ({"vr": "-40 mV"}, ValueError, ["vr", "-40 mV", "vth"]),
    "r-zero": ({"r": 0}, ValueError, ["r", "> 0"]),
    "r-negative": ({"r": "-100 MOhm"}, ValueError, ["r", "> 0"]),
    "t-ref-negative": ({"t_ref": -1e-3}, ValueError, ["t_ref", ">= 0"]),
    "tau-unknown-unit": ({"tau": "20 xs"}, ValueError, ["tau", "xs", "ms"]),
    "tau-wrong-dimension": ({"tau": "20 mV"}, ValueError, ["tau", "mV", "ms"]),
    "i-mean-wrong-dimension": ({"i_mean": "250 ms"}, ValueError, ["i_mean", "ms", "pA"]),
    "r-wrong-dimension": ({"r": "100 MV"}, ValueError, ["r", "MV", "Ohm"]),
    "dt-garbage": ({"dt": "fast"}, ValueError, ["dt", "fast"]),
    "dt-none": ({"dt": None}, TypeError, ["dt", "None"]),
    "dt-bool": ({"dt": True}, TypeError, ["dt", "True"]),
    "dt-list": ({"dt": [1e-3]}, TypeError, ["dt", "list"]),
    "tau-complex": ({"tau": 1j}, TypeError, ["tau", "complex"]),
}


@pytest.mark.parametrize("kwargs, error, needles", list(PARAM_CASES.values()), ids=list(PARAM_CASES))
def test_params_api_bad_input(kwargs, error, needles):
    with pytest.raises(error) as info:
        lifsim.LIFParams(**kwargs)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle.lower() in message.lower(), f"{needle!r} missing from {message!r}"


def test_params_api_round_steps_accepts_t_max():
    params = lifsim.LIFParams(t_max=0.1505, round_steps=True)
    assert params.steps in (150, 151)


def test_params_replace_validates():
    with pytest.raises(ValueError, match="dt"):
        lifsim.LIFParams().replace(dt=0)


def test_params_api_tiny_dt_is_value_error():
    with pytest.raises(ValueError, match="dt"):
        lifsim.LIFParams(dt=1e-320)


# (callable, exception, substrings of the message)
API_CASES = {
    "simulate-n-zero": (lambda: lifsim.simulate(n=0), ValueError, ["n", "0", ">= 1"]),
    "simulate-n-negative": (lambda: lifsim.simulate(n=-3), ValueError, ["n", "-3", ">= 1"]),
    "simulate-n-float": (lambda: lifsim.simulate(n=1.5), TypeError, ["n", "1.5"]),
    "simulate-n-string": (lambda: lifsim.simulate(n="3"), TypeError, ["n", "'3'"]),
    "simulate-n-bool": (lambda: lifsim.simulate(n=True), TypeError, ["n", "True"]),
    "simulate-steps-zero": (lambda: lifsim.simulate(steps=0), ValueError, ["steps", ">= 1"]),
    "simulate-method": (lambda: lifsim.simulate(method="rk4"), ValueError, ["method", "rk4", "euler", "exact"]),
    "simulate-engine": (lambda: lifsim.simulate(engine="cuda9"), ValueError, ["engine", "cuda9", "numpy"]),
    "simulate-spiking-type": (lambda: lifsim.simulate(spiking="yes"), TypeError, ["spiking", "yes"]),
    "simulate-record-v-range": (
        lambda: lifsim.simulate(n=10, record_v="5:999"),
        ValueError,
        ["record_v", "5:999", "0 .. 9"],
    ),
    "simulate-record-v-list-range": (
        lambda: lifsim.simulate(n=10, record_v=[0, 10]),
        ValueError,
        ["record_v", "0 .. 9"],
    ),
    "simulate-record-v-garbage": (lambda: lifsim.simulate(record_v="abc"), ValueError, ["record_v", "abc"]),
    "simulate-record-v-float": (lambda: lifsim.simulate(n=3, record_v=[0.5]), TypeError, ["record_v"]),
    "simulate-dt-equals-tau": (
        lambda: lifsim.simulate(lifsim.LIFParams(dt=0.02, t_max=0.16)),
        ValueError,
        ["dt", "tau", "euler", "exact"],
    ),
    "simulate-dt-above-tau": (
        lambda: lifsim.simulate(lifsim.LIFParams(dt="30 ms")),
        ValueError,
        ["dt", "30 ms", "tau", "euler"],
    ),
    "simulate-dt-twice-tau": (
        lambda: lifsim.simulate(lifsim.LIFParams(dt=2e-3, tau=1e-3, t_max=0.15)),
        ValueError,
        ["dt", "tau", "euler"],
    ),
    "simulate-lags-not-int": (lambda: lifsim.simulate(lags=(1, "x")), ValueError, ["lags", "'x'"]),
    "simulate-lags-negative": (lambda: lifsim.simulate(lags=(-1,)), ValueError, ["lags", "-1"]),
    "simulate-lags-too-long": (lambda: lifsim.simulate(lags=(150,)), ValueError, ["lag", "150"]),
    "simulate-params-type": (lambda: lifsim.simulate({"dt": 1e-3}), TypeError, ["params", "LIFParams"]),
    "simulate-inputs-type": (lambda: lifsim.simulate(None, 2.5e-10), TypeError, ["inputs", "float"]),
    "tutorial-0": (lambda: lifsim.tutorial.run_exercise(0), ValueError, ["0", "1 to 14"]),
    "tutorial-15": (lambda: lifsim.tutorial.run_exercise(15), ValueError, ["15", "1 to 14"]),
    "tutorial-string": (lambda: lifsim.tutorial.run_exercise("3"), ValueError, ["'3'", "1 to 14"]),
    "tutorial-float": (lambda: lifsim.tutorial.run_exercise(3.0), ValueError, ["3.0", "1 to 14"]),
    "tutorial-bool": (lambda: lifsim.tutorial.run_exercise(True), ValueError, ["True", "1 to 14"]),
    "units-unknown-unit": (
        lambda: lifsim.units.to_si("20 xs", "time", "tau"),
        ValueError,
        ["tau", "xs", "ms"],
    ),
    "units-wrong-dimension": (
        lambda: lifsim.units.to_si("20 mV", "time", "tau"),
        ValueError,
        ["tau", "mV", "ms"],
    ),
    "units-garbage": (lambda: lifsim.units.to_si("twenty", "time", "tau"), ValueError, ["tau", "twenty"]),
    "units-unknown-dimension": (lambda: lifsim.units.to_si(1.0, "mass", "m"), ValueError, ["mass"]),
    "units-none": (lambda: lifsim.units.to_si(None, "time", "tau"), TypeError, ["tau", "None"]),
    "units-bool": (lambda: lifsim.units.to_si(False, "time", "tau"), TypeError, ["tau", "False"]),
    "io-missing-folder": (
        lambda: lifsim.atomic.check_output_path("/nonexistent/dir/out.npz", (".npz",), "--data"),
        ValueError,
        ["--data", "/nonexistent/dir", "does not exist"],
    ),
    "io-bad-suffix": (
        lambda: lifsim.atomic.check_output_path("out.jpg", (".png", ".svg", ".pdf"), "--plot"),
        ValueError,
        ["--plot", "out.jpg", ".png"],
    ),
    "io-save-missing-folder": (
        lambda: lifsim.formats.npz.save_arrays("/nonexistent/dir/out.npz", {"t": np.zeros(3)}),
        ValueError,
        ["/nonexistent/dir", "does not exist"],
    ),
    "io-load-missing": (lambda: lifsim.formats.npz.read_arrays("missing.npz"), ValueError, ["missing.npz"]),
    "inputs-sigma-nan": (lambda: inputs.white_noise(sigma=NAN), ValueError, ["sigma", "nan"]),
    "inputs-sigma-negative": (lambda: inputs.white_noise("-1 mV"), ValueError, ["sigma", ">= 0"]),
    "inputs-sigma-wrong-unit": (lambda: inputs.white_noise("2 ms"), ValueError, ["sigma", "ms", "mV"]),
    "inputs-constant-inf": (lambda: inputs.constant(INF), ValueError, ["i_mean", "inf"]),
    "inputs-constant-wrong-unit": (lambda: inputs.constant("250 mV"), ValueError, ["mV", "pA"]),
    "inputs-sine-period-zero": (lambda: inputs.sine(2.5e-10, 0), ValueError, ["period", "> 0"]),
    "inputs-uniform-amplitude-negative": (
        lambda: inputs.uniform_noise(2.5e-10, -1),
        ValueError,
        ["amplitude", ">= 0"],
    ),
    "inputs-step-onset-nan": (lambda: inputs.step(2.5e-10, NAN), ValueError, ["onset", "nan"]),
    "inputs-array-3d": (lambda: inputs.array_input(np.zeros((2, 2, 2))), ValueError, ["(2, 2, 2)"]),
    "inputs-array-empty": (lambda: inputs.array_input([]), ValueError, ["shape"]),
    "inputs-array-nan": (lambda: inputs.array_input([1e-10, NAN]), ValueError, ["nan"]),
    "inputs-array-too-short": (
        lambda: lifsim.simulate(inputs=inputs.array_input(np.zeros(10))),
        ValueError,
        ["10", "149"],
    ),
}


@pytest.mark.parametrize("call, error, needles", list(API_CASES.values()), ids=list(API_CASES))
def test_api_bad_input(call, error, needles):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle.lower() in message.lower(), f"{needle!r} missing from {message!r}"


def test_api_run_too_large_for_memory_is_value_error():
    with pytest.raises(ValueError, match="n"):
        lifsim.simulate(n=10**15)


# ------------------------------------------------------------------- messages in the field's units


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["simulate", "--n", "10", "--tau=-5ms"], "lifsim: error: --tau: must be > 0 ms, got -5 ms"),
        (
            ["fi", "--i-min", "300pA", "--i-max", "100pA"],
            "lifsim: error: --i-max: 100 pA must be a finite current above --i-min 300 pA",
        ),
        (
            ["simulate", "--t-ref", "1.5ms"],
            "lifsim: error: --t-ref: 1.5 ms is not a whole number of steps dt = 1 ms (1.5 steps)",
        ),
        (["fi", "--t-max", "0.1s", "--transient", "0.2s"], "lifsim: error: --transient: 200 ms must be shorter than"),
    ],
)
def test_the_command_says_bad_values_in_the_fields_units(argv, line):
    """``--tau=-5ms`` said "must be > 0 s, got -0.005", ``--i-max 100pA`` "1e-10 A must be ... above --i-min
    3e-10 A": the user's values in SI, as nobody typed them."""
    from cli_helpers import run_script

    done = run_script(argv)
    assert done.returncode == USAGE and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(line), done.stderr


def test_the_api_says_bad_values_in_the_fields_units():
    with pytest.raises(ValueError, match=r"^tau: must be > 0 ms, got -5 ms$"):
        lifsim.LIFParams(tau=-5e-3)
    with pytest.raises(ValueError, match=r"^dt: 30 ms must be smaller than tau = 20 ms for forward Euler"):
        lifsim.simulate(lifsim.LIFParams(dt="30 ms"))


# ------------------------------------------------------------------- a plain number of seconds meant in ms

HINT = "plain numbers are SI units (s): did you mean"


@pytest.mark.parametrize(
    ("argv", "start", "meant"),
    [
        (["simulate", "--n", "10", "--dt", "1"], "lifsim: error: --dt: 1 s is longer than the run", "1ms"),
        (
            ["simulate", "--n", "10", "--dt", "1", "--t-max", "2"],
            "lifsim: error: --dt: 1 s must be smaller than",
            "1ms",
        ),
        (["simulate", "--n", "10", "--dt", "0.5", "--t-max", "1.25"], "lifsim: error: --dt: t_max = 1.25 s", "0.5ms"),
        (["fi", "--transient", "50"], "lifsim: error: --transient: 50 s must be shorter than the run", "50ms"),
        (["simulate", "--snapshots", "50"], "lifsim: error: --snapshots: 50 s is not a time on the grid", "50ms"),
    ],
)
def test_a_time_option_given_seconds_meant_as_ms_is_blamed_with_the_hint(argv, start, meant):
    """``--dt 1`` said "--t-max: 0.15 s must be at least one time step dt = 1.0 s" (blaming --t-max), and
    ``--dt 1 --t-max 2`` spoke of dt and tau without a word of the unit: the option given is blamed, with the hint
    ``--vth -50`` gets."""
    from cli_helpers import run_script

    done = run_script(argv)
    assert done.returncode == USAGE and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(start), done.stderr
    assert done.stderr.rstrip().endswith(f"{HINT} {meant}?"), done.stderr


def test_an_onset_given_seconds_meant_as_ms_is_warned_with_the_hint():
    from cli_helpers import run_script

    done = run_script(["simulate", "--input", "step", "--onset", "5", "--quiet"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("lifsim: warning: --onset: 5 s is outside the run"), done.stderr
    assert done.stderr.rstrip().endswith(f"{HINT} 5ms?"), done.stderr


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["simulate", "--dt", "20ms", "--tau", "10ms", "--t-max", "200ms"], "lifsim: error: --dt: 20 ms must be"),
        (["simulate", "--dt", "4ms"], "lifsim: error: --t-max: 150 ms is not a whole number of steps dt = 4 ms"),
    ],
)
def test_a_plausible_time_step_gets_no_hint(capsys, argv, start):
    rc, _out, err = run_cli(capsys, argv)
    assert rc == USAGE and err.startswith(start) and "plain numbers" not in err, err


@pytest.mark.parametrize(
    ("argv", "start", "meant"),
    [
        (
            ["simulate", "--input", "sine", "--period", "10", "--quiet"],
            "lifsim: warning: --period: 10 s is longer than the run (0 to 149 ms), which sees 1.5 % of one cycle",
            "10ms",
        ),
        (
            ["sweep", "--grid", "i_mean=100pA,200pA", "--n", "2", "--t-max", "300ms", "--fano-window", "20"],
            "lifsim: warning: --fano-window: 20 s is longer than the run after the transient (199.9 ms): the Fano "
            "factor counts spikes in windows of 199.9 ms",
            "20ms",
        ),
    ],
)
def test_a_period_or_fano_window_given_seconds_meant_as_ms_is_warned_with_the_hint(argv, start, meant):
    """``--period 10`` (a sinusoid of 10 s over a 150 ms run) and ``--fano-window 20`` (cut to the run's 200 ms)
    ran without a word; the one rule of the time options (:func:`lifsim.units.time_slip`) says them, as it says
    ``--onset 5``."""
    from cli_helpers import run_script

    done = run_script(argv)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith(start.split(":")[0] + ": warning: --")]
    assert said and said[0].startswith(start), done.stderr
    assert said[0].endswith(f"{HINT} {meant}?"), done.stderr


@pytest.mark.parametrize(
    ("argv", "warning"),
    [
        (
            ["--tau", "20"],
            "--tau: 20 s is far outside the usual range (0.1 ms to 1 s); plain numbers are SI units (s): did you mean "
            "20ms?",
        ),
        (
            ["--i-mean", "250"],
            "--i-mean: 250 A is far outside the usual range (-1 to 1 uA); plain numbers are SI units (A): did you "
            "mean 250pA?",
        ),
        (
            ["--sigma", "5", "--input", "white"],
            "--sigma: 5 V is far outside the usual range (0 to 100 mV); plain numbers are SI units (V): did you mean "
            "5mV?",
        ),
        (
            ["--sigma", "3", "--input", "white"],  # the number typed, not a fixed example
            "--sigma: 3 V is far outside the usual range (0 to 100 mV); plain numbers are SI units (V): did you mean "
            "3mV?",
        ),
        (
            ["--r", "100"],
            "--r: 100 Ohm is far outside the usual range (1 MOhm to 10 GOhm); plain numbers are SI units (Ohm): did "
            "you mean 100MOhm?",
        ),
        (  # 0.1 MOhm is no usual resistance either: no reading to suggest
            ["--r", "0.1"],
            "--r: 100 mOhm is far outside the usual range (1 MOhm to 10 GOhm); check its unit (plain numbers are SI "
            "units: s, V, A, Ohm)",
        ),
        (  # 5000 ms is no usual membrane time constant either
            ["--tau", "5000"],
            "--tau: 5000 s is far outside the usual range (0.1 ms to 1 s); check its unit (plain numbers are SI "
            "units: s, V, A, Ohm)",
        ),
    ],
)
def test_every_plausibility_warning_suggests_the_number_in_the_fields_unit_where_that_is_usual(argv, warning):
    """``--sigma 5`` said "did you mean a value with a unit such as 5mV?" (5mV whatever the number), ``--tau 20``
    and ``--i-mean 250`` only "check its unit": one rule now, the number typed in the field's unit where that
    reading is in the usual range."""
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "10", "--t-max", "50ms", "--quiet", "--no-data", "--no-plot", *argv])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == f"lifsim: warning: {warning}", done.stderr


def test_the_api_warns_of_a_plain_number_with_its_reading_in_the_fields_unit():
    from lifsim.errors import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match=r"^tau: 20 s .*\(s\): did you mean 20ms\?$"):
        lifsim.simulate(lifsim.LIFParams(tau=20, t_max="50 ms"), n=2)
    with pytest.warns(PlausibilityWarning, match=r"^sigma: 2 V .*\(V\): did you mean 2mV\?$"):
        lifsim.simulate(lifsim.LIFParams(t_max="50 ms"), lifsim.inputs.white_noise(sigma=2), n=2)
    assert lifsim.LIFParams(i_mean=250).plausibility() == [
        "i_mean: 250 A is far outside the usual range (-1 to 1 uA); plain numbers are SI units (A): did you mean 250pA?"
    ]


@pytest.mark.filterwarnings("ignore:cv. at ")  # the short run's CV, which the sweep also says
def test_the_api_warns_of_a_period_and_a_fano_window_in_seconds_meant_as_ms():
    from lifsim.errors import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match=r"^period: 10 s is longer than the run .*did you mean 10ms\?$"):
        lifsim.simulate(None, inputs.sine(period=10))
    p = lifsim.profile("study", t_max="300 ms")
    with pytest.warns(PlausibilityWarning, match=r"^fano_window: 20 s is longer than the run after the transient"):
        lifsim.sweep(p, grid={"i_mean": ["200 pA"]}, n=2, fano_window=20, progress=False)


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--input", "sine", "--period", "200ms", "--quiet"],  # past the run, but no slip of units
        ["simulate", "--input", "sine", "--period", "1", "--t-max", "2", "--quiet"],  # a period of 1 s, in the run
    ],
)
def test_a_plausible_period_gets_no_warning(capsys, argv):
    rc, _out, err = run_cli(capsys, argv)
    assert rc == 0 and err == "", err


# ------------------------------------------------------------------- analysis messages in the field's units


@pytest.mark.parametrize(
    ("argv", "said", "stream"),
    [
        (["simulate", "--input", "sine", "--period=-5ms"], "lifsim: error: --period: must be > 0 ms, got -5 ms\n", 2),
        (
            ["simulate", "--t-ref", "2.5ms", "--round-steps", "--t-max", "20ms"],
            "  note: t_ref = 2.5 ms is 2.5 steps of dt; rounded to 3 steps (3 ms)\n",
            1,
        ),
        (
            ["simulate", "--i-mean", "50nA", "--t-ref", "0", "--dt", "0.1ms", "--quiet"],
            "lifsim: warning: rate: the neurons fire at 1e+04 Hz, over half the most that steps of 0.1 ms allow",
            2,
        ),
    ],
)
def test_the_command_says_analysis_values_in_the_fields_units(argv, said, stream):
    """``--period=-5ms`` said "must be > 0 s, got -0.005", ``--round-steps`` "t_ref = 0.0025 s", the rate
    warning "steps of 100 us"."""
    from cli_helpers import run_script

    done = run_script(argv)
    text = done.stdout if stream == 1 else done.stderr
    assert said in text, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: lifsim.spikes.fano_factor(np.array([0.01]), np.array([0]), 1, 0.5, 0.0, 0.2),
            "window: 500 ms is longer than the span 200 ms from t_start to t_stop",
        ),
        (
            lambda: lifsim.spikes.fano_factor(np.array([0.01]), np.array([0]), 1, -0.005, 0.0, 0.2),
            "window: must be a finite time > 0 ms, got -5 ms",
        ),
        (
            lambda: lifsim.spikes.rate_over_time(np.array([0.01]), 1, 0.2, 0.1, 0.01),
            "t_stop: must be after t_start = 200 ms, got 100 ms",
        ),
        (lambda: lifsim.theory.siegert_rate(lifsim.LIFParams(), -0.002), "sigma: must be > 0 mV, got -2 mV"),
        (
            lambda: lifsim.theory.siegert_rate(lifsim.LIFParams(), "2 mV", dt_correction=-1e-4),
            "dt_correction: must be a time step >= 0 ms, got -0.1 ms",
        ),
        (lambda: inputs.sine(2.5e-10, -0.005), "period: must be > 0 ms, got -5 ms"),
    ],
)
def test_the_analysis_says_bad_values_in_the_fields_units(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message
