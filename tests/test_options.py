"""The option table: every option defined once, and the parsers, help texts and messages derived from it."""

from __future__ import annotations

import argparse
import re

import pytest
from cli_helpers import assert_one_line_error, in_tmp, run_cli, run_ok  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim.cli import build_parser
from lifsim.cli.options import BY_NAME, OPTIONS, QUANTITY, for_command, parse_int
from lifsim.formats import LOADABLE_SUFFIXES, RESULT_SUFFIXES
from lifsim.params import PARAM_UNITS


def subparser(name: str) -> argparse.ArgumentParser:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise AssertionError(name)


def help_of(command: str) -> str:
    return " ".join(subparser(command).format_help().split())  # argparse wraps lines


@pytest.mark.parametrize("command", ["simulate", "fi", "params"])
def test_each_parser_has_exactly_the_table_options(command):
    dests = {action.dest for action in subparser(command)._actions if action.option_strings}
    dests -= {"help", "config"}
    assert dests == {option.name for option in for_command(command)}


def test_help_shows_defaults_in_the_fields_units():
    text = help_of("simulate")
    for fragment in (
        "--r RESISTANCE membrane resistance R (default 100 MOhm)",
        "--i-mean CURRENT mean input current I_mean (default 250 pA)",
        "--tau TIME membrane time constant tau_m (default 20 ms)",
        "--el VOLTAGE leak (resting) potential E_L (default -60 mV)",
        "(default euler)",
        "(default constant)",
        "(default 10 ms)",
    ):
        assert fragment in text, fragment
    assert text.count("(default E_L)") == 1  # once, not twice


def test_fi_help_shows_fi_defaults_and_no_i_mean():
    text = help_of("fi")
    assert "--t-max TIME duration of the run (default 1 s)" in text
    assert "--dt TIME time step (default 0.1 ms)" in text
    assert "neurons per current (default 100)" in text
    assert "--i-mean" not in text


def test_fi_refuses_i_mean_and_says_what_to_use(capsys):
    rc, _out, err = run_cli(capsys, ["fi", "--i-mean", "100pA"])
    assert_one_line_error(rc, err, "--i-mean", "--i-min", "--i-max")


def test_data_help_lists_every_format_of_the_registry():
    text = help_of("simulate")
    data_help = text.split("--data PATH save the run")[1].split("--no-data")[0]
    for suffix in RESULT_SUFFIXES:
        assert suffix in data_help, suffix
    assert ".nwb (NWB 2)" in text


def test_rerun_help_says_what_cannot_be_rerun():
    text = help_of("rerun")
    for suffix in set(RESULT_SUFFIXES) - set(LOADABLE_SUFFIXES):
        assert suffix in text
    assert "cannot be rerun" in text


def test_metavars_are_uniform():
    """Quantities show their dimension (--sigma VOLTAGE, --tau TIME), never the option's own name."""
    for command in ("simulate", "fi"):
        for action in subparser(command)._actions:
            if not action.option_strings or action.dest in ("help", "config"):
                continue
            option = BY_NAME[action.dest]
            if option.kind == QUANTITY:
                assert action.metavar in ("TIME", "VOLTAGE", "CURRENT", "RESISTANCE", "NUMBER"), action
            assert action.metavar != action.dest.upper() or action.dest == "n", action


@pytest.mark.parametrize("text, value", [("1000", 1000), ("1e3", 1000), ("1.5e3", 1500), ("1_000", 1000)])
def test_whole_numbers_accept_integral_scientific_notation(text, value):
    assert parse_int(text, "--n", 1) == value


@pytest.mark.parametrize("text", ["2.5", "1e-3", "abc", "nan", "inf", "0"])
def test_whole_numbers_refuse_the_rest(text):
    with pytest.raises(ValueError, match="--n: expected a whole number >= 1"):
        parse_int(text, "--n", 1)


@pytest.mark.parametrize(("text", "value"), [("1e20", 10**20), ("-1e19", -(10**19)), ("9007199254740993e0", 2**53 + 1)])
def test_whole_numbers_in_scientific_notation_are_read_exactly(text, value):
    """Not through a float: --seed 9007199254740993e0 ran as seed 9007199254740992."""
    assert parse_int(text, "--seed") == value


@pytest.mark.parametrize("number", [2.0**53, 1e30, -1e19])
def test_a_float_beyond_exact_whole_numbers_is_refused(number):
    """A TOML float (seed = 9007199254740993.0) has already lost its digits: asked for in digits."""
    with pytest.raises(ValueError, match=r"^--seed: .* is a floating-point number beyond 2\*\*53, where whole"):
        parse_int(number, "--seed")


def test_cli_n_in_scientific_notation(capsys, tmp_path):
    run_ok(capsys, ["simulate", "--n", "1e3", "--t-max", "5ms", "--quiet", "--data", "x.npz"])
    assert lifsim.load(tmp_path / "x.npz").n == 1000


@pytest.mark.parametrize(
    "argv, flag",
    [(["simulate", "--n", "abc"], "--n"), (["simulate", "--tau", "x"], "--tau"), (["fi", "--points", "1"], "--points")],
)
def test_the_option_is_named_once(capsys, argv, flag):
    rc, _out, err = run_cli(capsys, argv)
    assert_one_line_error(rc, err, flag)
    assert err.count(flag) == 1, err


@pytest.mark.parametrize("name", sorted(PARAM_UNITS))
def test_parameter_errors_name_the_option(capsys, name):
    """A LIFParams message names the parameter; the CLI turns it into the flag the user typed."""
    flag = BY_NAME[name].flag
    rc, _out, err = run_cli(capsys, ["simulate", flag, "nan"])
    assert_one_line_error(rc, err, flag)
    assert re.search(rf"error: {flag}: ", err), err


def test_no_abbreviated_options(capsys):
    rc, _out, err = run_cli(capsys, ["params", "--n", "5"])  # not a prefix of --no-round-steps
    assert_one_line_error(rc, err, "--n", "lifsim params")


def test_every_option_has_help_and_a_known_group():
    from lifsim.cli.options import GROUP_TITLES

    for option in OPTIONS:
        assert option.help and option.group in GROUP_TITLES, option.name
        assert option.commands, option.name


def test_each_commands_help_titles_its_sweep_options_for_itself():
    from cli_helpers import run_script

    sweep, fi = run_script("sweep --help").stdout, run_script("fi --help").stdout
    assert "\nparameter sweep:\n  --transient TIME" in sweep and "f-I sweep:" not in sweep
    assert "\nf-I sweep:\n" in fi and "parameter sweep:" not in fi


def test_the_network_help_says_its_grid_is_optional_under_its_own_title():
    from cli_helpers import run_script

    text = " ".join(run_script("network --help").stdout.split())
    assert "network sweep: --grid GRID sweep the network over a grid" in text
    assert "(default none: one network)" in text and "(default required)" not in text
    rerun = " ".join(run_script("rerun --help").stdout.split())
    assert "--no-data no data output --force" in rerun  # rerun reads no config file: nothing to override


@pytest.mark.parametrize(("written", "neurons"), [("1e3", 1000), ("2000.0", 2000), ("1000", 1000)])
def test_a_config_file_takes_counts_as_the_command_line_does(tmp_path, written, neurons):
    """The template says "number of neurons (1000 or 1e3)": TOML reads 1e3 as a float, which was refused."""
    from cli_helpers import run_script

    (tmp_path / "run.toml").write_text(f"n = {written}\nt_max = '20 ms'\n")
    done = run_script(["simulate", "--config", str(tmp_path / "run.toml"), "--no-data", "--no-plot"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"lifsim: {neurons} neuron(s), ")
    (tmp_path / "bad.toml").write_text("n = 1.5\n")
    bad = run_script(["simulate", "--config", str(tmp_path / "bad.toml")])
    assert bad.returncode == 2 and bad.stderr.endswith("key 'n': expected a whole number >= 1, got 1.5\n"), bad.stderr


def test_an_unknown_grid_name_is_told_which_names_each_command_sweeps():
    from cli_helpers import run_script

    done = run_script("sweep --grid foo=1,2")
    assert done.returncode == 2
    assert done.stderr.startswith("lifsim: error: --grid: cannot sweep 'foo'; lifsim sweep takes tau, el, ")
    assert "; lifsim network g, eta, " in done.stderr  # each list under its command, not one list of both


def test_a_whole_number_beyond_pythons_digit_limit_is_one_line():
    """1e4300 has 4,301 digits: Python's int() of its text refused it with its own message, naming no option."""
    with pytest.raises(ValueError, match=r"^--n: expected a whole number >= 1, got '1e4300'$"):
        parse_int("1e4300", "--n", 1)
    assert parse_int("1e4299", "--seed", 0) == 10**4299
