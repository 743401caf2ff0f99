"""Quantities read from text (lifsim.units.to_si): a value is the double nearest to what its text says, whatever
unit it is typed in, so the same value typed two ways runs the same bits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lifsim
from lifsim.units import to_si

#: (unit, dimension, power of ten)
UNITS = [("ms", "time", -3), ("us", "time", -6), ("s", "time", 0), ("pA", "current", -12), ("nA", "current", -9),
         ("mV", "voltage", -3), ("MOhm", "resistance", 6), ("kHz", "frequency", 3)]  # fmt: skip


@pytest.mark.parametrize(("unit", "dimension", "power"), UNITS)
def test_a_value_with_a_unit_is_its_decimal_rounded_once(unit, dimension, power):
    """Every short decimal (1-3 digits, a point anywhere) with the unit equals Python's own reading of the same
    number written with an exponent (``0.03ms`` -> ``float("0.03e-3")``): correctly rounded.  ``float("0.03") /
    1000`` is 2.9999999999999997e-05, an ulp off 3e-05, for about 30 % of such values."""
    texts = [f"{whole}.{frac}" for whole, frac in itertools.product(["0", "1", "2", "7", "13", "250"], ["", "03", "1",
             "15", "3", "55", "7", "999"])]  # fmt: skip
    for text in texts:
        assert to_si(f"{text}{unit}", dimension, "x") == float(f"{text}e{power}"), text
        assert to_si(f"-{text} {unit}", dimension, "x") == float(f"-{text}e{power}"), text
    assert to_si("1e309 ms", "time", "x") == 1e306  # past a double as typed, within one after the unit
    assert to_si("1e9999999 ms", "time", "x") == np.inf and to_si("1e-9999999 ms", "time", "x") == 0.0
    assert np.isnan(to_si("nan ms", "time", "x")) and to_si("-inf mV", "voltage", "x") == -np.inf


def test_the_same_step_typed_two_ways_runs_the_same_bits(tmp_path):
    """``--dt 0.03ms`` and ``--dt 3e-5`` printed the same summary but gave other V and spikes (0.03 ms was read as
    2.9999999999999997e-05 s); the installed script, two files on disk."""
    from cli_helpers import run_script

    files = []
    for index, dt in enumerate(["0.03ms", "3e-5", "30us"]):
        path = tmp_path / f"run{index}.npz"
        argv = ["simulate", "--n", "50", "--t-max", "15ms", "--dt", dt, "--input", "white", "--sigma", "5mV"]
        done = run_script([*argv, "--seed", "1", "--quiet", "--data", str(path)])
        assert done.returncode == 0, done.stderr
        files.append(lifsim.load(path))
    for other in files[1:]:
        assert files[0].dt == other.dt == 3e-5
        np.testing.assert_array_equal(files[0].v_mean, other.v_mean)
        np.testing.assert_array_equal(files[0].spike_t, other.spike_t)


def test_values_past_the_prefixes_are_shown_plainly():
    """A reviewer's --tau 1e-300 was shown as "1e-285 fs" and --v0 1e99 as "1e+90 GV"; rounding to nine decimals
    showed 1e-300 s as "0 ms"."""
    from lifsim.units import format_display, format_si

    assert format_si(1e-300, "s") == "1e-300 s" and format_si(1e99, "V") == "1e+99 V"
    assert format_si(0.02, "s") == "20 ms" and format_si(2.5e-10, "A") == "250 pA"
    assert format_display(1e-300, "time") == "1e-300 s" and format_display(1e-4, "time") == "0.1 ms"
    assert format_display(0.1 + 0.2, "voltage") == "300 mV"


def test_a_summary_of_huge_potentials_stays_short():
    """White noise of 1e90 V (a unit slip, warned about) printed the final V as a number of about 90 digits."""
    import warnings

    params = lifsim.LIFParams(t_max="5 ms", dt="0.1 ms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = lifsim.simulate(params, lifsim.inputs.white_noise(sigma=1e90), n=3, spiking=False)
    line = next(text for text in run.summary().splitlines() if "final V" in text)
    assert len(line) < 100 and "e+" in line, line


def test_a_programs_decimal_settings_do_not_round_lifsims_values():
    """The text was scaled in the caller's decimal context: a precision of 4 made "100.25ms" 0.1002 s; texts of
    more than 28 digits were rounded twice (9007199254740993.00000000000000000001 gave ...992, float() ...994)."""
    import decimal

    with decimal.localcontext() as context:
        context.prec, context.rounding = 4, decimal.ROUND_DOWN
        assert to_si("100.25ms", "time", "x") == 0.10025
        assert lifsim.LIFParams(t_max="150.3ms", dt="0.1ms").t_max == 0.1503
    long_text = "9007199254740993.00000000000000000001"
    assert to_si(long_text, "time", "x") == float(long_text) == to_si(f"{long_text} s", "time", "x")


@pytest.mark.parametrize(
    ("value", "dimension", "shown"),
    [
        (-1.0, "resistance", "-1 Ohm"),  # was -1e-06 MOhm
        (1e8, "resistance", "100 MOhm"),
        (1e12, "resistance", "1000 GOhm"),
        (1e-3, "resistance", "1 mOhm"),
        (250.0, "current", "250 A"),  # was 2.5e+14 pA
        (2.5e-10, "current", "250 pA"),
        (1e-6, "current", "1 uA"),
        (-3e-18, "current", "-0.003 fA"),
        (5e-9, "voltage", "5 nV"),  # was 5e-06 mV
        (-0.06, "voltage", "-60 mV"),
        (5.0, "voltage", "5000 mV"),
        (1e-9, "time", "1 ns"),  # was 1e-06 ms
        (5e-5, "time", "0.05 ms"),
        (0.3, "time", "300 ms"),
        (12000.0, "time", "12000 s"),
        (1e7, "time", "1e+07 s"),  # a time of a second or more stays in s, never Ms
        (0.0, "time", "0 ms"),
    ],
)
def test_the_display_formatter_chooses_a_prefix_that_reads(value, dimension, shown):
    from lifsim.units import format_display

    assert format_display(value, dimension) == shown


def test_a_negative_resistance_is_said_in_ohms():
    """``lifsim simulate --r -1`` said "must be > 0 MOhm, got -1e-06 MOhm"."""
    from cli_helpers import run_script

    done = run_script(["simulate", "--r", "-1"])
    assert (done.returncode, done.stderr) == (
        2,
        "lifsim: error: --r: membrane resistance must be > 0 MOhm, got -1 Ohm\n",
    )
    with pytest.raises(ValueError, match=r"^r: membrane resistance must be > 0 MOhm, got -1 Ohm$"):
        lifsim.LIFParams(r=-1)


def test_a_run_of_amperes_says_its_input_in_amperes():
    """``lifsim simulate --i-mean 250`` (250 A) printed ``input: 2.5e+14 pA``."""
    from cli_helpers import run_script

    done = run_script(["simulate", "--n", "2", "--t-max", "20ms", "--i-mean", "250", "--no-data"])
    assert done.returncode == 0, done.stderr
    assert "  input: 250 A\n" in done.stdout, done.stdout
