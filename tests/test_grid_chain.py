"""The grid's Markov-chain theory (lifsim.grid_chain, theory.grid_rate): the rate the simulation converges to at
any dt, checked against simulations where the continuous-time theory with the grid correction misses."""

from __future__ import annotations

import numpy as np
import pytest

import lifsim
from lifsim import inputs, theory
from lifsim.errors import PlausibilityWarning
from lifsim.grid_chain import chain_updates

COARSE = lifsim.LIFParams(t_max="1 s", dt="1 ms", t_ref="2 ms")  # the tutorial's step: dt/tau = 0.05
CURRENTS = ["200 pA", "400 pA"]


def _z(curve: lifsim.FICurve, reference: np.ndarray) -> np.ndarray:
    return (curve.rate - reference) / curve.rate_sem


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_white_noise_rates_at_1_ms_sit_on_the_chain_not_on_siegert(method):
    """At dt = 1 ms the grid-corrected Siegert rate is per cent off (the same for both methods, which differ);
    the chain's rate is within the standard errors of 6,000 neurons for each method."""
    curve = lifsim.fi_curve(COARSE, CURRENTS, n=6000, sigma="5 mV", method=method, seed=3, transient="100 ms")
    assert np.all(np.abs(_z(curve, curve.rate_theory)) < 4.5), (curve.rate, curve.rate_theory, curve.rate_sem)
    siegert = theory.siegert_rate(COARSE, 5e-3, np.array([2e-10, 4e-10]), dt_correction=COARSE.dt)
    assert np.max(np.abs(_z(curve, siegert))) > 10  # the approximation it replaces is far outside them
    np.testing.assert_allclose(curve.rate_theory, theory.grid_rate(COARSE, 5e-3, [2e-10, 4e-10], method))


def test_uniform_noise_has_the_chain_of_its_own_law():
    """The tutorial's uniform noise: the chain with a uniform kernel, not the diffusion approximation."""
    params = COARSE.replace(i_mean="300 pA")
    data = lifsim.sweep(params, {"i_mean": ["300 pA"]}, input="uniform", n=6000, seed=5, transient="100 ms")
    rate, sem, expected = (float(data[name].values[0]) for name in ("rate", "rate_sem", "rate_theory"))
    assert abs(rate - expected) < 4.5 * sem, (rate, sem, expected)
    found = theory.stationary_rate(params, inputs.uniform_noise(), "euler")
    assert found is not None and found[1] == "Markov chain of the grid" and found[0] == expected


def test_uniform_noise_chain_meets_a_monte_carlo_of_the_same_chain():
    """The chain's mean updates to threshold for the tutorial's uniform noise (250 pA, dt 0.1 ms, A 10) against
    400,000 first passages of ``V' = c + b V + s U(-1, 1)`` drawn here with numpy: 159.39 +- 0.11 updates.  The
    Richardson step that suits Gaussian noise gave 158.97 (3.8 standard errors; the rate 0.3 % high, z = -3 to -6
    for sweeps of 3,000-5,000 neurons), because the box kernel's edges make the error uneven in the width."""
    dt, tau, el, vr, vth, resistance, current, amplitude = 1e-4, 0.02, -0.06, -0.07, -0.05, 1e8, 2.5e-10, 10.0
    mu, h = el + resistance * current, dt / tau
    b, c, s = 1.0 - h, h * mu, h * resistance * current * amplitude
    rng = np.random.default_rng(2026)
    n = 400_000
    v, steps, alive, k = np.full(n, vr), np.zeros(n, np.int64), np.arange(n), 0
    while alive.size:
        k += 1
        v = c + b * v + s * rng.uniform(-1.0, 1.0, alive.size)
        up = v > vth
        steps[alive[up]] = k
        alive, v = alive[~up], v[~up]
    sampled, error = steps.mean(), steps.std() / np.sqrt(n)
    chain = chain_updates(dt, tau, mu, vr, vth, s, "uniform", "euler")
    assert abs(chain - sampled) < 2.5 * error, (chain, sampled, error)


def test_weak_noise_with_fine_steps_near_rheobase_is_siegert_not_the_noise_free_neuron():
    """0.2 mV of white noise, dt 10 us: too weak for the chain's cells.  Near rheobase the noise spreads each
    spike over thousands of steps, so the grid-corrected Siegert rate holds (the noise-free neuron stood in:
    8.21 Hz at 100.5 pA against a simulated 9.44, and the theory fell from 8.76 Hz at 100 pA); far above rheobase
    at 1 ms steps the noise moves a spike by less than a step and the noise-free neuron on the grid stays."""
    params = lifsim.LIFParams(t_max="3 s", dt="10 us", t_ref="2 ms")
    currents = ["99 pA", "100 pA", "100.5 pA", "101 pA", "102 pA"]
    found = [theory.stationary_rate(params.replace(i_mean=i), inputs.white_noise(sigma="0.2 mV")) for i in currents]
    rates = np.array([rate for rate, _label in found])
    assert np.all(np.diff(rates) > 0), rates
    assert {label for _rate, label in found} == {"Siegert, grid-corrected"}
    with pytest.warns(PlausibilityWarning, match="transient"):  # CV 0.1 at 9 Hz: partly in step for a while
        curve = lifsim.fi_curve(params, ["100.5 pA"], n=400, sigma="0.2 mV", seed=4, transient="0.5 s")
    assert abs(curve.rate[0] - curve.rate_theory[0]) < 4.5 * curve.rate_sem[0], (curve.rate, curve.rate_theory)
    coarse = theory.stationary_rate(COARSE.replace(i_mean="250 pA"), inputs.white_noise(sigma="0.03 mV"))
    assert coarse[1].startswith("noise-free neuron on the grid")


def test_random_refractory_periods_average_the_rate_over_the_neurons():
    """t_ref_std: each neuron is a renewal process of its own; 1 / (mean period) was 3 % low (40 sem)."""
    params = lifsim.LIFParams(t_max="0.6 s", t_ref="4 ms", t_ref_std="3 ms")
    curve = lifsim.fi_curve(params, ["400 pA"], n=2000, seed=2)  # noise-free: 1 / mean ISI, pooled
    one_period = theory.fi_grid(params.replace(t_ref_std=0.0), [4e-10])
    assert curve.rate[0] == pytest.approx(curve.rate_theory[0], rel=2e-3)
    assert curve.rate_theory[0] > 1.02 * one_period[0]
    noisy = lifsim.fi_curve(params, ["300 pA"], n=2000, sigma="3 mV", seed=2)
    assert abs(noisy.rate[0] - noisy.rate_theory[0]) < 4.5 * noisy.rate_sem[0]
    steps, shares = theory.refractory_law(params)
    assert shares.sum() == pytest.approx(1.0) and steps[0] == 0 and shares[0] > 0  # the clipped negatives


def test_the_chain_meets_its_limits():
    """Small dt: the chain tends to the grid-corrected Siegert rate.  Noise too weak for any grid of cells: above
    rheobase the noise-free neuron on the grid stands in (Siegert's continuous limit was 1-2 % off at 1 ms steps),
    below it Siegert's tiny rate; a drive of 100 nA fires every step, not 25 kHz; rates far below countable are
    not negative (the chain's system is singular there); Euler with dt >= tau is refused as a run is."""
    fine = lifsim.LIFParams(dt="10 us")
    chain = theory.grid_rate(fine, 5e-3, [1e-10, 3e-10])
    siegert = theory.siegert_rate(fine, 5e-3, [1e-10, 3e-10], dt_correction=fine.dt)
    np.testing.assert_allclose(chain, siegert, rtol=3e-3)
    weak = theory.grid_rate(COARSE, 3e-5, [1.5e-10, 3e-10, 5e-11])
    np.testing.assert_array_equal(weak[:2], theory.fi_grid(COARSE, [1.5e-10, 3e-10]))
    assert 0 <= weak[2] < 1e-100
    found = theory.stationary_rate(COARSE.replace(i_mean="150 pA"), inputs.white_noise(sigma="0.03 mV"), "exact")
    assert found[0] == float(theory.fi_grid(COARSE, [1.5e-10], "exact")[0])
    assert found[1] == "noise-free neuron on the grid (noise too weak for the chain)"
    assert theory.grid_rate(COARSE, 0.5e-3, [1e-7])[0] == pytest.approx(1 / (3 * COARSE.dt))  # 2 ms t_ref: 3 steps
    low = theory.grid_rate(lifsim.LIFParams(dt="10 us"), 0.5e-3, [0.0, 1e-11])
    assert np.all(low >= 0) and np.all(low < 1e-100)
    with pytest.raises(ValueError, match="smaller than tau"):
        theory.grid_rate(lifsim.LIFParams(dt="50 ms", t_max="1 s"), 5e-3, [3e-10])


@pytest.mark.parametrize(
    ("drive", "method"),
    [(inputs.white_noise("300 pA", sigma="5 mV"), "euler"), (inputs.white_noise("300 pA", sigma="5 mV"), "exact"),
     (inputs.uniform_noise("250 pA"), "euler")],
)  # fmt: skip
def test_the_stationary_distribution_of_v_is_the_simulated_one(drive, method):
    """The chain's stationary distribution against 20,000 neurons' V late in a run: the share held at V_reset and
    the histogram of the rest (a chi-square over bins expecting 25 or more neurons)."""
    params = lifsim.LIFParams(t_max="300 ms", dt="0.1 ms", t_ref="2 ms")
    n = 20_000
    run = lifsim.simulate(params, drive, n=n, seed=4, method=method, snapshots=("290 ms",), record_spikes=False)
    v = run.v_snapshots[0]
    edges, masses, at_reset = theory.stationary_density(params, drive, method)
    held = np.count_nonzero(v == params.vr)
    assert abs(held - n * at_reset) < 4.5 * np.sqrt(n * at_reset), (held, n * at_reset)
    free = v[v != params.vr]
    bins = np.linspace(params.vr - 5e-3, params.vth, 41)
    cumulative = np.interp(bins, edges, np.concatenate([[0.0], np.cumsum(masses)]))
    expected = n * np.diff(cumulative)
    observed = np.histogram(free, bins)[0]
    keep = expected >= 25
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert chi2 < keep.sum() + 5 * np.sqrt(2 * keep.sum()), (chi2, keep.sum())


def test_noise_wider_than_the_threshold_gap_is_one_grid_not_a_division_by_zero():
    """Noise of about a volt a step (a student's ``--sigma 1`` meant as mV): both of the chain's grids are the one
    cell above the reset, finer than either target, and the extrapolation between them divided 0 by 0
    (``lifsim fi --sigma 1`` exited "float division by zero").  The chain's rate is a simulation's, within its
    standard errors (the simulation is the independent check)."""
    with pytest.warns(PlausibilityWarning):  # a volt is far outside the usual range, and said so
        curve = lifsim.fi_curve(COARSE, ["200 pA"], n=4000, sigma="1 V", seed=7, transient="100 ms")
    assert np.all(np.abs(_z(curve, curve.rate_theory)) < 4.5), (curve.rate, curve.rate_theory, curve.rate_sem)
    for sigma in ("1 V", "2 V"):
        rate, label = theory.stationary_rate(COARSE, inputs.white_noise(sigma=sigma))
        assert label == "Markov chain of the grid" and 100.0 < rate < 500.0


def test_lifsim_fi_with_a_noise_of_volts_runs_with_its_warning():
    """`lifsim fi --sigma 5` (5 V) printed its warning, then "error: float division by zero" (exit 2)."""
    from cli_helpers import run_script

    done = run_script(["fi", "--sigma", "5", "--n", "10", "--t-max", "0.2s", "--points", "2", "--quiet"])
    assert done.returncode == 0, done.stderr
    assert (
        "error" not in done.stderr
        and "5 V is far outside the usual range (0 to 100 mV); plain numbers are SI units (V): did you mean 5mV?"
        in done.stderr
    ), done.stderr
