"""Inputs lower themselves (issue 16, item 4): each input kind owns its lowering into the run plan, its bound
on the drive and its theory moments, and no module outside lifsim.inputs asks which kind an input is."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import lifsim
from lifsim import inputs, theory
from lifsim.engine import installed
from lifsim.engine.plan import DET, RunPlan
from lifsim.inputs import DriveBuilder, Input, TheoryMoments
from lifsim.params import LIFParams
from lifsim.request import MAX_VOLTS, check_magnitudes
from lifsim.streams import CounterStream

SRC = Path(lifsim.__file__).parent
PARAMS = LIFParams(t_max="20 ms", dt="0.1 ms", i_mean="150 pA")


class Recorder:
    """A :class:`DriveBuilder` that records what an input lowers itself into."""

    def __init__(self, params: LIFParams, offset: int = 0, count: int = 10) -> None:
        self.params, self.offset = params, offset
        self.t = np.arange(offset, offset + count) * params.dt
        self.calls: list[tuple] = []

    def deterministic(self, current: np.ndarray) -> None:
        self.calls.append(("deterministic", current))

    def modulated(self, mean: float, base: np.ndarray, amplitudes, streams) -> None:
        self.calls.append(("modulated", mean, base, list(amplitudes), list(streams)))

    def white(self, mean: float, sigma: float, stream: int) -> None:
        self.calls.append(("white", mean, sigma, stream))

    def array(self, values: np.ndarray) -> None:
        self.calls.append(("array", values))


def _lowered(source: Input, offset: int = 0, count: int = 10) -> list[tuple]:
    recorder = Recorder(PARAMS, offset, count)
    builder: DriveBuilder = recorder  # the recorder satisfies the protocol (mypy checks this line)
    inputs.bind_streams(source)
    source.lower(builder)
    return recorder.calls


def _plan(source: Input, params: LIFParams = PARAMS, n: int = 3, method: str = "euler") -> RunPlan:
    return RunPlan.build(
        params,
        inputs.resolve_means(source, params),
        n=n,
        steps=params.steps,
        stream=CounterStream(7),
        method=method,
        spiking=True,
        record=None,
        record_spikes=False,
        lags=(),
        snapshot_steps=(),
    )


# ---------------------------------------------------------------- each kind lowers itself


def test_constant_and_sine_lower_to_deterministic_rows():
    t = np.arange(10) * PARAMS.dt
    (call,) = _lowered(inputs.constant("60 pA"))
    assert call[0] == "deterministic" and np.array_equal(call[1], np.full(10, 60e-12))
    (call,) = _lowered(inputs.sine("60 pA", "5 ms"))
    assert call[0] == "deterministic"
    assert np.array_equal(call[1], 60e-12 * (1 + np.sin((t * 2 * np.pi) / 5e-3)))


def test_an_unset_mean_lowers_at_the_runs_i_mean():
    (call,) = _lowered(inputs.constant())
    assert np.array_equal(call[1], np.full(10, PARAMS.i_mean))


def test_uniform_noise_lowers_to_a_modulated_part_with_its_amplitude_and_stream():
    (call,) = _lowered(inputs.modulated("80 pA", [inputs.SineTerm("5 ms"), inputs.UniformTerm(0.5)]))
    kind, mean, base, amplitudes, streams = call
    assert (kind, mean, amplitudes, streams) == ("modulated", 80e-12, [0.5], [0])
    t = np.arange(10) * PARAMS.dt
    assert np.array_equal(base, 1 + np.sin((t * 2 * np.pi) / 5e-3))
    (call,) = _lowered(inputs.uniform_noise("80 pA"))
    assert call[3] == [inputs.tutorial_amplitude(PARAMS)]  # the tutorial's default A, resolved for the run


def test_white_noise_lowers_to_its_strength_in_volts():
    assert _lowered(inputs.white_noise("30 pA", sigma="5 mV")) == [("white", 30e-12, 5e-3, 0)]


def test_step_lowers_to_its_level_from_the_onset():
    (call,) = _lowered(inputs.step("100 pA", onset="0.5 ms", baseline="-10 pA"), offset=2, count=6)
    assert np.array_equal(call[1], [-10e-12, -10e-12, -10e-12, 100e-12, 100e-12, 100e-12])


def test_array_lowers_to_the_chunks_columns():
    values = np.arange(40.0).reshape(2, 20) * 1e-12
    (call,) = _lowered(inputs.array_input(values), offset=5, count=4)
    assert call[0] == "array" and np.array_equal(call[1], values[:, 5:9])


def test_a_sum_lowers_its_parts_left_to_right_with_their_streams():
    source = inputs.uniform_noise("50 pA", 1.0) + inputs.white_noise(sigma="2 mV") + inputs.step("10 pA")
    calls = _lowered(source)
    assert [call[0] for call in calls] == ["modulated", "white", "deterministic"]
    assert calls[0][4] == [0] and calls[1][3] == 1
    assert source.summands() == tuple(source.parts)
    assert inputs.constant("1 pA").summands()[0].describe() == inputs.constant("1 pA").describe()


def test_a_sum_inside_a_sum_is_refused_rather_than_rounded_differently():
    nested = inputs.Sum([inputs.constant("1 pA"), inputs.Sum([inputs.constant("2 pA"), inputs.constant("3 pA")])])
    with pytest.raises(ValueError, match="sum inside a sum"):
        _lowered(nested)


# ---------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("source", "bound"),
    [
        (inputs.constant("-60 pA"), 60e-12),
        (inputs.modulated("100 pA", [inputs.SineTerm(0.01, 0.5), inputs.UniformTerm(2.0)]), 100e-12 * 3.5),
        (inputs.white_noise("10 pA", sigma="5 mV"), 10e-12 + 10 * 5e-3 / 1e8 * np.sqrt(10.0 / 0.1 * 1)),
        (inputs.step("100 pA", baseline="-300 pA"), 300e-12),
        (inputs.array_input([1e-12, -7e-12, 3e-12]), 7e-12),
    ],
)
def test_each_kind_bounds_its_own_current(source, bound):
    params = LIFParams(t_max="20 ms", dt="0.1 ms", r="100 MOhm", tau="10 ms")
    assert source.current_bound(params) == pytest.approx(bound, rel=1e-12)
    assert source.drive_bound(params) == params.r * source.current_bound(params)


def test_a_sums_bound_adds_its_parts_bounds():
    parts = [inputs.constant("60 pA"), inputs.step("100 pA"), inputs.white_noise(sigma="1 mV")]
    total = parts[0] + parts[1] + parts[2]
    assert total.current_bound(PARAMS) == sum(part.current_bound(PARAMS) for part in total.summands())
    assert total.current_bound(PARAMS) == (60e-12 + 100e-12) + parts[2].with_mean(0.0).current_bound(PARAMS)


# ---------------------------------------------------------------- theory moments


def test_each_kind_gives_its_theory_moments():
    uniform = inputs.uniform_noise("100 pA", 0.6).theory_moments(PARAMS)
    assert uniform.noise_var == pytest.approx((100e-12 * 0.6) ** 2 / 3) and uniform.white_sigma2 == 0.0
    assert uniform.stationary and not uniform.gaussian
    white = inputs.white_noise(sigma="5 mV").theory_moments(PARAMS)
    assert white.white_sigma2 == 5e-3**2 and white.gaussian and white.stationary
    assert white.noise_var == pytest.approx((5e-3 / PARAMS.r) ** 2 * PARAMS.tau / PARAMS.dt)
    assert inputs.constant().theory_moments(PARAMS) == TheoryMoments()
    for drifting in (inputs.sine("100 pA"), inputs.step("100 pA", "5 ms"), inputs.array_input([1e-12] * 300)):
        moments = drifting.theory_moments(PARAMS)
        assert not moments.stationary and moments.white_sigma2 == 0.0
    both = (inputs.uniform_noise("100 pA", 0.6) + inputs.white_noise(sigma="5 mV")).theory_moments(PARAMS)
    assert both == uniform + white
    assert theory.noise_variance_per_step(inputs.uniform_noise("100 pA", 0.6), PARAMS) == uniform.noise_var


# ---------------------------------------------------------------- a new kind needs no edit elsewhere


class Ramp(Input):
    """A test-only input kind: ``start + slope t`` (A, A/s), defined here and nowhere in lifsim."""

    def __init__(self, start: float, slope: float) -> None:
        self.start, self.slope = start, slope

    def current(self, k, t, draws, params):
        return self.start + self.slope * t

    def mean_current(self, t, params):
        return self.start + self.slope * t

    def mean_current_grid(self, t, params):
        return self.start + self.slope * np.asarray(t)

    def describe(self):
        return {"kind": "ramp", "start_A": self.start, "slope_A_per_s": self.slope}

    def lower(self, builder):
        builder.deterministic(self.start + self.slope * builder.t)

    def current_bound(self, params):
        return abs(self.start) + abs(self.slope) * params.t_max

    def theory_moments(self, params):
        return TheoryMoments(stationary=self.slope == 0)


def test_a_new_input_kind_lowers_through_its_own_method():
    plan = _plan(Ramp(50e-12, 1e-9))
    drive = plan.drive(0, plan.steps)
    assert drive.kind.tolist() == [DET]
    assert np.array_equal(drive.rows[0], 50e-12 + 1e-9 * (np.arange(plan.steps - 1) * PARAMS.dt))
    assert plan.n_white == 0


@pytest.mark.parametrize("engine", [name for name in ("numba", "numpy") if name in installed()])
def test_a_new_input_kind_runs_like_the_built_in_one_it_equals(engine):
    """A flat ramp is a constant: the same bits, from the lowered drive (numba) and from Input.current (numpy)."""
    params = LIFParams(t_max="50 ms", dt="0.1 ms")
    ramp = lifsim.simulate(params, Ramp(250e-12, 0.0), n=20, seed=3, engine=engine)
    constant = lifsim.simulate(params, inputs.constant("250 pA"), n=20, seed=3, engine=engine)
    assert np.array_equal(ramp.v_mean, constant.v_mean) and np.array_equal(ramp.spike_t, constant.spike_t)
    assert ramp.spike_t.size > 0


def test_a_new_input_kind_bounds_itself_in_the_requests_check():
    check_magnitudes(PARAMS, Ramp(1e-10, 1.0))
    with pytest.raises(ValueError, match="R I reaches"):
        check_magnitudes(PARAMS, Ramp(1e-10, 10 * MAX_VOLTS / PARAMS.r / PARAMS.t_max))


def test_a_new_input_kind_gets_the_theory_through_its_moments():
    flat, rising = Ramp(250e-12, 0.0), Ramp(250e-12, 1e-9)
    assert theory.stationary_rate(PARAMS, flat) == theory.stationary_rate(PARAMS, inputs.constant("250 pA"))
    assert theory.stationary_rate(PARAMS, rising) is None
    moments = theory.euler_moments(PARAMS, rising)
    assert np.all(moments.var == 0.0) and moments.mean[-1] > theory.euler_moments(PARAMS, flat).mean[-1]


class Opaque(Input):
    """An input kind that implements only :meth:`current`: the engines and the theory cannot take it."""

    def current(self, k, t, draws, params):
        return 1e-10

    def describe(self):
        return {"kind": "opaque"}


def test_a_kind_without_the_methods_is_refused_in_one_clear_message():
    with pytest.raises(ValueError, match=r"inputs: cannot lower \{'kind': 'opaque'\}.*Input\.lower"):
        _plan(Opaque())
    with pytest.raises(ValueError, match="no bound on the current"):
        check_magnitudes(PARAMS, Opaque())
    with pytest.raises(ValueError, match="theory: no closed form"):
        theory.noise_variance_per_step(Opaque(), PARAMS)
    assert theory.stationary_rate(PARAMS, Opaque()) is None


# ---------------------------------------------------------------- no kind dispatch outside lifsim.inputs


def _input_classes() -> set[str]:
    """The input kinds and their terms (the base classes Input and NoiseTerm are a type check, not a kind)."""
    names = set()
    for name in dir(inputs):
        value = getattr(inputs, name)
        if isinstance(value, type) and issubclass(value, (Input, inputs.NoiseTerm, inputs.SineTerm)):
            names.add(name)
    return names - {"Input", "NoiseTerm"}


def test_no_module_outside_inputs_asks_which_kind_an_input_is():
    classes = _input_classes()
    assert {"Modulated", "WhiteNoise", "Step", "ArrayInput", "Sum", "UniformTerm", "SineTerm"} <= classes
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "inputs.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                named = {getattr(leaf, "id", getattr(leaf, "attr", None)) for leaf in ast.walk(node.args[1])}
                if named & classes:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, f"isinstance over input kinds outside lifsim.inputs: {found}"


# ---------------------------------------------------------------- the tutorial family's shared mean


def test_tutorial_family_parts_without_a_mean_share_one():
    """``sine() + uniform_noise()`` was ``I_mean (1 + sin) + 0 pA (1 + A xi)``: the noise silently gone."""
    total = inputs.sine() + inputs.uniform_noise() + inputs.white_noise(sigma="1 mV")
    assert repr(total).startswith("<lifsim input: I_mean * (1 + sin(2 pi t / 10 ms) + A xi)")
    assert len(total.summands()) == 2 and total.summands()[1].white_parts()
    params = PARAMS.replace(i_mean="100 pA")
    moments = total.resolved(params).theory_moments(params)
    assert moments.noise_var > 0  # the uniform term's variance is there


@pytest.mark.parametrize(
    "make",
    [
        lambda: inputs.constant("100 pA") + inputs.uniform_noise(),
        lambda: inputs.step("100 pA") + inputs.sine(),
        lambda: inputs.white_noise("10 pA", sigma="1 mV") + inputs.uniform_noise(amplitude=0.5),
    ],
)
def test_a_term_without_a_mean_beside_a_given_mean_is_an_error(make):
    with pytest.raises(ValueError, match=r"without a mean, in a sum whose other parts give one, would add nothing"):
        make()
