"""One neuron's update in numba: threshold, reset and refractoriness; the white-noise step (Euler or exact).

Branch-free, inlined into the block kernels (:mod:`.numba_engine`, :mod:`.numba_lanes`), the
operations in the numpy reference's order (:mod:`lifsim.engine.numpy_engine`).
"""

from __future__ import annotations

from . import numba_setup  # noqa: F401  (first: numba's settings before any kernel is decorated)

# isort: split

from numba import njit

__all__ = ["_settle", "_white_update"]


@njit(inline="always", cache=True, error_model="numpy")
def _settle(x, h, ref_j, vr, vth, spiking):  # type: ignore[no-untyped-def]
    """Refractory hold, threshold and reset of one neuron, branch-free.

    ``x``: V after the update (V); ``h``: steps still held at V_reset;
    returns the new V, the new hold count and whether the neuron spiked.
    """
    held = h > 0
    x = vr if held else x
    h = h - 1 if held else h
    f = (x > vth) & spiking
    x = vr if f else x
    h = ref_j if f else h
    return x, h, f


@njit(inline="always", cache=True, error_model="numpy")
def _white_update(model, v_j, base, has_base, w_mean, scale, z):  # type: ignore[no-untyped-def]
    """V after one step driven by ``base + (w_mean + scale z)`` (Euler) or (``model.exact``) the exact step with
    its OU noise."""
    if model.exact:
        if w_mean != 0.0:
            current = base + w_mean if has_base else w_mean
        else:
            current = base if has_base else 0.0
        v_inf = model.el + model.r * current
        x = v_inf + (v_j - v_inf) * model.decay
        return x + scale * z
    noise = w_mean + scale * z
    current = base + noise if has_base else noise
    return v_j + model.a * (model.el - v_j + model.r * current)
