"""lifsim: leaky integrate-and-fire neurons, from the tutorial to ensembles of millions.

Quick start::

    import lifsim
    from lifsim import inputs

    params = lifsim.LIFParams(tau="20 ms", dt="0.1 ms")
    result = lifsim.simulate(params, inputs.uniform_noise("250 pA"), n=1000, seed=1, spiking=False)
    result.v_mean, result.v_std(ddof=1)

The package imports its parts on first use (``lifsim.simulate`` loads the
simulation, ``lifsim.theory`` the theory), so ``import lifsim`` and the
``lifsim`` command start quickly; numba is imported only when the compiled
engine runs.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> (module, attribute or None for the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "LIFParams": (".params", "LIFParams"),
    "Result": (".result", "Result"),
    "simulate": (".simulation", "simulate"),
    "estimate": (".simulation", "estimate"),
    "load": (".formats", "load"),
    "save": (".formats", "save"),
    "rerun": (".provenance", "rerun"),
    "sweep": (".sweeps", "sweep"),
    "load_sweep": (".sweeps", "load_sweep"),
    "sweeps": (".sweeps", None),
    "explore": (".explorer", "explore"),
    "inputs": (".inputs", None),
    "spikes": (".spikes", None),
    "streams": (".streams", None),
    "theory": (".theory", None),
    "errors": (".errors", None),
    "formats": (".formats", None),
    "provenance": (".provenance", None),
}

__all__ = [
    "LIFParams",
    "Result",
    "simulate",
    "estimate",
    "load",
    "save",
    "rerun",
    "sweep",
    "load_sweep",
    "explore",
    "inputs",
    "spikes",
    "streams",
    "theory",
    "errors",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lifsim' has no attribute {name!r}")
    module_name, attribute = _EXPORTS[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
