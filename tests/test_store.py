"""The store layer (issue 16: item 5 and 8, findings 1, 6, 7, 9, 16): every Zarr store lifsim writes is created
atomically, checked against its manifest or resume marks before it is read or resumed, written by one process
at a time; a small file cannot claim gigabytes; sweep and run loaders tell the two apart; no result is
replaced without --force / overwrite=True; a rerun never writes onto its input.

The CLI is tested as the user meets it: the installed ``lifsim`` script, in a subprocess.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lifsim
from lifsim.store import MANIFEST, MARKS, WriterLock
from lifsim.sweeps import load_sweep, sweep

LIFSIM = shutil.which("lifsim") or str(Path(sys.executable).with_name("lifsim"))

#: a small sweep (3 points, a fraction of a second each)
GRID = ["--grid", "i_mean=100pA,200pA,300pA"]
SMALL = ["sweep", *GRID, "--input", "uniform", "--n", "20", "--t-max", "0.2 s", "--quiet"]
#: a sweep that runs for several seconds (12 points)
# a sweep that runs for seconds (about 5 s on an AMD EPYC, more on slower hosts): the signals below must reach it
# mid-sweep (12 points of 400 neurons ended within the tests' 2 s once the kernels got faster)
LONG = ["sweep", "--grid", "i_mean=100:400pA:48", "--input", "uniform", "--n", "4000", "--t-max", "1 s", "--quiet"]
P = lifsim.LIFParams(t_max="200 ms")
API_GRID = {"i_mean": ["100 pA", "200 pA", "300 pA"]}


def cli(*args, cwd, timeout=300):
    """Run the installed ``lifsim`` script; return the CompletedProcess (text)."""
    return subprocess.run([LIFSIM, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start(*args, cwd):
    return subprocess.Popen(
        [LIFSIM, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def one_line(done, *needles):
    """Exit status 2 and exactly one ``lifsim: error:`` line naming every needle."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifsim: error:"), done.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def api_sweep(store, **kwargs):
    return sweep(P, API_GRID, input="uniform", n=20, store=store, **kwargs)


def unfinish(store):
    """Make a complete store look as its interrupted writer leaves it: no manifest, not marked complete."""
    (store / MANIFEST).unlink()
    metadata = json.loads((store / "zarr.json").read_text())
    metadata["attributes"]["lifsim_complete"] = 0
    (store / "zarr.json").write_text(json.dumps(metadata))


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ damaged sweep stores


def _swap(store):
    a, b = store / "rate" / "c" / "0", store / "rate" / "c" / "1"
    tmp = store / "x"
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def _delete(store):
    (store / "rate" / "c" / "1").unlink()


def _folder(store):
    chunk = store / "rate" / "c" / "1"
    chunk.unlink()
    chunk.mkdir()


def _zero(store):
    chunk = store / "rate" / "c" / "1"
    chunk.unlink()
    chunk.symlink_to("/dev/zero")


def _passwd(store):
    chunk = store / "cv" / "c" / "0"
    chunk.unlink()
    chunk.symlink_to("/etc/passwd")


DAMAGE = {
    "swapped": (_swap, "checksum"),
    "deleted": (_delete, "missing"),
    "folder": (_folder, "folder"),
    "dev-zero": (_zero, "symbolic link"),
    "passwd": (_passwd, "symbolic link"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A complete sweep store written by the CLI, and one written by the API (copied by each test)."""
    folder = tmp_path_factory.mktemp("pristine")
    complete = cli(*SMALL, "--data", "s.zarr", cwd=folder)
    assert complete.returncode == 0, complete.stderr
    api_sweep(folder / "api.zarr")
    return folder


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_sweep_store_is_refused_in_one_line(tmp_path, pristine, damage):
    harm, needle = DAMAGE[damage]
    for name in ("s.zarr", "api.zarr"):
        shutil.copytree(pristine / name, tmp_path / name, symlinks=True)
        harm(tmp_path / name)
    api = tmp_path / "api.zarr"
    # the CLI: --resume of a complete store reads it, so checks it
    one_line(cli(*SMALL, "--data", "s.zarr", "--resume", cwd=tmp_path, timeout=60), "s.zarr", needle)
    # the API: load_sweep, and resume=True
    with pytest.raises(ValueError, match=needle) as error:
        load_sweep(api)
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match=needle):
        api_sweep(api, resume=True)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_an_interrupted_sweep_store_with_damage_is_not_resumed(tmp_path, damage):
    harm, needle = DAMAGE[damage]
    store = tmp_path / "s.zarr"

    def stop_after_two(done, _total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        api_sweep(store, progress=stop_after_two)
    assert (store / MARKS).is_file() and not (store / MANIFEST).exists()
    with pytest.raises(ValueError, match="unfinished sweep"):
        load_sweep(store)
    harm(store)
    with pytest.raises(ValueError, match=needle) as error:
        api_sweep(store, resume=True)
    assert "\n" not in str(error.value) and "cannot be resumed" in str(error.value)


def test_an_interrupted_api_sweep_resumes_to_the_same_numbers(tmp_path):
    whole = api_sweep(tmp_path / "whole.zarr")
    store = tmp_path / "s.zarr"

    def stop(done, _total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        api_sweep(store, progress=stop)
    again = api_sweep(store, resume=True)
    for name in ("rate", "cv", "v_mean", "v_var"):
        np.testing.assert_array_equal(whole[name].values, again[name].values)
    assert not (store / MARKS).exists() and (store / MANIFEST).is_file()


# ------------------------------------------------------------------ interrupted creation


def _wait_for_start(process, seconds):
    time.sleep(seconds)
    assert process.poll() is None, "the sweep ended before the signal"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL-early", "SIGKILL"])
def test_an_interrupted_sweep_can_be_resumed_or_overwritten(tmp_path, how):
    moment = {"SIGINT": 2.0, "SIGKILL-early": 0.8, "SIGKILL": 2.0}[how]
    process = start(*LONG, "--data", "s.zarr", cwd=tmp_path)
    _wait_for_start(process, moment)
    process.send_signal(signal.SIGINT if how == "SIGINT" else signal.SIGKILL)
    _out, err = process.communicate(timeout=60)
    if how == "SIGINT":
        assert process.returncode == 130 and "interrupted" in err
    store = tmp_path / "s.zarr"
    if store.exists():  # whatever is there is a store lifsim can resume (never a half-created one)
        with pytest.raises(ValueError, match="unfinished sweep"):
            load_sweep(store)
    resumed = cli(*LONG, "--data", "s.zarr", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    first = load_sweep(store)
    assert np.isfinite(first.rate.values).all()
    assert leftovers(tmp_path) == []  # no temporary store, no lock
    # or overwritten: interrupt again, then --force runs the sweep afresh into it
    process = start(*LONG, "--data", "s.zarr", "--force", cwd=tmp_path)
    _wait_for_start(process, moment)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    forced = cli(*LONG, "--data", "s.zarr", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    np.testing.assert_array_equal(first.rate.values, load_sweep(store).rate.values)
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ one writer at a time


@pytest.mark.slow
def test_a_second_writer_is_refused_in_one_line(tmp_path):
    first = start(*LONG, "--data", "s.zarr", cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / ".s.zarr.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None
        for extra in (["--force"], ["--resume"]):
            second = cli(*LONG, "--data", "s.zarr", *extra, cwd=tmp_path, timeout=120)
            line = one_line(second, "s.zarr", "another lifsim process", f"pid {first.pid}")
            assert "mode" not in line  # never zarr's advice to "use mode 'w'"
        with pytest.raises(ValueError, match=f"another lifsim process \\(pid {first.pid}\\)"):
            sweep(
                lifsim.LIFParams(t_max="1 s"),
                {"i_mean": "100:400pA:48"},
                input="uniform",
                n=4000,
                store=tmp_path / "s.zarr",
                overwrite=True,
            )
    finally:
        first.kill()
        first.communicate(timeout=60)
    # the first writer died: its lock went with it, and its store can be resumed
    assert cli(*LONG, "--data", "s.zarr", "--resume", cwd=tmp_path).returncode == 0


def test_a_held_lock_refuses_a_streamed_run_store(tmp_path):
    target = tmp_path / "run.zarr"
    with WriterLock(target):
        with pytest.raises(ValueError, match="another lifsim process"):
            lifsim.simulate(P, n=3, record_v="all", trace_store=target)
    assert not target.exists()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ a small file claiming gigabytes


def _hostile_npz(path, n=50_000, steps=2_000):
    """An .npz whose provenance claims n x steps traces, and whose ``v`` member inflates to them (zeros)."""
    run = lifsim.simulate(lifsim.LIFParams(t_max=0.01), n=2)
    arrays = run.arrays(ddof=1)
    meta = json.loads(str(arrays["meta"]))
    meta.update(n=n, steps=steps)
    meta.setdefault("run", {})["record_v"] = None
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in (("meta", np.array(json.dumps(meta))), ("t", np.zeros(steps)), ("v_mean", np.zeros(steps))):
            buffer = io.BytesIO()
            np.save(buffer, value)
            archive.writestr(f"{name}.npy", buffer.getvalue())
        with archive.open("v.npy", "w", force_zip64=True) as member:  # written a row block at a time
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n, steps)})
            member.write(header.getvalue())
            block = bytes(8 * steps * 1000)
            for _ in range(n // 1000):
                member.write(block)
    return path


PEAK = """
import resource, sys, lifsim
lifsim.load(sys.argv[2])  # a genuine small file first: everything the load path imports is in memory
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
try:
    lifsim.load(sys.argv[1])
except ValueError as error:
    print(error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - before)
"""
#: a small genuine result (written by lifsim before issue 16)
GENUINE = Path(__file__).parent / "data" / "main_run.npz"


def test_a_small_file_cannot_claim_gigabytes(tmp_path):
    path = _hostile_npz(tmp_path / "big.npz")
    assert path.stat().st_size < 2 << 20  # under 2 MB on disk, 800 MB of traces declared
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path), str(GENUINE)], capture_output=True, text=True, timeout=300
    )
    message, growth_mib = done.stdout.strip().splitlines()
    assert "more than 100 times" in message and "big.npz" in message
    assert int(growth_mib) < 64, f"refusing the file raised the peak by {growth_mib} MiB (800 MB declared)"
    one_line(cli("rerun", "big.npz", cwd=tmp_path, timeout=120), "big.npz", "more than 100 times")
    one_line(cli("rerun", "big.npz", "--data", "again.nc", cwd=tmp_path, timeout=120), "big.npz")
    assert not (tmp_path / "again.nc").exists()


def test_a_member_whose_header_claims_more_than_it_holds(tmp_path):
    run = lifsim.simulate(lifsim.LIFParams(t_max=0.01), n=2)
    run.save(tmp_path / "ok.npz")
    with zipfile.ZipFile(tmp_path / "ok.npz") as source, zipfile.ZipFile(tmp_path / "bad.npz", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "v_mean.npy":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {"descr": "<f8", "fortran_order": False, "shape": (10**8,)}
                )
                data = header.getvalue() + data[len(header.getvalue()) :]
            target.writestr(item, data)
    with pytest.raises(ValueError, match="v_mean declares 800000000 bytes of values"):
        lifsim.load(tmp_path / "bad.npz")


# ------------------------------------------------------------------ sweep files and run files


def test_sweep_and_run_loaders_tell_the_two_apart(tmp_path):
    assert cli(*SMALL, "--data", "s.zarr", cwd=tmp_path).returncode == 0
    assert cli(*SMALL, "--data", "s.nc", cwd=tmp_path).returncode == 0
    run = lifsim.simulate(P, n=3)
    for suffix in (".zarr", ".nc", ".npz"):
        run.save(tmp_path / f"run{suffix}")
    for name in ("s.zarr", "s.nc"):
        with pytest.raises(ValueError, match="a lifsim sweep, not a run; read it with lifsim.load_sweep"):
            lifsim.load(tmp_path / name)
        again = cli("rerun", name, cwd=tmp_path, timeout=120)  # a sweep is rerun as a sweep (lifsim.rerun_sweep)
        assert again.returncode == 0 and "reproduced bit for bit" in again.stdout, again.stderr
    for suffix in (".zarr", ".nc", ".npz"):
        with pytest.raises(ValueError, match="a lifsim run.*not a sweep; read it with lifsim.load"):
            load_sweep(tmp_path / f"run{suffix}")
    # and an unfinished distributed run's store is not read as either
    assert load_sweep(tmp_path / "s.zarr").rate.shape == (3,)


# ------------------------------------------------------------------ no result replaced silently

SIMULATE = ["simulate", "--n", "5", "--t-max", "20 ms", "--quiet"]
#: a run that would take minutes: a refusal must come before it
SLOW = ["simulate", "--n", "2e6", "--t-max", "20 s", "--quiet", "--engine", "numpy"]


@pytest.mark.parametrize("name", ["run.nc", "run.npz", "run.zarr", "run.csv"])
def test_a_run_file_is_not_replaced_without_force(tmp_path, name):
    assert cli(*SIMULATE, "--seed", "1", "--data", name, cwd=tmp_path).returncode == 0
    path = tmp_path / name
    before = {p: p.read_bytes() for p in ([path] if path.is_file() else sorted(path.rglob("*"))) if p.is_file()}
    started = time.monotonic()
    one_line(cli(*SLOW, "--data", name, cwd=tmp_path, timeout=120), name, "exists", "--force")
    assert time.monotonic() - started < 60  # refused before the run, not after it
    after = {p: p.read_bytes() for p in ([path] if path.is_file() else sorted(path.rglob("*"))) if p.is_file()}
    assert after == before
    assert cli(*SIMULATE, "--seed", "2", "--data", name, "--force", cwd=tmp_path).returncode == 0
    if not name.endswith(".csv"):
        assert lifsim.load(path).meta["seed"] == 2
    # the API: Result.save refuses, overwrite=True replaces
    run = lifsim.simulate(P, n=2, seed=3)
    with pytest.raises(ValueError, match="exists; pass overwrite=True to replace it"):
        run.save(path)
    run.save(path, overwrite=True)
    assert leftovers(tmp_path) == []


def test_a_streamed_run_store_is_not_replaced_without_force(tmp_path):
    assert cli(*SIMULATE, "--record-v", "all", "--data", "t.zarr", cwd=tmp_path).returncode == 0
    one_line(cli(*SLOW, "--record-v", "0:3", "--data", "t.zarr", cwd=tmp_path, timeout=120), "t.zarr", "--force")
    with pytest.raises(ValueError, match="exists; pass overwrite=True"):
        lifsim.simulate(P, n=3, record_v="all", trace_store=tmp_path / "t.zarr")
    assert (
        cli(*SIMULATE, "--seed", "4", "--record-v", "all", "--data", "t.zarr", "--force", cwd=tmp_path).returncode == 0
    )
    assert lifsim.load(tmp_path / "t.zarr").meta["seed"] == 4
    lifsim.simulate(P, n=3, seed=5, record_v="all", trace_store=tmp_path / "t.zarr", overwrite=True)
    assert lifsim.load(tmp_path / "t.zarr").meta["seed"] == 5
    assert leftovers(tmp_path) == []


def test_a_sweep_is_not_replaced_without_force(tmp_path):
    for name in ("s.zarr", "s.nc"):
        assert cli(*SMALL, "--data", name, cwd=tmp_path).returncode == 0
        started = time.monotonic()
        one_line(cli(*LONG, "--data", name, cwd=tmp_path, timeout=120), name, "exists", "--force")
        assert time.monotonic() - started < 30
        assert cli(*SMALL, "--n", "30", "--data", name, "--force", cwd=tmp_path).returncode == 0
        assert json.loads(load_sweep(tmp_path / name).attrs["lifsim_meta"])["sweep"]["n"] == 30
    with pytest.raises(ValueError, match="exists; pass overwrite=True to replace it"):  # complete: nothing to finish
        api_sweep(tmp_path / "s.zarr")
    assert api_sweep(tmp_path / "s.zarr", overwrite=True).rate.shape == (3,)


def test_an_fi_table_is_not_replaced_without_force(tmp_path):
    fi = ["fi", "--points", "3", "--n", "5", "--t-max", "0.2 s", "--quiet"]
    for name in ("fi.csv", "fi.npz"):
        assert cli(*fi, "--data", name, cwd=tmp_path).returncode == 0
        before = (tmp_path / name).read_bytes()
        one_line(cli(*fi, "--seed", "3", "--data", name, cwd=tmp_path), name, "exists", "--force")
        assert (tmp_path / name).read_bytes() == before
        assert cli(*fi, "--seed", "3", "--data", name, "--force", cwd=tmp_path).returncode == 0
        assert (tmp_path / name).read_bytes() != before


def test_the_refusal_says_how_to_replace_in_the_callers_own_words(tmp_path):
    """The README's main command run twice said "add --force (overwrite=True) to replace it": the command line
    speaks of its flags, Python of its keywords, the same refusal either way."""
    command = ["simulate", "--n", "10", "--snapshots", "20ms", "--data", "lif.nc"]
    assert cli(*command, cwd=tmp_path).returncode == 0
    line = one_line(cli(*command, cwd=tmp_path), "--data: 'lif.nc' exists; add --force to replace it")
    assert "overwrite" not in line
    with pytest.raises(ValueError, match=r"lif\.nc' exists; pass overwrite=True to replace it") as refused:
        lifsim.simulate(P, n=2).save(tmp_path / "lif.nc")
    assert "--" not in str(refused.value)
    # an unfinished store, which could be finished instead: both ways named, each in its own words
    assert cli(*SMALL, "--data", "s.zarr", cwd=tmp_path).returncode == 0
    one_line(cli(*SMALL, "--data", "s.zarr", cwd=tmp_path), "exists; add --force to replace it")  # complete
    unfinish(tmp_path / "s.zarr")
    line = one_line(cli(*SMALL, "--data", "s.zarr", cwd=tmp_path), "add --resume to finish it, --force to replace it")
    assert "=True" not in line
    with pytest.raises(ValueError, match="pass resume=True to finish it, overwrite=True to replace it") as refused:
        api_sweep(tmp_path / "s.zarr")
    assert "--" not in str(refused.value)


# ------------------------------------------------------------------ a rerun never writes onto its input


def test_a_rerun_never_writes_onto_its_input(tmp_path):
    assert cli(*SIMULATE, "--data", "a.npz", cwd=tmp_path).returncode == 0
    assert cli(*SIMULATE, "--record-v", "all", "--data", "a.zarr", cwd=tmp_path).returncode == 0
    (tmp_path / "link.npz").symlink_to("a.npz")
    before = (tmp_path / "a.npz").read_bytes()
    for source, target in (("a.npz", "a.npz"), ("a.npz", "./a.npz"), ("a.npz", "link.npz"), ("a.zarr", "a.zarr")):
        for extra in ([], ["--force"]):
            line = one_line(cli("rerun", source, "--data", target, *extra, cwd=tmp_path, timeout=60), target)
            assert "never writes onto its input" in line
    assert (tmp_path / "a.npz").read_bytes() == before
    done = cli("rerun", "a.npz", "--data", "b.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------ a distributed run's store


def test_a_distributed_run_store_is_replaced_only_with_overwrite_and_checked_on_load(client, tmp_path):
    pytest.importorskip("distributed")
    store = tmp_path / "d.zarr"
    kwargs = dict(n=300, record_v=[0, 7, 299], runner=client, trace_store=store)
    first = lifsim.simulate(P, seed=1, **kwargs)
    with pytest.raises(ValueError, match="exists; pass overwrite=True to replace it"):  # complete: nothing to finish
        lifsim.simulate(P, seed=2, **kwargs)
    second = lifsim.simulate(P, seed=2, overwrite=True, **kwargs)
    assert lifsim.load(store).meta["seed"] == 2 and first.meta["seed"] == 1 and second.meta["seed"] == 2
    assert (store / MANIFEST).is_file() and leftovers(tmp_path) == []
    (store / "v" / "c" / "1" / "0").unlink()  # a recorded neuron's trace chunk
    with pytest.raises(ValueError, match="chunk v/c/1/0 is missing"):
        lifsim.load(store)


@pytest.mark.parametrize("torn", [b'{"key":"7","fi', b"x" * 5000])
def test_a_torn_last_mark_is_cut_before_the_next_is_added(tmp_path, torn):
    """A mark torn by a kill or a full disk is left out when read; the next one was appended after it, so the torn
    line sat in the middle of the file as damage (a resumed sweep ran every point and then failed for good)."""
    from lifsim.store import Marks

    store = tmp_path / "s.zarr"
    store.mkdir()
    (store / "a").write_bytes(b"1")
    marks = Marks(store)
    marks.add("1", ["a"])
    with open(marks.path, "ab") as handle:
        handle.write(torn)
    assert list(marks.read()) == ["1"]
    marks.add("2", ["a"])
    assert list(marks.verify()) == ["1", "2"]
    assert marks.path.read_bytes().count(b"\n") == 2
