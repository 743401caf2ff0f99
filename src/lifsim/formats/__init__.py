"""File formats: one module each, one registry.

Each format is described once, as data (:class:`Format`): its suffixes, what
it holds, whether lifsim can read it back, and the packages it needs.  Save
and load dispatch, the checks made before a run, help texts, the config
template's comments and ``rerun``'s accepted suffixes are all derived from
:data:`FORMATS`.  A format module is imported only when a file of its kind is
written or read, and its packages are checked without importing them
(``importlib.util.find_spec``), so a missing optional package is reported
before a run starts, not after it.

Imports go one way: the format modules import the core (:mod:`lifsim.result`,
:mod:`lifsim.dataset`); the core reaches them only inside delegating methods
(``Result.save``), as xarray's ``Dataset.to_netcdf`` does.

==========  ==========  =====================================================  ========
format      suffixes    holds                                                   reload
==========  ==========  =====================================================  ========
``npz``     ``.npz``    every array under flat names, provenance in ``meta``    yes
``csv``     ``.csv``    the per-step statistics table, provenance in ``#``     no
                        comment lines
``netcdf``  ``.nc``     the :mod:`lifsim.dataset` layout as NetCDF-4 (HDF5)     yes
``zarr``    ``.zarr``   the same layout as a Zarr store (traces read lazily)    yes
``nwb``     ``.nwb``    Neurodata Without Borders 2 (extra ``lifsim[nwb]``)     no
``neo``     (none)      ``Result.to_neo()``: a ``neo.Block`` (``lifsim[neo]``)  no
==========  ==========  =====================================================  ========
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import FIGURE_SUFFIXES as _FIGURE_SUFFIXES
from ..atomic import check_output_path, check_path_type
from ..errors import require
from ..store import FI_READER, check_overwrite, fi_table_provenance, fi_table_words, is_network_file, network_reader

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = [
    "Format",
    "FORMATS",
    "RESULT_SUFFIXES",
    "LOADABLE_SUFFIXES",
    "TABLE_SUFFIXES",
    "FIGURE_SUFFIXES",
    "by_name",
    "format_of",
    "check_dependencies",
    "check_target",
    "check_source",
    "save",
    "load",
    "suffix_help",
    "RUN_PARTS",
    "left_out",
]


@dataclass(frozen=True)
class Format:
    """One file format.

    Attributes
    ----------
    name : str
        The module in :mod:`lifsim.formats` that implements it.
    suffixes : tuple of str
        File suffixes (lower case) that select it; empty for in-memory exports.
    label : str
        A few words for help texts (``"NetCDF-4"``).
    holds : str
        What a file of this format holds, one sentence.
    loadable : bool
        Whether :func:`lifsim.load` (and so ``lifsim rerun``) can read it back.
    requires : tuple of str
        Import names of the packages the format needs.
    extra : str or None
        The pip extra that installs them (None: core dependencies).
    folder : bool
        A file of this format is a folder (Zarr).
    reader : str
        What reads a file that lifsim cannot read back.
    """

    name: str
    suffixes: tuple[str, ...]
    label: str
    holds: str
    loadable: bool
    requires: tuple[str, ...] = ()
    extra: str | None = None
    folder: bool = False
    reader: str = ""
    #: what of a run a file of this format keeps (:data:`RUN_PARTS`): every part unless it says otherwise
    keeps: frozenset[str] = frozenset()
    #: what it keeps, in words, where it leaves some part out
    keeps_text: str = ""

    def module(self) -> Any:
        """The implementing module, imported on first use."""
        return importlib.import_module(f"{__name__}.{self.name}")

    @property
    def core(self) -> bool:
        """True when a plain ``pip install lifsim`` supports it."""
        return self.extra is None


FORMATS: tuple[Format, ...] = (
    Format(
        "netcdf",
        (".nc",),
        "NetCDF-4",
        "the whole run as an xarray Dataset (statistics, traces, spikes, provenance)",
        True,
        ("h5netcdf", "h5py"),
    ),
    Format(
        "zarr",
        (".zarr",),
        "Zarr",
        "the whole run as an xarray Dataset in a Zarr folder; traces stream in while the run goes "
        "and are read back lazily",
        True,
        ("zarr",),
        folder=True,
    ),
    Format(
        "npz",
        (".npz",),
        "numpy",
        "every array under flat names (t, v_mean, v_std, v_var, v_m2, v, spike_t, spike_i, rate...) "
        "and the provenance as JSON in meta",
        True,
    ),
    Format(
        "csv",
        (".csv",),
        "CSV",
        "the per-step table of statistics (t, v_mean, v_std, v_var, autocovariances), units in the header, "
        "provenance in # comment lines",
        False,
        reader="a spreadsheet, or pandas.read_csv(path, comment='#')",
        keeps=frozenset({"lags"}),
        keeps_text="holds the per-step table only",
    ),
    Format(
        "nwb",
        (".nwb",),
        "NWB 2",
        "Neurodata Without Borders: traces, mean input current, ensemble mean and std, spike times",
        False,
        ("pynwb",),
        "nwb",
        reader="pynwb.NWBHDF5IO(path).read()",
        keeps=frozenset({"traces", "spikes"}),
        keeps_text="holds the traces, the mean input current, the ensemble mean and std of V and the spike times",
    ),
    Format(
        "neo",
        (),
        "Neo",
        "an in-memory neo.Block (Result.to_neo()) for Elephant",
        False,
        ("neo", "quantities"),
        "neo",
    ),
)

#: the parts of a run a format may leave out, and their names in words
RUN_PARTS: dict[str, str] = {
    "traces": "the recorded traces",
    "spikes": "the spikes",
    "spike_counts": "the per-neuron spike counts",
    "snapshots": "the snapshots",
    "lags": "the autocovariances",
}


def left_out(fmt: Format, present: set[str], before: bool = False) -> str | None:
    """What a file of ``fmt`` would leave out of a run that holds the ``present`` parts (:data:`RUN_PARTS`), as a
    sentence; None when it keeps them all.  ``before``: said before the run ("will not be"), else after.  The one
    rule for ``Result.save``, ``lifsim simulate --data`` before its run and ``lifsim rerun --data``: a format
    never drops a part of a run without a word (a per-neuron count is kept with the spikes that give it)."""
    if not fmt.keeps:
        return None
    if "spikes" in present:  # the counts go with the spikes that give them, kept or left out
        present = present - {"spike_counts"}
    dropped = [text for part, text in RUN_PARTS.items() if part in present and part not in fmt.keeps]
    if not dropped:
        return None
    listed = dropped[0] if len(dropped) == 1 else f"{', '.join(dropped[:-1])} and {dropped[-1]}"
    verb = "will not be" if before else "are not"
    keep_all = "(.nc, .zarr or .npz keep everything)"
    return f"a {'/'.join(fmt.suffixes)} {fmt.keeps_text}; {listed} of this run {verb} in it {keep_all}"


#: suffixes a run can be saved to (``--data``), in the registry's order
RESULT_SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS for s in f.suffixes)
#: suffixes :func:`load` (and ``lifsim rerun``) can read back
LOADABLE_SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS if f.loadable for s in f.suffixes)
#: suffixes of an f-I curve's table file (:meth:`lifsim.fi.FICurve.save`)
TABLE_SUFFIXES: tuple[str, ...] = (".npz", ".csv")
#: suffixes of figure files (defined beside the output-path checks, re-exported here)
FIGURE_SUFFIXES: tuple[str, ...] = _FIGURE_SUFFIXES


def by_name(name: str) -> Format:
    """The format called ``name`` (``"npz"``, ``"netcdf"``...)."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"format: unknown format {name!r}; known: {', '.join(f.name for f in FORMATS)}")


def suffix_help(suffixes: tuple[str, ...] = RESULT_SUFFIXES) -> str:
    """``".nc (NetCDF-4), .zarr (Zarr), ..."`` for help texts."""
    return ", ".join(f"{s} ({f.label})" for f in FORMATS for s in f.suffixes if s in suffixes)


def format_of(path: str | os.PathLike, what: str = "path", suffixes: tuple[str, ...] = RESULT_SUFFIXES) -> Format:
    """The format a path's suffix selects; ``ValueError`` naming the accepted suffixes otherwise (``TypeError``
    for what is no path)."""
    check_path_type(path, what)
    suffix = Path(path).suffix.lower()
    for fmt in FORMATS:
        if suffix in fmt.suffixes and suffix in suffixes:
            return fmt
    raise ValueError(f"{what}: {str(path)!r} must end in one of {', '.join(suffixes)} ({suffix_help(suffixes)})")


def check_dependencies(fmt: Format, what: str = "path", action: str = "writing") -> None:
    """Raise :class:`~lifsim.errors.MissingDependencyError` if a package ``fmt`` needs is missing.

    The packages are looked up, not imported, so the check is cheap.
    """
    for package in fmt.requires:
        require(package, extra=fmt.extra, subject=f"{action} {'/'.join(fmt.suffixes) or fmt.label}", what=what)


def check_target(
    path: str | os.PathLike,
    what: str = "path",
    suffixes: tuple[str, ...] = RESULT_SUFFIXES,
    overwrite: bool = False,
    resume: bool = False,
) -> tuple[Format, Path]:
    """Everything about an output path that can be checked before a run: suffix, folder, packages, and
    that it names no existing result unless ``overwrite`` (``--force``) allows replacing it (``resume``: the
    caller can also finish an unfinished store, and the refusal says so: :func:`lifsim.store.check_overwrite`)."""
    fmt = format_of(path, what, suffixes)
    target = check_output_path(path, suffixes, what)
    check_overwrite(path, overwrite, what, resume=resume)
    check_dependencies(fmt, what)
    return fmt, target


def _refuse_an_fi_table(source: Path, what: str) -> None:
    """Name an f-I table's .csv as one and its reader (the run's .csv message described another table)."""
    meta = fi_table_provenance(source)
    if meta is not None:
        raise ValueError(
            f"{what}: {str(source)!r} is {fi_table_words(meta)}, not a run: read it with {FI_READER}; lifsim load "
            "and rerun take a run's file"
        )


def check_source(path: str | os.PathLike, what: str = "load") -> tuple[Format, Path]:
    """Check that ``path`` names a file lifsim can read back; return its format and path."""
    check_path_type(path, what)
    source = Path(path)
    suffix = source.suffix.lower()
    fmt = next((f for f in FORMATS if suffix in f.suffixes), None)
    if fmt is None or not fmt.loadable:
        if fmt is not None and fmt.name == "csv":
            _refuse_an_fi_table(source, what)
        hint = ""
        if fmt is not None:
            hint = f" (a {fmt.label} file holds {fmt.holds}, not a whole run; read it with {fmt.reader})"
        raise ValueError(f"{what}: cannot read back {str(path)!r}{hint}; lifsim reads {suffix_help(LOADABLE_SUFFIXES)}")
    try:
        exists = source.exists()
    except OSError as error:  # a name too long for the file system, for example
        raise ValueError(f"{what}: {str(path)[:200]!r}: {error.strerror or error}") from None
    if not exists:
        raise ValueError(f"{what}: {str(path)!r}: no such file")
    if fmt.folder and not source.is_dir():
        raise ValueError(f"{what}: {str(path)!r} is not a {fmt.label} folder")
    if not fmt.folder and not source.is_file():
        raise ValueError(f"{what}: {str(path)!r} is not a regular file")
    check_dependencies(fmt, what, action="reading")
    return fmt, source


def save(
    result: Result, path: str | os.PathLike, *, what: str = "path", overwrite: bool = False, _caller: int = 1
) -> Path:
    """Save ``result`` in the format its suffix names; the write is atomic.

    A file is first written under a temporary name in the same folder and
    renamed when complete, so an interrupted write never leaves a file that
    looks complete (an existing file is kept until the new one is whole).
    An existing file or store is refused unless ``overwrite=True``.
    """
    from ..result import Result

    if not isinstance(result, Result):
        raise TypeError(f"result: expected a lifsim Result, got {type(result).__name__}")
    from ..atomic import saving

    fmt, target = check_target(path, what, overwrite=overwrite)
    problems = result.problems()  # what loading its file would refuse: refused here, before anything is written
    if problems:
        raise ValueError(
            f"{what}: {str(path)!r} was not written: the result does not hold together ({'; '.join(problems)}), so "
            "its file would not load; its arrays or provenance were changed after the run"
        )
    note = left_out(fmt, result.parts())
    if note is not None:  # every save of a run says what its format leaves out (Result.save and lifsim.save alike)
        import warnings

        from ..errors import LeftOutWarning

        warnings.warn(f"{what}: {note}", LeftOutWarning, stacklevel=1 + _caller)  # at the user's call
    with saving(overwrite):  # a file another writer makes meanwhile is never replaced without overwrite
        written: Path = fmt.module().save(result, target)
    return written


def load(path: str | os.PathLike) -> Result:
    """Read a run saved by :func:`save` back as a :class:`~lifsim.result.Result`.

    ``.nc``, ``.zarr`` and ``.npz`` can be read back.  Never runs code from the
    file (no pickle, no eval).  A missing, truncated, corrupted or foreign file
    raises ``ValueError`` naming the file and the problem.  Traces in a Zarr
    store stay on disk until asked for (:meth:`Result.trace`,
    :meth:`Result.load_traces`).
    """
    if isinstance(path, (str, os.PathLike)) and is_network_file(path):
        raise ValueError(f"{path}: a lifsim network, not a run; {network_reader(path)}")
    fmt, source = check_source(path, "load")
    result: Result = fmt.module().load(source)
    return result
