"""The GPU kernels as NVRTC and ptxas really build them, checked without a GPU (issue 20).

The exact source the engine hands to NVRTC (``kernel_source()``, with the
engine's ``NVRTC_OPTIONS``) is compiled for sm_70, sm_80 and sm_90 and
assembled with ``ptxas -v``; both kernels must compile without a diagnostic,
contain no fused multiply-add, keep everything in registers (no spills, no
stack frame), and fit the launch the engine makes: the node size
(``engine.NODE``) times the registers per thread within the 65,536 registers
of a block, on an SM, and the shared memory within its limits.  The node size
itself must be the one with the best measured occupancy.

Needs ``pip install nvidia-cuda-nvrtc-cu12 nvidia-cuda-nvcc-cu12`` (the
``cuda-check`` extra); without them the compiling tests are skipped, saying
so.  The occupancy rules and the ptxas parser are checked everywhere.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lifsim.engine.cuda import compile_check as cc
from lifsim.engine.cuda import engine as cuda_engine
from lifsim.engine.cuda import source

MISSING = cc.unavailable()
needs_tools = pytest.mark.skipif(MISSING is not None, reason=f"cannot compile the CUDA kernels here: {MISSING}")
CHECKED = ("sm_70", "sm_80", "sm_90")
WHITES = (1, source.MAX_WHITE)


# ---------------------------------------------------------------- the rules (no tools needed)


def resources(registers: int, shared: int = 0, arch: str = "sm_90", bound: int | None = None) -> cc.KernelResources:
    return cc.KernelResources("k", arch, registers, 0, 0, 0, shared, bound)


@pytest.mark.parametrize(
    ("registers", "shared", "threads", "arch", "blocks", "warps"),
    [
        (80, 1152, 1024, "sm_90", 0, 0),  # the kernel before issue 20: 81,920 registers for a block of 1,024
        (68, 1152, 1024, "sm_80", 0, 0),  # 69,632
        (64, 1152, 1024, "sm_90", 1, 32),
        (64, 8848, 128, "sm_90", 8, 32),
        (64, 8848, 128, "sm_75", 7, 28),  # Turing: 64 KiB of shared memory per SM
        (32, 0, 256, "sm_80", 8, 64),  # full occupancy
        (255, 0, 128, "sm_90", 2, 8),
        (40, 0, 32, "sm_86", 16, 16),  # the block limit of sm_86
    ],
)
def test_occupancy_follows_the_cuda_calculator(registers, shared, threads, arch, blocks, warps):
    occ = cc.occupancy(resources(registers, shared, arch), threads, arch)
    assert (occ.blocks_per_sm, occ.warps_per_sm) == (blocks, warps)
    assert occ.launches == (blocks > 0)


def test_a_block_above_the_launch_bound_does_not_launch():
    assert cc.occupancy(resources(32, bound=128), 128).launches
    assert not cc.occupancy(resources(32, bound=128), 256).launches


def test_bad_arguments_are_refused_in_one_line():
    with pytest.raises(ValueError, match=r"arch: expected one of sm_70, .*, got 'sm_99'"):
        cc.occupancy(resources(32), 128, "sm_99")
    with pytest.raises(ValueError, match="threads: expected a positive int, got 0"):
        cc.occupancy(resources(32), 0)
    with pytest.raises(ValueError, match="node: expected a power of two from 32 to 1024, got 96"):
        source.kernel_source(1, 96)
    with pytest.raises(ValueError, match="node: expected a power of two from 32 to 1024, got 2048"):
        source.kernel_source(1, 2048)
    with pytest.raises(ValueError, match="rows: expected the rows of node_study"):
        cc.choose_node([])


PTXAS_LOG = """\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'lif_merge_nodes' for 'sm_90'
ptxas info    : Function properties for lif_merge_nodes
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 56 registers, used 0 barriers
ptxas info    : Compiling entry function 'lif_advance' for 'sm_90'
ptxas info    : Function properties for lif_advance
    128 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 80 registers, used 1 barriers, 128 bytes cumulative stack size, 1152 bytes smem
"""


def test_ptxas_output_is_read_per_kernel():
    ptx = ".visible .entry lif_advance(\n .param .u64 a\n)\n.maxntid 128, 1, 1\n.minnctapersm 8\n{\n}\n"
    kernels = cc.parse_ptxas(PTXAS_LOG, "sm_90", ptx)
    advance, merge = kernels["lif_advance"], kernels["lif_merge_nodes"]
    assert (advance.registers, advance.stack_bytes, advance.spill_stores, advance.spill_loads) == (80, 128, 4, 12)
    assert advance.shared_bytes == 1152 and advance.spills == 16 and advance.max_threads == 128
    assert (merge.registers, merge.stack_bytes, merge.spills, merge.shared_bytes) == (56, 0, 0, 0)
    assert merge.max_threads is None


def test_the_target_notice_is_not_a_source_warning():
    notice = cc.ARCH_NOTICE + " and may be removed in a future release"
    assert cc.source_warnings(notice) == []
    assert cc.source_warnings(notice + '\nlif_kernels.cu(3): warning #177-D: variable "x" was declared') != []


def test_the_check_command_refuses_an_unknown_architecture():
    done = subprocess.run(
        [sys.executable, "-m", "lifsim.engine.cuda.compile_check", "sm_99"], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("lifsim: error: ")
    assert "sm_99" in done.stderr or "cannot compile" in done.stderr


# ---------------------------------------------------------------- the kernels as built (NVRTC and ptxas)


@needs_tools
@pytest.mark.parametrize("white", WHITES)
@pytest.mark.parametrize("arch", CHECKED)
def test_nvrtc_compiles_the_source_without_a_diagnostic(arch, white):
    built = cc.build(arch, white)
    assert built.warnings == [], built.nvrtc_log
    if arch != "sm_70":  # NVRTC 12 notes on every compute_70 build that the target is deprecated
        assert built.nvrtc_log == ""
    assert set(cc.KERNELS) <= set(built.kernels)


@needs_tools
@pytest.mark.parametrize("arch", CHECKED)
def test_no_multiply_add_is_fused(arch):
    ptx = cc.build(arch).ptx
    assert "fma." not in ptx
    assert not re.search(r"\bmad\.\S*f(32|64)\b", ptx)  # a floating multiply-add spelled mad


@needs_tools
@pytest.mark.parametrize("white", WHITES)
@pytest.mark.parametrize("kernel", cc.KERNELS)
@pytest.mark.parametrize("arch", CHECKED)
def test_nothing_spills_and_nothing_lives_on_the_stack(arch, kernel, white):
    k = cc.build(arch, white).kernels[kernel]
    assert (k.spill_stores, k.spill_loads) == (0, 0), k
    assert k.stack_bytes == 0, k  # a per-thread array indexed at run time would live in local memory


@needs_tools
@pytest.mark.parametrize("white", WHITES)
@pytest.mark.parametrize("kernel", cc.KERNELS)
@pytest.mark.parametrize("arch", CHECKED)
def test_the_engines_launch_fits_the_register_file(arch, kernel, white):
    """Registers x threads per block within the 65,536 of a block (sm_70 .. sm_90), and a block fits an SM."""
    target = cc.ARCHS[arch]
    k = cc.build(arch, white).kernels[kernel]
    threads = cc.launch_threads()[kernel]
    assert threads == (cuda_engine.NODE if kernel == "lif_advance" else cuda_engine.MERGE_THREADS)
    assert k.registers * threads <= target.regs_per_block, (k.registers, threads)
    occ = cc.occupancy(k, threads, arch)
    assert occ.registers_per_block <= target.regs_per_block and occ.blocks_per_sm >= 1, occ
    if kernel == "lif_advance":
        # a node is any power of two from 32 to NODE (smaller plans): every one of them launches too
        assert k.max_threads == cuda_engine.NODE  # __launch_bounds__
        for node in (n for n in cc.NODES if n <= cuda_engine.NODE):
            assert cc.occupancy(k, node, arch).launches, node


@needs_tools
@pytest.mark.parametrize("white", WHITES)
@pytest.mark.parametrize("kernel", cc.KERNELS)
@pytest.mark.parametrize("arch", CHECKED)
def test_shared_memory_is_within_the_limits(arch, kernel, white):
    target = cc.ARCHS[arch]
    k = cc.build(arch, white).kernels[kernel]
    assert k.shared_bytes <= 48 * 1024  # static shared memory of one block
    assert k.shared_bytes + target.reserved_shared_per_block <= target.shared_per_sm
    occ = cc.occupancy(k, cc.launch_threads()[kernel], arch)
    assert "shared memory" not in occ.limited_by or occ.blocks_per_sm >= 1


@needs_tools
def test_the_report_states_the_occupancy_of_the_launch():
    text = cc.report(("sm_90",))
    assert "| sm_90 | `lif_advance` | " in text and "| sm_90 | `lif_merge_nodes` | " in text
    assert "cannot launch" not in text and f"| {cuda_engine.NODE} |" in text


@needs_tools
@pytest.mark.slow
def test_the_node_size_is_the_one_with_the_best_occupancy():
    """lif_advance built for every node size on every architecture from sm_70 to sm_90 (with the most white
    terms: the most shared memory): the engine's NODE is the study's choice, and it builds and launches
    everywhere without spilling."""
    rows = cc.node_study()
    assert cc.choose_node(rows) == cuda_engine.NODE == source.NODE, cc.study_table(rows)
    mine = [row for row in rows if row.node == cuda_engine.NODE]
    assert len(mine) == len(cc.ARCHS) and all(row.warps > 0 for row in mine)


@needs_tools
def test_the_benchmarks_generator_kernel_compiles():
    """benchmarks/bench_gpu.py times the core's draws alone in a kernel of its own: it builds on the same core."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    code = "#define LIF_FN __device__ __forceinline__\n" + source.constants() + source._read("lif_core.h")
    ptx, log = cc.nvrtc_compile(code + bench.GENERATOR, "sm_90")
    assert log == "" and ".entry draw_all" in ptx and "fma." not in ptx
