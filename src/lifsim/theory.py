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

from dataclasses import dataclass

import numpy as np

from .inputs import ArrayInput, Input, Modulated, Step, Sum, UniformTerm, WhiteNoise
from .params import LIFParams

__all__ = [
    "EulerMoments",
    "euler_moments",
    "noise_variance_per_step",
    "ou_moments",
    "euler_stationary_variance",
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

    @property
    def std(self) -> np.ndarray:
        """Standard deviation of V (V)."""
        return np.sqrt(self.var)

    def autocov(self, lag: int, alpha: float) -> np.ndarray:
        """``C(t_{k-lag}, t_k) = (1 - a)**lag * var[k - lag]`` (V**2); NaN for ``k < lag``."""
        out = np.full_like(self.var, np.nan)
        out[lag:] = (1.0 - alpha) ** lag * self.var[: len(self.var) - lag]
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


def euler_moments(params: LIFParams, inputs: Input, steps: int | None = None) -> EulerMoments:
    """Exact mean and variance of the forward-Euler free membrane at every step.

    For constant mean input the closed forms of the module docstring are
    used; for a time-varying mean (sine, step) the mean follows the linear
    recursion ``m_{k+1} = (1-a) m_k + a (E_L + R mean_current(t_k))``.

    Parameters
    ----------
    params : LIFParams
    inputs : Input
    steps : int, optional
        Number of time points (default ``params.steps``).
    """
    steps = params.steps if steps is None else steps
    a = params.alpha
    b = 1.0 - a
    k = np.arange(steps)
    t = k * params.dt
    mean_current = np.array([inputs.mean_current(tk, params) for tk in t])
    if np.all(mean_current == mean_current[0]):
        mu = params.el + params.r * mean_current[0]
        mean = mu + (params.v0 - mu) * b**k
    else:
        mean = np.empty(steps)
        mean[0] = params.v0
        drive = a * (params.el + params.r * mean_current)
        for j in range(steps - 1):
            mean[j + 1] = b * mean[j] + drive[j]
    q = a * a * params.r**2 * noise_variance_per_step(inputs, params)
    var = q * (1.0 - b ** (2 * k)) / (1.0 - b * b)
    return EulerMoments(t, mean, var)


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
