"""The tutorial's 14 coding exercises, each replayed through a few library calls.

``run_exercise(ex)`` returns what exercise ``ex`` prints, the arrays it
computes (number for number as the tutorial's solution code), and a function
that draws its figure.  The tutorial's own conventions are reproduced by the
arguments passed to the library, not by changing the library:

* the number of loop steps is the tutorial's ``int(t_max / dt)`` (and
  ``int(t_max / dt) - 1`` in exercises 11-12);
* exercise 4 prints V *before* each update: a run of 10 grid points;
* exercises 6-10 plot V *after* the update at time ``t``: a run of
  ``step_end + 1`` points, reported as ``v[1:]`` against ``t[:-1]``;
* exercises 7-10 draw one uniform per neuron inside the step loop: a
  ``LegacyStream(2020, "step-major")``; exercises 11-14 draw one
  ``[n, steps]`` array: ``"neuron-major"``;
* exercises 11-14 drive ``v[step]`` with ``i[step]``: the run gets the input
  array without its first column;
* exercises 9-10 sum Python lists (``sum(v_n) / n``; ``ddof = 1``), exercise
  14 uses ``np.mean`` and ``np.std`` (``ddof = 0``) on the ``[n, steps]`` array;
* the Part I neuron has no spiking mechanism: spiking is off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from . import inputs
from .params import LIFParams
from .plot import (
    figure_style,
    new_axes,
    plot_current_points,
    plot_mean_std,
    plot_realizations,
    plot_voltage,
)
from .simulation import simulate
from .streams import LegacyStream
from .tutorial_part2 import DEMO_SETTINGS, PART2_EXERCISES, PART2_TITLES, Part2Output, part2_meta, run_part2

__all__ = [
    "EXERCISES",
    "TITLES",
    "WITH_FIGURE",
    "ExerciseOutput",
    "run_exercise",
    "exercise_meta",
    "TUTORIAL_SEED",
    "Exercise",
    "REGISTRY",
    "PART_TITLES",
    "find_exercise",
    "replay",
]

TUTORIAL_SEED = 2020
EXERCISES = range(1, 15)

#: the exercises' titles in the tutorial (spec/lif-neuron-part-1.md)
TITLES = {
    1: "Defining parameters",
    2: "Simulating an input current",
    3: "Printing pretty numbers",
    4: "Simulating membrane potential",
    5: "Plotting current",
    6: "Plotting membrane potential",
    7: "Adding randomness",
    8: "Storing simulations in lists",
    9: "Plotting sample mean",
    10: "Plotting sample standard deviation",
    11: "Rewriting with numpy",
    12: "Using enumerate & indexing",
    13: "Using 2d arrays",
    14: "Plotting sample mean and standard deviation",
}
#: exercises that draw a figure (1-4 print)
WITH_FIGURE = range(5, 15)


def exercise_meta(ex: int, params: LIFParams | None = None) -> dict[str, object]:
    """The provenance saved with an exercise's arrays: which exercise, parameters, stream, versions."""
    from .request import stamp

    p = LIFParams() if params is None else params
    return {
        "tutorial": "LIF Neuron Part I",
        "exercise": ex,
        "title": TITLES[ex],
        "params": p.as_dict(),
        "stream": {"kind": "legacy MT19937 (np.random.seed)", "seed": TUTORIAL_SEED} if ex >= 7 else None,
        **stamp(f"lifsim tutorial {ex}"),
    }


@dataclass
class ExerciseOutput:
    """What one exercise produces.

    Attributes
    ----------
    number : int
    lines : list of str
        Lines the exercise prints.
    data : dict of str to ndarray
        ``t`` (s), ``i`` (A), ``v`` (V), ``v_mean`` (V), ``v_std`` (V) where
        the exercise computes them.
    draw : callable or None
        ``draw()`` makes the exercise's figure and returns it.
    summary : str
        One line saying what the exercise computed.
    """

    number: int
    lines: list[str] = field(default_factory=list)
    data: dict[str, np.ndarray] = field(default_factory=dict)
    draw: Callable[[], Figure] | None = None
    summary: str = ""


#: the tutorial's axis labels, in its SI units (the replay keeps them, as it keeps every number)
TIME_LABEL = "time (s)"
VOLTAGE_LABEL = "$V_m$ (V)"
CURRENT_LABEL = "$I$ (A)"


def _grid(params: LIFParams, steps: int) -> np.ndarray:
    return np.arange(steps) * params.dt


def _sine_current(params: LIFParams, steps: int) -> np.ndarray:
    return inputs.sample_current(inputs.sine(params.i_mean, 0.01), params, steps=steps)[0]


def _list_mean_std(v_n: np.ndarray, with_std: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Exercises 9-10: ``sum(v_n) / n`` and ``np.sqrt(sum((v - mean)**2) / (n - 1))`` over Python floats.

    The tutorial sums Python lists with the built-in ``sum`` (left to right on
    Python <= 3.11, compensated from 3.12); the same built-in is used here so
    the replay matches the tutorial on every Python version.
    """
    n = v_n.shape[0]
    columns = v_n.T.tolist()
    mean = [sum(column) / n for column in columns]
    if not with_std:
        return np.array(mean), None
    var = [sum([(v - m) ** 2 for v in column]) / (n - 1) for column, m in zip(columns, mean)]
    return np.array(mean), np.sqrt(np.array(var))


def _figure(title: str, xkcd: bool, body: Callable[[Any], object], ylabel: str | None = None) -> Callable[[], Figure]:
    def draw() -> Figure:
        with figure_style(xkcd):
            ax = new_axes(title, TIME_LABEL, VOLTAGE_LABEL if ylabel is None else ylabel)
            body(ax)
            figure = ax.figure
            assert isinstance(figure, Figure)
            return figure

    return draw


def run_exercise(ex: int, params: LIFParams | None = None, *, xkcd: bool | None = None) -> ExerciseOutput:
    """Replay tutorial exercise ``ex`` (1..14).

    Parameters
    ----------
    ex : int
        Exercise number, 1 to 14.
    params : LIFParams, optional
        The tutorial's parameters by default.
    xkcd : bool, optional
        Force the xkcd style on or off; by default each exercise uses the style
        of the tutorial's solution (xkcd in exercises 5-8 and 10-14).

    Raises
    ------
    ValueError
        If ``ex`` is not an exercise number.
    """
    if isinstance(ex, bool) or not isinstance(ex, (int, np.integer)) or ex not in EXERCISES:
        raise ValueError(f"exercise: {ex!r} is not a tutorial exercise; expected a number from 1 to 14")
    p = LIFParams() if params is None else params
    style = (ex not in (1, 2, 3, 4, 9)) if xkcd is None else xkcd
    out = ExerciseOutput(int(ex))
    step_end = int(p.t_max / p.dt)  # the tutorial's step count
    if ex == 1:
        names = ("t_max", "dt", "tau", "el", "vr", "vth", "r", "i_mean")
        out.lines = [" ".join(str(getattr(p, name)) for name in names)]
        out.data = {name: np.float64(getattr(p, name)) for name in names}  # the exercise defines these
        return out
    if ex in (2, 3, 5):
        return _current_exercise(out, p, style)
    if ex in (4, 6):
        return _sine_exercise(out, p, style, step_end)
    if ex in (7, 8, 9, 10):
        return _list_exercise(out, p, style, step_end)
    return _numpy_exercise(out, p, style, step_end)


def _current_exercise(out: ExerciseOutput, p: LIFParams, style: bool) -> ExerciseOutput:
    """Exercises 2, 3 and 5: the sinusoidal input printed, formatted, plotted."""
    ex = out.number
    steps = 25 if ex == 5 else 10
    t, i = _grid(p, steps), _sine_current(p, steps)
    out.data = {"t": t, "i": i}
    if ex == 2:
        out.lines = [str(x) for x in i]
    elif ex == 3:
        out.lines = [f"{tk:.3f} {ik:.4e}" for tk, ik in zip(t, i)]
    else:
        out.draw = _figure(
            "Synaptic Input $I(t)$", style, lambda ax: plot_current_points(ax, t, i), ylabel=CURRENT_LABEL
        )
        out.summary = f"the sinusoidal input I(t) at {steps} steps, {i.min() * 1e12:.4g} to {i.max() * 1e12:.4g} pA"
    return out


def _sine_exercise(out: ExerciseOutput, p: LIFParams, style: bool, step_end: int) -> ExerciseOutput:
    """Exercises 4 and 6: the membrane driven by the sinusoid, printed before each update or plotted after."""
    ex = out.number
    steps = 10 if ex == 4 else step_end + 1
    run = simulate(p, inputs.sine(p.i_mean, 0.01), steps=steps, spiking=False, record_v="all")
    v = run.traces()[0]
    if ex == 4:  # printed before each update
        out.lines = [f"{tk:.3f} {vk:.4e}" for tk, vk in zip(run.t, v)]
        out.data = {"t": run.t, "i": _sine_current(p, steps), "v": v}
        return out
    t = run.t[:-1]  # plotted after the update at time t
    out.data = {"t": t, "i": _sine_current(p, step_end), "v": v[1:]}
    out.draw = _figure("$V_m$ with sinusoidal I(t)", style, lambda ax: plot_voltage(ax, t, v[1:], "k."))
    out.summary = _v_summary(v[1:], f"V(t) with sinusoidal input, {t.size} steps")
    return out


def _list_exercise(out: ExerciseOutput, p: LIFParams, style: bool, step_end: int) -> ExerciseOutput:
    """Exercises 7-10: uniform noise drawn step by step, realizations kept in lists, their mean and std."""
    ex = out.number
    n = 1 if ex == 7 else 50
    stream = LegacyStream(TUTORIAL_SEED, "step-major", n=n, steps=step_end)
    run = simulate(
        p, inputs.uniform_noise(p.i_mean), n=n, steps=step_end + 1, stream=stream, spiking=False, record_v="all"
    )
    t, v = run.t[:-1], run.traces()[:, 1:]
    if ex == 7:
        out.data = {"t": t, "v": v[0]}
        out.draw = _figure("$V_m$ with random I(t)", style, lambda ax: plot_voltage(ax, t, v[0], "k."))
        out.summary = _v_summary(v[0], f"V(t) of one neuron with random input, {t.size} steps")
        return out
    out.data = {"t": t, "v": v}
    mean, std = _list_mean_std(v, with_std=ex == 10)
    if ex >= 9:
        out.data["v_mean"] = mean
    if std is not None:
        out.data["v_std"] = std

    def body(ax: Any) -> None:
        plot_realizations(ax, t, v, dots=True, alpha=0.1)
        if ex >= 9:
            plot_mean_std(ax, t, mean, std, dots=True)

    out.draw = _figure("Multiple realizations of $V_m$", style, body)
    out.summary = _ensemble_summary(v, mean if ex >= 9 else None, std, "sample std (ddof 1)")
    return out


def _numpy_exercise(out: ExerciseOutput, p: LIFParams, style: bool, step_end: int) -> ExerciseOutput:
    """Exercises 11-14: numpy arrays, one ``[n, steps]`` draw, ``v[step]`` driven by ``i[step]``."""
    ex = out.number
    n = 1 if ex in (11, 12) else 50
    steps = step_end - 1 if ex in (11, 12) else step_end
    t = np.linspace(0, p.t_max, num=steps, endpoint=ex >= 13)
    stream = LegacyStream(TUTORIAL_SEED, "neuron-major", n=n, steps=steps)
    i = inputs.sample_current(inputs.uniform_noise(p.i_mean), p, n=n, steps=steps, stream=stream)
    run = simulate(p, inputs.array_input(i[:, 1:]), n=n, steps=steps, spiking=False, record_v="all")
    if ex in (11, 12):
        v = run.traces()[0]
        out.data = {"t": t, "i": i[0], "v": v}
        fmt = "k." if ex == 11 else "k"
        out.draw = _figure("$V_m$ with random I(t)", style, lambda ax: plot_voltage(ax, t, v, fmt))
        out.summary = _v_summary(v, f"V(t) of one neuron with random input, {t.size} steps, as numpy arrays")
        return out
    v = run.traces()
    out.data = {"t": t, "i": i, "v": v}
    if ex == 13:
        out.draw = _figure(
            "Multiple realizations of $V_m$", style, lambda ax: plot_realizations(ax, t, v, dots=False, alpha=0.3)
        )
        out.summary = _ensemble_summary(v, None, None, "")
        return out
    v_mean, v_std = np.mean(v, axis=0), np.std(v, axis=0)
    out.data.update(v_mean=v_mean, v_std=v_std)

    def body14(ax: Any) -> None:
        plot_realizations(ax, t, v, dots=False, alpha=0.3, label="V(t)")
        plot_mean_std(ax, t, v_mean, v_std)
        ax.legend()

    out.draw = _figure("Multiple realizations of $V_m$", style, body14)
    out.summary = _ensemble_summary(v, v_mean, v_std, "np.std (ddof 0)")
    return out


def _v_summary(v: np.ndarray, what: str) -> str:
    return f"{what}; final V {v[-1] * 1e3:.4f} mV, range {v.min() * 1e3:.4f} to {v.max() * 1e3:.4f} mV"


def _ensemble_summary(v: np.ndarray, mean: np.ndarray | None, std: np.ndarray | None, std_kind: str) -> str:
    n, steps = v.shape
    text = f"{n} realizations of V(t), {steps} steps"
    if mean is not None:
        text += f"; final sample mean {mean[-1] * 1e3:.4f} mV"
    if std is not None:
        text += f", {std_kind} {std[-1] * 1e3:.4f} mV"
    return text


# ---------------------------------------------------------------- one registry for Part I and Part II

#: the tutorials lifsim replays
PART_TITLES = {1: "LIF Neuron Part I", 2: "LIF Neuron Part II"}


@dataclass(frozen=True)
class Exercise:
    """One exercise of a tutorial part, as ``lifsim tutorial`` lists and replays it.

    Attributes
    ----------
    part : int
        1 or 2.
    name : str
        ``"1"`` .. ``"14"`` in Part I; ``"1"`` .. ``"7"`` and ``"demo"`` in Part II.
    title : str
        The tutorial's title.
    figures : int
        How many figures it draws (0: it prints).
    settings : tuple of str
        The keyword settings it takes (Part II's demo: ``t_ref``, ``t_ref_std``, in s).
    figure_tags : tuple of str
        A tag for each figure after the first, added to the file name
        (``demo.png`` and ``demo-tref.png``).
    """

    part: int
    name: str
    title: str
    figures: int
    settings: tuple[str, ...] = ()
    figure_tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``exercise 5`` (Part I) or ``Part II demo``."""
        return f"exercise {self.name}" if self.part == 1 else f"Part II {self.name}"

    @property
    def command(self) -> str:
        """The command that replays it."""
        return f"lifsim tutorial {self.name}" if self.part == 1 else f"lifsim tutorial --part 2 {self.name}"


def _part2(name: str) -> Exercise:
    if name == "demo":  # two figures: the run and its refractory periods' histogram
        return Exercise(2, name, PART2_TITLES[name], 2, DEMO_SETTINGS, ("tref",))
    return Exercise(2, name, PART2_TITLES[name], 1)


#: part -> exercise name -> :class:`Exercise`, in the tutorials' order
REGISTRY: dict[int, dict[str, Exercise]] = {
    1: {str(ex): Exercise(1, str(ex), TITLES[ex], 1 if ex in WITH_FIGURE else 0) for ex in EXERCISES},
    2: {name: _part2(name) for name in PART2_EXERCISES},
}


def find_exercise(part: int | str, name: object) -> Exercise:
    """The exercise ``name`` of tutorial part ``part``; ValueError naming what is accepted otherwise."""
    key = str(part).strip()
    if key not in ("1", "2"):
        raise ValueError(f"--part: expected 1 or 2, got {part!r}")
    exercises = REGISTRY[int(key)]
    text = str(name).strip().lower()
    if key == "1" and not isinstance(name, bool):
        from .units import parse_int

        try:
            text = str(parse_int(name, "EX"))
        except ValueError:
            pass
    if text not in exercises:
        names = list(exercises)
        accepted = (
            f"an exercise number from {names[0]} to {names[-1]}"
            if key == "1"
            else f"one of {', '.join(names)} for Part II"
        )
        other = "2" if key == "1" else "1"
        hint = (
            f" (Part {'II' if other == '2' else 'I'} has {text!r}: --part {other})"
            if text in REGISTRY[int(other)]
            else ""
        )
        raise ValueError(f"EX: expected {accepted}, got {name!r}{hint}")
    return exercises[text]


def replay(exercise: Exercise, *, xkcd: bool | None = None, **settings: Any) -> ExerciseOutput | Part2Output:
    """Run ``exercise`` (:func:`run_exercise` or :func:`lifsim.tutorial_part2.run_part2`) with its settings."""
    if exercise.part == 1:
        if settings:
            raise ValueError(f"{', '.join(settings)}: {exercise.label} takes no settings")
        return run_exercise(int(exercise.name), xkcd=xkcd)
    return run_part2(exercise.name, xkcd=xkcd, **settings)


def replay_figures(out: ExerciseOutput | Part2Output) -> list[Figure]:
    """The figures of a replay (none for an exercise that prints)."""
    if out.draw is None:
        return []
    drawn = out.draw()
    return list(drawn) if isinstance(drawn, list) else [drawn]


def replay_meta(exercise: Exercise, **settings: Any) -> dict[str, object]:
    """The provenance saved with a replay's arrays."""
    if exercise.part == 1:
        return exercise_meta(int(exercise.name))
    return part2_meta(exercise.name, **settings)
