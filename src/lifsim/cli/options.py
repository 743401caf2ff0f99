"""The option table: every option of ``lifsim simulate``, ``fi``, ``params`` and friends, defined once.

Each :class:`Option` states its name (the Python keyword and the TOML key),
its kind and physical dimension, its default (SI), help, range and the
commands that take it.  Everything else is derived from :data:`OPTIONS`:

* the argparse groups, flags (``--t-max``), metavars and help texts, with
  defaults shown in the field's units (``20 ms``, ``100 MOhm``, ``250 pA``);
* the TOML keys and their accepted types (:mod:`lifsim.config`) and the
  commented ``lifsim init`` template, whose values are the defaults (or say
  why not);
* the sliders of :func:`lifsim.explore`;
* the map from a parameter name in an API message (``t_max: ...``) to the
  option the user typed (``--t-max: ...``, or ``run.toml: t_max: ...``).

The defaults belong to the API, and the table reads them from there: model
parameters and their descriptions from :class:`lifsim.params.LIFParams`
(:data:`lifsim.params.PARAM_UNITS`, :data:`~lifsim.params.PARAM_DOCS`), the
run length of ``fi`` and ``sweep`` from the ``study`` profile
(:data:`lifsim.params.PROFILES`, :data:`COMMAND_PROFILES`), every other default
from the signature of the function the command calls (:func:`lifsim.simulate`,
:func:`lifsim.fi_curve`, :func:`lifsim.sweep`), input defaults from
:mod:`lifsim.inputs`, output suffixes from :mod:`lifsim.formats`: a fact lives
in one place, and ``lifsim fi`` is ``lifsim.fi_curve()`` with the same values.
This module belongs to the command line: the library never imports it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..defaults import DEFAULTS, FI
from ..formats import FIGURE_SUFFIXES, TABLE_SUFFIXES
from ..inputs import INPUT_KINDS, SineTerm, Step
from ..network.model import NETWORK_ENGINES, NETWORK_SUFFIXES, BrunelParams
from ..params import PARAM_DOCS, PARAM_UNITS, PROFILES, LIFParams
from ..units import DISPLAY_UNITS, format_display, parse_int, to_si

__all__ = [
    "Option",
    "OPTIONS",
    "BY_NAME",
    "GROUP_TITLES",
    "group_title",
    "for_command",
    "parse_int",
    "api_name_to_flag",
    "FIGURE_SUFFIXES",
    "TABLE_SUFFIXES",
]

#: kinds of option values
QUANTITY, INT, FLAG, CHOICE, TEXT, PATH, INT_LIST, QUANTITY_LIST, NEURONS, GRID, SPIKE_SELECTION = (
    "quantity",
    "int",
    "flag",
    "choice",
    "text",
    "path",
    "int_list",
    "quantity_list",
    "neurons",
    "grid",
    "spike_selection",
)

#: suffixes of a sweep's data: NetCDF (written when done) or a Zarr store (written point by point, resumable)
SWEEP_SUFFIXES = (".nc", ".zarr")

GROUP_TITLES = {
    "model": "model parameters (SI numbers, or values with units: 20ms, -60mV, 100MOhm, 250pA)",
    "input": "input current",
    "sweep": "f-I sweep",
    "run": "run",
    "output": "output",
}
#: (group, command) -> the group's title where a command gives it another
_COMMAND_GROUP_TITLES = {
    ("sweep", "sweep"): "parameter sweep",
    ("sweep", "network"): "network sweep",
    ("model", "network"): "model parameters (SI numbers, or values with units: 1.5ms, 0.1mV, 20mV)",
}


def group_title(group: str, command: str) -> str:
    """The title of option group ``group`` in ``command``'s help and configuration template."""
    return _COMMAND_GROUP_TITLES.get((group, command), GROUP_TITLES[group])


_METAVARS = {
    "time": "TIME",
    "voltage": "VOLTAGE",
    "current": "CURRENT",
    "resistance": "RESISTANCE",
    "dimensionless": "NUMBER",
}


@dataclass(frozen=True)
class Option:
    """One option, described once.

    Attributes
    ----------
    name : str
        Python keyword, TOML key and argparse ``dest`` (``t_max``); the flag is
        ``--`` plus the name with dashes (``--t-max``).
    kind : str
        ``quantity`` (a number with a unit), ``int``, ``flag`` (on/off),
        ``choice``, ``text``, ``path``, ``int_list``, ``quantity_list`` or
        ``neurons`` (a selection of neuron indices) or ``spike_selection`` (whose spikes a network keeps:
        :func:`lifsim.network.record.parse_record`, the one parser of the command line's text, a config
        file's value and Python's argument).
    help : str
        One line; the default is appended in the field's units.
    group : str
        Key of :data:`GROUP_TITLES`.
    commands : tuple of str
        Commands that take the option.
    default : object
        Default value (SI for quantities); None when unset.
    dimension : str or None
        For quantities: ``time``, ``voltage``, ``current``, ``resistance`` or
        ``dimensionless``.
    default_text : str or None
        What an unset (None) default means, for help texts.
    choices : tuple of str
        Accepted values of a ``choice``.
    low : int or None
        Smallest accepted ``int``.
    suffixes : dict of str to tuple of str
        For paths: accepted suffixes per command.
    per_command : dict
        Command -> default, where a command's default differs (``fi`` runs 1 s).
    command_help : dict
        Command -> help, where a command uses the option differently.
    template : tuple or None
        ``(value, why)`` for ``lifsim init`` when the template sets a value
        other than the default; ``why`` goes into the comment.
    slider : tuple or None
        ``(min, max, step)`` of an explorer slider, in the display unit.
    slider_start : tuple or None
        ``(value, why)``: the slider's start (display unit) where the default
        cannot serve.
    """

    name: str
    kind: str
    help: str
    group: str
    commands: tuple[str, ...]
    default: Any = None
    dimension: str | None = None
    default_text: str | None = None
    choices: tuple[str, ...] = ()
    low: int | None = None
    suffixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    per_command: Mapping[str, Any] = field(default_factory=dict)
    command_help: Mapping[str, str] = field(default_factory=dict)
    template: tuple[Any, str] | None = None
    slider: tuple[float, float, float] | None = None
    slider_start: tuple[Any, str] | None = None
    short: str | None = None
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    command_default_text: Mapping[str, str] = field(default_factory=dict)  #: a command's words for a None default
    accepts: str | None = None  #: what a ``text`` value must look like, for messages
    command_choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  #: a command's own ``choices``
    text_metavar: str = "KIND[+KIND]"  #: a ``text`` value's placeholder in usage lines
    #: a command's own ``template`` (None: the default, as an option without a template)
    command_template: Mapping[str, tuple[Any, str] | None] = field(default_factory=dict)

    # ------------------------------------------------------------ derived facts
    def template_for(self, command: str) -> tuple[Any, str] | None:
        """``command``'s ``lifsim init`` value and why (:attr:`template`, or the command's own)."""
        return self.command_template.get(command, self.template)

    @property
    def flag(self) -> str:
        """The command-line spelling, ``--t-max``."""
        return "--" + self.name.replace("_", "-")

    @property
    def unit(self) -> str:
        """The display unit of a quantity (``ms``), else ``""``."""
        return DISPLAY_UNITS[self.dimension][0] if self.dimension else ""

    def default_for(self, command: str) -> Any:
        """The default value (SI) when ``command`` runs."""
        return self.per_command.get(command, self.default)

    def metavar(self, command: str = "simulate") -> str | None:
        if self.kind == QUANTITY:
            return _METAVARS[self.dimension or "dimensionless"]
        if self.kind == INT:
            return "N"
        if self.kind == CHOICE:
            return "{" + ",".join(self.choices_for(command)) + "}"
        if self.kind == TEXT:
            return self.text_metavar
        if self.kind == PATH:
            suffixes = self.suffixes.get(command, ())
            return f"PATH{suffixes[0]}" if len(suffixes) == 1 else "PATH"
        if self.kind == INT_LIST:
            return "L1,L2,..."
        if self.kind == QUANTITY_LIST:
            return "T1,T2,..."
        if self.kind in (NEURONS, SPIKE_SELECTION):
            return "NEURONS"
        return None

    def show(self, value: Any) -> str:
        """A value as a user reads it: ``20 ms``, ``on``, ``none``, ``1,5,10``."""
        if value is None:
            return self.default_text or "none"
        if self.kind == QUANTITY:
            return format_display(float(value), self.dimension or "dimensionless")
        if self.kind == FLAG:
            return "on" if value else "off"
        if self.kind in (INT_LIST, QUANTITY_LIST):
            return ",".join(str(x) for x in value) if value else "none"
        return str(value)

    def help_for(self, command: str) -> str:
        """The help line with the command's default in display units."""
        text = self.command_help.get(command, self.help)
        if self.kind == PATH and self.group == "output" and self.suffixes.get(command):
            from ..formats import FORMATS

            labels = {s: f.label for f in FORMATS for s in f.suffixes}
            listed = ", ".join(f"{s} ({labels[s]})" if s in labels else s for s in self.suffixes[command])
            text = f"{text}: {listed}"
        default = self.default_for(command)
        shown = self.command_default_text[command] if default is None and command in self.command_default_text else None
        return f"{text} (default {shown or self.show(default)})"

    # ------------------------------------------------------------ values
    def toml_types(self) -> tuple[type, ...]:
        """Python types a TOML value of this option may have."""
        return {
            QUANTITY: (str, int, float),
            INT: (int, float, str),  # 1000, 1e3 (a float in TOML) or "1e3": a whole number, as on the command line
            FLAG: (bool,),
            CHOICE: (str,),
            TEXT: (str,),
            PATH: (str, bool),
            INT_LIST: (list, str),
            QUANTITY_LIST: (list, str),
            NEURONS: (str, bool, list),
            GRID: (list, str, dict),
            SPIKE_SELECTION: (bool, object),  # every value reaches the selection's parser, which says what it takes
        }[self.kind]

    def choices_for(self, command: str | None) -> tuple[str, ...]:
        """The values a ``choice`` takes in ``command`` (any command's: None)."""
        return self.command_choices.get(command, self.choices) if command is not None else self.choices

    def expected(self, command: str | None = None) -> str:
        """What a value must look like (in ``command``), for error messages."""
        if self.kind == QUANTITY:
            if self.dimension == "dimensionless":
                return "a number"
            example = format_display(self.example_value(), self.dimension or "dimensionless")
            return f"a {self.dimension}, e.g. {example!r} or an SI number"
        if self.kind == PATH:
            if self.group != "output":
                return "a path to a file" + "".join(f" ({s})" for s in self.suffixes.get("simulate", ())[:1])
            return "an output path, or false for none"
        return {
            INT: "a whole number" + (f" >= {self.low}" if self.low is not None else ""),
            FLAG: "true or false",
            CHOICE: " or ".join(f'"{c}"' for c in self.choices_for(command)),
            TEXT: self.accepts or f'an input kind ({", ".join(INPUT_KINDS)}) or a sum such as "sine+uniform"',
            GRID: 'NAME=START:STOP:COUNT or NAME=V1,V2,... (e.g. "i_mean=0:400pA:21", "tau=10ms,20ms")',
            INT_LIST: 'a list of whole numbers >= 0 (steps), e.g. [1, 5, 10] or "1,5,10"',
            QUANTITY_LIST: 'a list of times on the grid, e.g. ["10 ms", "100 ms"] or "10ms,100ms"',
            NEURONS: '"all", "none", "start:stop[:step]", "i,j,k", a list of neuron indices, or false',
            SPIKE_SELECTION: _spike_selections(),
        }[self.kind]

    def example_value(self) -> float:
        """A representative SI value (the default, or the template's)."""
        for value in (self.default, self.template[0] if self.template else None):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
                return float(value)
        return {"time": 10e-3, "voltage": 5e-3, "current": 100e-12, "resistance": 100e6}.get(self.dimension or "", 1.0)

    def parse(self, raw: Any, label: str, command: str | None = None) -> Any:
        """Convert a value from the command line (text) or a config file (TOML) into lifsim's.

        ``label`` names where it came from (``--tau``, ``run.toml: tau``) in errors; ``command``, where given,
        the command whose choices a ``choice`` takes.
        Quantities become SI floats, ints ints, lists tuples; a path set to false becomes None.
        """
        if raw is None:
            return None
        if self.kind == QUANTITY:
            return to_si(raw, self.dimension or "dimensionless", label)
        if self.kind == INT:
            return parse_int(raw, label, self.low)
        if self.kind == FLAG:
            if not isinstance(raw, bool):
                raise ValueError(f"{label}: expected true or false, got {raw!r}")
            return raw
        if self.kind == CHOICE:
            if raw not in self.choices_for(command):
                raise ValueError(f"{label}: expected {self.expected(command)}, got {raw!r}")
            return raw
        if self.kind == TEXT:
            if not isinstance(raw, str):
                raise ValueError(f"{label}: expected {self.expected()}, got {raw!r}")
            return raw
        if self.kind == SPIKE_SELECTION:
            from ..network.record import parse_record

            return parse_record(raw, label)
        if self.kind == GRID:
            from ..grid import SWEEPABLE, grid_dimension, parse_grid
            from ..network.model import SWEEPABLE_DIMENSIONS as NETWORK_DIMENSIONS

            # the names of either model (no name has two dimensions); the sweep checks them against its model
            accepted = f"lifsim sweep takes {', '.join(SWEEPABLE)}; lifsim network {', '.join(NETWORK_DIMENSIONS)}"
            dimensions = {**{n: grid_dimension(n) for n in SWEEPABLE}, **NETWORK_DIMENSIONS}
            return parse_grid(raw, label, dimensions, accepted=accepted)
        if self.kind == PATH:
            if raw is False:
                return None
            if not isinstance(raw, str) or not raw:
                raise ValueError(f"{label}: expected {self.expected()}, got {raw!r}")
            return raw
        if self.kind in (INT_LIST, QUANTITY_LIST):
            items = _split(raw)
            if self.kind == INT_LIST:
                try:
                    return tuple(parse_int(item, label, 0, self.expected()) for item in items)
                except ValueError:
                    raise ValueError(f"{label}: expected {self.expected()}, got {raw!r}") from None
            try:
                return tuple(to_si(item, self.dimension or "time", label) for item in items)
            except (TypeError, ValueError):
                raise ValueError(f"{label}: expected {self.expected()}, got {raw!r}") from None
        # NEURONS: kept as given; simulate() checks it against n
        if raw is True:
            return "all"
        if raw is False or (isinstance(raw, str) and raw.strip().lower() == "none"):
            # no neuron: unset where that is the default (--record-v), else the text (the network's spikes,
            # whose unset value is all of them)
            return None if self.default is None else "none"
        if isinstance(raw, list):
            return [parse_int(item, label, 0, self.expected()) for item in raw]
        if isinstance(raw, int) and not isinstance(raw, bool):
            return [raw]
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"{label}: expected {self.expected()}, got {raw!r}")
        return raw.strip()


def _spike_selections() -> str:
    """What a network's spike selection may be (:data:`lifsim.network.record.ACCEPTED`)."""
    from ..network.record import ACCEPTED

    return ACCEPTED


def _split(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return [raw]


# ---------------------------------------------------------------- the table

#: LIFParams' own defaults (v0 None: E_L), read from the dataclass, not from an instance
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(LIFParams)}
_MODEL = ("simulate", "fi", "sweep", "params")
_RUN = ("simulate", "fi")
_RUN_ALL = ("simulate", "fi", "sweep")


#: the parameter profile (:data:`lifsim.params.PROFILES`) each command starts from; the others: ``tutorial``
COMMAND_PROFILES = {"fi": "study", "sweep": "study"}


def _param(name: str, **extra: Any) -> Option:
    dimension = PARAM_UNITS[name][0]
    commands = tuple(extra.pop("commands", _MODEL))
    default = _DEFAULTS[name]
    per_command = {
        command: PROFILES[profile][name] for command, profile in COMMAND_PROFILES.items() if name in PROFILES[profile]
    }
    return Option(
        name, QUANTITY, PARAM_DOCS[name], "model", commands, default, dimension, per_command=per_command, **extra
    )


def _api(command: str, name: str, dimension: str | None = None) -> Any:
    """The API's default of ``name`` for ``command`` (:mod:`lifsim.defaults`; SI for a quantity)."""
    default = DEFAULTS[command][name]
    return to_si(default, dimension, name) if dimension is not None and default is not None else default


def _per_command(name: str, dimension: str | None = None, commands: tuple[str, ...] = _RUN_ALL) -> dict[str, Any]:
    """``name``'s API default for each command: simulate's, fi_curve's, sweep's."""
    return {command: _api(command, name, dimension) for command in commands}


def _figure_suffixes(*commands: str) -> dict[str, tuple[str, ...]]:
    return {command: FIGURE_SUFFIXES for command in commands}


def _data_suffixes() -> dict[str, tuple[str, ...]]:
    from ..formats import RESULT_SUFFIXES

    return {
        "simulate": RESULT_SUFFIXES,
        "fi": (*TABLE_SUFFIXES, ".zarr"),  # a .zarr store: the f-I sweep itself, written point by point
        "sweep": SWEEP_SUFFIXES,
        "tutorial": (".npz",),
        "rerun": RESULT_SUFFIXES,
    }


def _engine_choices() -> tuple[str, ...]:
    from ..engine import listed

    return ("auto", *listed())


OPTIONS: tuple[Option, ...] = (
    # ---- model
    _param("t_max", slider=(20.0, 1000.0, 10.0)),
    _param("dt", slider=(0.05, 2.0, 0.05)),
    _param("tau", slider=(2.0, 100.0, 1.0)),
    _param("el", slider=(-90.0, -40.0, 1.0)),
    _param("vr", slider=(-90.0, -40.0, 1.0)),
    _param("vth", slider=(-70.0, -20.0, 1.0)),
    _param("r", slider=(10.0, 500.0, 10.0)),
    _param(
        "i_mean",
        commands=("simulate", "sweep", "params"),
        elsewhere={"fi": "lifsim fi sweeps the mean current: set it with --i-min, --i-max and --points"},
        slider=(0.0, 600.0, 10.0),
    ),
    _param("v0", default_text="E_L"),
    _param("t_ref", slider=(0.0, 10.0, 0.5)),
    _param("t_ref_std"),
    Option(
        "round_steps",
        FLAG,
        "accept a t_max or t_ref that is not a whole number of steps dt, rounding it to the nearest step",
        "model",
        _MODEL,
        False,
    ),
    # ---- input
    Option(
        "input",
        TEXT,
        f"input current: one of {', '.join(INPUT_KINDS)}, or a sum such as sine+uniform or constant+white "
        "(constant, sine and uniform share the mean: I_mean (1 + sin + A xi))",
        "input",
        ("simulate", "sweep"),
        "constant",
        per_command={"sweep": _api("sweep", "input")},
        command_help={
            "sweep": "the drive at every point: white (I_mean + white noise of --sigma), constant, or uniform"
        },
        template=("uniform", "the tutorial's random input"),
        slider_start=("uniform", "the tutorial's random input"),
    ),
    Option(
        "amplitude",
        QUANTITY,
        "uniform noise amplitude A in I_mean (1 + A xi), xi ~ U(-1, 1)",
        "input",
        ("simulate", "sweep"),
        _api("sweep", "amplitude", "dimensionless"),
        "dimensionless",
        default_text="the tutorial's 0.1 sqrt(t_max/dt)",
        slider=(0.0, 3.0, 0.0001),  # fine enough for the tutorial's 1.2247
        slider_start=(None, "the tutorial's value for the explorer's t_max and dt"),
    ),
    Option(
        "period",
        QUANTITY,
        "period of the sinusoid in I_mean (1 + sin(2 pi t / period))",
        "input",
        ("simulate",),
        SineTerm.period,
        "time",
    ),
    Option(
        "sigma",
        QUANTITY,
        "white-noise strength: tau dV/dt = E_L - V + R I + sigma sqrt(tau) xi(t) (needs --input white)",
        "input",
        ("simulate", "fi", "sweep"),
        None,
        "voltage",
        command_help={
            "fi": "white-noise strength sigma, added at every current (tau dV/dt = ... + sigma sqrt(tau) xi)"
        },
        default_text="none",
        slider=(0.0, 10.0, 0.5),
        slider_start=(3.0, "white noise needs a strength; 3 mV is a moderate one"),
        per_command=_per_command("sigma", "voltage", ("fi", "sweep")),
    ),
    Option(
        "onset",
        QUANTITY,
        "time the step input switches from --baseline to I_mean",
        "input",
        ("simulate",),
        Step.onset,
        "time",
    ),
    Option(
        "baseline",
        QUANTITY,
        "current of the step input before --onset",
        "input",
        ("simulate",),
        Step.baseline,
        "current",
    ),
    Option(
        "depth",
        QUANTITY,
        "modulation depth of the sinusoid, I_mean (1 + depth sin(2 pi t / period)) (dimensionless)",
        "input",
        ("simulate",),
        SineTerm.depth,
        "dimensionless",
    ),
    Option(
        "input_file",
        PATH,
        "current array in A for --input array, shape (steps,) or (n, steps)",
        "input",
        ("simulate",),
        suffixes={"simulate": (".npy",)},
    ),
    # ---- f-I sweep
    Option("i_min", QUANTITY, "lowest mean current", "sweep", ("fi",), FI["currents"][0], "current"),
    Option("i_max", QUANTITY, "highest mean current", "sweep", ("fi",), FI["currents"][-1], "current"),
    Option("points", INT, "number of currents", "sweep", ("fi",), len(FI["currents"]), low=2),
    Option(
        "transient",
        QUANTITY,
        "initial time left out of the rates",
        "sweep",
        ("fi", "sweep"),
        _api("sweep", "transient", "time"),
        "time",
        per_command=_per_command("transient", "time", ("fi", "sweep")),
    ),
    Option(
        "grid",
        GRID,
        "a swept name and its values, START:STOP:COUNT or V1,V2,...: any model parameter but dt and t_max, "
        "sigma or amplitude; repeat for more dimensions (e.g. --grid i_mean=0:400pA:21 --grid tau=10ms,20ms)",
        "sweep",
        ("sweep",),
        None,
        default_text="required",
        template=(["i_mean=50:350pA:7", "tau=10ms,20ms"], "an example grid: the sweep needs one"),
        command_template={"network": None},  # a network runs one network unless asked for a sweep
    ),
    Option(
        "dry_run",
        FLAG,
        "check everything, time a short calibration run, and print the tasks, memory, output size and time the "
        "run would take; run and write nothing",
        "run",
        ("simulate", "fi", "sweep", "rerun"),
        False,
    ),
    Option(
        "fano_window",
        QUANTITY,
        "window of the spike counts whose Fano factor each point reports",
        "sweep",
        ("sweep",),
        _api("sweep", "fano_window", "time"),
        "time",
    ),
    Option(
        "per_step",
        FLAG,
        "also keep each point's per-step mean and variance of V",
        "sweep",
        ("sweep",),
        _api("sweep", "per_step"),
    ),
    Option(
        "resume",
        FLAG,
        "finish an interrupted sweep in its .zarr store: only the missing points run",
        "run",
        ("sweep", "simulate", "fi"),
        False,
        command_help={
            "simulate": "finish an interrupted Dask run (--workers or --scheduler) in its .zarr store: only the "
            "missing neuron ranges run",
            "fi": "finish an interrupted f-I curve in its .zarr store (--data PATH.zarr): only the missing currents "
            "run",
        },
    ),
    # ---- run
    Option(
        "n",
        INT,
        "number of neurons (1000 or 1e3)",
        "run",
        _RUN_ALL,
        _api("simulate", "n"),
        low=1,
        per_command=_per_command("n"),
        command_help={"fi": "neurons per current", "sweep": "neurons per grid point"},
        template=(1000, "an ensemble, so that the statistics mean something"),
        slider=(1.0, 2000.0, 1.0),
        slider_start=(50, "the tutorial's ensemble of 50; the command line's default is 1"),
    ),
    Option(
        "seed",
        INT,
        "random seed: neuron j's noise depends only on (seed, j)",
        "run",
        _RUN_ALL,
        _api("simulate", "seed"),
        low=0,
        per_command=_per_command("seed"),
        command_help={
            "fi": "random seed: the point p uses seed * 2**32 + p (lifsim.sweeps.point_seed)",
            "sweep": "random seed: the grid point p (flat C-order index) uses seed * 2**32 + p",
        },
    ),
    Option(
        "stream_version",
        INT,
        "random stream version: 3 (float32 normals, one draw a pair) or 2 (lifsim's normals before issue 17; "
        "the version differs in the normals only, see the reproducibility contract)",
        "run",
        _RUN_ALL,
        _api("simulate", "stream_version"),
        low=2,
        per_command=_per_command("stream_version"),
    ),
    Option(
        "spiking",
        FLAG,
        "threshold and reset (off: the tutorial's subthreshold membrane)",
        "run",
        ("simulate", "sweep"),
        _api("simulate", "spiking"),
        per_command=_per_command("spiking", commands=("simulate", "sweep")),
        template=(False, "the tutorial's Part I membrane has no spikes"),
        slider_start=(False, "the tutorial's Part I membrane has no spikes"),
    ),
    Option(
        "method",
        CHOICE,
        "integration: euler (the tutorial's forward Euler) or exact (exponential; the exact "
        "Ornstein-Uhlenbeck step for white noise)",
        "run",
        _RUN_ALL,
        _api("simulate", "method"),
        per_command=_per_command("method"),
        choices=("euler", "exact"),
    ),
    Option(
        "engine",
        CHOICE,
        "numba: the compiled multi-core kernel; numpy: the readable reference; cuda: an NVIDIA GPU (extra "
        "lifsim[gpu]; never chosen by auto); auto: numba where installed",
        "run",
        _RUN_ALL,
        _api("simulate", "engine"),
        per_command=_per_command("engine"),
        choices=(),  # filled from the engine registry below
    ),
    Option(
        "threads",
        INT,
        "threads of the numba engine",
        "run",
        _RUN_ALL,
        None,
        low=1,
        default_text="all cores",
    ),
    Option(
        "device",
        INT,
        "the GPU of the cuda engine",
        "run",
        ("simulate",),
        None,
        low=0,
        default_text="GPU 0",
    ),
    Option(
        "workers",
        INT,
        "run on a Dask LocalCluster of this many single-threaded worker processes (same bits as one process; "
        "extra lifsim[dask])",
        "run",
        ("simulate", "fi", "sweep"),
        None,
        low=1,
        default_text="one process",
    ),
    Option(
        "scheduler",
        TEXT,
        "run on the Dask cluster whose scheduler is at this address, e.g. tcp://10.0.0.5:8786 (same bits as one "
        "process)",
        "run",
        ("simulate", "fi", "sweep"),
        None,
        default_text="$DASK_SCHEDULER_ADDRESS, else none",
        accepts="a scheduler address such as tcp://10.0.0.5:8786",
        text_metavar="ADDRESS",
    ),
    Option(
        "record_v",
        NEURONS,
        "keep full V traces: all neurons (the flag alone), or a selection such as 0:100 or 0,5,9",
        "run",
        ("simulate",),
        None,
        template=("0:10", "the traces of neurons 0-9, for the figure"),
    ),
    Option(
        "record_spikes",
        FLAG,
        "keep every spike time (counts and rates are always kept)",
        "run",
        ("simulate",),
        _api("simulate", "record_spikes"),
    ),
    Option(
        "lags",
        INT_LIST,
        "autocovariance lags in steps, accumulated while the run goes",
        "run",
        ("simulate",),
        _api("simulate", "lags"),
        template=([1, 5, 10], "the autocovariance at three lags"),
    ),
    Option(
        "snapshots",
        QUANTITY_LIST,
        "keep V of every neuron at these times (for histograms of V)",
        "run",
        ("simulate",),
        _api("simulate", "snapshots"),
        "time",
    ),
    # ---- output
    Option(
        "data",
        PATH,
        "save the run",
        "output",
        ("simulate", "fi", "sweep", "tutorial", "rerun"),
        None,
        suffixes={},  # filled from the format registry below
        command_help={
            "fi": "save the table: i (A), rate, rate_sem, rate_theory (of the simulated grid), "
            "rate_theory_continuous (Hz), with provenance; or, as a .zarr store, the f-I sweep itself, point by "
            "point (resumable with --resume)",
            "tutorial": "save the exercise's arrays (t, i, v, v_mean, v_std)",
            "rerun": "save the new run",
            "sweep": "save the sweep (an xarray Dataset); a .zarr store receives each point as it finishes",
        },
        template=("run.nc", "a NetCDF file beside this one"),
        command_template={  # each command's own name and a format it saves (fi's table is no .nc)
            "fi": ("fi.csv", "the table, a CSV file beside this one"),
            "sweep": ("sweep.nc", "a NetCDF file beside this one"),
            "network": ("network.nc", "a NetCDF file beside this one"),
        },
    ),
    Option(
        "force",
        FLAG,
        "replace an existing --data result (without it an existing file or store is refused, before the run)",
        "output",
        ("simulate", "fi", "sweep", "tutorial", "rerun"),
        False,
    ),
    Option(
        "plot",
        PATH,
        "save a figure (a figure already there is replaced: figures are redrawn from the data, which --force guards)",
        "output",
        ("simulate", "fi", "sweep", "tutorial"),
        None,
        suffixes=_figure_suffixes("simulate", "fi", "sweep", "tutorial"),
        command_help={"tutorial": "save the exercise's figure"},
        template=("run.png", "a figure beside this one"),
        command_template={
            "fi": ("fi.png", "a figure beside this one"),
            "sweep": ("sweep.png", "a figure beside this one"),
            "network": ("network.png", "a figure beside this one"),
        },
    ),
    Option(
        "xkcd",
        FLAG,
        "draw in the tutorial's xkcd style",
        "output",
        ("simulate", "fi", "tutorial"),
        False,
        per_command={"tutorial": None},
        default_text="the exercise's own style",
    ),
    Option(
        "quiet",
        FLAG,
        "print nothing on success, and no progress bar",
        "output",
        ("simulate", "fi", "sweep", "rerun"),
        False,
        short="-q",
    ),
)


def _complete(options: tuple[Option, ...]) -> tuple[Option, ...]:
    """Fill in the facts that live in other registries (engines, formats)."""
    done = []
    for option in options:
        if option.name == "engine":
            option = dataclasses.replace(option, choices=_engine_choices())
        elif option.name == "data":
            option = dataclasses.replace(option, suffixes=_data_suffixes())
        done.append(option)
    return tuple(done)


OPTIONS = _complete(OPTIONS)

# --- lifsim network (issue 18): the network's own rows, and the shared rows with the network's defaults.
# Defaults come from lifsim.network.BrunelParams, so a fact lives in one place.

_NETWORK = "network"
#: result formats of a network run

_NETWORK_DEFAULTS = {f.name: f.default for f in dataclasses.fields(BrunelParams) if f.init}
#: shared option -> network default (None: the model's default of the same name)
_NETWORK_SHARED: dict[str, Any] = {
    "t_max": None,
    "dt": None,
    "tau": None,
    "el": None,
    "vr": None,
    "vth": None,
    "t_ref": None,
    "seed": None,
    "engine": "auto",
    "threads": None,
    "data": None,
    "plot": None,
    "force": False,
    "quiet": False,
    "grid": None,
    "resume": False,
    "dry_run": False,
    "workers": None,
    "scheduler": None,
}
_NETWORK_NETWORK_SHARED_HELP = {
    "grid": "sweep the network over a grid (lifsim.sweep): a network parameter (g, eta, j, epsilon, delay, tau, "
    "el, vth, vr, t_ref, n_exc) and its values, START:STOP:COUNT or V1,V2,...; repeat for more dimensions "
    "(e.g. --grid g=3:8:11 --grid eta=1:4:7); point p's network uses seed * 2**32 + p",
    "resume": "finish the network sweep in --data PATH.zarr (only the missing grid points run)",
    "dry_run": "with --grid: time the middle point for 0.1 s and print what the sweep would take; run nothing",
    "engine": "numba: the compiled kernel, threads meeting once per delay; numpy: the readable reference; "
    "both give the same spikes",
    "seed": "random seed: connectivity, initial V and external drive are functions of (seed, neuron, draw)",
    "data": "save the network (spikes, rates, CVs, synchrony, theory; an xarray Dataset); with --grid the "
    "sweep (.nc, or a resumable .zarr store written point by point)",
    "plot": "save the figure (raster, population activity, rate and CV distributions, theory); with --grid the "
    "phase diagram",
    "t_max": "simulated time",
    "workers": "with --grid: run the sweep's points on a Dask LocalCluster of this many worker processes (same "
    "bits as one process; extra lifsim[dask]); one network runs here, on --threads",
    "scheduler": "with --grid: run the sweep's points on the Dask cluster whose scheduler is at this address "
    "(same bits as one process)",
}


def with_network(options: tuple[Any, ...]) -> tuple[Any, ...]:
    """``options`` with the network command: its own rows first, then the shared rows extended."""
    own = (
        Option(
            "n_exc",
            INT,
            "excitatory neurons N_E (N_I = N_E/4)",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["n_exc"],
            low=4,
        ),
        Option(
            "epsilon",
            QUANTITY,
            "connection probability: in-degrees C_E = eps N_E, C_I = eps N_I",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["epsilon"],
            "dimensionless",
        ),
        Option(
            "j",
            QUANTITY,
            "excitatory synaptic weight J (inhibitory: -g J)",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["j"],
            "voltage",
        ),
        Option(
            "g",
            QUANTITY,
            "relative strength of inhibition g",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["g"],
            "dimensionless",
        ),
        Option(
            "eta",
            QUANTITY,
            "external rate over threshold rate, nu_ext / nu_thr",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["eta"],
            "dimensionless",
        ),
        Option(
            "delay",
            QUANTITY,
            "synaptic delay D (a whole number of steps dt)",
            "model",
            (_NETWORK,),
            _NETWORK_DEFAULTS["delay"],
            "time",
        ),
        Option(
            "record_spikes",
            SPIKE_SELECTION,
            "whose spikes the result keeps: all, none, E, I, K (the first K of each population) or START:STOP "
            "(statistics always use every spike)",
            "run",
            (_NETWORK,),
            "all",
        ),
    )
    out = []
    for option in options:
        if option.name in _NETWORK_SHARED:
            default = _NETWORK_SHARED[option.name]
            if default is None and option.name in _NETWORK_DEFAULTS:
                default = _NETWORK_DEFAULTS[option.name]
            changes: dict[str, Any] = {
                "commands": (*option.commands, _NETWORK),
                "per_command": {**option.per_command, _NETWORK: default},
            }
            if option.name in _NETWORK_NETWORK_SHARED_HELP:
                changes["command_help"] = {**option.command_help, _NETWORK: _NETWORK_NETWORK_SHARED_HELP[option.name]}
            if option.name == "grid":
                changes["command_default_text"] = {_NETWORK: "none: one network"}
            if option.name == "data":
                changes["suffixes"] = {**option.suffixes, _NETWORK: NETWORK_SUFFIXES}
            if option.name == "plot":
                changes["suffixes"] = {**option.suffixes, _NETWORK: FIGURE_SUFFIXES}
            if option.name == "engine":  # the network's engines (lifsim.network.run.ENGINES): no cuda
                changes["command_choices"] = {**option.command_choices, _NETWORK: NETWORK_ENGINES}
            option = dataclasses.replace(option, **changes)
        out.append(option)
    return (*own, *out)


OPTIONS = with_network(OPTIONS)
BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}


def for_command(command: str) -> tuple[Option, ...]:
    """The options ``command`` takes, in table order."""
    return tuple(option for option in OPTIONS if command in option.commands)


#: names in API messages that are not option names, and the option that sets them
_ALIASES = {"array input": "input_file", "stream": "seed", "steps": "t_max", "path": "data"}


def api_name_to_flag(name: str, labels: Mapping[str, str] | None = None) -> str | None:
    """The option a user gave for the API name ``name`` (``t_max`` -> ``--t-max``), if there is one.

    ``labels`` maps names to where their values came from (a flag or ``run.toml: key``).
    """
    name = _ALIASES.get(name, name)
    if labels and name in labels:
        return labels[name]
    option = BY_NAME.get(name)
    return option.flag if option is not None else None
