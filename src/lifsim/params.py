"""LIF parameters: one validated, immutable object in SI units.

The defaults are the tutorial's (``spec/lif-neuron-part-1.md``, exercise 1)::

    t_max = 150e-3   # s
    dt = 1e-3        # s
    tau = 20e-3      # s
    el = -60e-3      # V
    vr = -70e-3      # V
    vth = -50e-3     # V
    r = 100e6        # Ohm
    i_mean = 25e-11  # A
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .units import format_si, to_si

__all__ = ["LIFParams", "PARAM_UNITS", "PARAM_DOCS", "MAX_STEPS"]

#: the time grid holds at most MAX_STEPS - 1 steps (the random streams' counters allow 2**31)
MAX_STEPS = 2**31

#: parameter name -> (dimension, SI unit symbol)
PARAM_UNITS: dict[str, tuple[str, str]] = {
    "t_max": ("time", "s"),
    "dt": ("time", "s"),
    "tau": ("time", "s"),
    "el": ("voltage", "V"),
    "vr": ("voltage", "V"),
    "vth": ("voltage", "V"),
    "r": ("resistance", "Ohm"),
    "i_mean": ("current", "A"),
    "v0": ("voltage", "V"),
    "t_ref": ("time", "s"),
    "t_ref_std": ("time", "s"),
}

PARAM_DOCS: dict[str, str] = {
    "t_max": "duration of the run",
    "dt": "time step",
    "tau": "membrane time constant tau_m",
    "el": "leak (resting) potential E_L",
    "vr": "reset potential V_reset",
    "vth": "firing threshold V_th",
    "r": "membrane resistance R",
    "i_mean": "mean input current I_mean",
    "v0": "initial membrane potential V(0) (default E_L)",
    "t_ref": "absolute refractory period",
    "t_ref_std": "std of a per-neuron random refractory period (negatives clipped to 0)",
}


@dataclass(frozen=True)
class LIFParams:
    """Parameters of a leaky integrate-and-fire neuron, in SI units.

    ``tau_m dV/dt = E_L - V + R I(t)`` while ``V <= V_th``; when V crosses
    ``V_th`` it is reset to ``V_reset`` and held there for ``t_ref``.

    Every field accepts an SI float or a string with a unit (``"20 ms"``,
    ``"-60 mV"``, ``"250 pA"``, ``"100 MOhm"``); it is stored as an SI float.

    Parameters
    ----------
    t_max : float
        Duration of the run (s). Must be a whole number of steps ``dt``
        (within 1e-9 relative) unless ``round_steps=True``.
    dt : float
        Time step (s); ``0 < dt < tau`` (forward Euler is unstable, and
        oscillates, for ``dt >= tau``).
    tau : float
        Membrane time constant (s), > 0.
    el, vr, vth : float
        Leak potential, reset potential and threshold (V); ``vr < vth``.
    r : float
        Membrane resistance (Ohm), > 0.
    i_mean : float
        Mean input current (A).
    v0 : float or None
        Initial potential (V); None means ``el``.
    t_ref : float
        Absolute refractory period (s), >= 0.
    t_ref_std : float
        Standard deviation (s) of a per-neuron refractory period drawn once
        per neuron as ``max(0, t_ref + t_ref_std * z)``, ``z ~ N(0, 1)``; 0 means
        every neuron has ``t_ref``.
    round_steps : bool
        Accept a ``t_max`` that is not a whole number of steps, rounding the
        number of steps to the nearest integer.

    Raises
    ------
    ValueError
        For NaN or infinite values, ``dt <= 0``, ``t_max < dt``, ``tau <= 0``,
        ``dt >= tau``, ``r <= 0``, ``vr >= vth``, ``t_ref < 0`` or a ``t_max``
        that is not a whole number of steps.
    """

    t_max: float = 150e-3
    dt: float = 1e-3
    tau: float = 20e-3
    el: float = -60e-3
    vr: float = -70e-3
    vth: float = -50e-3
    r: float = 100e6
    i_mean: float = 25e-11
    v0: float = None  # type: ignore[assignment]  # None means E_L
    t_ref: float = 0.0
    t_ref_std: float = 0.0
    round_steps: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        for name, (dimension, _unit) in PARAM_UNITS.items():
            value = getattr(self, name)
            if value is None and name == "v0":
                continue
            value = to_si(value, dimension, name)
            if not math.isfinite(value):
                raise ValueError(f"{name}: must be a finite number, got {value!r}")
            object.__setattr__(self, name, value)
        if self.v0 is None:
            object.__setattr__(self, "v0", self.el)
        if self.dt <= 0:
            raise ValueError(f"dt: must be > 0 s, got {self.dt!r}")
        if self.tau <= 0:
            raise ValueError(f"tau: must be > 0 s, got {self.tau!r}")
        if self.dt >= self.tau:
            raise ValueError(
                f"dt: {self.dt!r} s must be smaller than tau = {self.tau!r} s "
                "(forward Euler overshoots and oscillates for dt >= tau, and diverges for dt > 2 tau)"
            )
        if self.t_max < self.dt:
            raise ValueError(f"t_max: {self.t_max!r} s must be at least one time step dt = {self.dt!r} s")
        if self.r <= 0:
            raise ValueError(f"r: membrane resistance must be > 0 Ohm, got {self.r!r}")
        if not self.vr < self.vth:
            raise ValueError(f"vr: reset potential {self.vr!r} V must be below the threshold vth = {self.vth!r} V")
        if self.t_ref < 0:
            raise ValueError(f"t_ref: must be >= 0 s, got {self.t_ref!r}")
        if self.t_ref_std < 0:
            raise ValueError(f"t_ref_std: must be >= 0 s, got {self.t_ref_std!r}")
        ratio = self.t_max / self.dt
        if not ratio < MAX_STEPS:
            raise ValueError(
                f"t_max: {self.t_max!r} s with dt = {self.dt!r} s gives {ratio:.3g} steps; "
                f"at most {MAX_STEPS - 1} steps (2**31 - 1) are supported"
            )
        if not self.round_steps and abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio):
            raise ValueError(
                f"t_max: {self.t_max!r} s is not a whole number of steps dt = {self.dt!r} s "
                f"({ratio:.6g} steps); choose t_max = k * dt or ask for rounding (round_steps=True, --round-steps)"
            )

    @property
    def steps(self) -> int:
        """Number of grid points ``round(t_max / dt)``: times ``t_k = k dt``, ``k = 0 .. steps-1``."""
        return int(round(self.t_max / self.dt))

    @property
    def alpha(self) -> float:
        """The Euler factor ``a = dt / tau`` (dimensionless)."""
        return self.dt / self.tau

    @property
    def mu(self) -> float:
        """Free membrane's steady state ``E_L + R I_mean`` (V)."""
        return self.el + self.r * self.i_mean

    @property
    def refractory_steps(self) -> int:
        """Number of steps V is held at V_reset after a spike, ``round(t_ref / dt)``."""
        return int(round(self.t_ref / self.dt))

    def replace(self, **changes: object) -> LIFParams:
        """Return a copy with some fields changed (values may carry units)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float]:
        """The parameters as a plain ``{name: SI float}`` dict."""
        return {name: float(getattr(self, name)) for name in PARAM_UNITS}

    def describe(self) -> str:
        """A human-readable table of the parameters with units."""
        lines = []
        for name, (_dimension, unit) in PARAM_UNITS.items():
            value = getattr(self, name)
            lines.append(f"{name:<7} = {format_si(value, unit):<14} ({value!r} {unit}) {PARAM_DOCS[name]}")
        return "\n".join(lines)
