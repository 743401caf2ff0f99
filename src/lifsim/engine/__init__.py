"""Simulation engines behind one interface, imported when first used.

``numpy``: the readable reference (:mod:`lifsim.engine.numpy_engine`), a loop
over time steps vectorised over neurons; runs every stream, the tutorial's
legacy one included.

``numba``: the compiled, multi-core, streaming kernel
(:mod:`lifsim.engine.numba_engine`), tested against the reference.  numba is
imported only when this engine runs.

``auto`` (the default of :func:`lifsim.simulate`): ``numba`` where it is
installed and the run uses the default counter-based stream, else ``numpy``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .output import RunOutput

__all__ = ["ENGINES", "RunOutput", "numba_available", "choose_engine"]

#: engine name -> (module, run function)
_REGISTRY: dict[str, tuple[str, str]] = {
    "numpy": ("numpy_engine", "run_numpy"),
    "numba": ("numba_engine", "run_numba"),
}


class _Engines(Mapping[str, Callable[..., RunOutput]]):
    """The engines by name; an engine's module is imported on first use."""

    def __getitem__(self, name: str) -> Callable[..., RunOutput]:
        module_name, function = _REGISTRY[name]
        run: Callable[..., RunOutput] = getattr(importlib.import_module(f"{__name__}.{module_name}"), function)
        return run

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


ENGINES = _Engines()


def numba_available() -> bool:
    """True when numba is installed (looked up, not imported)."""
    return importlib.util.find_spec("numba") is not None


def choose_engine(engine: str, stream_kind: str) -> str:
    """Resolve ``"auto"`` to a concrete engine name; validate the others."""
    if engine == "auto":
        return "numba" if numba_available() and stream_kind == "counter" else "numpy"
    if not isinstance(engine, str) or engine not in _REGISTRY:
        raise ValueError(f"engine: expected auto, {', '.join(_REGISTRY)}, got {engine!r}")
    return engine


def __getattr__(name: str) -> Any:
    """``run_numpy`` and ``run_numba`` for code that imports them from here."""
    for engine, (_module, function) in _REGISTRY.items():
        if name == function:
            return ENGINES[engine]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
