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
    source = inputs.white_noise(sigma, p.i_mean)
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
    run = lifsim.simulate(p, inputs.white_noise(sigma, p.i_mean), n=n, seed=4, spiking=False, method="exact")
    mean, var = theory.ou_moments(p, p.el + p.r * p.i_mean, sigma, run.t)
    assert _z_mean(run.v_mean, mean, var, n).max() < 5
    assert _z_var(run.v_var(1), var, n).max() < 5
