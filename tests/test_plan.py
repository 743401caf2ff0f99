"""The run plan: the lowered drive is Input.current bit for bit, and the plan's memory estimate counts every array."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lifsim
from lifsim import inputs
from lifsim.engine import installed
from lifsim.engine.plan import RunPlan, evaluate_drive
from lifsim.streams import CounterStream, StepDraws

N_MAX = 64
STEPS = 400


def _part(draw, params: lifsim.LIFParams, n: int) -> inputs.Input:
    kind = draw(st.sampled_from(["constant", "sine", "uniform", "sine+uniform", "step", "array", "array2d", "white"]))
    current = st.floats(-5e-10, 5e-10, allow_nan=False)
    if kind == "constant":
        return inputs.constant(draw(current))
    if kind == "sine":
        return inputs.sine(draw(current), draw(st.floats(1e-3, 0.1)), depth=draw(st.floats(0, 2)))
    if kind == "uniform":
        return inputs.uniform_noise(draw(current), draw(st.none() | st.floats(0, 3)))
    if kind == "sine+uniform":
        return inputs.modulated(
            draw(current), [inputs.SineTerm(draw(st.floats(1e-3, 0.1))), inputs.UniformTerm(draw(st.floats(0, 2)))]
        )
    if kind == "step":
        return inputs.step(draw(current), onset=draw(st.floats(0, STEPS * params.dt)), baseline=draw(current))
    seed = draw(st.integers(0, 2**16))
    if kind == "array":
        return inputs.array_input(np.random.default_rng(seed).uniform(-4e-10, 4e-10, STEPS))
    if kind == "array2d":
        return inputs.array_input(np.random.default_rng(seed).uniform(-4e-10, 4e-10, (n, STEPS)))
    return inputs.white_noise(draw(current), sigma=draw(st.floats(0, 0.02)))


@st.composite
def cases(draw):
    dt = draw(st.sampled_from([1e-5, 5e-5, 1e-4, 2.5e-4]))
    params = lifsim.LIFParams(dt=dt, t_max=STEPS * dt)
    n = draw(st.integers(1, N_MAX))
    parts = [_part(draw, params, n) for _ in range(draw(st.integers(1, 4)))]
    source = parts[0]
    for part in parts[1:]:
        source = source + part
    method = draw(st.sampled_from(["euler", "exact"]))
    seed = draw(st.integers(0, 2**63))
    kk = draw(st.integers(0, STEPS - 2))
    k0 = draw(st.integers(0, kk + 1))
    k1 = draw(st.integers(kk + 2, STEPS))
    neurons = np.array(sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))), dtype=np.uint64)
    if any(isinstance(part, inputs.ArrayInput) and part.values.ndim == 2 for part in parts):
        neurons = np.arange(n, dtype=np.uint64)  # Input.current of a per-neuron array gives every neuron's row
    return params, source, n, method, seed, kk, k0, k1, neurons


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_lowered_drive_is_input_current_bit_for_bit(case):
    params, source, n, method, seed, kk, k0, k1, neurons = case
    stream = CounterStream(seed)
    plan = RunPlan.build(
        params,
        source,
        n=n,
        steps=STEPS,
        stream=stream,
        method=method,
        spiking=True,
        record=None,
        record_spikes=False,
        lags=(),
        snapshot_steps=(),
    )
    current, increments = evaluate_drive(plan.drive(k0, k1), plan.model, kk, neurons)
    draws = StepDraws(stream, kk, neurons)
    t = kk * params.dt
    if method == "euler":
        expected = np.broadcast_to(source.current(kk, t, draws, params), neurons.shape)
        assert current.tobytes() == np.asarray(expected, dtype=np.float64).tobytes()
        assert increments == []
    else:
        deterministic = source.without_white()
        expected = deterministic.current(kk, t, draws, params) if deterministic is not None else 0.0
        expected = np.broadcast_to(np.asarray(expected, dtype=np.float64), neurons.shape)
        assert current.tobytes() == expected.tobytes()
        ou_scale = math.sqrt((1.0 - plan.model.decay * plan.model.decay) / 2.0)
        wanted = [(white.sigma * ou_scale) * draws.normal(white.stream) for white in source.white_parts()]
        assert len(increments) == len(wanted)
        for got, want in zip(increments, wanted):
            assert got.tobytes() == want.tobytes()


# ---------------------------------------------------------------- the memory estimate


def _plan(n: int, steps: int, **kwargs) -> RunPlan:
    params = lifsim.LIFParams(dt=1e-4, t_max=steps * 1e-4)
    defaults = dict(
        stream=CounterStream(1),
        method="euler",
        spiking=True,
        record=None,
        record_spikes=True,
        lags=(),
        snapshot_steps=(),
    )
    defaults.update(kwargs)
    return RunPlan.build(params, inputs.uniform_noise(params.i_mean), n=n, steps=steps, **defaults)


def test_estimate_counts_the_autocovariance_ring_by_its_largest_lag():
    base = _plan(10_000, 10_000).memory_estimate(expected_rate=0.0)
    one_lag = _plan(10_000, 10_000, lags=(2_999,)).memory_estimate(expected_rate=0.0)
    # a ring of 3,000 rows of 10,000 doubles (240 MB), not one row per lag asked for
    assert one_lag - base >= 3_000 * 10_000 * 8
    assert one_lag - base < 3_100 * 10_000 * 8 + 10_000 * 8 * 4


def test_estimate_counts_spikes_from_the_expected_rate():
    quiet = _plan(100_000, 10_000).memory_estimate(expected_rate=1.0)
    busy = _plan(100_000, 10_000).memory_estimate(expected_rate=100.0)
    # 100 Hz x 1e5 neurons x 1 s = 1e7 spikes of (step, neuron) int64 pairs: at least 160 MB more
    assert busy - quiet >= 0.99 * 99 * 100_000 * 16
    without = _plan(100_000, 10_000, record_spikes=False).memory_estimate(expected_rate=100.0)
    assert without < quiet


def test_estimate_grows_linearly_with_n_and_steps():
    small = _plan(10_000, 1_000).memory_estimate(expected_rate=10.0)
    large = _plan(100_000, 1_000).memory_estimate(expected_rate=10.0)
    assert 5 < large / small < 11
    long = _plan(10_000, 100_000).memory_estimate(expected_rate=10.0)
    assert long > small


def test_a_run_that_cannot_fit_is_refused_before_any_work():
    params = lifsim.LIFParams(t_max="2e5 s", dt="0.1 ms")  # 2e9 steps: the per-step statistics alone are 48 GB
    with pytest.raises(ValueError, match="memory"):
        lifsim.simulate(params, n=10)
    with pytest.raises(ValueError, match="steps"):  # and 1e6 s (1e10 steps) is past what the streams can count
        lifsim.simulate(lifsim.LIFParams(t_max="1e6 s", dt="0.1 ms"), n=10)
    with pytest.raises(ValueError, match="memory"):
        lifsim.simulate(lifsim.LIFParams(t_max="30 s", dt="0.1 ms"), n=10_000, lags=(299_999,))


@pytest.mark.parametrize("engine", installed())
def test_a_snapshot_asked_twice_is_refused_by_every_engine(engine):
    """Found by the issue: the numpy engine returned a row of uninitialised memory for a repeated snapshot time."""
    with pytest.raises(ValueError, match="snapshots"):
        lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=3, engine=engine, snapshots=("5 ms", "5 ms"))
