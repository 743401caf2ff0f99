"""Simulated subthreshold ensembles against the closed-form moments of lifsim.theory."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs, theory
from lifsim.cli import main


def _z_mean(sample_mean, exact_mean, exact_var, n):
    se = np.sqrt(exact_var / n)
    mask = exact_var > 0
    return np.abs(sample_mean[mask] - exact_mean[mask]) / se[mask]


def _z_var(sample_var, exact_var, n):
    # standard error of the sample variance of near-normal data: var * sqrt(2 / (n - 1))
    mask = exact_var > 0
    return np.abs(sample_var[mask] - exact_var[mask]) / (exact_var[mask] * np.sqrt(2 / (n - 1)))


def test_closed_form_matches_recursion_exactly_without_noise():
    p = lifsim.LIFParams()
    th = theory.euler_moments(p, inputs.constant(p.i_mean))
    run = lifsim.simulate(p, spiking=False)
    np.testing.assert_allclose(run.v_mean, th.mean, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(th.var, 0.0)


def test_stationary_values():
    p = lifsim.LIFParams()
    source = inputs.uniform_noise(p.i_mean)
    th = theory.euler_moments(p, source, steps=2000)
    a = p.alpha
    s_i2 = (p.i_mean * 0.1 * np.sqrt(150.0)) ** 2 / 3
    assert th.mean[-1] == pytest.approx(p.el + p.r * p.i_mean, rel=1e-12)
    assert th.var[-1] == pytest.approx(a * p.r**2 * s_i2 / (2 - a), rel=1e-12)
    assert theory.euler_stationary_variance(p, source) == pytest.approx(th.var[-1], rel=1e-12)
    # transient: var[1] is one step of injected noise, var[2] adds the decayed first one
    assert th.var[1] == pytest.approx(a**2 * p.r**2 * s_i2, rel=1e-12)
    assert th.var[2] == pytest.approx(a**2 * p.r**2 * s_i2 * (1 + (1 - a) ** 2), rel=1e-12)


def test_uniform_ensemble_matches_closed_form_moments():
    p = lifsim.LIFParams()
    source = inputs.uniform_noise(p.i_mean)
    n = 20000
    run = lifsim.simulate(p, source, n=n, seed=11, spiking=False, lags=(1, 10))
    th = theory.euler_moments(p, source)
    assert run.v_mean[0] == p.el and run.v_var()[0] == 0.0
    assert _z_mean(run.v_mean, th.mean, th.var, n).max() < 5
    assert _z_var(run.v_var(1), th.var, n).max() < 5
    for lag in (1, 10):
        sample = run.autocov(lag)[lag:]
        exact = th.autocov(lag, p.alpha)[lag:]
        # covariance standard error for near-normal data: sqrt((s_a s_b + c**2) / n)
        se = np.sqrt((th.var[: len(th.var) - lag] * th.var[lag:] + exact**2) / n)
        assert np.max(np.abs(sample[1:] - exact[1:]) / se[1:]) < 5


def test_cli_uniform_run_matches_closed_form(tmp_path):
    out = tmp_path / "out.npz"
    assert main(["simulate", "--n", "20000", "--input", "uniform", "--no-spiking", "--data", str(out), "--quiet"]) == 0
    data = np.load(out)
    p = lifsim.LIFParams()
    th = theory.euler_moments(p, inputs.uniform_noise(p.i_mean))
    np.testing.assert_array_equal(data["t"], np.arange(150) * 1e-3)
    assert _z_mean(data["v_mean"], th.mean, th.var, 20000).max() < 5
    assert _z_var(data["v_var"], th.var, 20000).max() < 5
    np.testing.assert_allclose(data["v_std"] ** 2, data["v_var"], rtol=1e-12)


@pytest.mark.parametrize("dt", [1e-3, 1e-4])
def test_white_noise_stationary_variance(dt):
    sigma = 4e-3
    p = lifsim.LIFParams(dt=dt, t_max=0.1)
    source = inputs.white_noise(p.i_mean, sigma=sigma)
    n = 20000
    run = lifsim.simulate(p, source, n=n, seed=2, spiking=False)
    th = theory.euler_moments(p, source)
    assert th.var[-1] == pytest.approx(sigma**2 / (2 - p.alpha) * (1 - (1 - p.alpha) ** (2 * (p.steps - 1))))
    assert _z_mean(run.v_mean, th.mean, th.var, n).max() < 5
    assert _z_var(run.v_var(1), th.var, n).max() < 5


def test_exact_method_solves_constant_input_exactly():
    p = lifsim.LIFParams(dt=1e-4, t_max=0.05)
    run = lifsim.simulate(p, spiking=False, method="exact")
    mu = p.el + p.r * p.i_mean
    np.testing.assert_allclose(run.v_mean, mu + (p.v0 - mu) * np.exp(-run.t / p.tau), rtol=0, atol=1e-14)


def test_euler_converges_with_order_one():
    mu_errors = []
    for dt in (1e-3, 5e-4, 2.5e-4):
        p = lifsim.LIFParams(dt=dt, t_max=0.04)
        run = lifsim.simulate(p, spiking=False)
        mu = p.el + p.r * p.i_mean
        mu_errors.append(np.max(np.abs(run.v_mean - (mu + (p.v0 - mu) * np.exp(-run.t / p.tau)))))
    orders = np.log2(np.array(mu_errors[:-1]) / np.array(mu_errors[1:]))
    np.testing.assert_allclose(orders, 1.0, atol=0.05)


def test_exact_ou_variance_for_white_noise():
    sigma = 5e-3
    p = lifsim.LIFParams(dt=2e-3, tau=20e-3, t_max=0.2)
    n = 20000
    run = lifsim.simulate(p, inputs.white_noise(p.i_mean, sigma=sigma), n=n, seed=4, spiking=False, method="exact")
    mean, var = theory.ou_moments(p, p.el + p.r * p.i_mean, sigma, run.t)
    assert _z_mean(run.v_mean, mean, var, n).max() < 5
    assert _z_var(run.v_var(1), var, n).max() < 5


# ---------------------------------------------------------------- issue 16, finding 10: rheobase

RHEOBASE = 100e-12  # E_L + R I = V_th for the defaults: -60 mV + 100 MOhm * 100 pA = -50 mV


def _closed_form_rate(tau, el, vr, vth, r, current, t_ref=0.0):
    """The noise-free rate from the parameters as the user wrote them (exact rationals), in Hz."""
    from fractions import Fraction as F

    drive = F(r) * F(current)
    above = drive - (F(vth) - F(el))
    if above <= 0:
        return 0.0
    return 1.0 / (t_ref + tau * np.log(float((drive - (F(vr) - F(el))) / above)))


def test_fi_theory_is_zero_at_exactly_rheobase():
    p = lifsim.LIFParams(dt="0.1 ms", t_max="1 s")
    assert p.r * RHEOBASE == 0.01 and p.vth - p.el == 0.009999999999999995  # the rounding that gave 1.40 Hz
    assert float(theory.fi_deterministic(p, RHEOBASE)) == 0.0
    assert float(theory.fi_grid(p, RHEOBASE)) == 0.0
    assert float(theory.fi_grid(p, RHEOBASE, "exact")) == 0.0
    assert float(theory.fi_deterministic(p, "100 pA")) == 0.0
    # the simulated neuron agrees: it creeps up to V_th and never fires
    run = lifsim.simulate(p, inputs.constant(RHEOBASE), n=1, engine="numpy")
    assert run.total_spikes == 0


@pytest.mark.parametrize("relative", [1e-9, 1e-6, 1e-3, 0.5])
def test_fi_theory_a_hair_above_rheobase_is_the_closed_form(relative):
    p = lifsim.LIFParams(dt="0.1 ms", t_max="1 s")
    current = RHEOBASE * (1 + relative)
    expected = _closed_form_rate(0.02, "-0.06", "-0.07", "-0.05", "1e8", current)
    assert expected > 0
    # relative error of the parameters' rounding: about 1e-18 V against an excess of relative * 10 mV
    assert float(theory.fi_deterministic(p, current)) == pytest.approx(expected, rel=max(1e-12, 1e-15 / relative))


def test_fi_theory_below_rheobase_is_zero():
    p = lifsim.LIFParams()
    below = np.nextafter(RHEOBASE, 0) * np.array([1.0, 1 - 1e-12, 0.9, 0.0, -1.0])
    np.testing.assert_array_equal(theory.fi_deterministic(p, below), 0.0)
    np.testing.assert_array_equal(theory.fi_grid(p, below), 0.0)


def test_fi_grid_a_hair_above_rheobase_matches_the_simulation():
    p = lifsim.LIFParams(dt="0.1 ms", t_max="1 s", v0="-70 mV")  # start at V_reset, as after a spike
    current = RHEOBASE * (1 + 1e-6)
    rate = float(theory.fi_grid(p, current))
    period_steps = round(1 / (rate * p.dt))
    assert period_steps == 2895
    run = lifsim.simulate(p, inputs.constant(current), n=1, engine="numpy")
    assert run.total_spikes == 3
    intervals = np.diff(np.concatenate([[0.0], run.spike_t])) / p.dt  # from V_reset = V(0) at t = 0
    np.testing.assert_allclose(intervals, period_steps, atol=1e-6)


def test_cli_fi_default_grid_shows_zero_theory_at_rheobase(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "lifsim"
    if not script.exists():
        pytest.skip("no lifsim console script next to the running Python")
    proc = subprocess.run(
        [str(script), "fi", "--n", "2", "--t-max", "200ms", "--engine", "numpy", "--no-plot"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.split()[:1] == ["100"]}
    assert "100" in rows, proc.stdout + proc.stderr  # 100 pA lies on the default grid 0:400pA:9
    assert [float(cell) for cell in rows["100"][1:]] == [0.0] * (len(rows["100"]) - 1)


# ---------------------------------------------------------------- issue 16, finding 11: units everywhere

P = lifsim.LIFParams(dt="0.1 ms", t_max="200 ms")


@pytest.mark.parametrize(
    "call, with_units, in_si",
    [
        ("siegert_rate", (P, "5 mV", "60 pA"), (P, 5e-3, 60e-12)),
        ("siegert_rate", (P, "5mV", ["60 pA", "250pA"]), (P, 5e-3, np.array([60e-12, 250e-12]))),
        ("siegert_rate", (P, "5 mV", "60 pA", "0.1 ms"), (P, 5e-3, 60e-12, 1e-4)),
        ("fi_deterministic", (P, "250 pA"), (P, 250e-12)),
        ("fi_deterministic", (P, ("150 pA", "0.00000000025")), (P, np.array([150e-12, 250e-12]))),
        ("fi_grid", (P, "250 pA"), (P, 250e-12)),
        ("fi_grid", (P, ["250 pA", "400 pA"], "exact"), (P, [250e-12, 400e-12], "exact")),
        ("ou_moments", (P, "-55 mV", "5 mV", "10 ms"), (P, -55e-3, 5e-3, 10e-3)),
        ("ou_moments", (P, "-55 mV", "5 mV", ["1 ms", "10 ms"]), (P, -55e-3, 5e-3, np.array([1e-3, 1e-2]))),
        ("ou_autocov", (P, "5 mV", "10 ms", "20 ms"), (P, 5e-3, 0.01, 0.02)),
        ("ou_autocov", (P, "5 mV", ["10 ms", "30 ms"], "20 ms"), (P, 5e-3, [0.01, 0.03], 0.02)),
    ],
)
def test_theory_takes_units_for_every_dimensioned_argument(call, with_units, in_si):
    function = getattr(theory, call)
    if call == "siegert_rate" and len(with_units) == 4:  # dt_correction is keyword-only
        got = function(*with_units[:3], dt_correction=with_units[3])
        want = function(*in_si[:3], dt_correction=in_si[3])
    else:
        got, want = function(*with_units), function(*in_si)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert np.shape(got) == np.shape(want)


def test_theory_of_inputs_given_with_units():
    drive = inputs.white_noise("250 pA", sigma="5 mV")
    same = inputs.white_noise(250e-12, sigma=5e-3)
    assert theory.noise_variance_per_step(drive, P) == theory.noise_variance_per_step(same, P)
    assert theory.euler_stationary_variance(P, drive) == theory.euler_stationary_variance(P, same)
    np.testing.assert_array_equal(theory.euler_moments(P, drive).var, theory.euler_moments(P, same).var)
    assert theory.stationary_rate(P, drive) == theory.stationary_rate(P, same)


@pytest.mark.parametrize(
    "call, args, error, needles",
    [
        ("siegert_rate", (P, "5 mV", "60 mV"), ValueError, ("i_mean", "60 mV")),
        ("siegert_rate", (P, "5 pA", "60 pA"), ValueError, ("sigma", "5 pA")),
        ("siegert_rate", (P, "-5 mV"), ValueError, ("sigma", "> 0")),
        ("siegert_rate", (P, "5 mV", None, "1 mV"), ValueError, ("dt_correction", "1 mV")),
        ("siegert_rate", ("params", "5 mV"), TypeError, ("params", "LIFParams")),
        ("fi_deterministic", (P, "lots"), ValueError, ("i_mean", "lots")),
        ("fi_deterministic", (P, object()), TypeError, ("i_mean",)),
        ("fi_deterministic", (P, [True]), TypeError, ("i_mean", "boolean")),
        ("fi_deterministic", (P, float("nan")), ValueError, ("i_mean", "finite")),
        ("fi_grid", (P, ["250 pA", "x"]), ValueError, ("i_mean", "'x'")),
        ("ou_moments", (P, "-55 mA", "5 mV", 0.01), ValueError, ("mu", "-55 mA")),
        ("ou_moments", (P, "-55 mV", "5 mV", "10 mV"), ValueError, ("t", "10 mV")),
        ("ou_autocov", (P, "5 mV", "10 ms", {"s": 1}), TypeError, ("s",)),
        ("noise_variance_per_step", (inputs.constant("1 pA"), "params"), TypeError, ("params",)),
    ],
)
def test_theory_bad_arguments_give_one_line(call, args, error, needles):
    function = getattr(theory, call)
    if call == "siegert_rate" and len(args) == 4:
        raise_it = lambda: function(*args[:3], dt_correction=args[3])  # noqa: E731
    else:
        raise_it = lambda: function(*args)  # noqa: E731
    with pytest.raises(error) as caught:
        raise_it()
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    for needle in needles:
        assert needle in message, (needle, message)


def test_siegert_rate_takes_currents_of_any_shape_and_keeps_it():
    currents = np.array([[60e-12, 80e-12], [100e-12, 120e-12]])
    grid = theory.siegert_rate(P, "5 mV", currents)
    assert grid.shape == (2, 2)
    flat = theory.siegert_rate(P, "5 mV", currents.ravel())
    np.testing.assert_array_equal(grid.ravel(), flat)
    assert grid[0, 0] == theory.siegert_rate(P, "5 mV", "60 pA")
