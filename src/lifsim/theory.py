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

import warnings
from dataclasses import dataclass

import numpy as np

from .inputs import ArrayInput, Input, Modulated, Step, Sum, UniformTerm, WhiteNoise
from .params import LIFParams
from .units import to_si

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
    "DISCRETE_THRESHOLD_SHIFT",
]


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

    Supports sums of the tutorial's uniform noise, white noise and
    deterministic inputs (whose noise variance is 0).
    """
    parts = inputs.parts if isinstance(inputs, Sum) else (inputs,)
    total = 0.0
    for part in parts:
        if isinstance(part, Modulated):
            for term in part.terms:
                if isinstance(term, UniformTerm):
                    total += (part.mean * term.resolved(params)) ** 2 / 3.0
        elif isinstance(part, WhiteNoise):
            total += (part.sigma / params.r) ** 2 * params.tau / params.dt
        elif isinstance(part, (Step, ArrayInput)):
            continue
        else:
            raise ValueError(f"theory: no closed form for input {part.describe()}")
    return total


def _white_sigma2(inputs: Input) -> float:
    parts = inputs.parts if isinstance(inputs, Sum) else (inputs,)
    return sum(part.sigma**2 for part in parts if isinstance(part, WhiteNoise))


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
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
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
    sigma2 = _white_sigma2(inputs)
    current_var = noise_variance_per_step(inputs, params)
    if method == "euler":
        q = a * a * params.r**2 * current_var
    else:
        white_current_var = sigma2 / params.r**2 * params.tau / params.dt
        q = a * a * params.r**2 * (current_var - white_current_var) + sigma2 * (1.0 - b * b) / 2.0
    var = q * (1.0 - b ** (2 * k)) / (1.0 - b * b)
    return EulerMoments(t, mean, var, a)


def euler_stationary_variance(params: LIFParams, inputs: Input) -> float:
    """Stationary variance ``a R**2 s_I**2 / (2 - a)`` (V**2) of the Euler recursion."""
    a = params.alpha
    return a * params.r**2 * noise_variance_per_step(inputs, params) / (2.0 - a)


def ou_moments(params: LIFParams, mu: float, sigma: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (V) and variance (V**2) of the continuous OU membrane at times ``t`` (s).

    ``tau dV/dt = mu - V + sigma sqrt(tau) xi(t)``, ``V(0) = params.v0``.
    """
    t = np.asarray(t, dtype=np.float64)
    decay = np.exp(-t / params.tau)
    return mu + (params.v0 - mu) * decay, sigma**2 / 2.0 * (1.0 - decay**2)


def ou_autocov(params: LIFParams, sigma: float, t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Autocovariance ``C(t, s)`` (V**2) of the OU membrane started at a fixed ``V0``.

    ``C(t, s) = sigma**2 / 2 * (exp(-|t - s| / tau) - exp(-(t + s) / tau))``;
    for ``t, s >> tau`` the stationary ``sigma**2 / 2 * exp(-|t - s| / tau)``.
    """
    t = np.asarray(t, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    tau = params.tau
    return sigma**2 / 2.0 * (np.exp(-np.abs(t - s) / tau) - np.exp(-(t + s) / tau))


# ---------------------------------------------------------------- firing rates

#: |zeta(1/2)| / sqrt(2 pi) = 0.5826: the mean overshoot of a Gaussian random walk over a
#: barrier, in units of its step's std (Siegmund 1979, "corrected diffusion
#: approximations"; Asmussen, Glynn and Pitman 1995).  A threshold checked only on the
#: grid acts like a threshold raised by this constant times the std of V's noise
#: increment per step, sigma sqrt(dt / tau).
DISCRETE_THRESHOLD_SHIFT = 1.4603545088095868 / np.sqrt(2.0 * np.pi)


def _as_mu(params: LIFParams, i_mean: np.ndarray | float | None) -> np.ndarray:
    current = params.i_mean if i_mean is None else i_mean
    return params.el + params.r * np.asarray(current, dtype=np.float64)


def fi_deterministic(params: LIFParams, i_mean: np.ndarray | float | None = None) -> np.ndarray:
    """Firing rate (Hz) of a noise-free LIF neuron for constant current(s) ``i_mean`` (A).

    ``rate = 1 / (t_ref + tau ln((mu - V_reset) / (mu - V_th)))`` for
    ``mu = E_L + R I > V_th``, else 0 (continuous time).
    """
    mu = _as_mu(params, i_mean)
    rate = np.zeros_like(mu)
    above = mu > params.vth
    period = params.t_ref + params.tau * np.log((mu[above] - params.vr) / (mu[above] - params.vth))
    rate[above] = 1.0 / period
    return rate


def fi_grid(params: LIFParams, i_mean: np.ndarray | float | None = None, method: str = "euler") -> np.ndarray:
    """Firing rate (Hz) of the noise-free neuron simulated on the grid of step ``dt``.

    From ``V_reset`` the update reaches ``v_k = mu + (V_reset - mu) b^k`` with
    ``b = 1 - dt/tau`` (Euler) or ``b = exp(-dt/tau)`` (exact); the neuron
    fires at the first ``k`` with ``v_k > V_th``,
    ``k = floor(ln((mu - V_th)/(mu - V_reset)) / ln b) + 1``, so its period is
    ``(k + round(t_ref/dt)) dt``.  This is what the simulation must give exactly.
    """
    if method not in ("euler", "exact"):
        raise ValueError(f"method: expected 'euler' or 'exact', got {method!r}")
    mu = _as_mu(params, i_mean)
    rate = np.zeros_like(mu)
    above = mu > params.vth
    log_b = np.log(1.0 - params.alpha) if method == "euler" else -params.dt / params.tau
    k = np.floor(np.log((mu[above] - params.vth) / (mu[above] - params.vr)) / log_b) + 1
    rate[above] = 1.0 / ((k + params.refractory_steps) * params.dt)
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
    i_mean: np.ndarray | float | None = None,
    *,
    dt_correction: float | None = None,
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
    sigma : float
        Noise strength (V), > 0.
    i_mean : float or ndarray, optional
        Mean current(s) (A); default ``params.i_mean``.
    dt_correction : float, optional
        A simulation time step (s): raise the threshold by
        ``DISCRETE_THRESHOLD_SHIFT * sigma * sqrt(dt / tau)`` (0.58 times the
        std of one step's noise increment), the first-order effect of checking
        the threshold only on the grid: brief excursions above threshold between
        grid points are missed, so a simulation fires less than the continuous
        model.

    Returns
    -------
    float or ndarray
        Rate(s) in Hz (a float for a scalar ``i_mean``).
    """
    from scipy.integrate import quad

    sigma = to_si(sigma, "voltage", "sigma")
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma: must be a finite number > 0 V, got {sigma!r}")
    shift = 0.0
    if dt_correction is not None:
        shift = DISCRETE_THRESHOLD_SHIFT * sigma * np.sqrt(float(dt_correction) / params.tau)
    mu = np.atleast_1d(_as_mu(params, i_mean))
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
            raise ArithmeticError(f"siegert_rate: quadrature failed for mu = {m!r} V, sigma = {sigma!r} V")
        log_isi_noise = np.log(params.tau * np.sqrt(np.pi) * integral) + scale
        if log_isi_noise > 700:
            rates[index] = 0.0
        else:
            rates[index] = 1.0 / (params.t_ref + np.exp(log_isi_noise))
    if i_mean is not None and np.ndim(i_mean):
        return rates.reshape(np.shape(_as_mu(params, i_mean)))
    return float(rates[0])


def stationary_rate(params: LIFParams, inputs: Input, method: str = "euler") -> tuple[float, str] | None:
    """The theory's stationary firing rate (Hz) of ``inputs`` as simulated, and which theory it is.

    For an input with a constant mean: without noise, the noise-free neuron on
    the grid (:func:`fi_grid`, exact for the simulation); with white noise, the
    Siegert rate with the grid correction; with the tutorial's uniform noise,
    the Siegert rate of the white noise with the same variance per step (the
    diffusion approximation, ``sigma = R s_I sqrt(dt / tau)``).  None for
    inputs whose mean changes in time (sine, step, arrays).
    """
    parts = inputs.parts if isinstance(inputs, Sum) else (inputs,)
    pure_white = True
    for part in parts:
        if isinstance(part, Modulated):
            if any(not isinstance(term, UniformTerm) for term in part.terms):
                return None
            pure_white = pure_white and not part.terms
        elif not isinstance(part, WhiteNoise):
            return None
    i_mean = float(inputs.mean_current(0.0, params))
    current_var = noise_variance_per_step(inputs, params)
    if current_var == 0.0:
        return float(fi_grid(params, i_mean, method)[()]), "noise-free neuron on the grid"
    sigma = params.r * np.sqrt(current_var * params.dt / params.tau)
    rate = float(siegert_rate(params, sigma, i_mean, dt_correction=params.dt))
    label = "Siegert, grid-corrected" if pure_white else "Siegert, diffusion approximation"
    return rate, label
