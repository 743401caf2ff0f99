"""Brunel's (2000) model A: the parameters of a sparse excitatory-inhibitory network, validated, in SI units.

``N_E`` excitatory and ``N_I = N_E / 4`` inhibitory LIF neurons (``tau dV/dt = E_L - V`` between
inputs).  Every neuron receives exactly ``C_E = eps N_E`` excitatory and ``C_I = eps N_I``
inhibitory connections from presynaptic neurons drawn at random, self-connections and repeated
connections allowed (NEST's ``fixed_indegree`` defaults).  A spike of an excitatory neuron makes
the potential of each target jump by ``J`` after the delay ``D``; an inhibitory one by ``-g J``.
Each neuron also receives ``C_E`` independent Poisson inputs of weight ``J`` and rate
``nu_ext = eta nu_thr``, ``nu_thr = (V_th - E_L) / (J C_E tau)`` (the external rate that brings
the mean input to threshold).  The defaults are those of Brunel's Fig. 8 (the AI state needs
``g = 5, eta = 2``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ..errors import PlausibilityWarning, named_parameters, user_stacklevel
from ..seeds import check_seed
from ..units import DT_SLIP, format_display, plain_number_hint, to_si, unit_slips

__all__ = [
    "BrunelParams",
    "NETWORK_PARAM_UNITS",
    "NETWORK_SUFFIXES",
    "SWEEPABLE_DIMENSIONS",
    "STATES",
    "RateWarning",
    "estimate_memory",
]

#: the files a network result is written to (lifsim.network.result; the CLI's --data): reloadable .nc, .zarr and
#: .npz, the per-step population rates as .csv, and NWB 2 (extra lifsim[nwb]; read with pynwb)
NETWORK_SUFFIXES = (".nc", ".zarr", ".npz", ".csv", ".nwb")
#: the engines a network runs on ("auto": numba where installed); the neuron engines' cuda is not one of them
NETWORK_ENGINES = ("auto", "numpy", "numba")

#: field -> (dimension, SI unit); the others are dimensionless
NETWORK_PARAM_UNITS: dict[str, tuple[str, str]] = {
    "j": ("voltage", "V"),
    "delay": ("time", "s"),
    "tau": ("time", "s"),
    "el": ("voltage", "V"),
    "vth": ("voltage", "V"),
    "vr": ("voltage", "V"),
    "t_ref": ("time", "s"),
    "t_max": ("time", "s"),
    "dt": ("time", "s"),
}

#: the names a network sweep's grid may hold (lifsim.network.sweep), and their dimension
SWEEPABLE_DIMENSIONS = {
    **{name: "dimensionless" for name in ("g", "eta", "epsilon", "n_exc")},
    **{name: dim for name, (dim, _unit) in NETWORK_PARAM_UNITS.items() if name not in ("t_max", "dt")},
}

#: Brunel's (2000) Fig. 8 example states as (g, eta), marked on the phase diagram
STATES = {"SR": (3.0, 2.0), "SI fast": (6.0, 4.0), "AI": (5.0, 2.0), "SI slow": (4.5, 0.9)}

#: the largest relative inhibition g and synaptic weight J (V) accepted: far beyond Brunel's states (g 3 to 8,
#: J 0.1 mV), and where the mean-field theory and the run's float32 inputs stay finite (g 1e200 overflowed, 1e20
#: failed the theory's quadrature, J 1e300 V overflowed)
MAX_G = 1e4
MAX_J = 1.0

#: the largest mean external count per neuron and step that the Poisson sampler's table accepts
MAX_LAMBDA = 500.0

#: the most steps a run, a delay or a refractory period may span (steps and neurons are int32 in the engines)
MAX_STEPS = 2**31


class RateWarning(PlausibilityWarning):
    """The theory's rate reaches 1/t_ref (90% of it): the network saturates (it is not a bug)."""


def _count(n: int) -> str:
    """A whole number as a message shows it: ``12,500``; ``1e+400`` for one of more than 15 digits (not its
    digits: ``--n-exc 1e400`` printed 401 of them)."""
    digits = str(abs(n))
    if len(digits) <= 15:
        return f"{n:,}"
    mantissa = f"{digits[0]}.{digits[1:4]}".rstrip("0").rstrip(".")
    return f"{'-' if n < 0 else ''}{mantissa}e+{len(digits) - 1}"


def _steps(value: float, dt: float, name: str, slip: str = "") -> int:
    """``value / dt`` as an int when it is a whole number of steps (1e-9 relative) and fewer than
    :data:`MAX_STEPS`, else ValueError; ``slip`` (the unit hint of a time step that is a slip of units) blames dt."""
    ratio = value / dt
    shown, step = format_display(value, "time"), format_display(dt, "time")
    if not ratio < MAX_STEPS:  # said as a number of steps, not the 300 digits of int(1.2e300)
        raise ValueError(
            f"{name}: {shown} is {ratio:.3g} steps of dt = {step}; at most {MAX_STEPS - 1:,} (2**31 - 1) are supported"
        )
    steps = round(ratio)
    if abs(ratio - steps) > 1e-9 * max(1.0, abs(ratio)):
        if slip:
            raise ValueError(f"dt: {name} = {shown} is not a whole number of time steps dt = {step}{slip}")
        raise ValueError(
            f"{name}: {shown} is not a whole number of time steps dt = {step}; choose a dt that divides it (or a "
            f"{name} that is a multiple of dt)"
        )
    return int(steps)


@named_parameters
@dataclass(frozen=True)
class BrunelParams:
    """Brunel (2000) model A network, SI units inside; strings with units accepted (``"1.5 ms"``).

    Parameters
    ----------
    n_exc : int
        Number of excitatory neurons N_E (default 10,000); N_I = N_E // 4 (``n_inh``).
    epsilon : float
        Connection probability eps in (0, 1]: C_E = round(eps N_E), C_I = round(eps N_I).
    j : float
        Excitatory synaptic weight J (V), default 0.1 mV; inhibitory weight is ``-g J``.
    g : float
        Relative strength of inhibition, >= 0.
    eta : float
        External rate relative to threshold rate, ``nu_ext = eta nu_thr``, >= 0.
    delay : float
        Synaptic delay D (s), default 1.5 ms: a whole number (>= 1) of steps dt.
    tau, el, vth, vr, t_ref : float
        Membrane time constant (s), resting potential E_L, threshold V_th, reset V_r (V), absolute
        refractory period (s, a whole number of steps). Defaults 20 ms, 0, 20 mV, 10 mV, 2 ms.
    t_max, dt : float
        Simulated time (s, a whole number of steps, default 1.2 s) and time step (s, 0.1 ms).
    seed : int
        Seed of the counter stream (connectivity, initial V, external drive), 0 to 2**128 - 1 as a run's
        (a sweep's seed, at most 2**96 - 1, gives its points' seeds).

    Raises
    ------
    ValueError
        One line naming the bad value and what is accepted.
    """

    n_exc: int = 10_000
    epsilon: float = 0.1
    j: float = 0.1e-3
    g: float = 5.0
    eta: float = 2.0
    delay: float = 1.5e-3
    tau: float = 20e-3
    el: float = 0.0
    vth: float = 20e-3
    vr: float = 10e-3
    t_ref: float = 2e-3
    t_max: float = 1.2
    dt: float = 0.1e-3
    seed: int = 0
    # derived (not arguments)
    n_inh: int = field(init=False)
    c_exc: int = field(init=False)
    c_inh: int = field(init=False)
    steps: int = field(init=False)
    delay_steps: int = field(init=False)
    ref_steps: int = field(init=False)

    def __post_init__(self) -> None:
        for name, (dimension, _unit) in NETWORK_PARAM_UNITS.items():
            value = to_si(getattr(self, name), dimension, name)
            if not math.isfinite(value):
                raise ValueError(f"{name}: must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in ("epsilon", "g", "eta"):
            value = to_si(getattr(self, name), "dimensionless", name)
            if not math.isfinite(value):
                raise ValueError(f"{name}: must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if isinstance(self.n_exc, bool) or not isinstance(self.n_exc, (int, np.integer)):
            raise TypeError(f"n_exc: expected an integer, got {self.n_exc!r}")
        object.__setattr__(self, "n_exc", int(self.n_exc))
        object.__setattr__(self, "seed", check_seed(self.seed))  # the rule of lifsim.simulate's seeds
        if self.n_exc < 4:
            raise ValueError(
                f"n_exc: the network needs at least 4 excitatory neurons (N_I = N_E/4), got {_count(self.n_exc)}"
            )
        if self.n_exc > 2**31 // 2:
            raise ValueError(f"n_exc: at most {2**30:,} neurons (int32 indices), got {_count(self.n_exc)}")
        if not 0.0 < self.epsilon <= 1.0:
            raise ValueError(f"epsilon: the connection probability must be in (0, 1], got {self.epsilon!r}")
        if not 0 <= self.g <= MAX_G:
            raise ValueError(f"g: the relative inhibition must be in [0, {MAX_G:g}], got {self.g!r}")
        if self.eta < 0:
            raise ValueError(f"eta: the relative external rate must be >= 0, got {self.eta!r}")
        if not 0 < self.j <= MAX_J:
            raise ValueError(
                f"j: the synaptic weight must be in (0, {MAX_J:g} V] ({MAX_J * 1e3:g} mV; 0.1 mV is Brunel's), "
                f"got {format_display(self.j, 'voltage')}"
            )
        if self.dt <= 0:
            raise ValueError(f"dt: must be > 0 ms, got {format_display(self.dt, 'time')}")
        if self.tau <= 0:
            raise ValueError(f"tau: must be > 0 ms, got {format_display(self.tau, 'time')}")
        if not self.el <= self.vr < self.vth:
            raise ValueError(self._order_message())
        if self.t_ref < 0:
            raise ValueError(f"t_ref: must be >= 0 ms, got {format_display(self.t_ref, 'time')}")
        self._check_steps()
        object.__setattr__(self, "n_inh", self.n_exc // 4)
        object.__setattr__(self, "c_exc", max(1, round(self.epsilon * self.n_exc)))
        object.__setattr__(self, "c_inh", max(1, round(self.epsilon * self.n_inh)))
        if self.lam > MAX_LAMBDA:
            slips = [text for text in self.plausibility() if text.split(":")[0] in ("j", "tau", "vth", "el")]
            if slips:  # the drive is eta times the rate that reaches threshold: a slip there is the cause
                raise ValueError(f"{slips[0]} (the external drive it implies is {self.lam:.4g} events a step)")
            if self.dt >= DT_SLIP:  # a step of seconds (--dt 1) gathers a second's drive in one step
                raise ValueError(
                    f"dt: the external drive C_E nu_ext dt = {self.lam:.4g} events per neuron and step of "
                    f"{format_display(self.dt, 'time')} exceeds {MAX_LAMBDA:g}{plain_number_hint(self.dt, 'time')}"
                )
            raise ValueError(
                f"eta: the external drive C_E nu_ext dt = {self.lam:.4g} events per neuron and step "
                f"exceeds {MAX_LAMBDA:g} (nu_ext = eta nu_thr = {self.eta:g} x {self.nu_thr:.4g} Hz); "
                "lower eta or dt"
            )

    def _check_steps(self) -> None:
        """Refuse a run, delay or refractory period that is not a whole number (below 2**31) of steps dt, or a delay
        shorter than a step; a time step of :data:`~lifsim.units.DT_SLIP` or more (``--dt 1`` is a step of 1 s) is
        blamed on dt with the unit hint, as a neuron's is (it made the default delay of 1.5 ms "shorter than the
        time step"); a step so short that the run has too many of them on dt where only dt was moved."""
        slip = plain_number_hint(self.dt, "time") if self.dt >= DT_SLIP else ""
        dt, t_max = format_display(self.dt, "time"), format_display(self.t_max, "time")
        if self.t_max < self.dt:
            if slip:
                raise ValueError(f"dt: {dt} is longer than the run (t_max = {t_max}){slip}")
            raise ValueError(f"t_max: {t_max} must be at least one time step dt = {dt}")
        ratio = self.t_max / self.dt
        if not ratio < MAX_STEPS:  # on dt where only dt was moved (--dt 1e-300s), else on t_max, naming dt
            at_most = f"at most {MAX_STEPS - 1:,} (2**31 - 1) are supported"
            if self.t_max == type(self).__dataclass_fields__["t_max"].default:
                raise ValueError(f"dt: a step of {dt} makes the run (t_max = {t_max}) {ratio:.3g} steps; {at_most}")
            raise ValueError(f"t_max: {t_max} with dt = {dt} is {ratio:.3g} steps; {at_most}")
        if self.delay < self.dt * (1 - 1e-9):
            delay = format_display(self.delay, "time")
            if slip:
                raise ValueError(f"dt: {dt} is longer than the synaptic delay (delay = {delay}){slip}")
            raise ValueError(f"delay: {delay} is shorter than the time step dt = {dt}")
        object.__setattr__(self, "delay_steps", _steps(self.delay, self.dt, "delay", slip))
        object.__setattr__(self, "ref_steps", _steps(self.t_ref, self.dt, "t_ref", slip))
        object.__setattr__(self, "steps", _steps(self.t_max, self.dt, "t_max", slip))

    # ------------------------------------------------------------------ derived quantities
    @property
    def n(self) -> int:
        """Total number of neurons N_E + N_I."""
        return self.n_exc + self.n_inh

    @property
    def synapses(self) -> int:
        """Number of synapses N (C_E + C_I)."""
        return self.n * (self.c_exc + self.c_inh)

    @property
    def nu_thr(self) -> float:
        """External rate per input (Hz) that brings the mean input to threshold: (V_th - E_L) / (J C_E tau)."""
        return (self.vth - self.el) / (self.j * self.c_exc * self.tau)

    @property
    def nu_ext(self) -> float:
        """Rate of each of the C_E external Poisson inputs (Hz): eta nu_thr."""
        return self.eta * self.nu_thr

    @property
    def lam(self) -> float:
        """Mean external event count per neuron and step, C_E nu_ext dt."""
        return self.c_exc * self.nu_ext * self.dt

    @property
    def gamma(self) -> float:
        """C_I / C_E (Brunel's gamma, 0.25 here)."""
        return self.c_inh / self.c_exc

    def replace(self, **changes: object) -> BrunelParams:
        """A copy with ``changes`` applied (validated again)."""
        values = self.as_dict()
        values.update(changes)
        return BrunelParams(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        """The arguments (not the derived fields), SI floats."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def derived(self) -> dict[str, object]:
        """Everything, arguments and derived quantities, for provenance."""
        out = asdict(self)
        out.update(n=self.n, synapses=self.synapses, nu_thr=self.nu_thr, nu_ext=self.nu_ext, lam=self.lam)
        return out

    def check_memory(
        self, available: int | None = None, engine: str = "numba", theory_rate: float | None = None
    ) -> int:
        """The estimated peak memory (bytes) of a run on ``engine``; ValueError when it exceeds the memory
        available now.  ``theory_rate``: the mean-field rate (Hz), for the spikes' share (:func:`expected_rate`)."""
        from ..memory import available_memory, format_bytes

        need = estimate_memory(self, engine=engine, theory_rate=theory_rate)
        room = available_memory() if available is None else available
        spikes = spike_memory(self, theory_rate=theory_rate)
        if room is not None and need > room and spikes > need - spikes:  # the run's length, not the network's size
            raise ValueError(
                f"t_max: the spikes of {self.n:,} neurons over {self.t_max:g} s (counted at "
                f"{expected_rate(theory_rate):.3g} Hz each) need about {format_bytes(spikes)}, "
                f"{format_bytes(need)} with the network, more than the {format_bytes(room)} available; run shorter "
                "(t_max is in seconds: 1.2 or '1200 ms')"
            )
        ring = ring_memory(self)
        if room is not None and need > room and ring > need - ring:  # a delay of many steps: dt too short for it
            delay, dt = format_display(self.delay, "time"), format_display(self.dt, "time")
            blamed = "dt" if self.delay == type(self).__dataclass_fields__["delay"].default else "delay"
            raise ValueError(
                f"{blamed}: the delay of {delay} is {self.delay_steps:,} steps of dt = {dt}, whose spike buffer for "
                f"{self.n:,} neurons needs about {format_bytes(ring)}, {format_bytes(need)} with the network, more "
                f"than the {format_bytes(room)} available; use a longer dt or a shorter delay"
            )
        if room is not None and need > room:
            other = "" if engine != "numpy" else ", or the numba engine (its build needs 4 bytes a synapse, not 32)"
            raise ValueError(
                f"n_exc: the network of {self.n:,} neurons and {self.synapses:,} synapses needs about "
                f"{format_bytes(need)}, more than the {format_bytes(room)} available; use a smaller n_exc or "
                f"epsilon{other}"
            )
        return need

    def _order_message(self) -> str:
        """Why ``el <= vr < vth`` fails, blaming a value moved from its default (``--vth 20mV --el 30mV`` was
        blamed on ``--vr``, which was left alone), in mV."""
        from ..units import format_display

        defaults = type(self).__dataclass_fields__
        moved = [name for name in ("vr", "vth", "el") if getattr(self, name) != defaults[name].default]
        broken = ["el", "vr"] if self.el > self.vr else ["vr", "vth"]
        blamed = next((name for name in broken if name in moved), "vr")
        shown = ", ".join(f"{name} {format_display(getattr(self, name), 'voltage')}" for name in ("el", "vr", "vth"))
        return f"{blamed}: the potentials must satisfy el <= vr < vth, got {shown}"

    def plausibility(self) -> list[str]:
        """Values that are valid but far outside what Brunel's network is built from, each in words: a slip of
        units (``j=0.1`` is 100 mV, ``tau=20`` is 20 s, ``delay=1.5`` is 1.5 s), or a connection probability
        so small that rounding makes the in-degrees another probability."""
        out = unit_slips(
            self,
            (
                ("j", 1e-6, 20e-3, "V", "1 uV to 20 mV"),
                ("tau", 1e-4, 1.0, "s", "0.1 ms to 1 s"),
                ("delay", 0.0, 0.1, "s", "0.1 to 100 ms"),
                ("t_ref", 0.0, 0.1, "s", "0 to 100 ms"),
                ("t_max", 0.0, 100.0, "s", "up to 100 s"),
                ("el", -0.2, 0.2, "V", "-200 to 200 mV"),
                ("vr", -0.2, 0.2, "V", "-200 to 200 mV"),
                ("vth", -0.2, 0.2, "V", "-200 to 200 mV"),
            ),
        )
        for name, count, size in (("C_E", self.c_exc, self.n_exc), ("C_I", self.c_inh, self.n_inh)):
            wanted = self.epsilon * size
            if abs(count - wanted) > 0.1 * wanted:
                out.append(
                    f"epsilon: {name} = round(eps N) = {count} is far from eps N = {wanted:.3g} "
                    f"(connection probability {count / size:.3g} instead of {self.epsilon:g}); use a larger "
                    "epsilon or n_exc"
                )
        return out

    def warn_plausibility(self) -> None:
        """Warn (:class:`~lifsim.errors.PlausibilityWarning`) about each of :meth:`plausibility`'s values."""
        for text in self.plausibility():
            warnings.warn(text, PlausibilityWarning, stacklevel=user_stacklevel())

    def warn_saturation(self, rate: float) -> None:
        """Warn (:class:`RateWarning`) when a theory rate reaches 1/t_ref (90% of it: refractory 90% of the time)."""
        if self.t_ref > 0 and rate >= 0.9 / self.t_ref:
            warnings.warn(
                f"the theory's rate {rate:.4g} Hz reaches 1/t_ref = {1 / self.t_ref:.4g} Hz: "
                "the network saturates (g or eta too far from the AI state)",
                RateWarning,
                stacklevel=user_stacklevel(),
            )


#: bytes per synapse at the connectivity build's peak, per engine: numba's build counts sources in a first pass
#: over the stream and fills int32 targets in a second (no temporary per synapse); numpy's reference draws every
#: source (int64), sorts them (an int64 order) and gathers the int32 targets (29 bytes a synapse measured)
SYNAPSE_BYTES = {"numba": 4, "numpy": 32}


def estimate_memory(
    params: BrunelParams,
    spikes_per_neuron: float | None = None,
    engine: str = "numba",
    theory_rate: float | None = None,
) -> int:
    """Bytes a run on ``engine`` needs at its peak: synapses (:data:`SYNAPSE_BYTES`), offsets, ring buffer,
    state and recorded spikes (12 bytes each: int64 step + int32 neuron, estimated at 100 Hz unless given)."""
    n = params.n
    synapses = SYNAPSE_BYTES.get(engine, 4) * params.synapses + 8 * (n + 1)
    ring = ring_memory(params)
    state = n * (8 + 4 + 8)
    spikes = spike_memory(params, spikes_per_neuron, theory_rate)
    populations = 2 * 8 * params.steps
    return int(synapses + ring + state + spikes + populations + (64 << 20))


def ring_memory(params: BrunelParams) -> int:
    """Bytes of the spike buffer a delay needs: two int32 counts per neuron and step of the delay, and one."""
    return 2 * 4 * (params.delay_steps + 1) * params.n


def expected_rate(theory_rate: float | None = None) -> float:
    """The rate (Hz) a memory estimate counts spikes at: 100 Hz, or 1.25 times the mean-field ``theory_rate``
    (:func:`lifsim.network.theory.memory_rate`) where that is higher (the SR state's 327 Hz, which 100 Hz
    undercounted 3.3-fold)."""
    if theory_rate is None or not math.isfinite(theory_rate):
        return 100.0
    return max(100.0, 1.25 * float(theory_rate))


def spike_memory(params: BrunelParams, spikes_per_neuron: float | None = None, theory_rate: float | None = None) -> int:
    """Bytes of a run's recorded spikes at their peak: 12 each (int64 step + int32 neuron), the list and its sorted
    copy, at :func:`expected_rate` unless ``spikes_per_neuron`` is given."""
    rate = expected_rate(theory_rate) if spikes_per_neuron is None else spikes_per_neuron / params.t_max
    return int(12 * params.n * rate * params.t_max * 2)
