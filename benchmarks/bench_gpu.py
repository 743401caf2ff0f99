"""The GPU device check: the GPU tests, then W1 and W2 on ``engine="cuda"`` beside JAX and PyTorch loops.

One command for a machine with an NVIDIA GPU, run from a source checkout
(nothing to install beyond CuPy; JAX and PyTorch rows are skipped where they
are missing)::

    python benchmarks/bench_gpu.py                    # tests, then N = 1e6, 1e7, 1e8 (about 3 minutes on an H100)
    python benchmarks/bench_gpu.py --skip-tests --sizes 1e6
    python benchmarks/bench_gpu.py --engine cuda-twin --sizes 1e4 --steps 200 --skip-tests   # the script on a CPU

Workloads (as ``benchmarks/bench_lif.py``): W1, the tutorial's parameters,
dt 0.1 ms, ``--steps`` steps (default 10,000: 1 s), uniform noise
``I = I_mean (1 + 1.2247 xi)``, threshold and reset, the per-step population
mean and the spike counts; W2, 60 pA plus white noise of sigma 5 mV.
Rows, all in the same run on the same GPU:

* lifsim ``engine="cuda"``: the median of ``--repeats`` runs after a warm-up
  run; the first call's extra time (NVRTC compile or the disk cache) is
  reported as "first call";
* the generator alone: the same counter-stream numbers (one uniform, or one
  normal, per neuron-step) drawn by a kernel that does nothing else: the floor;
* JAX ``lax.fori_loop`` (float32, ``jax.random`` per step) and PyTorch step
  loops (float64 and float32), the same model and statistics.

Prints a table and writes JSON (``--json``, default ``benchmarks/results_gpu.json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))  # runnable from a source checkout
sys.path.insert(0, str(HERE))
from _machine import machine  # noqa: E402

TAU, EL, VR, VTH, R, I_MEAN, DT = 20e-3, -60e-3, -70e-3, -50e-3, 100e6, 250e-12, 1e-4
W1_AMPLITUDE = 1.2247
W2_MEAN, W2_SIGMA = 60e-12, 5e-3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7,1e8", help="neuron counts, comma-separated")
    parser.add_argument("--steps", type=int, default=10_000, help="time points (default 10,000 = 1 s)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs after the warm-up (median)")
    parser.add_argument("--engine", default="cuda", choices=("cuda", "cuda-twin"), help="lifsim engine")
    parser.add_argument("--peers-up-to", type=float, default=1e7, help="largest N for the JAX and PyTorch rows")
    parser.add_argument("--skip-tests", action="store_true", help="skip the GPU test subset")
    parser.add_argument("--json", default=str(HERE / "results_gpu.json"), help="where to write the results")
    args = parser.parse_args(argv)
    args.sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    return args


# ---------------------------------------------------------------- rows


def lifsim_row(work: str, n: int, steps: int, repeats: int, engine: str) -> dict:
    import lifsim
    from lifsim import inputs

    p = lifsim.LIFParams(t_max=steps * DT, dt=DT)
    src = (
        inputs.uniform_noise(p.i_mean, W1_AMPLITUDE)
        if work == "W1"
        else (inputs.constant(W2_MEAN) + inputs.white_noise(sigma=W2_SIGMA))
    )
    kw = dict(n=n, seed=1, engine=engine, record_spikes=False, progress=False)
    start = time.perf_counter()
    run = lifsim.simulate(p, src, **kw)
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run = lifsim.simulate(p, src, **kw)
        times.append(time.perf_counter() - start)
    best = statistics.median(times) if times else first
    return {
        "row": f"lifsim engine={engine}",
        "work": work,
        "n": n,
        "seconds": best,
        "ns_per_neuron_step": best / (n * steps) * 1e9,
        "first_call_extra_s": first - best,
        "rate_hz": run.rate,
        "device": run.meta.get("device"),
    }


GENERATOR = r"""
extern "C" __global__ void draw_all(lif_u64 key, lif_i64 n, lif_i64 steps, int normal, double *out) {
    /* normal: 0 uniforms, else the stream version of the normals (3 or 2) */
    const lif_i64 j = (lif_i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= n) return;
    double acc = 0.0, spare = 0.0;
    for (lif_i64 kk = 0; kk < steps - 1; kk++)
        acc += normal ? lif_normal(key, j, kk, &spare, normal) : lif_uniform(key, j, kk);
    out[j] = acc;
}
"""


def generator_row(work: str, n: int, steps: int) -> dict:
    import cupy
    import numpy as np

    from lifsim.engine.cuda.source import NVRTC_OPTIONS, _read, constants

    code = "#define LIF_FN __device__ __forceinline__\n" + constants() + _read("lif_core.h") + GENERATOR
    kernel = cupy.RawModule(code=code, options=NVRTC_OPTIONS).get_function("draw_all")
    out = cupy.empty(n)
    from lifsim.streams import STREAM_VERSION

    args = (np.uint64(12345), np.int64(n), np.int64(steps), np.int32(STREAM_VERSION if work == "W2" else 0), out)
    kernel(((n + 255) // 256,), (256,), args)
    cupy.cuda.Device().synchronize()
    start = time.perf_counter()
    kernel(((n + 255) // 256,), (256,), args)
    cupy.cuda.Device().synchronize()
    seconds = time.perf_counter() - start
    return {"row": "generator alone (CuPy kernel)", "work": work, "n": n, "seconds": seconds,
            "ns_per_neuron_step": seconds / (n * steps) * 1e9}  # fmt: skip


def jax_row(work: str, n: int, steps: int) -> dict:
    import jax
    import jax.numpy as jnp

    a = DT / TAU

    @jax.jit
    def run(key):
        def body(k, state):
            v, count, mean_sum, key = state
            key, sub = jax.random.split(key)
            if work == "W1":
                xi = jax.random.uniform(sub, (n,), jnp.float32, -1.0, 1.0)
                current = I_MEAN * (1.0 + W1_AMPLITUDE * xi)
                v = v + a * (EL - v + R * current)
            else:
                z = jax.random.normal(sub, (n,), jnp.float32)
                v = v + a * (EL - v + R * W2_MEAN) + W2_SIGMA * jnp.sqrt(2.0 * a) * z
            fired = v > VTH
            v = jnp.where(fired, VR, v)
            return v, count + fired.astype(jnp.int32), mean_sum + v.mean(), key

        state = (jnp.full(n, EL, jnp.float32), jnp.zeros(n, jnp.int32), jnp.float32(0), key)
        return jax.lax.fori_loop(0, steps - 1, body, state)

    key = jax.random.PRNGKey(1)
    jax.block_until_ready(run(key))
    start = time.perf_counter()
    jax.block_until_ready(run(key))
    seconds = time.perf_counter() - start
    return {"row": "JAX lax.fori_loop, float32", "work": work, "n": n, "seconds": seconds,
            "ns_per_neuron_step": seconds / (n * steps) * 1e9}  # fmt: skip


def torch_row(work: str, n: int, steps: int, dtype_name: str) -> dict:
    import torch

    dtype = getattr(torch, dtype_name)
    device = torch.device("cuda")
    a = DT / TAU

    def run() -> None:
        v = torch.full((n,), EL, dtype=dtype, device=device)
        count = torch.zeros(n, dtype=torch.int32, device=device)
        means = torch.empty(steps, dtype=dtype, device=device)
        for k in range(steps - 1):
            if work == "W1":
                xi = torch.rand(n, dtype=dtype, device=device) * 2 - 1
                v = v + a * (EL - v + R * I_MEAN * (1 + W1_AMPLITUDE * xi))
            else:
                z = torch.randn(n, dtype=dtype, device=device)
                v = v + a * (EL - v + R * W2_MEAN) + W2_SIGMA * (2 * a) ** 0.5 * z
            fired = v > VTH
            v = torch.where(fired, torch.full_like(v, VR), v)
            count += fired
            means[k] = v.mean()
        torch.cuda.synchronize()

    run()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    return {"row": f"PyTorch step loop, {dtype_name}", "work": work, "n": n, "seconds": seconds,
            "ns_per_neuron_step": seconds / (n * steps) * 1e9}  # fmt: skip


def attempt(rows: list[dict], skipped: list[str], what: str, make, *args) -> None:  # type: ignore[no-untyped-def]
    """Add the row ``make(*args)``; a missing peer package or device becomes a skipped row that says why."""
    try:
        row = make(*args)
    except Exception as error:  # noqa: BLE001
        line = str(error).splitlines()[0][:160] if str(error) else ""
        skipped.append(f"{what}: {type(error).__name__}: {line}")
        print(f"  skipped {what}: {type(error).__name__}: {line}", flush=True)
        return
    rows.append(row)
    print(f"  {row['work']} N={row['n']:.0e} {row['row']}: {row['ns_per_neuron_step']:.4g} ns", flush=True)


def print_table(report: dict) -> None:
    rows = report["rows"]
    print(f"\n{report['machine']}; GPU: {report['gpu']}; {report['steps']} steps")
    print(f"{'work':<5} {'N':>6} {'row':<36} {'ns/neuron-step':>15} {'x lifsim':>9} {'first call':>11}")
    for row in rows:
        ours = [r for r in rows if r["row"].startswith("lifsim") and (r["work"], r["n"]) == (row["work"], row["n"])]
        ratio = f"{row['ns_per_neuron_step'] / ours[0]['ns_per_neuron_step']:.2f}" if ours else "-"
        first = f"{row['first_call_extra_s']:.2f} s" if "first_call_extra_s" in row else ""
        cells = f"{row['work']:<5} {row['n']:>6.0e} {row['row']:<36} {row['ns_per_neuron_step']:>15.4g}"
        print(f"{cells} {ratio:>9} {first:>11}")
    for line in report["skipped"]:
        print(f"skipped: {line}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict = {"machine": machine(), "steps": args.steps, "rows": [], "skipped": []}
    if not args.skip_tests:
        started = time.perf_counter()
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_cuda.py"),
             str(ROOT / "tests" / "test_engine_conformance.py"), "-k", "cuda or gpu"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        tail = (tests.stdout + tests.stderr).strip().splitlines()[-1:] or ["(no output)"]
        report["tests"] = {"status": tests.returncode, "summary": tail[0], "seconds": time.perf_counter() - started}
        print(f"GPU tests: {tail[0]} (status {tests.returncode})", flush=True)
        if tests.returncode != 0:
            print((tests.stdout + tests.stderr)[-6000:])
    try:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        report["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
    except Exception as error:  # noqa: BLE001
        report["gpu"] = f"none ({type(error).__name__})"
    rows, skipped = report["rows"], report["skipped"]
    for n in args.sizes:
        for work in ("W1", "W2"):
            attempt(rows, skipped, f"lifsim {work} N={n}", lifsim_row, work, n, args.steps, args.repeats, args.engine)
            attempt(rows, skipped, f"generator {work} N={n}", generator_row, work, n, args.steps)
            if n <= args.peers_up_to:
                attempt(rows, skipped, f"JAX {work} N={n}", jax_row, work, n, args.steps)
                for dtype in ("float64", "float32"):
                    attempt(rows, skipped, f"PyTorch {dtype} {work} N={n}", torch_row, work, n, args.steps, dtype)
    print_table(report)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0 if report.get("tests", {}).get("status", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
