"""``lifsim --versions`` and ``lifsim.show_versions()``: what a bug report needs, as the user gets it."""

from __future__ import annotations

import io
import platform
import re
import subprocess
import sys
from importlib import metadata

import pytest
from cli_helpers import lifsim_script, run_script

import lifsim
from lifsim import versions as versions_module


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _lines(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        found[name] = value.strip()
    return found


def test_the_installed_script_prints_every_declared_package_with_its_installed_version():
    done = run_script(["--versions"])
    assert done.returncode == 0 and done.stderr == "", done
    shown = _lines(done.stdout)
    assert shown["lifsim"] == lifsim.__version__
    assert shown["python"].startswith(platform.python_version())
    # the versions of the packages this very environment has, read independently of lifsim's code
    for name in ("numpy", "scipy", "numba", "xarray", "zarr", "matplotlib"):
        assert shown[name] == metadata.version(name), name
    assert shown["pynwb (nwb)"] in (_installed("pynwb"), "not installed")
    # every core requirement of the installed metadata is listed (the list never drifts from pyproject.toml)
    core = [re.match(r"[A-Za-z0-9._-]+", line).group(0) for line in metadata.requires("lifsim") if "extra" not in line]
    assert "numpy" in core and "zarr" in core
    for name in core:
        assert name in shown, name
    # the developers' extras are not part of a user's report
    assert not any(key.endswith(("(docs)", "(test)")) for key in shown), shown


def test_a_package_that_is_not_installed_says_so_and_when_it_is_needed(monkeypatch):
    requires = ["numpy>=1.23", "tomli>=2.0; python_version < '3.11'", 'cupy-cuda12x>=13; extra == "gpu"']
    monkeypatch.setattr(versions_module.metadata, "requires", lambda name: requires)
    real = metadata.version

    def version(name: str) -> str:
        if name in ("tomli", "cupy-cuda12x"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(versions_module.metadata, "version", version)
    out = io.StringIO()
    lifsim.show_versions(file=out)
    shown = _lines(out.getvalue())
    assert shown["numpy"] == real("numpy")
    assert shown["tomli"] == "not installed (needed only where python_version < '3.11')", shown["tomli"]
    assert shown["cupy-cuda12x (gpu)"] == "not installed"


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pipe")
def test_versions_into_a_pipe_that_closes_early_is_quiet():
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; '{lifsim_script()}' --versions | head -1"], capture_output=True, text=True
    )
    assert done.stdout.startswith("lifsim:") and "Traceback" not in done.stderr, done


def test_help_names_the_option():
    done = run_script(["--help"])
    assert done.returncode == 0 and "--versions" in done.stdout
