"""Large buffers written once per run on small (4 KiB) memory pages rather than transparent huge pages.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MiB or more. A spike
list (16 bytes a spike: 94 MB for W1s at N = 1e5, 940 MB at 1e6), a chunk's spike buffers and the recorded V traces
are new memory in every run, written once. On a virtual machine whose host takes free memory back (free page
reporting, which reports free blocks of huge-page size), each new huge page has to be supplied by the host again:
writing 94 MB took 0.11-0.12 s on huge pages and 0.02 s on small pages, run after run (a Firecracker VM, AMD EPYC, 2
threads, rounds 4 s apart), and a W1s run of 1e6 neurons spent 1.3-2 s more in the kernel on its first run. On small
pages the cost is the same every run; on a machine without that host behaviour the two cost about the same (the time
is the zeroing of the pages).

:func:`small_pages` advises the kernel (``MADV_NOHUGEPAGE``) for an array's memory before it is first written; it
changes no value, only which pages back it, and does nothing where the call is not available (not Linux).
"""

from __future__ import annotations

import ctypes
import mmap
import sys

import numpy as np

__all__ = ["small_pages"]

#: arrays smaller than this are left alone (numpy advises huge pages from 4 MiB)
MIN_BYTES = 1 << 22
_PAGE = mmap.PAGESIZE
_ADVICE = getattr(mmap, "MADV_NOHUGEPAGE", None)


def _madvise() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """The C library's ``madvise`` (Linux only), or None."""
    if _ADVICE is None or not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    call.restype = ctypes.c_int
    return call


_CALL = _madvise()


def small_pages(array: np.ndarray) -> np.ndarray:
    """``array``, its whole pages advised not to be backed by huge pages (a hint: failures are ignored).

    Call it before the memory is written: pages already backed keep what they have."""
    if _CALL is None or array.nbytes < MIN_BYTES:
        return array
    address = array.__array_interface__["data"][0]
    start = -(-address // _PAGE) * _PAGE  # the first whole page (madvise takes page-aligned ranges)
    end = (address + array.nbytes) // _PAGE * _PAGE
    if end > start:
        _CALL(start, end - start, _ADVICE)
    return array
