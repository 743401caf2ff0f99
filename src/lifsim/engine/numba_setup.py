"""numba's settings for lifsim's kernels, made before numba compiles or caches anything.

Every numba module of the engine imports this module first.  It turns on LLVM's SLP
vectorizer and, on hosts with AVX-512, asks for 512-bit vectors.  Neither changes a
result: no reassociation, no fused multiply-add, only which operations run side by side.
The settings must be in place before the first ``@njit(cache=True)`` is decorated (numba
builds its code generator, and its cache key, from them then).
"""

from __future__ import annotations

import os
import sys

# LLVM's SLP vectorizer (off in numba by default) packs unrolled code into vector operations; it
# changes no result (no reassociation, no fused multiply-add), only speed.  Set before numba compiles.
os.environ.setdefault("NUMBA_SLP_VECTORIZE", "1")


def _full_width_features() -> str | None:
    """The host's LLVM feature string with 512-bit vectors preferred, where the host has AVX-512; else None.

    LLVM tunes most Intel AVX-512 cores to prefer 256-bit vectors; the kernels
    here are pure vector arithmetic and run about 1.3x faster on 512-bit ones
    (measured on a Xeon: a normal pair 5.2 -> 3.9 ns, a W1 step 1.12 -> 0.80 ns
    per thread).  The width changes no result (no fused multiply-add, no
    reassociation).  A user's own ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES`` win.
    """
    if "NUMBA_CPU_FEATURES" in os.environ or "NUMBA_CPU_NAME" in os.environ:
        return None
    try:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
    except Exception:  # noqa: BLE001  (no feature query on this platform: keep numba's defaults)
        return None
    if "+avx512f" not in features.split(","):
        return None
    return features + ",-prefer-256-bit"


_FEATURES = _full_width_features()
if _FEATURES is not None:
    os.environ["NUMBA_CPU_FEATURES"] = _FEATURES


if "numba" in sys.modules:  # numba came first: set its configuration too (effective until its code generator exists)
    import numba

    numba.core.config.SLP_VECTORIZE = 1  # type: ignore[attr-defined]
    if _FEATURES is not None:
        numba.core.config.CPU_FEATURES = _FEATURES  # type: ignore[attr-defined]
