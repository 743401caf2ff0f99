"""Simulation engines behind one interface, found in a registry and imported when first used.

An engine advances a run plan's neuron blocks through a chunk of time points
(``advance(plan, drive, schedule, state, out, first_block, n_blocks, k0, k1)``,
see :mod:`lifsim.engine.plan` and :mod:`lifsim.runners`).  Registered engines:

``numpy``: the readable reference (:mod:`lifsim.engine.numpy_engine`), a loop
over time steps vectorised over neurons, evaluating the input through
:meth:`lifsim.inputs.Input.current`; it runs every stream, the tutorial's
legacy one included.

``numba``: the compiled, multi-core kernel (:mod:`lifsim.engine.numba_engine`),
tested against the reference bit for bit.  numba is imported only when this
engine runs; it is looked up, not imported, to tell whether it is installed.

``auto`` (the default of :func:`lifsim.simulate`): the best installed engine
that can run the stream (numba for the counter stream, numpy for the legacy one).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from .output import RunOutput

__all__ = ["ENGINES", "Engine", "RunOutput", "numba_available", "choose_engine", "installed", "get"]


@dataclass(frozen=True)
class Engine:
    """One registered engine: its module, the package it needs, what it can run."""

    name: str
    module: str
    requires: str | None  #: import name of the package it needs (looked up, not imported)
    legacy_stream: bool  #: whether it can run the tutorial's legacy stream
    rank: int  #: ``auto`` prefers the highest rank installed

    def installed(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    def load(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")


#: the registry: every engine lifsim knows, by name
ENGINES: dict[str, Engine] = {
    "numpy": Engine("numpy", "numpy_engine", None, True, 0),
    "numba": Engine("numba", "numba_engine", "numba", False, 10),
}


def installed() -> list[str]:
    """Names of the engines that can run here."""
    return [name for name, engine in ENGINES.items() if engine.installed()]


def numba_available() -> bool:
    """True when numba is installed (looked up, not imported)."""
    return ENGINES["numba"].installed()


def choose_engine(engine: str, stream_kind: str) -> str:
    """Resolve ``"auto"`` to the best installed engine for the stream; check an explicit name."""
    legacy = stream_kind != "counter"
    if engine == "auto":
        usable = [e for e in ENGINES.values() if e.installed() and (e.legacy_stream or not legacy)]
        return max(usable, key=lambda e: e.rank).name
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(
            f"engine: expected auto or one of the engines installed here ({', '.join(installed())}), got {engine!r}"
        )
    if not ENGINES[engine].installed():
        raise ValueError(
            f"engine: {engine!r} needs {ENGINES[engine].requires}, which is not installed; "
            f"installed engines: {', '.join(installed())}"
        )
    if legacy and not ENGINES[engine].legacy_stream:
        raise ValueError(
            f"engine: the {engine} engine draws from the counter-based stream; the tutorial's legacy "
            "stream runs on engine='numpy'"
        )
    return engine


def get(name: str) -> ModuleType:
    """The module of engine ``name`` (imported now)."""
    return ENGINES[name].load()
