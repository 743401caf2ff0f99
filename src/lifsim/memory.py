"""How much memory this process can still use: free RAM, cgroup limits and rlimits."""

from __future__ import annotations

import os
import resource

__all__ = ["available_memory", "format_bytes", "address_space_limit", "single_thread_native_pools"]


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


#: address space a process maps beyond the arrays it is counted for (the Python heap, a freed array's pages a malloc
#: arena keeps): left out of the room under an address-space limit, which holds exactly
ADDRESS_SPACE_MARGIN = 64 * 2**20


def _rlimit_room() -> int | None:
    """Bytes of address space left under ``ulimit -v``, less :data:`ADDRESS_SPACE_MARGIN` (the limit counts the
    address space mapped, ``VmSize``, not the resident memory)."""
    soft = address_space_limit()
    if soft is None:
        return None
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError):
        used = 0
    return max(0, soft - used - ADDRESS_SPACE_MARGIN)


def address_space_limit() -> int | None:
    """The soft address-space limit (``ulimit -v``, bytes) of this process, or None when there is none."""
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None
    return None if soft == resource.RLIM_INFINITY else int(soft)


#: thread pools of native libraries that a later import may start (OpenBLAS: the copy inside SciPy's wheels)
NATIVE_POOLS = ("OPENBLAS_NUM_THREADS",)


def single_thread_native_pools() -> None:
    """Under an address-space limit, ask native libraries loaded from now on for one thread.

    Finding 15 of issue 16: under ``ulimit -v``, writing a run loads SciPy (through
    ``dask.array``), whose own OpenBLAS starts a pool of threads at load time and,
    when it cannot map their buffers, retries forever: the process hung after the
    run instead of failing.  lifsim does no BLAS work, so one thread costs nothing;
    with it, a load that does not fit fails with ``MemoryError`` (one line from
    the CLI).  A value the user set is kept.
    """
    if address_space_limit() is None:
        return
    for name in NATIVE_POOLS:
        os.environ.setdefault(name, "1")


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
