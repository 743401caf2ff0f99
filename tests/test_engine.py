"""The numpy engine: threshold and reset, refractoriness, inputs, recording options."""

import math

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.streams import STREAM_VERSION


def _euler_steps_to_threshold(p):
    """Smallest k with mu + (vr - mu)(1-a)^k > vth: the Euler ISI in steps (no refractoriness)."""
    mu = p.el + p.r * p.i_mean
    k = math.log((mu - p.vth) / (mu - p.vr)) / math.log(1 - p.alpha)
    return math.floor(k) + 1


def test_regular_firing_period_matches_euler_recursion():
    p = lifsim.LIFParams(t_max=1.0, dt=1e-4)
    run = lifsim.simulate(p)
    isi_steps = np.round(np.diff(run.spike_t) / p.dt).astype(int)
    assert _euler_steps_to_threshold(p) == 170
    assert np.all(isi_steps == 170)
    # the continuous-time period tau ln((mu - vr)/(mu - vth)) = 16.946 ms
    assert 170 * p.dt == pytest.approx(p.tau * math.log(35 / 15), abs=p.dt)
    assert np.all(run.spike_i == 0)
    assert run.total_spikes == run.spike_t.size == run.spike_count.sum()
    assert run.rate == pytest.approx(run.total_spikes / (p.dt * (p.steps - 1)))


def test_reset_and_threshold_semantics():
    p = lifsim.LIFParams(t_max=0.05, dt=1e-4)
    run = lifsim.simulate(p, record_v="all")
    v = run.v[0]
    assert v.max() <= p.vth
    spike_steps = np.round(run.spike_t / p.dt).astype(int)
    np.testing.assert_array_equal(v[spike_steps], p.vr)
    # one step before a spike V is below threshold, and the Euler update from it exceeds it
    before = v[spike_steps - 1]
    assert np.all(before <= p.vth)
    assert np.all(before + p.alpha * (p.el - before + p.r * p.i_mean) > p.vth)


def test_refractory_period_holds_v_at_reset():
    p = lifsim.LIFParams(t_max=0.2, dt=1e-4, t_ref="2 ms")
    run = lifsim.simulate(p, record_v="all")
    isi_steps = np.round(np.diff(run.spike_t) / p.dt).astype(int)
    assert np.all(isi_steps == 170 + 20)
    first = int(round(run.spike_t[0] / p.dt))
    np.testing.assert_array_equal(run.v[0, first : first + 21], p.vr)
    assert run.v[0, first + 21] > p.vr


def test_no_spiking_lets_v_cross_threshold():
    run = lifsim.simulate(lifsim.LIFParams(), spiking=False, record_v="all")
    assert run.v.max() > -0.05
    assert run.total_spikes == 0


def test_subthreshold_input_never_spikes():
    p = lifsim.LIFParams(i_mean="50 pA")
    run = lifsim.simulate(p, n=3)
    assert run.total_spikes == 0 and run.rate == 0.0


def test_ensemble_spikes_recorded_and_counted():
    p = lifsim.LIFParams(t_max=0.2, dt=1e-4)
    run = lifsim.simulate(p, inputs.uniform_noise(p.i_mean, 1.2), n=50, seed=1)
    assert run.spike_t.size == run.spike_count.sum() > 0
    np.testing.assert_array_equal(np.bincount(run.spike_i, minlength=50), run.spike_count)
    assert np.all(np.diff(run.spike_t) >= 0)
    quiet = lifsim.simulate(p, inputs.uniform_noise(p.i_mean, 1.2), n=50, seed=1, record_spikes=False)
    assert quiet.spike_t is None
    np.testing.assert_array_equal(quiet.spike_count, run.spike_count)


def test_record_subset_equals_full_record_rows():
    p = lifsim.LIFParams(t_max=0.03)
    full = lifsim.simulate(p, inputs.uniform_noise(p.i_mean), n=20, seed=2, record_v="all")
    part = lifsim.simulate(p, inputs.uniform_noise(p.i_mean), n=20, seed=2, record_v="5:9")
    picked = lifsim.simulate(p, inputs.uniform_noise(p.i_mean), n=20, seed=2, record_v=[3, 17])
    np.testing.assert_array_equal(part.v, full.v[5:9])
    np.testing.assert_array_equal(picked.v, full.v[[3, 17]])


def test_sum_of_inputs_is_sum_of_currents():
    p = lifsim.LIFParams(t_max=0.03)
    t = np.arange(p.steps) * p.dt
    a = inputs.sine(p.i_mean) + inputs.step("100 pA", onset="10 ms")
    current = inputs.sample_current(a, p)[0]
    expected = p.i_mean * (1 + np.sin(t * 2 * np.pi / 0.01)) + np.where(t >= 0.01, 1e-10, 0.0)
    np.testing.assert_allclose(current, expected, rtol=1e-12, atol=1e-24)


def test_modulated_sine_plus_uniform_has_one_mean():
    p = lifsim.LIFParams(t_max=0.02)
    source = inputs.modulated(p.i_mean, [inputs.SineTerm(0.01), inputs.UniformTerm(0.5)])
    current = inputs.sample_current(source, p, n=20000, seed=1)
    t = np.arange(p.steps) * p.dt
    np.testing.assert_allclose(current.mean(axis=0), p.i_mean * (1 + np.sin(t * 2 * np.pi / 0.01)), atol=5e-12)
    np.testing.assert_allclose(current.std(axis=0), p.i_mean * 0.5 / np.sqrt(3), rtol=0.03)


def test_array_input_per_neuron():
    p = lifsim.LIFParams(t_max=0.01)
    values = np.vstack([np.full(p.steps, 1e-10), np.full(p.steps, 3e-10)])
    run = lifsim.simulate(p, inputs.array_input(values), n=2, spiking=False, record_v="all")
    single = lifsim.simulate(p, inputs.constant(3e-10), spiking=False, record_v="all")
    np.testing.assert_array_equal(run.v[1], single.v[0])
    with pytest.raises(ValueError, match="rows"):
        lifsim.simulate(p, inputs.array_input(values), n=3)
    with pytest.raises(ValueError, match="time points"):
        lifsim.simulate(p, inputs.array_input(values[:, :3]), n=2)


def test_exact_and_euler_differ_but_agree_as_dt_shrinks():
    p = lifsim.LIFParams(t_max=0.05, dt=1e-5)
    euler = lifsim.simulate(p, spiking=False)
    exact = lifsim.simulate(p, spiking=False, method="exact")
    assert not np.array_equal(euler.v_mean, exact.v_mean)
    np.testing.assert_allclose(euler.v_mean, exact.v_mean, atol=1e-5)


def test_result_arrays_and_metadata():
    run = lifsim.simulate(n=4, seed=3, inputs=inputs.uniform_noise(25e-11))
    data = run.arrays()
    assert {"t", "v_mean", "v_std", "v_var", "spike_t", "spike_i", "rate", "meta"} <= set(data)
    assert run.meta["seed"] == 3 and run.meta["params"]["tau"] == 0.02
    assert run.meta["stream"]["stream"] == f"counter-splitmix64/{STREAM_VERSION}"
    assert "spikes" in run.summary()


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("per_call", [32, 64, 256])
def test_many_blocks_give_the_canonical_tree_of_all_neurons(engine, per_call, monkeypatch):
    """157 blocks of 32 neurons given to the kernel 32, 64 or all at a time (host.CALL_BLOCK_STEPS set so;
    each call's blocks pushed as their largest aligned powers of two: 32 + 32 + 32 + 32 + 16 + 8 + 4 + 1,
    64 + 64 + 16 + 8 + 4 + 1, 128 + 16 + 8 + 4 + 1): the run's mean and m2 are the canonical tree's over every
    neuron's trace, bit for bit, computed here from the recorded traces by lifsim.reduce's group and tree
    definitions."""
    from lifsim.engine import host
    from lifsim.reduce import group_nodes, tree_merge

    params = lifsim.LIFParams(t_max=0.01, dt=1e-4)  # 100 steps: one chunk (no spikes recorded)
    monkeypatch.setattr(host, "CALL_BLOCK_STEPS", per_call * 100)
    calls = []
    kernel = host._Range.call
    monkeypatch.setattr(host._Range, "call", lambda self, *a: calls.append((a[4] - a[3], a[2])) or kernel(self, *a))
    run = lifsim.simulate(
        params,
        inputs.uniform_noise(params.i_mean),
        n=5000,
        block=32,
        seed=4,
        record_v="all",
        record_spikes=False,
        engine=engine,
    )
    per_call = min(per_call, 157)
    assert calls == [(100, per_call)] * (157 // per_call) + ([(100, 157 % per_call)] if 157 % per_call else [])
    count, mean, m2 = tree_merge(*group_nodes(run.v))
    assert count == 5000
    assert run.v_mean.tobytes() == mean.tobytes() and run.v_m2.tobytes() == m2.tobytes()
