"""The ``cuda-twin`` engine: the GPU engine's host logic on the CPU twin of its kernels.

Not for users (it runs on one core): it exists so that the conformance
suite, the contract tests and the Dask tests check the GPU engine's
arithmetic, chunking, spike buffers, compaction and node merges bit for bit
on machines without a GPU.  It needs a C compiler; the library is built once
per source version (:func:`lifsim.engine.cuda.source.build_reference`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np

from ..plan import RunPlan
from .engine import CBackend, _run_range, check_plan
from .source import build_reference, find_c_compiler

__all__ = ["run_range", "unavailable", "library"]

_LIBRARY: ctypes.CDLL | None = None


def unavailable() -> str | None:
    """Why the twin cannot run here, or None."""
    return None if find_c_compiler() is not None else "no C compiler found (set CC, or install gcc or clang)"


def library() -> ctypes.CDLL:
    """The compiled twin (built on first use in this process, then loaded from the cache)."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = build_reference()
    return _LIBRARY


def run_range(
    plan: RunPlan,
    first_block: int = 0,
    end_block: int | None = None,
    *,
    progress: Callable[..., Any] | None = None,
    trace_sink: Callable[[int, np.ndarray], None] | None = None,
    chunk_steps: int | None = None,
) -> Any:
    """As :func:`lifsim.engine.cuda.engine.run_range`, on the CPU twin."""
    check_plan(plan)
    return _run_range(plan, first_block, end_block, CBackend(library()), progress, trace_sink, chunk_steps)
