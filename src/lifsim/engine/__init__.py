"""Simulation engines behind one interface.

``numpy``: the readable reference (:mod:`lifsim.engine.numpy_engine`), a loop
over time steps vectorised over neurons.
"""

from __future__ import annotations

from .numpy_engine import run_numpy
from .output import RunOutput

ENGINES = {"numpy": run_numpy}

__all__ = ["ENGINES", "RunOutput", "run_numpy"]
