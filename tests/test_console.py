"""The ``lifsim`` console script as the user meets it: a subprocess of the installed script.

Every command's ``--help``, ``--version``, ``python -m lifsim``, a broken pipe,
an internal error (with and without ``LIFSIM_DEBUG``), and SIGINT / SIGTERM from
the first instant of start-up: each way out has its exit status
(:data:`lifsim.errors.EXIT_STATUSES`) and at most one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cli_helpers import (  # noqa: F401 (in_tmp: autouse fixture)
    LIFSIM_FRAME,
    default_sigint,
    in_tmp,
    interpreter_start_failed,
    lifsim_holds_signals,
    lifsim_script,
    needs_proc,
    run_script,
)

from lifsim import errors
from lifsim.cli import build_parser


def commands() -> list[str]:
    """The subcommands of ``lifsim``, from its parser."""
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    raise AssertionError("lifsim has no subcommands")


# ------------------------------------------------------------------ exit 0: --help and --version


def test_every_help_exits_0():
    """``lifsim --help`` and ``lifsim COMMAND --help`` for every command (all at once: one start-up's time)."""
    running = {
        command: subprocess.Popen(
            [lifsim_script(), *([command] if command else []), "--help"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in ["", *commands()]
    }
    for command, process in running.items():
        out, err = process.communicate(timeout=120)
        assert (process.returncode, err) == (0, ""), (command, process.returncode, err[-500:])
        assert out.startswith(f"usage: lifsim {command}".rstrip()), (command, out[:200])


def test_version_exits_0():
    from lifsim import __version__

    done = run_script(["--version"])
    assert (done.returncode, done.stdout, done.stderr) == (0, f"lifsim {__version__}\n", "")


def test_python_m_lifsim_help_exits_0():
    done = subprocess.run([sys.executable, "-m", "lifsim", "--help"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: lifsim")


def test_no_command_is_bad_input():
    done = run_script([])
    assert done.returncode == errors.EXIT_USAGE and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("lifsim: error:"), done.stderr


# ------------------------------------------------------------------ broken pipe


def test_a_broken_pipe_is_quiet():
    """The reader of stdout went away before lifsim wrote: no line, the status of a SIGPIPE death (141)."""
    for argv in (["--help"], ["params"]):
        process = subprocess.Popen([lifsim_script(), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.close()  # nobody reads: every write to stdout fails with EPIPE
        err = process.stderr.read().decode()
        process.wait(timeout=120)
        process.stderr.close()
        assert (process.returncode, err) == (errors.EXIT_BROKEN_PIPE, ""), (argv, process.returncode, err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("argv", [["params"], ["--help"], ["--version"], ["simulate", "--help"], ["tutorial", "1"]])
def test_output_that_cannot_be_written_is_one_line_naming_stdout(argv):
    """``> /dev/full`` (a full disk behind a redirection): the output is lost, so the status is not 0 and the line
    says it was stdout (it said only "No space left on device", and --help's loss was silent with status 0)."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([lifsim_script(), *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (done.returncode, done.stderr.splitlines()) == (
        errors.EXIT_USAGE,
        ["lifsim: error: stdout: No space left on device (the output was not all written)"],
    ), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--n", "10", "--data", "q.npz"],
        ["fi", "--n", "20", "--t-max", "0.2s", "--points", "2", "--data", "q.npz"],
        ["network", "--n-exc", "400", "--t-max", "0.05s", "--data", "q.nc"],
    ],
    ids=["simulate", "fi", "network"],
)
def test_a_reader_that_went_away_loses_the_printout_not_the_data(argv, tmp_path):
    """``lifsim simulate --data q.npz | true``: the summary's broken pipe ended the command before it saved."""
    process = subprocess.Popen([lifsim_script(), *argv], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # nobody reads: every write to stdout fails with EPIPE
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    process.stderr.close()
    assert (process.returncode, err) == (errors.EXIT_BROKEN_PIPE, ""), (argv, process.returncode, err)
    assert (tmp_path / argv[-1]).stat().st_size > 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_stdout_loses_the_printout_not_the_data(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [lifsim_script(), "simulate", "--n", "10", "--data", "f.npz"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == errors.EXIT_USAGE and "stdout: No space left on device" in done.stderr
    assert (tmp_path / "f.npz").stat().st_size > 0


@pytest.mark.parametrize("argv", [["--version"], ["params"], ["simulate", "--n", "10", "--data", "c.npz"]])
def test_a_closed_stdout_is_one_line_naming_it_and_the_data_is_kept(argv, tmp_path):
    """``lifsim --version >&-`` (stdout closed: Python makes ``sys.stdout`` None) printed nothing and exited 0."""
    done = subprocess.run(
        [lifsim_script(), *argv], cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=120, preexec_fn=_close_stdout
    )
    assert (done.returncode, done.stderr.splitlines()) == (
        errors.EXIT_USAGE,
        ["lifsim: error: stdout: Bad file descriptor (the output was not all written)"],
    ), argv
    if argv[-1].endswith(".npz"):
        assert (tmp_path / argv[-1]).stat().st_size > 0
    quiet = subprocess.run(
        [lifsim_script(), "simulate", "--n", "10", "--quiet", "--data", "q.npz"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        timeout=120,
        preexec_fn=_close_stdout,
    )
    assert (quiet.returncode, quiet.stderr) == (0, b"")  # nothing to print: nothing lost


def _close_stdout() -> None:
    os.close(1)


def test_help_into_head_is_one_line_and_no_complaint():
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; '{lifsim_script()}' --help | head -1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.startswith("usage: lifsim") and done.stdout.count("\n") == 1
    assert done.stderr == "" and done.returncode in (0, errors.EXIT_BROKEN_PIPE), (done.returncode, done.stderr)


# ------------------------------------------------------------------ internal errors

FAULTS = {
    # inside a command (a bug in lifsim or a library, met while the command runs)
    "command": """
        import lifsim.cli.params as module
        def run(*args, **kwargs):
            raise RuntimeError("injected fault\\nwith a second line")
        module.run = run
    """,
    # outside the command, in the console script itself
    "console": """
        import lifsim.cli as module
        def main(*args, **kwargs):
            raise RuntimeError("injected fault\\nwith a second line")
        module.main = main
    """,
}


def _with_fault(tmp_path: Path, where: str) -> dict[str, str]:
    """An environment whose interpreter imports a sitecustomize that plants a RuntimeError in lifsim."""
    folder = tmp_path / f"fault-{where}"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(textwrap.dedent(FAULTS[where]))
    env = {k: v for k, v in os.environ.items() if k != "LIFSIM_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("where", sorted(FAULTS))
def test_an_internal_error_is_one_line_and_exit_1(tmp_path, where):
    done = run_script(["params"], env=_with_fault(tmp_path, where))
    assert done.returncode == errors.EXIT_INTERNAL, (done.returncode, done.stderr[-800:])
    assert done.stderr.splitlines() == [
        "lifsim: internal error: RuntimeError: injected fault with a second line; "
        "rerun with LIFSIM_DEBUG=1 for the traceback"
    ]


@pytest.mark.parametrize("where", sorted(FAULTS))
def test_lifsim_debug_shows_the_traceback(tmp_path, where):
    env = {**_with_fault(tmp_path, where), "LIFSIM_DEBUG": "1"}
    done = run_script(["params"], env=env)
    assert done.returncode == errors.EXIT_INTERNAL
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and "sitecustomize.py" in done.stderr
    assert lines[-1] == "lifsim: internal error: RuntimeError: injected fault with a second line"


def test_the_exit_statuses_are_one_table():
    table = errors.exit_status_table().splitlines()
    statuses = [row[0] for row in errors.EXIT_STATUSES]
    assert statuses == sorted(set(statuses)) and len(table) == 2 + len(statuses)
    named = {getattr(errors, name) for name in errors.__all__ if name.startswith("EXIT_") and name != "EXIT_STATUSES"}
    assert named == set(statuses) == {0, 1, 2, 3, 130, 141, 143}
    assert (errors.EXIT_INTERRUPTED, errors.EXIT_BROKEN_PIPE, errors.EXIT_TERMINATED) == (
        128 + signal.SIGINT,
        128 + signal.SIGPIPE,
        128 + signal.SIGTERM,
    )


# ------------------------------------------------------------------ signals from the first instant

SAID = {
    signal.SIGINT: (errors.EXIT_INTERRUPTED, "lifsim: interrupted"),
    signal.SIGTERM: (errors.EXIT_TERMINATED, "lifsim: terminated"),
}


def _signalled(signum: int, delay: float | None) -> tuple[bool, subprocess.CompletedProcess]:
    """Start ``lifsim fi`` and send ``signum`` after ``delay`` s (None: the instant lifsim's handlers appear)."""
    process = subprocess.Popen(
        [lifsim_script(), "fi", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    if delay is None:
        deadline = time.monotonic() + 60
        while not lifsim_holds_signals(process.pid) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.0002)
    else:
        time.sleep(delay)
    held = lifsim_holds_signals(process.pid)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    return held, subprocess.CompletedProcess(process.args, process.returncode, out, err)


@needs_proc
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_from_the_first_instant_is_one_line(signum):
    """From lifsim's first line of code on, SIGINT and SIGTERM give exactly their line and status.

    Before that the interpreter itself is starting (a few to a few tens of milliseconds): the signal then
    kills it as the signal does, or Python reports its own start-up failure, but never from lifsim's code.
    """
    status, line = SAID[signum]
    said = 0
    for delay in (None, 0, 0.001, 0.003, 0.006, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.13, 0.2, 0.4, 0.6):
        held, done = _signalled(signum, delay)
        outcome = (delay, held, done.returncode, done.stdout, done.stderr[-1500:])
        if (done.returncode, done.stderr.splitlines()) == (status, [line]):
            said += 1
            assert done.stdout == "", outcome
            continue
        # not the line: only allowed while the interpreter was still starting, before lifsim's first line
        assert not held and delay is not None, outcome
        assert done.stdout == "" and not LIFSIM_FRAME.search(done.stderr), outcome
        assert done.returncode == -signum or interpreter_start_failed(done.stderr), outcome
    assert said >= 4  # the later moments at least met lifsim's handlers


def _children(pid: int, field: int = 1) -> list[int]:
    """The processes whose parent is ``pid`` (``field=2``: whose process group is ``pid``)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[field]) == pid:
            found.append(int(status.parent.name))
    return found


def _worker_started(pid: int) -> bool:
    """Whether ``pid`` is a worker process that multiprocessing spawned, its interpreter up: it catches or
    ignores SIGINT (Python's handler, or lifsim's console script imported again), and imports Dask next."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    masks = [int(m, 16) for m in re.findall(r"^Sig(?:Cgt|Ign):\s*([0-9a-f]+)", status, re.M)]
    return b"spawn_main" in command and any(mask >> (signal.SIGINT - 1) & 1 for mask in masks)


#: how lifsim is started (the console script, or ``python -m lifsim``, which multiprocessing does not run again
#: in a worker), when the signal comes, the signal and whether it reaches the whole process group
_WORKER_RUNS = [
    ("script", "running", signal.SIGINT, False),
    ("script", "running", signal.SIGINT, True),
    ("script", "starting", signal.SIGINT, True),
    ("module", "starting", signal.SIGINT, True),
    ("module", "running", signal.SIGINT, True),
    ("module", "running", signal.SIGTERM, True),
]


@needs_proc
@pytest.mark.faults
@pytest.mark.parametrize(
    ("launch", "moment", "signum", "to_group"),
    _WORKER_RUNS,
    ids=[f"{a}-{m}-{signal.Signals(s).name[3:]}-{'terminal' if g else 'lifsim'}" for a, m, s, g in _WORKER_RUNS],
)
def test_ctrl_c_on_a_workers_run_is_one_line(tmp_path, launch, moment, signum, to_group):
    """Ctrl-C on a --workers run: one line, and nothing after it from the worker processes or from
    multiprocessing's resource tracker ("leaked semaphore objects").  From a terminal, Ctrl-C reaches the whole
    process group, workers included: while they start (importing Dask) or while they run tasks, they must not
    print a traceback of their own.  lifsim stops at once, and no process of the group outlives it."""
    command = [lifsim_script()] if launch == "script" else [sys.executable, "-m", "lifsim"]
    process = subprocess.Popen(
        [*command, "simulate", "--n", "200000", "--t-max", "10s", "--workers", "2", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 90
    if moment == "starting":  # a worker's interpreter is up and about to import Dask (a second or so)
        while time.monotonic() < deadline and process.poll() is None:
            if any(map(_worker_started, _children(process.pid))):
                break
            time.sleep(0.005)
    else:  # the resource tracker and two workers, a second into their tasks
        while len(_children(process.pid)) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)
    assert process.poll() is None, process.communicate()
    if to_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    sent = time.monotonic()
    _out, err = process.communicate(timeout=120)  # returns once every holder of stderr, workers too, is gone
    status, line = SAID[signum]
    assert (process.returncode, err) == (status, line + "\n")
    assert time.monotonic() - sent < 10  # half a second here: the workers' running tasks are not waited for
    deadline = time.monotonic() + 10
    while _children(process.pid, field=2) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children(process.pid, field=2) == []  # no worker process lingers


def test_a_warning_to_a_stderr_that_is_gone_costs_the_warning_not_the_data(tmp_path):
    """A .csv's note on a closed pipe (``2>&1 | true``) ended the command before it wrote its file."""
    process = subprocess.Popen(
        [lifsim_script(), "simulate", "--n", "10", "--data", "e.csv"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    process.stdout.close()
    process.wait(timeout=120)
    assert process.returncode == errors.EXIT_BROKEN_PIPE
    assert (tmp_path / "e.csv").stat().st_size > 0


def test_a_sweeps_points_say_a_warning_once(tmp_path):
    """`--grid i_mean=50:400:8` (amperes) printed the far-outside-its-range warning once per grid point."""
    argv = ["sweep", "--grid", "i_mean=50:400:4", "--n", "2", "--t-max", "0.15s", "--transient", "10ms", "--quiet"]
    done = run_script(argv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    far = [line for line in done.stderr.splitlines() if "far outside the usual range" in line]
    assert len(far) == 1 and far[0].startswith("lifsim: warning: --i-mean: 50 A is far outside"), done.stderr
