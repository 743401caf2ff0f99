"""lifsim: leaky integrate-and-fire neurons, from the tutorial to ensembles of millions.

Quick start::

    import lifsim
    from lifsim import inputs

    params = lifsim.LIFParams(tau="20 ms", dt="0.1 ms")
    result = lifsim.simulate(params, inputs.uniform_noise("250 pA"), n=1000, seed=1, spiking=False)
    result.v_mean, result.v_std(ddof=1)
"""

__version__ = "0.1.0"

from . import inputs, spikes, streams, theory  # noqa: E402
from .formats import load, save  # noqa: E402
from .params import LIFParams  # noqa: E402
from .provenance import rerun  # noqa: E402
from .result import Result  # noqa: E402
from .simulation import simulate  # noqa: E402

__all__ = [
    "LIFParams",
    "Result",
    "simulate",
    "load",
    "save",
    "rerun",
    "explore",
    "inputs",
    "spikes",
    "streams",
    "theory",
    "__version__",
]


def explore(**kwargs):  # type: ignore[no-untyped-def]
    """Interactive explorer with sliders for Jupyter (see :func:`lifsim.explorer.explore`)."""
    from .explorer import explore as _explore

    return _explore(**kwargs)
