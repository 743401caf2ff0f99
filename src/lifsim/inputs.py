"""Input currents I(t), in amperes.

An input is evaluated step by step: at step ``k`` (time ``t_k = k dt``) it
returns the current that drives the update from ``v[k]`` to ``v[k+1]``, a
scalar or one value per neuron.  Inputs combine with ``+``.

* ``constant(I)``: ``I``;
* ``sine(I_mean, period)``: ``I_mean * (1 + sin((t * 2 pi) / period))`` (tutorial ex. 2);
* ``uniform_noise(I_mean, A)``: ``I_mean * (1 + A * xi)``, ``xi ~ U(-1, 1)`` drawn per
  neuron per step (tutorial ex. 7); ``A`` defaults to the tutorial's ``0.1 * sqrt(t_max / dt)``;
* ``modulated(I_mean, terms)``: ``I_mean * (1 + term_1 + term_2 ...)``: the sinusoid and the
  uniform noise as terms around one mean;
* ``white_noise(sigma, I_mean=0)``: Gaussian white noise given as its effect on the membrane,
  ``tau dV/dt = ... + sigma sqrt(tau) xi(t)`` (sigma in V); on the grid
  ``I_k = I_mean + (sigma / R) sqrt(tau / dt) z_k``, ``z_k ~ N(0, 1)``, so that forward Euler
  is Euler-Maruyama;
* ``step(amplitude, onset, baseline=0)``: ``amplitude`` for ``t >= onset``, else ``baseline``;
* ``array_input(values)``: a user array of shape ``(steps,)`` or ``(n, steps)``.

The expressions keep the tutorial's floating-point operation order, so that
lifsim reproduces the tutorial's numbers bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .params import LIFParams
from .units import to_si

__all__ = [
    "Input",
    "Draws",
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
]


class Draws(Protocol):
    """Random numbers of one step for the neurons being simulated."""

    def uniform(self, stream: int) -> np.ndarray: ...  # U(0, 1), shape (n,)

    def normal(self, stream: int) -> np.ndarray: ...  # N(0, 1), shape (n,)


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

    def __repr__(self) -> str:
        return f"<lifsim input: {describe_text(self.describe())}>"

    def without_white(self) -> Input | None:
        """This input less its white-noise parts (None if nothing is left)."""
        return self

    def white_parts(self) -> list[WhiteNoise]:
        """The white-noise parts of this input."""
        return []

    def __add__(self, other: Input) -> Sum:
        if not isinstance(other, Input):
            return NotImplemented
        left = self.parts if isinstance(self, Sum) else (self,)
        right = other.parts if isinstance(other, Sum) else (other,)
        return Sum(tuple(left) + tuple(right))


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

    mean: float
    terms: tuple[SineTerm | UniformTerm, ...] = ()

    def __post_init__(self) -> None:
        self.mean = _finite(to_si(self.mean, "current", "i_mean"), "i_mean")
        # deterministic terms first, then the noise: 1 + sin + A xi, one fixed order of
        # additions that every engine follows (the sum's order decides its last bit)
        self.terms = tuple(sorted(self.terms, key=lambda term: isinstance(term, UniformTerm)))
        for term in self.terms:
            if isinstance(term, SineTerm):
                term.period = _positive(to_si(term.period, "time", "period"), "period", "s")
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

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        for term in self.terms:
            if isinstance(term, SineTerm) and term.period < 2 * params.dt:
                raise ValueError(
                    f"period: {term.period!r} s is shorter than two time steps (2 dt = {2 * params.dt!r} s); "
                    "the grid cannot represent the sinusoid"
                )

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        if not self.terms:
            return self.mean
        total: float | np.ndarray = 1
        for term in self.terms:
            if isinstance(term, SineTerm):
                total = total + term.value(t)
            else:
                total = total + term.value_from(draws.uniform(term.stream), params)
        return self.mean * total

    def mean_current(self, t: float, params: LIFParams) -> float:
        total = 1.0
        for term in self.terms:
            if isinstance(term, SineTerm):
                total += term.value(t)
        return self.mean * total

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        if not any(isinstance(term, SineTerm) for term in self.terms):
            return np.full(len(t), self.mean * 1.0)
        return super().mean_current_grid(t, params)

    def deterministic_values(self, t: np.ndarray) -> np.ndarray:
        """The sinusoid part ``1 + sine terms`` (dimensionless) at times ``t`` (s), as :meth:`current` adds it."""
        total = np.ones(len(t))
        for term in self.terms:
            if isinstance(term, SineTerm):
                total = total + term.values(t)
        return total

    def describe(self) -> dict[str, object]:
        return {"kind": "modulated", "mean_A": self.mean, "terms": [term.describe() for term in self.terms]}


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
    mean: float = 0.0

    def __post_init__(self) -> None:
        self.sigma = _finite(to_si(self.sigma, "voltage", "sigma"), "sigma")
        if self.sigma < 0:
            raise ValueError(f"sigma: must be >= 0 V, got {self.sigma!r}")
        self.mean = _finite(to_si(self.mean, "current", "i_mean"), "i_mean")

    def noise_terms(self) -> list[NoiseTerm]:
        return [self]

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        scale = self.sigma / params.r * math.sqrt(params.tau / params.dt)
        return self.mean + scale * draws.normal(self.stream)

    def mean_current(self, t: float, params: LIFParams) -> float:
        return self.mean

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        return np.full(len(t), self.mean)

    def without_white(self) -> Input | None:
        return Modulated(self.mean) if self.mean != 0.0 else None

    def white_parts(self) -> list[WhiteNoise]:
        return [self]

    def describe(self) -> dict[str, object]:
        return {"kind": "white", "sigma_V": self.sigma, "mean_A": self.mean, "stream": self.stream}


@dataclass(repr=False)
class Step(Input):
    """``amplitude`` (A) for ``t >= onset`` (s), ``baseline`` (A) before."""

    amplitude: float
    onset: float = 0.0
    baseline: float = 0.0

    def __post_init__(self) -> None:
        self.amplitude = _finite(to_si(self.amplitude, "current", "amplitude"), "amplitude")
        self.onset = _finite(to_si(self.onset, "time", "onset"), "onset")
        self.baseline = _finite(to_si(self.baseline, "current", "baseline"), "baseline")

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float:
        return self.amplitude if t >= self.onset else self.baseline

    def mean_current(self, t: float, params: LIFParams) -> float:
        return self.amplitude if t >= self.onset else self.baseline

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        return np.where(np.asarray(t) >= self.onset, self.amplitude, self.baseline)

    def describe(self) -> dict[str, object]:
        return {"kind": "step", "amplitude_A": self.amplitude, "onset_s": self.onset, "baseline_A": self.baseline}


class ArrayInput(Input):
    """A user-given current array (A): shape ``(steps,)`` or ``(n, steps)``.

    Column ``k`` drives the update from ``v[k]`` to ``v[k+1]``; the last column
    is not needed (``steps - 1`` columns suffice).
    """

    def __init__(self, values: Sequence[float] | np.ndarray) -> None:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iuf" or raw.dtype == np.float16:
            expected = "currents as real numbers (A, float32 or float64)"
            raise ValueError(f"array input: expected {expected}, got an array of dtype {raw.dtype}")
        array = raw.astype(np.float64)
        if array.ndim not in (1, 2) or array.shape[-1] == 0:
            raise ValueError(f"array input: expected shape (steps,) or (n, steps), got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError("array input: contains NaN or infinite values")
        self.values = array

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        if self.values.shape[-1] < steps - 1:
            raise ValueError(
                f"array input: has {self.values.shape[-1]} time points, the run needs at least {steps - 1}"
            )
        if self.values.ndim == 2 and self.values.shape[0] != n:
            raise ValueError(f"array input: has {self.values.shape[0]} rows, the run has n = {n} neurons")

    def current(self, k: int, t: float, draws: Draws, params: LIFParams) -> float | np.ndarray:
        return self.values[..., k]

    def mean_current(self, t: float, params: LIFParams) -> float:
        k = int(round(t / params.dt))
        return float(np.mean(self.values[..., k]))

    def mean_current_grid(self, t: np.ndarray, params: LIFParams) -> np.ndarray:
        k = np.rint(np.asarray(t) / params.dt).astype(np.int64)
        columns = self.values[..., k]
        return np.asarray(columns if columns.ndim == 1 else np.mean(columns, axis=0), dtype=np.float64)

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
        self.parts = tuple(parts)

    def noise_terms(self) -> list[NoiseTerm]:
        return [term for part in self.parts for term in part.noise_terms()]

    def check(self, params: LIFParams, n: int, steps: int) -> None:
        for part in self.parts:
            part.check(params, n, steps)

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

    def describe(self) -> dict[str, object]:
        return {"kind": "sum", "parts": [part.describe() for part in self.parts]}


def bind_streams(inputs: Input) -> int:
    """Number the stochastic terms of ``inputs`` 0, 1, ...; return how many there are."""
    terms = inputs.noise_terms()
    if len({id(term) for term in terms}) != len(terms):
        raise ValueError("inputs: the same noise term object appears twice; create one per use")
    for number, term in enumerate(terms):
        term.stream = number
    return len(terms)


# ---------------------------------------------------------------- factories


def constant(value: float | str) -> Modulated:
    """Constant current ``value`` (A, or a string like ``"250 pA"``)."""
    return Modulated(value)  # type: ignore[arg-type]


def sine(mean: float | str, period: float | str = 10e-3, depth: float = 1.0) -> Modulated:
    """Sinusoid ``mean * (1 + depth * sin(2 pi t / period))``; mean in A, period in s."""
    return Modulated(mean, (SineTerm(period, depth),))  # type: ignore[arg-type]


def uniform_noise(mean: float | str, amplitude: float | None = None) -> Modulated:
    """The tutorial's random input ``mean * (1 + A xi)``, ``xi ~ U(-1, 1)``.

    ``amplitude=None`` uses the tutorial's ``A = 0.1 sqrt(t_max / dt)``.
    """
    return Modulated(mean, (UniformTerm(amplitude),))  # type: ignore[arg-type]


def modulated(mean: float | str, terms: Sequence[SineTerm | UniformTerm]) -> Modulated:
    """``mean * (1 + sum of terms)`` (A), e.g. a sinusoid with uniform noise on top."""
    return Modulated(mean, tuple(terms))  # type: ignore[arg-type]


def white_noise(sigma: float | str, mean: float | str = 0.0) -> WhiteNoise:
    """Gaussian white noise of strength ``sigma`` (V) around the current ``mean`` (A)."""
    return WhiteNoise(sigma, mean)  # type: ignore[arg-type]


def step(amplitude: float | str, onset: float | str = 0.0, baseline: float | str = 0.0) -> Step:
    """Step current: ``baseline`` (A) before ``onset`` (s), ``amplitude`` (A) after."""
    return Step(amplitude, onset, baseline)  # type: ignore[arg-type]


def array_input(values: Sequence[float] | np.ndarray) -> ArrayInput:
    """A current given as an array (A), shape ``(steps,)`` or ``(n, steps)``."""
    return ArrayInput(values)


INPUT_KINDS = ("constant", "sine", "uniform", "white", "step", "array")


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return value


def _positive(value: float, name: str, unit: str) -> float:
    _finite(value, name)
    if value <= 0:
        raise ValueError(f"{name}: must be > 0 {unit}, got {value!r}")
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
            return Modulated(float(desc["mean_A"]), tuple(terms))
        if kind == "white":
            return WhiteNoise(float(desc["sigma_V"]), float(desc["mean_A"]))
        if kind == "step":
            return Step(float(desc["amplitude_A"]), float(desc["onset_s"]), float(desc["baseline_A"]))
        if kind == "array":
            if array is None:
                raise ValueError("the array input's values are missing")
            return ArrayInput(array)
    except (KeyError, TypeError) as error:
        raise ValueError(f"input: malformed {kind!r} description ({error})") from None
    raise ValueError(f"input: unknown kind {kind!r}")


def from_kinds(
    kind: str,
    i_mean: float | str,
    *,
    amplitude: float | str | None = None,
    period: float | str | None = None,
    sigma: float | str | None = None,
    onset: float | str | None = None,
    array: np.ndarray | None = None,
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
    for name, value, user in (
        ("amplitude", amplitude, "uniform"),
        ("period", period, "sine"),
        ("sigma", sigma, "white"),
        ("onset", onset, "step"),
        ("input_file", array, "array"),
    ):
        if value is not None and user not in kinds:
            raise ValueError(f"{name}: applies to the input kind {user} only, not {kind!r}")
    parts: list[Input] = []
    terms: list[SineTerm | UniformTerm] = []
    if "sine" in kinds:
        terms.append(SineTerm(10e-3 if period is None else period))  # type: ignore[arg-type]
    if "uniform" in kinds:
        terms.append(UniformTerm(amplitude))  # type: ignore[arg-type]
    if terms or "constant" in kinds or kinds == ["white"]:
        parts.append(Modulated(i_mean, tuple(terms)))  # type: ignore[arg-type]
    if "step" in kinds:
        parts.append(step(i_mean, 0.0 if onset is None else onset))
    if "array" in kinds:
        if array is None:
            raise ValueError("input_file: the input kind array needs a current array (A), shape (steps,) or (n, steps)")
        parts.append(array_input(array))
    if "white" in kinds:
        if sigma is None:
            raise ValueError("sigma: the input kind white needs the noise strength sigma in volts (e.g. 5 mV)")
        parts.append(white_noise(sigma))
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
                terms.append(f"{depth}sin(2 pi t / {term['period_s'] * 1e3:g} ms)")
            else:
                amp = term["amplitude"]
                terms.append("A xi")
                if amp is None and params:
                    note = (
                        f", A = {0.1 * (params['t_max'] / params['dt']) ** 0.5:.5g} (the tutorial's 0.1 sqrt(t_max/dt))"
                    )
                elif amp is None:
                    note = ", A = the tutorial's 0.1 sqrt(t_max/dt)"
                else:
                    note = f", A = {amp:g}"
        mean = f"{desc['mean_A'] * 1e12:g} pA"
        return mean if not terms else f"{mean} * (1 + {' + '.join(terms)}){note}"
    if kind == "white":
        text = f"white noise sigma {desc['sigma_V'] * 1e3:g} mV"
        return text if desc["mean_A"] == 0 else f"{text} around {desc['mean_A'] * 1e12:g} pA"
    if kind == "step":
        base = "" if desc.get("baseline_A", 0.0) == 0 else f" from {desc['baseline_A'] * 1e12:g} pA"
        return f"step{base} to {desc['amplitude_A'] * 1e12:g} pA at {desc['onset_s'] * 1e3:g} ms"
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
