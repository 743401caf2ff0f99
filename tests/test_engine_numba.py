"""The compiled engine against the numpy reference, and its random-number guarantees."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.streams import CounterStream

numba_engine = pytest.importorskip("lifsim.engine.numba_engine")
if not numba_engine.available():  # pragma: no cover
    pytest.skip("numba is not installed", allow_module_level=True)


def _both(params, source, **kwargs):
    ref = lifsim.simulate(params, source, engine="numpy", **kwargs)
    fast = lifsim.simulate(params, source, engine="numba", **kwargs)
    return ref, fast


def _agree(ref, fast, bitwise_traces=True):
    np.testing.assert_allclose(fast.v_mean, ref.v_mean, rtol=1e-12, atol=1e-15)
    scale = max(ref.v_var(0).max(), 1e-30)
    np.testing.assert_allclose(fast.v_var(0), ref.v_var(0), rtol=0, atol=1e-9 * scale)
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    if ref.spike_t is not None:
        np.testing.assert_array_equal(fast.spike_t, ref.spike_t)
        np.testing.assert_array_equal(fast.spike_i, ref.spike_i)
    if ref.v is not None:
        if bitwise_traces:
            np.testing.assert_array_equal(fast.v, ref.v)
        else:
            np.testing.assert_allclose(fast.v, ref.v, rtol=0, atol=1e-12)
    for lag in ref.lags:
        # the compiled engine sums lagged products about one fixed shift (V0), exact to ~1e-20 V**2
        atol = max(1e-9 * scale, 1e-18)
        np.testing.assert_allclose(fast.autocov(lag), ref.autocov(lag), rtol=0, atol=atol, equal_nan=True)
    np.testing.assert_array_equal(fast.v_snapshots, ref.v_snapshots)
    assert fast.meta["engine"] == "numba" and ref.meta["engine"] == "numpy"


P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
SOURCES = {
    "constant": inputs.constant(P.i_mean),
    "sine": inputs.sine(P.i_mean, "5 ms"),
    "uniform": inputs.uniform_noise(P.i_mean, 1.2247),
    "sine+uniform": inputs.modulated(P.i_mean, [inputs.SineTerm(5e-3), inputs.UniformTerm(1.0)]),
    "step": inputs.step("300 pA", onset="10 ms", baseline="100 pA"),
    "uniform+step": inputs.uniform_noise(P.i_mean, 1.0) + inputs.step("50 pA", onset="20 ms"),
    "array": inputs.array_input(np.linspace(1e-10, 4e-10, P.steps)),
}


@pytest.mark.parametrize("spiking", [True, False])
@pytest.mark.parametrize("name", list(SOURCES))
def test_euler_agrees_bitwise_on_deterministic_and_uniform_inputs(name, spiking):
    ref, fast = _both(
        P, SOURCES[name], n=300, seed=4, spiking=spiking, record_v="0:20", lags=(1, 7), snapshots=("10 ms",)
    )
    _agree(ref, fast)


@pytest.mark.parametrize("method", ["euler", "exact"])
@pytest.mark.parametrize("spiking", [True, False])
def test_white_noise_agrees(method, spiking):
    source = inputs.white_noise("4 mV", 150e-12)
    ref, fast = _both(P, source, n=200, seed=2, spiking=spiking, method=method, record_v="all", lags=(3,))
    # normals go through libm's log1p and cos: equal to the last bit or two
    np.testing.assert_allclose(fast.v, ref.v, rtol=0, atol=1e-13)
    np.testing.assert_allclose(fast.v_mean, ref.v_mean, rtol=0, atol=1e-13)
    np.testing.assert_allclose(fast.v_var(1), ref.v_var(1), rtol=1e-9, atol=1e-20)
    assert abs(fast.total_spikes - ref.total_spikes) <= 2  # a crossing decided by the last bit may flip


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_exact_method_and_refractoriness_agree(method):
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms")
    ref, fast = _both(params, SOURCES["uniform"], n=300, seed=9, method=method, record_v="5:15")
    _agree(ref, fast, bitwise_traces=method == "euler")


def test_array_input_per_neuron_agrees():
    values = np.random.default_rng(0).uniform(1e-10, 4e-10, size=(50, P.steps))
    ref, fast = _both(P, inputs.array_input(values), n=50, record_v="all")
    _agree(ref, fast)


def test_first_neurons_identical_for_any_n_threads_and_block():
    source = SOURCES["uniform"]
    small = lifsim.simulate(P, source, n=7, seed=3, engine="numba", record_v="all")
    large = lifsim.simulate(P, source, n=5000, seed=3, engine="numba", record_v="0:7")
    np.testing.assert_array_equal(small.v, large.v)
    one = lifsim.simulate(P, source, n=5000, seed=3, engine="numba", threads=1, record_v="0:7")
    two = lifsim.simulate(P, source, n=5000, seed=3, engine="numba", threads=2, record_v="0:7")
    np.testing.assert_array_equal(one.v, two.v)
    np.testing.assert_array_equal(one.v_mean, two.v_mean)  # merge order is fixed: bitwise
    np.testing.assert_array_equal(one.v_m2, two.v_m2)
    np.testing.assert_array_equal(one.spike_t, two.spike_t)
    from lifsim.engine.numba_engine import run_numba

    output = run_numba(
        P,
        source,
        n=5000,
        steps=P.steps,
        stream=CounterStream(3),
        spiking=True,
        method="euler",
        record_neurons=np.arange(7),
        record_spikes=True,
        lags=(),
        block=64,
    )
    np.testing.assert_array_equal(output.trace, small.v)
    np.testing.assert_allclose(output.moments.mean, one.v_mean, rtol=1e-13)


def test_spike_buffer_overflow_reruns_identically():
    # a high rate overflows the first guess of the spike buffer: the group is rerun
    params = lifsim.LIFParams(t_max=0.5, dt=1e-4)
    source = inputs.constant("2 nA")
    ref, fast = _both(params, source, n=3000, seed=1)
    assert fast.total_spikes > 3000 * 0.5 * 100  # more than the 100 Hz first guess
    _agree(ref, fast)


def test_splitmix64_known_answers_compiled():
    expected = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    assert numba_engine.splitmix64_sequence(1234567, 5).tolist() == expected


def test_compiled_draws_equal_counter_stream():
    neurons = np.arange(0, 100_000, 7)
    stream = CounterStream(11)
    u = numba_engine.draws(11, 2, neurons, 13, "uniform")
    np.testing.assert_array_equal(u, stream.uniform(2, 13, neurons.astype(np.uint64)))
    z = numba_engine.draws(11, 2, neurons, 13, "normal")
    np.testing.assert_allclose(z, stream.normal(2, 13, neurons.astype(np.uint64)), rtol=0, atol=1e-14)


def test_compiled_normals_are_standard_normal():
    z = numba_engine.draws(5, 0, np.arange(200_000), 1, "normal")
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)
    assert abs(np.mean(z**4) - 3) < 5 * np.sqrt(96 / z.size)


def test_auto_engine_choice():
    assert lifsim.simulate(P, n=2).meta["engine"] == "numba"
    from lifsim.streams import LegacyStream

    legacy = LegacyStream(2020, "step-major", n=2, steps=P.steps)
    assert lifsim.simulate(P, SOURCES["uniform"], n=2, stream=legacy).meta["engine"] == "numpy"
    with pytest.raises(ValueError, match="legacy"):
        lifsim.simulate(
            P, SOURCES["uniform"], n=2, stream=LegacyStream(1, "step-major", n=2, steps=P.steps), engine="numba"
        )
    with pytest.raises(ValueError, match="threads"):
        lifsim.simulate(P, n=2, engine="numpy", threads=2)


def test_recording_a_subset_costs_only_the_subset():
    run = lifsim.simulate(P, SOURCES["uniform"], n=10_000, engine="numba", record_v="100:110")
    assert run.v.shape == (10, P.steps)
    assert run.v.nbytes == 10 * P.steps * 8
