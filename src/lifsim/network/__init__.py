"""Networks: Brunel's (2000) sparse excitatory-inhibitory network (model A), its theory, two engines.

``lifsim.network(g=5, eta=2)`` (the package is callable; also ``lifsim.network.network``) builds the
fixed in-degree connectivity from the counter
stream (:mod:`~lifsim.network.connectivity`), draws each neuron's external Poisson input with a
portable sampler (:mod:`~lifsim.network.poisson`), integrates as NEST's ``iaf_psc_delta`` with
integer spike counts (:mod:`~lifsim.network.engine_numpy`, :mod:`~lifsim.network.engine_numba`:
the same spikes, bit for bit, on any engine, thread count and block size), and returns an
xarray Dataset with spikes, rates, CVs, synchrony and Brunel's self-consistent rate
(:mod:`~lifsim.network.theory`).

Its rows of the reproducibility contract (network stream version 1) are in the one contract, in
:mod:`lifsim.streams`.

Proven by ``tests/test_network.py`` and ``tests/test_network_engines.py``.
"""

from __future__ import annotations

import pkgutil
import sys
import types
from typing import Any

from .model import BrunelParams, RateWarning

__all__ = ["BrunelParams", "RateWarning", "network", "load", "rerun"]


def network(*args: Any, **kwargs: Any) -> Any:
    """Simulate Brunel's network (see :func:`lifsim.network.run.network`)."""
    from .run import network as _network

    return _network(*args, **kwargs)


def load(path: Any) -> Any:
    """Read a saved network result (see :func:`lifsim.network.result.load`)."""
    from .result import load as _load

    return _load(path)


def rerun(*args: Any, **kwargs: Any) -> Any:
    """Rerun a saved network result (see :func:`lifsim.network.reproduce.rerun`)."""
    from .reproduce import rerun as _rerun

    return _rerun(*args, **kwargs)


def __getattr__(name: str) -> Any:
    """The package's modules as attributes, imported on first use (``lifsim.network.theory`` after ``import
    lifsim``), so that ``import lifsim`` stays light."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SUBMODULES = frozenset(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))


class _CallableModule(types.ModuleType):
    """``lifsim.network(...)`` runs a network, while ``lifsim.network.BrunelParams`` stays a module attribute."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return network(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
