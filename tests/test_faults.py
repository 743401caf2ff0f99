"""Faults against real ``lifsim`` processes: signals at random moments, a full disk, two writers on one path.

After every fault: no file that looks complete unless it is complete (it loads, and holds the numbers
of an uninterrupted run), the file that was there before is intact or replaced by a complete one,
no temporary litter (after SIGKILL, the next run clears what the killed one left), and one line on
stderr.  ``LIFSIM_FAULT_SEEDS=N`` runs N random moments per format and signal (default 1).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import lifsim
from lifsim.provenance import compare

pytestmark = pytest.mark.faults

SEEDS = int(os.environ.get("LIFSIM_FAULT_SEEDS", "1"))
FORMATS = (".npz", ".nc", ".zarr", ".csv", ".nwb")
#: a run that takes a second or two in all: start-up, simulation, a 20 MB trace written
RUN = ["simulate", "--n", "20000", "--t-max", "0.5s", "--dt", "0.1ms", "--record-v", "0:500", "--quiet"]


def lifsim_process(argv: list[str], cwd: Path, stdout: object = subprocess.PIPE) -> subprocess.Popen:
    """``python -m lifsim argv`` in ``cwd``, unbuffered where stdout is a pipe (a redirected file: as a user's)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"} if stdout is subprocess.PIPE else dict(os.environ)
    return subprocess.Popen(
        [sys.executable, "-m", "lifsim", *argv],
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def snapshot(path: Path) -> dict[str, bytes] | None:
    if not path.exists():
        return None
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


def reference(seed: int) -> lifsim.Result:
    return lifsim.simulate(
        lifsim.LIFParams(t_max="0.5s", dt="0.1ms"), n=20000, seed=seed, record_v="0:500", progress=False
    )


@pytest.fixture(scope="module")
def runs():
    return {1: reference(1), 2: reference(2)}


def is_complete_copy_of(path: Path, expected: lifsim.Result) -> bool:
    """The file is whole and holds ``expected``'s numbers."""
    suffix = path.suffix
    if suffix in (".npz", ".nc", ".zarr"):
        back = lifsim.load(path)
        return compare(expected, back) == []
    if suffix == ".csv":
        from lifsim.formats.csv import read_columns

        columns, meta = read_columns(path)
        return np.array_equal(columns["v_mean"], expected.v_mean) and meta.get("seed") == expected.meta["seed"]
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        return np.array_equal(nwb.processing["ensemble"]["v_mean"].data[:], expected.v_mean)


def said(stderr: str) -> list[str]:
    """The lines of ``stderr`` but the notes a --data target gives before the run (what a .csv will not hold, a
    folder that may lack the room the file is expected to need)."""
    return [line for line in stderr.splitlines() if not line.startswith("lifsim: warning: --data:")]


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"])
def test_signal_at_a_random_moment(tmp_path, runs, suffix, signum):
    rng = random.Random(f"{suffix}{int(signum)}")
    target = tmp_path / f"out{suffix}"
    runs[2].save(str(target))  # an earlier result in the same place, from another seed
    before = snapshot(target)
    for _ in range(SEEDS):
        process = lifsim_process([*RUN, "--seed", "1", "--data", target.name, "--force"], tmp_path)
        time.sleep(rng.uniform(0.15, 2.5))
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
        status = process.returncode
        assert "Traceback" not in stderr and stdout == "", stderr
        lines = said(stderr)
        if signum == signal.SIGKILL:
            assert status in (0, -signal.SIGKILL)
        elif status == 0:  # it finished before the signal came
            assert lines == []
        else:
            expected = {signal.SIGINT: (130, "lifsim: interrupted"), signal.SIGTERM: (143, "lifsim: terminated")}
            assert (status, lines) == (expected[signum][0], [expected[signum][1]]), (status, lines)
        # the target is the earlier result, intact, or a complete new one
        after = snapshot(target)
        assert after is not None
        if after != before:
            assert is_complete_copy_of(target, runs[1]), f"{target.name} looks complete but is not"
            before = after
        if signum != signal.SIGKILL:
            assert litter(tmp_path) == [], litter(tmp_path)
    if signum == signal.SIGKILL:  # the next run clears what a killed one left behind
        final = lifsim_process([*RUN, "--seed", "1", "--data", target.name, "--force"], tmp_path)
        assert final.wait(timeout=120) == 0, final.stderr.read()
        assert litter(tmp_path) == []
        assert is_complete_copy_of(target, runs[1])


@pytest.mark.parametrize("suffix", [".zarr", ".npz", ".nc"])
def test_two_writers_on_one_path(tmp_path, runs, suffix):
    target = tmp_path / f"out{suffix}"
    argv = [*RUN, "--data", target.name, "--force"]
    writers = [lifsim_process([*argv, "--seed", str(seed)], tmp_path) for seed in (1, 2)]
    statuses = []
    for writer in writers:
        _out, err = writer.communicate(timeout=180)
        statuses.append(writer.returncode)
        if writer.returncode != 0:  # a store the traces stream into has one writer: the other is refused at once
            assert suffix == ".zarr" and writer.returncode == 2, err
            assert len(err.splitlines()) == 1 and "being written by another lifsim process" in err, err
    assert 0 in statuses
    assert is_complete_copy_of(target, runs[1]) or is_complete_copy_of(target, runs[2])
    assert litter(tmp_path) == []


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".csv"])
def test_two_writers_on_one_new_path_never_both_succeed(tmp_path, runs, suffix):
    """Without --force both found no file, both wrote it, both exited 0, and one result was silently gone: now
    exactly one wins and the other says so in one line (at its check, or when its file is renamed into place)."""
    target = tmp_path / f"out{suffix}"
    writers = [lifsim_process([*RUN, "--data", target.name, "--seed", str(seed)], tmp_path) for seed in (1, 2)]
    outcomes = []
    for writer in writers:
        _out, err = writer.communicate(timeout=180)
        errors = [line for line in err.splitlines() if line.startswith("lifsim: error:")]
        outcomes.append((writer.returncode, errors))
    assert sorted(status for status, _ in outcomes) == [0, 2], outcomes
    winner = next(i for i, (status, _) in enumerate(outcomes) if status == 0) + 1
    loser_errors = next(errors for status, errors in outcomes if status == 2)
    assert len(loser_errors) == 1 and target.name in loser_errors[0], outcomes
    assert is_complete_copy_of(target, runs[winner])
    assert litter(tmp_path) == []


def tmpfs(mount: Path, size: str):  # type: ignore[no-untyped-def]
    """A tmpfs of ``size`` at ``mount``, where the tests may mount one (root on Linux); skipped otherwise."""
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("cannot mount a tmpfs here")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()[:80]})")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True, timeout=10)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs: a run's output does not fit (refused before the run, its room checked)."""
    yield from tmpfs(tmp_path / "small", "2m")


@pytest.fixture
def filling_disk(tmp_path):
    """A 32 MiB tmpfs: room for the run when it starts, filled by the test while it runs."""
    yield from tmpfs(tmp_path / "filling", "32m")


def fill(folder: Path) -> None:
    """Write zeros into ``folder/filler`` until the disk is full."""
    with open(folder / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass


@pytest.mark.parametrize("suffix", FORMATS)
def test_full_disk_is_one_line_and_keeps_what_was_there(small_disk, suffix):
    target = small_disk / f"out{suffix}"
    small = lifsim_process(["simulate", "--n", "3", "--quiet", "--data", target.name], small_disk)
    assert small.wait(timeout=120) == 0, small.stderr.read()
    before = snapshot(target)
    size = (
        ("--n", "10", "--t-max", "10s") if suffix == ".csv" else ("--n", "2000", "--t-max", "1s", "--record-v", "all")
    )
    process = lifsim_process(
        ["simulate", *size, "--dt", "0.1ms", "--input", "uniform", "--data", target.name, "--force"], small_disk
    )
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 2, (process.returncode, err)  # not 139, a segmentation fault
    lines = said(err)
    assert len(lines) == 1 and lines[0].startswith("lifsim: error:") and target.name in lines[0], lines
    assert snapshot(target) == before
    assert litter(small_disk) == []


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".zarr"])
def test_a_disk_that_fills_during_the_run_is_one_line_and_keeps_what_was_there(filling_disk, suffix):
    """The room is checked before the run; a disk that another program fills meanwhile is met by the write itself:
    one line, the earlier result intact, nothing left behind."""
    target = filling_disk / f"out{suffix}"
    small = lifsim_process(["simulate", "--n", "3", "--quiet", "--data", target.name], filling_disk)
    assert small.wait(timeout=120) == 0, small.stderr.read()
    before = snapshot(target)
    argv = ["simulate", "--n", "20000", "--t-max", "40s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
    process = lifsim_process([*argv, "--no-record-spikes", "--data", target.name, "--force"], filling_disk)
    time.sleep(1.5)  # past the checks (start-up about 0.6 s), within the run (about 4 s of simulation)
    assert process.poll() is None, "the run ended before the disk was filled"
    fill(filling_disk)
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 2, (process.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifsim: error:") and target.name in lines[0], lines
    assert snapshot(target) == before
    assert litter(filling_disk) == []


@pytest.mark.parametrize("argv", [["params"], ["simulate", "--help"], ["--version"]])
def test_output_redirected_onto_a_full_disk_is_one_line_not_a_silent_loss(small_disk, argv):
    """``lifsim simulate --help > file`` on a full disk left an empty file with status 0 (argparse drops the
    error of its write; the last flush's was dropped too)."""
    fill(small_disk)
    with open(small_disk / "out.txt", "w") as out:
        process = lifsim_process(argv, small_disk, stdout=out)
        _out, err = process.communicate(timeout=60)
    assert (process.returncode, err.splitlines()) == (
        2,
        ["lifsim: error: stdout: No space left on device (the output was not all written)"],
    ), argv


def test_a_network_nwb_on_a_full_disk_is_one_line(small_disk):
    """HDF5 met the full disk with dozens of finaliser tracebacks and an internal error (exit 1)."""
    target = small_disk / "n.nwb"
    argv = ["network", "--n-exc", "4000", "--t-max", "1s", "--seed", "1", "--data", target.name, "--quiet"]
    process = lifsim_process(argv, small_disk)
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 2, (process.returncode, err)
    (line,) = said(err)
    assert line.startswith(f"lifsim: error: No space left on device: {target.name} (nothing of it was kept"), err
    assert litter(small_disk) == []


def test_init_on_a_full_disk_leaves_no_empty_config(small_disk):
    fill(small_disk)
    process = lifsim_process(["init", "run.toml"], small_disk)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and len(err.splitlines()) == 1, err
    assert not (small_disk / "run.toml").exists()
    assert litter(small_disk) == []


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.4])
def test_ctrl_c_during_start_up_is_one_line(tmp_path, delay):
    process = lifsim_process(["simulate", "--n", "100"], tmp_path)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    if process.returncode != 0:
        assert (process.returncode, stderr.splitlines()) == (130, ["lifsim: interrupted"])


@pytest.mark.parametrize(
    ("signum", "data"),
    [
        (signal.SIGINT, ["--data", "out.npz"]),
        (signal.SIGTERM, ["--data", "out.npz"]),
        (signal.SIGINT, ["--data", "out.zarr", "--record-v", "0,1", "--t-max", "1s"]),  # a store and its lock
    ],
    ids=["INT", "TERM", "INT-zarr-store"],
)
def test_signal_while_numba_compiles(tmp_path, signum, data):
    """A signal while numba compiles the kernels leaves at once from the handler (raising there would unwind
    through numba's half-built LLVM objects: a segmentation fault after the line, once in CI): one line, the
    signal's status, and nothing written, the store's temporary folder and writer lock included."""
    cache = tmp_path / "numba-cache"  # an empty cache: the first call compiles (seconds)
    process = subprocess.Popen(
        [sys.executable, "-m", "lifsim", "simulate", "--n", "100", "--t-max", "50ms", *data, "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(cache.rglob("*.nbi")) and process.poll() is None:
        time.sleep(0.01)  # the first index file: numba is compiling and caching the kernels
    time.sleep(0.2)
    assert process.poll() is None, "the run ended before the signal"
    process.send_signal(signum)
    _out, err = process.communicate(timeout=120)
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    assert err.strip() in ("lifsim: interrupted", "lifsim: terminated"), err[-500:]
    assert process.returncode == (130 if signum == signal.SIGINT else 143)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["numba-cache"]


def test_a_signal_inside_numba_s_compiler_calls_the_leave_function(monkeypatch):
    """The handler does not raise inside numba's compiler (Python frames from numba's package folder): it calls
    the command's leave function, which removes what is being written and exits."""
    import numba

    from lifsim import signals

    left: list[type[KeyboardInterrupt]] = []
    monkeypatch.setattr(signals, "_pending", None)
    monkeypatch.setattr(signals, "_leave_now", left.append)  # the command's never returns; this one does
    path = os.path.join(os.path.dirname(numba.__file__), "core", "dispatcher.py")
    space = {"sys": sys}
    exec(compile("def _compile_for_args(): return sys._getframe()", path, "exec"), space)
    frame = space["_compile_for_args"]()
    with pytest.raises(signals.Terminated):  # raised only because this leave function returned
        signals._handler(signal.SIGTERM, frame)
    assert left == [signals.Terminated]
    with pytest.raises(KeyboardInterrupt):
        signals._handler(signal.SIGINT, sys._getframe())  # outside the compiler it raises at once
    assert left == [signals.Terminated]
    monkeypatch.setattr(signals, "_leave_now", None)  # no leave function (a program installing the handler
    with pytest.raises(KeyboardInterrupt):  # itself): it raises there as before
        signals._handler(signal.SIGINT, frame)
    assert left == [signals.Terminated]


def test_a_signal_in_a_ctypes_callback_is_kept_for_later(monkeypatch):
    """The handler does not raise inside llvmlite's cache callbacks (the exception would be dropped); it keeps
    the mark, and the runner raises it once the engine returns."""
    from lifsim import signals

    monkeypatch.setattr(signals, "_pending", None)
    text = "def _raw_object_cache_notify(self, data): return sys._getframe()"
    code = compile(text, os.path.join(os.sep, "x", "llvmlite", "binding", "ee.py"), "exec")
    space = {"sys": sys}
    exec(code, space)
    frame = space["_raw_object_cache_notify"](None, None)
    signals._handler(signal.SIGTERM, frame)  # no exception here
    assert signals.pending() is signals.Terminated
    with pytest.raises(signals.Terminated):
        signals.raise_if_interrupted()
    with pytest.raises(KeyboardInterrupt):
        signals._handler(signal.SIGINT, sys._getframe())  # anywhere else it raises at once
