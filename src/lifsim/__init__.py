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

# Nothing is imported here at run time: the ``lifsim`` console script (lifsim._console) starts by importing
# this package, and takes Ctrl-C only once it runs; the annotations below need no import either.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

#: public name -> (module, attribute or None for the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "LIFParams": (".params", "LIFParams"),
    "Result": (".result", "Result"),
    "simulate": (".simulation", "simulate"),
    "estimate": (".simulation", "estimate"),
    "RunRequest": (".request", "RunRequest"),
    "Record": (".request", "Record"),
    "Local": (".runners", "Local"),
    "Dask": (".runners", "Dask"),
    "load": (".formats", "load"),
    "save": (".formats", "save"),
    "rerun": (".provenance", "rerun"),
    "sweep": (".sweeps", "sweep"),
    "fi_curve": (".sweeps", "fi_curve"),
    "profile": (".params", "profile"),
    "load_sweep": (".sweeps", "load_sweep"),
    "load_fi": (".fi", "load_fi"),
    "rerun_sweep": (".sweeps", "rerun_sweep"),
    "sweeps": (".sweeps", None),
    "explore": (".explorer", "explore"),
    "show_versions": (".versions", "show_versions"),
    "inputs": (".inputs", None),
    "spikes": (".spikes", None),
    "streams": (".streams", None),
    "theory": (".theory", None),
    "errors": (".errors", None),
    "formats": (".formats", None),
    "provenance": (".provenance", None),
    "network": (".network", None),
}

__all__ = [
    "LIFParams",
    "Result",
    "simulate",
    "estimate",
    "RunRequest",
    "Record",
    "Local",
    "Dask",
    "load",
    "save",
    "rerun",
    "sweep",
    "fi_curve",
    "profile",
    "load_sweep",
    "load_fi",
    "rerun_sweep",
    "explore",
    "show_versions",
    "inputs",
    "spikes",
    "streams",
    "theory",
    "errors",
    "network",
    "__version__",
]


def __getattr__(name: str) -> "Any":
    import importlib

    if name not in _EXPORTS:
        raise AttributeError(f"module 'lifsim' has no attribute {name!r}")
    module_name, attribute = _EXPORTS[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
