"""Simulation engines behind one interface.

``numpy``: the readable reference (:mod:`lifsim.engine.numpy_engine`), a loop
over time steps vectorised over neurons; runs every stream, the tutorial's
legacy one included.

``numba``: the compiled, multi-core, streaming kernel
(:mod:`lifsim.engine.numba_engine`), tested against the reference.

``auto`` (the default of :func:`lifsim.simulate`): ``numba`` where it is
installed and the run uses the default counter-based stream, else ``numpy``.
"""

from __future__ import annotations

from .numba_engine import available as numba_available
from .numba_engine import run_numba
from .numpy_engine import run_numpy
from .output import RunOutput

ENGINES = {"numpy": run_numpy, "numba": run_numba}

__all__ = ["ENGINES", "RunOutput", "run_numpy", "run_numba", "numba_available", "choose_engine"]


def choose_engine(engine: str, stream_kind: str) -> str:
    """Resolve ``"auto"`` to a concrete engine name; validate the others."""
    if engine == "auto":
        return "numba" if numba_available() and stream_kind == "counter" else "numpy"
    if engine not in ENGINES:
        raise ValueError(f"engine: expected auto, {', '.join(ENGINES)}, got {engine!r}")
    return engine
