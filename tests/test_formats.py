"""The format registry: dispatch, dependencies checked before a run, permissions, Zarr chunks and lazy traces."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, in_tmp, run_cli, run_ok  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
import lifsim.memory as memory
from lifsim import formats
from lifsim.errors import MissingDependencyError

ROOT = Path(__file__).resolve().parent.parent
PARAMS = lifsim.LIFParams(t_max="30 ms")


@pytest.fixture(scope="module")
def run():
    return lifsim.simulate(PARAMS, lifsim.inputs.uniform_noise("250 pA"), n=12, seed=3, record_v="0:4", lags=[1])


# ------------------------------------------------------------------ the registry


def test_suffix_lists_are_derived_from_the_registry():
    assert formats.RESULT_SUFFIXES == tuple(s for f in formats.FORMATS for s in f.suffixes)
    assert set(formats.LOADABLE_SUFFIXES) == {".nc", ".zarr", ".npz"}
    assert {f.name for f in formats.FORMATS} == {"npz", "csv", "netcdf", "zarr", "nwb", "neo"}
    for fmt in formats.FORMATS:
        module = fmt.module()
        assert hasattr(module, "save") or fmt.name == "neo", fmt.name
        assert hasattr(module, "load") == fmt.loadable, fmt.name


def test_core_formats_need_only_core_dependencies():
    """What a plain `pip install lifsim` must be able to write: each core format's packages are
    declared as lifsim's own dependencies (h5netcdf 1.8 no longer brings h5py along)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {re_name(dep) for dep in project["dependencies"]}
    for fmt in formats.FORMATS:
        if fmt.core:
            for package in fmt.requires:
                assert package in core, f"{fmt.name} needs {package}, which is not a core dependency"
        else:
            extra = {re_name(dep) for dep in project["optional-dependencies"][fmt.extra]}
            assert set(fmt.requires) <= extra | {"quantities"}, fmt.name


def re_name(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("-", "_")


def test_ci_runs_the_plain_install_check():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet ." in ci and "tests/plain_install.py" in ci


# ------------------------------------------------------------------ missing optional packages: before the run


def hide(monkeypatch, package):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))


def test_missing_package_is_an_import_error_naming_the_extra(monkeypatch, run, tmp_path):
    hide(monkeypatch, "pynwb")
    with pytest.raises(MissingDependencyError, match=r'pip install "\.\[nwb\]" in the lifsim folder') as info:
        run.save(str(tmp_path / "run.nwb"))
    assert isinstance(info.value, ImportError) and not isinstance(info.value, ValueError)
    assert info.value.extra == "nwb" and info.value.package == "pynwb"
    hide(monkeypatch, "neo")
    with pytest.raises(MissingDependencyError, match=r'"\.\[neo\]"'):
        run.to_neo()


def test_cli_reports_a_missing_package_before_simulating(monkeypatch, capsys, tmp_path):
    hide(monkeypatch, "pynwb")
    import lifsim.simulation

    def never(*args, **kwargs):
        raise AssertionError("the run started although its output cannot be written")

    monkeypatch.setattr(lifsim.simulation, "simulate", never)
    rc, out, err = run_cli(capsys, ["simulate", "--n", "10", "--data", "run.nwb"])
    assert_one_line_error(rc, err, "--data", ".nwb", "pynwb", '".[nwb]"')
    assert out == "" and list(tmp_path.iterdir()) == []


def test_a_broken_core_install_is_named_too(monkeypatch, capsys):
    hide(monkeypatch, "h5py")
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--data", "run.nc"])
    assert_one_line_error(rc, err, "h5py", "reinstall lifsim")


# ------------------------------------------------------------------ permissions follow the umask


@pytest.fixture
def umask():
    def set_mask(mask):
        old = os.umask(mask)
        masks.append(old)

    masks: list[int] = []
    yield set_mask
    for old in masks:
        os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_written_files_respect_the_umask(capsys, tmp_path, umask, mask):
    umask(mask)
    for suffix in (".npz", ".nc", ".csv", ".zarr", ".nwb"):
        spikes = ["--no-spiking"] if suffix == ".csv" else []  # a .csv holds no spikes or counts (and would say so)
        run_ok(capsys, ["simulate", "--n", "3", "--t-max", "10ms", "--quiet", *spikes, "--data", f"run{suffix}"])
    run_ok(capsys, ["simulate", "--n", "3", "--t-max", "10ms", "--quiet", "--plot", "run.png"])
    run_ok(capsys, ["init", "run.toml"])
    for path in tmp_path.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~mask
        assert mode == expected, f"{path.name}: {oct(mode)} != {oct(expected)}"


# ------------------------------------------------------------------ Zarr: chunks, consolidated metadata, lazy traces


def test_zarr_store_opens_without_warnings(tmp_path, run):
    import xarray as xr
    import zarr

    run.save(str(tmp_path / "run.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(tmp_path / "run.zarr")  # consolidated metadata: no fallback warning
        ds.close()
    assert zarr.open_consolidated(str(tmp_path / "run.zarr")).attrs["lifsim_complete"] == 1


def test_zarr_trace_chunks_hold_whole_neurons(tmp_path):
    import zarr

    result = lifsim.simulate(lifsim.LIFParams(t_max="1 s", dt="0.1 ms"), n=30, record_v="all", spiking=False)
    result.save(str(tmp_path / "run.zarr"))
    chunks = zarr.open_array(str(tmp_path / "run.zarr" / "v"), mode="r").chunks
    assert chunks[1] == result.steps  # one neuron's whole trace is inside one chunk
    assert chunks[0] * chunks[1] * 8 <= 2**20


def test_streamed_zarr_chunks_are_small_and_slab_aligned(tmp_path):
    import zarr

    from lifsim.formats.zarr import trace_chunks

    lifsim.simulate(
        lifsim.LIFParams(t_max="100 ms", dt="0.1 ms"),
        n=500,
        record_v="all",
        trace_store=tmp_path / "s.zarr",
        chunk_steps=64,
    )
    chunks = zarr.open_array(str(tmp_path / "s.zarr" / "v"), mode="r").chunks
    assert chunks == trace_chunks(500, 1000, 64) == (500, 64)
    # 1e6 neurons streamed 8 steps at a time: 1 MiB chunks of 16384 neurons, not 64 MiB of all neurons
    assert trace_chunks(10**6, 10**4, 8) == (16384, 8)


def test_loading_a_zarr_store_keeps_traces_on_disk(tmp_path, run, monkeypatch):
    run.save(str(tmp_path / "run.zarr"))
    back = lifsim.load(tmp_path / "run.zarr")
    assert back.v is None and back.has_traces
    np.testing.assert_array_equal(back.trace(2), run.v[2])
    np.testing.assert_array_equal(back.traces(slice(1, 3)), run.v[1:3])
    lazy = back.trace_source.lazy()
    assert lazy.chunks is not None  # dask-backed: nothing read yet
    with pytest.raises(ValueError, match="neuron: 7 was not recorded"):
        back.trace(7)
    monkeypatch.setattr(memory, "available_memory", lambda: 100)
    with pytest.raises(ValueError, match=r"result.trace\(j\)"):
        back.load_traces()


def test_saving_a_loaded_store_elsewhere_copies_its_traces(tmp_path, run):
    run.save(str(tmp_path / "run.zarr"))
    back = lifsim.load(tmp_path / "run.zarr")
    for suffix in (".nc", ".zarr"):
        back.save(str(tmp_path / f"copy{suffix}"))
        np.testing.assert_array_equal(lifsim.load(tmp_path / f"copy{suffix}").traces(), run.v)


# ------------------------------------------------------------------ foreign files get lifsim's own message


@pytest.mark.parametrize("content", [b"hello\n", b"", b"PK\x03\x04 broken", b"\x80\x04K\x01."])
def test_foreign_npz_never_suggests_unpickling(capsys, tmp_path, content):
    (tmp_path / "fake.npz").write_bytes(content)
    rc, _out, err = run_cli(capsys, ["rerun", "fake.npz"])
    assert_one_line_error(rc, err, "fake.npz", "not a lifsim .npz file")
    assert "pickle" not in err.lower()


def test_rerun_of_a_csv_says_why(capsys, tmp_path, run):
    with pytest.warns(UserWarning, match="per-step table only"):
        run.save(str(tmp_path / "run.csv"))
    rc, _out, err = run_cli(capsys, ["rerun", "run.csv"])
    assert_one_line_error(rc, err, "run.csv", "not a whole run", ".npz")


@pytest.mark.parametrize("member", ["v_std", "rate", "autocov_lag1", "meta"])
def test_an_npz_member_rewritten_whole_is_refused(tmp_path, member):
    """A zip's CRC-32 catches damage, not an array rewritten with numpy.savez: lifsim rerun said "reproduced bit for
    bit" of a file whose v_std, rate or autocovariance had been edited (a Result rebuilds them from v_m2)."""
    import json

    result = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), lifsim.inputs.white_noise(sigma="2 mV"), n=5, lags=[1])
    result.save(tmp_path / "run.npz")
    original = dict(np.load(tmp_path / "run.npz"))
    members = dict(original)
    if member == "meta":
        meta = json.loads(str(members["meta"]))
        meta["seed"] += 1
        members["meta"] = np.array(json.dumps(meta))
    else:
        members[member] = members[member] * 1.0001 + 1e-12
    np.savez(tmp_path / "edited.npz", **members)
    with pytest.raises(ValueError, match=rf"edited\.npz: .*{member} does not match its checksum"):
        lifsim.load(tmp_path / "edited.npz")
    del original["lifsim_sha256"]  # a file written before lifsim kept checksums still loads
    np.savez(tmp_path / "older.npz", **original)
    with pytest.warns(lifsim.errors.UncheckedFileWarning):
        lifsim.load(tmp_path / "older.npz")
    del members["lifsim_sha256"]  # but not one whose edited member disagrees with the run's other members
    np.savez(tmp_path / "older_edited.npz", **members)
    with pytest.raises(ValueError, match="does not follow from the run's other arrays|disagrees with its request"):
        lifsim.load(tmp_path / "older_edited.npz")


def test_a_network_npz_member_rewritten_whole_is_refused(tmp_path):
    from lifsim.network import BrunelParams

    lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02)).save(tmp_path / "net.npz")
    members = dict(np.load(tmp_path / "net.npz"))
    members["rate"] = members["rate"] * 2
    np.savez(tmp_path / "edited.npz", **members)
    with pytest.raises(ValueError, match=r"rate does not match its checksum"):
        lifsim.network.load(tmp_path / "edited.npz")


def test_saving_a_run_with_traces_to_csv_in_python_says_what_it_leaves_out(tmp_path):
    """The CLI said it before the run; `Result.save("x.csv")` dropped the traces and spikes without a word."""
    import lifsim

    run = lifsim.simulate(n=5, record_v="0:2")
    with pytest.warns(UserWarning, match=r"a \.csv holds the per-step table only; the recorded traces and the spikes"):
        run.save(str(tmp_path / "x.csv"))
    counted = lifsim.simulate(n=5, record_spikes=False)
    with pytest.warns(UserWarning, match=r"the per-neuron spike counts of this run are not in it"):
        counted.save(str(tmp_path / "counted.csv"))
    bare = lifsim.simulate(n=5, spiking=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bare.save(str(tmp_path / "y.csv"))  # nothing left out: nothing said


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--lags", "1", "--snapshots", "10ms"], "the snapshots and the autocovariances of this run will not be in it"),
        (["--no-record-spikes"], "the per-neuron spike counts of this run will not be in it"),
    ],
)
def test_an_nwb_file_says_before_the_run_what_it_will_not_hold(tmp_path, argv, said):
    """An .nwb keeps traces, statistics and spike times: the autocovariances, the snapshots, and a spiking run's
    counts without its spike list went missing without a word (the .csv said what it left out)."""
    pytest.importorskip("pynwb")
    from cli_helpers import run_script

    target = tmp_path / "run.nwb"
    done = run_script(["simulate", "--n", "10", "--t-max", "50ms", *argv, "--data", str(target), "--quiet"])
    assert done.returncode == 0 and target.exists(), done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert "lifsim: warning: --data: a .nwb holds the traces" in done.stderr


def test_zarr_metadata_is_strict_json(tmp_path):
    """A run without spikes wrote ``"rate_hz": NaN`` into zarr.json, which JSON has no word for: a strict reader
    (JavaScript's JSON.parse, zarr.js) refused the store. Every metadata file of a run's and a sweep's store parses
    as strict JSON."""
    import json

    from cli_helpers import run_script

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    for argv in (
        ["simulate", "--n", "10", "--t-max", "50ms", "--no-spiking", "--data", str(tmp_path / "run.zarr")],
        ["sweep", "--grid", "sigma=0mV,2mV", "--n", "5", "--t-max", "150ms", "--data", str(tmp_path / "sweep.zarr")],
    ):
        assert run_script([*argv, "--quiet", "--no-plot"] if argv[0] == "sweep" else [*argv, "--quiet"]).returncode == 0
    for path in tmp_path.rglob("*.json"):
        json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".zarr"])
def test_a_run_without_snapshots_loads_with_their_shape(tmp_path, suffix):
    """A run without snapshots has v_snapshots of shape (0, n); a file gave back (0, 0), so a loaded run was not
    np.array_equal to the one saved."""
    run = lifsim.simulate(lifsim.LIFParams(t_max="10 ms"), n=7)
    run.save(tmp_path / f"run{suffix}")
    loaded = lifsim.load(tmp_path / f"run{suffix}")
    assert run.v_snapshots.shape == loaded.v_snapshots.shape == (0, 7)


def test_an_input_current_an_ulp_off_near_a_sines_trough_still_loads(tmp_path, monkeypatch):
    """A .nc's input current i is checked against its provenance: at 1e-9 of each value, a sine's trough (1 + sin
    about 1e-9 of the peak) an ulp of sin away on another machine refused a file lifsim wrote; now 1e-9 of the
    largest current."""
    params = lifsim.LIFParams(t_max="20 ms", dt="0.1 ms")
    run = lifsim.simulate(params, lifsim.inputs.sine(period="4.00005 ms"), n=2, engine="numpy")
    run.save(tmp_path / "s.nc")
    sin = np.sin
    monkeypatch.setattr(np, "sin", lambda x, *a, **k: np.nextafter(sin(x, *a, **k), 0.0))
    loaded = lifsim.load(tmp_path / "s.nc")
    assert np.array_equal(loaded.v_mean, run.v_mean)
