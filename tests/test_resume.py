"""A distributed run's .zarr store: traces written by the workers, resumed after the client is killed, same bits."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import run_cli
from test_engine_conformance import assert_bitwise

import lifsim
from lifsim import inputs

distributed = pytest.importorskip("distributed")

P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
KW = dict(n=5000, seed=3, record_v=[40, 3, 4000, 17, 2222], lags=(2,), snapshots=("20 ms",))


def source():
    return inputs.white_noise("4 mV", 150e-12)


@pytest.mark.parametrize("blocks_per_task", [1, 4])
def test_workers_write_the_traces_into_the_store(client, tmp_path, blocks_per_task):
    store = tmp_path / "run.zarr"
    ref = lifsim.simulate(P, source(), engine="numpy", **KW)
    run = lifsim.simulate(P, source(), runner=client, trace_store=store, blocks_per_task=blocks_per_task, **KW)
    assert run.v is None and run.trace_source is not None  # the traces stayed on disk
    run.load_traces()
    assert_bitwise(ref, run)
    back = lifsim.load(str(store))
    back.load_traces()
    assert_bitwise(ref, back)
    assert not (tmp_path / ".run.zarr.parts").exists()  # the done marks go once the store is complete


def test_a_store_without_traces_and_its_checks(client, tmp_path):
    store = tmp_path / "counts.zarr"
    kwargs = dict(n=3000, seed=1, runner=client, trace_store=store)
    run = lifsim.simulate(P, source(), **kwargs)
    assert_bitwise(lifsim.simulate(P, source(), n=3000, seed=1), run)
    with pytest.raises(ValueError, match="exists; pass overwrite=True to replace it"):  # complete: nothing to finish
        lifsim.simulate(P, source(), **kwargs)
    with pytest.raises(ValueError, match="complete already"):
        lifsim.simulate(P, source(), resume=True, **kwargs)
    with pytest.raises(ValueError, match="resume: finishes a Dask run"):
        lifsim.simulate(P, source(), n=10, resume=True)


def test_another_run_cannot_resume_a_store(client, tmp_path):
    store = tmp_path / "run.zarr"
    lifsim.simulate(P, source(), n=3000, seed=1, runner=client, trace_store=store, blocks_per_task=1)
    # make it look interrupted: the completion mark unset, as a killed client leaves it
    import zarr

    zarr.open_group(str(store), mode="r+").attrs["lifsim_complete"] = 0
    with pytest.raises(ValueError, match="different run"):
        lifsim.simulate(P, source(), n=3000, seed=2, runner=client, trace_store=store, resume=True)
    zarr.open_group(str(tmp_path / "foreign.zarr"), mode="w")  # a Zarr store, but not a lifsim run's
    with pytest.raises(ValueError, match="not the store of a distributed lifsim run"):
        lifsim.simulate(P, source(), n=3000, seed=1, runner=client, trace_store=tmp_path / "foreign.zarr", resume=True)
    # nothing to resume: the run starts afresh
    fresh = lifsim.simulate(P, source(), n=3000, seed=1, runner=client, trace_store=tmp_path / "new.zarr", resume=True)
    assert_bitwise(lifsim.simulate(P, source(), n=3000, seed=1), fresh)


def test_cli_resume_needs_a_dask_run_and_a_store(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--t-max", "10ms", "--resume"])
    assert rc == 2 and err.startswith("lifsim: error: --resume") and err.count("\n") == 1


CLI = ["simulate", "--n", "60000", "--t-max", "10 s", "--i-mean", "60 pA", "--input", "white", "--sigma", "5 mV"]
CLI += ["--record-v", "0:60000:4999", "--workers", "2", "--seed", "7"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The same run in one process, saved to and loaded from a .zarr store as the resumed one is."""
    params = lifsim.LIFParams(t_max="10 s", i_mean="60 pA")
    run = lifsim.simulate(
        params, inputs.white_noise("5 mV", params.i_mean), n=60000, seed=7, record_v="0:60000:4999", progress=False
    )
    path = tmp_path_factory.mktemp("one") / "one.zarr"
    run.save(path)
    loaded = lifsim.load(str(path))
    loaded.load_traces()
    return loaded


@pytest.mark.parametrize("moment", range(3))
def test_resume_after_the_client_is_killed(tmp_path, uninterrupted, moment):
    store = tmp_path / "run.zarr"
    parts = tmp_path / ".run.zarr.parts"
    process = subprocess.Popen(
        [sys.executable, "-m", "lifsim", *CLI, "--data", str(store), "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # kill it once a random number of its neuron ranges have landed (their done marks are files)
    wanted = random.Random(moment).randint(1, 6)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        landed = len(list(parts.glob("*.npz"))) if parts.exists() else 0
        if landed >= wanted:
            break
        time.sleep(0.005)
    assert process.poll() is None, f"the run finished before the kill: {process.communicate()[1][-2000:]}"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    with pytest.raises(ValueError, match="not completely written"):
        lifsim.load(str(store))
    done = subprocess.run(
        [sys.executable, "-m", "lifsim", *CLI, "--data", str(store), "--resume", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    resumed = lifsim.load(str(store))
    resumed.load_traces()
    assert_bitwise(uninterrupted, resumed)
    assert np.isfinite(resumed.v_mean).all()


def _interrupted(client, tmp_path, monkeypatch, name, seed=3):
    """A distributed run whose every range landed, left as a killed client leaves it (not finished)."""
    from lifsim.runners.checkpoint import RunStore

    store = tmp_path / name

    def killed(self, result):
        self.abort()
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(RunStore, "finish", killed)
        with pytest.raises(KeyboardInterrupt):
            lifsim.simulate(P, source(), **{**KW, "seed": seed}, runner=client, trace_store=store, blocks_per_task=1)
    return store, tmp_path / f".{name}.parts"


@pytest.mark.parametrize(
    "tamper",
    [
        "swapped chunk",
        "flipped byte",
        "deleted chunk",
        "part of another run",
        "renamed part",
        "emptied",
        "checksums dropped",
    ],
)
def test_a_resumed_store_refuses_what_changed_since_its_ranges_landed(client, tmp_path, monkeypatch, tamper):
    """The parts and trace chunks were merged and sealed unchecked: another neuron's trace, another run's spikes
    in a store that loaded without complaint, or an internal error naming no file."""
    import shutil

    store, parts = _interrupted(client, tmp_path, monkeypatch, "run.zarr")
    names = sorted(parts.glob("*.npz"), key=lambda p: int(p.stem.split("-")[0]))
    rows = sorted((store / "v" / "c").iterdir(), key=lambda p: int(p.name))
    if tamper == "swapped chunk":
        shutil.copy(rows[1] / "0", rows[0] / "0")
    elif tamper == "deleted chunk":
        (rows[0] / "0").unlink()
    elif tamper == "flipped byte":
        chunk = bytearray((rows[0] / "0").read_bytes())
        chunk[len(chunk) // 2] ^= 0xFF
        (rows[0] / "0").write_bytes(bytes(chunk))
    elif tamper == "part of another run":
        _other, other_parts = _interrupted(client, tmp_path, monkeypatch, "other.zarr", seed=4)
        shutil.copy(other_parts / names[0].name, names[0])
    elif tamper == "renamed part":
        shutil.copy(names[1], names[0])
    elif tamper == "checksums dropped":  # a part edited and saved again without its checksums
        members = dict(np.load(names[0]))
        del members["lifsim_sha256"]
        members["spike_count"] = members["spike_count"] + 1
        with open(names[0], "wb") as handle:
            np.savez(handle, **members)
    else:
        names[0].write_bytes(b"")
    with pytest.raises(
        ValueError, match=r"^data: .*\.npz, a finished range of run\.zarr, cannot be used \(.*\); delete"
    ):
        lifsim.simulate(P, source(), **KW, runner=client, trace_store=store, resume=True)


def test_a_store_whose_merge_was_killed_resumes(client, tmp_path, monkeypatch):
    """A kill while the client wrote the merged arrays left some of them in the store, and every resume then failed
    with xarray's "variable 'v_mean' already exists, but encoding was provided"."""
    import zarr

    from lifsim.runners.checkpoint import RunStore

    store = tmp_path / "run.zarr"
    real_finish = RunStore.finish

    def killed_midway(self, result):
        from lifsim.dataset import to_dataset

        ds = to_dataset(result, with_traces=False)[["v_mean"]]
        ds.attrs = dict(zarr.open_group(str(self.target), mode="r").attrs)  # as finish keeps the run's identity
        ds.to_zarr(self.target, mode="a", consolidated=False)  # one array of the merge written, then the kill
        self.abort()
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(RunStore, "finish", killed_midway)
        with pytest.raises(KeyboardInterrupt):
            lifsim.simulate(P, source(), **KW, runner=client, trace_store=store, blocks_per_task=1)
    assert "v_mean" in zarr.open_group(str(store), mode="r")
    assert RunStore.finish is real_finish
    resumed = lifsim.simulate(P, source(), **KW, runner=client, trace_store=store, resume=True)
    resumed.load_traces()
    assert_bitwise(lifsim.simulate(P, source(), engine="numpy", **KW), resumed)


# ------------------------------------------------------------------ Ctrl-C, as the user meets it at a terminal

#: a Dask run of several seconds whose neuron ranges land one by one in its store
SLOW = ["simulate", "--n", "60000", "--t-max", "0.5s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
SLOW += ["--i-mean", "200pA", "--t-ref", "2ms", "--record-v", "0:60000:1000", "--workers", "2", "--data", "dq.zarr"]


def _ctrl_c_once_a_range_landed(folder, argv=SLOW, before=None):
    """Run the installed ``lifsim`` script in ``folder``; give it a terminal's Ctrl-C (SIGINT to its whole process
    group, workers included) once its first neuron range has landed (``before(process)`` called just before);
    return its (exit status, stderr)."""
    from cli_helpers import default_sigint, lifsim_script

    process = subprocess.Popen(
        [lifsim_script(), *argv, "-q"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    parts = folder / ".dq.zarr.parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if parts.is_dir() and any(parts.glob("*.npz")):
            break
        time.sleep(0.01)
    assert process.poll() is None, f"the run ended before the Ctrl-C: {process.communicate()[1][-2000:]}"
    if before is not None:
        before(process)
    os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.cluster
def test_an_interrupted_dask_run_says_resume_and_so_does_its_next_refusal(tmp_path):
    """The same command after a Ctrl-C said only "exists; add --force", which throws the finished ranges away."""
    from cli_helpers import run_script

    rc, err = _ctrl_c_once_a_range_landed(tmp_path)
    assert rc == 130, err
    assert err.splitlines() == [
        "lifsim: interrupted; 'dq.zarr' keeps the finished work: the same command with --resume finishes it"
    ]
    again = run_script([*SLOW, "-q"], cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.splitlines() == [
        "lifsim: error: --data: 'dq.zarr' exists; add --resume to finish it, --force to replace it, or choose "
        "another path"
    ]
    assert run_script([*SLOW, "-q", "--resume"], cwd=tmp_path, timeout=300).returncode == 0
    assert lifsim.load(str(tmp_path / "dq.zarr")).n == 60000
    complete = run_script([*SLOW, "-q"], cwd=tmp_path)  # nothing left to finish: --force is all there is
    assert complete.returncode == 2 and "exists; add --force to replace it" in complete.stderr


@pytest.mark.cluster
def test_a_dask_run_on_a_full_disk_names_its_store_and_resume(tmp_path):
    """It said `task for neurons 12288..14335 failed: [Errno 28] No space left on device:
    'small/.w.zarr.parts/6-7.npz'`: a hidden part file, nothing of the store or of --resume."""
    from cli_helpers import run_on_small_disk

    argv = [*SLOW[:-1], "small/w.zarr", "-q"]
    rc, out, err, left = run_on_small_disk(argv, tmp_path, size="1m")
    assert rc == 2 and out == "", err
    assert err.splitlines() == [
        "lifsim: error: --data: 'small/w.zarr' was not finished: no space is left on the device; its finished neuron "
        "ranges are kept (in it and in .w.zarr.parts beside it), and the same command with --resume finishes it once "
        "there is room"
    ]
    assert "w.zarr" in left and ".w.zarr.parts" in left  # kept on purpose: what --resume finishes from


def _workers_of(pid):
    """The Dask worker processes a ``lifsim --workers`` process ``pid`` spawned (its children running
    multiprocessing's ``spawn_main``)."""
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.cluster
@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="finds the worker processes in /proc (Linux)")
def test_an_interrupted_dask_run_leaves_no_temporary_file(tmp_path):
    """A Ctrl-C left `.dz.zarr.parts/.8-12.npz.9528.13m3d225.tmp`: a worker killed while it wrote a range's part
    (the temporary name holds the worker's process id).  Such a file is made here, in each worker's name, just
    before the Ctrl-C, as a worker killed mid-write leaves it; the run's clean-up must remove it."""
    parts = tmp_path / ".dq.zarr.parts"

    def writing(process):
        workers = _workers_of(process.pid)
        assert workers, "no worker process found"
        for pid in workers:
            (parts / f".48-49.npz.{pid}.k1ll3d.tmp").write_bytes(b"PK half a part")

    rc, err = _ctrl_c_once_a_range_landed(tmp_path, before=writing)
    assert rc == 130, err
    left = [str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.name.endswith(".tmp")]
    assert left == [], left
    assert any(parts.glob("*.npz")), "the finished parts are kept for --resume"
