"""Which neurons' spikes a network run keeps in its result (``--record-spikes``)."""

from __future__ import annotations

import numpy as np

from ..units import parse_int
from .model import BrunelParams

__all__ = ["parse_record", "record_mask", "check_record", "ACCEPTED"]

#: what a selection may be, for messages (the command line's --record-spikes, a config's record_spikes, Python's)
ACCEPTED = "'all', 'none', 'E', 'I', a count K (the first K neurons of each population) or a range START:STOP"


def parse_record(value: object, label: str = "record_spikes") -> str:
    """The normalized selection text; ValueError naming ``label`` (where the value came from: ``--record-spikes``,
    a config file's key) and what is accepted.  The one parser of a selection: the command line's text, a config
    file's value (a string, or an integer count) and Python's argument."""
    text = str("all" if value is None else value).strip()
    low = text.lower()
    if low in ("all", "none"):
        return low
    if low in ("e", "i"):
        return low.upper()
    if ":" not in text:  # a count: 1000 or 1e3, as counts are everywhere
        try:
            return str(parse_int(text, label, low=0))
        except ValueError:
            pass
    if ":" in text:  # a range START:STOP, each a count (1e3:2e3 as 1000:2000)
        a, _, b = text.partition(":")
        try:
            start, stop = parse_int(a, label, low=0), parse_int(b, label, low=0)
        except ValueError:
            start = stop = 0
        if start < stop:
            return f"{start}:{stop}"
    raise ValueError(f"{label}: expected {ACCEPTED}, got {value!r}")


def record_mask(params: BrunelParams, selection: str) -> np.ndarray:
    """Boolean mask over the neurons (E first, then I) of ``selection`` (:func:`parse_record`)."""
    selection = parse_record(selection)
    mask = np.zeros(params.n, dtype=bool)
    if selection == "all":
        mask[:] = True
    elif selection == "E":
        mask[: params.n_exc] = True
    elif selection == "I":
        mask[params.n_exc :] = True
    elif selection.isdigit():
        k = int(selection)
        mask[: min(k, params.n_exc)] = True
        mask[params.n_exc : params.n_exc + min(k, params.n_inh)] = True
    elif selection != "none":
        a, b = (int(x) for x in selection.split(":"))
        mask[a : min(b, params.n)] = True
    return mask


def check_record(params: BrunelParams, selection: str) -> None:
    """ValueError when a range ``selection`` names neurons the network does not have (as ``record_v`` of a run
    does); a count K is "at most K of each population" (a benchmark keeps the same K at every size), said in a
    warning where K is more than either population has, so that it keeps every neuron."""
    selection = parse_record(selection)
    if selection.isdigit() and int(selection) > params.n_exc:  # N_E >= N_I: more than either population
        import warnings

        from ..errors import LifsimWarning

        warnings.warn(
            f"record_spikes: {int(selection):,} is more than either population has ({params.n_exc:,} E, "
            f"{params.n_inh:,} I), so every neuron's spikes are kept (a count keeps at most that many of each)",
            LifsimWarning,
            stacklevel=3,
        )
    if ":" in selection:
        a, b = (int(x) for x in selection.split(":"))
        if b > params.n:
            raise ValueError(
                f"record_spikes: {selection} reaches beyond the network's {params.n:,} neurons (0:{params.n} is all "
                "of them, E first)"
            )
