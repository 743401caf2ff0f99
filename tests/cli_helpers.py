"""Helpers shared by the CLI tests: run ``lifsim`` in-process and check its one-line errors; tell Python's own
start-up reports from lifsim's when a signal meets the installed script."""

import re
import signal
from pathlib import Path

import pytest

from lifsim.cli import main

#: exit status of the CLI for bad input
USAGE = 2
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run every test of a module that imports this in an empty folder, so relative outputs land there."""
    monkeypatch.chdir(tmp_path)


def run_cli(capsys, argv):
    """Run ``lifsim argv`` (a list, or a string split on blanks); return (status, stdout, stderr)."""
    rc = main(argv.split() if isinstance(argv, str) else list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def run_ok(capsys, argv):
    """Run ``lifsim argv``; assert exit status 0 and an empty stderr; return stdout."""
    rc, out, err = run_cli(capsys, argv)
    assert rc == 0, f"exit status {rc}, stderr {err!r}"
    assert err == ""
    return out


def assert_one_line_error(rc, err, *needles, option_names=False):
    """Exit status 2, exactly one ``lifsim: error:`` line on stderr, no traceback, every needle in it.

    A needle may be a tuple of alternatives. With ``option_names``, a parameter
    name such as ``t_max`` also matches the option ``--t-max`` that the CLI names.
    """
    assert rc == USAGE, f"exit status {rc!r}, stderr {err!r}"
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {lines!r}"
    assert lines[0].startswith("lifsim: error:"), lines[0]
    for needle in needles:
        options = needle if isinstance(needle, tuple) else (needle,)
        if option_names:
            options = tuple(options) + tuple("--" + o.replace("_", "-") for o in options if "_" in o or o.isalpha())
        assert any(o.lower() in err.lower() for o in options), f"{needle!r} missing from {err!r}"


def lifsim_script() -> str:
    """The installed ``lifsim`` console script of this environment (beside the interpreter running the tests)."""
    import os
    import shutil
    import sys

    here = os.path.join(os.path.dirname(sys.executable), "lifsim")
    return here if os.path.exists(here) else (shutil.which("lifsim") or pytest.skip("no lifsim console script"))


# ------------------------------------------------------------------ signals while the interpreter starts

#: a frame of the lifsim package's own code in a traceback (the console script's wrapper is not one)
LIFSIM_FRAME = re.compile(r'File "[^"]*[/\\]lifsim[/\\][^"]*"')
needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status (Linux)")


def default_sigint() -> None:
    """In the child before it runs lifsim: SIGINT as a terminal gives it, even where the tests were started
    with SIGINT ignored (a background job of a script), which the child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def lifsim_holds_signals(pid: int) -> bool:
    """Whether lifsim's own handlers are set in process ``pid``: Python never catches SIGTERM itself, lifsim's
    console script sets it right after SIGINT, in its first statements."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", text, re.M).group(1), 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def interpreter_start_failed(stderr: str) -> bool:
    """Python's own report of a SIGINT that met the interpreter's start-up, before lifsim's first line.

    ``Fatal Python error: ...``; or a traceback through importlib's frozen modules only, ending in
    ``KeyboardInterrupt`` (``python: failed to set __main__.__loader__``, or a bare one); or Python's
    ``Exception ignored in: <function _get_module_lock.<locals>.cb ...>`` with the same frozen traceback: the
    interrupt met importlib's weakref callback, where Python cannot raise it, so Python printed it and went on
    (the command then runs to its end).
    """
    if stderr.startswith("Fatal Python error"):
        return True
    lines = stderr.strip().splitlines()
    frames = [line for line in lines if line.lstrip().startswith("File ")]
    return bool(lines) and lines[-1].startswith("KeyboardInterrupt") and all("<frozen " in frame for frame in frames)


def run_script(argv, *, timeout=120, **kwargs):
    """Run the installed ``lifsim`` console script in a subprocess; return the CompletedProcess (text)."""
    import subprocess

    args = argv.split() if isinstance(argv, str) else list(argv)
    kwargs.setdefault("capture_output", True)
    return subprocess.run([lifsim_script(), *args], text=True, timeout=timeout, **kwargs)


# ------------------------------------------------------------------ a full disk, for real

#: the shell that mounts a small tmpfs at ./small (in a mount namespace of its own), runs the command given after
#: its size, and lists what the command left on it (the tmpfs goes with the namespace)
_SMALL_DISK = (
    'mount -t tmpfs -o size="$1" tmpfs small 2>mount.err || exit 99; shift; "$@" >out.txt 2>err.txt; '
    "echo $? >rc.txt; (cd small && find . -mindepth 1 | sort) >listing.txt"
)


def run_on_small_disk(argv, folder, size="2m", timeout=300):
    """Run the installed ``lifsim`` script in ``folder`` with a tmpfs of ``size`` mounted at ``folder/small``;
    return (exit status, stdout, stderr, what it left on the tmpfs: relative paths, hidden ones included).  Skips
    where a mount namespace cannot be made or a tmpfs mounted (not root, a container without the capability)."""
    import shutil
    import subprocess

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare (util-linux) to mount a small tmpfs")
    folder = Path(folder)
    (folder / "small").mkdir(exist_ok=True)
    args = argv.split() if isinstance(argv, str) else [str(arg) for arg in argv]
    done = subprocess.run(
        [unshare, "-m", "sh", "-c", _SMALL_DISK, "sh", size, lifsim_script(), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0 or not (folder / "rc.txt").exists():
        reason = (folder / "mount.err").read_text().strip() if (folder / "mount.err").exists() else done.stderr
        pytest.skip(f"cannot mount a small tmpfs here: {reason.strip()[:200] or done.returncode}")
    listing = [line[2:] for line in (folder / "listing.txt").read_text().splitlines()]
    return (
        int((folder / "rc.txt").read_text()),
        (folder / "out.txt").read_text(),
        (folder / "err.txt").read_text(),
        listing,
    )
