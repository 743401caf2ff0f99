"""Input currents I(t), in amperes.

An input is evaluated step by step: at step ``k`` (time ``t_k = k dt``) it
returns the current that drives the update from ``v[k]`` to ``v[k+1]``, a
scalar or one value per neuron.  Inputs combine with ``+``.

* ``constant(I_mean)``: ``I_mean``;
* ``sine(I_mean, period)``: ``I_mean * (1 + sin((t * 2 pi) / period))`` (tutorial ex. 2);
* ``uniform_noise(I_mean, amplitude)``: ``I_mean * (1 + A * xi)``, ``xi ~ U(-1, 1)`` drawn per
  neuron per step (tutorial ex. 7); ``A`` defaults to the tutorial's ``0.1 * sqrt(t_max / dt)``;
* ``modulated(I_mean, terms)``: ``I_mean * (1 + term_1 + term_2 ...)``: the sinusoid and the
  uniform noise as terms around one mean;
* ``white_noise(I_mean, sigma=...)``: Gaussian white noise given as its effect on the membrane,
  ``tau dV/dt = ... + sigma sqrt(tau) xi(t)`` (sigma in V); on the grid
  ``I_k = I_mean + (sigma / R) sqrt(tau / dt) z_k``, ``z_k ~ N(0, 1)``, so that forward Euler
  is Euler-Maruyama;
* ``step(I_mean, onset, baseline=0)``: ``I_mean`` for ``t >= onset``, else ``baseline``;
* ``array_input(values)``: a user array of shape ``(steps,)`` or ``(n, steps)``.

One rule for every constructor: the mean current (A) comes first, and when it
is left out (or None) the run's ``LIFParams.i_mean`` is used, as on the command
line (``white_noise(sigma="5 mV")`` drives at ``i_mean``).  In a sum, a part
without a mean adds no mean when another part gives one (``constant("60 pA") +
white_noise(sigma="5 mV")`` is 60 pA); when no part gives one, the first part
without a mean takes ``i_mean`` and the others add none.  The tutorial's family
(``constant``, ``sine``, ``uniform_noise``) shares one mean: its parts without a
mean in a sum are one input, ``sine() + uniform_noise()`` is ``I_mean (1 + sin +
A xi)``, as ``--input sine+uniform``; a sine or uniform term without a mean
beside a part that gives one would add nothing (its current is its mean times
``1 + ...``) and is an error that says so.  The older order
``white_noise("5 mV", mean)`` (sigma first, as text in volts) is still read.

The expressions keep the tutorial's floating-point operation order, so that
lifsim reproduces the tutorial's numbers bit for bit.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .params import LIFParams
from .units import DISPLAY_UNITS, format_display, to_si

__all__ = [
    "Input",
    "Draws",
    "DriveBuilder",
    "TheoryMoments",
    "Modulated",
    "SineTerm",
    "UniformTerm",
    "WhiteNoise",
    "Step",
    "ArrayInput",
    "Sum",
    "constant",
    "sine",
    "uniform_noise",
    "modulated",
    "white_noise",
    "step",
    "array_input",
    "INPUT_KINDS",
    "tutorial_amplitude",
    "mean_input_current",
    "describe_text",
    "from_kinds",
    "resolve_means",
    "unused_setting",
    "SETTING_KINDS",
]


class Draws(Protocol):
    """Random numbers of one step for the neurons being simulated."""

    def uniform(self, stream: int) -> np.ndarray: ...  # U(0, 1), shape (n,)

    def normal(self, stream: int) -> np.ndarray: ...  # N(0, 1), shape (n,)


class DriveBuilder(Protocol):
    """The run plan's drive for one chunk of update steps, as an input lowers itself into it (:meth:`Input.lower`).

    ``t`` holds the times (s) of the chunk's update steps ``offset .. offset + len(t) - 1``.
    Each method adds one part, and the parts are added up in the order they
    were given (as :meth:`Input.current` adds them: the order decides the
    sum's last bit).  The run plan (:mod:`lifsim.engine.plan`) implements it
    and turns the parts into the kernels' arrays.
    """

    params: LIFParams
    offset: int
    t: np.ndarray

    def deterministic(self, current: np.ndarray) -> None:
        """A current known in advance: ``current`` (A), shape ``(len(t),)``, the same for every neuron."""

    def modulated(self, mean: float, base: np.ndarray, amplitudes: Sequence[float], streams: Sequence[int]) -> None:
        """``mean * (base + sum_u amplitudes[u] * (2 U_u - 1))`` (A), ``U_u ~ U(0, 1)`` of noise stream ``streams[u]``.

        ``base`` (dimensionless, shape ``(len(t),)``) and the amplitudes (dimensionless).
        """

    def white(self, mean: float, sigma: float, stream: int) -> None:
        """Gaussian white noise of strength ``sigma`` (V, its effect on V) around ``mean`` (A), on stream ``stream``."""

    def array(self, values: np.ndarray) -> None:
        """User currents (A): shape ``(len(t),)`` for every neuron, or ``(n, len(t))`` one row per neuron."""


@dataclass(frozen=True)
class TheoryMoments:
    """What the closed-form theory (:mod:`lifsim.theory`) needs of an input's noise.

    Inputs add up: the moments of a sum are the sums of the parts' moments
    (``+``), the flags hold when they hold for every part.
    """

    #: variance ``s_I**2`` (A**2) of the current's noise at each step (independent across steps and neurons)
    noise_var: float = 0.0
    #: sum of ``sigma**2`` (V**2) of the Gaussian white-noise parts (their share of ``noise_var``)
    white_sigma2: float = 0.0
    #: the mean current is constant in time, so a stationary firing rate exists (Siegert / f-I theory applies)
    stationary: bool = True
    #: every noise is Gaussian white (or there is none): Siegert is the theory itself, not the diffusion approximation
    gaussian: bool = True

    def __add__(self, other: TheoryMoments) -> TheoryMoments:
        if not isinstance(other, TheoryMoments):
            return NotImplemented
        return TheoryMoments(
            self.noise_var + other.noise_var,
            self.white_sigma2 + other.white_sigma2,
            self.stationary and other.stationary,
            self.gaussian and other.gaussian,
        )


def tutorial_amplitude(params: LIFParams) -> float:
    """The tutorial's noise amplitude ``0.1 * (t_max / dt) ** 0.5`` (dimensionless).

    Written with the tutorial's operation order so the float is identical.
    Note that it grows as ``dt`` shrinks: the uniform noise's effect on V does
    not converge as ``dt -> 0`` (see ``white_noise`` for noise that does).
    """
    return 0.1 * (params.t_max / params.dt) ** (0.5)


class Input:
    """Base class of input currents (A). Subclasses implement :meth:`current`."""

    def noise_terms(self) -> list[NoiseTerm]:
        """The stochastic terms of this input, in a fixed order (their stream numbers)."""
        return []

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        """Current (A) at step ``k``, time ``t = k dt`` (s): scalar or shape ``(n,)``."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """A JSON-friendly description (kind and parameters in SI units)."""
        raise NotImplementedError

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        """Raise ValueError if this input cannot drive ``n`` neurons for ``steps`` points."""

    def mean_current(self, t: float, params: LIFParams) -> float:
        """The ensemble mean of the current (A) at time ``t`` (noise averaged out)."""
        raise NotImplementedError

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        """:meth:`mean_current` at each time of ``t`` (s), as an array (A)."""
        return np.array([self.mean_current(float(tk), params) for tk in t], dtype=np.float64)

    # Each input kind owns its lowering, its bound and its theory: the run plan, the
    # request's checks and lifsim.theory call these methods and never ask for the kind.

    def summands(self) -> tuple[Input, ...]:
        """The inputs this one adds up: a :class:`Sum`'s parts, otherwise this input alone."""
        return (self,)

    def left_out(self, params: LIFParams, steps: int) -> list[str]:
        """What of this input a run of ``steps`` time points of ``params.dt`` leaves unused, in words (an array
        longer than the run); [] for the inputs made of a formula."""
        return [text for part in self.summands() if part is not self for text in part.left_out(params, steps)]

    def array_bytes(self) -> int:
        """Bytes of the values an array input holds (float64), which a run's file and each Dask worker hold too
        (0 for the inputs made of a formula)."""
        return sum(part.array_bytes() for part in self.summands() if part is not self)

    def first_neurons(self, n: int) -> Input:
        """This input as it drives only the first ``n`` of its neurons (a short calibration run of fewer
        neurons): an array of one row per neuron keeps its first ``n`` rows (a view); the other inputs drive
        any number of neurons and are this input itself."""
        return self

    def lower(self, builder: DriveBuilder) -> None:
        """Add this input's parts to the run plan's drive of one chunk (:class:`DriveBuilder`).

        It must add exactly what :meth:`current` computes, with the same
        floating-point operations (a test holds the two together).  Raises
        ``ValueError`` for an input the engines cannot run.
        """
        raise ValueError(
            f"inputs: cannot lower {self.describe()} for the engines; "
            "an input kind implements Input.lower (see lifsim.inputs.DriveBuilder)"
        )

    def current_bound(self, params: LIFParams) -> float:
        """An upper bound of ``|I|`` (A) over the run, noise at its largest plausible excursion.

        The request refuses an input whose ``R I`` reaches beyond
        :data:`lifsim.request.MAX_VOLTS`; :meth:`drive_bound` is this times R.
        """
        raise ValueError(
            f"inputs: no bound on the current of {self.describe()}; an input kind implements Input.current_bound"
        )

    def drive_bound(self, params: LIFParams) -> float:
        """An upper bound of ``|R I|`` (V) over the run: ``R`` times :meth:`current_bound`."""
        return params.r * self.current_bound(params)

    def slip_bound(self, params: LIFParams) -> float:
        """:meth:`current_bound` (A) with white noise at its mean only: the currents a user set, which a slip of
        units or amplitude makes absurd (white noise's bound, ten standard deviations of one step's current,
        grows as ``dt`` shrinks and says nothing about units)."""
        return self.current_bound(params)

    def onsets(self) -> tuple[float, ...]:
        """The times (s) at which the input switches (a step's onset), for the check that they fall in the run."""
        return ()

    def periods(self) -> tuple[float, ...]:
        """The periods (s) of the input's sinusoids, for the check that the run sees their cycles."""
        return ()

    def settled(self, params: LIFParams) -> Input:
        """This input as it stands from its last onset on (a step held at its amplitude for good), its means
        taken from ``params`` where unset, for the stationary theory after the switch; the input itself (its
        means resolved) when it never switches."""
        return self.resolved(params)._from_last_onset()

    def _from_last_onset(self) -> Input:
        """:meth:`settled` of an input whose means are all set."""
        return self

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """The noise moments the closed-form theory needs (:class:`TheoryMoments`).

        The mean current comes from :meth:`mean_current` / :meth:`mean_current_grid`.
        Raises ``ValueError`` for an input with no closed form.
        """
        raise ValueError(f"theory: no closed form for input {self.describe()}")

    def __repr__(self) -> str:
        return f"<lifsim input: {describe_text(self.describe())}>"

    def without_white(self) -> Input | None:
        """This input less its white-noise parts (None if nothing is left)."""
        return self

    def white_parts(self) -> list[WhiteNoise]:
        """The white-noise parts of this input."""
        return []

    def mean_unset(self) -> bool:
        """Whether this input leaves its mean to ``LIFParams.i_mean`` (constructed without one)."""
        return False

    def with_mean(self, mean: float) -> Input:
        """A copy whose unset mean is ``mean`` (A); this input itself when its mean is set."""
        return self

    def resolved(self, params: LIFParams) -> Input:
        """This input with a mean left unset taken from ``params.i_mean`` (A); itself when none is unset."""
        return self.with_mean(params.i_mean) if self.mean_unset() else self

    def __add__(self, other: Input) -> Input:
        """The sum of two inputs, flat; parts that share one mean (``sine() + uniform_noise()``) are one part, and
        a sum left with one part is that part (as ``--input sine+uniform`` builds and records it)."""
        if not isinstance(other, Input):
            return NotImplemented
        left = self.parts if isinstance(self, Sum) else (self,)
        right = other.parts if isinstance(other, Sum) else (other,)
        total = Sum(tuple(left) + tuple(right))
        return total.parts[0] if len(total.parts) == 1 else total


class NoiseTerm:
    """Marker base for stochastic pieces; ``stream`` is set when an input is bound."""

    stream: int = 0


# ---------------------------------------------------------------- terms


@dataclass
class SineTerm:
    """``depth * sin((t * 2 pi) / period)``; period in s, depth dimensionless."""

    period: float = 10e-3
    depth: float = 1.0

    def value(self, t: float) -> float:
        s = float(np.sin((t * 2 * np.pi) / self.period))
        return s if self.depth == 1.0 else self.depth * s

    def values(self, t: np.ndarray) -> np.ndarray:
        """:meth:`value` at every time of ``t`` (s), with the same operations."""
        s = np.sin((np.asarray(t, dtype=np.float64) * 2 * np.pi) / self.period)
        return s if self.depth == 1.0 else self.depth * s

    def mean(self, t: float) -> float:
        return self.value(t)

    def describe(self) -> dict[str, object]:
        return {"term": "sine", "period_s": self.period, "depth": self.depth}


@dataclass
class UniformTerm(NoiseTerm):
    """``A * xi`` with ``xi = 2 u - 1 ~ U(-1, 1)`` drawn per neuron per step.

    ``amplitude=None`` means the tutorial's ``0.1 * sqrt(t_max / dt)``.
    """

    amplitude: float | None = None

    def resolved(self, params: LIFParams) -> float:
        return tutorial_amplitude(params) if self.amplitude is None else self.amplitude

    def value_from(self, u: np.ndarray, params: LIFParams) -> np.ndarray:
        return self.resolved(params) * (2 * u - 1)

    def describe(self) -> dict[str, object]:
        return {"term": "uniform", "amplitude": self.amplitude, "stream": self.stream}


# ---------------------------------------------------------------- inputs


@dataclass(repr=False)
class Modulated(Input):
    """``mean * (1 + term_1 + term_2 + ...)`` (A): the tutorial's input family.

    With no terms this is the constant ``mean``; with one :class:`SineTerm`, the
    tutorial's sinusoid; with one :class:`UniformTerm`, its random input.
    """

    mean: float | None = None
    terms: tuple[SineTerm | UniformTerm, ...] = ()

    def __post_init__(self) -> None:
        self.mean = _mean(self.mean)
        # deterministic terms first, then the noise: 1 + sin + A xi, one fixed order of
        # additions that every engine follows (the sum's order decides its last bit)
        self.terms = tuple(sorted(self.terms, key=lambda term: isinstance(term, UniformTerm)))
        for term in self.terms:
            if isinstance(term, SineTerm):
                term.period = _positive(to_si(term.period, "time", "period"), "period", "time")
                term.depth = _finite(to_si(term.depth, "dimensionless", "depth"), "depth")
            elif isinstance(term, UniformTerm):
                if term.amplitude is not None:
                    term.amplitude = _finite(to_si(term.amplitude, "dimensionless", "amplitude"), "amplitude")
                    if term.amplitude < 0:
                        raise ValueError(f"amplitude: must be >= 0, got {term.amplitude!r}")
            else:
                raise TypeError(f"terms: expected SineTerm or UniformTerm, got {type(term).__name__}")

    def noise_terms(self) -> list[NoiseTerm]:
        return [term for term in self.terms if isinstance(term, UniformTerm)]

    def periods(self) -> tuple[float, ...]:
        return tuple(term.period for term in self.terms if isinstance(term, SineTerm))

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        for term in self.terms:
            if isinstance(term, SineTerm) and term.period < 2 * params.dt:
                raise ValueError(
                    f"period: {format_display(term.period, 'time')} is shorter than two time steps (2 dt = "
                    f"{format_display(2 * params.dt, 'time')}); "
                    "the grid cannot represent the sinusoid"
                )

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        mean = _mean_of(self.mean, params)
        if not self.terms:
            return mean
        total: float | np.ndarray = 1
        for term in self.terms:
            if isinstance(term, SineTerm):
                total = total + term.value(t)
            else:
                total = total + term.value_from(draws.uniform(term.stream), params)
        return mean * total

    def mean_current(self, t: float, params: LIFParams) -> float:
        total = 1.0
        for term in self.terms:
            if isinstance(term, SineTerm):
                total += term.value(t)
        return _mean_of(self.mean, params) * total

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        if not any(isinstance(term, SineTerm) for term in self.terms):
            return np.full(len(t), _mean_of(self.mean, params) * 1.0)
        return super().mean_current_grid(t, params)

    def deterministic_values(self, t: np.ndarray) -> np.ndarray:
        """The sinusoid part ``1 + sine terms`` (dimensionless) at times ``t`` (s), as :meth:`current` adds it."""
        total = np.ones(len(t))
        for term in self.terms:
            if isinstance(term, SineTerm):
                total = total + term.values(t)
        return total

    def lower(self, builder: DriveBuilder) -> None:
        """A constant or sinusoid lowers to a deterministic row; with uniform noise, to a modulated part."""
        mean = _mean_of(self.mean, builder.params)
        uniform = [term for term in self.terms if isinstance(term, UniformTerm)]
        if not uniform:
            t = builder.t
            builder.deterministic(mean * self.deterministic_values(t) if self.terms else np.full(len(t), mean))
            return
        amplitudes = [term.resolved(builder.params) for term in uniform]
        builder.modulated(mean, self.deterministic_values(builder.t), amplitudes, [term.stream for term in uniform])

    def current_bound(self, params: LIFParams) -> float:
        """``|mean| (1 + sum of |depth| and |A|)`` (A): every term at its extreme at once."""
        spread = sum(
            abs(term.resolved(params)) if isinstance(term, UniformTerm) else abs(term.depth) for term in self.terms
        )
        return abs(_mean_of(self.mean, params)) * (1.0 + spread)

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """Uniform noise ``mean A xi`` has variance ``(mean A)**2 / 3`` (A**2) per step; a sine is not stationary."""
        mean = _mean_of(self.mean, params)
        noise_var = 0.0
        for term in self.terms:
            if isinstance(term, UniformTerm):
                noise_var += (mean * term.resolved(params)) ** 2 / 3.0
        return TheoryMoments(
            noise_var=noise_var,
            stationary=all(isinstance(term, UniformTerm) for term in self.terms),
            gaussian=not self.terms,
        )

    def describe(self) -> dict[str, object]:
        return {"kind": "modulated", "mean_A": self.mean, "terms": [term.describe() for term in self.terms]}

    def mean_unset(self) -> bool:
        return self.mean is None

    def with_mean(self, mean: float) -> Input:
        return _copy_with(self, "mean", mean) if self.mean is None else self

    def resolved(self, params: LIFParams) -> Input:
        """The mean and a uniform term's amplitude left unset taken from ``params`` (``i_mean``, the tutorial's
        ``0.1 sqrt(t_max / dt)``: the value every engine uses), so that a run's record states them."""
        found = super().resolved(params)
        unset = [term for term in self.terms if isinstance(term, UniformTerm) and term.amplitude is None]
        if not unset:
            return found
        terms = tuple(_with_amplitude(term, params) if term in unset else term for term in self.terms)
        return _copy_with(found if found is not self else copy.copy(self), "terms", terms)  # type: ignore[arg-type]


@dataclass(repr=False)
class WhiteNoise(Input, NoiseTerm):
    """Gaussian white noise stated by its effect on V: ``sigma`` in volts.

    The membrane obeys ``tau dV/dt = E_L - V + R I_mean + sigma sqrt(tau) xi(t)``
    with unit white noise ``xi``.  On the grid the current is
    ``I_k = mean + (sigma / R) * sqrt(tau / dt) * z_k``, ``z_k ~ N(0, 1)``, which
    makes the forward Euler update the Euler-Maruyama scheme; the free
    membrane's stationary standard deviation is then ``sigma / sqrt(2 - dt/tau)``,
    tending to ``sigma / sqrt(2)`` as dt -> 0 (the OU process's value).
    """

    sigma: float
    mean: float | None = 0.0

    def __post_init__(self) -> None:
        self.sigma = _finite(to_si(self.sigma, "voltage", "sigma"), "sigma")
        if self.sigma < 0:
            raise ValueError(f"sigma: must be >= 0 mV, got {format_display(self.sigma, 'voltage')}")
        self.mean = _mean(self.mean)

    def noise_terms(self) -> list[NoiseTerm]:
        return [self]

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        scale = self.sigma / params.r * math.sqrt(params.tau / params.dt)
        return _mean_of(self.mean, params) + scale * draws.normal(self.stream)

    def mean_current(self, t: float, params: LIFParams) -> float:
        return _mean_of(self.mean, params)

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        return np.full(len(t), _mean_of(self.mean, params))

    def without_white(self) -> Input | None:
        return Modulated(self.mean) if self.mean != 0.0 else None

    def white_parts(self) -> list[WhiteNoise]:
        return [self]

    def lower(self, builder: DriveBuilder) -> None:
        """A white part: the plan scales it for the update (Euler-Maruyama or the exact OU step)."""
        builder.white(_mean_of(self.mean, builder.params), self.sigma, self.stream)

    def current_bound(self, params: LIFParams) -> float:
        """``|mean|`` plus ten standard deviations of the per-step current, ``10 (sigma / R) sqrt(tau / dt)`` (A)."""
        return abs(_mean_of(self.mean, params)) + 10.0 * self.sigma / params.r * math.sqrt(params.tau / params.dt)

    def slip_bound(self, params: LIFParams) -> float:
        """``|mean|`` (A): the fluctuations' bound is no slip of units."""
        return abs(_mean_of(self.mean, params))

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """Variance ``(sigma / R)**2 tau / dt`` (A**2) per step, all of it Gaussian white noise of strength sigma."""
        return TheoryMoments(
            noise_var=(self.sigma / params.r) ** 2 * params.tau / params.dt, white_sigma2=self.sigma**2
        )

    def describe(self) -> dict[str, object]:
        return {"kind": "white", "sigma_V": self.sigma, "mean_A": self.mean, "stream": self.stream}

    def mean_unset(self) -> bool:
        return self.mean is None

    def with_mean(self, mean: float) -> Input:
        return _copy_with(self, "mean", mean) if self.mean is None else self


@dataclass(repr=False)
class Step(Input):
    """``amplitude`` (A) for ``t >= onset`` (s), ``baseline`` (A) before; ``amplitude=None``: ``LIFParams.i_mean``."""

    amplitude: float | None
    onset: float = 0.0
    baseline: float = 0.0

    def __post_init__(self) -> None:
        self.amplitude = _mean(self.amplitude, "amplitude")
        self.onset = _finite(to_si(self.onset, "time", "onset"), "onset")
        self.baseline = _finite(to_si(self.baseline, "current", "baseline"), "baseline")

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float:
        return _mean_of(self.amplitude, params) if t >= self.onset else self.baseline

    def mean_current(self, t: float, params: LIFParams) -> float:
        return _mean_of(self.amplitude, params) if t >= self.onset else self.baseline

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        return np.where(np.asarray(t) >= self.onset, _mean_of(self.amplitude, params), self.baseline)

    def lower(self, builder: DriveBuilder) -> None:
        """A deterministic row: ``amplitude`` from ``onset`` on, ``baseline`` before (A)."""
        level = _mean_of(self.amplitude, builder.params)
        builder.deterministic(np.where(builder.t >= self.onset, level, self.baseline))

    def current_bound(self, params: LIFParams) -> float:
        """The larger of ``|amplitude|`` and ``|baseline|`` (A)."""
        return max(abs(_mean_of(self.amplitude, params)), abs(self.baseline))

    def onsets(self) -> tuple[float, ...]:
        return (self.onset,)

    def _from_last_onset(self) -> Input:
        """The amplitude for good: a constant current."""
        return Modulated(self.amplitude)

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """No noise; the mean changes at the onset, so no stationary rate."""
        return TheoryMoments(stationary=False)

    def describe(self) -> dict[str, object]:
        return {"kind": "step", "amplitude_A": self.amplitude, "onset_s": self.onset, "baseline_A": self.baseline}

    def mean_unset(self) -> bool:
        return self.amplitude is None

    def with_mean(self, mean: float) -> Input:
        return _copy_with(self, "amplitude", mean) if self.amplitude is None else self


class ArrayInput(Input):
    """A user-given current array (A): shape ``(steps,)`` or ``(n, steps)``.

    Column ``k`` drives the update from ``v[k]`` to ``v[k+1]``; the last column
    is not needed (``steps - 1`` columns suffice).  A float64 array is used as it
    is, never copied (a view such as ``np.broadcast_to``'s stays a view); other
    real dtypes are converted to float64 once, refused when that copy does not
    fit in the memory available.
    """

    def __init__(self, values: Sequence[float] | np.ndarray) -> None:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iuf" or raw.dtype == np.float16:
            expected = "currents as real numbers (A, float32 or float64)"
            raise ValueError(f"array input: expected {expected}, got an array of dtype {raw.dtype}")
        if raw.ndim not in (1, 2) or raw.shape[-1] == 0:
            raise ValueError(f"array input: expected shape (steps,) or (n, steps), got {raw.shape}")
        if raw.dtype != np.float64:
            _check_conversion_room(raw)
        array = np.asarray(raw, dtype=np.float64)
        if not all(np.isfinite(slab).all() for slab in array_slabs(array)):
            raise ValueError("array input: contains NaN or infinite values")
        self.values = array

    def array_bytes(self) -> int:
        """Bytes of the values as one float64 array."""
        return 8 * int(self.values.size)

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        if self.values.shape[-1] < steps - 1:
            raise ValueError(
                f"array input: has {self.values.shape[-1]} time points, the run needs at least {steps - 1}"
            )
        if self.values.ndim == 2 and self.values.shape[0] != n:
            raise ValueError(f"array input: has {self.values.shape[0]} rows, the run has n = {n} neurons")

    def first_neurons(self, n: int) -> Input:
        """The first ``n`` rows of a per-neuron array (a view, never a copy); a shared array as it is."""
        if self.values.ndim == 1 or self.values.shape[0] <= n:
            return self
        return ArrayInput(self.values[:n])

    def left_out(self, params: LIFParams, steps: int) -> list[str]:
        """The time points past the run's ``steps``: only the first ``steps - 1`` columns drive it (a shorter
        array is refused by :meth:`check`)."""
        given, used = self.values.shape[-1], steps - 1
        if given <= steps:
            return []
        end, dt = format_display((steps - 1) * params.dt, "time"), format_display(params.dt, "time")
        return [
            f"array input: has {given} time points, the run has {steps} (t = 0 to {end}, dt = {dt}) and uses the "
            f"first {used}; the other {given - used} are ignored"
        ]

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        return self.values[..., k]

    def mean_current(self, t: float, params: LIFParams) -> float:
        k = int(round(t / params.dt))
        return float(np.mean(self.values[..., k]))

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        k = np.rint(np.asarray(t) / params.dt).astype(np.int64)
        if self.values.ndim == 1:
            return np.asarray(self.values[k], dtype=np.float64)
        # the mean over the rows, a slab of columns at a time (indexing every column at once copied the array)
        width = max(1, SLAB_CELLS // self.values.shape[0])
        slabs = [np.mean(self.values[:, k[start : start + width]], axis=0) for start in range(0, k.size, width)]
        return np.concatenate(slabs) if slabs else np.zeros(0)

    def lower(self, builder: DriveBuilder) -> None:
        """The chunk's columns of the array, shared or one row per neuron (A)."""
        builder.array(self.values[..., builder.offset : builder.offset + len(builder.t)])

    def current_bound(self, params: LIFParams) -> float:
        """The largest ``|value|`` of the array (A), a slab at a time (``np.abs`` of it all was a copy)."""
        return max(float(np.max(np.abs(slab))) for slab in array_slabs(self.values))

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """Given values, no noise; the theory assumes no stationary mean for them."""
        return TheoryMoments(stationary=False)

    def describe(self) -> dict[str, object]:
        return {"kind": "array", "shape": list(self.values.shape)}


class Sum(Input):
    """The sum of several inputs (A)."""

    def __init__(self, parts: Sequence[Input]) -> None:
        if not parts:
            raise ValueError("a sum of inputs needs at least one input")
        for part in parts:
            if not isinstance(part, Input):
                raise TypeError(f"inputs: expected Input objects, got {type(part).__name__}")
        self.parts = _settle_means(tuple(parts))

    def noise_terms(self) -> list[NoiseTerm]:
        return [term for part in self.parts for term in part.noise_terms()]

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        for part in self.parts:
            part.check(params, n, steps)

    def first_neurons(self, n: int) -> Input:
        parts = [part.first_neurons(n) for part in self.parts]
        return self if all(new is old for new, old in zip(parts, self.parts)) else Sum(parts)

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        total = self.parts[0].current(k, t, draws, params)
        for part in self.parts[1:]:
            total = total + part.current(k, t, draws, params)
        return total

    def mean_current(self, t: float, params: LIFParams) -> float:
        return sum(part.mean_current(t, params) for part in self.parts)

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        total = np.zeros(len(t))
        for part in self.parts:
            total = total + part.mean_current_grid(t, params)
        return total

    def without_white(self) -> Input | None:
        rest = [p for p in (part.without_white() for part in self.parts) if p is not None]
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else Sum(rest)

    def white_parts(self) -> list[WhiteNoise]:
        return [w for part in self.parts for w in part.white_parts()]

    def summands(self) -> tuple[Input, ...]:
        return tuple(self.parts)

    def lower(self, builder: DriveBuilder) -> None:
        """Each part lowers itself, left to right (the order :meth:`current` adds them)."""
        for index, part in enumerate(self.parts):
            if index and isinstance(part, Sum):  # x + (a + b) rounds unlike the flat x + a + b the drive adds
                raise ValueError(
                    f"inputs: cannot lower a sum inside a sum ({describe_text(self.describe())}); "
                    "write it as one flat sum, a + b + c"
                )
            part.lower(builder)

    def current_bound(self, params: LIFParams) -> float:
        """The sum of the parts' bounds (A)."""
        total = 0.0
        for part in self.parts:
            total += part.current_bound(params)
        return total

    def slip_bound(self, params: LIFParams) -> float:
        """The sum of the parts' bounds (A)."""
        return sum(part.slip_bound(params) for part in self.parts)

    def onsets(self) -> tuple[float, ...]:
        return tuple(onset for part in self.parts for onset in part.onsets())

    def periods(self) -> tuple[float, ...]:
        return tuple(period for part in self.parts for period in part.periods())

    def _from_last_onset(self) -> Input:
        """The sum of the parts as each stands from its last onset on."""
        total = self.parts[0]._from_last_onset()
        for part in self.parts[1:]:
            total = total + part._from_last_onset()
        return total

    def theory_moments(self, params: LIFParams) -> TheoryMoments:
        """The parts' moments added up (independent noises: variances add)."""
        total = TheoryMoments()
        for part in self.parts:
            total = total + part.theory_moments(params)
        return total

    def describe(self) -> dict[str, object]:
        return {"kind": "sum", "parts": [part.describe() for part in self.parts]}

    def mean_unset(self) -> bool:
        return any(part.mean_unset() for part in self.parts)

    def with_mean(self, mean: float) -> Input:
        if not self.mean_unset():
            return self
        return Sum([part.with_mean(mean) for part in self.parts])

    def resolved(self, params: LIFParams) -> Input:
        """Each part resolved (its unset mean and a uniform term's amplitude from ``params``), so that a sum's
        record states them as a part's alone does (``uniform_noise() + white_noise(...)`` kept a null amplitude)."""
        parts = [part.resolved(params) for part in self.parts]
        return self if all(new is old for new, old in zip(parts, self.parts)) else Sum(parts)


def _with_amplitude(term: SineTerm | UniformTerm, params: LIFParams) -> SineTerm | UniformTerm:
    """A copy of the uniform ``term`` with its amplitude resolved from ``params``."""
    clone = copy.copy(term)
    clone.amplitude = term.resolved(params)  # type: ignore[union-attr]
    return clone


def _copy_with(part: Input, name: str, value: float) -> Input:
    clone = copy.copy(part)
    setattr(clone, name, value)
    return clone


def _settle_means(parts: tuple[Input, ...]) -> tuple[Input, ...]:
    """A sum's parts with the module's rule for unset means applied (see the module docstring).

    When some part gives a mean, the parts without one add none (their mean
    becomes 0 A); when none does, the first part without one keeps it unset
    (it takes ``LIFParams.i_mean`` when run) and the others add none.
    """
    parts = _share_the_mean(parts)
    unset = [index for index, part in enumerate(parts) if part.mean_unset()]
    if not unset:
        return parts
    keep = unset[0] if len(unset) == len(parts) else None
    settled = list(parts)
    for index in unset:
        if index == keep:
            continue
        part = parts[index]
        if isinstance(part, Step):
            raise ValueError(
                "step: a step without an amplitude in a sum with other currents would add nothing; "
                "give it one, e.g. step('100 pA', onset='20 ms')"
            )
        if isinstance(part, Modulated) and part.terms:
            names = " + ".join("sine()" if isinstance(term, SineTerm) else "uniform_noise()" for term in part.terms)
            raise ValueError(_VANISHING.format(what=names))
        settled[index] = part.with_mean(0.0)
    return tuple(settled)


#: a tutorial-family part without a mean beside a part that gives one: its mean would be 0 A, and its terms with it
_VANISHING = (
    "inputs: {what} without a mean, in a sum whose other parts give one, would add nothing (its current is its "
    "mean times 1 + its terms); give it a mean, e.g. uniform_noise('100 pA'), or put the terms around one mean: "
    "modulated('100 pA', [SineTerm(), UniformTerm()])"
)


def _share_the_mean(parts: tuple[Input, ...]) -> tuple[Input, ...]:
    """The tutorial-family parts (:class:`Modulated`) without a mean made one part, at the first one's place,
    with all their terms: ``sine() + uniform_noise()`` is ``I_mean (1 + sin + A xi)``, what ``--input
    sine+uniform`` builds (:func:`from_kinds`); apart, the second would have had no mean and its noise been
    lost.  The terms are copies (a term's noise stream is set when its input is bound)."""
    loose = [index for index, part in enumerate(parts) if isinstance(part, Modulated) and part.mean_unset()]
    if len(loose) < 2:
        return parts
    terms = tuple(copy.copy(term) for index in loose for term in parts[index].terms)  # type: ignore[attr-defined]
    shared = Modulated(None, terms)
    return tuple(shared if index == loose[0] else part for index, part in enumerate(parts) if index not in loose[1:])


def resolve_means(inputs: Input, params: LIFParams) -> Input:
    """``inputs`` with a mean left unset taken from ``params.i_mean`` (A); ``inputs`` itself when none is unset.

    :func:`lifsim.simulate` calls this first, so that what it runs and what
    its provenance records carry the concrete current.
    """
    return inputs.resolved(params)


def _mean(value: float | str | None, name: str = "i_mean") -> float | None:
    """A mean current (A) checked finite, or None (the run's ``LIFParams.i_mean``)."""
    return None if value is None else _finite(to_si(value, "current", name), name)


def _mean_of(mean: float | None, params: LIFParams) -> float:
    return params.i_mean if mean is None else mean


def bind_streams(inputs: Input) -> int:
    """Number the stochastic terms of ``inputs`` 0, 1, ...; return how many there are."""
    terms = inputs.noise_terms()
    if len({id(term) for term in terms}) != len(terms):
        raise ValueError("inputs: the same noise term object appears twice; create one per use")
    for number, term in enumerate(terms):
        term.stream = number
    return len(terms)


# ---------------------------------------------------------------- factories


def constant(mean: float | str | None = None) -> Modulated:
    """Constant current ``mean`` (A, or a string like ``"250 pA"``); None: ``LIFParams.i_mean``."""
    return Modulated(mean)  # type: ignore[arg-type]


def sine(mean: float | str | None = None, period: float | str = 10e-3, depth: float = 1.0) -> Modulated:
    """Sinusoid ``mean * (1 + depth * sin(2 pi t / period))``; mean in A (None: ``LIFParams.i_mean``), period in s."""
    return Modulated(mean, (SineTerm(period, depth),))  # type: ignore[arg-type]


def uniform_noise(mean: float | str | None = None, amplitude: float | None = None) -> Modulated:
    """The tutorial's random input ``mean * (1 + A xi)``, ``xi ~ U(-1, 1)``; mean in A (None: ``LIFParams.i_mean``).

    ``amplitude=None`` uses the tutorial's ``A = 0.1 sqrt(t_max / dt)``
    (:func:`tutorial_amplitude`), in Python as on the command line.
    """
    return Modulated(mean, (UniformTerm(amplitude),))  # type: ignore[arg-type]


def modulated(mean: float | str | None, terms: Sequence[SineTerm | UniformTerm]) -> Modulated:
    """``mean * (1 + sum of terms)`` (A; None: ``LIFParams.i_mean``), e.g. a sinusoid with uniform noise on top."""
    return Modulated(mean, tuple(terms))  # type: ignore[arg-type]


def white_noise(
    mean: float | str | None = None, *legacy: float | str | None, sigma: float | str | None = None
) -> WhiteNoise:
    """Gaussian white noise of strength ``sigma`` (V) around the current ``mean`` (A; None: ``LIFParams.i_mean``).

    ``white_noise(sigma="5 mV")`` drives at the run's ``i_mean``;
    ``white_noise("60 pA", sigma="5 mV")`` at 60 pA.  The older order, sigma
    first as text in volts (``white_noise("5 mV", "60 pA")``), is still read.
    """
    if sigma is None and _is_legacy_sigma(mean) and len(legacy) <= 1:
        sigma, mean = mean, (legacy[0] if legacy else None)
    elif legacy:
        raise TypeError(
            "white_noise: give sigma by keyword, white_noise(mean, sigma=...) (mean in A, default LIFParams.i_mean); "
            f"got the positional values {(mean, *legacy)!r}"
        )
    if sigma is None:
        raise TypeError(
            "white_noise: needs the noise strength sigma in volts, e.g. white_noise(sigma='5 mV') "
            f"or white_noise('250 pA', sigma='5 mV'); got mean={mean!r} and no sigma"
        )
    return WhiteNoise(sigma, mean)  # type: ignore[arg-type]


def _is_legacy_sigma(value: object) -> bool:
    """Whether ``value`` is the sigma of the older ``white_noise(sigma, mean)`` order: text with a unit, not a current.

    ``"5 mV"`` (or a wrong unit such as ``"2 ms"``, then refused as a sigma
    with the units it accepts) is a sigma; ``"250 pA"`` and numbers are means.
    """
    if not isinstance(value, str) or not any(ch.isalpha() for ch in value):
        return False
    try:
        to_si(value, "current", "i_mean")
    except (ValueError, TypeError):
        return True
    return False


def step(amplitude: float | str | None = None, onset: float | str = 0.0, baseline: float | str = 0.0) -> Step:
    """Step current: ``baseline`` (A) before ``onset`` (s), ``amplitude`` (A; None: ``LIFParams.i_mean``) after."""
    return Step(amplitude, onset, baseline)  # type: ignore[arg-type]


def array_input(values: Sequence[float] | np.ndarray) -> ArrayInput:
    """A current given as an array (A), shape ``(steps,)`` or ``(n, steps)``; a float64 array is not copied."""
    return ArrayInput(values)


#: values an array input's checks read at a time (8 MiB of float64): they never hold a copy of the whole array
SLAB_CELLS = 2**20


def array_slabs(values: np.ndarray) -> list[np.ndarray]:
    """Views of a 1-D or 2-D ``values`` of at most :data:`SLAB_CELLS` values each, together every value once (a
    view whose rows all are one row, ``np.broadcast_to``'s, as that row).  No copy is made."""
    rows = values.reshape(1, -1) if values.ndim == 1 else values
    if rows.shape[0] > 1 and rows.strides[0] == 0:
        rows = rows[:1]
    width = rows.shape[1]
    if width >= SLAB_CELLS:
        return [row[start : start + SLAB_CELLS] for row in rows for start in range(0, width, SLAB_CELLS)]
    step = SLAB_CELLS // max(width, 1)
    return [rows[start : start + step] for start in range(0, rows.shape[0], step)]


def _check_conversion_room(raw: np.ndarray) -> None:
    """Refuse an array whose float64 copy does not fit in the memory available, before it is made."""
    from .memory import available_memory, format_bytes

    needed = 8 * int(raw.size)
    room = available_memory()
    if room is not None and needed > room:
        raise ValueError(
            f"array input: the {raw.dtype} array of shape {raw.shape} is converted to float64 for the run, which "
            f"needs {format_bytes(needed)} of memory, more than the {format_bytes(room)} available; give the "
            "currents (A) as float64 (used without a copy), or fewer of them"
        )


INPUT_KINDS = ("constant", "sine", "uniform", "white", "step", "array")


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return value


def _positive(value: float, name: str, dimension: str) -> float:
    _finite(value, name)
    if value <= 0:
        unit = DISPLAY_UNITS[dimension][0]
        raise ValueError(f"{name}: must be > 0 {unit}, got {format_display(value, dimension)}")
    return value


def sample_current(
    inputs: Input,
    params: LIFParams,
    *,
    n: int = 1,
    steps: int | None = None,
    stream: object = None,
    seed: int = 0,
) -> np.ndarray:
    """The current (A) that ``inputs`` delivers on the grid, shape ``(n, steps)``.

    Draws noise from ``stream`` (default: the counter stream of ``seed``) the
    way the engine does, step by step; for small runs, plots and checks.
    """
    from .streams import CounterStream, StepDraws

    steps = params.steps if steps is None else steps
    stream = CounterStream(seed) if stream is None else stream
    bind_streams(inputs)
    inputs.check(params, n, steps + 1)  # all `steps` columns are evaluated here
    neurons = np.arange(n, dtype=np.uint64)
    out = np.empty((n, steps))
    for k in range(steps):
        draws = StepDraws(stream, k, neurons)  # type: ignore[arg-type]
        out[:, k] = inputs.current(k, k * params.dt, draws, params)
    return out


def from_description(desc: dict, array: np.ndarray | None = None) -> Input:
    """Rebuild an input from :meth:`Input.describe` (the provenance of a saved run).

    ``array``: the values of an array input, which the description does not hold.
    Raises ``ValueError`` for a description lifsim did not write.
    """
    if not isinstance(desc, dict) or "kind" not in desc:
        raise ValueError(f"input: not an input description: {desc!r}")
    kind = desc["kind"]
    try:
        if kind == "sum":
            parts = [from_description(part, array) for part in desc["parts"]]
            return Sum(parts)
        if kind == "modulated":
            terms: list[SineTerm | UniformTerm] = []
            for term in desc["terms"]:
                if term["term"] == "sine":
                    terms.append(SineTerm(float(term["period_s"]), float(term["depth"])))
                elif term["term"] == "uniform":
                    amplitude = term["amplitude"]
                    terms.append(UniformTerm(None if amplitude is None else float(amplitude)))
                else:
                    raise ValueError(f"unknown term {term['term']!r}")
            return Modulated(_optional_float(desc["mean_A"]), tuple(terms))
        if kind == "white":
            return WhiteNoise(float(desc["sigma_V"]), _optional_float(desc["mean_A"]))
        if kind == "step":
            return Step(_optional_float(desc["amplitude_A"]), float(desc["onset_s"]), float(desc["baseline_A"]))
        if kind == "array":
            if array is None:
                raise ValueError("the array input's values are missing")
            return ArrayInput(array)
    except (KeyError, TypeError) as error:
        raise ValueError(f"input: malformed {kind!r} description ({error})") from None
    raise ValueError(f"input: unknown kind {kind!r}")


def _optional_float(value: object) -> float | None:
    """A described mean: a number (A), or None (unset: the run's ``LIFParams.i_mean``)."""
    return None if value is None else float(value)  # type: ignore[arg-type]


#: the input kind that uses each setting of an input: one given for an input without that kind is not used
SETTING_KINDS = {
    "amplitude": "uniform",
    "period": "sine",
    "sigma": "white",
    "onset": "step",
    "depth": "sine",
    "baseline": "step",
    "input_file": "array",
}


def unused_setting(name: str, kind: str) -> str:
    """What to say of the setting ``name`` (a key of :data:`SETTING_KINDS`) given for the input ``kind`` (a kind
    or a sum such as ``"sine+uniform"``) when no part of that input uses it; "" when one does.

    The one rule of which setting applies to which input: :func:`from_kinds` (``lifsim simulate``) refuses such
    a setting, :func:`lifsim.sweep` (``lifsim sweep``) warns that it is ignored.
    """
    user = SETTING_KINDS[name]
    if user in (part.strip() for part in kind.split("+")):
        return ""
    return f"{name}: applies to the input kind {user} only, not {kind!r}"


def from_kinds(
    kind: str,
    i_mean: float | str,
    *,
    amplitude: float | str | None = None,
    period: float | str | None = None,
    sigma: float | str | None = None,
    onset: float | str | None = None,
    array: np.ndarray | None = None,
    depth: float | str | None = None,
    baseline: float | str | None = None,
) -> Input:
    """The input named by ``kind``, one of :data:`INPUT_KINDS` or a sum such as ``"sine+uniform"``.

    ``constant``, ``sine`` and ``uniform`` share the mean: ``sine+uniform`` is
    ``I_mean (1 + sin(2 pi t / period) + A xi)``; ``white`` adds Gaussian white
    noise of strength ``sigma`` (V); ``step`` is 0 before ``onset`` (s) and
    ``I_mean`` after; ``array`` is ``array`` (A).  A setting given for a kind
    that does not use it (``sigma`` without ``white``) is an error, so that no
    value is silently ignored.  This is what ``lifsim simulate --input`` builds.
    """
    if not isinstance(kind, str):
        raise TypeError(f"input: expected an input kind such as 'uniform' or 'sine+uniform', got {kind!r}")
    kinds = [part.strip() for part in kind.split("+")]
    accepted = f"expected {', '.join(INPUT_KINDS)} or a sum such as sine+uniform"
    for part in kinds:
        if part not in INPUT_KINDS:
            raise ValueError(f"input: unknown input kind {part!r} in {kind!r}; {accepted}")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"input: {kind!r} names a kind twice")
    if "step" in kinds and set(kinds) & {"constant", "sine", "uniform", "array"}:
        raise ValueError("input: step (0 before onset, I_mean after) combines only with white")
    if "array" in kinds and set(kinds) & {"constant", "sine", "uniform"}:
        raise ValueError("input: array combines only with white and step")
    given = dict(amplitude=amplitude, period=period, sigma=sigma, onset=onset, depth=depth, baseline=baseline)
    for name, value in (*given.items(), ("input_file", array)):
        if value is not None and (unused := unused_setting(name, kind)):
            raise ValueError(unused)
    if set(kinds) <= {"constant", "white"} and "white" in kinds:
        if sigma is None:
            raise ValueError("sigma: the input kind white needs the noise strength sigma in volts (e.g. 5 mV)")
        return WhiteNoise(sigma, i_mean)  # type: ignore[arg-type]  # what white_noise(i_mean, sigma=...) builds
    parts: list[Input] = []
    terms: list[SineTerm | UniformTerm] = []
    if "sine" in kinds:
        terms.append(SineTerm(10e-3 if period is None else period, 1.0 if depth is None else depth))  # type: ignore[arg-type]
    if "uniform" in kinds:
        terms.append(UniformTerm(amplitude))  # type: ignore[arg-type]
    if terms or "constant" in kinds:
        parts.append(Modulated(i_mean, tuple(terms)))  # type: ignore[arg-type]
    if "step" in kinds:
        parts.append(step(i_mean, 0.0 if onset is None else onset, 0.0 if baseline is None else baseline))
    if "array" in kinds:
        if array is None:
            raise ValueError("input_file: the input kind array needs a current array (A), shape (steps,) or (n, steps)")
        parts.append(array_input(array))
    if "white" in kinds:
        if sigma is None:
            raise ValueError("sigma: the input kind white needs the noise strength sigma in volts (e.g. 5 mV)")
        parts.append(WhiteNoise(sigma, 0.0))  # type: ignore[arg-type]  # the mean is the other part's
    total: Input = parts[0]
    for extra in parts[1:]:
        total = total + extra
    return total


def mean_input_current(inputs: Input, params: LIFParams, steps: int) -> np.ndarray:
    """The ensemble-mean current (A) driving each update, on the grid ``t_k = k dt``, ``k < steps``.

    Entry ``k`` drives the update from ``t_k`` to ``t_{k+1}``; the last entry
    (which drives nothing) is NaN.  Noise averages to zero.
    """
    current = np.full(steps, np.nan)
    if steps > 1:
        current[: steps - 1] = inputs.mean_current_grid(np.arange(steps - 1) * params.dt, params)
    return current


def describe_text(desc: Mapping, params: Mapping | None = None) -> str:
    """A one-line reading of an input description (:meth:`Input.describe`), values in pA, mV, ms.

    ``params`` (SI, as in a result's provenance) resolves the tutorial's default
    noise amplitude to its value.
    """
    kind = desc.get("kind")
    if kind == "sum":
        return " + ".join(describe_text(part, params) for part in desc["parts"])
    if kind == "modulated":
        terms = []
        note = ""
        for term in desc["terms"]:
            if term["term"] == "sine":
                depth = "" if term.get("depth", 1.0) == 1.0 else f"{term['depth']:g} "
                terms.append(f"{depth}sin(2 pi t / {format_display(term['period_s'], 'time')})")
            else:
                amp = term["amplitude"]
                terms.append("A xi")
                tutorial = 0.1 * (params["t_max"] / params["dt"]) ** 0.5 if params else None
                if (amp is None or amp == tutorial) and tutorial is not None:  # a record states it since 2026-12
                    note = f", A = {tutorial:.5g} (the tutorial's 0.1 sqrt(t_max/dt))"
                elif amp is None:
                    note = ", A = the tutorial's 0.1 sqrt(t_max/dt)"
                else:
                    note = f", A = {amp:g}"
        mean = "I_mean" if desc["mean_A"] is None else format_display(desc["mean_A"], "current")
        return mean if not terms else f"{mean} * (1 + {' + '.join(terms)}){note}"
    if kind == "white":
        text = f"white noise sigma {format_display(desc['sigma_V'], 'voltage')}"
        if desc["mean_A"] is None:
            return f"{text} around I_mean"
        return text if desc["mean_A"] == 0 else f"{text} around {format_display(desc['mean_A'], 'current')}"
    if kind == "step":
        base = "" if desc.get("baseline_A", 0.0) == 0 else f" from {format_display(desc['baseline_A'], 'current')}"
        level = "I_mean" if desc["amplitude_A"] is None else format_display(desc["amplitude_A"], "current")
        return f"step{base} to {level} at {format_display(desc['onset_s'], 'time')}"
    if kind == "array":
        return f"array of shape {tuple(desc['shape'])} (A)"
    return str(desc)


def array_values(inputs: Input) -> np.ndarray | None:
    """The values of the (first) array input inside ``inputs``, if any (A)."""
    parts = inputs.parts if isinstance(inputs, Sum) else (inputs,)
    for part in parts:
        if isinstance(part, ArrayInput):
            return part.values
    return None
