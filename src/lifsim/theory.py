r"""Closed-form moments of the free (subthreshold, spiking off) LIF membrane.

Euler recursion
---------------
Forward Euler with ``a = dt / tau`` reads

.. math:: v_{k+1} = (1 - a) v_k + a (E_L + R I_k), \qquad I_k = \bar I_k + \eta_k,

where :math:`\bar I_k` is the deterministic (ensemble-mean) current and
:math:`\eta_k` the noise, independent across steps and neurons, with mean 0
and variance :math:`s_I^2`.  Write :math:`b = 1 - a` and, for constant
:math:`\bar I`, :math:`\mu = E_L + R \bar I`.

*Mean.*  Taking expectations, :math:`m_{k+1} = b\, m_k + a(E_L + R \bar I_k)`,
so for constant input

.. math:: m_k = \mu + (V_0 - \mu)\, b^k  \;\longrightarrow\; \mu .

*Variance.*  :math:`v_k` depends only on :math:`\eta_0..\eta_{k-1}`, so it is
independent of :math:`\eta_k` and
:math:`s_{k+1} = b^2 s_k + a^2 R^2 s_I^2`, :math:`s_0 = 0`; summing the
geometric series,

.. math:: s_k = a^2 R^2 s_I^2 \,\frac{1 - b^{2k}}{1 - b^2}
          \;\longrightarrow\; \frac{a R^2 s_I^2}{2 - a}.

*Autocovariance.*  For ``l >= 0``, :math:`v_{k+l} - m_{k+l} = b^l (v_k - m_k)`
plus noise injected after step ``k``, hence :math:`C(t_k, t_{k+l}) = b^l s_k`.

The noise variances: the tutorial's uniform input
``I = I_mean (1 + A xi)``, ``xi ~ U(-1, 1)``, has :math:`s_I^2 = (I_{mean} A)^2/3`;
white noise of strength ``sigma`` (V) has
:math:`a^2 R^2 s_I^2 = a\,\sigma^2`, so its stationary variance is
:math:`\sigma^2 / (2 - a)`.

Continuous limit (Ornstein-Uhlenbeck)
-------------------------------------
``tau dV/dt = E_L - V + R I + sigma sqrt(tau) xi(t)`` has mean
:math:`\mu + (V_0 - \mu) e^{-t/\tau}`, variance
:math:`\frac{\sigma^2}{2}(1 - e^{-2t/\tau})` and stationary autocovariance
:math:`\frac{\sigma^2}{2} e^{-|t-s|/\tau}`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from .params import LIFParams
from .units import format_display, to_si

if TYPE_CHECKING:  # theory reads inputs through their methods (theory_moments, resolved)
    from .inputs import Input

__all__ = [
    "EulerMoments",
    "euler_moments",
    "noise_variance_per_step",
    "ou_moments",
    "euler_stationary_variance",
    "ou_autocov",
    "fi_deterministic",
    "fi_grid",
    "siegert_rate",
    "stationary_v_moments",
    "DISCRETE_THRESHOLD_SHIFT",
    "RHEOBASE_ULPS",
]


def _sigma(sigma: Any, zero: bool = False) -> float:
    """The noise strength in V (a number or ``"5 mV"``); > 0, or >= 0 with ``zero``."""
    value = _quantity(sigma, "voltage", "sigma")
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"sigma: must be {'>=' if zero else '>'} 0 mV, got {format_display(value, 'voltage')}")
    return value


def _params(params: Any) -> LIFParams:
    if not isinstance(params, LIFParams):
        raise TypeError(f"params: expected LIFParams, got {type(params).__name__}")
    return params


def _quantity(value: Any, dimension: str, name: str) -> float:
    """One finite SI value from a number (SI) or a string with a unit, e.g. ``"5 mV"``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    si = to_si(value, dimension, name)
    if not math.isfinite(si):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return si


def _quantities(value: Any, dimension: str, name: str) -> np.ndarray:
    """Finite SI values as a float array of ``value``'s shape.

    ``value``: a number (SI), a string with a unit (``"60 pA"``), a list or
    tuple of either (``["50 pA", "100 pA"]``), or a numeric array (SI).
    """
    if isinstance(value, (str, Real)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return np.asarray(_quantity(value, dimension, name), dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        array = value.astype(np.float64)
    elif isinstance(value, (list, tuple, np.ndarray)):
        items = np.asarray(value, dtype=object)
        if items.size == 0:
            raise ValueError(f"{name}: no values")
        array = np.array([to_si(item, dimension, name) for item in items.flat], dtype=np.float64).reshape(items.shape)
    else:
        accepted = "a number (SI), a string with a unit, or a list or array of them"
        raise TypeError(f"{name}: expected {accepted}, got {type(value).__name__} {value!r}"[:300])
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: every value must be a finite number, got {value!r}"[:300])
    return array


@dataclass
class EulerMoments:
    """Exact moments of the Euler recursion on the time grid.

    Attributes
    ----------
    t : ndarray
        Time grid (s).
    mean : ndarray
        Ensemble mean of V (V).
    var : ndarray
        Ensemble variance of V (V**2).
    """

    t: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    a: float | None = None

    @property
    def std(self) -> np.ndarray:
        """Standard deviation of V (V)."""
        return np.sqrt(self.var)

    def autocov(self, lag: int, alpha: float | None = None) -> np.ndarray:
        """``C(t_{k-lag}, t_k) = (1 - a)**lag * var[k - lag]`` (V**2); NaN for ``k < lag``.

        ``alpha``: the recursion's factor ``a`` (default the one these moments were computed with).
        """
        a = self.a if alpha is None else alpha
        if a is None:
            raise ValueError("alpha: needed for moments made without it")
        out = np.full_like(self.var, np.nan)
        out[lag:] = (1.0 - a) ** lag * self.var[: len(self.var) - lag]
        return out


def noise_variance_per_step(inputs: Input, params: LIFParams) -> float:
    """Variance ``s_I**2`` (A**2) of the current's noise at each step.

    Each input kind gives its own (:meth:`lifsim.inputs.Input.theory_moments`):
    the tutorial's uniform noise, white noise and deterministic inputs (whose
    noise variance is 0), and sums of them.  ``ValueError`` for an input with
    no closed form.
    """
    params = _params(params)
    return inputs.resolved(params).theory_moments(params).noise_var


def euler_moments(params: LIFParams, inputs: Input, steps: int | None = None, method: str = "euler") -> EulerMoments:
    """Exact mean and variance of the free membrane on the grid, for either update.

    ``method="euler"``: the forward-Euler recursion of the module docstring.
    ``method="exact"``: the exponential update is the same linear recursion
    with ``a`` replaced by ``1 - exp(-dt/tau)``, except that white noise
    enters through the exact OU transition, adding ``sigma**2 (1 - b**2) / 2``
    per step.

    For constant mean input the closed forms of the module docstring are
    used; for a time-varying mean (sine, step) the mean follows the linear
    recursion ``m_{k+1} = b m_k + a (E_L + R mean_current(t_k))``.

    Parameters
    ----------
    params : LIFParams
    inputs : Input
    steps : int, optional
        Number of time points (default ``params.steps``).
    method : {"euler", "exact"}
    """
    params = _params(params)
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    inputs = inputs.resolved(params)
    steps = params.steps if steps is None else steps
    a = params.alpha if method == "euler" else -np.expm1(-params.dt / params.tau)
    b = 1.0 - a
    k = np.arange(steps)
    t = k * params.dt
    mean_current = inputs.mean_current_grid(t, params)
    if np.all(mean_current == mean_current[0]):
        mu = params.el + params.r * mean_current[0]
        mean = mu + (params.v0 - mu) * b**k
    else:
        mean = np.empty(steps)
        mean[0] = params.v0
        drive = a * (params.el + params.r * mean_current)
        for j in range(steps - 1):
            mean[j + 1] = b * mean[j] + drive[j]
    moments = inputs.theory_moments(params)
    sigma2, current_var = moments.white_sigma2, moments.noise_var
    if method == "euler":
        q = a * a * params.r**2 * current_var
    else:
        white_current_var = sigma2 / params.r**2 * params.tau / params.dt
        q = a * a * params.r**2 * (current_var - white_current_var) + sigma2 * (1.0 - b * b) / 2.0
    var = q * (1.0 - b ** (2 * k)) / (1.0 - b * b)
    return EulerMoments(t, mean, var, a)


def euler_stationary_variance(params: LIFParams, inputs: Input) -> float:
    """Stationary variance ``a R**2 s_I**2 / (2 - a)`` (V**2) of the Euler recursion."""
    params = _params(params)
    a = params.alpha
    return a * params.r**2 * noise_variance_per_step(inputs, params) / (2.0 - a)


def ou_moments(params: LIFParams, mu: float | str, sigma: float | str, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean (V) and variance (V**2) of the continuous OU membrane at times ``t`` (s).

    ``tau dV/dt = mu - V + sigma sqrt(tau) xi(t)``, ``V(0) = params.v0``.
    ``mu`` and ``sigma`` (V) and ``t`` (s) may be SI numbers or strings with
    units (``"-55 mV"``, ``"5 mV"``, ``"10 ms"``); ``t`` also a list or array.
    """
    params = _params(params)
    mu = _quantity(mu, "voltage", "mu")
    sigma = _sigma(sigma, zero=True)
    t = _quantities(t, "time", "t")
    decay = np.exp(-t / params.tau)
    return mu + (params.v0 - mu) * decay, sigma**2 / 2.0 * (1.0 - decay**2)


def ou_autocov(params: LIFParams, sigma: float | str, t: Any, s: Any) -> np.ndarray:
    """Autocovariance ``C(t, s)`` (V**2) of the OU membrane started at a fixed ``V0``.

    ``C(t, s) = sigma**2 / 2 * (exp(-|t - s| / tau) - exp(-(t + s) / tau))``;
    for ``t, s >> tau`` the stationary ``sigma**2 / 2 * exp(-|t - s| / tau)``.
    ``sigma`` (V), ``t`` and ``s`` (s): SI numbers, strings with units, lists or arrays.
    """
    params = _params(params)
    sigma = _sigma(sigma, zero=True)
    t = _quantities(t, "time", "t")
    s = _quantities(s, "time", "s")
    tau = params.tau
    return sigma**2 / 2.0 * (np.exp(-np.abs(t - s) / tau) - np.exp(-(t + s) / tau))


# ---------------------------------------------------------------- firing rates

#: |zeta(1/2)| / sqrt(2 pi) = 0.5826: the mean overshoot of a Gaussian random walk over a
#: barrier, in units of its step's std (Siegmund 1979, "corrected diffusion
#: approximations"; Asmussen, Glynn and Pitman 1995).  A threshold checked only on the
#: grid acts like a threshold raised by this constant times the std of V's noise
#: increment per step, sigma sqrt(dt / tau).
DISCRETE_THRESHOLD_SHIFT = 1.4603545088095868 / np.sqrt(2.0 * np.pi)


#: a current within this many units in the last place of rheobase counts as at rheobase: E_L + R I = V_th
#: holds up to the rounding of the parameters (100 pA * 100 MOhm is 0.01 V, V_th - E_L is 0.009999999999999995 V)
RHEOBASE_ULPS = 8


def _as_mu(params: LIFParams, i_mean: Any) -> np.ndarray:
    """``E_L + R I`` (V) for the current(s) ``i_mean`` (A or strings with units; default ``params.i_mean``)."""
    current = params.i_mean if i_mean is None else _quantities(i_mean, "current", "i_mean")
    return params.el + params.r * np.asarray(current, dtype=np.float64)


def _above_rheobase(params: LIFParams, mu: np.ndarray) -> np.ndarray:
    """Where ``mu = E_L + R I`` lies above ``V_th`` by more than the rounding of the parameters.

    At rheobase the noise-free neuron only approaches ``V_th`` and never fires;
    compared naively, ``E_L + R I`` for 100 pA lands one ulp above ``V_th``
    and gives 1.4 Hz.  A current within :data:`RHEOBASE_ULPS` ulp of rheobase
    (relative to the largest of ``|E_L|``, ``|V_th|``, ``|R I|``) is at rheobase.
    """
    drive = mu - params.el
    scale = np.maximum(np.maximum(abs(params.el), abs(params.vth)), np.abs(drive))
    return (drive - (params.vth - params.el)) > RHEOBASE_ULPS * np.finfo(np.float64).eps * scale


#: most refractory periods :func:`refractory_law` lists (beyond, whole steps are grouped)
REFRACTORY_POINTS = 100_000


def refractory_law(params: LIFParams) -> tuple[np.ndarray, np.ndarray]:
    """The neurons' refractory periods as simulated, in steps, and the share of neurons with each.

    One period, ``LIFParams.refractory_steps``, without ``t_ref_std``; with it, neuron
    ``j`` holds ``rint(max(0, t_ref + t_ref_std z_j) / dt)`` steps (``z_j ~ N(0, 1)``), so step count ``k``
    has the probability of ``t_ref + t_ref_std z`` falling within half a step of ``k dt`` (``k = 0``: below
    half a step, the clipped negatives included).  The theory's grid rates average ``1 / period`` over
    these (each neuron is a renewal process of its own), not ``1 / period`` of the mean ``t_ref``.
    """
    from scipy.special import ndtr

    params = _params(params)
    if params.t_ref_std == 0.0:
        return np.array([params.refractory_steps]), np.array([1.0])
    dt, mean, std = params.dt, params.t_ref, params.t_ref_std
    top = int(math.ceil((mean + 12.0 * std) / dt)) + 1
    stride = max(1, math.ceil(top / REFRACTORY_POINTS))  # periods of very many steps: bins of whole steps
    k = np.arange(0, top + stride, stride)
    upper = ndtr(((k + stride - 0.5) * dt - mean) / std)  # bin [k, k + stride): up to half a step below its end
    lower = np.concatenate([[0.0], upper[:-1]])
    share = upper - lower
    keep = share > 0
    centre = k + (stride - 1) / 2.0  # a bin's steps stand at their middle (1 / period is smooth over the bin)
    return centre[keep], share[keep] / share[keep].sum()


def continuous_refractory_law(params: LIFParams) -> tuple[np.ndarray, np.ndarray]:
    """The refractory periods (s) ``max(0, t_ref + t_ref_std z)`` of the continuous-time model and their weights
    (a quadrature over ``z ~ N(0, 1)``: the clipped mass at 0, then Simpson's rule over the rest); one period
    without ``t_ref_std``."""
    params = _params(params)
    if params.t_ref_std == 0.0:
        return np.array([params.t_ref_simulated]), np.array([1.0])
    from scipy.special import ndtr

    mean, std = params.t_ref, params.t_ref_std
    z0 = max(-mean / std, -12.0)
    z = np.linspace(z0, 12.0, 4001)
    simpson = np.ones(z.size)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    weights = simpson * (z[1] - z[0]) / 3.0 * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    periods = np.concatenate([[0.0], mean + std * z])
    weights = np.concatenate([[ndtr(z0)], weights])
    return periods, weights / weights.sum()


def _over_refractory(law: tuple[np.ndarray, np.ndarray], rest: Any, unit: float = 1.0) -> np.ndarray:
    """``sum_k share_k / ((rest + period_k) unit)``: the population rate (Hz) of neurons that spend ``rest`` (any
    shape) between their refractory periods (``law``: periods and shares), both in ``unit`` (s; ``dt`` for
    counts of steps, whose sum is then exact)."""
    periods, shares = law
    rest = np.asarray(rest, dtype=np.float64)
    if periods.size == 1:  # one period: 1 / ((rest + period) unit), as without the law
        return 1.0 / ((rest + periods[0]) * unit)
    return np.sum(shares / ((rest[..., None] + periods) * unit), axis=-1)


def fi_deterministic(params: LIFParams, i_mean: Any = None) -> np.ndarray:
    """Firing rate (Hz) of a noise-free LIF neuron for constant current(s) ``i_mean`` (A).

    ``rate = 1 / (t_ref + tau ln((mu - V_reset) / (mu - V_th)))`` for
    ``mu = E_L + R I > V_th``, else 0 (continuous time); 0 at rheobase
    ``mu = V_th`` up to the parameters' rounding (:data:`RHEOBASE_ULPS`).

    ``i_mean``: a current in A, a string with a unit (``"250 pA"``), a list
    of either, or an array (A); default ``params.i_mean``.
    """
    params = _params(params)
    mu = _as_mu(params, i_mean)
    rate = np.zeros_like(mu)
    above = _above_rheobase(params, mu)
    rest = params.tau * np.log((mu[above] - params.vr) / (mu[above] - params.vth))
    rate[above] = _over_refractory(continuous_refractory_law(params), rest)  # t_ref_std: averaged over neurons
    return rate


def fi_grid(params: LIFParams, i_mean: Any = None, method: str = "euler") -> np.ndarray:
    """Firing rate (Hz) of the noise-free neuron simulated on the grid of step ``dt``.

    From ``V_reset`` the update reaches ``v_k = mu + (V_reset - mu) b^k`` with
    ``b = 1 - dt/tau`` (Euler) or ``b = exp(-dt/tau)`` (exact); the neuron
    fires at the first ``k`` with ``v_k > V_th``,
    ``k = floor(ln((mu - V_th)/(mu - V_reset)) / ln b) + 1``, so its period is
    ``(k + round(t_ref/dt)) dt``.  This is what the simulation must give exactly,
    except within about ``eps |V_th| tau / dt`` of rheobase, where the
    recursion's own rounding stalls V below ``V_th``.  At rheobase (up to the
    parameters' rounding, :data:`RHEOBASE_ULPS`) the rate is 0, as simulated.

    ``i_mean``: as in :func:`fi_deterministic`.
    """
    params = _params(params)
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    mu = _as_mu(params, i_mean)
    rate = np.zeros_like(mu)
    above = _above_rheobase(params, mu)
    log_b = np.log(1.0 - params.alpha) if method == "euler" else -params.dt / params.tau
    k = np.floor(np.log((mu[above] - params.vth) / (mu[above] - params.vr)) / log_b) + 1
    rate[above] = _over_refractory(refractory_law(params), k, params.dt)  # t_ref_std: averaged over neurons
    return rate


#: threshold and reset this many noise strengths away: the Siegert rate is the deterministic one
#: (its relative difference is of order 1/y**2, below 1e-12)
NEGLIGIBLE_NOISE = 1e6


def _siegert_integrand(u: float, shift: float) -> float:
    """``exp(u**2) (1 + erf(u)) * exp(-shift)``, stable for large |u|."""
    from scipy.special import erfcx

    if u <= 0:
        # exp(u^2)(1 + erf u) = exp(u^2) erfc(-u) = erfcx(-u), bounded by 1 here
        return float(erfcx(-u) * np.exp(-shift))
    # exp(u^2)(2 - erfc u) = 2 exp(u^2) - erfcx(u)
    return float(2.0 * np.exp(u * u - shift) - erfcx(u) * np.exp(-shift))


def siegert_rate(
    params: LIFParams,
    sigma: float | str,
    i_mean: Any = None,
    *,
    dt_correction: float | str | None = None,
) -> np.ndarray | float:
    """Mean firing rate (Hz) of LIF neurons driven by white noise (Siegert formula).

    For ``tau dV/dt = mu - V + sigma sqrt(tau) xi(t)``, ``mu = E_L + R I``
    (Brunel 2000, eq. 21):

        1 / rate = t_ref + tau sqrt(pi) * integral_{(V_r - mu)/sigma}^{(V_th - mu)/sigma} exp(u**2) (1 + erf u) du

    The integrand is evaluated stably (via ``erfcx``) and, for strongly
    subthreshold ``mu``, scaled by ``exp(-y_th**2)`` so the rate underflows
    gracefully to 0 instead of overflowing.

    Parameters
    ----------
    params : LIFParams
        ``tau`` (s), ``vr``, ``vth``, ``el`` (V), ``r`` (Ohm), ``t_ref`` (s).
    sigma : float or str
        Noise strength (V, or a string with a unit such as ``"5 mV"``), > 0.
    i_mean : float, str, list or ndarray, optional
        Mean current(s) (A, or strings with units such as ``"60 pA"``), of
        any shape; default ``params.i_mean``.
    dt_correction : float or str, optional
        A simulation time step (s): raise the threshold by
        ``DISCRETE_THRESHOLD_SHIFT * sigma * sqrt(dt / tau)`` (0.58 times the
        std of one step's noise increment), the first-order effect of checking
        the threshold only on the grid: brief excursions above threshold between
        grid points are missed, so a simulation fires less than the continuous
        model.

    Returns
    -------
    float or ndarray
        Rate(s) in Hz (a float for a scalar ``i_mean``, else an array of its shape).
    """
    from scipy.integrate import quad

    params = _params(params)
    sigma = _sigma(sigma)
    shift = 0.0
    if dt_correction is not None:
        step = _quantity(dt_correction, "time", "dt_correction")
        if step < 0:
            raise ValueError(f"dt_correction: must be a time step >= 0 ms, got {format_display(step, 'time')}")
        shift = DISCRETE_THRESHOLD_SHIFT * sigma * np.sqrt(step / params.tau)
    mu_shaped = _as_mu(params, i_mean)
    mu = mu_shaped.ravel()  # any shape: one rate per current, returned in the currents' shape
    rates = np.empty_like(mu)
    for index, m in enumerate(mu):
        with np.errstate(over="ignore", invalid="ignore"):
            y_th = (params.vth + shift - m) / sigma
            y_r = (params.vr - m) / sigma
        if not (abs(y_th) < NEGLIGIBLE_NOISE and abs(y_r) < NEGLIGIBLE_NOISE):
            # the noise is negligible against the distances to threshold and reset: the
            # deterministic rate (below threshold, Kramers' exp(-y_th**2) underflows to 0)
            rates[index] = float(fi_deterministic(params, (m - params.el) / params.r)[()]) if y_th < 0 else 0.0
            continue
        scale = max(y_th, 0.0) ** 2
        # for large y_th the scaled integrand is a peak of width ~1/y_th at y_th:
        # give quad break points that resolve it
        width = 1.0 / max(y_th, 1.0)
        candidates = [0.0] + [y_th - c * width for c in (0.5, 2.0, 8.0, 32.0)]
        points = sorted(x for x in candidates if y_r < x < y_th) or None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quad's round-off notices at epsrel 1e-10
            integral, _err = quad(
                _siegert_integrand, y_r, y_th, args=(scale,), points=points, limit=400, epsabs=0, epsrel=1e-10
            )
        # 1/rate = t_ref + tau sqrt(pi) * integral * exp(scale)
        if integral <= 0:
            raise ArithmeticError(
                f"siegert_rate: quadrature failed for mu = {format_display(float(m), 'voltage')}, "
                f"sigma = {format_display(sigma, 'voltage')}"
            )
        log_isi_noise = np.log(params.tau * np.sqrt(np.pi) * integral) + scale
        if log_isi_noise > 700:
            rates[index] = 0.0
        else:
            rates[index] = float(_over_refractory(continuous_refractory_law(params), np.exp(log_isi_noise)))
    if mu_shaped.ndim:
        return rates.reshape(mu_shaped.shape)
    return float(rates[0])


def stationary_rate(
    params: LIFParams, inputs: Input, method: str = "euler", *, on_grid: bool = True
) -> tuple[float, str] | None:
    """The theory's stationary firing rate (Hz) of ``inputs`` as simulated, and which theory it is.

    For an input with a constant mean: without noise, the noise-free neuron on
    the grid (:func:`fi_grid`, exact for the simulation); with white noise, the
    Siegert rate with the grid correction; with the tutorial's uniform noise,
    the Siegert rate of the white noise with the same variance per step (the
    diffusion approximation, ``sigma = R s_I sqrt(dt / tau)``).  None for
    inputs whose mean changes in time (sine, step, arrays).

    With white noise alone or one uniform term, the rate is the grid's Markov
    chain's (:func:`grid_rate`, exact at any ``dt``), unless ``on_grid`` is
    False: then the Siegert rates above, a few milliseconds faster than the
    chain's linear solve (what a memory estimate needs, not a comparison).
    """
    params = _params(params)
    inputs = inputs.resolved(params)
    try:
        moments = inputs.theory_moments(params)
    except ValueError:  # an input kind with no closed form
        return None
    if not moments.stationary:
        return None
    pure_white = moments.gaussian
    i_mean = float(inputs.mean_current(0.0, params))
    current_var = moments.noise_var
    if current_var == 0.0:
        return float(fi_grid(params, i_mean, method)[()]), "noise-free neuron on the grid"
    sigma = params.r * np.sqrt(current_var * params.dt / params.tau)  # the white noise of the same variance a step
    noise = _chain_noise(params, inputs, moments, method) if on_grid else None
    if noise is not None:  # white noise alone, or one uniform term (xi ~ U(-1, 1))
        rate, label = _on_the_grid(params, float(sigma), i_mean, noise, method, refractory_law(params))
        if pure_white or not label.startswith("Siegert"):  # uniform noise below rheobase: the diffusion one below
            return rate, label
    rate = float(siegert_rate(params, sigma, i_mean, dt_correction=params.dt))
    label = "Siegert, grid-corrected" if pure_white else "Siegert, diffusion approximation"
    return rate, label


def _chain_noise(params: LIFParams, inputs: Input, moments: Any, method: str) -> tuple[float, str] | None:
    """The size (V) and law (``"normal"``, ``"uniform"``) of one update's noise, where the grid's chain applies:
    white noise alone, or one uniform term alone (``I_mean A xi``, ``xi ~ U(-1, 1)``); None otherwise."""
    if moments.noise_var == 0.0 or not moments.stationary:
        return None
    if moments.gaussian:
        return _step_noise(params, math.sqrt(moments.white_sigma2), method), "normal"
    if moments.white_sigma2 == 0.0 and len(inputs.noise_terms()) == 1:
        shrink = params.alpha if method == "euler" else -math.expm1(-params.dt / params.tau)
        return shrink * params.r * math.sqrt(3.0 * moments.noise_var), "uniform"
    return None


def stationary_density(
    params: LIFParams, inputs: Input, method: str = "euler"
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The stationary distribution of V (at the grid's times) of spiking neurons driven by ``inputs`` as simulated:
    ``(edges, masses, at_reset)``, the cells' edges (V), the share of neurons in each cell, and the share at
    ``V_reset`` itself (just reset, or held there for their refractory steps); the shares add up to 1.

    From the grid's Markov chain (:func:`lifsim.grid_chain.chain_density`), averaged over the neurons'
    refractory periods (:func:`refractory_law`); for white noise alone or one uniform term with a constant mean,
    None otherwise (or where the chain has no cells fine enough).  The histogram of V across neurons at a time
    long after the start tends to it.
    """
    from .grid_chain import chain_density

    params = _params(params)
    inputs = inputs.resolved(params)
    try:
        moments = inputs.theory_moments(params)
    except ValueError:
        return None
    noise = _chain_noise(params, inputs, moments, method)
    if noise is None:
        return None
    mu = params.el + params.r * float(inputs.mean_current(0.0, params))
    found = chain_density(params.dt, params.tau, mu, params.vr, params.vth, noise[0], noise[1], method)
    if found is None:
        return None
    edges, visits = found
    steps, shares = refractory_law(params)
    rates = shares / (visits.sum() + 1.0 + steps)  # each refractory period's neurons: r_k = share / (m + k)
    return edges, float(rates.sum()) * visits, float(np.sum(rates * (1.0 + steps)))


def stationary_v_moments(params: LIFParams, inputs: Input, method: str = "euler") -> tuple[float, float] | None:
    """The mean (V) and variance (V**2) of V across spiking neurons in the stationary state, at the grid's times:
    the moments of :func:`stationary_density` (each cell's mass spread evenly over it, the share at ``V_reset``
    there); None where it gives none.  What a spiking sweep's ``v_mean`` and ``v_var`` tend to (the free
    membrane's closed form, :func:`euler_moments`, ignores the threshold: -20 mV where spiking neurons average
    -61 mV)."""
    found = stationary_density(params, inputs, method)
    if found is None:
        return None
    edges, masses, at_reset = found
    centres, widths = (edges[:-1] + edges[1:]) / 2.0, np.diff(edges)
    vr = _params(params).vr
    mean = float(np.sum(masses * centres) + at_reset * vr)
    second = float(np.sum(masses * ((centres - mean) ** 2 + widths**2 / 12.0)) + at_reset * (vr - mean) ** 2)
    return mean, second


def _step_noise(params: LIFParams, sigma: float, method: str) -> float:
    """The size (V) of one update's white noise of strength ``sigma`` (V): ``sigma sqrt(dt/tau)`` for Euler,
    ``sigma sqrt((1 - exp(-2 dt/tau)) / 2)`` for the exact Ornstein-Uhlenbeck transition."""
    h = params.dt / params.tau
    return sigma * (math.sqrt(h) if method == "euler" else math.sqrt(-math.expm1(-2.0 * h) / 2.0))


def grid_rate(params: LIFParams, sigma: float | str, i_mean: Any = None, method: str = "euler") -> np.ndarray:
    """Firing rate (Hz) of LIF neurons driven by white noise of strength ``sigma`` (V), *as simulated on the
    grid* of step ``dt`` with ``method``: the stationary rate of the update's Markov chain
    (:mod:`lifsim.grid_chain`), exact at any ``dt`` up to the chain's numerical solution (relative 1e-5, 1e-4
    below 1 Hz), averaged over the neurons' refractory periods (:func:`refractory_law`).  Where the chain has
    no cells fine enough (noise very weak for its step) or its rate is far below countable, the noise-free
    neuron on the grid (:func:`fi_grid`) stands in where the noise moves a spike by less than a step, and the
    Siegert rate with the grid correction (:func:`siegert_rate` with ``dt_correction``) elsewhere.

    This is the theory a simulation's rate is compared with (a sweep's ``rate_theory``); the continuous-time
    Siegert rate differs from it by per cent at ``dt = 1 ms`` (the grid misses excursions above threshold
    between its points), and Euler's chain from the exact method's.
    """
    params = _params(params)
    sigma = _sigma(sigma)
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    params.check_method(method)  # Euler with dt >= tau: no run to describe
    mu_shaped = _as_mu(params, i_mean)
    rates = np.empty(mu_shaped.size)
    noise = (_step_noise(params, sigma, method), "normal")
    law = refractory_law(params)
    for index, mu in enumerate(mu_shaped.ravel()):
        current = (float(mu) - params.el) / params.r
        rates[index] = _on_the_grid(params, sigma, current, noise, method, law)[0]
    return rates.reshape(mu_shaped.shape)


def _on_the_grid(
    params: LIFParams, sigma: float, i_mean: float, noise: tuple[float, str], method: str, law: Any
) -> tuple[float, str]:
    """The rate (Hz) of the grid's chain for the mean current ``i_mean`` (A) and one update's ``noise`` (size in
    V, law), and which theory it is.  Where the chain has no cells fine enough (noise weak against its step, or
    against a strong drive) or its rate is far below countable (:data:`lifsim.grid_chain.MAX_UPDATES`): the
    noise-free neuron on the grid where the noise moves a spike by less than a step (:func:`_spike_jitter`: the
    grid's whole steps set the interval, and the continuous Siegert rate would be per cent off at coarse steps),
    else the Siegert rate with the grid correction (white noise of ``sigma``, V), which holds where the noise
    spreads spikes over many steps (near rheobase with fine steps: the noise-free neuron was 13 % off at 0.2 mV,
    ``dt`` 10 us, 0.5 pA above rheobase) and gives the tiny rates of rare crossings below rheobase."""
    from .grid_chain import chain_updates

    mu = params.el + params.r * i_mean
    steps = chain_updates(params.dt, params.tau, mu, params.vr, params.vth, noise[0], noise[1], method)
    if steps is not None:
        return float(_over_refractory(law, steps, params.dt)), "Markov chain of the grid"
    if _above_rheobase(params, np.array([mu]))[0] and _spike_jitter(params, sigma, mu) <= params.dt:
        return float(
            fi_grid(params, i_mean, method)[()]
        ), "noise-free neuron on the grid (noise too weak for the chain)"
    return float(siegert_rate(params, sigma, i_mean, dt_correction=params.dt)), "Siegert, grid-corrected"


def _spike_jitter(params: LIFParams, sigma: float, mu: float) -> float:
    """About how far (s) white noise of strength ``sigma`` (V) moves the noise-free neuron's spike: the noise's
    spread of V after the noise-free interval from ``V_reset`` to ``V_th`` (an Ornstein-Uhlenbeck variance
    ``sigma**2 (1 - exp(-2 T / tau)) / 2``) over the speed of V at the threshold, ``(mu - V_th) / tau``; for
    ``mu`` above ``V_th`` (V)."""
    gap = mu - params.vth
    interval = params.tau * math.log((mu - params.vr) / gap)
    return sigma * math.sqrt(-math.expm1(-2.0 * interval / params.tau) / 2.0) * params.tau / gap
