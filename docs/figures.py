"""Make every figure of the README and the user guide from the commands shown beside them.

    python docs/figures.py            # rewrite docs/*.png and docs/figures.json
    python docs/figures.py --out DIR  # write them elsewhere (the tests do, to check they are current)

Each entry of :data:`FIGURES` is a command that appears verbatim in the README
or on a guide page (``docs/guide/``) and the figure file it writes; the command's plot path is pointed into
``docs/`` and its data file (if any) into a temporary folder.  What each
command prints (the run's summary: rates, CVs, final V) is kept in
``docs/figures.json``; ``tests/test_readme.py`` runs the commands again and
fails when the code now prints something else, so a figure cannot silently
go stale: regenerate it with this script.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent

#: figure file in docs/ -> the command (in the README or the guide) that draws it
FIGURES = {
    "lif.png": "lifsim simulate --n 1000 --input uniform --no-spiking --record-v 0:10 --lags 1,5 "
    "--snapshots 20ms,140ms --data lif.nc --plot lif.png",
    "spikes.png": "lifsim simulate --n 200 --t-max 1s --dt 0.1ms --input uniform --amplitude 1.2247 "
    "--record-v 0:5 --plot spikes.png",
    "white_noise.png": "lifsim simulate --input white --sigma 5mV --i-mean 60pA --n 500 --t-max 0.5s --dt 0.1ms "
    "--t-ref 2ms --record-v 0:3 --snapshots 10ms,50ms,400ms --plot white.png",
    "fi.png": "lifsim fi --sigma 5mV --t-ref 2ms --n 200 --t-max 0.6s --data fi.csv --plot fi.png",
    "tutorial14.png": "lifsim tutorial 14 --data ex14.npz --plot ex14.png",
    "sweep.png": "lifsim sweep --grid i_mean=50:400pA:8 --grid tau=10ms,20ms,40ms --sigma 5mV --n 200 --t-max 0.5s "
    "--data sweep.zarr --plot sweep.png",
    "network.png": "lifsim network --g 5 --eta 2 --t-max 0.5s --threads 2 --data net.nc --plot net.png",
    "phase.png": "lifsim network --n-exc 1000 --epsilon 0.2 --t-max 0.5s --grid g=2:8:7 --grid eta=0.5:4:8 "
    "--data phase.nc --plot phase.png",
}

#: a network run's last line, its timings (``build 2.58 s, simulate 3.90 s``), is kept without the numbers
TIMINGS = re.compile(r"^build [0-9.]+ s, simulate [0-9.]+ s$")


def _argv(command: str, figure: Path, scratch: Path) -> list[str]:
    """The command's arguments with its plot written to ``figure`` and its data into ``scratch``."""
    argv = shlex.split(command)[1:]
    for flag, target in (("--plot", figure), ("--data", None)):
        if flag in argv:
            at = argv.index(flag) + 1
            argv[at] = str(target if target is not None else scratch / Path(argv[at]).name)
    return argv


def run(command: str, figure: Path) -> list[str]:
    """Run one README command, drawing its figure at ``figure``; return what it printed (no 'wrote' lines)."""
    from lifsim.cli import main

    with tempfile.TemporaryDirectory() as scratch:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(_argv(command, figure, Path(scratch)))
    if status != 0:
        raise SystemExit(f"'{command}' failed with exit status {status}")
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("wrote ")]
    return [TIMINGS.sub("build ... s, simulate ... s", line) for line in lines]


def make(out: Path) -> dict[str, dict[str, object]]:
    """Draw every figure into ``out``; return the record written to figures.json."""
    record = {}
    for name, command in FIGURES.items():
        printed = run(command, out / name)
        record[name] = {"command": command, "printed": printed}
        print(f"{out / name}: {command}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the figures (default docs/)")
    args = parser.parse_args()
    record = make(args.out)
    (args.out / "figures.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
