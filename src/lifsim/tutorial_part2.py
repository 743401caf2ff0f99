"""LIF Neuron Part II (Neuromatch precourse W0D2): its seven exercises and its demo, replayed number for number.

``run_part2(ex)`` (``lifsim tutorial --part 2 EX``) returns what exercise
``ex`` prints, its arrays, and a function that draws its figure(s).  Part II
adds spikes to Part I's neuron, with conventions of its own that the replay
keeps exactly, quirks included (the docs' companion page says which are
wrong and shows the corrected lifsim call beside them):

* the time grid is ``np.arange(0, t_max, dt)`` (150 points, ``t_max`` not on it);
* ``np.random.seed(2020)``, then one ``random([n, 150])`` block (neuron-major),
  then ``normal(size=500)`` for random refractory periods;
* the threshold test is ``v >= vth`` (lifsim's own model uses ``v > vth``);
* a spike resets V to ``vr`` in the step it happens; refractoriness clamps V
  to ``vr`` by comparing *times*: exercise 5 and the demo test
  ``last_spike + t_ref > t``, exercise 6 ``t_ref > t - last_spike`` (not the
  same in floating point), exercise 7 a running clock ``t += dt`` and logs
  the state one step late;
* the "rate (Hz)" panels plot spikes per neuron per step (not Hz).

Units: SI (s, V, A), as the tutorial computes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .params import LIFParams
from .plot import figure_style

__all__ = [
    "PART2_EXERCISES",
    "PART2_TITLES",
    "Part2Output",
    "run_part2",
    "slider_start",
    "DEMO_MU",
    "DEMO_SIGMA",
    "QUOTED_MU",
    "QUOTED_SIGMA",
    "part2_meta",
    "DEMO_SETTINGS",
]

SEED = 2020
#: the exercises in the tutorial's order ("demo" is Interactive Demo 1, between exercises 5 and 6)
PART2_EXERCISES = ("1", "2", "3", "4", "5", "demo", "6", "7")
PART2_TITLES = {
    "1": "Histograms of V (no spikes)",
    "2": "Spikes with a loop over neurons",
    "3": "Spikes with boolean indexing",
    "4": "A binary raster",
    "5": "A fixed refractory period",
    "demo": "Random refractory periods (interactive)",
    "6": "Functions: ode_step and spike_clamp",
    "7": "A class: LIFNeurons",
}
#: neurons of each exercise
N_EX1, N_SPIKING = 10_000, 500
#: exercise 5's refractory period (s); exercise 6's and the demo text's mu and sigma (s); exercise 7's defaults
T_REF_FIXED = 0.01
QUOTED_MU, QUOTED_SIGMA = 0.01, 0.007
CLASS_MU, CLASS_SIGMA = 0.01, 0.002
#: the demo's sliders (min, max, step) in s
MU_SLIDER, SIGMA_SLIDER = (0.01, 0.05, 0.01), (0.001, 0.02, 0.001)


def slider_start(low: float, high: float, step: float) -> float:
    """The value an ipywidgets ``(min, max, step)`` float slider starts at: the middle, moved down onto a step.

    ``min + (max - min) / 2``, then ``min + int((value - min) / step) * step``, in floating point.
    """
    value = low + (high - low) / 2
    return low + int((value - low) / step) * step


#: the values the demo first runs with (the notebook's sliders start there): 0.02 and 0.010000000000000002
DEMO_MU, DEMO_SIGMA = slider_start(*MU_SLIDER), slider_start(*SIGMA_SLIDER)


@dataclass
class Part2Output:
    """What one exercise produces: printed lines, arrays (SI), figures, a one-line summary."""

    name: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, np.ndarray] = field(default_factory=dict)
    draw: Callable[[], list[Figure]] | None = None
    summary: str = ""


def _setup(n: int) -> tuple[LIFParams, np.ndarray, np.ndarray, np.random.RandomState]:
    """The shared set-up: parameters, ``t_range``, the input current ``(n, 150)`` (A) and the seeded stream."""
    p = LIFParams()
    t_range = np.arange(0, p.t_max, p.dt)
    rng = np.random.RandomState(SEED)  # the legacy global stream's numbers: np.random.seed(2020)
    u = rng.random_sample([n, t_range.size])
    i = p.i_mean * (1 + 0.1 * (p.t_max / p.dt) ** 0.5 * (2 * u - 1))
    return p, t_range, i, rng


def _random_t_ref(rng: np.random.RandomState, mu: float, sigma: float, n: int) -> np.ndarray:
    t_ref = mu + sigma * rng.normal(size=n)
    t_ref[t_ref < 0] = 0
    return t_ref


def _euler(p: LIFParams, v: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``v + (dt/tau) * (el - v + r*i)``, ``dt/tau`` first, as every exercise writes it."""
    return v + (p.dt / p.tau) * (p.el - v + p.r * i)


def _spike_lists(raster: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every spike ordered by neuron then time (as the tutorial's dict of lists reads out): (spike_i, spike_t)."""
    neurons, steps = np.nonzero(raster)  # row-major: neuron, then step
    return neurons.astype(np.int64), times[steps]


#: the settings of the demo's sliders: the refractory periods' mean and standard deviation (times, s); the
#: notebook calls them mu and sigma, which lifsim does not (``--sigma`` is the white noise's voltage elsewhere)
DEMO_SETTINGS = ("t_ref", "t_ref_std")
#: the older spellings, refused with the new name
RENAMED = {"mu": "t_ref", "sigma": "t_ref_std"}


def run_part2(
    ex: str,
    *,
    t_ref: float | None = None,
    t_ref_std: float | None = None,
    xkcd: bool | None = None,
    **renamed: Any,
) -> Part2Output:
    """Replay exercise ``ex`` of Part II (``"1"`` .. ``"7"`` or ``"demo"``).

    ``t_ref``, ``t_ref_std`` (s): the demo's sliders, the random refractory periods' mean and standard
    deviation (the notebook's ``mu`` and ``sigma``; default: where its sliders start, 0.02 and
    0.010000000000000002; its text quotes 0.01 and 0.007).
    """
    for old in renamed:
        if old in RENAMED:
            raise TypeError(f"{old}: renamed {RENAMED[old]} (the refractory periods' {_MEANING[old]}, a time in s)")
        raise TypeError(f"run_part2() got an unexpected keyword argument {old!r}")
    ex = str(ex).strip().lower()
    if ex not in PART2_EXERCISES:
        raise ValueError(f"EX: expected one of {', '.join(PART2_EXERCISES)} for Part II, got {ex!r}")
    if (t_ref is not None or t_ref_std is not None) and ex != "demo":
        raise ValueError(f"t_ref, t_ref_std: set the demo's sliders ('demo'), not exercise {ex}")
    out = Part2Output(ex)
    if ex == "1":
        return _exercise1(out, xkcd)
    n = N_SPIKING
    p, t_range, i, rng = _setup(n)
    v = p.el * np.ones([n, t_range.size])
    raster = np.zeros([n, t_range.size], dtype=bool)
    times = t_range
    t_ref_n: np.ndarray | float | None = None
    last_spike: np.ndarray | None = None
    clock: np.ndarray | None = None
    if ex in ("2", "3", "4"):
        _run_plain(p, t_range, i, v, raster)
    elif ex in ("5", "demo"):
        periods: np.ndarray | float = T_REF_FIXED
        if ex == "demo":
            mean = DEMO_MU if t_ref is None else _check_time(t_ref, "t_ref")
            spread = DEMO_SIGMA if t_ref_std is None else _check_time(t_ref_std, "t_ref_std")
            periods = _random_t_ref(rng, mean, spread, n)
        t_ref_n, last_spike = periods, _run_clamped(p, t_range, i, v, raster, periods)
    elif ex == "6":
        random_periods = _random_t_ref(rng, QUOTED_MU, QUOTED_SIGMA, n)
        t_ref_n, last_spike = random_periods, _run_functions(p, t_range, i, v, raster, random_periods)
    else:  # "7": the LIFNeurons class, a running clock, every step logged after its update
        class_periods = _random_t_ref(rng, CLASS_MU, CLASS_SIGMA, n)
        last_spike, clock = _run_class(p, t_range, i, v, raster, class_periods)
        t_ref_n, times = class_periods, clock
        out.lines = [f"Ran for {clock[-1]:.3}s in {t_range.size} steps."]
    _finish(out, p, t_range, i, v, raster, times, t_ref_n, last_spike, clock, xkcd)
    return out


_MEANING = {"mu": "mean", "sigma": "standard deviation"}


def _run_plain(p: LIFParams, t_range: np.ndarray, i: np.ndarray, v: np.ndarray, raster: np.ndarray) -> None:
    """Exercises 2-4: threshold and reset, no refractoriness."""
    for step in range(1, t_range.size):
        v[:, step] = _euler(p, v[:, step - 1], i[:, step])
        spiked = v[:, step] >= p.vth
        v[spiked, step] = p.vr
        raster[spiked, step] = True


def _run_clamped(
    p: LIFParams, t_range: np.ndarray, i: np.ndarray, v: np.ndarray, raster: np.ndarray, t_ref: np.ndarray | float
) -> np.ndarray:
    """Exercise 5 and the demo: V clamped while ``last_spike + t_ref > t``; returns the last spike times."""
    n = v.shape[0]
    last_spike = -t_ref * np.ones(n)
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        v[:, step] = _euler(p, v[:, step - 1], i[:, step])
        spiked = v[:, step] >= p.vth
        v[spiked, step] = p.vr
        raster[spiked, step] = True
        clamped = last_spike + t_ref > t
        v[clamped, step] = p.vr
        last_spike[spiked] = t
    return last_spike


def _run_functions(
    p: LIFParams, t_range: np.ndarray, i: np.ndarray, v: np.ndarray, raster: np.ndarray, t_ref: np.ndarray
) -> np.ndarray:
    """Exercise 6: ``ode_step`` and ``spike_clamp``, which test ``t_ref > t - last_spike``."""
    last_spike = -t_ref * np.ones(v.shape[0])
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        column = _euler(p, v[:, step - 1], i[:, step])  # ode_step(v, i, dt)
        spiked = column >= p.vth  # spike_clamp(v, t - last_spike)
        column[spiked] = p.vr
        column[t_ref > t - last_spike] = p.vr
        v[:, step] = column
        raster[spiked, step] = True
        last_spike[spiked] = t
    return last_spike


def _run_class(
    p: LIFParams, t_range: np.ndarray, i: np.ndarray, v: np.ndarray, raster: np.ndarray, t_ref: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 7: the ``LIFNeurons`` class with its running clock; returns the last spikes and the clock."""
    state = p.el * np.ones(v.shape[0])
    last_spike = -t_ref
    clock_now = 0.0
    clock = np.empty(t_range.size)
    for step in range(t_range.size):
        clock_now += p.dt
        state = _euler(p, state, i[:, step])
        spiked = state >= p.vth
        state[spiked] = p.vr
        last_spike[spiked] = clock_now
        clamped = t_ref > clock_now - last_spike
        state[clamped] = p.vr
        last_spike[spiked] = clock_now
        v[:, step] = state
        raster[spiked, step] = True
        clock[step] = clock_now
    return last_spike, clock


def _finish(
    out: Part2Output,
    p: LIFParams,
    t_range: np.ndarray,
    i: np.ndarray,
    v: np.ndarray,
    raster: np.ndarray,
    times: np.ndarray,
    t_ref: np.ndarray | float | None,
    last_spike: np.ndarray | None,
    clock: np.ndarray | None,
    xkcd: bool | None,
) -> None:
    """The arrays, the summary and the drawing of a spiking exercise."""
    n = v.shape[0]
    spikes_mean = raster.mean(axis=0)  # the fraction of neurons spiking in each step (the "rate (Hz)" panel)
    spike_i, spike_t = _spike_lists(raster, times)
    out.data = {
        "t": t_range,
        "i": i,
        "v": v,
        "raster": raster,
        "spike_i": spike_i,
        "spike_t": spike_t,
        "spikes_mean": spikes_mean,
        "v_mean": v.mean(axis=0),
    }
    if t_ref is not None:
        out.data["t_ref"] = np.broadcast_to(np.asarray(t_ref, dtype=float), (n,)).copy()
    if last_spike is not None:
        out.data["last_spike"] = last_spike
    if clock is not None:
        out.data["clock"] = clock
    late = spikes_mean[50:].mean() / p.dt
    out.summary = (
        f"{n} neurons, {int(raster.sum())} spikes; the tutorial's 'rate (Hz)' panel plots spikes per neuron per "
        f"step (peak {spikes_mean.max():.3g}); in Hz, steps 50-149 average {late:.1f} Hz"
    )
    out.draw = _drawing(out.name, out.data, n, xkcd)


def part2_meta(ex: str, t_ref: float | None = None, t_ref_std: float | None = None) -> dict[str, object]:
    """The provenance saved with an exercise's arrays (the demo's ``t_ref`` and ``t_ref_std`` in s)."""
    from .request import stamp

    meta: dict[str, object] = {
        "tutorial": "LIF Neuron Part II",
        "exercise": ex,
        "title": PART2_TITLES[ex],
        "params": LIFParams().as_dict(),
        "stream": {"kind": "legacy MT19937 (np.random.seed)", "seed": SEED},
        **stamp(f"lifsim tutorial --part 2 {ex}"),
    }
    if ex == "demo":
        meta["t_ref"] = DEMO_MU if t_ref is None else t_ref
        meta["t_ref_std"] = DEMO_SIGMA if t_ref_std is None else t_ref_std
    return meta


def _check_time(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a time >= 0 (s), got {value!r}")
    return float(value)


def _exercise1(out: Part2Output, xkcd: bool | None) -> Part2Output:
    p, t_range, i, _rng = _setup(N_EX1)
    v = p.el * np.ones([N_EX1, t_range.size])
    for step in range(1, t_range.size):  # Part I's loop: no threshold, no reset
        v[:, step] = _euler(p, v[:, step - 1], i[:, step])
    step_end = t_range.size
    v_a, v_b = v[:, int(step_end / 10)], v[:, -1]
    counts_a, edges_a = np.histogram(v_a, 50)
    counts_b, edges_b = np.histogram(v_b, 50)
    label_a, label_b = f"t={p.t_max / 10} s", f"t={p.t_max} s"
    out.data = {
        "t": t_range,
        "i": i,
        "v": v,
        "v_a": v_a,
        "v_b": v_b,
        "counts_a": counts_a,
        "edges_a": edges_a,
        "counts_b": counts_b,
        "edges_b": edges_b,
    }
    out.summary = (  # in mV and ms, as Part I's summaries (the arrays stay in V and s, as the tutorial's)
        f"V of {N_EX1} free neurons at t = {t_range[int(step_end / 10)] * 1e3:.3g} ms ({v_a.min() * 1e3:.2f} to "
        f"{v_a.max() * 1e3:.2f} mV) and t = {t_range[-1] * 1e3:.3g} ms ({v_b.min() * 1e3:.2f} to "
        f"{v_b.max() * 1e3:.2f} mV), 50 bins each"
    )

    def draw() -> list[Figure]:
        with figure_style(True if xkcd is None else xkcd):
            fig = plt.figure()
            ax = fig.add_subplot()
            ax.set_ylabel("Frequency")
            ax.set_xlabel("$V_m$ (V)")
            ax.hist(v_a, 50, histtype="stepfilled", linewidth=0, label=label_a)
            ax.hist(v_b, 50, histtype="stepfilled", linewidth=0, label=label_b)
            ax.set_ylim(0, 1.3 * max(counts_a.max(), counts_b.max()))  # room above the peaks for the legend
            ax.legend(loc="upper left")  # above the histograms (the best place covered the first one's flank)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # 0.005 V apart the xkcd labels ran together
            return [fig]

    out.draw = draw
    return out


def _drawing(ex: str, data: dict[str, np.ndarray], n: int, xkcd: bool | None) -> Callable[[], list[Figure]]:
    t, v, raster = data["t"], data["v"], data["raster"]

    def draw() -> list[Figure]:
        with figure_style(bool(xkcd)):
            if ex == "2":  # its own three panels (default size, x ticks kept, spike times as dots)
                return [_plot_all(t, v, None, data, n, helper=False)]
            figures = [_plot_all(t, v, raster if ex != "3" else None, data, n)]
            if ex == "demo":
                hist = plt.figure(figsize=(8, 4))
                ax = hist.add_subplot()
                ax.hist(data["t_ref"], bins=32, histtype="stepfilled", linewidth=0, color="C1")
                ax.set_xlabel("$t_{ref}$ (s)")
                ax.set_ylabel("count")
                hist.tight_layout()
                figures.append(hist)
            return figures

    return draw


def _plot_all(
    t: np.ndarray, v: np.ndarray, image: np.ndarray | None, data: dict[str, Any], n: int, helper: bool = True
) -> Figure:
    """The tutorial's ``plot_all`` (``helper``; exercise 2 draws the same panels itself, at the default size and
    with x ticks): V per neuron and its mean; a raster image (``image``) or spike times; the per-step fraction."""
    import matplotlib as mpl

    width, height = mpl.rcParams["figure.figsize"]
    fig = plt.figure(figsize=(width, 1.5 * height) if helper else None)
    ax1 = fig.add_subplot(311)
    for j in range(n):
        ax1.scatter(t, v[j], color="k", marker=".", alpha=0.01, rasterized=True)  # tens of thousands of dots
    ax1.plot(t, data["v_mean"], "C1", alpha=0.8, linewidth=3)
    ax1.set_ylabel("$V_m$ (V)")
    if image is not None:
        ax2 = fig.add_subplot(312)
        ax2.imshow(image.astype(float), cmap="Greys", origin="lower", aspect="auto")
    else:
        ax2 = fig.add_subplot(312, sharex=ax1)
        spiking = data["raster"]
        for j in range(n):
            ax2.scatter(
                t[spiking[j]], j * np.ones(int(spiking[j].sum())), color="C0", marker=".", alpha=0.2, rasterized=True
            )  # a .svg or .pdf of every dot as a vector was 10 MiB
    ax2.set_ylabel("neuron")
    if helper:
        ax1.set_xticks([])
        ax2.set_xticks([])
    ax3 = fig.add_subplot(313, sharex=ax1)
    ax3.plot(t, data["spikes_mean"])
    ax3.set_xlabel("time (s)")
    ax3.set_ylabel("rate (Hz)")
    fig.tight_layout()
    return fig
