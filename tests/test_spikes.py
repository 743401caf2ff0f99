"""Spike-train analysis (lifsim.spikes): hand-computed cases, known distributions,
lifsim runs analysed with it, V snapshots, and the spike figures.

Rates are in Hz: spikes per neuron per second (numpydoc of lifsim.spikes).
"""

from __future__ import annotations

import doctest
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lifsim  # noqa: E402
import lifsim.spikes  # noqa: E402
from lifsim import plot, spikes  # noqa: E402
from lifsim.streams import REFRACTORY_STREAM, CounterStream  # noqa: E402

# ------------------------------------------------------------------ helpers


def poisson_population(rate, n, t_max, seed):
    """A homogeneous Poisson population: per neuron a Poisson count, then uniform times."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate * t_max, size=n)
    spike_i = np.repeat(np.arange(n), counts)
    spike_t = rng.uniform(0.0, t_max, size=spike_i.size)
    return spike_t, spike_i


def renewal_train(intervals):
    """One neuron's spike times from its ISIs."""
    t = np.cumsum(intervals)
    return t, np.zeros(t.size, dtype=np.int64)


def cv_standard_error(shape, count):
    """Delta-method standard error of the sample CV of ``count`` gamma(shape) ISIs.

    Var(CV_hat) ~ (k + 1) / (2 k**2 N); for k = 1 (Poisson) that is 1/N.
    """
    return np.sqrt((shape + 1) / (2 * shape**2 * count))


@pytest.fixture
def close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------ doctest


def test_module_doctest():
    result = doctest.testmod(lifsim.spikes)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------ spike_counts


def test_spike_counts_hand_case():
    counts = spikes.spike_counts(np.array([2, 0, 2, 2, 4]), n=6)
    assert counts.tolist() == [1, 0, 3, 0, 1, 0]
    assert counts.shape == (6,)


def test_spike_counts_empty():
    assert spikes.spike_counts(np.zeros(0, dtype=np.int64), n=3).tolist() == [0, 0, 0]


def test_spike_counts_index_outside_n():
    with pytest.raises(ValueError, match="spike_i"):
        spikes.spike_counts(np.array([0, 3]), n=3)


def test_spike_counts_negative_index_names_argument():
    with pytest.raises(ValueError, match="spike_i"):
        spikes.spike_counts(np.array([0, -1]), n=3)


def test_spike_counts_float_index_raises():
    with pytest.raises(ValueError, match="spike_i"):
        spikes.spike_counts(np.array([1.5, 0.2]), n=2)


# ------------------------------------------------------------------ population_rate


def test_population_rate_hand_case():
    t = np.array([0.1, 0.2, 0.3, 0.15, 1.5])
    # 4 spikes in [0, 1) of 4 neurons over 1 s
    assert spikes.population_rate(t, n=4, duration=1.0) == pytest.approx(1.0)
    # 2 neurons, 0.5 s window [0.125, 0.625): 0.15, 0.2, 0.3 -> 3 / (2 * 0.5)
    assert spikes.population_rate(t, n=2, duration=0.5, t_start=0.125) == pytest.approx(3.0)


def test_population_rate_window_is_half_open():
    t = np.array([0.25, 0.5, 0.75])
    # [0.25, 0.75): the spike at t_start counts, the one at t_start + duration does not
    assert spikes.population_rate(t, n=1, duration=0.5, t_start=0.25) == pytest.approx(2 / 0.5)
    # a spike just before t_start is out
    assert spikes.population_rate(t, n=1, duration=0.25, t_start=0.2500001) == pytest.approx(1 / 0.25)


def test_population_rate_poisson_matches_rate():
    t, i = poisson_population(20.0, 400, 5.0, seed=1)
    rate = spikes.population_rate(t, n=400, duration=5.0)
    # 40000 expected spikes: SE 20 / sqrt(40000) = 0.1 Hz
    assert abs(rate - 20.0) < 4 * 0.1


@pytest.mark.parametrize("duration", [0.0, -1.0, np.nan, np.inf])
def test_population_rate_bad_duration(duration):
    with pytest.raises(ValueError, match="duration"):
        spikes.population_rate(np.array([0.1]), n=1, duration=duration)


def test_population_rate_bad_n():
    with pytest.raises(ValueError, match="n"):
        spikes.population_rate(np.array([0.1]), n=0, duration=1.0)


# ------------------------------------------------------------------ rate_over_time


def test_rate_over_time_hand_case_in_hz():
    # 2 neurons, bins of 0.25 s over [0, 1): counts 2, 0, 1, 3
    t = np.array([0.05, 0.2, 0.6, 0.8, 0.85, 0.9])
    centers, rate = spikes.rate_over_time(t, n=2, t_start=0.0, t_stop=1.0, bin_width=0.25)
    np.testing.assert_allclose(centers, [0.125, 0.375, 0.625, 0.875])
    # Hz: count / (n * bin_width), not spikes per bin
    np.testing.assert_allclose(rate, np.array([2, 0, 1, 3]) / (2 * 0.25))


def test_rate_over_time_centres_with_offset_start():
    centers, rate = spikes.rate_over_time(np.array([]), n=1, t_start=0.5, t_stop=1.5, bin_width=0.25)
    np.testing.assert_allclose(centers, [0.625, 0.875, 1.125, 1.375])
    assert rate.shape == centers.shape
    assert not rate.any()


def test_rate_over_time_drops_partial_last_bin():
    centers, _ = spikes.rate_over_time(np.array([]), n=1, t_start=0.0, t_stop=1.1, bin_width=0.25)
    np.testing.assert_allclose(centers, [0.125, 0.375, 0.625, 0.875])


def test_rate_over_time_poisson_is_flat():
    rate_hz, n, t_max, width = 20.0, 500, 2.0, 0.1
    t, _ = poisson_population(rate_hz, n, t_max, seed=2)
    centers, rate = spikes.rate_over_time(t, n=n, t_start=0.0, t_stop=t_max, bin_width=width)
    assert centers.size == 20
    # each bin: ~1000 spikes, SE of the rate 20 / sqrt(1000) = 0.63 Hz
    se = np.sqrt(rate_hz / (n * width))
    assert np.all(np.abs(rate - rate_hz) < 4 * se)
    # the bins scatter like Poisson counts: chi-square with 19 dof, well below its 0.999 quantile (43.8)
    counts = rate * n * width
    chi2 = np.sum((counts - counts.mean()) ** 2) / counts.mean()
    assert chi2 < 43.8
    # and their mean is the population rate
    assert rate.mean() == pytest.approx(spikes.population_rate(t, n, t_max), rel=1e-12)


def test_rate_over_time_bins_are_half_open():
    t = np.array([0.25, 1.0])
    centers, rate = spikes.rate_over_time(t, n=1, t_start=0.0, t_stop=1.1, bin_width=0.25)
    expected = [spikes.population_rate(t, 1, 0.25, t_start=c - 0.125) for c in centers]
    np.testing.assert_allclose(rate, expected)
    np.testing.assert_allclose(rate, [0.0, 4.0, 0.0, 0.0])


def test_rate_over_time_regular_grid_train_is_flat():
    t = np.arange(100) * 0.01  # 100 Hz, spikes at 0, 10 ms, 20 ms, ...
    _, rate = spikes.rate_over_time(t, n=1, t_start=0.0, t_stop=1.0, bin_width=0.1)
    np.testing.assert_array_equal(rate, np.full(10, 100.0))


@pytest.mark.parametrize("bin_width", [0.0, -0.1, np.nan])
def test_rate_over_time_bad_bin_width(bin_width):
    with pytest.raises(ValueError, match="bin_width"):
        spikes.rate_over_time(np.array([0.1]), n=1, t_start=0.0, t_stop=1.0, bin_width=bin_width)


@pytest.mark.parametrize("t_stop", [1.0, 0.5])
def test_rate_over_time_t_stop_not_after_t_start(t_stop):
    with pytest.raises(ValueError, match="t_stop"):
        spikes.rate_over_time(np.array([0.1]), n=1, t_start=1.0, t_stop=t_stop, bin_width=0.1)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_rate_over_time_bad_n():
    with pytest.raises(ValueError, match="n"):
        spikes.rate_over_time(np.array([0.1]), n=0, t_start=0.0, t_stop=1.0, bin_width=0.1)


# ------------------------------------------------------------------ isi


def test_isi_never_spans_two_neurons():
    t = np.array([0.1, 0.5, 0.2, 0.9, 0.3])
    i = np.array([0, 0, 1, 1, 2])
    # neuron 0: 0.4; neuron 1: 0.7; neuron 2 has one spike; never 0.2 - 0.5 etc.
    np.testing.assert_allclose(spikes.isi(t, i), [0.4, 0.7])


def test_isi_unsorted_input():
    rng = np.random.default_rng(3)
    t = np.array([0.1, 0.3, 0.6, 1.0, 0.05, 0.55])
    i = np.array([0, 0, 0, 0, 1, 1])
    expected = np.sort(spikes.isi(t, i))
    order = rng.permutation(t.size)
    got = spikes.isi(t[order], i[order])
    np.testing.assert_allclose(np.sort(got), expected)
    np.testing.assert_allclose(np.sort(got), np.sort([0.2, 0.3, 0.4, 0.5]))


def test_isi_fewer_than_two_spikes():
    assert spikes.isi(np.array([]), np.array([], dtype=np.int64)).size == 0
    assert spikes.isi(np.array([0.1]), np.array([0])).size == 0
    # one spike per neuron: no interval at all
    assert spikes.isi(np.array([0.1, 0.2]), np.array([0, 1])).size == 0


def test_isi_accepts_python_lists():
    np.testing.assert_allclose(spikes.isi([0.5, 0.25], [3, 3]), [0.25])


# ------------------------------------------------------------------ cv_isi


def test_cv_regular_train_is_exactly_zero():
    t = np.arange(1, 65) * 0.125  # exactly representable times
    assert spikes.cv_isi(t, np.zeros(t.size, dtype=np.int64)) == 0.0


def test_cv_regular_trains_of_several_neurons():
    # every neuron at 4 Hz with its own phase: pooled ISIs all 0.25 s
    t = np.concatenate([np.arange(8) * 0.25 + 0.0625 * j for j in range(4)])
    i = np.repeat(np.arange(4), 8)
    assert spikes.cv_isi(t, i) == 0.0


def test_cv_regular_decimal_train_is_zero_to_round_off():
    # decimal times are not exact in binary: the intervals differ in the last bit
    t = np.array([0.1, 0.2, 0.3, 0.15])
    i = np.array([0, 0, 0, 1])
    assert spikes.cv_isi(t, i) < 1e-12


def test_cv_hand_case():
    # ISIs 1 and 3: std 1, mean 2 (ddof 0); ddof 1: sqrt(2) / 2
    t, i = np.array([0.0, 1.0, 4.0]), np.zeros(3, dtype=np.int64)
    assert spikes.cv_isi(t, i) == pytest.approx(0.5)
    assert spikes.cv_isi(t, i, ddof=1) == pytest.approx(np.sqrt(2) / 2)


def test_cv_nan_with_fewer_than_two_intervals():
    assert np.isnan(spikes.cv_isi(np.array([0.1, 0.2]), np.array([0, 0])))
    assert np.isnan(spikes.cv_isi(np.array([]), np.array([], dtype=np.int64)))


def test_cv_poisson_train_is_one():
    count = 20000
    rng = np.random.default_rng(4)
    t, i = renewal_train(rng.exponential(0.05, size=count + 1))
    cv = spikes.cv_isi(t, i)
    assert abs(cv - 1.0) < 3 * cv_standard_error(1, count)


def test_cv_poisson_population_pooled():
    # 100 neurons x 250 ISIs: pooling never mixes neurons
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.exponential(0.02, size=(100, 251)), axis=1)
    i = np.repeat(np.arange(100), 251)
    cv = spikes.cv_isi(t.ravel(), i)
    assert abs(cv - 1.0) < 3 * cv_standard_error(1, 100 * 250)


@pytest.mark.parametrize("shape", [2, 4, 16])
def test_cv_gamma_renewal_train(shape):
    count = 20000
    rng = np.random.default_rng(6 + shape)
    t, i = renewal_train(rng.gamma(shape, 0.01, size=count + 1))
    cv = spikes.cv_isi(t, i)
    assert abs(cv - 1 / np.sqrt(shape)) < 3 * cv_standard_error(shape, count)


# ------------------------------------------------------------------ window_counts, fano_factor


def test_window_counts_hand_case():
    t = np.array([0.05, 0.15, 0.17, 0.35, 0.05, 0.31, 0.45, 0.02])
    i = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    counts = spikes.window_counts(t, i, n=4, window=0.1, t_start=0.0, t_stop=0.45)
    # 4 whole windows of 0.1 s in [0, 0.45); the partial one and t = 0.45 are dropped
    assert counts.shape == (4, 4)
    assert counts.dtype.kind == "i"
    np.testing.assert_array_equal(
        counts,
        [
            [1, 2, 0, 1],
            [1, 0, 0, 1],
            [1, 0, 0, 0],
            [0, 0, 0, 0],
        ],
    )


def test_window_counts_offset_start_ignores_earlier_spikes():
    # windows [0.5, 0.75), [0.75, 1.0), [1.0, 1.25): 0.1 and 1.3 are outside
    t = np.array([0.1, 0.6, 0.7, 1.2, 1.3])
    counts = spikes.window_counts(t, np.zeros(5, dtype=np.int64), n=1, window=0.25, t_start=0.5, t_stop=1.25)
    np.testing.assert_array_equal(counts, [[2, 0, 1]])


def test_window_counts_spike_on_window_edge():
    counts = spikes.window_counts(np.array([0.3]), np.array([0]), 1, 0.1, 0.0, 0.5)
    np.testing.assert_array_equal(counts, [[0, 0, 0, 1, 0]])


def test_window_longer_than_span():
    with pytest.raises(ValueError, match="window"):
        spikes.window_counts(np.array([0.1]), np.array([0]), n=1, window=2.0, t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="window"):
        spikes.fano_factor(np.array([0.1]), np.array([0]), n=1, window=2.0, t_start=0.0, t_stop=1.0)


@pytest.mark.parametrize("window", [0.0, -0.1, np.nan])
def test_window_not_positive(window):
    with pytest.raises(ValueError, match="window"):
        spikes.window_counts(np.array([0.1]), np.array([0]), n=1, window=window, t_start=0.0, t_stop=1.0)


def test_window_counts_t_stop_before_t_start():
    with pytest.raises(ValueError, match="t_stop|window"):
        spikes.window_counts(np.array([0.1]), np.array([0]), n=1, window=0.1, t_start=1.0, t_stop=0.0)


def test_window_counts_index_outside_n():
    with pytest.raises(ValueError, match="spike_i"):
        spikes.window_counts(np.array([0.1]), np.array([3]), n=2, window=0.1, t_start=0.0, t_stop=1.0)


def test_fano_poisson_is_one():
    n, rate, t_max, window = 200, 20.0, 10.0, 0.5
    t, i = poisson_population(rate, n, t_max, seed=7)
    fano = spikes.fano_factor(t, i, n=n, window=window, t_start=0.0, t_stop=t_max)
    # 4000 windows of mean count 10: SE of var/mean ~ sqrt((1/10 + 2) / 4000) = 0.023
    lam, m = rate * window, n * t_max / window
    assert abs(fano - 1.0) < 3 * np.sqrt((1 / lam + 2) / m)


def test_fano_regular_train_is_zero():
    # 100 Hz, spikes mid-step (5 ms, 15 ms, ...): 10 in every 0.1 s window
    t = 0.005 + np.arange(100) * 0.01
    i = np.zeros(100, dtype=np.int64)
    assert spikes.fano_factor(t, i, n=1, window=0.1, t_start=0.0, t_stop=1.0) == 0.0
    # several neurons at the same rate, each with its own phase
    t2 = np.concatenate([0.001 * j + np.arange(100) * 0.01 for j in range(1, 4)])
    i2 = np.repeat(np.arange(3), 100)
    assert spikes.fano_factor(t2, i2, n=3, window=0.1, t_start=0.0, t_stop=1.0) == 0.0


def test_fano_regular_train_on_window_edges_is_zero():
    t = np.arange(100) * 0.01
    i = np.zeros(100, dtype=np.int64)
    assert spikes.fano_factor(t, i, n=1, window=0.1, t_start=0.0, t_stop=1.0) == 0.0


def test_fano_hand_case():
    # counts (pooled over 2 neurons x 2 windows): 2, 0, 1, 1 -> mean 1, var (ddof 1) 2/3
    t = np.array([0.1, 0.2, 0.6, 0.7])
    i = np.array([0, 0, 0, 1])
    counts = spikes.window_counts(t, i, n=2, window=0.5, t_start=0.0, t_stop=1.0)
    np.testing.assert_array_equal(counts, [[2, 1], [0, 1]])
    assert spikes.fano_factor(t, i, n=2, window=0.5, t_start=0.0, t_stop=1.0) == pytest.approx(2 / 3)


def test_fano_nan_without_spikes():
    assert np.isnan(spikes.fano_factor(np.array([]), np.array([], dtype=np.int64), 3, 0.1, 0.0, 1.0))
    # spikes only outside the windows count as none
    assert np.isnan(spikes.fano_factor(np.array([2.0]), np.array([0]), 3, 0.1, 0.0, 1.0))


# ------------------------------------------------------------------ shared input checks

SPIKE_FUNCTIONS = {
    "isi": lambda t, i: spikes.isi(t, i),
    "cv_isi": lambda t, i: spikes.cv_isi(t, i),
    "window_counts": lambda t, i: spikes.window_counts(t, i, 3, 0.1, 0.0, 1.0),
    "fano_factor": lambda t, i: spikes.fano_factor(t, i, 3, 0.1, 0.0, 1.0),
}


@pytest.mark.parametrize("name", SPIKE_FUNCTIONS)
def test_mismatched_lengths(name):
    with pytest.raises(ValueError, match="spike_t and spike_i"):
        SPIKE_FUNCTIONS[name](np.array([0.1, 0.2, 0.3]), np.array([0, 1]))


@pytest.mark.parametrize("name", SPIKE_FUNCTIONS)
@pytest.mark.parametrize("bad_i", [[0, -1], [0.0, 1.0], [0.5, 1.0]], ids=["negative", "float", "fraction"])
def test_bad_neuron_indices(name, bad_i):
    with pytest.raises(ValueError, match="spike_i"):
        SPIKE_FUNCTIONS[name](np.array([0.1, 0.2]), np.array(bad_i))


# ------------------------------------------------------------------ binary_raster, voltage_histogram


def test_binary_raster_hand_case():
    image = spikes.binary_raster(np.array([0, 3, 3, 4]), np.array([1, 0, 1, 1]), n=3, steps=5)
    assert image.shape == (3, 5)
    assert image.dtype == bool
    expected = np.zeros((3, 5), dtype=bool)
    expected[1, 0] = expected[0, 3] = expected[1, 3] = expected[1, 4] = True
    np.testing.assert_array_equal(image, expected)


def test_binary_raster_empty():
    image = spikes.binary_raster(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), n=2, steps=3)
    assert image.shape == (2, 3) and not image.any()


@pytest.mark.parametrize("bins", [10, 50, np.linspace(-0.08, -0.04, 21)])
def test_voltage_histogram_is_a_density(bins):
    rng = np.random.default_rng(8)
    v = rng.normal(-0.06, 0.004, size=5000)
    density, edges = spikes.voltage_histogram(v, bins=bins)
    assert edges.size == density.size + 1
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0, rel=1e-12)
    # 1/V: a 4 mV wide Gaussian peaks near 1 / (0.004 sqrt(2 pi)) ~ 100 per volt
    assert 50 < density.max() < 150


def test_voltage_histogram_range_and_2d_input():
    v = np.array([[-0.07, -0.06], [-0.055, -0.05]])
    density, edges = spikes.voltage_histogram(v, bins=4, range=(-0.07, -0.05))
    np.testing.assert_allclose(edges, [-0.07, -0.065, -0.06, -0.055, -0.05])
    np.testing.assert_allclose(density * 0.005, [0.25, 0.0, 0.25, 0.5])


def test_voltage_histogram_empty():
    with pytest.raises(ValueError, match="v"):
        spikes.voltage_histogram(np.array([]))


# ------------------------------------------------------------------ lifsim runs

DT = 1e-4
STEPS_TO_THRESHOLD = 170  # Euler steps from V_reset to above V_th at 250 pA, dt 0.1 ms, default params


@pytest.fixture(scope="module")
def regular_run():
    return lifsim.simulate(lifsim.LIFParams(t_max=1.0, dt=DT), n=1)


def test_regular_run_cv_is_zero(regular_run):
    assert regular_run.spike_t.size > 50
    assert regular_run.cv() < 1e-9
    assert spikes.cv_isi(regular_run.spike_t, regular_run.spike_i) < 1e-9


def test_regular_run_rate_matches_result_rate(regular_run):
    window = (regular_run.steps - 1) * regular_run.dt
    assert window == regular_run.duration
    rate = spikes.population_rate(regular_run.spike_t, 1, window)
    assert rate == pytest.approx(regular_run.rate, rel=1e-12)
    # one spike every 170 steps (the first one 102 steps in, from E_L)
    assert rate == pytest.approx(regular_run.spike_t.size / 0.9999)
    steps = np.rint(regular_run.spike_t / DT).astype(int)
    assert np.all(np.diff(steps) == STEPS_TO_THRESHOLD)


def test_run_with_spike_on_last_grid_point():
    # the set-up of the next test: Result.rate counts a spike at t = (steps - 1) dt
    result = lifsim.simulate(lifsim.LIFParams(t_max=0.0953, dt=DT), n=1)
    steps = np.rint(result.spike_t / DT).astype(int)
    np.testing.assert_array_equal(steps, 102 + STEPS_TO_THRESHOLD * np.arange(6))
    assert steps[-1] == result.steps - 1
    assert result.rate == pytest.approx(6 / 0.0952)


def test_result_rate_counts_every_spike_of_the_run():
    # spikes are detected at t_1 .. t_{steps-1}: the run exposes (steps - 1) dt of time,
    # and a spike on the last grid point counts
    result = lifsim.simulate(lifsim.LIFParams(t_max=0.0953, dt=DT), n=1)
    steps = np.rint(result.spike_t / DT).astype(int)
    assert steps[-1] == result.steps - 1
    assert result.rate == pytest.approx(result.spike_t.size / ((result.steps - 1) * DT))


@pytest.fixture(scope="module")
def noisy_run():
    params = lifsim.LIFParams(t_max=1.0, dt=DT, t_ref="2 ms")
    return lifsim.simulate(params, lifsim.inputs.white_noise("5 mV", 60e-12), n=300, seed=11)


def test_noisy_run_is_irregular(noisy_run):
    cv = noisy_run.cv()
    assert 0.4 < cv < 1.0
    assert cv == spikes.cv_isi(noisy_run.spike_t, noisy_run.spike_i, dt=DT)  # ISIs counted in steps
    assert cv == pytest.approx(spikes.cv_isi(noisy_run.spike_t, noisy_run.spike_i), rel=1e-12)


def test_noisy_run_counts(noisy_run):
    counts = spikes.spike_counts(noisy_run.spike_i, noisy_run.n)
    assert counts.sum() == noisy_run.spike_t.size > 0
    np.testing.assert_array_equal(counts, noisy_run.spike_count)
    rate = spikes.population_rate(noisy_run.spike_t, noisy_run.n, noisy_run.duration)
    # no spike exactly on the last grid point is likely, but allow one
    assert abs(rate - noisy_run.rate) <= 1 / (noisy_run.n * noisy_run.duration) + 1e-12


def test_noisy_run_rate_over_time_and_fano(noisy_run):
    centers, rate = spikes.rate_over_time(noisy_run.spike_t, noisy_run.n, 0.2, 1.0, 0.1)
    assert centers.size == 8
    # stationary after the transient: every bin near the mean rate (~ 300 * 0.1 * 10 = 300 spikes per bin)
    mean = spikes.population_rate(noisy_run.spike_t, noisy_run.n, 0.8, t_start=0.2)
    assert rate.mean() == pytest.approx(mean)
    assert np.all(np.abs(rate - mean) < 0.3 * mean)
    fano = spikes.fano_factor(noisy_run.spike_t, noisy_run.spike_i, noisy_run.n, 0.2, 0.2, 1.0)
    assert 0.1 < fano < 1.5


def own_refractory_steps(seed, n, t_ref, t_ref_std, dt):
    """The documented per-neuron refractory period: round(max(0, t_ref + t_ref_std z_j) / dt)."""
    z = CounterStream(seed).normal(REFRACTORY_STREAM, 0, np.arange(n, dtype=np.uint64))
    return np.rint(np.maximum(0.0, t_ref + t_ref_std * z) / dt).astype(np.int64)


def per_neuron_periods(result):
    """Each neuron's ISIs in steps (a set per neuron)."""
    steps = np.rint(result.spike_t / result.dt).astype(np.int64)
    return [np.unique(np.diff(np.sort(steps[result.spike_i == j]))) for j in range(result.n)]


@pytest.fixture(scope="module")
def random_refractory_params():
    return lifsim.LIFParams(t_max=0.3, dt=DT, t_ref="2ms", t_ref_std="1ms")


def test_random_refractory_periods(random_refractory_params):
    result = lifsim.simulate(random_refractory_params, n=200, seed=3)
    periods = per_neuron_periods(result)
    # regular within each neuron
    assert all(p.size == 1 for p in periods), [p for p in periods if p.size != 1][:3]
    period = np.array([p[0] for p in periods])
    # different across neurons
    assert np.unique(period).size > 10
    # every period = steps to threshold + the neuron's own refractory steps
    own = own_refractory_steps(3, 200, 2e-3, 1e-3, DT)
    np.testing.assert_array_equal(period, STEPS_TO_THRESHOLD + own)
    # the refractory periods scatter around 2 ms with std ~1 ms
    assert 15 < own.mean() < 25 and 5 < own.std() < 15
    # CV of the pooled ISIs reflects the spread of periods, the per-neuron CV is 0
    assert result.cv() > 0.01
    for j in range(5):
        sel = result.spike_i == j
        assert spikes.cv_isi(result.spike_t[sel], result.spike_i[sel]) < 1e-9


def test_random_refractory_depends_only_on_seed_and_neuron(random_refractory_params):
    big = lifsim.simulate(random_refractory_params, n=200, seed=5)
    small = lifsim.simulate(random_refractory_params, n=7, seed=5)
    big_periods = [p.tolist() for p in per_neuron_periods(big)[:7]]
    small_periods = [p.tolist() for p in per_neuron_periods(small)]
    assert small_periods == big_periods
    np.testing.assert_array_equal(small.spike_count, big.spike_count[:7])
    other = lifsim.simulate(random_refractory_params, n=7, seed=6)
    assert [p.tolist() for p in per_neuron_periods(other)] != small_periods


# ------------------------------------------------------------------ snapshots


@pytest.fixture(scope="module")
def snapshot_run():
    params = lifsim.LIFParams(t_max=0.1, dt=DT, t_ref="2ms")
    return lifsim.simulate(
        params, lifsim.inputs.white_noise("5 mV", 200e-12), n=40, seed=2, snapshots=("10 ms", 0.05), record_v="all"
    )


def test_snapshots_equal_recorded_traces(snapshot_run):
    r = snapshot_run
    assert r.v_snapshots.shape == (2, 40)
    np.testing.assert_allclose(r.snapshot_t, [0.01, 0.05])
    np.testing.assert_array_equal(r.v_snapshots, r.v[:, [100, 500]].T)
    # V after a spike is V_reset, never above threshold
    assert np.all(r.v_snapshots <= r.meta["params"]["vth"])
    density, edges = spikes.voltage_histogram(r.v_snapshots[1], bins=10)
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)


def test_snapshot_at_time_zero_and_last_step():
    params = lifsim.LIFParams(t_max=0.01, dt=DT)
    r = lifsim.simulate(params, n=3, snapshots=(0.0, "9.9 ms"), record_v="all")
    np.testing.assert_array_equal(r.v_snapshots, r.v[:, [0, 99]].T)
    np.testing.assert_array_equal(r.v_snapshots[0], np.full(3, params.el))


@pytest.mark.parametrize("time", ["0.15 ms", 0.00015, "10 ms", -0.001, "1 s"])
def test_snapshot_off_grid_raises(time):
    # the grid is 0, 0.1 ms, ..., 9.9 ms: t_max = 10 ms itself is not on it
    params = lifsim.LIFParams(t_max=0.01, dt=DT)
    with pytest.raises(ValueError, match="snapshots"):
        lifsim.simulate(params, n=2, snapshots=(time,))


# ------------------------------------------------------------------ figures


def _has_unit(label):
    return "(" in label and ")" in label


def test_plot_raster_image(close_figures):
    image = spikes.binary_raster(np.array([0, 3, 9]), np.array([0, 2, 1]), n=3, steps=10)
    fig, ax = plt.subplots()
    assert plot.plot_raster_image(ax, image, DT) is ax
    assert "(ms)" in ax.get_xlabel()
    assert ax.get_ylabel() == "neuron"
    # time axis in ms: the image spans the grid 0 .. (steps - 1) dt (pixel centres)
    left, right, bottom, top = ax.images[0].get_extent()
    assert left == pytest.approx(-DT / 2 * 1e3) and right == pytest.approx(9.5 * DT * 1e3)
    assert (bottom, top) == (-0.5, 2.5)
    plt.close(fig)


@pytest.mark.parametrize("theory", [None, 20.0])
def test_plot_population_rate(close_figures, theory):
    t, _ = poisson_population(20.0, 50, 1.0, seed=9)
    centers, rate = spikes.rate_over_time(t, 50, 0.0, 1.0, 0.05)
    fig, ax = plt.subplots()
    plot.plot_population_rate(ax, centers, rate, theory=theory)
    assert "(ms)" in ax.get_xlabel()
    assert "(Hz)" in ax.get_ylabel()
    if theory is not None:
        assert ax.get_legend() is not None
    plt.close(fig)


@pytest.mark.parametrize(
    "intervals",
    [
        np.random.default_rng(10).exponential(0.05, 1000),
        np.full(20, 0.017),  # a perfectly regular train: one ISI value
        np.diff(np.arange(0, 100) * 0.017),  # regular up to round-off
    ],
    ids=["poisson", "regular", "regular-roundoff"],
)
def test_plot_isi_histogram(close_figures, intervals):
    fig, ax = plt.subplots()
    plot.plot_isi_histogram(ax, intervals)
    assert "(ms)" in ax.get_xlabel()
    assert "(1/ms)" in ax.get_ylabel()
    heights = np.array([p.get_height() for p in ax.patches])
    widths = np.array([p.get_width() for p in ax.patches])
    assert np.all(np.isfinite(heights))
    assert np.sum(heights * widths) == pytest.approx(1.0)
    plt.close(fig)


def test_plot_v_histograms(close_figures, snapshot_run):
    fig, ax = plt.subplots()
    plot.plot_v_histograms(
        ax, snapshot_run.snapshot_t, snapshot_run.v_snapshots, theory=[(-0.055, 0.003), (-0.055, 0.003)]
    )
    assert "(mV)" in ax.get_xlabel()
    assert "(1/mV)" in ax.get_ylabel()
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["t = 10 ms", "theory, t = 10 ms", "t = 50 ms", "theory, t = 50 ms"]
    plt.close(fig)


def test_plot_result_with_spikes_and_snapshots(close_figures, snapshot_run):
    fig = plot.plot_result(snapshot_run)
    axes = fig.axes
    assert len(axes) == 5  # V, raster, rate, ISI, V histograms
    xlabels = [ax.get_xlabel() for ax in axes]
    ylabels = [ax.get_ylabel() for ax in axes]
    assert all(_has_unit(label) for label in xlabels), xlabels
    assert all(_has_unit(label) or label == "neuron" for label in ylabels), ylabels
    assert "(Hz)" in ylabels[2]
    assert "(mV)" in xlabels[4]
    assert "(ms)" in xlabels[0] and "(mV)" in ylabels[0]
    # the run's facts are on the figure, and the raster says how many neurons it shows
    assert "40 neurons" in fig._suptitle.get_text() and "t_ref = 2 ms" in fig._suptitle.get_text()
    legend = [text.get_text() for text in axes[2].get_legend().get_texts()]
    assert any(label.startswith("theory (Markov chain of the grid)") for label in legend)  # theory on the rate panel
    plt.close(fig)


def test_a_steps_rate_has_its_theory_from_the_onset(close_figures):
    """A step of current has a stationary theory after the switch: the rate panel draws the rate of the current it
    steps to (with its noise) from the onset on, and the V histogram late in the run its stationary shares; the
    simulated rate after the onset's transient agrees with it (a step had no theory on its figure)."""
    params = lifsim.LIFParams(t_max="0.5 s", dt="0.1 ms")
    drive = lifsim.inputs.step(onset="100 ms", baseline="100 pA") + lifsim.inputs.white_noise(sigma="3 mV")
    run = lifsim.simulate(params, drive, n=2000, seed=4, snapshots=["400 ms"])
    expected, name = lifsim.theory.stationary_rate(params, lifsim.inputs.white_noise("250 pA", sigma="3 mV"))
    fig = plot.plot_result(run)
    rate_ax = fig.axes[2]
    (line,) = [c for c in rate_ax.collections if c.get_label().startswith("theory")]
    assert line.get_label() == f"theory ({name}) from the step at 100 ms: {expected:.4g} Hz"
    (segment,) = line.get_segments()
    assert segment[0, 0] == pytest.approx(100.0) and segment[0, 1] == expected  # ms, Hz
    hist_labels = [text.get_text() for text in fig.axes[4].get_legend().get_texts()]
    assert "stationary theory, t = 400 ms" in hist_labels
    t, i = run.spikes()
    first, _ = spikes.after_transient(0.2, params.dt, run.steps)  # five membrane time constants after the onset
    rate, sem = spikes.window_rate(t, i, run.n, first, run.steps, params.dt)
    assert abs(rate - expected) < 4 * sem, (rate, sem, expected)


def test_plot_result_of_one_neuron(close_figures, regular_run):
    """One neuron: its trace with spike marks and its ISIs; no raster, no 'sample mean', CV exactly 0."""
    fig = plot.plot_result(regular_run)
    assert len(fig.axes) == 2
    v_ax, isi_ax = fig.axes
    labels = [text.get_text() for text in v_ax.get_legend().get_texts()]
    assert labels == ["V(t), neuron 0", "spikes (threshold)"]
    assert "CV 0)" in isi_ax.get_title()
    assert "first" in v_ax.get_title()  # 58 spikes: zoomed in on the first dozen intervals
    for ax in fig.axes:
        assert _has_unit(ax.get_xlabel())
        assert _has_unit(ax.get_ylabel()) or ax.get_ylabel() == "neuron"
    plt.close(fig)


def test_plot_result_without_spikes(close_figures):
    r = lifsim.simulate(
        lifsim.LIFParams(t_max=0.02, dt=DT),
        lifsim.inputs.white_noise("2 mV", 0.0),
        n=5,
        spiking=False,
        snapshots=("10 ms",),
    )
    fig = plot.plot_result(r)
    assert len(fig.axes) == 2  # V and V histogram
    assert "(ms)" in fig.axes[0].get_xlabel() and "(mV)" in fig.axes[0].get_ylabel()
    assert "(mV)" in fig.axes[1].get_xlabel()
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert "theory mean" in labels and "sample mean of 5 neurons" in labels
    plt.close(fig)


def test_plot_result_with_lags_draws_the_autocovariance_and_its_theory(close_figures):
    r = lifsim.simulate(lifsim.LIFParams(), lifsim.inputs.uniform_noise("250 pA"), n=200, spiking=False, lags=(1, 5))
    fig = plot.plot_result(r)
    ax = next(ax for ax in fig.axes if "autocovariance" in ax.get_title())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["lag 1 (1 ms)", "theory, lag 1", "lag 5 (5 ms)", "theory, lag 5"]
    assert "mV" in ax.get_ylabel()
    plt.close(fig)


def test_result_plot_saves_a_figure(tmp_path, snapshot_run):
    figure = snapshot_run.plot(str(tmp_path / "run.png"))
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"
    assert figure is not None


# ------------------------------------------------------------------ arguments: units and one-line errors


def test_times_take_units_as_everywhere_in_lifsim():
    t = np.array([0.01, 0.02, 0.06, 0.12])
    i = np.array([0, 1, 0, 1])
    assert spikes.population_rate(t, 2, "200 ms") == spikes.population_rate(t, 2, 0.2) == 10.0
    with_units = spikes.rate_over_time(t, 2, "0 ms", "200 ms", bin_width="50 ms")
    plain = spikes.rate_over_time(t, 2, 0.0, 0.2, bin_width=0.05)
    np.testing.assert_array_equal(with_units[0], plain[0])
    np.testing.assert_array_equal(with_units[1], [20.0, 10.0, 10.0, 0.0])
    assert spikes.fano_factor(t, i, 2, "50 ms", 0, "200 ms") == spikes.fano_factor(t, i, 2, 0.05, 0, 0.2)
    assert spikes.cv_isi(t, i, dt="0.1 ms") == spikes.cv_isi(t, i, dt=1e-4)
    _, edges = spikes.voltage_histogram(np.full(10, -0.06), bins=4, range=("-70 mV", "-50 mV"))
    np.testing.assert_allclose(edges[[0, -1]], [-0.07, -0.05])


def test_a_bin_longer_than_the_window_is_refused_not_a_wrong_rate():
    # two spikes of 10 neurons in 0.2 s is 1 Hz; one 1 s bin would have said 0.2 Hz, centred outside the window
    with pytest.raises(ValueError, match=r"^bin_width: 1 s is longer than the span 200 ms"):
        spikes.rate_over_time(np.array([0.01, 0.02]), 10, 0.0, 0.2, bin_width=1.0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: spikes.rate_over_time([0.1], 1, 0, 1, "5 mV"), ValueError, r"^bin_width: unknown or wrong unit 'mV'"),
        (lambda: spikes.rate_over_time([0.1], 1, "0 ms", "x", 0.1), ValueError, r"^t_stop: cannot read 'x'"),
        (lambda: spikes.rate_over_time([0.1], 1, 0, 1, float("inf")), ValueError, r"^bin_width: expected a finite"),
        (lambda: spikes.rate_over_time([np.nan], 1, 0, 1, 0.1), ValueError, r"^spike_t: expected finite spike times"),
        (lambda: spikes.rate_over_time([0.1], 1.5, 0, 1, 0.1), ValueError, r"^n: expected a whole number of neurons"),
        (lambda: spikes.rate_over_time(["a"], 1, 0, 1, 0.1), TypeError, r"^spike_t: expected an array of spike"),
        (lambda: spikes.population_rate([0.1], 0, 1.0), ValueError, r"^n: expected a whole number of neurons >= 1"),
        (lambda: spikes.spike_counts([0], 0), ValueError, r"^n: expected a whole number of neurons >= 1, got 0"),
        (lambda: spikes.cv_isi([0.1, 0.2], [0, 0], ddof=-1), ValueError, r"^ddof: expected a whole number >= 0"),
        (lambda: spikes.cv_isi([0.1, 0.2], [0, 0], dt="0 ms"), ValueError, r"^dt: must be a finite time > 0"),
        (lambda: spikes.binary_raster([0, 500], [0, 1], 2, 100), ValueError, r"^spike_steps: step 500 is outside"),
        (lambda: spikes.binary_raster([-1], [0], 2, 100), ValueError, r"^spike_steps: step -1 is outside"),
        (lambda: spikes.binary_raster([0.5], [0], 2, 100), ValueError, r"^spike_steps: expected whole time steps"),
        (lambda: spikes.binary_raster([1], [2], 2, 100), ValueError, r"^spike_i: index 2 is outside the n = 2"),
        (lambda: spikes.binary_raster([1, 2], [0], 2, 100), ValueError, r"^spike_steps and spike_i: need the same"),
        (lambda: spikes.binary_raster([1], [0], 2, 0), ValueError, r"^steps: expected a whole number of time steps"),
        (lambda: spikes.voltage_histogram(np.zeros(10), bins=0), ValueError, r"^bins: expected a whole number of bins"),
        (lambda: spikes.voltage_histogram(np.zeros(10), bins=[1, 0]), ValueError, r"^bins: expected a whole number"),
        (lambda: spikes.voltage_histogram([np.nan], bins=3), ValueError, r"^v: expected finite potentials"),
        (lambda: spikes.voltage_histogram([0.0], range=(1, 0)), ValueError, r"^range: expected \(low, high\)"),
        (lambda: spikes.voltage_histogram([0.0], range=(0,)), ValueError, r"^range: expected \(low, high\)"),
    ],
)
def test_bad_arguments_raise_one_line_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_cv_with_no_more_intervals_than_ddof_is_nan_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(spikes.cv_isi([0.1, 0.2, 0.35], [0, 0, 0], ddof=2))
    assert spikes.cv_isi([0.1, 0.2, 0.35, 0.45], [0, 0, 0, 0], ddof=2) > 0


def test_binary_raster_takes_whole_float_steps():
    image = spikes.binary_raster(np.array([0.0, 5.0]), np.array([0, 1]), 2, 10)
    assert image[0, 0] and image[1, 5] and image.sum() == 2


def test_the_figures_rate_bin_takes_a_unit_and_is_checked_against_the_run():
    run = lifsim.simulate(lifsim.LIFParams(t_max=0.1), lifsim.inputs.constant("300 pA"), n=5, engine="numpy")
    figure = plot.plot_result(run, rate_bin="5 ms")
    assert any(ax.get_title() == "population rate (5 ms bins)" for ax in figure.axes)
    plt.close(figure)
    with pytest.raises(ValueError, match=r"^rate_bin: expected a time > 0 ms and at most the run's 100 ms, got 1 s$"):
        plot.plot_result(run, rate_bin="1 s")


def test_the_figures_rate_bins_hold_whole_steps():
    """150 ms at 1 ms drew 1.5-ms bins that held 2 and 1 grid points in turn: a false 38/77 Hz oscillation."""
    import lifsim

    result = lifsim.simulate(lifsim.LIFParams(t_max="150 ms", dt="1 ms"), lifsim.inputs.constant("400 pA"), n=50)
    figure = result.plot()
    axes = [ax for ax in figure.axes if ax.get_title().startswith("population rate")]
    assert axes and axes[0].get_title() == "population rate (1 ms bins)"
    from matplotlib.patches import StepPatch

    (stairs,) = [patch for patch in axes[0].patches if isinstance(patch, StepPatch)]
    heights = stairs.get_data().values
    # a regular train fires the 50 neurons together: every 1-step bin holds 0 or 50 spikes (0 or 1000 Hz)
    assert set(np.unique(np.round(heights))) == {0.0, 1000.0}


# ------------------------------------------------------------------ window_rate: the rate after a transient, its error


def test_window_rate_counts_the_updates_after_the_transients_grid_point():
    """Grid points 3 .. 9 of a 10-point run at dt = 1 ms: spikes at 4 and 9 count (3 is the window's start)."""
    t = np.array([3, 4, 9]) * 1e-3
    rate, _ = spikes.window_rate(t, np.zeros(3, dtype=int), 1, first=3, steps=10, dt=1e-3)
    assert rate == pytest.approx(2 / 6e-3)


def test_window_rate_error_of_independent_poisson_neurons():
    """Independent Poisson neurons: the error is sqrt(rate / (n T)), the neurons' spread (the edge error of
    independent neurons is about 1 / sqrt(6) of it)."""
    rng = np.random.default_rng(5)
    n, steps, dt, rate = 400, 20_001, 1e-4, 40.0
    t_list, i_list = [], []
    for j in range(n):
        k = np.flatnonzero(rng.random(steps - 1) < rate * dt) + 1  # at most one spike per update
        t_list.append(k * dt)
        i_list.append(np.full(k.size, j))
    t, i = np.concatenate(t_list), np.concatenate(i_list)
    found, sem = spikes.window_rate(t, i, n, first=0, steps=steps, dt=dt)
    expected = math.sqrt(rate / (n * (steps - 1) * dt))
    assert found == pytest.approx(rate, abs=4 * expected)
    assert 0.9 * expected < sem < 1.15 * expected


def test_window_rate_error_of_neurons_firing_in_step_is_not_zero():
    """Neurons that all fire at the same steps (a period of 17 steps) agree on their count, so their spread is 0,
    but the count over the window's edges misses 1 / period by a spike: the edge error covers that."""
    n, steps, dt, period = 50, 1001, 1e-3, 17
    k = np.arange(5, steps, period)
    t, i = np.tile(k * dt, n), np.repeat(np.arange(n), k.size)
    rate, sem = spikes.window_rate(t, i, n, first=0, steps=steps, dt=dt)
    truth = 1 / (period * dt)
    assert rate != truth and sem > 0
    assert abs(rate - truth) < 2 * sem


def _one_at_a_time(params, drive, transient):
    """The rates and errors (Hz) of 400 neurons (seed 7), each measured alone after ``transient`` (s)."""
    run = lifsim.simulate(params, drive, n=400, seed=7)
    t, i = run.spikes()
    first, _ = spikes.after_transient(transient, params.dt, run.steps)
    found = [
        spikes.window_rate(t[i == j], np.zeros(int((i == j).sum()), int), 1, first, run.steps, params.dt)
        for j in range(400)
    ]
    return np.array(found).T


def test_window_rate_of_one_neuron_has_the_error_of_its_own_rate():
    """One neuron at a time, 400 of them: the errors must match the spread of their rates (the edge error alone
    was 2.5 times too small for an independent neuron)."""
    params = lifsim.LIFParams(t_max="2 s", dt="0.1 ms")
    rates, errors = _one_at_a_time(params, lifsim.inputs.white_noise(sigma="5 mV"), 0.1)
    assert np.std(rates) == pytest.approx(np.sqrt(np.mean(errors**2)), rel=0.15)


def test_window_rate_of_one_nearly_regular_neuron_counts_where_the_edges_fall():
    """1 mV of noise at 150 pA (CV about 0.1), 400 neurons measured one at a time against the theory: ``rate CV /
    sqrt(spikes)`` alone left z with a spread of 1.21 (the count's variance lacked Cox's 1/6 of a spike squared
    for where the window's edges fall on a regular train); the spread must be about 1."""
    params = lifsim.LIFParams(t_max="3 s", dt="0.1 ms", t_ref="2 ms", i_mean="150 pA")
    drive = lifsim.inputs.white_noise(sigma="1 mV")
    rates, errors = _one_at_a_time(params, drive, 1.0)
    z = (rates - lifsim.theory.stationary_rate(params, drive)[0]) / errors
    assert abs(z.mean()) < 0.2 and 0.88 < z.std() < 1.12, (z.mean(), z.std())


def test_renewal_count_variance_has_cox_s_constant():
    """Cox's count variance: a regular train's count varies by where the window falls (1/6), a Poisson train's
    (exponential intervals: CV**4 / 2 - mu_3 / (3 mean**3) = 1/2 - 2/3) by its intervals alone."""
    regular = spikes._renewal_count_variance(np.full(50, 7.0), 50)
    assert regular == pytest.approx(1 / 6)
    rng = np.random.default_rng(3)
    intervals = rng.exponential(1.0, 400_000)
    assert spikes._renewal_count_variance(intervals, 0) == pytest.approx(0.0, abs=0.05)
    cv2 = intervals.var() / intervals.mean() ** 2
    assert spikes._renewal_count_variance(intervals, 100) == pytest.approx(100 * cv2, abs=0.05)


def test_window_rate_without_spikes_has_the_error_of_one_spike():
    """No spike in the window: the rate is below about one spike's worth, not 0 to the last digit (0 +- 0 gave
    z = -inf against a theory of 1e-43 Hz)."""
    rate, sem = spikes.window_rate(np.array([0.001]), np.array([0]), 10, first=5, steps=1001, dt=1e-3)
    assert rate == 0.0 and sem == pytest.approx(1 / (10 * 0.995))
