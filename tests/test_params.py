"""Parameters and units: tutorial defaults, unit parsing, the time grid."""

import math

import numpy as np
import pytest

from lifsim import LIFParams
from lifsim.units import format_si, to_si


def test_tutorial_defaults():
    p = LIFParams()
    assert (p.t_max, p.dt, p.tau, p.el, p.vr, p.vth, p.r, p.i_mean) == (
        150e-3,
        1e-3,
        20e-3,
        -60e-3,
        -70e-3,
        -50e-3,
        100e6,
        25e-11,
    )
    assert p.v0 == p.el and p.t_ref == 0.0
    assert p.steps == 150 and p.alpha == 0.05


def test_parameters_are_immutable():
    p = LIFParams()
    with pytest.raises(AttributeError):
        p.tau = 1.0  # type: ignore[misc]
    assert p.replace(tau="10 ms").tau == 0.01 and p.tau == 0.02


@pytest.mark.parametrize(
    "text, dimension, expected",
    [
        ("20 ms", "time", 0.02),
        ("20ms", "time", 0.02),
        ("0.1ms", "time", 1e-4),
        ("1s", "time", 1.0),
        ("150e-3", "time", 0.15),
        ("-60mV", "voltage", -0.06),
        ("250 pA", "current", 2.5e-10),
        ("100 MOhm", "resistance", 1e8),
        ("100MΩ", "resistance", 1e8),
        ("2 kHz", "frequency", 2000.0),
        ("5 us", "time", 5e-6),
        ("5 µs", "time", 5e-6),
    ],
)
def test_units(text, dimension, expected):
    assert to_si(text, dimension, "x") == pytest.approx(expected, rel=1e-15)


def test_unit_values_give_the_same_floats_as_typing_si():
    assert LIFParams(tau="20 ms", el="-60 mV", i_mean="250 pA", r="100 MOhm") == LIFParams()


@pytest.mark.parametrize("text", ["20 xs", "20 mV", "abc", "20 m s", "1e", ""])
def test_bad_units(text):
    with pytest.raises(ValueError, match="tau"):
        to_si(text, "time", "tau")


def test_whole_number_of_steps():
    assert LIFParams(t_max=0.15, dt=1e-3).steps == 150
    assert LIFParams(t_max=1.0, dt=1e-4).steps == 10000
    with pytest.raises(ValueError, match="whole number of steps"):
        LIFParams(t_max=0.1505)
    assert LIFParams(t_max=0.1506, round_steps=True).steps == 151


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"dt": 0.0}, "dt"),
        ({"dt": -1e-3}, "dt"),
        ({"t_ref": 1.5e-3}, "t_ref: .* not a whole number of steps"),
        ({"t_ref": 1e308}, "t_ref"),
        ({"t_ref_std": 1e300}, "t_ref_std"),
        ({"tau": 0.0}, "tau"),
        ({"tau": -0.02}, "tau"),
        ({"t_max": 5e-4}, "t_max"),
        ({"el": math.nan}, "el"),
        ({"i_mean": math.inf}, "i_mean"),
        ({"vth": "nan"}, "vth"),
        ({"r": 0.0}, "r"),
        ({"vr": -0.04}, "vr"),
        ({"t_ref": -1e-3}, "t_ref"),
    ],
)
def test_invalid_parameters(changes, match):
    with pytest.raises(ValueError, match=match):
        LIFParams(**changes)


@pytest.mark.parametrize("dt, tau", [(0.02, 0.02), (0.05, 0.02), (0.03, 0.01)])
def test_forward_euler_needs_dt_below_tau_exact_does_not(dt, tau):
    params = LIFParams(dt=dt, tau=tau, t_max=30 * dt)
    with pytest.raises(ValueError, match="forward Euler"):
        params.check_method("euler")
    params.check_method("exact")  # stable for any dt


def test_t_ref_rounds_halves_up_only_when_asked():
    """1.5 ms and 2.5 ms at dt = 1 ms: refused, or rounded half up (2 and 3 steps), never to even."""
    for t_ref, steps in ((1.5e-3, 2), (2.5e-3, 3)):
        with pytest.raises(ValueError, match="round_steps"):
            LIFParams(t_ref=t_ref)
        params = LIFParams(t_ref=t_ref, round_steps=True)
        assert params.refractory_steps == steps
        assert any("t_ref" in note and f"{steps} steps" in note for note in params.notes())
    assert LIFParams(t_ref=2e-3).notes() == []
    assert LIFParams(t_ref="2 ms", dt="0.1 ms").refractory_steps == 20


def test_plausibility_flags_unit_slips():
    assert LIFParams().plausibility() == []
    slips = LIFParams(tau=20, t_max=300, dt=1).plausibility()
    assert any(text.startswith("tau: 20 s") for text in slips)
    assert any(text.startswith("el") for text in LIFParams(el=-60, vr=-70, vth=-50).plausibility())


def test_wrong_type():
    with pytest.raises(TypeError, match="tau"):
        LIFParams(tau=[0.02])  # type: ignore[arg-type]


def test_describe_names_every_parameter_with_unit():
    text = LIFParams().describe()
    for fragment in ("t_max", "150 ms", "tau", "20 ms", "-60 mV", "100 MOhm", "250 pA"):
        assert fragment in text
    assert format_si(0.02, "s") == "20 ms"


def test_a_reset_above_the_threshold_names_both_in_millivolts_and_blames_the_one_that_moved():
    with pytest.raises(ValueError, match=r"^vth: the threshold -80 mV must be above the reset potential vr = -70 mV"):
        LIFParams(vth="-80 mV")  # it blamed vr, which the user never gave
    with pytest.raises(ValueError, match=r"^vr: the reset potential -40 mV must be below the threshold vth = -50 mV"):
        LIFParams(vr="-40 mV")
    with pytest.raises(ValueError, match=r"-50000 mV .*plain numbers are SI units \(V\): did you mean"):
        LIFParams(vth=-50)  # -50 V: millivolts written as a plain number


def test_a_v0_left_to_el_follows_el_through_replace():
    """`LIFParams().replace(el="-70 mV").v0` stayed -60 mV while `LIFParams(el="-70 mV")` and `--el -70mV` gave -70 mV:
    a sweep over el started every point at the old E_L."""
    assert LIFParams().replace(el="-70 mV").v0 == LIFParams(el="-70 mV").v0 == -0.07
    assert LIFParams(v0="-60 mV").replace(el="-70 mV").v0 == -0.06  # a V(0) of the user's own stays
    assert LIFParams().replace(el="-70 mV", v0="-65 mV").v0 == -0.065
    assert LIFParams().replace(el="-70 mV") == LIFParams(el="-70 mV")


def test_a_sweep_over_el_starts_each_point_at_its_own_el():
    import lifsim

    data = lifsim.sweep(
        LIFParams(t_max="5 ms", dt="1 ms"),
        {"el": ["-70 mV", "-55 mV"]},
        n=4,
        input="constant",
        sigma=None,
        transient=0.0,
        per_step=True,
    )
    np.testing.assert_allclose(data["v_mean_t"].values[:, 0], [-0.07, -0.055])


def test_round_steps_rounds_t_max_and_t_ref_alike():
    """t_max rounded halves to even (100.5 -> 100, 102.5 -> 102 steps) while t_ref rounded them up (2.5 -> 3), and
    the note printed t_max = 0.10200000000000001 s."""
    assert LIFParams(t_max="100.5 ms", dt="1 ms", round_steps=True).steps == 101
    assert LIFParams(t_max="102.5 ms", dt="1 ms", round_steps=True).steps == 103  # 102.49999999999999 in floats
    assert LIFParams(t_ref="2.5 ms", dt="1 ms", round_steps=True).refractory_steps == 3
    assert LIFParams(t_max="102.5 ms", dt="1 ms", round_steps=True).notes() == [
        "t_max = 102.5 ms is 102.5 steps of dt; rounded to 103 time points (t_max = 103 ms)"
    ]


@pytest.mark.parametrize(
    "call, said",
    [
        (lambda: LIFParams(foo=1), r"^foo: not a parameter of LIFParams; accepted: t_max, dt, tau, el, vr, vth, r, "),
        (lambda: LIFParams(tau_m="10 ms"), r"^tau_m: not a parameter of LIFParams \(did you mean tau\?\); accepted: "),
        (lambda: LIFParams().replace(foo=1), r"^foo: not a parameter of LIFParams; accepted: .*round_steps$"),
        (lambda: LIFParams(*range(13)), r"^LIFParams: takes at most 12 values \(t_max, .*\), got 13$"),
    ],
)
def test_an_unknown_parameter_is_named_with_the_accepted_ones(call, said):
    """``LIFParams(foo=1)`` gave the dataclass's bare "__init__() got an unexpected keyword argument 'foo'"."""
    with pytest.raises(TypeError, match=said):
        call()


def test_the_signature_is_still_the_parameters():
    import inspect

    assert list(inspect.signature(LIFParams).parameters)[:3] == ["t_max", "dt", "tau"]
