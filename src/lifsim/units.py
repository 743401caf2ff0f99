"""Parsing physical quantities at the edges ("20 ms", "250pA", "100 MOhm").

Inside lifsim every number is an SI float (seconds, volts, amperes, ohms,
hertz).  Values that come from users (CLI options, Python keyword arguments)
may carry a unit; :func:`to_si` converts them once, checking that the unit has
the dimension the parameter needs.

A small dedicated parser is used instead of ``pint``: lifsim needs five units
and the SI prefixes, and importing pint costs about half a second of start-up
time on every ``lifsim`` command.
"""

from __future__ import annotations

import math
import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal
from numbers import Real
from typing import Any

__all__ = [
    "DIMENSIONS",
    "DISPLAY_UNITS",
    "to_si",
    "format_si",
    "display_factor",
    "format_display",
    "parse_int",
    "unit_slips",
    "plain_number_hint",
    "slip_hint",
    "far_outside",
    "time_slip",
    "DT_SLIP",
]

#: dimension name -> (base unit symbol, accepted spellings of the base unit)
DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "time": ("s", ("s", "sec")),
    "voltage": ("V", ("V",)),
    "current": ("A", ("A",)),
    "resistance": ("Ohm", ("Ohm", "ohm", "Ω", "Ω")),
    "frequency": ("Hz", ("Hz",)),
    "dimensionless": ("", ("",)),
}

#: dimension -> (the field's display unit, SI value of one display unit); data stay SI,
#: figures, help texts and templates speak these units
DISPLAY_UNITS: dict[str, tuple[str, float]] = {
    "time": ("ms", 1e-3),
    "voltage": ("mV", 1e-3),
    "current": ("pA", 1e-12),
    "resistance": ("MOhm", 1e6),
    "frequency": ("Hz", 1.0),
    "dimensionless": ("", 1.0),
}

#: SI prefix -> its power of ten
_PREFIXES: dict[str, int] = {
    "": 0, "G": 9, "M": 6, "k": 3, "m": -3, "u": -6, "µ": -6, "μ": -6, "n": -9, "p": -12, "f": -15
}  # fmt: skip

# ASCII digits only: Python's float() would also read "１２" (full-width) or "١٢" (Arabic-Indic)
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?inf|nan"
_QUANTITY = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[^\s0-9.+-][^\s]*)?\s*$", re.IGNORECASE)


def _unit_factor(unit: str, dimension: str) -> int | None:
    """Return the power of ten of ``unit``'s SI factor for ``dimension``, or None if it does not fit."""
    for base in DIMENSIONS[dimension][1]:
        if not base:
            continue
        if unit.endswith(base):
            prefix = unit[: len(unit) - len(base)]
            if prefix in _PREFIXES:
                return _PREFIXES[prefix]
    return None


def _accepted(dimension: str) -> str:
    base = DIMENSIONS[dimension][0]
    if not base:
        return "a plain number"
    examples = {"s": "s, ms, us", "V": "V, mV", "A": "A, nA, pA", "Ohm": "Ohm, MOhm, GOhm", "Hz": "Hz, kHz"}
    return f"a number in {base} or a value with a unit ({examples[base]})"


def to_si(value: object, dimension: str, name: str) -> float:
    """Convert ``value`` to an SI float of the given dimension.

    Parameters
    ----------
    value : float, int or str
        A plain number (already SI: seconds, volts, amperes, ohms, hertz) or a
        string such as ``"20 ms"``, ``"-60mV"``, ``"250 pA"``, ``"100 MOhm"``.
    dimension : str
        One of ``"time"``, ``"voltage"``, ``"current"``, ``"resistance"``,
        ``"frequency"``, ``"dimensionless"``.
    name : str
        The parameter's name, used in error messages.

    Returns
    -------
    float
        The value in SI units. It may be NaN or infinite; callers validate ranges.

    Raises
    ------
    ValueError
        If the string is not a number with an optional unit, or the unit is
        unknown or of the wrong dimension.
    TypeError
        If ``value`` is neither a real number nor a string.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected {_accepted(dimension)}, got the boolean {value!r}")
    if isinstance(value, Real):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{name}: {str(value)[:40]}... is too large for a number of lifsim") from None
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected {_accepted(dimension)}, got {type(value).__name__} {value!r}")
    match = _QUANTITY.match(value)
    if match is None:
        raise ValueError(f"{name}: cannot read {value!r}; expected {_accepted(dimension)}")
    text = match.group("num")
    unit = match.group("unit") or ""
    exponent = _unit_factor(unit, dimension) if unit else 0
    if exponent is None:
        raise ValueError(f"{name}: unknown or wrong unit {unit!r} in {value!r}; expected {_accepted(dimension)}")
    return _decimal_value(text, exponent)


def _decimal_value(text: str, exponent: int) -> float:
    """The double nearest to the decimal ``text`` times ``10**exponent``, rounded once: ``0.03 ms`` is 3e-05 as
    ``3e-5`` and ``30 us`` are (``float("0.03") / 1000`` is 2.9999999999999997e-05, an ulp off: two runs of the
    same value typed in two ways gave other bits), ``0.1 nA`` is 1e-10 as ``100 pA`` is."""
    if text.strip("+-").lower() in ("inf", "nan"):
        return float(text)
    # a context of lifsim's own (a program's decimal settings, such as a precision of 4, must not round the text),
    # with digits for every digit of the text: scaleb is exact, and the one rounding is the conversion to a double
    context = Context(prec=len(text) + 2, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
    try:
        return float(Decimal(text).scaleb(exponent, context=context))
    except ArithmeticError:  # an exponent past even those (1e999999999999999999): far past a double's range
        return float(text) * 10.0**exponent


def unit_slips(values: Any, ranges: tuple[tuple[str, float, float, str, str], ...]) -> list[str]:
    """The attributes of ``values`` that are valid but far outside their usual range, each in words.

    ``ranges``: ``(name, low, high, SI unit, the range in words)``.  A slip of units gives such values
    (``--tau 20`` is 20 s, ``--j 0.1`` is 100 mV); the runs warn about each one before they start, with
    :func:`slip_hint`'s reading in the field's unit where that one is usual."""
    out = []
    for name, low, high, unit, text in ranges:
        value = getattr(values, name)
        if not low <= value <= high:
            out.append(far_outside(name, value, low, high, _DIMENSION_OF[unit], text))
    return out


#: the shortest time step (s) taken for a slip of units in a message about it: a plain number is seconds, and a
#: neuron's or a network's steps are fractions of a millisecond to a few (``--dt 1`` is 1 s, ``--dt 0.5`` 500 ms)
DT_SLIP = 0.1
#: SI unit symbol -> its dimension
_DIMENSION_OF = {base: dimension for dimension, (base, _) in DIMENSIONS.items() if base}


def far_outside(name: str, value: float, low: float, high: float, dimension: str, text: str) -> str:
    """The plausibility warning for ``value`` (SI) of ``name``, far outside its usual range ``low .. high`` (SI,
    ``text`` in words): ``"tau: 20 s is far outside the usual range (0.1 ms to 1 s); plain numbers are SI units
    (s): did you mean 20ms?"``.  Every such warning says it this way (:func:`slip_hint`)."""
    unit = DIMENSIONS[dimension][0]
    shown = f"{value:g} s" if unit == "s" and abs(value) >= 1.0 else format_si(value, unit)  # not "1.2 ks"
    return f"{name}: {shown} is far outside the usual range ({text})" + slip_hint(value, dimension, low, high)


def slip_hint(value: float, dimension: str, low: float, high: float) -> str:
    """What a warning about ``value`` (SI), far outside ``low .. high``, adds: the same number in the field's
    unit where that reading is in the range (``--tau 20``: ``"; plain numbers are SI units (s): did you mean
    20ms?"``, ``--i-mean 250``: ``250pA``, ``--sigma 5``: ``5mV``), else a word to check the unit
    (``--r 0.1``: 0.1 MOhm would be no usual resistance either)."""
    if math.isfinite(value) and value != 0 and DISPLAY_UNITS[dimension][0]:
        meant = to_si(f"{_typed(value)}{DISPLAY_UNITS[dimension][0]}", dimension, "value")
        if low <= meant <= high:
            return plain_number_hint(value, dimension)
    return "; check its unit (plain numbers are SI units: s, V, A, Ohm)"


def _typed(value: float) -> str:
    """``value`` as a user would have typed it: ``20``, ``-60``, ``0.5`` (no ``20.0``, no float noise)."""
    return f"{value:.15g}"


def plain_number_hint(value: float, dimension: str) -> str:
    """What a message about ``value`` (SI) adds where it came, by a slip, from a plain number meant in the field's
    unit: ``"; plain numbers are SI units (s): did you mean 50ms?"`` (``--dt 1`` is a step of 1 s,
    ``--snapshots 50`` a time of 50 s).  Its callers say when a value is such a slip."""
    si, shown = DIMENSIONS[dimension][0], DISPLAY_UNITS[dimension][0]
    return f"; plain numbers are SI units ({si}): did you mean {_typed(value)}{shown}?"


#: the shortest time (s) a plain number meant in ms is taken for, past the time it must not exceed: ``--period 10``
#: is 10 s (``--dt`` has its own, shorter bound, :data:`DT_SLIP`: steps are fractions of a ms)
TIME_SLIP = 1.0


def time_slip(value: float, longest: float) -> str:
    """:func:`plain_number_hint` for a time ``value`` (s) that is a slip of units, else ``""``: the one rule of
    every time option a run bounds (``--onset``, ``--snapshots``, ``--period``, ``--transient``,
    ``--fano-window``).  A slip is a time of :data:`TIME_SLIP` or more past ``longest`` (s, what the option may
    sensibly reach: the run, or its part after the transient) whose reading in ms falls within it (``--period 10``
    of a 150 ms run is 10 s, and 10 ms would fit)."""
    if value >= TIME_SLIP and value > longest and 0.0 <= value * 1e-3 <= longest:
        return plain_number_hint(value, "time")
    return ""


def format_si(value: float, unit: str) -> str:
    """Format an SI value with an engineering prefix, e.g. ``0.02, 's' -> '20 ms'``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
    if not -15 <= exponent <= 9:  # past the prefixes: plain SI (1e-300 s was "1e-285 fs")
        return f"{value:.6g} {unit}".strip()
    prefix = {9: "G", 6: "M", 3: "k", 0: "", -3: "m", -6: "u", -9: "n", -12: "p", -15: "f"}[exponent]
    scaled = value / 10.0**exponent
    return f"{scaled:.6g} {prefix}{unit}"


def display_factor(dimension: str) -> float:
    """Multiply an SI value by this to get it in the field's display unit (``0.02 s * 1e3 = 20 ms``)."""
    return 1.0 / DISPLAY_UNITS[dimension][1]


def format_display(value: float, dimension: str) -> str:
    """An SI value in the field's display unit: ``0.02, "time" -> "20 ms"``, ``1e8, "resistance" -> "100 MOhm"``.

    Times of a second or more are shown in s (``"1 s"``).  A value the display unit would show in powers of ten
    (``-1 Ohm`` is ``-1e-06 MOhm``, ``250 A`` is ``2.5e+14 pA``) takes the SI prefix that gives a readable number
    instead (``-1 Ohm``, ``250 A``, ``5 nV``); past the prefixes, plain SI (``1e-300 s``).
    """
    unit, size = DISPLAY_UNITS[dimension]
    if dimension == "time" and abs(value) >= 1.0:
        unit, size = "s", 1.0
    text = _readable(value / size, unit)
    if text is not None or not math.isfinite(value) or value == 0 or dimension == "dimensionless":
        return text if text is not None else f"{value:g} {unit}".strip()
    base = DIMENSIONS[dimension][0]
    exponent = min(max(int(math.floor(math.log10(abs(value)) / 3) * 3), -15), 9)
    if dimension == "time":  # no ks or Ms: a time of a second or more is said in s
        exponent = min(exponent, 0)
    prefix = {9: "G", 6: "M", 3: "k", 0: "", -3: "m", -6: "u", -9: "n", -12: "p", -15: "f"}[exponent]
    text = _readable(value / 10.0**exponent, prefix + base)
    return text if text is not None else f"{value:g} {base}"


def _readable(scaled: float, unit: str) -> str | None:
    """``scaled`` and its ``unit`` as text, or None where the number would be written in powers of ten (or is no
    finite number of that unit: 1e308 V in mV).  Nine significant digits first: 0.1 ms, not 0.10000000000000002
    ms."""
    if not math.isfinite(scaled):
        return None
    text = f"{float(f'{scaled:.9g}'):g}"
    return None if "e" in text else f"{text} {unit}".strip()


def _exact_whole(text: str) -> int | None:
    """The whole number a decimal text such as ``"1e3"`` or ``"2.5e1"`` names exactly, else None (at most 4,300
    digits, Python's own limit for ``int`` of a text)."""
    from decimal import Decimal, InvalidOperation

    if len(text) > 100:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number.adjusted()) >= 4300 or number != number.to_integral_value():
        return None
    return int(number)


def parse_int(raw: Any, label: str, low: int | None = None, expected: str | None = None) -> int:
    """A whole number from ``raw``: an int, or text such as ``"1000"`` or ``"1e3"`` (integral scientific notation)."""
    accepted = expected or ("a whole number" + (f" >= {low}" if low is not None else ""))
    value: int | None = None
    number = math.nan  # the float a float or a text gave, when not read as an int
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        number = raw
    elif isinstance(raw, str):
        text = raw.strip().replace("_", "")
        for char in (c for c in text if not c.isascii() and c.isdigit()):  # int("１２") would be 12
            raise ValueError(f"{label}: {raw!r} holds the non-ASCII digit {char!r} (U+{ord(char):04X}); write 0-9")
        try:
            value = int(text)
        except ValueError:
            value = _exact_whole(text)  # 1e3, 9007199254740993e0: read exactly, never through a float
    if value is None and math.isfinite(number) and number == int(number):
        if abs(number) >= 2**53:  # a float (a TOML float, a Python float) is exact only up to 2**53
            raise ValueError(
                f"{label}: {raw!r} is a floating-point number beyond 2**53, where whole numbers are no longer exact; "
                "write it in digits"
            )
        value = int(number)
    if value is None or (low is not None and value < low):
        raise ValueError(f"{label}: expected {accepted}, got {raw!r}")
    return value
