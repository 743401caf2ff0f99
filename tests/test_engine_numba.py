"""The compiled engine against the numpy reference, and its random-number guarantees."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.streams import CounterStream

P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
SOURCES = {"uniform": inputs.uniform_noise(P.i_mean, 1.2247)}

numba_engine = pytest.importorskip("lifsim.engine.numba_engine")
if not numba_engine.available():  # pragma: no cover
    pytest.skip("numba is not installed", allow_module_level=True)


def test_splitmix64_known_answers_compiled():
    expected = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    assert numba_engine.splitmix64_sequence(1234567, 5).tolist() == expected


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize("step", [0, 1, 12, 13, 2**20 + 1])
def test_compiled_draws_equal_counter_stream_bit_for_bit(step, version):
    neurons = np.arange(0, 100_000, 7)
    stream = CounterStream(11, version)
    u = numba_engine.draws(11, 2, neurons, step, "uniform", version)
    assert u.tobytes() == stream.uniform(2, step, neurons.astype(np.uint64)).tobytes()
    z = numba_engine.draws(11, 2, neurons, step, "normal", version)
    assert z.tobytes() == stream.normal(2, step, neurons.astype(np.uint64)).tobytes()


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


@pytest.mark.parametrize("amp", [1.2247, -0.75, 0.0, 1e300, 2.0**-959, 1e-300, 2.0**-1000, 5e-324])
def test_lane_kernel_noise_term_is_the_reference_product_for_any_amplitude(amp):
    # the lane kernel multiplies its whole-number draw t = (2U - 1) 2**63 by A 2**-63 when that is exact; with a
    # tiny A (A 2**-63 subnormal: the last four amplitudes) it must scale t back first.  Here V = 0, E_L = 0,
    # a = R = mean = 1 and pre = 0, so V after the step is the noise term A (2U - 1) (plus zeros), bit for bit
    from lifsim.engine.numba_lanes import _lanes_uniform
    from lifsim.engine.plan import Model
    from lifsim.streams import splitmix64

    model = Model(1.0, 1.0, 0.0, 1.0, -1.0, 1.0, 0.0, False, False, 0, False, 0.0, 3)
    groups, j0, kk, key = 8, 256, 5, np.uint64(0x1234_5678_9ABC_DEF0)
    x = np.zeros(32 * groups)
    counts, masks, scratch = np.zeros(32 * groups, np.int32), np.zeros(groups, np.int64), np.empty(32 * groups)
    _lanes_uniform(model, x, counts, masks, groups, j0, kk, 1.0, 0.0, amp, key, 0, scratch)
    neurons = np.uint64(j0) + np.arange(32 * groups, dtype=np.uint64)
    raw = splitmix64(key + ((neurons << np.uint64(32)) + np.uint64(kk + 1)) * np.uint64(0x9E3779B97F4A7C15))
    two_u = (raw >> np.uint64(11)).astype(np.float64) * 2.0**-52
    v, a, el, r, mean, pre = 0.0, 1.0, 0.0, 1.0, 1.0, 0.0
    expected = v + a * (el - v + r * (mean * (pre + amp * (two_u - 1.0))))  # the reference's order: A (2U - 1) + 0
    lane = (np.arange(32 * groups) % 32) * groups + np.arange(32 * groups) // 32  # neuron jj sits at x[lane[jj]]
    assert x[lane].tobytes() == expected.tobytes()
    assert np.unique(expected).size > 1 or amp == 0.0
