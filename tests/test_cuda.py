"""The GPU engine (``engine="cuda"``), checked with and without a GPU.

Without a GPU: the kernels' CPU twin (``cuda-twin``: the same C core and the
same kernel structure, compiled by the system C compiler) runs the GPU
engine's own host logic (chunks, spike buffers and their re-runs, compaction,
node merges) and must give the numpy reference's bits; the conformance,
contract and Dask suites run it as one more engine.  The CUDA source itself is
compiled here for syntax and types with the C++ compiler and a shim of the
CUDA built-ins.  With a GPU (CuPy and a device present), the ``gpu`` tests run
the real kernels against the reference; without one they are skipped, and
``engine="cuda"`` answers in one line.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli, run_script
from test_engine_conformance import SOURCES, assert_bitwise

import lifsim
from lifsim import inputs, portable
from lifsim.engine import ENGINES, choose_engine, installed
from lifsim.engine.cuda import engine as cuda_engine
from lifsim.engine.cuda import source
from lifsim.errors import MissingDependencyError

P = lifsim.LIFParams(t_max=0.05, dt=1e-4)
TWIN = "cuda-twin" in installed()
needs_twin = pytest.mark.skipif(not TWIN, reason="no C compiler for the CUDA kernels' CPU twin")
GPU_MISSING = cuda_engine.unavailable()


def gpu(test):
    """Marks a test that runs the real kernels (``pytest -m gpu``); skipped with the reason where it cannot."""
    skip = pytest.mark.skipif(GPU_MISSING is not None, reason=f"engine='cuda' cannot run here: {GPU_MISSING}")
    return pytest.mark.gpu(skip(test))


# ---------------------------------------------------------------- the source


def test_constants_are_the_portable_transform_bits():
    text = source.constants()
    values = {}
    for line in text.splitlines():
        _define, name, literal = line.split(" ", 2)
        literal = literal.strip("()")
        assert name.startswith("LIF_F_") == literal.endswith("f")  # the float32 constants are float literals
        values[name] = float.fromhex(literal.rstrip("f"))
    assert values["LIF_SQRT2"] == portable.SQRT2 and values["LIF_LN2_LO"] == portable.LN2_LO
    single = portable.F32
    assert [values["LIF_F_LN2_HI"], values["LIF_F_LN2_LO"], values["LIF_F_PIO2"]] == [
        single.LN2_HI,
        single.LN2_LO,
        single.PIO2,
    ]
    for letter, coefficients in (("L", single.LOG), ("S", single.SIN), ("C", single.COS)):
        assert [np.float32(values[f"LIF_F_{letter}{i}"]) for i in range(4)] == list(coefficients)
    assert [values[f"LIF_L{i}"] for i in range(len(portable.LOG_COEFFICIENTS))] == list(portable.LOG_COEFFICIENTS)
    assert [values[f"LIF_S{i}"] for i in range(len(portable.SIN_COEFFICIENTS))] == list(portable.SIN_COEFFICIENTS)
    assert [values[f"LIF_C{i}"] for i in range(len(portable.COS_COEFFICIENTS))] == list(portable.COS_COEFFICIENTS)


def test_the_kernels_are_compiled_without_contraction():
    assert "--fmad=false" in source.NVRTC_OPTIONS
    assert "-ffp-contract=off" in source.C_FLAGS
    text = source.kernel_source(2)
    assert "#define LIF_MAX_WHITE 2" in text and "lif_advance" in text and "lif_merge_nodes" in text
    assert "#include" not in text  # NVRTC gets one self-contained source
    with pytest.raises(ValueError, match="max_white"):
        source.kernel_source(source.MAX_WHITE + 1)


CUDA_SHIM = r"""
#include <math.h>
#include <string.h>
struct lif_dim3 { unsigned int x, y, z; };
static lif_dim3 threadIdx, blockIdx, blockDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
static double __shfl_down_sync(unsigned, double x, int) { return x; }
static double __shfl_sync(unsigned, double x, int) { return x; }
static unsigned __ballot_sync(unsigned, int p) { return p; }
static int __popc(unsigned x) { return __builtin_popcount(x); }
static void __syncthreads() {}
static void __syncwarp() {}
static long long __double_as_longlong(double x) { long long i; memcpy(&i, &x, sizeof i); return i; }
static double __longlong_as_double(long long i) { double x; memcpy(&x, &i, sizeof x); return x; }
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler to check the CUDA source's syntax")
def test_the_cuda_source_compiles_as_cpp_with_a_shim(tmp_path):
    """Syntax and types of the exact text NVRTC gets (the warp built-ins stubbed: this checks no arithmetic)."""
    path = tmp_path / "kernels.cpp"
    path.write_text(CUDA_SHIM + source.kernel_source(), encoding="utf-8")
    done = subprocess.run(
        ["g++", "-std=c++17", "-D__CUDACC__", "-fsyntax-only", "-Wall", "-Werror", "-Wno-unused-function", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[:2000]


# ---------------------------------------------------------------- choosing the engine


def test_auto_never_picks_the_gpu_or_the_twin():
    assert choose_engine("auto", "counter") not in ("cuda", "cuda-twin")
    assert not ENGINES["cuda"].auto and not ENGINES["cuda-twin"].auto
    assert "cuda-twin" not in installed(listed_only=True)


@pytest.mark.skipif("cuda" in installed(), reason="a GPU is present")
def test_no_gpu_is_one_line(capsys):
    with pytest.raises(
        (ValueError, MissingDependencyError), match=r"engine: 'cuda' (needs cupy|cannot run here)"
    ) as caught:
        lifsim.simulate(P, n=10, engine="cuda")
    assert "\n" not in str(caught.value) and ('".[gpu]"' in str(caught.value) or "device" in str(caught.value))
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--t-max", "10ms", "--engine", "cuda"])
    assert rc == 2 and err.startswith("lifsim: error: --engine: 'cuda'") and err.count("\n") == 1


NO_CUPY = importlib.util.find_spec("cupy") is None


@pytest.mark.skipif(not NO_CUPY, reason="CuPy is installed")
def test_no_cupy_is_a_missing_dependency():
    """Without CuPy, engine='cuda' is a missing extra (MissingDependencyError, an ImportError, naming the
    extra), as a missing format or explore()'s package is; the command says it in one line, exit status 2."""
    with pytest.raises(MissingDependencyError, match=r"engine: 'cuda' needs cupy.*pip install \"\.\[gpu\]\"") as caught:
        lifsim.simulate(P, n=2, engine="cuda")
    assert caught.value.package == "cupy" and caught.value.extra == "gpu"
    done = run_script(["simulate", "--n", "2", "--t-max", "10ms", "--engine", "cuda"])
    assert_one_line_error(done.returncode, done.stderr, "--engine: 'cuda' needs cupy", '".[gpu]"')


def test_device_applies_to_the_gpu_only(capsys):
    with pytest.raises(ValueError, match="device: applies to the cuda engine"):
        lifsim.simulate(P, n=10, engine="numpy", device=0)
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "10", "--t-max", "10ms", "--device", "1"])
    assert rc == 2 and "--device" in err and err.count("\n") == 1


# ---------------------------------------------------------------- the GPU engine's logic on the CPU twin


@needs_twin
@pytest.mark.parametrize("n", [1, 31, 33, 1000, 2048, 5000])
def test_twin_gives_the_reference_bits_on_every_node_shape(n):
    """Partial warps, partial nodes, several nodes per block (blocks of 2048, nodes of ``engine.NODE``)."""
    kwargs = dict(n=n, seed=3, record_v=sorted({0, n - 1}), lags=(2,), snapshots=("20 ms",))
    ref = lifsim.simulate(P, inputs.white_noise("4 mV", 150e-12), engine="numpy", **kwargs)
    twin = lifsim.simulate(P, inputs.white_noise("4 mV", 150e-12), engine="cuda-twin", **kwargs)
    assert_bitwise(ref, twin, f"n={n}")


@needs_twin
@pytest.mark.parametrize("node", [32, 64, 256, 1024])
def test_twin_gives_the_reference_bits_for_every_node_size(node, monkeypatch):
    """A node (a thread block) may be any power of two from 32 to 1024: the groups merged in the node and the
    nodes merged level by level make the same canonical tree (issue 20 chose NODE from occupancy)."""
    monkeypatch.setattr(cuda_engine, "NODE", node)
    kwargs = dict(n=2500, seed=6, record_v=[0, 1500, 2499], lags=(1, 3), snapshots=("20 ms",))
    ref = lifsim.simulate(P, SOURCES["two whites"](), engine="numpy", **kwargs)
    twin = lifsim.simulate(P, SOURCES["two whites"](), engine="cuda-twin", **kwargs)
    assert_bitwise(ref, twin, f"node {node}")


@needs_twin
def test_twin_reruns_a_chunk_whose_spikes_overflow_the_buffer():
    """A rate far above the buffer's 100 Hz guess: every chunk overflows once and is run again from its state."""
    fast = P.replace(i_mean="2 nA")  # about 1 kHz
    kwargs = dict(n=500, seed=1, chunk_steps=100)
    ref = lifsim.simulate(fast, inputs.uniform_noise("2 nA", 1.0), engine="numpy", **kwargs)
    twin = lifsim.simulate(fast, inputs.uniform_noise("2 nA", 1.0), engine="cuda-twin", **kwargs)
    assert ref.total_spikes > 500 * 0.05 * 300  # far above the 100 Hz the buffer is sized for
    assert_bitwise(ref, twin)


@needs_twin
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_twin_chunks_do_not_change_any_bit(chunk):
    kwargs = dict(n=700, seed=8, record_v="0:5", lags=(1, 3), method="exact")
    ref = lifsim.simulate(P, SOURCES["uniform+white+step"](), engine="numpy", **kwargs)
    twin = lifsim.simulate(P, SOURCES["uniform+white+step"](), engine="cuda-twin", chunk_steps=chunk, **kwargs)
    assert_bitwise(ref, twin, f"chunk {chunk}")


@needs_twin
def test_too_many_white_terms_are_refused_before_running():
    many = inputs.white_noise("1 mV")
    for _ in range(source.MAX_WHITE):
        many = many + inputs.white_noise("1 mV")
    with pytest.raises(ValueError, match=f"at most {source.MAX_WHITE} white-noise terms"):
        lifsim.simulate(P, many, n=10, engine="cuda-twin")


# ---------------------------------------------------------------- on a GPU


@gpu
@pytest.mark.parametrize("name", list(SOURCES))
@pytest.mark.parametrize("method", ["euler", "exact"])
def test_gpu_gives_the_reference_bits(name, method):
    kwargs = dict(n=3000, seed=4, method=method, record_v="0:40", lags=(1, 7), snapshots=("10 ms",))
    ref = lifsim.simulate(P, SOURCES[name](), engine="numpy", **kwargs)
    run = lifsim.simulate(P, SOURCES[name](), engine="cuda", **kwargs)
    assert_bitwise(ref, run, f"cuda {name} {method}")
    assert run.meta["engine"] == "cuda" and run.meta["device"]


@gpu
def test_gpu_refractoriness_and_large_n():
    params = P.replace(t_ref="2 ms", t_ref_std="1 ms")
    kwargs = dict(n=200_000, seed=9, record_v="0:10", chunk_steps=37)
    ref = lifsim.simulate(params, inputs.white_noise("4 mV", 150e-12), engine="numba", **kwargs)
    run = lifsim.simulate(params, inputs.white_noise("4 mV", 150e-12), engine="cuda", **kwargs)
    assert_bitwise(ref, run)
    assert np.isfinite(run.v_mean).all()


@needs_twin
def test_device_check_script_runs_on_the_twin(tmp_path):
    """benchmarks/bench_gpu.py end to end on the CPU twin; its GPU and peer rows are skipped with the reason."""
    import json
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"
    out = tmp_path / "gpu.json"
    done = subprocess.run(
        [sys.executable, str(script), "--engine", "cuda-twin", "--sizes", "2000", "--steps", "50", "--repeats", "1",
         "--skip-tests", "--peers-up-to", "0", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    works = {row["work"] for row in report["rows"] if row["row"] == "lifsim engine=cuda-twin"}
    assert works == {"W1", "W2"}
    assert all(row["ns_per_neuron_step"] > 0 for row in report["rows"])
    if GPU_MISSING is not None:
        assert any(line.startswith("generator W1") for line in report["skipped"])
    assert "ns/neuron-step" in done.stdout


def test_a_gpu_run_is_made_again_where_there_is_no_gpu(tmp_path):
    """rerun replays a run whose engine cannot run here on the best engine that can: the same bits."""
    run = lifsim.simulate(P, inputs.white_noise("4 mV", 150e-12), n=200, seed=5, record_v="0:3")
    run.meta["engine"] = run.meta["run"]["engine"] = "cuda"  # as a GPU run records itself
    path = tmp_path / "gpu_run.npz"
    run.save(path)
    again = lifsim.rerun(str(path))
    assert_bitwise(run, again)
