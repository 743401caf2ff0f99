"""Helpers shared by the CLI tests: run ``lifsim`` in-process and check its one-line errors."""

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


def run_script(argv, *, timeout=120, **kwargs):
    """Run the installed ``lifsim`` console script in a subprocess; return the CompletedProcess (text)."""
    import subprocess

    args = argv.split() if isinstance(argv, str) else list(argv)
    kwargs.setdefault("capture_output", True)
    return subprocess.run([lifsim_script(), *args], text=True, timeout=timeout, **kwargs)
