"""Sweep grids: parsing ``NAME=VALUES`` text, and walking the grid's points without holding them.

Grammar of one grid entry (``lifsim sweep --grid``, ``lifsim.sweep(grid=...)``)::

    NAME=START:STOP:COUNT   COUNT evenly spaced values, both ends included (COUNT >= 2;
                            COUNT = 1 only when START equals STOP)
    NAME=V1,V2,...          a list of values

A unit on either end of a range applies to both (``0:400pA:21``), and a unit on
one list item applies to the items without one (``10,20,40ms``; an item whose
plain SI reading lies near the others and its reading in their unit far from
them, as in ``4e-10,200pA``, is warned about).  Numbers are
ASCII: digits of other scripts (``１２``, ``١٢``), which Python's ``float`` would
accept, are refused, and so are repeated values (``10ms,0.01``), a range whose
points coincide, and values that are NaN or infinite.  A mapping
``{name: values}`` may hold such texts, numbers (SI) or lists of either.

A grid is the C-order product of its names' values; :class:`GridPoints` is that
product as a lazy sequence of ``(flat index, values)``, and :func:`check_grid`
checks every point a sweep will run without building a million model objects.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from .params import PARAM_UNITS
from .units import format_display, parse_int, to_si

__all__ = ["SWEPT_INPUT", "SWEEPABLE", "COUPLED", "GridPoints", "parse_grid", "check_grid", "grid_dimension"]

#: input settings that can be swept besides the model parameters, and their dimension
SWEPT_INPUT = {"sigma": "voltage", "amplitude": "dimensionless"}
#: the names a grid may hold
SWEEPABLE = tuple(name for name in PARAM_UNITS if name not in ("dt", "t_max")) + tuple(SWEPT_INPUT)
#: pairs of sweepable names whose validity depends on both values (``vr < vth``); every other check
#: of a point (``LIFParams``, the Euler step, the input) reads one swept name at a time
COUPLED = (frozenset({"vr", "vth"}),)
#: at most this many values per name, and this many points in all
MAX_PER_NAME = 100_000
MAX_POINTS = 1_000_000
#: grids up to this many points are checked point by point
EXHAUSTIVE_CHECK = 10_000
_EXAMPLE = "NAME=VALUES such as 'i_mean=0:400pA:21' or 'tau=10,20,40ms'"


def grid_dimension(name: str) -> str:
    """The dimension (``"time"``, ``"voltage"``, ...) of a sweepable name."""
    return SWEPT_INPUT[name] if name in SWEPT_INPUT else PARAM_UNITS[name][0]


def _unit_of(text: str) -> str:
    """The unit letters at the end of a quantity's text (``"400pA"`` -> ``"pA"``), or ``""``."""
    stripped = text.strip()
    end = len(stripped)
    while end > 0 and (stripped[end - 1].isalpha() or stripped[end - 1] in "µΩ"):
        end -= 1
    return stripped[end:] if end > 0 else ""  # "inf" is a number, not a unit


def _check_ascii_digits(text: str, where: str) -> None:
    """Refuse digits of scripts other than ASCII (``float("１２")`` is 12.0; a grid's numbers are ASCII)."""
    for char in text:
        if not char.isascii() and (char.isdigit() or char.isnumeric()):
            raise ValueError(f"{where}: {text!r} holds the non-ASCII digit {char!r} (U+{ord(char):04X}); write 0-9")


def _count(text: str, where: str) -> int:
    """The COUNT of a range, read as every count of lifsim is (``10``, ``1e1``, ``1_000``: :func:`parse_int`)."""
    try:
        count = parse_int(text, where, 1)
    except ValueError:
        raise ValueError(f"{where}: the count {text!r} of START:STOP:COUNT must be a whole number >= 1") from None
    if count > MAX_PER_NAME:
        raise ValueError(f"{where}: {text.strip()[:30]} points; at most {MAX_PER_NAME} per name")
    return count


#: an example range of each dimension, for the message that asks for START:STOP:COUNT
_RANGE_EXAMPLES = {"current": "0:400pA:21", "voltage": "-70:-50mV:5", "time": "10:40ms:4", "resistance": "50:200MOhm:4"}


def _range(name: str, text: str, where: str, dimension: str) -> tuple[float, ...]:
    parts = [part.strip() for part in text.split(":")]
    if len(parts) != 3:
        example = _RANGE_EXAMPLES.get(dimension, "2:8:7")
        raise ValueError(f"{where}={text!r}: expected START:STOP:COUNT (both ends included), e.g. {example}")
    start, stop, count_text = parts
    unit = _unit_of(stop) or _unit_of(start)
    if unit and not _unit_of(start):
        start += unit
    if unit and not _unit_of(stop):
        stop += unit
    count = _count(count_text, f"{where}={text!r}")
    low, high = (to_si(end, dimension, where) for end in (start, stop))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{where}={text!r}: START and STOP must be finite numbers")
    if count == 1 and low != high:
        raise ValueError(
            f"{where}={text!r}: one point cannot hold both ends START and STOP; "
            f"give COUNT >= 2, or the single value as {name}={start}"
        )
    units = {u for u in (_unit_of(start), _unit_of(stop)) if u}
    finer = min(units, key=lambda u: to_si(f"1{u}", dimension, where)) if units else ""  # 100pA:0.3nA: in pA
    return even_points(low, high, count, dimension, where, finer)


def even_points(low: float, high: float, count: int, dimension: str, where: str, unit: str = "") -> tuple[float, ...]:
    """``count`` evenly spaced values (SI) from ``low`` to ``high`` (SI), both included, each the value its text
    in ``unit`` (a unit of ``dimension``; "" for SI) reads as.

    ``100:300pA:3``'s middle point is 200 pA as ``--i-mean 200pA`` reads it (2e-10 A; an SI ``linspace`` gave
    1.9999999999999998e-10), so that a point run alone with the value its table prints gives the same numbers;
    twelve significant digits drop the spacing's round-off (0.1:0.7mV:7's 0.30000000000000004 is 0.3 mV).
    """
    if count == 1:
        return (float(low),)
    size = to_si(f"1{unit}", dimension, where) if unit else 1.0
    points = ((low + (high - low) * index / (count - 1)) / size for index in range(count))
    return tuple(to_si(f"{float(f'{point:.12g}')!r}{unit}", dimension, where) for point in points)


def _values(name: str, text: str, where: str, dimension: str) -> tuple[float, ...]:
    """The SI values of one entry's text (see the module for the grammar), ``dimension`` the name's."""
    _check_ascii_digits(text, where)
    text = text.strip()
    if not text:
        raise ValueError(f"{where} has no values")
    if ":" in text:
        return _range(name, text, where, dimension)
    items = [item.strip() for item in text.split(",")]
    if not all(items):  # "1pA,,2pA" or "1pA,": a value left out, as --record-v refuses "0,,1"
        raise ValueError(f"{where}: an empty value in {text!r} (two commas together, or one at an end)")
    unit = next((_unit_of(item) for item in items if _unit_of(item)), "")
    values = tuple(to_si(item if _unit_of(item) or not unit else item + unit, dimension, where) for item in items)
    if unit:
        _warn_inherited_slips(items, values, unit, where, dimension)
    return values


#: a plain list item is taken for an SI value written by mistake when its SI reading lies within this factor of
#: the items that have units, and its reading in their unit lies farther than :data:`_FAR` from them
_NEAR, _FAR = 100.0, 100.0


def _warn_inherited_slips(items: Sequence[str], values: Sequence[float], unit: str, where: str, dimension: str) -> None:
    """Warn about a list item without a unit whose reading in the list's unit (``4e-10,200pA``: 4e-10 pA) is
    far from the items with units while its plain SI reading (4e-10 A = 400 pA) is near them."""
    import warnings

    from .errors import PlausibilityWarning, user_stacklevel
    from .units import format_display

    sized = [abs(v) for item, v in zip(items, values) if _unit_of(item) and v != 0]
    if not sized:
        return
    low, high = min(sized), max(sized)
    for item, value in zip(items, values):
        if _unit_of(item) or value == 0:
            continue
        plain = abs(to_si(item, dimension, where))
        if low / _NEAR <= plain <= high * _NEAR and not low / _FAR <= abs(value) <= high * _FAR:
            meant = format_display(to_si(item, dimension, where), dimension)
            warnings.warn(
                f"{where}: {item} takes the list's unit ({item} {unit}), far from the other values; as a plain "
                f"number (SI) it would be {meant}: write a unit on each value if that was meant",
                PlausibilityWarning,
                stacklevel=user_stacklevel(),
            )


def _item(item: Any, where: str, dimension: str) -> float:
    if isinstance(item, str):
        _check_ascii_digits(item, where)
    return to_si(item, dimension, where)


def _checked(values: tuple[float, ...], where: str, dimension: str) -> tuple[float, ...]:
    """Refuse an empty entry, NaN or infinite values and repeated values."""
    if not values:
        raise ValueError(f"{where} has no values")
    if len(values) > MAX_PER_NAME:
        raise ValueError(f"{where}: {len(values)} points; at most {MAX_PER_NAME} per name")
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"{where}: every value must be a finite number, got {value!r}")
    if len(set(values)) != len(values):
        seen: set[float] = set()
        repeated = next(v for v in values if v in seen or seen.add(v))  # type: ignore[func-returns-value]
        raise ValueError(
            f"{where}: the value {format_display(repeated, dimension)} appears more than once; each point of a grid "
            "is unique"
        )
    return values


def _entries(raw: Any, label: str) -> list[tuple[str, Any]]:
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items()]
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, (list, tuple)):
        raise ValueError(f"{label}: expected {_EXAMPLE}, got {raw!r}")
    entries = []
    for text in texts:
        if not isinstance(text, str) or "=" not in text:
            raise ValueError(f"{label}: expected {_EXAMPLE}, got {text!r}")
        name, values = text.split("=", 1)
        entries.append((name.strip(), values))
    return entries


def parse_grid(
    raw: Any, label: str = "grid", dimensions: Mapping[str, str] | None = None, *, accepted: str | None = None
) -> dict[str, tuple[float, ...]]:
    """The grid from text (``"i_mean=0:400pA:21"``), a list of such texts, or a mapping name -> values.

    Returns ``{name: values}`` in SI units (s, V, A, Ohm; ``amplitude`` is a
    plain number), in the order given.  See the module for the grammar; bad
    input raises ValueError naming the entry and what is accepted.  ``dimensions``
    maps the names that may be swept to their dimension (default: the neuron's,
    :data:`SWEEPABLE`; a network sweep passes the network's); ``accepted``: how an
    unknown name's message lists them (default "sweepable: " and the names).
    """
    dimensions = {name: grid_dimension(name) for name in SWEEPABLE} if dimensions is None else dimensions
    entries = _entries(raw, label)
    if not entries:
        raise ValueError(f"{label}: the grid is empty; give {_EXAMPLE}")
    grid: dict[str, tuple[float, ...]] = {}
    for name, values in entries:
        if name not in dimensions:
            raise ValueError(f"{label}: cannot sweep {name!r}; {accepted or 'sweepable: ' + ', '.join(dimensions)}")
        if name in grid:
            raise ValueError(f"{label}: {name} is given twice")
        where = f"{label}: {name}"
        if isinstance(values, str):
            parsed = _values(name, values, where, dimensions[name])
        else:
            items = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
            parsed = tuple(_item(item, where, dimensions[name]) for item in items)
        grid[name] = _checked(parsed, where, dimensions[name])
    total = math.prod(len(v) for v in grid.values())
    if total > MAX_POINTS:
        raise ValueError(f"{label}: {total} grid points; at most {MAX_POINTS}")
    return grid


class GridPoints(Sequence[tuple[int, tuple[float, ...]]]):
    """The points of a grid in C order as ``(flat index, values)``, computed on demand (a million cost nothing)."""

    def __init__(self, coords: Mapping[str, Sequence[float]], dimensions: Mapping[str, str] | None = None) -> None:
        self.names = tuple(coords)
        #: each name's dimension, for messages (default: the neuron's sweepable names'; others are plain numbers)
        self.dimensions = {name: grid_dimension(name) for name in SWEEPABLE} if dimensions is None else dimensions
        self.axes = tuple(tuple(values) for values in coords.values())
        self.shape = tuple(len(values) for values in self.axes)

    def __len__(self) -> int:
        return math.prod(self.shape)

    @overload
    def __getitem__(self, flat: int) -> tuple[int, tuple[float, ...]]: ...

    @overload
    def __getitem__(self, flat: slice) -> list[tuple[int, tuple[float, ...]]]: ...

    def __getitem__(self, flat: int | slice) -> Any:
        if isinstance(flat, slice):
            return [self[i] for i in range(*flat.indices(len(self)))]
        total = len(self)
        if not -total <= flat < total:
            raise IndexError(f"grid point {flat} of {total}")
        flat = flat % total
        index = np.unravel_index(flat, self.shape)
        return flat, tuple(axis[i] for axis, i in zip(self.axes, index))

    def __iter__(self) -> Iterator[tuple[int, tuple[float, ...]]]:
        return enumerate(itertools.product(*self.axes))

    def describe(self, values: Sequence[float]) -> str:
        """``"i_mean=100 pA, tau=20 ms"`` (the fields' units) for error messages."""
        return ", ".join(
            f"{name}={format_display(value, self.dimensions.get(name, 'dimensionless'))}"
            for name, value in zip(self.names, values)
        )


def _probe_points(points: GridPoints) -> Iterator[tuple[float, ...]]:
    """Points that together meet every check: each value of each name (the others at their first value),
    and the product of each coupled pair of names (the others at their first value)."""
    first = [axis[0] for axis in points.axes]
    for position, axis in enumerate(points.axes):
        for value in axis:
            yield tuple(value if j == position else first[j] for j in range(len(first)))
    for pair in COUPLED:
        where = [j for j, name in enumerate(points.names) if name in pair]
        if len(where) != 2:
            continue
        a, b = where
        for value_a, value_b in itertools.product(points.axes[a], points.axes[b]):
            point = list(first)
            point[a], point[b] = value_a, value_b
            yield tuple(point)


def check_grid(points: GridPoints, check: Callable[[tuple[float, ...]], None]) -> None:
    """Run ``check(values)`` on enough points to know that every point of the grid passes.

    Grids up to :data:`EXHAUSTIVE_CHECK` points are checked point by point.
    Larger ones are checked on each value of each name and on the product of
    each :data:`COUPLED` pair, which meets every check a point can fail, since a
    point's checks read one swept name at a time apart from those pairs.  The
    first failure raises ValueError naming the grid point.
    """
    probes: Iterator[tuple[float, ...]]
    probes = (values for _flat, values in points) if len(points) <= EXHAUSTIVE_CHECK else _probe_points(points)
    for values in probes:
        try:
            check(values)
        except (ValueError, TypeError) as error:
            raise ValueError(f"grid point {points.describe(values)}: {str(error)[:300]}") from None
