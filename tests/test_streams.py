"""Random streams: SplitMix64 known answers, the (seed, j) property, distributions, legacy order."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.streams import GOLDEN_GAMMA, CounterStream, LegacyStream, splitmix64


def test_splitmix64_known_answers():
    # Published SplitMix64 outputs for seed 1234567 (also what Java's
    # java.util.SplittableRandom(1234567L).nextLong() returns).
    expected = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    m = np.arange(1, 6, dtype=np.uint64)
    assert splitmix64(np.uint64(1234567) + m * GOLDEN_GAMMA).tolist() == expected


def test_counter_stream_neuron_numbers_do_not_depend_on_n():
    stream = CounterStream(42)
    small = stream.uniform(0, 17, np.arange(7, dtype=np.uint64))
    large = stream.uniform(0, 17, np.arange(5000, dtype=np.uint64))
    np.testing.assert_array_equal(small, large[:7])
    np.testing.assert_array_equal(stream.uniform(0, 17, np.array([3], dtype=np.uint64)), small[3:4])


def test_first_neurons_of_two_ensembles_bitwise_equal():
    params = lifsim.LIFParams(t_max=0.05)
    for source in (inputs.uniform_noise(params.i_mean), inputs.white_noise("3 mV", params.i_mean)):
        small = lifsim.simulate(params, source, n=7, seed=3, record_v="all")
        large = lifsim.simulate(params, source, n=5000, seed=3, record_v="0:7")
        np.testing.assert_array_equal(small.v, large.v)
        assert small.v.shape == (7, 50)


def test_same_seed_same_result_other_seed_differs():
    params = lifsim.LIFParams(t_max=0.05)
    a = lifsim.simulate(params, inputs.uniform_noise(params.i_mean), n=100, seed=5, record_v="all")
    b = lifsim.simulate(params, inputs.uniform_noise(params.i_mean), n=100, seed=5, record_v="all")
    c = lifsim.simulate(params, inputs.uniform_noise(params.i_mean), n=100, seed=6, record_v="all")
    np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(a.v_mean, b.v_mean)
    assert not np.array_equal(a.v, c.v)


def test_uniforms_are_uniform_and_independent():
    stream = CounterStream(0)
    neurons = np.arange(200_000, dtype=np.uint64)
    u = stream.uniform(0, 0, neurons)
    assert u.min() >= 0.0 and u.max() < 1.0
    # Kolmogorov-Smirnov statistic against U(0, 1); 1.95/sqrt(n) is the 0.1% critical value
    s = np.sort(u)
    k = np.arange(1, s.size + 1) / s.size
    d = max(np.max(k - s), np.max(s - (k - 1 / s.size)))
    assert d < 1.95 / np.sqrt(s.size)
    # mean and variance within 5 standard errors of 1/2 and 1/12
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / u.size)
    # consecutive steps of one neuron and neighbouring neurons are uncorrelated
    v = stream.uniform(0, 1, neurons)
    assert abs(np.corrcoef(u, v)[0, 1]) < 5 / np.sqrt(u.size)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / np.sqrt(u.size)
    # different noise terms are independent streams
    w = stream.uniform(1, 0, neurons)
    assert abs(np.corrcoef(u, w)[0, 1]) < 5 / np.sqrt(u.size)


def test_normals_are_standard_normal():
    z = CounterStream(9).normal(0, 3, np.arange(200_000, dtype=np.uint64))
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)
    assert abs(np.mean(z**3)) < 5 * np.sqrt(15 / z.size)
    assert abs(np.mean(z**4) - 3) < 5 * np.sqrt(96 / z.size)
    assert np.all(np.isfinite(z))


def test_legacy_step_major_equals_tutorial_global_stream():
    np.random.seed(2020)
    expected = np.array([[np.random.random() for _j in range(4)] for _k in range(3)])
    stream = LegacyStream(2020, "step-major", n=4, steps=3)
    neurons = np.arange(4, dtype=np.uint64)
    got = np.array([stream.uniform(0, k, neurons) for k in range(3)])
    np.testing.assert_array_equal(got, expected)


def test_legacy_neuron_major_equals_tutorial_array_draw():
    np.random.seed(2020)
    expected = np.random.random([4, 6])
    stream = LegacyStream(2020, "neuron-major", n=4, steps=6)
    neurons = np.arange(4, dtype=np.uint64)
    np.testing.assert_array_equal(np.array([stream.uniform(0, k, neurons) for k in range(6)]).T, expected)


def test_legacy_stream_refuses_out_of_order_steps():
    stream = LegacyStream(1, "step-major", n=2, steps=5)
    neurons = np.arange(2, dtype=np.uint64)
    stream.uniform(0, 0, neurons)
    with pytest.raises(ValueError, match="in order"):
        stream.uniform(0, 2, neurons)


@pytest.mark.parametrize("seed", [-1, 1.5, "x", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        CounterStream(seed)


def test_a_result_names_its_stream_version(tmp_path):
    """The reproducibility guide says every result records its stream version as ``run.stream_version``; a Result
    had no such attribute (only ``meta["stream"]["stream"]``).  It is the version the run drew (what a rerun draws
    again), kept through its file, 1 for a file of a lifsim before versions were recorded, None for the tutorial's
    legacy stream, and read-only."""
    from pathlib import Path

    from lifsim.errors import UncheckedFileWarning
    from lifsim.streams import STREAM_VERSION

    params = lifsim.LIFParams(t_max="20 ms")
    drive = inputs.white_noise(sigma="3 mV")
    default = lifsim.simulate(params, drive, n=3, seed=1)
    assert default.stream_version == STREAM_VERSION == 3 and isinstance(default.stream_version, int)
    older = lifsim.simulate(params, drive, n=3, seed=1, stream_version=2)
    assert older.stream_version == 2
    older.save(str(tmp_path / "v2.npz"))
    assert lifsim.load(str(tmp_path / "v2.npz")).stream_version == 2
    kept = Path(__file__).parent / "data" / "main_run.npz"  # a file of an earlier lifsim, stream version 2
    with pytest.warns(UncheckedFileWarning):  # written before lifsim kept checksums
        assert lifsim.load(str(kept)).stream_version == 2
    del older.meta["run"]["stream_version"]  # as a file of stream version 1 holds it
    assert older.stream_version == 1
    legacy = lifsim.simulate(params, inputs.uniform_noise(), n=3, stream=LegacyStream(2020, "step-major", 3, 20))
    assert legacy.stream_version is None
    with pytest.raises(AttributeError):
        default.stream_version = 2
