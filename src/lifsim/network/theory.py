"""Brunel's (2000) mean-field theory of model A: the self-consistent stationary rate of the AI state.

In the diffusion approximation each neuron sees a Gaussian white input whose mean and strength
follow from the rates (Brunel 2000, eqs. 4-5, potentials relative to E_L)::

    mu(nu)      = C_E J tau (nu_ext + nu (1 - g gamma))
    sigma(nu)^2 = J^2 C_E tau (nu_ext + nu (1 + g^2 gamma))

with ``gamma = C_I / C_E``: ``C_E`` external inputs at ``nu_ext``, ``C_E`` excitatory
neurons and ``C_I`` inhibitory ones, all firing at the population rate ``nu`` (weights ``J`` and
``-g J``; a Poisson train of rate r through weight w adds ``w r tau`` to the mean and
``w^2 r tau`` to the variance of the free potential).  The stationary rate is the fixed point
``nu = phi(mu(nu), sigma(nu))`` of the Siegert formula (:func:`lifsim.theory.siegert_rate`,
Brunel's eq. 21).  It describes the asynchronous irregular (AI) state: in the synchronous states
(SR, SI) the population rate oscillates, and a simulation far from the theory there is not a bug.
Finite-size, the delay and the discrete jumps (J/sigma is not small) are neglected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .model import BrunelParams

__all__ = ["Theory", "mu_sigma", "transfer", "self_consistent_rate"]


@dataclass(frozen=True)
class Theory:
    """The self-consistent rate (Hz) and the mean ``mu`` and strength ``sigma`` (V) of the input there."""

    rate: float
    mu: float
    sigma: float


def mu_sigma(params: BrunelParams, nu: float) -> tuple[float, float]:
    """Brunel's mu (V, absolute: E_L added) and sigma (V) when every neuron fires at ``nu`` (Hz)."""
    p = params
    mu = p.c_exc * p.j * p.tau * (p.nu_ext + nu * (1.0 - p.g * p.gamma))
    var = p.j**2 * p.c_exc * p.tau * (p.nu_ext + nu * (1.0 + p.g**2 * p.gamma))
    return p.el + mu, float(np.sqrt(var))


def transfer(params: BrunelParams, nu: float) -> float:
    """The Siegert rate (Hz) of a neuron whose inputs all fire at ``nu`` (Hz)."""
    from ..params import LIFParams
    from ..theory import siegert_rate

    mu, sigma = mu_sigma(params, nu)
    if sigma <= 0:
        return 0.0
    neuron = LIFParams(
        t_max=params.t_max,
        dt=params.dt,
        tau=params.tau,
        el=params.el,
        vr=params.vr,
        vth=params.vth,
        r=1.0,
        i_mean=0.0,
        t_ref=params.t_ref,
        round_steps=True,
    )
    return float(siegert_rate(neuron, sigma, mu - params.el))


def _illinois(f: Callable[[float], float], lo: float, hi: float, f_lo: float, f_hi: float) -> float:
    """A root of ``f`` in ``[lo, hi]`` where ``f_lo > 0 > f_hi`` (regula falsi, Illinois variant; 1e-12 relative)."""
    side = 0
    for _ in range(200):
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        fx = f(x)
        if fx == 0.0 or hi - lo <= 1e-12 * max(1.0, abs(x)):
            return x
        if fx > 0:
            lo, f_lo = x, fx
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = x, fx
            if side == 1:
                f_lo *= 0.5
            side = 1
        if abs(hi - lo) <= 1e-12 * max(1.0, abs(x)):
            return x
    return x


def memory_rate(params: BrunelParams) -> float | None:
    """The mean-field rate (Hz) a memory estimate counts spikes at (:func:`lifsim.network.model.expected_rate`),
    without the warnings the theory gives a run; None where it has none."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(self_consistent_rate(params).rate)
    except (ValueError, ArithmeticError):
        return None


def self_consistent_rate(params: BrunelParams) -> Theory:
    """The lowest stable fixed point ``nu = transfer(nu)`` (Hz), with its mu and sigma (V).

    Searched on a grid from 0 to ``1/t_ref`` (or 2 kHz without refractoriness), refined by regula
    falsi (Illinois) to 1e-12; warns (:class:`~lifsim.network.model.RateWarning`) when it reaches
    ``1/t_ref``.
    """
    top = 1.0 / params.t_ref if params.t_ref > 0 else 2000.0
    grid = np.concatenate([[0.0], np.geomspace(0.1, top * (1 - 1e-9), 24)])

    def excess(nu: float) -> float:
        try:
            return transfer(params, nu) - nu
        except (ValueError, ArithmeticError) as error:  # the quadrature's own words never reach the user raw
            raise ValueError(
                f"theory: Brunel's mean-field rate cannot be computed for g {params.g:g}, eta {params.eta:g}, "
                f"J {params.j * 1e3:g} mV, tau {params.tau * 1e3:g} ms ({type(error).__name__} at {nu:.3g} Hz); "
                "bring the parameters nearer Brunel's (g 3 to 8, J 0.1 mV)"
            ) from None

    previous = excess(float(grid[0]))
    rate = float(grid[-1])
    if previous <= 0:
        rate = 0.0
    else:
        for lo, hi in zip(grid[:-1], grid[1:]):
            current = excess(float(hi))
            if current <= 0:
                rate = _illinois(excess, float(lo), float(hi), previous, current) if current < 0 else float(hi)
                break
            previous = current
    params.warn_saturation(rate)
    mu, sigma = mu_sigma(params, rate)
    return Theory(rate=rate, mu=mu, sigma=sigma)
