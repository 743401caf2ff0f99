"""Brunel network (issue 18): the same spikes, bit for bit, on every engine, thread count and block size."""

import hashlib

import numpy as np
import pytest

from lifsim.network import BrunelParams, engine_numpy
from lifsim.network import connectivity as conn_mod
from lifsim.network.state import constants, initial_state

numba = pytest.importorskip("numba")

from lifsim.network.engine_numba import NumbaRunner  # noqa: E402

CASES = {
    "AI": {"n_exc": 400, "t_max": 0.08, "g": 5.0, "eta": 2.0},
    "SR": {"n_exc": 400, "epsilon": 0.5, "t_max": 0.05, "g": 3.0, "eta": 2.0},
    "delay one step, no refractoriness": {
        "n_exc": 200,
        "t_max": 0.03,
        "g": 4.0,
        "eta": 3.0,
        "delay": 1e-4,
        "t_ref": 0.0,
    },
    "long delay, odd dt": {
        "n_exc": 120,
        "t_max": 0.0375,
        "g": 6.0,
        "eta": 4.0,
        "delay": 3.75e-3,
        "dt": 0.25e-3,
        "t_ref": 2.5e-3,
    },
}


def _numpy(p):
    conn = conn_mod.build_numpy(p)
    state = initial_state(p)
    steps, neurons = engine_numpy.run(p, conn, state, constants(p), 0, p.steps)
    return steps, neurons, state


def _numba(p, threads, block, split=None):
    conn = conn_mod.build(p, threads)
    state = initial_state(p)
    runner = NumbaRunner(p, conn, constants(p), threads, block)
    if split is None:
        steps, neurons = runner.run(state, 0, p.steps)
    else:  # two calls: the spike buffers carry over
        a = runner.run(state, 0, split)
        b = runner.run(state, split, p.steps)
        steps, neurons = np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
    return steps, neurons, state


@pytest.mark.parametrize("case", sorted(CASES))
def test_numba_equals_numpy_on_any_threads_and_blocks(case):
    p = BrunelParams(**CASES[case])
    ref_steps, ref_neurons, ref_state = _numpy(p)
    assert ref_steps.size > 50, "the case must spike"
    order = np.lexsort((ref_neurons, ref_steps))
    assert np.array_equal(order, np.arange(order.size)), "spikes come in (step, neuron) order"
    for threads, block in ((1, None), (2, None), (2, 1), (2, 7), (1, 64), (2, 10_000)):
        steps, neurons, state = _numba(p, threads, block)
        assert np.array_equal(steps, ref_steps) and np.array_equal(neurons, ref_neurons), (threads, block)
        assert state.v.tobytes() == ref_state.v.tobytes()
        assert np.array_equal(state.refractory, ref_state.refractory)
        # (the ring differs: the compiled engine delivers a window's spikes at the start of the next call)
    split = (p.steps // p.delay_steps // 2) * p.delay_steps
    steps, neurons, _ = _numba(p, 2, 13, split=split)
    assert np.array_equal(steps, ref_steps) and np.array_equal(neurons, ref_neurons)


def test_refractory_input_is_dropped_and_v_reset():
    """Step the reference engine one step at a time: a refractory neuron stays at V_r, and counts down."""
    p = BrunelParams(n_exc=200, t_max=0.05, g=4.0, eta=3.0)
    conn = conn_mod.build_numpy(p)
    state, k = initial_state(p), constants(p)
    seen_refractory = 0
    for s in range(p.steps):
        before = state.refractory.copy()
        engine_numpy.run(p, conn, state, k, s, s + 1)
        held = before > 0
        seen_refractory += held.sum()
        assert np.all(state.v[held] == p.vr)
        assert np.array_equal(state.refractory[held], before[held] - 1)
        spiked = state.refractory == p.ref_steps
        assert np.all(state.v[spiked] == p.vr)
    assert seen_refractory > 100


def test_first_steps_follow_the_update_formula():
    """Until the first spike arrives (D steps), V is E_L + (V - E_L) e^(-dt/tau) + J n_ext, by hand."""
    from lifsim.network import keys
    from lifsim.network.poisson import counts_from_uniforms, uniforms
    from lifsim.streams import CounterStream

    p = BrunelParams(n_exc=100, t_max=0.01)
    k = constants(p)
    state = initial_state(p)
    v = state.v.copy()
    stream = CounterStream(p.seed)
    engine_numpy.run(p, conn_mod.build_numpy(p), state, k, 0, 1)
    ext = counts_from_uniforms(uniforms(stream.raw(keys.EXTERNAL, np.arange(p.n, dtype=np.uint64), 0)), k.table)
    expected = p.el + (v - p.el) * k.decay + (p.j * ext + (-p.g * p.j) * 0)
    expected[expected >= p.vth] = p.vr
    assert state.v.tobytes() == expected.tobytes()
    assert 0.0 <= v.min() and v.max() < p.vth


def test_run_digest_is_pinned():
    """The reproducibility contract's network rows: a small run's spikes have this SHA-256 on every machine."""
    p = BrunelParams(n_exc=200, t_max=0.05, seed=2026)
    steps, neurons, state = _numba(p, 2, None)
    digest = hashlib.sha256(steps.tobytes() + neurons.tobytes() + state.v.tobytes()).hexdigest()
    assert digest == PINNED


PINNED = "3aec59616b0a0fb7df752da8ab21a474962133665629009c498ed50cd9671057"
