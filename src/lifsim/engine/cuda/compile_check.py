"""The GPU kernels as NVRTC and ptxas really build them, checked without a GPU.

NVIDIA's runtime compiler and assembler install from PyPI and need no GPU
(``pip install ".[cuda-check]"`` in the lifsim folder, i.e. ``nvidia-cuda-nvrtc-cu12`` and
``nvidia-cuda-nvcc-cu12``).  This module

* compiles the exact source the engine hands to NVRTC
  (:func:`lifsim.engine.cuda.source.kernel_source`) with the engine's own
  :data:`~lifsim.engine.cuda.source.NVRTC_OPTIONS` for a virtual architecture
  (``compute_70`` ..), calling ``libnvrtc.so.12`` through ctypes;
* assembles the PTX with ``ptxas -arch=sm_XX -v`` and reads, per kernel, the
  registers per thread, the stack frame, the spill stores and loads and the
  static shared memory;
* computes the occupancy of a launch (blocks and warps per SM) from those
  resources with the rules of CUDA's occupancy calculator
  (``cuda_occupancy.h``: registers allocated per warp in units of 256, per SM
  sub-partition; shared memory in units of 128 or 256 bytes plus the 1 KiB the
  driver reserves per block from sm_80 on; the per-SM limits of warps and
  blocks).

``python -m lifsim.engine.cuda.compile_check`` prints the table for every
architecture lifsim supports (sm_70 .. sm_90) and the node-size study that
chose :data:`lifsim.engine.cuda.source.NODE` (:func:`node_study`,
:func:`choose_node`); ``tests/test_cuda_compile.py`` asserts on both in CI.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .source import MAX_WHITE, NVRTC_OPTIONS, kernel_source

__all__ = [
    "ARCHS",
    "KERNELS",
    "Arch",
    "KernelResources",
    "Occupancy",
    "Build",
    "find_nvrtc",
    "find_ptxas",
    "unavailable",
    "nvrtc_compile",
    "assemble",
    "build",
    "occupancy",
    "launch_threads",
    "report",
    "NODES",
    "StudyRow",
    "node_study",
    "choose_node",
    "ARCH_NOTICE",
    "source_warnings",
]

#: the two kernels of lif_kernels.cu
KERNELS = ("lif_advance", "lif_merge_nodes")
#: the node sizes lif_advance may be built for (aligned nodes of the canonical tree)
NODES = (32, 64, 128, 256, 512, 1024)
#: what NVRTC 12.x says of every compute_70 build, whatever the source: a notice about the target,
#: not about lifsim's code (CUDA 13 drops sm_70; lifsim's ``gpu`` extra installs CuPy for CUDA 12)
ARCH_NOTICE = "nvrtc: warning: Architectures prior to '<compute/sm>_75' are deprecated"


@dataclass(frozen=True)
class Arch:
    """The per-SM and per-block limits of one GPU architecture (CUDA programming guide, table of
    compute capabilities; ``cuda_occupancy.h``).  Registers are 32-bit; memory in bytes."""

    name: str  #: "sm_90"
    gpus: str  #: examples, for the tables
    max_threads_per_sm: int
    max_blocks_per_sm: int
    shared_per_sm: int  #: the largest shared-memory carve-out of an SM
    shared_per_block_optin: int  #: the most one block may use (above 48 KiB only by opt-in)
    reserved_shared_per_block: int  #: what the driver reserves per block (sm_80 and later: 1 KiB)
    shared_granularity: int
    regs_per_sm: int = 65536
    regs_per_block: int = 65536
    max_regs_per_thread: int = 255
    reg_granularity: int = 256  #: registers are allocated per warp in units of this many
    sub_partitions: int = 4
    max_threads_per_block: int = 1024
    warp: int = 32

    @property
    def cc(self) -> int:
        """The compute capability as an integer (``sm_86`` -> 86)."""
        return int(self.name[3:])

    @property
    def max_warps_per_sm(self) -> int:
        return self.max_threads_per_sm // self.warp


KiB = 1024
#: the architectures lifsim supports, Volta to Hopper
ARCHS: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch("sm_70", "V100", 2048, 32, 96 * KiB, 96 * KiB, 0, 256),
        Arch("sm_75", "T4, RTX 20xx", 1024, 16, 64 * KiB, 64 * KiB, 0, 256),
        Arch("sm_80", "A100", 2048, 32, 164 * KiB, 163 * KiB, 1 * KiB, 128),
        Arch("sm_86", "A10, A40, RTX 30xx", 1536, 16, 100 * KiB, 99 * KiB, 1 * KiB, 128),
        Arch("sm_89", "L4, L40, RTX 40xx", 1536, 24, 100 * KiB, 99 * KiB, 1 * KiB, 128),
        Arch("sm_90", "H100, H200", 2048, 32, 228 * KiB, 227 * KiB, 1 * KiB, 128),
    )
}


@dataclass(frozen=True)
class KernelResources:
    """What ``ptxas -v`` reports for one kernel on one architecture (bytes, registers per thread)."""

    kernel: str
    arch: str
    registers: int
    stack_bytes: int
    spill_stores: int
    spill_loads: int
    shared_bytes: int
    max_threads: int | None = None  #: from ``__launch_bounds__`` (.maxntid in the PTX), if any

    @property
    def spills(self) -> int:
        return self.spill_stores + self.spill_loads


@dataclass(frozen=True)
class Occupancy:
    """A launch of ``threads`` threads per block on one SM of an architecture."""

    threads: int
    registers_per_block: int  #: as allocated (per warp, rounded up to the allocation unit)
    blocks_per_sm: int  #: 0: the launch fails ("too many resources requested for launch")
    warps_per_sm: int
    max_warps_per_sm: int
    limited_by: str  #: "registers", "warps", "blocks", "shared memory" (several joined by "+")

    @property
    def fraction(self) -> float:
        """Active warps over the SM's maximum (0 .. 1)."""
        return self.warps_per_sm / self.max_warps_per_sm

    @property
    def launches(self) -> bool:
        return self.blocks_per_sm > 0


@dataclass(frozen=True)
class Build:
    """One architecture's build of the kernel source."""

    arch: str
    ptx: str
    nvrtc_log: str
    ptxas_log: str
    kernels: dict[str, KernelResources]

    @property
    def warnings(self) -> list[str]:
        """NVRTC's diagnostics of the source: its log less the target notice (:data:`ARCH_NOTICE`)."""
        return source_warnings(self.nvrtc_log)


def source_warnings(log: str) -> list[str]:
    """The lines of an NVRTC log that concern the source (all but :data:`ARCH_NOTICE`)."""
    return [line for line in log.splitlines() if line.strip() and not line.startswith(ARCH_NOTICE)]


# ---------------------------------------------------------------- finding the tools


def _site_dirs() -> list[Path]:
    """Where the ``nvidia`` namespace package of the PyPI wheels may be installed."""
    found: list[Path] = []
    try:
        import nvidia  # type: ignore[import-not-found]

        found.extend(Path(p) for p in nvidia.__path__)
    except ImportError:
        pass
    for entry in sys.path:
        candidate = Path(entry) / "nvidia"
        if candidate.is_dir() and candidate not in found:
            found.append(candidate)
    return found


def find_nvrtc() -> Path | None:
    """``libnvrtc.so.12`` of the ``nvidia-cuda-nvrtc-cu12`` wheel (or ``$LIFSIM_NVRTC``), or None."""
    override = os.environ.get("LIFSIM_NVRTC")
    if override:
        return Path(override) if Path(override).is_file() else None
    for base in _site_dirs():
        for name in ("libnvrtc.so.12", "nvrtc64_120_0.dll"):
            for sub in ("lib", "bin"):
                path = base / "cuda_nvrtc" / sub / name
                if path.is_file():
                    return path
    return None


def find_ptxas() -> Path | None:
    """``ptxas`` of the ``nvidia-cuda-nvcc-cu12`` wheel (or ``$LIFSIM_PTXAS``), or None."""
    override = os.environ.get("LIFSIM_PTXAS")
    if override:
        return Path(override) if Path(override).is_file() else None
    for base in _site_dirs():
        for name in ("ptxas", "ptxas.exe"):
            path = base / "cuda_nvcc" / "bin" / name
            if path.is_file():
                return path
    return None


def unavailable() -> str | None:
    """Why the kernels cannot be compiled here (one line), or None when they can."""
    missing = []
    if find_nvrtc() is None:
        missing.append("libnvrtc.so.12 (pip install nvidia-cuda-nvrtc-cu12)")
    if find_ptxas() is None:
        missing.append("ptxas (pip install nvidia-cuda-nvcc-cu12)")
    if missing:
        return "not found: " + " and ".join(missing) + '; or pip install ".[cuda-check]" in the lifsim folder'
    return None


# ---------------------------------------------------------------- compiling


def _arch(arch: str | Arch) -> Arch:
    if isinstance(arch, Arch):
        return arch
    if arch not in ARCHS:
        raise ValueError(f"arch: expected one of {', '.join(ARCHS)}, got {arch!r}")
    return ARCHS[arch]


_NVRTC: ctypes.CDLL | None = None


def _nvrtc() -> ctypes.CDLL:
    global _NVRTC
    if _NVRTC is None:
        path = find_nvrtc()
        if path is None:
            raise RuntimeError(unavailable() or "libnvrtc.so.12 not found")
        lib = ctypes.CDLL(str(path))
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        lib.nvrtcGetErrorString.argtypes = [ctypes.c_int]
        _NVRTC = lib
    return _NVRTC


def nvrtc_version() -> tuple[int, int]:
    """NVRTC's (major, minor) version."""
    major, minor = ctypes.c_int(), ctypes.c_int()
    _nvrtc().nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return major.value, minor.value


def nvrtc_compile(source: str, arch: str | Arch, options: tuple[str, ...] = NVRTC_OPTIONS) -> tuple[str, str]:
    """Compile ``source`` with NVRTC for the virtual architecture of ``arch`` (``sm_90`` -> ``compute_90``).

    Returns ``(ptx, log)``.  Raises ``RuntimeError`` with the log when the compilation fails.
    """
    target = _arch(arch)
    lib = _nvrtc()

    def check(code: int, what: str) -> None:
        if code != 0:
            raise RuntimeError(f"{what}: {lib.nvrtcGetErrorString(code).decode()}")

    program = ctypes.c_void_p()
    check(
        lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), b"lif_kernels.cu", 0, None, None),
        "nvrtcCreateProgram",
    )
    try:
        flags = [*options, f"--gpu-architecture=compute_{target.cc}"]
        argv = (ctypes.c_char_p * len(flags))(*(flag.encode() for flag in flags))
        result = lib.nvrtcCompileProgram(program, len(flags), argv)
        size = ctypes.c_size_t()
        check(lib.nvrtcGetProgramLogSize(program, ctypes.byref(size)), "nvrtcGetProgramLogSize")
        buffer = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetProgramLog(program, buffer), "nvrtcGetProgramLog")
        log = buffer.value.decode(errors="replace").strip()
        if result != 0:
            raise RuntimeError(f"NVRTC failed for {target.name} ({lib.nvrtcGetErrorString(result).decode()}):\n{log}")
        check(lib.nvrtcGetPTXSize(program, ctypes.byref(size)), "nvrtcGetPTXSize")
        buffer = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetPTX(program, buffer), "nvrtcGetPTX")
        return buffer.value.decode(), log
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


_FUNCTION = re.compile(r"Function properties for (\S+)")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_ENTRY = re.compile(r"Compiling entry function '(\S+)' for '(\S+)'")
_USED = re.compile(r"Used (\d+) registers")
_SMEM = re.compile(r"(\d+) bytes smem")
_MAXNTID = re.compile(r"\.entry\s+(\w+)\s*\(.*?\)\s*((?:\.\w+[^{]*)?)\{", re.S)


def _launch_bounds(ptx: str) -> dict[str, int]:
    """``.maxntid`` of each entry in the PTX (the threads of ``__launch_bounds__``)."""
    bounds: dict[str, int] = {}
    for match in _MAXNTID.finditer(ptx):
        found = re.search(r"\.maxntid\s+(\d+)", match.group(2))
        if found:
            bounds[match.group(1)] = int(found.group(1))
    return bounds


def parse_ptxas(log: str, arch: str, ptx: str = "") -> dict[str, KernelResources]:
    """The resources of each entry function in ``ptxas -v`` output."""
    frames: dict[str, tuple[int, int, int]] = {}
    current = None
    for line in log.splitlines():
        found = _FUNCTION.search(line)
        if found:
            current = found.group(1)
            continue
        found = _FRAME.search(line)
        if found and current is not None:
            frames[current] = (int(found.group(1)), int(found.group(2)), int(found.group(3)))
            current = None
    bounds = _launch_bounds(ptx)
    kernels: dict[str, KernelResources] = {}
    entry = None
    for line in log.splitlines():
        found = _ENTRY.search(line)
        if found:
            entry = found.group(1)
            continue
        found = _USED.search(line)
        if found and entry is not None:
            smem = _SMEM.search(line)
            stack, stores, loads = frames.get(entry, (0, 0, 0))
            kernels[entry] = KernelResources(
                kernel=entry,
                arch=arch,
                registers=int(found.group(1)),
                stack_bytes=stack,
                spill_stores=stores,
                spill_loads=loads,
                shared_bytes=int(smem.group(1)) if smem else 0,
                max_threads=bounds.get(entry),
            )
            entry = None
    return kernels


def assemble(ptx: str, arch: str | Arch) -> tuple[dict[str, KernelResources], str]:
    """``ptxas -arch=sm_XX -v`` of ``ptx``: each kernel's resources, and ptxas's whole output."""
    target = _arch(arch)
    tool = find_ptxas()
    if tool is None:
        raise RuntimeError(unavailable() or "ptxas not found")
    with tempfile.TemporaryDirectory(prefix="lifsim-ptxas-") as folder:
        source = Path(folder) / "lif_kernels.ptx"
        source.write_text(ptx, encoding="utf-8")
        done = subprocess.run(
            [str(tool), f"-arch={target.name}", "-v", "-o", str(Path(folder) / "lif_kernels.cubin"), str(source)],
            capture_output=True,
            text=True,
        )
    log = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RuntimeError(f"ptxas failed for {target.name}:\n{log}")
    return parse_ptxas(log, target.name, ptx), log


def build(arch: str | Arch, max_white: int = MAX_WHITE, source: str | None = None) -> Build:
    """NVRTC then ptxas of the engine's kernel source (``kernel_source(max_white)``) for one architecture.

    Raises ``RuntimeError`` with the tool's log when either fails (cached per source and architecture).
    """
    target = _arch(arch)
    return _build(target.name, kernel_source(max_white) if source is None else source)


@functools.lru_cache(maxsize=128)
def _build(arch: str, text: str) -> Build:
    ptx, nvrtc_log = nvrtc_compile(text, arch)
    kernels, ptxas_log = assemble(ptx, arch)
    return Build(arch, ptx, nvrtc_log, ptxas_log, kernels)


# ---------------------------------------------------------------- occupancy


def _round_up(x: int, unit: int) -> int:
    return -(-x // unit) * unit


def occupancy(kernel: KernelResources, threads: int, arch: str | Arch | None = None) -> Occupancy:
    """Blocks and warps per SM of a launch of ``threads`` threads per block (cudaOccMaxActiveBlocksPerMultiprocessor
    with no dynamic shared memory and the default carve-out)."""
    target = _arch(arch if arch is not None else kernel.arch)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads: expected a positive int, got {threads!r}")
    warps = -(-threads // target.warp)
    regs_per_warp = _round_up(kernel.registers * target.warp, target.reg_granularity)
    regs_per_block = regs_per_warp * warps
    assumed = regs_per_warp * _round_up(warps, target.sub_partitions)  # the hardware's check
    if (
        threads > target.max_threads_per_block
        or (kernel.max_threads is not None and threads > kernel.max_threads)
        or assumed > target.regs_per_block
        or regs_per_block > target.regs_per_block
        or kernel.registers > target.max_regs_per_thread
    ):
        by_regs = 0
    elif regs_per_warp == 0:
        by_regs = 1 << 30
    else:
        per_partition = (target.regs_per_sm // target.sub_partitions) // regs_per_warp
        by_regs = per_partition * target.sub_partitions // warps
    by_warps = target.max_warps_per_sm // warps if threads <= target.max_threads_per_block else 0
    by_blocks = target.max_blocks_per_sm
    shared = _round_up(kernel.shared_bytes + target.reserved_shared_per_block, target.shared_granularity)
    if shared > target.shared_per_block_optin + target.reserved_shared_per_block:
        by_shared = 0
    else:
        by_shared = target.shared_per_sm // shared if shared else 1 << 30
    limits = {"registers": by_regs, "warps": by_warps, "blocks": by_blocks, "shared memory": by_shared}
    blocks = min(limits.values())
    return Occupancy(
        threads=threads,
        registers_per_block=regs_per_block,
        blocks_per_sm=blocks,
        warps_per_sm=blocks * warps,
        max_warps_per_sm=target.max_warps_per_sm,
        limited_by="+".join(name for name, value in limits.items() if value == blocks),
    )


def launch_threads() -> dict[str, int]:
    """The most threads per block the engine launches each kernel with (its node size, its merge block)."""
    from .engine import MERGE_THREADS, NODE

    return {"lif_advance": NODE, "lif_merge_nodes": MERGE_THREADS}


# ---------------------------------------------------------------- choosing the node size


@dataclass(frozen=True)
class StudyRow:
    """``lif_advance`` built for one node size, number of white terms and architecture."""

    node: int
    max_white: int
    arch: str
    kernel: KernelResources | None  #: None: ptxas refused it (shared memory over the 48 KiB of a block)
    occupancy: Occupancy | None
    error: str = ""

    @property
    def warps(self) -> int:
        """Warps per SM; 0 where it does not build, does not launch, or spills."""
        if self.kernel is None or self.occupancy is None or self.kernel.spills:
            return 0
        return self.occupancy.warps_per_sm


def node_study(
    archs: tuple[str, ...] = tuple(ARCHS), nodes: tuple[int, ...] = NODES, max_whites: tuple[int, ...] = (MAX_WHITE,)
) -> list[StudyRow]:
    """``lif_advance`` built for every node size, white-term count and architecture (threads: ``os.cpu_count()``)."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(node, white, arch) for node in nodes for white in max_whites for arch in archs]

    def one(job: tuple[int, int, str]) -> StudyRow:
        node, white, arch = job
        try:
            kernel = build(arch, white, kernel_source(white, node)).kernels["lif_advance"]
        except RuntimeError as error:
            first = next((line for line in str(error).splitlines() if "error" in line), str(error)[:200])
            return StudyRow(node, white, arch, None, None, first)
        return StudyRow(node, white, arch, kernel, occupancy(kernel, node, arch))

    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:  # ptxas runs as a process
        return list(pool.map(one, jobs))


def choose_node(rows: list[StudyRow]) -> int:
    """The node size of the study with the best occupancy: the most warps per SM (as a share of the SM's
    maximum; 0 where it does not build, does not launch or spills) in its worst case over the architectures
    and white-term counts, then on average; of equals, the largest node (fewer nodes to write out and merge
    each time point)."""
    shares: dict[int, list[float]] = {}
    for row in rows:
        shares.setdefault(row.node, []).append(row.warps / ARCHS[row.arch].max_warps_per_sm)
    if not shares:
        raise ValueError("rows: expected the rows of node_study(), got none")
    return max(shares, key=lambda node: (min(shares[node]), sum(shares[node]) / len(shares[node]), node))


def study_table(rows: list[StudyRow]) -> str:
    """The study as a Markdown table: warps per SM (registers) per node size and architecture."""
    archs = sorted({row.arch for row in rows}, key=lambda a: ARCHS[a].cc)
    whites = sorted({row.max_white for row in rows})
    lines = [
        "| node | white terms | " + " | ".join(archs) + " |",
        "|---|---|" + "---|" * len(archs),
    ]
    cells = {(row.node, row.max_white, row.arch): row for row in rows}
    for node in sorted({row.node for row in rows}):
        for white in whites:
            out = []
            for arch in archs:
                row = cells[(node, white, arch)]
                if row.kernel is None or row.occupancy is None:
                    out.append("does not build")
                else:
                    spill = f", {row.kernel.spills} B spilled" if row.kernel.spills else ""
                    out.append(
                        f"{row.occupancy.warps_per_sm}/{row.occupancy.max_warps_per_sm} warps "
                        f"({row.occupancy.blocks_per_sm} block{'' if row.occupancy.blocks_per_sm == 1 else 's'}, "
                        f"{row.kernel.registers} regs{spill})"
                    )
            lines.append(f"| {node} | {white} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def report(archs: tuple[str, ...] = tuple(ARCHS), max_white: int = MAX_WHITE) -> str:
    """A Markdown table of each kernel's resources and occupancy at the engine's launch size, per architecture."""
    threads = launch_threads()
    lines = [
        f"NVRTC {'.'.join(map(str, nvrtc_version()))}, options {' '.join(NVRTC_OPTIONS)}, max_white={max_white}",
        "",
        "| arch | kernel | registers | stack (B) | spills (B) | shared (B) | threads/block | blocks/SM "
        "| warps/SM | occupancy | limited by |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in archs:
        result = build(name, max_white)
        for kernel in KERNELS:
            k = result.kernels[kernel]
            occ = occupancy(k, threads[kernel], name)
            lines.append(
                f"| {name} | `{kernel}` | {k.registers} | {k.stack_bytes} | {k.spills} | {k.shared_bytes} "
                f"| {occ.threads} | {occ.blocks_per_sm} | {occ.warps_per_sm}/{occ.max_warps_per_sm} "
                f"| {occ.fraction:.0%} | {occ.limited_by if occ.launches else 'cannot launch'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m lifsim.engine.cuda.compile_check [sm_70 sm_80 ...]``: print the table (exit 2 if it cannot)."""
    names = tuple(argv if argv is not None else sys.argv[1:]) or tuple(ARCHS)
    why = unavailable()
    if why is not None:
        print(f"lifsim: error: cannot compile the CUDA kernels here: {why}", file=sys.stderr)
        return 2
    for name in names:
        if name not in ARCHS:
            print(f"lifsim: error: arch: expected one of {', '.join(ARCHS)}, got {name!r}", file=sys.stderr)
            return 2
    print(report(names))
    rows = node_study(names)
    node = launch_threads()["lif_advance"]
    print(f"\nlif_advance by node size ({MAX_WHITE} white terms: the most shared memory); the engine's NODE = {node}\n")
    print(study_table(rows))
    print(f"\nthe best occupancy (choose_node): node {choose_node(rows)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
