"""The defaults of lifsim's entry points, written once.

:func:`lifsim.sweep` and :func:`lifsim.fi_curve` take their keyword defaults
from here, the command line's option table (:mod:`lifsim.cli.options`) reads
the same values, and ``tests/test_defaults.py`` holds every entry point's
signature (:func:`lifsim.simulate`'s included) to them.  So ``lifsim sweep``
and ``lifsim.sweep(...)`` with the same values run the same request.

Where a study differs from the tutorial, it says so through a named profile
(:data:`lifsim.params.PROFILES`): ``sweep`` and ``fi_curve`` start from the
``study`` profile, 1 s at 0.1 ms.  Values are SI, or text with a unit.

This module imports nothing heavier than :mod:`lifsim.params`, :mod:`lifsim.grid` and :mod:`lifsim.streams`,
so that the command line can read it without loading the simulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .grid import even_points
from .params import PROFILES
from .streams import STREAM_VERSION

__all__ = ["SIMULATE", "SWEEP", "FI", "STUDY_PROFILE", "DEFAULTS"]

#: the profile (:data:`lifsim.params.PROFILES`) that sweeps and f-I curves start from
STUDY_PROFILE = "study"
assert STUDY_PROFILE in PROFILES

#: :func:`lifsim.simulate`'s defaults (the run itself; the input defaults to ``constant(i_mean)``)
SIMULATE: Mapping[str, Any] = MappingProxyType(
    {
        "n": 1,
        "seed": 0,
        "stream_version": STREAM_VERSION,
        "method": "euler",
        "engine": "auto",
        "spiking": True,
        "record_spikes": True,
        "lags": (),
        "snapshots": (),
    }
)

#: :func:`lifsim.sweep`'s defaults; ``amplitude`` None is the tutorial's ``0.1 sqrt(t_max / dt)``, as in
#: :func:`lifsim.inputs.uniform_noise` and ``lifsim sweep --input uniform``
SWEEP: Mapping[str, Any] = MappingProxyType(
    {
        "input": "white",
        "sigma": "5 mV",
        "amplitude": None,
        "n": 100,
        "seed": 0,
        "stream_version": STREAM_VERSION,
        "method": "euler",
        "transient": 0.1,
        "spiking": True,
        "per_step": False,
        "fano_window": 0.05,
        "engine": "auto",
    }
)

#: :func:`lifsim.fi_curve`'s defaults; ``currents`` is the curve's currents themselves (A), 0 to 400 pA in 9
#: points, the list ``fi_curve`` takes; ``lifsim fi``'s ``--i-min``, ``--i-max`` and ``--points`` are its first,
#: its last and its length, from which the command makes the same currents (:func:`lifsim.grid.even_points`)
FI: Mapping[str, Any] = MappingProxyType(
    {
        "currents": even_points(0.0, 400e-12, 9, "current", "currents", "pA"),
        "sigma": None,
        "n": SWEEP["n"],
        "seed": SWEEP["seed"],
        "stream_version": SWEEP["stream_version"],
        "method": SWEEP["method"],
        "transient": SWEEP["transient"],
        "engine": SWEEP["engine"],
    }
)

#: command name -> its defaults
DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType({"simulate": SIMULATE, "sweep": SWEEP, "fi": FI})
