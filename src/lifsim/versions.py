"""What a bug report needs: lifsim's version, the machine, and the version of every package lifsim uses.

``lifsim --versions`` and :func:`show_versions` print it (as ``xarray.show_versions()``
does for xarray); :func:`versions` returns it as a dict.  The packages are the ones
the installed lifsim declares (its core requirements, then each user extra's), read from
the package metadata, so the list never drifts from ``pyproject.toml``.  Nothing is
imported to find a version: a broken optional package cannot break the report.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import TextIO

__all__ = ["versions", "show_versions", "cpu_model"]

#: what a package that is not installed shows
MISSING = "not installed"


def cpu_model() -> str:
    """The CPU's model name, with its family and model numbers where the name alone is generic (under a
    hypervisor, two generations of Xeon both say "Intel(R) Xeon(R) Processor"); Linux: /proc/cpuinfo, elsewhere
    what :mod:`platform` knows."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":")
            if not name.strip():
                break  # the first processor's entry is enough
            fields.setdefault(name.strip(), value.strip())
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or platform.machine() or "unknown"
    if "cpu family" in fields and "model" in fields:
        model += f" (family {fields['cpu family']}, model {fields['model']})"
    return model


#: extras of lifsim's own developers (building the documentation, running the tests): not in a user's report
DEVELOPER_EXTRAS = ("docs", "test")


def _requirements() -> list[tuple[str, str, str]]:
    """(distribution name, extra or "" for a core requirement, condition or "") of every package lifsim declares
    for its users, in its order; the condition is the requirement's environment marker (``python_version <
    '3.11'``), if any."""
    try:
        declared = metadata.requires("lifsim") or []
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return []
    found: list[tuple[str, str, str]] = []
    for line in declared:
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if name is None or name.group(1).lower() == "lifsim":  # lifsim[all] and the like: the extras themselves
            continue
        requirement, _, marker = line.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        condition = re.sub(r"\(?\s*extra\s*==\s*['\"][^'\"]+['\"]\s*\)?", "", marker)
        condition = re.sub(r"^\s*(and\s+)?|(\s+and)?\s*$", "", condition).strip()
        entry = (name.group(1), extra.group(1) if extra else "", condition)
        if entry[1] in DEVELOPER_EXTRAS or entry[0].lower() in {known.lower() for known, _, _ in found}:
            continue
        found.append(entry)
    return found


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return MISSING


def versions() -> dict[str, str]:
    """lifsim, Python, the operating system, CPU and cores, then every declared package and its installed version.

    Returns
    -------
    dict
        Name to version (or description), in the order :func:`show_versions` prints them; a package that is not
        installed shows ``"not installed"`` (and the condition under which it is needed, if any); an extra's
        package is named ``"name (extra)"``.
    """
    from . import __version__

    found = {
        "lifsim": __version__,
        "python": sys.version.split()[0] + f" ({platform.python_implementation()}, {sys.executable})",
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "cpu": f"{cpu_model()}, {os.cpu_count()} logical cores",
    }
    for name, extra, condition in _requirements():
        version = _installed(name)
        if version == MISSING and condition:
            version += f" (needed only where {condition})"
        found[f"{name} ({extra})" if extra else name] = version
    return found


def show_versions(file: TextIO | None = None) -> None:
    """Print :func:`versions`, one ``name: version`` per line, for a bug report (``lifsim --versions``).

    Parameters
    ----------
    file
        Where to print (default: standard output).
    """
    found = versions()
    width = max(len(name) for name in found)
    for name, version in found.items():
        print(f"{name + ':':<{width + 1}} {version}", file=file or sys.stdout)
