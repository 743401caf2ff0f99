"""Simulation engines behind one protocol, found in a registry and imported when first used.

Every engine module has the same entry (:class:`EngineModule`)::

    run_range(plan, first_block=0, end_block=None, *, progress=None, trace_sink=None, chunk_steps=None)
        -> RangeOutput

which runs the plan's blocks ``first_block .. end_block - 1`` through every
time point and returns their mergeable results
(:class:`lifsim.engine.output.RangeOutput`, defined beside the engines);
the runners (:mod:`lifsim.runners`) call it for a whole run or for a task's
range, and merge the ranges.  Engines never import runners.  Registered engines:

``numpy``: the readable reference (:mod:`lifsim.engine.numpy_engine`), a loop
over time steps vectorised over neurons, evaluating the input through
:meth:`lifsim.inputs.Input.current`; it runs every stream, the tutorial's
legacy one included.

``numba``: the compiled, multi-core kernel (:mod:`lifsim.engine.numba_engine`),
tested against the reference bit for bit.  numba is imported only when this
engine runs; it is looked up, not imported, to tell whether it is installed.

``cuda``: the GPU engine (:mod:`lifsim.engine.cuda.engine`), CUDA kernels
compiled by CuPy's NVRTC, the same bits as the CPU engines.  It is used only
when asked for (``engine="cuda"``): ``auto`` never picks a GPU.

``cuda-twin``: the CUDA kernels' CPU twin, compiled by the system C compiler,
driven by the GPU engine's own host logic (:mod:`lifsim.engine.cuda.twin`).
Not listed for users; it lets the conformance suite check the GPU engine on
machines without a GPU.

``auto`` (the default of :func:`lifsim.simulate`): the best installed engine
that can run the stream (numba for the counter stream, numpy for the legacy one).

The CPU engines (numpy, numba) share one host loop (:mod:`lifsim.engine.host`)
around their kernel ``advance(plan, drive, schedule, state, out, first_block,
n_blocks, k0, k1)``; the GPU engine and its twin keep the state in device
memory and have their own host side.  An engine module may define
``unavailable()``: why it cannot run here although its package is installed
(no GPU), or None.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from .output import RangeOutput, RunOutput

if TYPE_CHECKING:
    import numpy as np

    from .plan import RunPlan

__all__ = ["ENGINES", "Engine", "EngineModule", "RangeOutput", "RunOutput"]
__all__ += ["numba_available", "choose_engine", "installed", "listed", "get"]


class EngineModule(Protocol):
    """What every engine module provides: one entry, :func:`run_range`."""

    def run_range(
        self,
        plan: RunPlan,
        first_block: int = 0,
        end_block: int | None = None,
        *,
        progress: Callable[..., Any] | None = None,
        trace_sink: Callable[[int, np.ndarray], None] | None = None,
        chunk_steps: int | None = None,
    ) -> RangeOutput: ...


@dataclass(frozen=True)
class Engine:
    """One registered engine: its module, the package it needs, what it can run."""

    name: str
    module: str
    requires: str | None  #: import name of the package it needs (looked up, not imported)
    legacy_stream: bool  #: whether it can run the tutorial's legacy stream
    rank: int  #: ``auto`` prefers the highest rank installed
    auto: bool = True  #: whether ``auto`` may pick it
    listed: bool = True  #: offered to users (``--engine`` choices, messages)
    extra: str | None = None  #: the lifsim extra that installs ``requires``
    probe: str | None = None  #: a function of the package's: a C compiler found, say (looked up, not imported)

    def installed(self) -> bool:
        if self.requires is not None and importlib.util.find_spec(self.requires) is None:
            return False
        if self.probe is not None:
            module, _, name = self.probe.rpartition(".")
            return bool(getattr(importlib.import_module(module), name)())
        return True

    def load(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")


#: the registry: every engine lifsim knows, by name
ENGINES: dict[str, Engine] = {
    "numpy": Engine("numpy", "numpy_engine", None, True, 0),
    "numba": Engine("numba", "numba_engine", "numba", False, 10),
    "cuda": Engine(
        "cuda",
        "cuda.engine",
        "cupy",
        False,
        20,
        auto=False,
        extra="gpu",
        probe=f"{__name__}.cuda.engine.available_here",
    ),
    "cuda-twin": Engine(
        "cuda-twin",
        "cuda.twin",
        None,
        False,
        -1,
        auto=False,
        listed=False,
        probe=f"{__name__}.cuda.source.has_c_compiler",
    ),
}


def installed(listed_only: bool = False) -> list[str]:
    """Names of the engines that can run here (``listed_only``: those offered to users)."""
    return [name for name, engine in ENGINES.items() if engine.installed() and (engine.listed or not listed_only)]


def listed() -> list[str]:
    """Names of the engines offered to users, installed or not (the ``--engine`` choices)."""
    return [name for name, engine in ENGINES.items() if engine.listed]


def numba_available() -> bool:
    """True when numba is installed (looked up, not imported)."""
    return ENGINES["numba"].installed()


def choose_engine(engine: str, stream_kind: str) -> str:
    """Resolve ``"auto"`` to the best installed engine for the stream; check an explicit name.

    :class:`~lifsim.errors.MissingDependencyError` for an engine whose package is not installed (``cuda``
    without CuPy), ``ValueError`` for an unknown name or one that cannot run here (no GPU).
    """
    legacy = stream_kind != "counter"
    if engine == "auto":
        usable = [e for e in ENGINES.values() if e.auto and e.installed() and (e.legacy_stream or not legacy)]
        return max(usable, key=lambda e: e.rank).name
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(
            f"engine: expected auto or one of the engines installed here ({', '.join(installed(True))}), got {engine!r}"
        )
    chosen = ENGINES[engine]
    if chosen.requires is not None and importlib.util.find_spec(chosen.requires) is None:
        from ..errors import MissingDependencyError  # a missing optional package, as for formats and explore()

        how = f'pip install ".[{chosen.extra}]" in the lifsim folder' if chosen.extra else f"install {chosen.requires}"
        raise MissingDependencyError(
            f"engine: {engine!r} needs {chosen.requires}, which is not installed ({how}); "
            f"installed engines: {', '.join(installed(True))}",
            package=chosen.requires,
            extra=chosen.extra,
        )
    reason = getattr(chosen.load(), "unavailable", lambda: None)()
    if reason:
        raise ValueError(
            f"engine: {engine!r} cannot run here: {reason}; installed engines: {', '.join(installed(True))}"
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
