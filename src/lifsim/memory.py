"""How much memory this process can still use: free RAM, cgroup limits and rlimits."""

from __future__ import annotations

import os
import resource

__all__ = ["available_memory", "format_bytes"]


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_AVPHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    """Bytes left under a cgroup (v2 or v1) memory limit, if one is set."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file) as handle:
                text = handle.read().strip()
            if text == "max":
                return None
            limit = int(text)
            if limit >= 2**60:  # v1's "no limit"
                return None
            with open(usage_file) as handle:
                usage = int(handle.read().strip())
            return max(0, limit - usage)
        except (OSError, ValueError):
            continue
    return None


def _rlimit_room() -> int | None:
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError):
        used = 0
    return max(0, soft - used)


def available_memory() -> int | None:
    """Bytes this process can allocate now: the least of available RAM, cgroup room and rlimit room.

    None when nothing can be read (then no memory check is made).
    """
    values = [v for v in (_meminfo_available(), _cgroup_room(), _rlimit_room()) if v is not None]
    return min(values) if values else None


def format_bytes(count: float) -> str:
    """``1.5 GiB``, ``300 MiB``..."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(count) >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} B"
