"""Fuzzing: hostile command lines, API calls, files and configs never give a traceback, wrong numbers or lost data.

The fast profile (default) runs in CI; the long one is for nightly or release use:

    pytest -m fuzz --hypothesis-profile=long
    LIFSIM_FUZZ_LOG=fuzz.log pytest -m fuzz --hypothesis-profile=long && python tests/fuzzing.py fuzz.log
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from fuzzing import GOOD, api_case, cli_case, load_case
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lifsim
from lifsim.cli.options import (
    CHOICE,
    FLAG,
    GRID,
    INT,
    INT_LIST,
    NEURONS,
    PATH,
    QUANTITY,
    QUANTITY_LIST,
    TEXT,
    for_command,
)

pytestmark = pytest.mark.fuzz

SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------ values, by the option table's kinds

GARBAGE = [
    "",
    " ",
    "abc",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-320",
    "0",
    "-0",
    "--",
    "1,2",
    "٣",
    "1e",
    "0x10",
    "None",
]
QUANTITIES = {
    "time": ["20ms", "1 ms", "0.1ms", "150ms", "1s", "0.5 ms", "1.5ms", "-1ms", "20mV", "1e4"],
    "voltage": ["-60mV", "5mV", "-70 mV", "0V", "5", "1e3 mV", "20ms", "-1e308"],
    "current": ["250pA", "0pA", "-100pA", "1nA", "60 pA", "1e-10", "250", "5mV"],
    "resistance": ["100MOhm", "1GOhm", "10 Ohm", "0Ohm", "-1MOhm", "1e308"],
    "dimensionless": ["1.2247", "0", "-1", "31.6", "1e300", "1ms"],
}
INTS = ["0", "1", "2", "7", "40", "1e2", "2.5", "-1", "1e30", "99999999999999999999", "300"]
PATHS = [
    "run.npz",
    "run.nc",
    "run.zarr",
    "run.csv",
    "run.nwb",
    "run.png",
    "run.svg",
    "x.txt",
    "nofolder/x.nc",
    ".",
    "keep.npz",
    "run.NPZ",
    "keep.npz",
    "a" * 300 + ".npz",
]
LISTS = ["1,5,10", "1", "0", "-1", "1e9", "a,b", "", "1,,2", "2,2", "149"]
TIMES = ["10ms", "0ms", "149ms", "150ms", "nan", "1.5ms", "-1ms", "10ms,10ms", "10mV"]
GRIDS = [
    "i_mean=200:300pA:3",
    "i_mean=0:400pA:2",
    "sigma=1mV,3mV",
    "tau=10ms,20ms",
    "i_mean=1:2:0",
    "i_mean=abc",
    "i_mean=",
    "=1,2",
    "nosuch=1,2",
    "n=1,2",
    "seed=1,2",
    "t_ref=0ms,2ms",
    "dt=0.1ms,1e-320",
    "i_mean=1e308,2e308",
    "i_mean=300:200pA:1000000000",
    "vth=-50mV,-80mV",
]
NEURON_SETS = ["all", "0:3", "0", "0,1,2", "5:1", "0,0", "-1", "1e9", "0:10:0", "0:100", "x"]


def option_values(option) -> st.SearchStrategy[list[str]]:
    """Command-line tokens for one option: mostly plausible values, some garbage."""
    flag = option.flag
    if option.kind == FLAG:
        return st.sampled_from([[flag], [f"--no-{flag[2:]}"]])
    if option.kind == QUANTITY:
        pool = QUANTITIES[option.dimension or "dimensionless"] + GARBAGE
    elif option.kind == INT:
        pool = INTS + GARBAGE
    elif option.kind == CHOICE:
        pool = list(option.choices) + ["rk4", "", "NUMBA"]
    elif option.kind == TEXT:
        pool = [
            "constant",
            "sine",
            "uniform",
            "white",
            "step",
            "array",
            "sine+uniform",
            "constant+white",
            "step+white",
            "uniform+uniform",
            "sine+step",
            "noise",
        ]
    elif option.kind == PATH:
        pool = PATHS + GARBAGE[:4]
    elif option.kind == INT_LIST:
        pool = LISTS
    elif option.kind == QUANTITY_LIST:
        pool = TIMES
    elif option.kind == NEURONS:
        return st.sampled_from([[flag], *([flag, v] for v in NEURON_SETS)])
    elif option.kind == GRID:
        return st.lists(st.sampled_from(GRIDS), min_size=1, max_size=2).map(
            lambda vs: [t for v in vs for t in (flag, v)]
        )
    else:  # pragma: no cover
        pool = GARBAGE
    return st.sampled_from(pool).map(lambda value: [f"{flag}={value}"] if value.startswith("-") else [flag, value])


def command_line(command: str, max_options: int = 4) -> st.SearchStrategy[list[str]]:
    # threads, workers and a scheduler address start real thread pools, processes and connections: their
    # hostile values are the examples below and tests/test_dask.py
    options = [o for o in for_command(command) if o.name not in ("threads", "workers", "scheduler")]
    chosen = st.lists(st.sampled_from(options), min_size=0, max_size=max_options, unique_by=lambda o: o.name)

    def tokens(picked) -> st.SearchStrategy[list[str]]:
        parts = [option_values(option) for option in picked]
        return (
            st.tuples(*parts).map(lambda groups: [command] + [t for g in groups for t in g])
            if parts
            else st.just([command])
        )

    # keep the runs small: the garbage is in the values, not in the sizes
    small = {"fi": ["--n", "3"], "sweep": ["--n", "3", "--t-max", "150ms", "--grid", "i_mean=200:300pA:2"]}.get(
        command, []
    )
    return chosen.flatmap(tokens).map(
        lambda argv: (
            argv + [t for flag, value in zip(small[::2], small[1::2]) if flag not in argv for t in (flag, value)]
        )
    )


def _assert_good(outcome: str, detail: str) -> None:
    assert outcome in GOOD, f"{outcome}: {detail}"


# ------------------------------------------------------------------ the command line


@SLOW_OK
@given(argv=command_line("simulate"))
@example(argv=["simulate", "--t-ref-std", "1e300"])
@example(argv=["simulate", "--t-ref", "1e308"])
@example(argv=["simulate", "--snapshots", "nan"])
@example(argv=["simulate", "--i-mean=-1e308"])
@example(argv=["simulate", "--input", "white", "--sigma", "1e308"])
@example(argv=["simulate", "--r", "1e308", "--el", "1e308"])
@example(argv=["simulate", "--period", "abc"])
@example(argv=["simulate", "--onset", "garbage"])
@example(argv=["simulate", "--input-file", "/dev/null", "--input", "array"])
@example(argv=["simulate", "--config", "/dev/null"])
@example(argv=["simulate", "--n", "1e3", "--data", "keep.npz"])
@example(argv=["simulate", "--workers", "300"])
@example(argv=["simulate", "--workers", "99999999999999999999"])
@example(argv=["simulate", "--workers", "0"])
@example(argv=["simulate", "--scheduler", "abc"])
@example(argv=["simulate", "--scheduler", ""])
def test_simulate_command_line(argv):
    outcome, text = cli_case(argv, "cli simulate")
    _assert_good(outcome, f"{argv}: {text}")


@SLOW_OK
@given(
    argv=st.one_of(command_line("fi", 3), command_line("params"), command_line("tutorial", 3), command_line("sweep", 3))
)
@example(argv=["fi", "--i-min=-1e308", "--i-max", "1e308", "--n", "2", "--points", "2", "--t-max", "20ms"])
@example(argv=["fi", "--sigma", "1e300", "--n", "2", "--points", "2", "--t-max", "20ms"])
@example(argv=["tutorial", "1", "--data", "x.npz", "--plot", "x.png"])
@example(argv=["tutorial", "--part", "2", "demo", "--mu", "nan"])
@example(argv=["tutorial", "--part", "2", "demo", "--sigma", "1e308", "--data", "x.npz"])
@example(argv=["tutorial", "--part", "2", "7", "--mu", "1ms"])
@example(argv=["tutorial", "--part", "x"])
@example(argv=["sweep"])
@example(argv=["sweep", "--grid", "i_mean=200:300pA:2", "--grid", "i_mean=1,2", "--n", "2", "--t-max", "10ms"])
@example(argv=["sweep", "--grid", "i_mean=0:1e308pA:2", "--n", "2", "--t-max", "10ms", "--data", "x.nc"])
@example(argv=["sweep", "--grid", "sigma=1mV,2mV", "--n", "2", "--t-max", "10ms", "--data", "earlier_result.npz"])
def test_other_commands(argv):
    if argv[0] == "tutorial" and not any(token.isdigit() for token in argv[1:2]):
        argv = ["tutorial", "7", *argv[1:]]
    outcome, text = cli_case(argv, f"cli {argv[0]}")
    _assert_good(outcome, f"{argv}: {text}")


# ------------------------------------------------------------------ the API

ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(-3, 200), max_size=4),
    st.sampled_from(["20 ms", "all", "0:3", "counter", "numpy", "exact", "1e3", b"bytes", 1j, object(), slice(0, 2)]),
)
SIMULATE_KEYS = [
    "n",
    "seed",
    "stream",
    "spiking",
    "method",
    "record_v",
    "record_spikes",
    "lags",
    "snapshots",
    "steps",
    "engine",
    "threads",
    "command",
    "config",
    "progress",
    "chunk_steps",
]
PARAM_KEYS = ["t_max", "dt", "tau", "el", "vr", "vth", "r", "i_mean", "v0", "t_ref", "t_ref_std", "round_steps"]


@SLOW_OK
@given(kwargs=st.dictionaries(st.sampled_from(SIMULATE_KEYS), ANY, max_size=3))
@example(kwargs={"stream": "counter"})
@example(kwargs={"lags": 5})
@example(kwargs={"record_spikes": "no"})
@example(kwargs={"progress": "yes"})
@example(kwargs={"command": 5})
@example(kwargs={"record_v": list(range(10**5))})
def test_simulate_api(kwargs):
    if isinstance(kwargs.get("n"), int) and kwargs["n"] > 10**4:  # sizes are the CLI's memory guard's job
        kwargs["n"] = 10**4
    if isinstance(kwargs.get("steps"), int) and kwargs["steps"] > 10**4:
        kwargs["steps"] = 10**4
    outcome, text = api_case(lambda: lifsim.simulate(**kwargs), "api simulate", repr(kwargs)[:200])
    _assert_good(outcome, f"{kwargs!r:.300}: {text}")


@SLOW_OK
@given(kwargs=st.dictionaries(st.sampled_from(PARAM_KEYS), ANY, max_size=3))
@example(kwargs={"t_max": 10**400})
@example(kwargs={"round_steps": "yes"})
def test_params_api(kwargs):
    outcome, text = api_case(lambda: lifsim.LIFParams(**kwargs), "api params", repr(kwargs)[:200])
    _assert_good(outcome, f"{kwargs!r:.300}: {text}")


@SLOW_OK
@given(value=ANY, kind=st.sampled_from(["constant", "sine", "uniform_noise", "white_noise", "step", "array_input"]))
@example(value=np.array([True, False]), kind="array_input")
@example(value=np.ones(3, dtype=np.float16), kind="array_input")
def test_inputs_api(value, kind):
    outcome, text = api_case(lambda: getattr(lifsim.inputs, kind)(value), "api inputs", f"{kind}({value!r:.100})")
    _assert_good(outcome, text)


@SLOW_OK
@given(
    path=st.one_of(
        st.text(max_size=20),
        st.sampled_from(["a" * 5000 + ".nc", "", ".", "/dev/null", "x.npz", "x.zarr", "/", "x.csv"]),
    )
)
def test_load_api(path):
    outcome, text = api_case(lambda: lifsim.load(path), "api load", repr(path)[:100])
    _assert_good(outcome, text)


# ------------------------------------------------------------------ damaged and hostile files

REFERENCE = None


def reference():
    global REFERENCE
    if REFERENCE is None:
        REFERENCE = lifsim.simulate(
            lifsim.LIFParams(t_max="30 ms"),
            lifsim.inputs.uniform_noise("250 pA"),
            n=6,
            seed=3,
            record_v="0:3",
            lags=[1],
        )
    return REFERENCE


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    files = {}
    for suffix in (".npz", ".nc", ".zarr"):
        path = folder / f"run{suffix}"
        reference().save(str(path))
        files[suffix] = path
    return files


def _damage(source: Path, target: Path, data, zarr_member: str | None = None) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
        files = sorted(p for p in target.rglob("*") if p.is_file())
        victim = data.draw(st.sampled_from(files))
        action = data.draw(st.sampled_from(["flip", "truncate", "delete", "garbage"]))
        _mutate(victim, action, data)
    else:
        shutil.copy(source, target)
        _mutate(target, data.draw(st.sampled_from(["flip", "flip", "truncate", "garbage"])), data)


def _mutate(path: Path, action: str, data) -> None:
    content = bytearray(path.read_bytes())
    if action == "delete":
        path.unlink()
        return
    if action == "truncate" and content:
        del content[data.draw(st.integers(0, len(content) - 1)) :]
    elif action == "flip" and content:
        for _ in range(data.draw(st.integers(1, 3))):
            content[data.draw(st.integers(0, len(content) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    else:
        at = data.draw(st.integers(0, len(content)))
        content[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    path.write_bytes(bytes(content))


@SLOW_OK
@given(data=st.data(), suffix=st.sampled_from([".npz", ".nc", ".zarr"]))
def test_damaged_files(tmp_path_factory, written, data, suffix):
    folder = tmp_path_factory.mktemp("damaged")
    target = folder / f"damaged{suffix}"
    _damage(written[suffix], target, data)
    outcome, text = load_case(target, reference(), f"file {suffix}")
    _assert_good(outcome, text)


@SLOW_OK
@given(
    text=st.one_of(
        st.text(max_size=200), st.sampled_from(["[" * 5000, "a = " + "[" * 5000 + "]" * 5000, "n = 1e400", "x"])
    )
)
@example(text="a = " + "{b = " * 3000 + "1" + "}" * 3000)
def test_hostile_configs(tmp_path_factory, text):
    from lifsim.cli.config import read_config

    path = tmp_path_factory.mktemp("config") / "run.toml"
    path.write_text(text, errors="surrogatepass") if False else path.write_bytes(text.encode("utf-8", "replace"))
    outcome, message = api_case(lambda: read_config(path), "config", text[:80])
    _assert_good(outcome, message)


# ------------------------------------------------------------------ explicit cases from the hostile probes


def test_npz_member_inflating_to_gigabytes_is_refused_before_reading(tmp_path):
    """A 2 MB .npz whose extra member inflates to 2 GiB: unknown members are never read, sizes are checked; one
    its checksums do not list is refused (before any is read), one of a file without checksums ignored."""
    import zipfile

    path = tmp_path / "bomb.npz"
    reference().save(str(tmp_path / "good.npz"))
    shutil.copy(tmp_path / "good.npz", path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("extra.npy", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 24)
            for _ in range(128):  # 2 GiB of zeros, a few MB compressed
                member.write(block)
    assert path.stat().st_size < 20 * 2**20
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="it holds extra, which its checksums do not list"):
        lifsim.load(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: no 2 GiB read
    members = dict(np.load(tmp_path / "good.npz"))
    del members["lifsim_sha256"]  # a file without checksums (an older lifsim): the unknown member is ignored
    np.savez(tmp_path / "older.npz", **members)
    shutil.copy(tmp_path / "older.npz", path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("extra.npy", "w", force_zip64=True) as member:
            for _ in range(128):
                member.write(block)
    with pytest.warns(lifsim.errors.UncheckedFileWarning):
        back = lifsim.load(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
    assert np.array_equal(back.v_mean, reference().v_mean)


def test_npz_member_larger_than_the_run_allows_is_refused(tmp_path):
    path = tmp_path / "big.npz"
    arrays = reference().arrays()
    arrays["v_mean"] = np.zeros(10**6)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="v_mean declares"):
        lifsim.load(path)


@pytest.mark.parametrize(
    "name, value, needle",
    [
        ("lags", np.array([-1]), "lags"),
        ("lags", np.array([1.5]), "lags"),
        ("t", np.zeros(30, dtype=complex), "t must hold real numbers"),
        ("spike_i", np.zeros(0, dtype=float), "spike_i must hold whole numbers"),
        ("t", np.array(0.0), "t must"),
        ("meta", np.array("[" * 100000), "nested too deeply"),
    ],
)
def test_npz_with_wrong_types_is_refused(tmp_path, name, value, needle):
    arrays = reference().arrays()
    arrays[name] = value
    np.savez(tmp_path / "x.npz", **arrays)
    with pytest.raises(ValueError, match=needle):
        lifsim.load(tmp_path / "x.npz")


def test_netcdf_declaring_a_huge_unwritten_variable_is_refused(tmp_path):
    """A small .nc declaring a 4 GiB variable: unknown ones are dropped unread, known ones checked before reading."""
    import h5netcdf

    path = tmp_path / "huge.nc"
    reference().save(str(path))
    with h5netcdf.File(path, "a") as handle:
        handle.dimensions["giant_dim"] = 2**29
        handle.create_variable("giant", ("giant_dim",), "f8")
    assert path.stat().st_size < 2**20
    back = lifsim.load(path)
    assert np.array_equal(back.v_mean, reference().v_mean)

    lean = tmp_path / "lean.nc"
    reference().to_dataset().drop_vars(["spike_t", "spike_i"]).to_netcdf(lean, engine="h5netcdf")
    with h5netcdf.File(lean, "a") as handle:
        handle.dimensions["spike"] = 2**29
        handle.create_variable("spike_t", ("spike",), "f8")
        handle.create_variable("spike_i", ("spike",), "i8")
    with pytest.raises(ValueError, match="dimension spike declares 536870912"):
        lifsim.load(lean)


@pytest.mark.parametrize("kind", ["symlink", "fifo", "deleted chunk", "deleted variable", "nested json"])
def test_damaged_or_hostile_zarr_store_is_refused(tmp_path, kind):
    import json
    import os

    store = tmp_path / "run.zarr"
    reference().save(str(store))
    chunk = next(p for p in sorted((store / "v").rglob("*")) if p.is_file() and p.name != "zarr.json")
    if kind == "symlink":
        chunk.unlink()
        chunk.symlink_to("/dev/zero")
    elif kind == "fifo":
        chunk.unlink()
        os.mkfifo(chunk)
    elif kind == "deleted chunk":
        chunk.unlink()
    elif kind == "deleted variable":
        shutil.rmtree(store / "spike_t")
    else:
        meta = json.loads((store / "zarr.json").read_text())
        meta["attributes"]["meta_json"] = "[" * 100000 + "]" * 100000
        (store / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="run.zarr"):
        back = lifsim.load(store)
        back.traces()


def test_file_metadata_never_redirects_reads(tmp_path):
    """An old-style 'trace_store' entry in a file's provenance is ignored: a file never names other files to read."""
    elsewhere = tmp_path / "elsewhere.zarr"
    lifsim.simulate(n=3, record_v="all").save(str(elsewhere))
    run = lifsim.simulate(n=3)
    run.meta["trace_store"] = str(elsewhere)
    run.save(str(tmp_path / "run.npz"))
    back = lifsim.load(tmp_path / "run.npz")
    assert not back.has_traces


def test_fifo_as_input_config_or_rerun_file_does_not_hang(tmp_path):
    import os

    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for argv in (
        ["simulate", "--input", "array", "--input-file", str(fifo)],
        ["simulate", "--config", str(fifo)],
        ["rerun", str(fifo)],
    ):
        outcome, text = cli_case(argv, "cli fifo")
        assert outcome == "clean error", text


def test_results_never_redirect_a_full_disk_into_a_crash(tmp_path):
    """The NetCDF writer never lets HDF5 write to disk (a full disk crashed the interpreter)."""
    import io

    import xarray as xr

    seen = []
    original = xr.Dataset.to_netcdf

    def spy(self, path=None, *args, **kwargs):
        seen.append(path)
        return original(self, path, *args, **kwargs)

    xr.Dataset.to_netcdf = spy
    try:
        reference().save(str(tmp_path / "run.nc"))
    finally:
        xr.Dataset.to_netcdf = original
    assert all(isinstance(target, io.BytesIO) for target in seen)


@pytest.mark.skipif(sys.platform != "linux", reason="Linux path rules")
def test_api_exception_types():
    cases = [
        (lambda: lifsim.LIFParams(t_max=10**400), ValueError),
        (lambda: lifsim.simulate(stream="counter"), TypeError),
        (lambda: lifsim.load("a" * 5000 + ".nc"), ValueError),
        (lambda: lifsim.simulate(record_spikes="no"), TypeError),
        (lambda: lifsim.simulate(progress="yes"), TypeError),
        (lambda: lifsim.LIFParams(round_steps="yes"), TypeError),
        (lambda: lifsim.simulate(command=5), TypeError),
        (lambda: lifsim.simulate(config="x"), TypeError),
        (lambda: lifsim.simulate(lags=5), TypeError),
    ]
    for call, kind in cases:
        with pytest.raises(kind):
            call()
    with pytest.raises(ValueError) as info:
        lifsim.save(lifsim.simulate(), "x.txt")
    assert "--data" not in str(info.value)


def test_empty_input_file_is_one_line(tmp_path):
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    outcome, text = cli_case(["simulate", "--input", "array", "--input-file", str(empty)], "cli explicit")
    assert outcome == "clean error" and "empty.npy" in text, text


def test_hostile_provenance_is_blamed_on_the_file_not_on_options(tmp_path):
    arrays = lifsim.simulate(n=2).arrays()
    import json

    meta = json.loads(str(arrays["meta"]))
    meta["params"]["tau"] = -1.0
    meta["run"]["record_v"] = list(range(10**6))
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "hostile.npz", **arrays)
    outcome, text = cli_case(["rerun", str(tmp_path / "hostile.npz")], "cli explicit")
    assert outcome == "clean error", text
    assert "hostile.npz" in text and "--tau" not in text and len(text) < 450, text


def test_long_selections_give_short_messages():
    with pytest.raises(ValueError) as info:
        lifsim.simulate(n=5, record_v=list(range(10**6)))
    assert len(str(info.value)) < 200


def test_data_through_a_symlink_writes_the_linked_file(tmp_path):
    real = tmp_path / "real.npz"
    link = tmp_path / "link.npz"
    lifsim.simulate(n=2, seed=1).save(str(real))
    link.symlink_to(real)
    with pytest.raises(ValueError, match="exists"):  # the linked result is an existing result: never replaced silently
        lifsim.simulate(n=2, seed=7).save(str(link))
    assert lifsim.load(real).meta["seed"] == 1
    lifsim.simulate(n=2, seed=7).save(str(link), overwrite=True)
    assert link.is_symlink() and lifsim.load(real).meta["seed"] == 7


def test_stale_leftovers_of_killed_writers_are_removed(tmp_path):
    dead = 2**22 + 12345  # no such process
    for name in (f".out.zarr.{dead}.abc.tmp", f".out.zarr.{dead}.def.old", f".out.npz.{dead}.xyz.tmp"):
        (tmp_path / name).mkdir() if name.endswith(("zarr.tmp", ".old")) or ".zarr." in name else (
            tmp_path / name
        ).write_bytes(b"x")
    alive = tmp_path / f".out.zarr.{os.getpid()}.mine.tmp"
    alive.mkdir()
    lifsim.simulate(n=2).save(str(tmp_path / "out.zarr"))
    lifsim.simulate(n=2).save(str(tmp_path / "out.npz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "out.npz", "out.zarr"])


def test_a_folder_that_is_not_a_store_is_never_replaced(tmp_path):
    folder = tmp_path / "mine.zarr"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    outcome, text = cli_case(["simulate", "--data", str(folder)], "cli explicit")
    assert outcome == "clean error" and "not a Zarr store" in text
    assert (folder / "notes.txt").read_text() == "precious"
