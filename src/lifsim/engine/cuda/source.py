"""The GPU engine's C sources, assembled from one per-neuron core, and the CPU build of their twin.

``lif_core.h`` holds the per-neuron arithmetic (counter-stream draws, the
portable normal transform, the input's parts, the Euler and exact updates,
threshold, reset, refractoriness, Chan's merge) once.  It is prepended, after
the constants of :mod:`lifsim.portable` written as exact hexadecimal literals,
to

* ``lif_kernels.cu``: the CUDA kernels that NVRTC compiles (through CuPy) with
  ``--fmad=false``, so that no multiply-add is fused and the GPU gives the
  CPU's bits;
* ``lif_reference.c``: their CPU twin (the same kernels with the warps run one
  after the other), compiled here by the system C compiler with
  ``-ffp-contract=off``; the tests run the GPU engine's host logic on it and
  compare with the CPU engines bit for bit.

Launch configuration (NVRTC and ptxas 12.9, measured by
:mod:`lifsim.engine.cuda.compile_check`; ``python -m
lifsim.engine.cuda.compile_check`` prints it again): ``lif_advance`` runs one
thread per neuron in blocks of :data:`NODE` = 128 threads, compiled with
``__launch_bounds__(128, 8)``: 64 registers per thread, no stack frame, no
spills, 1.6 KiB of shared memory with one white-noise term and 8.6 KiB with
:data:`MAX_WHITE` = 8; ``lif_merge_nodes`` runs blocks of 256 threads with
55 or 56 registers.

=====================  ==============  =======================  ====================
architecture           lif_advance     blocks/SM, warps/SM      lif_merge_nodes
=====================  ==============  =======================  ====================
sm_70 (V100)           64 registers    8, 32 of 64 (50 %)       4, 32 of 64 (50 %)
sm_75 (T4)             64 registers    8, 32 of 32 (100 %) [*]  4, 32 of 32 (100 %)
sm_80 (A100)           64 registers    8, 32 of 64 (50 %)       4, 32 of 64 (50 %)
sm_86, sm_89 (L4)      64 registers    8, 32 of 48 (67 %)       4, 32 of 48 (67 %)
sm_90 (H100, H200)     64 registers    8, 32 of 64 (50 %)       4, 32 of 64 (50 %)
=====================  ==============  =======================  ====================

[*] 7 blocks, 28 warps (88 %) with 8 white-noise terms: shared memory.  The
node size is the one with the best occupancy over node sizes 32 .. 1024
(:func:`lifsim.engine.cuda.compile_check.choose_node`): at 64 registers every
node from 64 to 512 gives 32 warps per SM, except on sm_75 with 8 white terms,
where the spare halves in shared memory leave 28 warps to nodes of 64 and 128,
24 to 256 and 16 to 512; of 64 and 128 the larger (half the nodes to write out
and merge).  Blocks of 32 hit the limit of blocks per SM (16 warps on sm_75 and
sm_86), and 1,024 neurons with 8 white terms need more than the 48 KiB of
shared memory a block may have.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from ... import portable

__all__ = [
    "MAX_WHITE",
    "NODE",
    "MAX_REGISTERS",
    "NVRTC_OPTIONS",
    "C_FLAGS",
    "constants",
    "kernel_source",
    "reference_source",
    "build_reference",
    "find_c_compiler",
    "has_c_compiler",
]

#: the most white-noise terms one input may have on the GPU engine (their spare halves take
#: ``8 * MAX_WHITE * NODE`` bytes of shared memory per thread block)
MAX_WHITE = 8
#: neurons per thread block of ``lif_advance`` (a node of the canonical tree; smaller when the plan's blocks are
#: smaller), chosen from the occupancy table in the module docstring
NODE = 128
#: registers per thread ``lif_advance`` is compiled for (``__launch_bounds__(NODE, 65536 / (MAX_REGISTERS * NODE))``):
#: 64 fit any node size in the 65,536 registers of a block and give 32 warps per SM on every GPU from sm_70 to sm_90
MAX_REGISTERS = 64
#: NVRTC options: IEEE double arithmetic without contraction (division and square root are IEEE by default)
NVRTC_OPTIONS = ("--fmad=false", "-std=c++17")
#: the CPU twin's compiler flags: no contraction, no fast math, the host's own vector width is irrelevant
C_FLAGS = ("-O2", "-std=c11", "-ffp-contract=off", "-fno-fast-math", "-fPIC", "-shared")


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def constants() -> str:
    """``#define`` lines for the portable transform's constants, as exact hexadecimal floats."""
    named = {
        "LIF_SQRT2": portable.SQRT2,
        "LIF_PIO2": portable.PIO2,
        "LIF_LN2_HI": portable.LN2_HI,
        "LIF_LN2_LO": portable.LN2_LO,
    }
    named.update({f"LIF_L{i}": c for i, c in enumerate(portable.LOG_COEFFICIENTS)})
    named.update({f"LIF_S{i}": c for i, c in enumerate(portable.SIN_COEFFICIENTS)})
    named.update({f"LIF_C{i}": c for i, c in enumerate(portable.COS_COEFFICIENTS)})
    single = {"LIF_F_LN2_HI": portable.F32.LN2_HI, "LIF_F_LN2_LO": portable.F32.LN2_LO, "LIF_F_PIO2": portable.F32.PIO2}
    single.update({f"LIF_F_L{i}": c for i, c in enumerate(portable.F32.LOG)})
    single.update({f"LIF_F_S{i}": c for i, c in enumerate(portable.F32.SIN)})
    single.update({f"LIF_F_C{i}": c for i, c in enumerate(portable.F32.COS)})
    return "".join(f"#define {name} ({float(value).hex()})\n" for name, value in named.items()) + "".join(
        f"#define {name} ({float(value).hex()}f)\n"
        for name, value in single.items()  # float32: exact
    )


def kernel_source(max_white: int = MAX_WHITE, node: int = NODE) -> str:
    """The CUDA source of the kernels ``lif_advance`` and ``lif_merge_nodes`` (NVRTC, no includes).

    ``max_white`` (1 .. :data:`MAX_WHITE`) sizes the shared memory of the spare Box-Muller halves; ``node``
    (a power of two, 32 .. 1024) is the most threads per block ``lif_advance`` is launched with.
    """
    if isinstance(max_white, bool) or not isinstance(max_white, int) or not 1 <= max_white <= MAX_WHITE:
        raise ValueError(f"max_white: expected 1 .. {MAX_WHITE}, got {max_white!r}")
    if isinstance(node, bool) or not isinstance(node, int) or not 32 <= node <= 1024 or node & (node - 1):
        raise ValueError(f"node: expected a power of two from 32 to 1024, got {node!r}")
    min_blocks = max(1, 65536 // (MAX_REGISTERS * node))
    return (
        "/* generated by lifsim.engine.cuda.source: constants, lif_core.h, lif_kernels.cu */\n"
        "#define LIF_FN __device__ __forceinline__\n"
        f"#define LIF_MAX_WHITE {max_white}\n#define LIF_NODE {node}\n#define LIF_MIN_BLOCKS {min_blocks}\n"
        + constants()
        + _read("lif_core.h")
        + _read("lif_kernels.cu")
    )


def reference_source() -> str:
    """The C source of the CPU twin (``lif_advance`` and ``lif_merge_nodes`` with the kernels' arguments)."""
    return (
        "/* generated by lifsim.engine.cuda.source: constants, lif_core.h, lif_reference.c */\n"
        "#include <math.h>\n#include <string.h>\n" + constants() + _read("lif_core.h") + _read("lif_reference.c")
    )


def find_c_compiler() -> str | None:
    """The system C compiler (``$CC``, ``cc``, ``gcc`` or ``clang``), or None."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def has_c_compiler() -> bool:
    """Whether a C compiler is found (the ``cuda-twin`` engine's probe)."""
    return find_c_compiler() is not None


def build_reference(folder: str | Path | None = None) -> ctypes.CDLL:
    """Compile the CPU twin into a shared library (cached by the source's hash) and load it.

    Raises ``RuntimeError`` with the compiler's first error line when no C compiler is found
    or the build fails.
    """
    compiler = find_c_compiler()
    if compiler is None:
        raise RuntimeError("no C compiler found (set CC, or install gcc or clang)")
    text = reference_source()
    digest = hashlib.sha256((text + " ".join(C_FLAGS)).encode()).hexdigest()[:16]
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "lifsim-cuda-twin"
    where.mkdir(parents=True, exist_ok=True)
    library = where / f"lif_reference_{digest}.so"
    if not library.exists():
        source = where / f"lif_reference_{digest}.c"
        source.write_text(text, encoding="utf-8")
        partial = where / f".lif_reference_{digest}.{os.getpid()}.so"
        done = subprocess.run(
            [compiler, *C_FLAGS, "-o", str(partial), str(source), "-lm"], capture_output=True, text=True
        )
        if done.returncode != 0:
            first = next((line for line in done.stderr.splitlines() if "error" in line), done.stderr.strip()[:200])
            raise RuntimeError(f"the CPU twin of the CUDA kernels did not compile: {first}")
        os.replace(partial, library)
    return ctypes.CDLL(str(library))
