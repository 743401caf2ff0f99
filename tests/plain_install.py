"""Run by .ci/run in a virtual environment with a plain ``pip install .`` (no extras).

Proves that what the README calls core works without the test extras (which
pull in packages such as h5py through pynwb and so can hide a missing core
dependency): every core format of the registry saves and loads a run bit for
bit, the main job's command runs, and every optional format is refused before
the run with one line naming its extra.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

import lifsim
from lifsim.cli import main
from lifsim.errors import MissingDependencyError
from lifsim.formats import FORMATS


def check() -> list[str]:
    problems = []
    run = lifsim.simulate(lifsim.LIFParams(t_max="40 ms"), lifsim.inputs.uniform_noise("250 pA"), n=20, record_v="0:5")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in FORMATS:
            for suffix in fmt.suffixes:
                path = Path(folder) / f"run{suffix}"
                missing = [p for p in fmt.requires if importlib.util.find_spec(p) is None]
                if fmt.core:
                    try:
                        run.save(path)
                        if fmt.loadable:
                            back = lifsim.load(path)
                            if not (np.array_equal(back.v_mean, run.v_mean) and np.array_equal(back.traces(), run.v)):
                                problems.append(f"{suffix}: the round trip changed the data")
                        print(f"core format {suffix}: saved" + (" and loaded" if fmt.loadable else ""))
                    except Exception as error:  # report every failure, not only the first
                        problems.append(f"{suffix}: {type(error).__name__}: {error}")
                elif missing:
                    try:
                        run.save(path)
                        problems.append(f"{suffix}: saved although {missing} are not installed")
                    except MissingDependencyError as error:
                        print(f"optional format {suffix}: refused up front ({error})")
                        if f'".[{fmt.extra}]"' not in str(error):
                            problems.append(f"{suffix}: the message does not name the extra: {error}")
        problems += check_network(Path(folder))
        main_job = ["simulate", "--n", "100", "--input", "uniform", "--no-spiking", "--quiet"]
        for suffix in (".nc", ".zarr", ".npz", ".csv"):
            target = str(Path(folder) / f"job{suffix}")
            if main([*main_job, "--data", target, "--plot", str(Path(folder) / "job.png")]) != 0:
                problems.append(f"lifsim simulate --data {suffix} failed in a plain install")
    return problems


def check_network(folder: Path) -> list[str]:
    """A network result in every core format (the same file layers as a run's), and .nwb refused up front."""
    import lifsim.network as ln

    problems = []
    net = ln.network(n_exc=200, t_max=0.05, engine="numpy")
    for suffix in (".nc", ".zarr", ".npz", ".csv"):
        try:
            net.save(folder / f"net{suffix}")
            if suffix != ".csv" and not ln.load(folder / f"net{suffix}").dataset.equals(net.dataset):
                problems.append(f"network {suffix}: the round trip changed the data")
            print(f"network format {suffix}: saved" + (" and loaded" if suffix != ".csv" else ""))
        except Exception as error:
            problems.append(f"network {suffix}: {type(error).__name__}: {error}")
    if importlib.util.find_spec("pynwb") is None:
        try:
            net.save(folder / "net.nwb")
            problems.append("network .nwb: saved although pynwb is not installed")
        except MissingDependencyError as error:
            print(f"network format .nwb: refused up front ({error})")
    return problems


if __name__ == "__main__":
    found = check()
    for problem in found:
        print(f"plain install: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
