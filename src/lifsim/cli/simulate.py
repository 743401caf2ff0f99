"""``lifsim simulate``: an ensemble of LIF neurons with every parameter and input as an option."""

from __future__ import annotations

import argparse
import shlex
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import LeftOutWarning
from .common import UsageError, Values, add_options, resolve, runner_of, say, wrote

HELP = "simulate an ensemble of LIF neurons"


#: the options passed straight to ``simulate`` (and ``estimate``) under their own names
RUN_KEYWORDS = (
    "n",
    "seed",
    "stream_version",
    "spiking",
    "method",
    "record_v",
    "record_spikes",
    "lags",
    "snapshots",
    "engine",
    "threads",
    "device",
)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("simulate", help=HELP, description=HELP + ".")
    add_options(parser, "simulate", config=True)


def read_input_file(path: str, label: str) -> np.ndarray:
    """A current array (A) from a ``.npy`` file; ``ValueError`` naming ``label`` otherwise."""
    source = Path(path)
    if not source.is_file():
        what = "no such file" if not source.exists() else "not a regular file"
        raise ValueError(f"{label}: cannot read {path!r} ({what})")
    with open(source, "rb") as handle:
        head = handle.read(6)
    if head[:6] != b"\x93NUMPY" and head[:4] != b"PK\x03\x04":  # numpy takes any other file for a pickle
        raise ValueError(
            f"{label}: {path!r} is not a .npy array file (a text or CSV file of currents: numpy.save it as .npy)"
        )
    _check_room_to_read(source, path, label)
    try:
        values = np.load(source, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        text = "it holds Python objects, which lifsim never reads" if "pickle" in str(error) else str(error) or "empty"
        raise ValueError(f"{label}: cannot read {path!r} as a .npy array ({text})") from None
    if not isinstance(values, np.ndarray):
        raise ValueError(f"{label}: {path!r} holds several arrays (.npz); expected one .npy array")
    return values


def _check_room_to_read(source: Path, path: str, label: str) -> None:
    """Refuse a ``.npy`` whose array (read, and made float64 for the run) does not fit in the memory available,
    from its header, before it is read (numpy's own ``MemoryError`` said nothing of the file)."""
    from ..memory import available_memory, format_bytes

    try:
        mapped = np.load(source, mmap_mode="r", allow_pickle=False)  # the header only: nothing is read yet
    except (OSError, ValueError, EOFError):
        return  # not a plain .npy array: reading it says what is wrong
    if not isinstance(mapped, np.ndarray) or mapped.dtype.kind not in "iuf":
        return
    shape, needed = mapped.shape, int(mapped.nbytes) + (0 if mapped.dtype == np.float64 else 8 * int(mapped.size))
    del mapped  # the file's mapping, before anything is read
    room = available_memory()
    if room is not None and needed > room:
        raise ValueError(
            f"{label}: {path!r} holds a current array of shape {shape} that needs {format_bytes(needed)} of memory "
            f"to read as float64, more than the {format_bytes(room)} available; give a smaller array (fewer neurons "
            "or steps), or free some memory"
        )


def build_inputs(values: Values, params: Any) -> Any:
    """The input current the options describe (:func:`lifsim.inputs.from_kinds`)."""
    from ..inputs import from_kinds

    array = None
    if values["input_file"] is not None:
        array = read_input_file(values["input_file"], values.label("input_file"))
    names = ("amplitude", "period", "sigma", "onset", "depth", "baseline")
    given = {name: values[name] if values.given(name) else None for name in names}
    return from_kinds(values["input"], params.i_mean, array=array, **given)


def plan(values: Values) -> dict[str, Any]:
    """Check every output and value before running; return what :func:`run` needs."""
    from ..formats import check_target
    from ..params import LIFParams
    from .options import FIGURE_SUFFIXES

    data_format = None
    runner = runner_of(values)
    if values["data"] is not None:
        # an existing store is finished by --resume (its own checks), replaced by --force, refused otherwise (the
        # refusal offers --resume where a Dask run's .zarr store is unfinished)
        replace = bool(values["force"]) or bool(values["resume"])
        resumable = runner is not None and str(values["data"]).lower().endswith(".zarr")
        data_format, _ = check_target(values["data"], values.label("data"), overwrite=replace, resume=resumable)
    if values["plot"] is not None:
        from ..atomic import check_output_path

        check_output_path(values["plot"], FIGURE_SUFFIXES, values.label("plot"))
    params = LIFParams(**values.model())
    inputs = build_inputs(values, params)
    return {"params": params, "inputs": inputs, "data_format": data_format, "runner": runner}


def run(args: argparse.Namespace, argv: Sequence[str], labels: dict[str, str]) -> int:
    from ..simulation import simulate

    values = resolve("simulate", args, labels=labels)
    checked = plan(values)
    quiet = bool(values["quiet"])
    data_format = checked["data_format"]
    # a .zarr store is written as the run goes: traces stream into it from this process, or from the Dask
    # workers, which also record each finished neuron range there (--resume finishes an interrupted run)
    distributed = checked["runner"] is not None
    streamed = (
        data_format is not None and data_format.name == "zarr" and (values["record_v"] is not None or distributed)
    )
    if values["resume"] and not (distributed and streamed):
        raise UsageError("--resume: finishes a Dask run (--workers or --scheduler) in its --data PATH.zarr store")
    if values["data"] is not None and not values["resume"]:
        _check_data_room(checked, values)
    if values["dry_run"]:
        from ..simulation import estimate

        print(
            estimate(
                checked["params"],
                checked["inputs"],
                **values.pick(*RUN_KEYWORDS),
                runner=checked["runner"],
                trace_store=values["data"] if streamed else None,  # streamed traces are not held in memory
            ).summary()
        )
        return 0
    result = simulate(
        checked["params"],
        checked["inputs"],
        **values.pick(*RUN_KEYWORDS),
        command="lifsim " + shlex.join(argv),
        config=values.config,
        progress=False if quiet else None,
        # traces stream straight into a .zarr store as the run goes
        trace_store=values["data"] if streamed else None,
        runner=checked["runner"],
        resume=bool(values["resume"]),
        overwrite=bool(values["force"]),
    )
    say(result.summary(), quiet)
    if values["data"] is not None:
        if not streamed:
            with warnings.catch_warnings():  # what the format leaves out was said before the run
                warnings.simplefilter("ignore", LeftOutWarning)
                result.save(values["data"], overwrite=bool(values["force"]))
        wrote(values["data"], f"{data_format.label} run" if data_format else "run", quiet)
    if values["plot"] is not None:
        from ..plot import plot_result, save_figure

        save_figure(plot_result(result, xkcd=bool(values["xkcd"])), values["plot"])
        wrote(values["plot"], "figure", quiet)
    return 0


#: bytes a number of the run's .csv table takes at least (a lower bound: its floats' repr and comma take 18-20)
CSV_CHARACTERS = 16


def _check_data_room(checked: dict[str, Any], values: Values) -> None:
    """Before the run: refuse a --data file whose folder lacks the room it takes at least (one lower bound per
    format: :func:`lifsim.simulation.least_file_sizes`, the .csv's table at its shortest numbers), and say what its
    format leaves out of the run (:func:`lifsim.formats.left_out`: a .csv holds the per-step table only), instead
    of learning either after the compute."""
    from ..atomic import check_room_for
    from ..formats import left_out
    from ..simulation import expected_output_size, least_file_sizes
    from .common import warn

    data_format = checked["data_format"]
    keywords = values.pick(*RUN_KEYWORDS)
    present = {
        "traces": keywords["record_v"] is not None,
        "spikes": bool(keywords["spiking"] and keywords["record_spikes"]),
        "spike_counts": bool(keywords["spiking"]),
        "snapshots": bool(keywords["snapshots"]),
        "lags": bool(keywords["lags"]),
    }
    note = left_out(data_format, {part for part, held in present.items() if held}, before=True)
    if note is not None:
        warn(f"{values.label('data')}: {note}")
    columns = 4 + len(keywords["lags"] or ())  # the .csv's t, v_mean, v_std, v_var and one per lag
    least = least_file_sizes(checked["params"], checked["inputs"], **keywords)
    check_room_for(
        Path(values["data"]),
        values.label("data"),
        array_bytes=least[".npz"],
        table_bytes=checked["params"].steps * columns * CSV_CHARACTERS,
        nwb_bytes=least[".nwb"],
        zarr_bytes=least[".zarr"],
        expected_bytes=expected_output_size(checked["params"], checked["inputs"], **keywords),
    )
