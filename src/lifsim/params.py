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

Named profiles (:data:`PROFILES`, :func:`profile`) say where each study
starts: ``tutorial`` is the defaults above; ``study`` runs 1 s at 0.1 ms and is
the default of :func:`lifsim.fi_curve` and :func:`lifsim.sweep` (and so of
``lifsim fi`` and ``lifsim sweep``).  ``lifsim params`` lists them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import named_parameters as _named_parameters
from .units import DT_SLIP, format_display, plain_number_hint, to_si, unit_slips

__all__ = ["LIFParams", "PARAM_UNITS", "PARAM_DOCS", "MAX_STEPS", "PROFILES", "profile", "describe_profiles"]

#: the time grid holds at most MAX_STEPS - 1 steps (the random streams' counters allow 2**31)
MAX_STEPS = 2**31
#: most steps dt a membrane time constant may span (tau / dt): a leak of 1e-12 a step, past any neuron's
MAX_TAU_STEPS = 1e12

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
    "v0": "initial membrane potential V(0)",
    "t_ref": "absolute refractory period",
    "t_ref_std": "std of a per-neuron random refractory period (negatives clipped to 0)",
}


@_named_parameters
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
        (within round-off, 1e-12 relative) unless ``round_steps=True``.
    dt : float
        Time step (s), > 0; forward Euler needs ``dt < tau`` (checked by
        :meth:`check_method` when a run starts), the exact method does not.
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
        Absolute refractory period (s), >= 0; a whole number of steps
        ``dt`` unless ``round_steps=True``.
    t_ref_std : float
        Standard deviation (s) of a per-neuron refractory period drawn once
        per neuron as ``max(0, t_ref + t_ref_std * z)``, ``z ~ N(0, 1)``; 0 means
        every neuron has ``t_ref``.
    round_steps : bool
        Accept a ``t_max`` or ``t_ref`` that is not a whole number of steps,
        rounding to the nearest step (halves up); :meth:`notes` says what was rounded.

    Raises
    ------
    ValueError
        For NaN or infinite values, ``dt <= 0``, ``t_max < dt``, ``tau <= 0``,
        ``r <= 0``, ``vr >= vth``, ``t_ref < 0``, or a ``t_max`` or ``t_ref``
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
    #: V(0) was left to E_L (``v0=None``): :meth:`replace` of ``el`` moves it along, as ``--el`` does
    v0_follows_el: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.round_steps, (bool, np.bool_)):
            raise TypeError(f"round_steps: expected True or False, got {self.round_steps!r}")
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
            object.__setattr__(self, "v0_follows_el", True)
        self._check_values()
        self._check_steps()

    def _show(self, name: str) -> str:
        """The value of the field ``name`` in the field's units (``"20 ms"``, ``"100 MOhm"``)."""
        return format_display(getattr(self, name), PARAM_UNITS[name][0])

    def _check_values(self) -> None:
        """Refuse a time step, time constant or resistance that is not positive, a reset potential not below the
        threshold, or a refractory period below 0."""
        if self.dt <= 0:
            raise ValueError(f"dt: must be > 0 ms, got {self._show('dt')}")
        if self.tau <= 0:
            raise ValueError(f"tau: must be > 0 ms, got {self._show('tau')}")
        if not self.tau / self.dt <= MAX_TAU_STEPS:
            raise ValueError(
                f"tau: {self._show('tau')} is {self.tau / self.dt:.3g} steps dt = {self._show('dt')}; at most "
                f"{MAX_TAU_STEPS:.0e} are supported (a leak dt/tau of less than 1e-12 a step: the theory's logarithms "
                "of 1 - dt/tau lose their digits)"
            )
        if self.r <= 0:
            raise ValueError(f"r: membrane resistance must be > 0 MOhm, got {self._show('r')}")
        if not self.vr < self.vth:
            raise ValueError(self._order_message())
        for name in ("t_ref", "t_ref_std"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0 ms, got {self._show(name)}")

    def _check_steps(self) -> None:
        """Refuse a run or a refractory period that is not a whole number of steps dt (unless rounded), or too
        many of them; a time step that is a slip of units (``--dt 1`` is 1 s) is blamed, with the hint."""
        dt, slip = self._show("dt"), self._dt_slip()
        ratio = self.t_max / self.dt
        if self.t_max < self.dt:
            if slip:
                raise ValueError(f"dt: {dt} is longer than the run (t_max = {self._show('t_max')}){slip}")
            raise ValueError(f"t_max: {self._show('t_max')} must be at least one time step dt = {dt}")
        if not ratio < MAX_STEPS:
            raise ValueError(
                f"t_max: {self._show('t_max')} with dt = {dt} gives {ratio:.3g} steps; "
                f"at most {MAX_STEPS - 1} steps (2**31 - 1) are supported"
            )
        if not self.round_steps and not _whole(ratio):
            what = f"dt: t_max = {self._show('t_max')}" if slip else f"t_max: {self._show('t_max')}"
            raise ValueError(
                f"{what} is not a whole number of steps dt = {dt} ({ratio:.12g} steps); choose t_max = k * dt or "
                f"ask for rounding (round_steps=True, --round-steps){slip}"
            )
        ref_ratio = self.t_ref / self.dt
        if not ref_ratio < MAX_STEPS:
            raise ValueError(
                f"t_ref: {self._show('t_ref')} is {ref_ratio:.3g} steps of dt; at most {MAX_STEPS - 1} are supported"
            )
        if not self.round_steps and not _whole(ref_ratio):
            what = f"dt: t_ref = {self._show('t_ref')}" if slip else f"t_ref: {self._show('t_ref')}"
            raise ValueError(
                f"{what} is not a whole number of steps dt = {dt} ({ref_ratio:.12g} steps); choose t_ref = k * dt or "
                f"ask for rounding (round_steps=True, --round-steps){slip}"
            )
        if not self.t_ref_std / self.dt < MAX_STEPS / 16:
            raise ValueError(
                f"t_ref_std: {self._show('t_ref_std')} is {self.t_ref_std / self.dt:.3g} steps of dt; "
                f"at most {MAX_STEPS // 16} are supported"
            )

    def _dt_slip(self) -> str:
        """What to add to a message about ``dt`` when it is a slip of units: a step of :data:`DT_SLIP` or more
        (``--dt 1`` is a step of 1 s, ``--dt 0.5`` one of 500 ms); "" otherwise."""
        if self.dt < DT_SLIP:
            return ""
        return plain_number_hint(self.dt, "time")

    def check_method(self, method: str) -> None:
        """Raise ValueError if ``method`` cannot integrate with these parameters.

        Forward Euler (``"euler"``) needs ``dt < tau``: for ``dt >= tau`` it
        overshoots and oscillates, and it diverges for ``dt > 2 tau``.  The exact
        update (``"exact"``) is stable for any ``dt``.
        """
        if method == "euler" and self.dt >= self.tau:
            raise ValueError(
                f"dt: {self._show('dt')} must be smaller than tau = {self._show('tau')} for forward Euler "
                "(it overshoots and oscillates for dt >= tau, and diverges for dt > 2 tau); "
                f"method 'exact' is stable for any dt{self._dt_slip()}"
            )

    @property
    def t_ref_simulated(self) -> float:
        """The refractory period (s) a run holds: ``t_ref``, or the whole steps ``round_steps`` rounded it to (the
        theory's rates use this, so a rounded run is compared with the period it ran)."""
        return self.t_ref if _whole(self.t_ref / self.dt) else self.refractory_steps * self.dt

    def rounded(self) -> dict[str, float]:
        """What ``round_steps`` rounded, as the values the run used (s): ``t_max`` (``steps * dt``) and ``t_ref``
        (its whole steps times ``dt``), each only where it was rounded; empty otherwise.  A run's record keeps it
        beside the values asked for, which a rerun takes again (the same rounding)."""
        out = {}
        if not _whole(self.t_max / self.dt):
            out["t_max"] = self.steps * self.dt
        if not _whole(self.t_ref / self.dt):
            out["t_ref"] = self.refractory_steps * self.dt
        return out

    def notes(self) -> list[str]:
        """What ``round_steps`` rounded, in words (empty when nothing was rounded)."""
        out = []
        ratio = self.t_max / self.dt
        if not _whole(ratio):
            out.append(
                f"t_max = {self._show('t_max')} is {ratio:.6g} steps of dt; rounded to {self.steps} time points "
                f"(t_max = {format_display(self.steps * self.dt, 'time')})"
            )
        ref_ratio = self.t_ref / self.dt
        if not _whole(ref_ratio):
            out.append(
                f"t_ref = {self._show('t_ref')} is {ref_ratio:.6g} steps of dt; rounded to {self.refractory_steps} "
                f"steps ({format_display(self.refractory_steps * self.dt, 'time')})"
            )
        return out

    @property
    def steps(self) -> int:
        """Number of grid points ``t_max / dt`` rounded (halves up, as :attr:`refractory_steps`): times
        ``t_k = k dt``, ``k = 0 .. steps-1``."""
        return _halves_up(self.t_max / self.dt)

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
        """Number of steps V is held at V_reset after a spike, ``t_ref / dt`` (halves rounded up)."""
        return _halves_up(self.t_ref / self.dt)

    def plausibility(self) -> list[str]:
        """Values that are valid but far outside the physiological range, each in words.

        A slip of units gives such values (``--tau 20`` is 20 s, ``--el -60`` is -60 V);
        :func:`lifsim.simulate` warns about each one.
        """
        ranges: tuple[tuple[str, float, float, str, str], ...] = (
            ("tau", 1e-4, 1.0, "s", "0.1 ms to 1 s"),
            ("el", -0.2, 0.2, "V", "-200 to 200 mV"),
            ("vr", -0.2, 0.2, "V", "-200 to 200 mV"),
            ("vth", -0.2, 0.2, "V", "-200 to 200 mV"),
            ("v0", -0.2, 0.2, "V", "-200 to 200 mV"),
            ("r", 1e6, 1e10, "Ohm", "1 MOhm to 10 GOhm"),
            ("i_mean", -1e-6, 1e-6, "A", "-1 to 1 uA"),
            ("t_ref", 0.0, 0.1, "s", "0 to 100 ms"),
            ("t_ref_std", 0.0, 0.1, "s", "0 to 100 ms"),
        )
        if self.v0_follows_el:  # V0 is E_L, not a value of its own: one slip, said once (for --el)
            ranges = tuple(entry for entry in ranges if entry[0] != "v0")
        return unit_slips(self, ranges)

    def _order_message(self) -> str:
        """Why ``vr < vth`` fails, naming the one that moved from its default (``--vth -80mV`` was blamed on
        ``--vr``), and the unit slip when a value is volts away from the membrane's millivolts."""
        vr, vth = format_display(self.vr, "voltage"), format_display(self.vth, "voltage")
        defaults = type(self).__dataclass_fields__
        if self.vth != defaults["vth"].default and self.vr == defaults["vr"].default:
            text = f"vth: the threshold {vth} must be above the reset potential vr = {vr} (change vth or vr)"
        else:
            text = (
                f"vr: the reset potential {vr} must be below the threshold vth = {format_display(self.vth, 'voltage')}"
            )
            text += " (change vr or vth)"
        slipped = next((value for value in (self.vth, self.vr) if abs(value) > 1.0), None)
        if slipped is not None:  # a volt or more: a value in mV written as a plain number (the one typed)
            text += plain_number_hint(slipped, "voltage")
        return text

    def replace(self, **changes: object) -> LIFParams:
        """Return a copy with some fields changed (values may carry units).

        A ``v0`` that was left to ``E_L`` stays ``E_L``: ``LIFParams().replace(el="-70 mV").v0`` is -70 mV, as
        ``LIFParams(el="-70 mV")`` and ``--el -70mV`` (it kept -60 mV, so a sweep over ``el`` started every point
        at the old ``E_L``)."""
        if self.v0_follows_el and "v0" not in changes:
            changes["v0"] = None
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float]:
        """The parameters as a plain ``{name: SI float}`` dict."""
        return {name: float(getattr(self, name)) for name in PARAM_UNITS}

    def describe(self) -> str:
        """A human-readable table of the parameters with units."""
        lines = []
        for name, (dimension, unit) in PARAM_UNITS.items():
            value = getattr(self, name)
            lines.append(f"{name:<9} = {format_display(value, dimension):<12} ({value!r} {unit}) {PARAM_DOCS[name]}")
        return "\n".join(lines)


#: the round-off a ratio of two durations may carry (relative): a few ulp of each and of the division, with a
#: margin of a thousand; 1e-9 reached half a step at 5e8 steps, where 1e9 + 0.5 steps passed for a whole number
ROUND_OFF = 1e-12


def _halves_up(ratio: float) -> int:
    """``ratio`` rounded to a whole number, a half (up to round-off, :data:`ROUND_OFF`: 0.1025 / 0.001 is
    102.49999999999999) rounded up, so that ``--round-steps`` rounds ``t_max`` and ``t_ref`` alike."""
    below = math.floor(ratio)
    if abs(ratio - below - 0.5) <= ROUND_OFF * max(1.0, abs(ratio)):
        return int(below) + 1
    return int(math.floor(ratio + 0.5))


def _whole(ratio: float) -> bool:
    """``ratio`` is a whole number up to round-off (:data:`ROUND_OFF`)."""
    return abs(ratio - round(ratio)) <= ROUND_OFF * max(1.0, abs(ratio))


#: named starting points (SI): the fields each changes from the tutorial's defaults.  ``tutorial``
#: (150 ms at 1 ms) is where :func:`lifsim.simulate`, ``lifsim simulate`` and the tutorials start;
#: ``study`` (1 s at 0.1 ms: long enough for stationary rates, fine enough for the theory) is the
#: default of :func:`lifsim.fi_curve` and :func:`lifsim.sweep`, as of ``lifsim fi`` and ``lifsim sweep``
PROFILES: dict[str, dict[str, float]] = {
    "tutorial": {},
    "study": {"t_max": 1.0, "dt": 1e-4},
}
#: what each profile serves, for ``lifsim params``
PROFILE_USES = {
    "tutorial": "lifsim.simulate, lifsim simulate, lifsim tutorial",
    "study": "lifsim.fi_curve, lifsim.sweep, lifsim fi, lifsim sweep",
}


def profile(name: str = "tutorial", **changes: object) -> LIFParams:
    """The parameters of the profile ``name`` (:data:`PROFILES`), with ``changes`` (values may carry units).

    ``profile("study", tau="10 ms")`` is what ``lifsim fi --tau 10ms`` runs.
    """
    if name not in PROFILES:
        raise ValueError(f"profile: expected one of {', '.join(PROFILES)}, got {name!r}")
    return LIFParams(**{**PROFILES[name], **changes})  # type: ignore[arg-type]


def describe_profiles() -> str:
    """One line per profile: its name, the fields it sets (display units) and who starts from it."""
    lines = []
    for name in PROFILES:
        base = profile(name)
        text = ", ".join(
            f"{field} = {format_display(getattr(base, field), PARAM_UNITS[field][0])}"
            for field in dict.fromkeys(("t_max", "dt", *PROFILES[name]))
        )
        lines.append(f"{name:<9} {text:<28} {PROFILE_USES[name]}")
    return "\n".join(lines)
