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
