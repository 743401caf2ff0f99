"""Engine conformance, written once and run for every registered engine.

Each engine must give the numpy reference's bits on every input kind, method,
spiking and refractoriness setting, and the same bits whatever the block
size, chunk length, thread count or N (for the first neurons): the
reproducibility contract (README, ``lifsim.streams``).  A third engine gets
this whole suite by registering itself in ``lifsim.engine.ENGINES``.
"""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.engine import ENGINES, installed

ARRAYS = ("v_mean", "v_m2", "comoment", "v", "spike_t", "spike_i", "spike_count", "v_snapshots")

P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
SOURCES = {
    "constant": lambda: inputs.constant(P.i_mean),
    "sine": lambda: inputs.sine(P.i_mean, "5 ms"),
    "uniform": lambda: inputs.uniform_noise(P.i_mean, 1.2247),
    "sine+uniform": lambda: inputs.modulated(P.i_mean, [inputs.SineTerm(5e-3), inputs.UniformTerm(1.0)]),
    "step": lambda: inputs.step("300 pA", onset="10 ms", baseline="100 pA"),
    "uniform+step": lambda: inputs.uniform_noise(P.i_mean, 1.0) + inputs.step("50 pA", onset="20 ms"),
    "array": lambda: inputs.array_input(np.linspace(1e-10, 4e-10, P.steps)),
    "white": lambda: inputs.white_noise("4 mV", 150e-12),
    "constant+white": lambda: inputs.constant(P.i_mean) + inputs.white_noise("3 mV"),
    "sine+white": lambda: inputs.sine("150 pA") + inputs.white_noise("3 mV", "20 pA"),
    "two whites": lambda: inputs.white_noise("2 mV", "100 pA") + inputs.white_noise("3 mV"),
    "array+white": lambda: inputs.array_input(np.linspace(1e-10, 4e-10, P.steps)) + inputs.white_noise("2 mV"),
    "uniform+white+step": lambda: (
        inputs.uniform_noise("200 pA", 0.5) + inputs.white_noise("2 mV") + inputs.step("50 pA", onset="20 ms")
    ),
}


@pytest.fixture(params=installed())
def engine(request):
    return request.param


def assert_bitwise(a, b, context=""):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), (context, name)
        if x is not None:
            assert x.shape == y.shape and x.dtype == y.dtype, (context, name)
            assert np.asarray(x).tobytes() == np.asarray(y).tobytes(), (context, name)


@pytest.mark.parametrize("method", ["euler", "exact"])
@pytest.mark.parametrize("spiking", [True, False])
@pytest.mark.parametrize("name", list(SOURCES))
def test_engine_gives_the_reference_bits(engine, name, method, spiking):
    kwargs = dict(n=300, seed=4, spiking=spiking, method=method, record_v="0:20", lags=(1, 7), snapshots=("10 ms",))
    ref = lifsim.simulate(P, SOURCES[name](), engine="numpy", **kwargs)
    run = lifsim.simulate(P, SOURCES[name](), engine=engine, **kwargs)
    assert_bitwise(ref, run, f"{engine} {name} {method}")
    assert run.meta["engine"] == engine


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_refractoriness_gives_the_reference_bits(engine, method):
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms")
    for name in ("uniform", "white", "sine+white"):
        kwargs = dict(n=300, seed=9, method=method, record_v="5:15")
        ref = lifsim.simulate(params, SOURCES[name](), engine="numpy", **kwargs)
        assert_bitwise(ref, lifsim.simulate(params, SOURCES[name](), engine=engine, **kwargs), name)


def test_array_input_per_neuron(engine):
    values = np.random.default_rng(0).uniform(1e-10, 4e-10, size=(50, P.steps))
    ref = lifsim.simulate(P, inputs.array_input(values), n=50, record_v="all", engine="numpy")
    assert_bitwise(ref, lifsim.simulate(P, inputs.array_input(values), n=50, record_v="all", engine=engine))


@pytest.mark.parametrize("name", ["uniform", "white"])
def test_block_size_and_chunks_do_not_change_any_bit(engine, name):
    kwargs = dict(n=2500, seed=3, record_v="0:40", lags=(1, 5), snapshots=("10 ms",))
    base = lifsim.simulate(P, SOURCES[name](), engine=engine, **kwargs)
    for extra in ({"block": 32}, {"block": 64}, {"block": 2048}, {"chunk_steps": 7}, {"chunk_steps": 250}):
        assert_bitwise(base, lifsim.simulate(P, SOURCES[name](), engine=engine, **kwargs, **extra), str(extra))


def test_thread_counts_do_not_change_any_bit(engine):
    if engine != "numba":
        pytest.skip("threads apply to the numba engine")
    kwargs = dict(n=5000, seed=3, record_v="0:7", lags=(2,))
    one = lifsim.simulate(P, SOURCES["white"](), engine=engine, threads=1, **kwargs)
    two = lifsim.simulate(P, SOURCES["white"](), engine=engine, threads=2, **kwargs)
    assert_bitwise(one, two)


def test_first_neurons_are_the_same_for_any_n(engine):
    for name in ("uniform", "white"):
        small = lifsim.simulate(P, SOURCES[name](), n=7, seed=3, engine=engine, record_v="all")
        large = lifsim.simulate(P, SOURCES[name](), n=5000, seed=3, engine=engine, record_v="0:7")
        assert small.v.tobytes() == large.v.tobytes()
        assert np.array_equal(small.spike_count, large.spike_count[:7])


def test_spike_buffer_overflow_reruns_identically(engine):
    params = lifsim.LIFParams(t_max=0.2, dt=1e-4)
    ref = lifsim.simulate(params, inputs.constant("2 nA"), n=1000, seed=1, engine="numpy")
    run = lifsim.simulate(params, inputs.constant("2 nA"), n=1000, seed=1, engine=engine)
    assert run.total_spikes > 1000 * 0.2 * 100  # more than the 100 Hz first guess of the buffers
    assert_bitwise(ref, run)


def test_statistics_match_the_closed_form_theory(engine):
    """An independent check: the free membrane's mean and variance are those of the Euler recursion."""
    from lifsim import theory

    params = lifsim.LIFParams()
    drive = inputs.uniform_noise(params.i_mean)
    run = lifsim.simulate(params, drive, n=20_000, seed=1, spiking=False, engine=engine)
    exact = theory.euler_moments(params, drive)
    z = np.abs(run.v_mean[1:] - exact.mean[1:]) / np.sqrt(exact.var[1:] / run.n)
    assert z.max() < 5
    ratio = run.v_var(1)[20:] / exact.var[20:]
    assert np.all(np.abs(ratio - 1) < 5 * np.sqrt(2 / run.n))


def test_registry_lists_and_refuses(engine):
    assert engine in ENGINES
    with pytest.raises(ValueError, match="installed here"):
        lifsim.simulate(P, n=2, engine="cuda-that-is-not-there")


@pytest.mark.parametrize("refractory", [False, True])
@pytest.mark.parametrize("method", ["euler", "exact"])
@pytest.mark.parametrize("name", ["uniform", "white", "constant+white", "white, stream version 2"])
def test_large_blocks_give_the_reference_bits(engine, name, method, refractory):
    # n = 2500 makes blocks of 512 neurons and a last block of 452 (14 full groups and one of 4), the numba
    # engine's lane-order kernel; every output is compared, with refractoriness shared and per neuron
    if engine != "numba":
        pytest.skip("the lane-order kernel is the numba engine's (the other engines meet large blocks above)")
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms") if refractory else P
    version = 2 if "version 2" in name else 3
    name = name.split(",")[0]
    kwargs = dict(n=2500, seed=5, method=method, record_v="440:520", lags=(1, 3), snapshots=("10 ms", "30 ms"))
    kwargs |= dict(stream_version=version)
    ref = lifsim.simulate(params, SOURCES[name](), engine="numpy", **kwargs)
    assert ref.total_spikes > 0
    assert_bitwise(ref, lifsim.simulate(params, SOURCES[name](), engine=engine, **kwargs), name)


@pytest.mark.parametrize("refractory", [False, True])
@pytest.mark.parametrize("name", ["uniform", "white", "white, stream version 2"])
def test_large_blocks_without_a_spike_list_give_the_reference_bits(engine, name, refractory):
    # without recorded spikes the lane-order kernel takes its other loops (no spike masks; W1's and W2's path)
    if engine != "numba":
        pytest.skip("the lane-order kernel is the numba engine's")
    params = P.replace(t_ref="2 ms") if refractory else P
    version = 2 if "version 2" in name else 3
    kwargs = dict(n=2500, seed=9, record_spikes=False, stream_version=version, record_v="0:40")
    ref = lifsim.simulate(params, SOURCES[name.split(",")[0]](), engine="numpy", **kwargs)
    run = lifsim.simulate(params, SOURCES[name.split(",")[0]](), engine=engine, **kwargs)
    assert ref.spike_count.sum() > 0 and run.spike_t is None
    assert_bitwise(ref, run, name)


WHOLE_BLOCK_CASES = [
    ("uniform", "euler"),
    ("white", "euler"),
    ("constant+white", "euler"),
    ("white, stream version 2", "euler"),
    ("constant+white", "exact"),
    ("white, stream version 2", "exact"),
]


@pytest.mark.parametrize("record_spikes", [True, False])
@pytest.mark.parametrize("refractory", [False, True])
@pytest.mark.parametrize(("name", "method"), WHOLE_BLOCK_CASES)
def test_whole_blocks_give_the_reference_bits(engine, name, method, refractory, record_spikes):
    # a block of 2048 neurons (64 groups of 32, the largest block: most of a large run; the white-noise kernel's
    # copy compiled for exactly that many groups) and a last block of 452 (the copy for any count) in the
    # lane-order kernel, against the numpy reference, with and without a spike list and refractoriness, both
    # update methods and both streams of normals
    if engine != "numba":
        pytest.skip("the lane-order kernel is the numba engine's")
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms") if refractory else P
    version = 2 if "version 2" in name else 3
    name = name.split(",")[0]
    kwargs = dict(n=2500, block=2048, seed=11, record_spikes=record_spikes, record_v="2040:2060", lags=(2,))
    kwargs |= dict(method=method, stream_version=version)
    ref = lifsim.simulate(params, SOURCES[name](), engine="numpy", **kwargs)
    assert ref.spike_count.sum() > 0
    assert_bitwise(ref, lifsim.simulate(params, SOURCES[name](), engine=engine, **kwargs), name)


@pytest.mark.parametrize("record_spikes", [True, False])
@pytest.mark.parametrize("refractory", [False, True])
@pytest.mark.parametrize("name", ["uniform", "white"])
def test_a_block_of_64_groups_with_a_partial_last_group_gives_the_reference_bits(
    engine, name, refractory, record_spikes
):
    # a last block of 2,040 neurons: 64 groups (the update's and the statistics' copies compiled for a full
    # block's count of groups), the last one holding 24 neurons and 8 missing lanes that no statistic or spike
    # may see
    if engine != "numba":
        pytest.skip("the lane-order kernel is the numba engine's")
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms") if refractory else P
    kwargs = dict(n=4088, block=2048, seed=13, record_spikes=record_spikes, record_v="4070:4088", lags=(1,))
    ref = lifsim.simulate(params, SOURCES[name](), engine="numpy", **kwargs)
    assert ref.spike_count.sum() > 0
    assert_bitwise(ref, lifsim.simulate(params, SOURCES[name](), engine=engine, **kwargs), name)
