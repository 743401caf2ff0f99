"""Making a run again from its provenance: lifsim.rerun, compare, `lifsim rerun`."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.engine import ENGINES
from lifsim.provenance import compare
from lifsim.streams import LegacyStream

PARAMS = lifsim.LIFParams(t_max="60 ms", dt="1 ms")
HAS_NUMBA = "numba" in ENGINES


def assert_reproduced(original, again):
    assert compare(original, again) == []
    # compare() skips these; they must match too
    for name in ("v_neurons", "snapshot_t", "input_array"):
        x, y = getattr(original, name), getattr(again, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.shape(x) == np.shape(y) and np.array_equal(x, y), name
    assert original.lags == again.lags
    assert original.n == again.n
    for key in ("params", "input", "seed", "stream", "method", "engine", "spiking", "run", "n", "steps"):
        assert again.meta[key] == original.meta[key], key


def test_compare_finds_differences():
    a = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=5, seed=1, record_v="all")
    b = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=5, seed=2, record_v="all")
    assert compare(a, a) == []
    differences = compare(a, b)
    assert "v_mean" in differences and "v" in differences
    c = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=5, seed=1)
    assert compare(a, c) == ["v"]


def uniform_run(engine="auto"):
    return lifsim.simulate(
        PARAMS,
        inputs.uniform_noise("250 pA"),
        n=30,
        seed=11,
        record_v="2:9:3",
        lags=[1, 7],
        snapshots=["5 ms", "40 ms"],
        engine=engine,
    )


CASES = {
    "uniform-spiking-subset-lags-snapshots": uniform_run,
    "white-exact": lambda: lifsim.simulate(
        PARAMS, inputs.white_noise("4 mV", "200 pA"), n=20, seed=3, method="exact", record_v="all", lags=[2]
    ),
    "white-euler-subthreshold": lambda: lifsim.simulate(
        PARAMS, inputs.white_noise("4 mV"), n=20, seed=3, spiking=False, snapshots=["30 ms"]
    ),
    "array-1d": lambda: lifsim.simulate(PARAMS, inputs.array_input(np.linspace(0, 4e-10, 60)), n=4, record_v=[0, 3]),
    "array-2d-plus-white": lambda: lifsim.simulate(
        PARAMS,
        inputs.array_input(np.random.default_rng(0).uniform(1e-10, 4e-10, (6, 59))) + inputs.white_noise("3 mV"),
        n=6,
        seed=8,
        record_v="all",
    ),
    "sine-uniform-step": lambda: lifsim.simulate(
        PARAMS, inputs.sine("250 pA", "8 ms") + inputs.step("100 pA", "20 ms"), n=10, seed=4, lags=[3]
    ),
    "t_ref-with-std": lambda: lifsim.simulate(
        lifsim.LIFParams(t_max="60 ms", dt="1 ms", t_ref="3 ms", t_ref_std="2 ms"),
        inputs.uniform_noise("300 pA"),
        n=25,
        seed=6,
        record_v="0:5",
    ),
    "no-spike-times": lambda: lifsim.simulate(
        PARAMS, inputs.uniform_noise("250 pA"), n=10, seed=2, record_spikes=False
    ),
    "steps-given": lambda: lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=5, seed=2, steps=33),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rerun_in_memory_is_bit_for_bit(case):
    original = CASES[case]()
    again = lifsim.rerun(original)
    assert again is not original
    assert_reproduced(original, again)


def test_t_ref_std_run_really_has_varied_refractory_periods():
    original = CASES["t_ref-with-std"]()
    other_seed = lifsim.simulate(
        lifsim.LIFParams(t_max="60 ms", dt="1 ms", t_ref="3 ms", t_ref_std="2 ms"),
        inputs.uniform_noise("300 pA"),
        n=25,
        seed=7,
        record_v="0:5",
    )
    assert compare(original, other_seed) != []
    assert original.meta["params"]["t_ref_std"] == 0.002


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")),
        "numpy",
    ],
)
def test_rerun_keeps_the_engine(engine):
    original = uniform_run(engine)
    assert original.meta["engine"] == engine
    again = lifsim.rerun(original)
    assert again.meta["engine"] == engine
    assert_reproduced(original, again)


@pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
def test_rerun_of_a_single_thread_numba_run():
    """threads is not in the provenance: the numba result must not depend on it."""
    original = lifsim.simulate(
        PARAMS, inputs.uniform_noise("250 pA"), n=200, seed=1, engine="numba", threads=1, lags=[1], snapshots=["10 ms"]
    )
    assert_reproduced(original, lifsim.rerun(original))


def test_rerun_command_provenance():
    original = uniform_run()
    again = lifsim.rerun(original)
    assert again.meta["command"].startswith("rerun of:")
    assert again.meta["created"]


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz"])
def test_rerun_from_saved_file(tmp_path, suffix):
    original = uniform_run()
    path = tmp_path / f"run{suffix}"
    original.save(str(path))
    again = lifsim.rerun(str(path))
    assert_reproduced(original, again)
    assert compare(lifsim.load(str(path)), again) == []  # what `lifsim rerun` checks


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz"])
def test_rerun_from_saved_file_with_array_input(tmp_path, suffix):
    original = CASES["array-2d-plus-white"]()
    path = tmp_path / f"run{suffix}"
    original.save(str(path))
    assert_reproduced(original, lifsim.rerun(str(path)))


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz"])
def test_rerun_from_saved_file_without_snapshots(tmp_path, suffix):
    original = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=10, seed=1)
    path = tmp_path / f"run{suffix}"
    original.save(str(path))
    again = lifsim.rerun(str(path))
    assert compare(lifsim.load(str(path)), again) == []


# ------------------------------------------------------------------ the CLI


def test_cli_rerun(capsys, tmp_path):
    rc, _out, err = run_cli(
        capsys,
        [
            "simulate",
            "--n",
            "8",
            "--t-max",
            "40ms",
            "--input",
            "uniform",
            "--seed",
            "5",
            "--record-v",
            "0:3",
            "--lags",
            "1,2",
            "--snapshots",
            "10ms",
            "--quiet",
            "--data",
            "first.nc",
        ],
    )
    assert rc == 0, err
    rc, out, err = run_cli(capsys, ["rerun", "first.nc", "--data", "second.npz"])
    assert rc == 0, err
    assert err == ""
    assert "reproduced bit for bit" in out
    assert out.strip().splitlines()[-1] == "rerun of first.nc: reproduced bit for bit"
    first, second = lifsim.load(tmp_path / "first.nc"), lifsim.load(tmp_path / "second.npz")
    assert_reproduced(first, second)
    assert (
        second.meta["command"] == "rerun of: lifsim simulate --n 8 --t-max 40ms --input uniform --seed 5 "
        "--record-v 0:3 --lags 1,2 --snapshots 10ms --quiet --data first.nc"
    )
    rc, out, err = run_cli(capsys, ["rerun", "second.npz", "--quiet"])
    assert (rc, out, err) == (0, "", "")


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz"])
def test_cli_rerun_of_a_default_run(capsys, tmp_path, suffix):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "5", "--t-max", "30ms", "--quiet", "--data", f"run{suffix}"])
    assert rc == 0, err
    rc, out, err = run_cli(capsys, ["rerun", f"run{suffix}"])
    assert rc == 0, err
    assert "reproduced bit for bit" in out


def test_cli_rerun_of_a_streamed_zarr_into_a_zarr(capsys, tmp_path):
    rc, _out, err = run_cli(
        capsys,
        [
            "simulate",
            "--n",
            "5",
            "--t-max",
            "30ms",
            "--input",
            "uniform",
            "--record-v",
            "--quiet",
            "--data",
            "first.zarr",
        ],
    )
    assert rc == 0, err
    rc, out, err = run_cli(capsys, ["rerun", "first.zarr", "--data", "again.zarr"])
    assert rc == 0, err
    assert "reproduced bit for bit" in out
    assert_reproduced(lifsim.load(tmp_path / "first.zarr"), lifsim.load(tmp_path / "again.zarr"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.zarr", "first.zarr"]


def test_cli_rerun_of_a_damaged_file(capsys, tmp_path):
    (tmp_path / "junk.nc").write_bytes(b"not a netcdf file at all")
    rc, out, err = run_cli(capsys, ["rerun", "junk.nc"])
    assert rc == 2 and out == ""
    assert err.startswith("lifsim: error:") and err.count("\n") == 1 and "junk.nc" in err


def test_cli_rerun_bad_data_path_runs_nothing(capsys, tmp_path):
    lifsim.simulate(PARAMS, n=3, snapshots=["0 ms"]).save(str(tmp_path / "run.npz"))
    rc, _out, err = run_cli(capsys, ["rerun", "run.npz", "--data", "again.txt"])
    assert rc == 2 and err.count("\n") == 1 and "again.txt" in err
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_cli_rerun_reports_a_difference(capsys, tmp_path, monkeypatch):
    original = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=4, seed=1, snapshots=["0 ms"])
    v_mean = original.v_mean.copy()  # a Result's arrays are read-only: a changed copy is given to it
    v_mean[5] += 1e-12  # as if the file came from a different machine or library
    original.v_mean = v_mean
    original.save(str(tmp_path / "run.npz"))
    rc, out, err = run_cli(capsys, ["rerun", "run.npz"])
    assert rc == 3  # lifsim.errors.EXIT_DIFFERS; 1 is an internal error
    assert "v_mean" in err and "reproduced" not in out


# ------------------------------------------------------------------ what cannot be rerun


def test_rerun_without_run_provenance():
    original = lifsim.simulate(PARAMS, n=3)
    del original.meta["run"]
    with pytest.raises(ValueError, match="provenance"):
        lifsim.rerun(original)


def test_rerun_of_saved_file_without_run_provenance(tmp_path):
    import json

    original = lifsim.simulate(PARAMS, n=3, snapshots=["0 ms"])
    arrays = original.arrays()
    meta = dict(original.meta)
    del meta["run"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(ValueError, match="provenance"):
        lifsim.rerun(str(tmp_path / "old.npz"))


def test_rerun_with_incomplete_run_provenance():
    original = lifsim.simulate(PARAMS, n=3)
    del original.meta["run"]["seed"]
    with pytest.raises(ValueError, match="seed"):
        lifsim.rerun(original)


def test_rerun_of_a_legacy_stream_run():
    n, steps = 5, PARAMS.steps
    original = lifsim.simulate(
        PARAMS, inputs.uniform_noise("250 pA"), n=n, stream=LegacyStream(2020, "step-major", n, steps)
    )
    assert original.meta["run"]["stream"] == "legacy"
    with pytest.raises(ValueError, match="stream"):
        lifsim.rerun(original)


def test_rerun_of_a_saved_legacy_stream_run(tmp_path, capsys):
    n, steps = 5, PARAMS.steps
    original = lifsim.simulate(
        PARAMS,
        inputs.uniform_noise("250 pA"),
        n=n,
        stream=LegacyStream(2020, "neuron-major", n, steps),
        snapshots=["0 ms"],
    )
    original.save(str(tmp_path / "legacy.nc"))
    with pytest.raises(ValueError, match="stream"):
        lifsim.rerun(str(tmp_path / "legacy.nc"))
    rc, _out, err = run_cli(capsys, ["rerun", "legacy.nc"])
    assert rc == 2 and "stream" in err and err.count("\n") == 1


def test_rerun_of_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="none.nc"):
        lifsim.rerun(str(tmp_path / "none.nc"))


@pytest.mark.parametrize("version", [None, 1, 4])
def test_rerun_of_another_stream_version_says_why(tmp_path, capsys, version):
    """A file made by a lifsim with another random stream is refused with the reason, never 'reported different'."""
    original = lifsim.simulate(PARAMS, inputs.white_noise("3 mV", "100 pA"), n=4, seed=2)
    if version is None:  # files of stream version 1 have no stream_version at all
        del original.meta["run"]["stream_version"]
    else:
        original.meta["run"]["stream_version"] = version
    original.meta["lifsim_version"] = "0.9"
    with pytest.raises(ValueError, match=f"stream version {version or 1}.*by design, not by a bug"):
        lifsim.rerun(original)
    original.save(str(tmp_path / "old.npz"))
    rc, out, err = run_cli(capsys, ["rerun", str(tmp_path / "old.npz")])
    assert rc == 2 and err.count("\n") == 1 and "lifsim 0.9" in err and "differ" not in out
    if version is None or version == 1:
        assert "libm" in err


def test_each_stream_version_reruns_bit_for_bit_from_the_command_line(tmp_path):
    """`lifsim simulate --stream-version V` writes V into the file; `lifsim rerun` draws that version again."""
    from cli_helpers import run_script

    argv = ["simulate", "--n", "300", "--t-max", "30ms", "--input", "white", "--sigma", "4mV", "--seed", "9"]
    argv += ["--engine", "numpy", "--quiet"]
    made = {}
    for version in ("2", "3"):
        done = run_script([*argv, "--stream-version", version, "--data", str(tmp_path / f"v{version}.nc")])
        assert done.returncode == 0, done.stderr
        made[version] = lifsim.load(tmp_path / f"v{version}.nc")
        assert made[version].meta["run"]["stream_version"] == int(version)
        assert made[version].meta["stream"]["stream"] == f"counter-splitmix64/{version}"
    again = run_script(["rerun", str(tmp_path / "v2.nc")])
    assert again.returncode == 0 and "reproduced bit for bit" in again.stdout, again.stdout + again.stderr
    assert not np.array_equal(made["2"].v_mean, made["3"].v_mean)  # the normals differ
    bad = run_script([*argv, "--stream-version", "1"])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--stream-version" in bad.stderr, bad.stderr


def _edited_npz(source, target, member, value):
    """``source`` with ``member``'s last value set to ``value`` and its checksum entry removed (no hashing)."""
    import json

    members = dict(np.load(source))
    members[member] = members[member].copy()
    members[member][-1] = value
    table = json.loads(str(members["lifsim_sha256"]))
    del table[member]
    members["lifsim_sha256"] = np.array(json.dumps(table))
    np.savez(target, **members)


def test_a_changed_member_whose_checksum_was_unlisted_is_not_reproduced(tmp_path):
    """A reviewer changed v_std in a .npz and a .nc and deleted its entry from the checksum table (a JSON edit):
    `lifsim rerun` said "reproduced bit for bit", exit 0.  Now every member must be listed (exit 2, naming it);
    a file whose provenance was edited and re-hashed (seed 13 on top, 12 in the request a rerun runs) and a .nc
    whose seed attribute says 13 (its attribute checksums removed, as an older lifsim wrote none) are refused too."""
    import json

    import h5py
    from cli_helpers import run_script

    argv = ["simulate", "--n", "30", "--t-max", "20ms", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
    argv += ["--seed", "12", "--lags", "1,3", "--quiet"]
    for suffix in ("npz", "nc"):
        assert run_script([*argv, "--data", str(tmp_path / f"run.{suffix}")]).returncode == 0
    _edited_npz(tmp_path / "run.npz", tmp_path / "v_std.npz", "v_std", 1.0)
    cases = {"v_std.npz": "v_std, which its checksums do not list"}
    members = dict(np.load(tmp_path / "run.npz"))
    meta = json.loads(str(members["meta"]))
    meta["seed"] = 13
    members["meta"] = np.array(json.dumps(meta))
    table = json.loads(str(members["lifsim_sha256"]))
    from lifsim.npz_io import digest

    table["meta"] = digest(members["meta"])
    members["lifsim_sha256"] = np.array(json.dumps(table))
    np.savez(tmp_path / "seed.npz", **members)
    cases["seed.npz"] = "seed (13) disagrees with its request's (12)"
    for name, edit in (("v_std.nc", "v_std"), ("seed.nc", "seed")):
        (tmp_path / name).write_bytes((tmp_path / "run.nc").read_bytes())
        with h5py.File(tmp_path / name, "r+") as handle:
            table = json.loads(handle.attrs["lifsim_sha256"])
            if edit == "v_std":
                handle["v_std"][-1] = 1.0
                del table["v_std"]
            else:
                handle.attrs["seed"] = "13"
                for key in [key for key in table if key.startswith("attrs")]:  # as a file of an older lifsim
                    del table[key]
            handle.attrs["lifsim_sha256"] = json.dumps(table)
    cases["v_std.nc"] = "v_std, which its checksums do not list"
    cases["seed.nc"] = "its attribute seed disagrees with its provenance"
    for name, needle in cases.items():
        done = run_script(["rerun", str(tmp_path / name)])
        assert done.returncode == 2 and needle in done.stderr, (name, done.stderr)
        assert "reproduced" not in done.stdout and done.stderr.count("lifsim: error") == 1, (name, done.stderr)
    for suffix in ("npz", "nc"):
        assert "reproduced bit for bit" in run_script(["rerun", str(tmp_path / f"run.{suffix}")]).stdout


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".zarr"])
def test_a_legacy_stream_run_records_no_stream_version(tmp_path, suffix):
    """A run on the tutorial's legacy stream recorded ``run.stream_version = 3``, the default it never drew, while
    ``Result.stream_version`` said None: the provenance now says null, in memory and in each file; ``lifsim rerun``
    refuses it in one line, and a run of the counter stream beside it still reruns bit for bit."""
    from cli_helpers import run_script

    n, steps = 5, PARAMS.steps
    legacy = lifsim.simulate(
        PARAMS, inputs.uniform_noise("250 pA"), n=n, stream=LegacyStream(2020, "step-major", n, steps)
    )
    assert legacy.meta["run"]["stream"] == "legacy" and legacy.meta["stream"]["stream"].startswith("legacy-mt19937")
    assert legacy.meta["run"]["stream_version"] is None and legacy.stream_version is None
    path = tmp_path / f"legacy{suffix}"
    legacy.save(str(path))
    loaded = lifsim.load(str(path))
    assert loaded.meta["run"]["stream_version"] is None and loaded.stream_version is None
    done = run_script(["rerun", str(path)])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "counter-based stream" in done.stderr, done.stderr
    counter = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=n, seed=4)
    assert counter.meta["run"]["stream_version"] == counter.stream_version == 3
    counter.save(str(tmp_path / f"counter{suffix}"))
    again = run_script(["rerun", str(tmp_path / f"counter{suffix}")])
    assert again.returncode == 0 and "reproduced bit for bit" in again.stdout, again.stdout + again.stderr
