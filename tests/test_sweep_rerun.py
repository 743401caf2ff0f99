"""`lifsim rerun SWEEP` and lifsim.rerun_sweep: a saved sweep (neuron, network, an f-I curve's store) made again
from its provenance, every point with its own seed, compared bit for bit."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_helpers import run_script

import lifsim
from lifsim.errors import EXIT_DIFFERS
from lifsim.sweeps import compare_sweeps, rerun_sweep

SWEEP = ["sweep", "--grid", "i_mean=100pA,300pA", "--grid", "tau=10ms,20ms", "--n", "20", "--t-max", "0.3s", "-q"]
NETWORK = ["network", "--n-exc", "200", "--t-max", "0.15s", "--grid", "g=4,6", "--record-spikes", "none", "-q"]


def _made(tmp_path, argv, name):  # type: ignore[no-untyped-def]
    done = run_script([*argv, "--data", name], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / name


@pytest.fixture(scope="module")
def saved(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The folder of one neuron sweep saved by the command line twice: as a .zarr store and as a .nc."""
    folder = tmp_path_factory.mktemp("saved")
    done = run_script(["sweep", *SWEEP[1:], "--data", "s.zarr"], cwd=folder)
    assert done.returncode == 0, done.stderr
    from lifsim.cli.common import save_netcdf

    ds = lifsim.load_sweep(folder / "s.zarr")
    ds.attrs = {"lifsim_meta": ds.attrs["lifsim_meta"], "title": "lifsim sweep"}  # lifsim.sweep's own, as --data x.nc
    save_netcdf(ds, str(folder / "s.nc"))  # the sweep's own NetCDF writer
    return folder


def _copy(saved, tmp_path, name):  # type: ignore[no-untyped-def]
    copy = shutil.copytree if name.endswith(".zarr") else shutil.copy
    copy(saved / name, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("name", ["s.zarr", "net.nc"])
def test_a_saved_sweep_reruns_bit_for_bit_from_the_command_line(saved, tmp_path, name):
    """It was refused ('a lifsim sweep, not a run'): a sweep could not be checked as every run can."""
    _copy(saved, tmp_path, name) if name == "s.zarr" else _made(tmp_path, NETWORK, name)
    done = run_script(["rerun", name, "--data", "again.nc"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"rerun of {name}: every one of its " in done.stdout and "reproduced bit for bit" in done.stdout
    assert compare_sweeps(lifsim.load_sweep(tmp_path / name), lifsim.load_sweep(tmp_path / "again.nc")) == []


def test_an_f_i_curves_store_reruns(tmp_path):
    _made(tmp_path, ["fi", "--n", "10", "--t-max", "0.2s", "--points", "3", "-q"], "fi.zarr")
    done = run_script(["rerun", "fi.zarr", "-q"], cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def _rewritten(tmp_path, source, name, change):  # type: ignore[no-untyped-def]
    """The sweep at ``source`` with ``change`` applied, saved anew by the sweep's own NetCDF layer (fresh
    checksums: a file another program changed and re-hashed)."""
    from lifsim.cli.common import save_netcdf

    ds = lifsim.load_sweep(source).copy(deep=True)
    change(ds)
    save_netcdf(ds, str(tmp_path / name))
    return name


def test_a_changed_value_is_named_and_the_status_says_it_differs(saved, tmp_path):
    source = saved / "s.nc"

    def nudge(ds):  # type: ignore[no-untyped-def]
        ds["rate"].values[1, 0] = ds["rate"].values[1, 0] + 0.5

    name = _rewritten(tmp_path, source, "changed.nc", nudge)
    done = run_script(["rerun", name, "-q"], cwd=tmp_path)
    assert done.returncode == EXIT_DIFFERS, done.stderr
    assert done.stderr.splitlines()[-1] == f"lifsim: rerun of {name} differs: rate", done.stderr
    changed = lifsim.load_sweep(tmp_path / name)
    assert compare_sweeps(changed, rerun_sweep(changed)) == ["rate"]  # the Python call names it alike


def test_a_request_this_lifsim_would_make_otherwise_is_refused_before_running(saved, tmp_path):
    source = saved / "s.nc"

    def older(ds):  # type: ignore[no-untyped-def]
        meta = json.loads(ds.attrs["lifsim_meta"])
        meta["sweep"]["measure"] = 1
        ds.attrs["lifsim_meta"] = json.dumps(meta)

    name = _rewritten(tmp_path, source, "older.nc", older)
    done = run_script(["rerun", name], cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and "measured by another version of lifsim's sweep measurement" in done.stderr


def test_the_output_is_checked_before_the_points_run_again(saved, tmp_path):
    _copy(saved, tmp_path, "s.zarr")
    for argv, said in (
        (["--data", "again.npz"], "must end in one of .zarr, .nc"),
        (["--data", "s.zarr", "--force"], "a rerun never writes onto its input"),
    ):
        done = run_script(["rerun", "s.zarr", *argv], cwd=tmp_path)
        assert done.returncode == 2 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    plan = run_script(["rerun", "s.zarr", "--dry-run"], cwd=tmp_path)
    assert plan.returncode == 0 and "dry run: 4 grid points of 20 neurons" in plan.stdout, plan.stderr
