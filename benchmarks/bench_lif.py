"""Benchmarks W1 and W2: lifsim's engines against Brian2 and NEST on the same LIF workloads.

Workload W1 (issue 4): the tutorial's parameters, dt 0.1 ms, 10,000 steps (1 s),
uniform noise ``I = I_mean (1 + 1.2247 xi)``, ``xi ~ U(-1, 1)`` drawn per neuron
per step, threshold and reset, recording the per-step population mean and the
spike count.  W1s is the same run that also records every spike time and index
(lifsim's default).

Workload W2 (issue 10): W1's grid and parameters with ``I_mean`` 60 pA and
Gaussian white noise of ``sigma`` 5 mV instead of the uniform noise, Euler-
Maruyama, threshold and reset; in Brian2
``dv/dt = (EL - v + R*I_mean)/tau + sigma*xi*tau**-0.5``.  Both give about 9.9 Hz.

Each lifsim measurement runs in a fresh subprocess so its peak RSS is its own
(one warm-up run, which also compiles: its extra time is reported as the
start-up time, then one timed run); lifsim's, the generators' and Brian2's rows
of one workload and size take turns, ``--repeats`` rounds of them, and a row's
time is the median of its rounds, so that a machine whose speed drifts favours
no row.  The goals' ratios pair the rows round by round: each is the median
over the rounds of the ratio of two rows' times in the same round (taken a
minute or less apart), with the rounds' lowest and highest beside it.
Brian2's time is its compiled binary's run time only: its project is built in
the first round (the C++ build is its start-up time) and its binary runs once
in each round.  The "generator alone" rows draw the same
count of numbers as the workload (one per neuron-step) in the engine's blocks
and do nothing else: the floor for a simulation that draws them.

Usage::

    python benchmarks/bench_lif.py                   # lifsim engines, W1 and W2, N = 1e3 .. 1e6
    python benchmarks/bench_lif.py --brian2 /path/to/venv/bin/python --nest /path/to/venv/bin/python
    python benchmarks/bench_lif.py --quick           # N = 1e3, 1e4 only
    python benchmarks/bench_lif.py --workloads W2 --sizes 1e5,1e6

Brian2 and NEST live in their own virtual environments (Brian2 2.9 needs
numpy < 2.4): pass their interpreters with ``--brian2`` and ``--nest`` (NEST
runs W1 only).  Results: a table on stdout and JSON in ``--json`` (default
``benchmarks/results_lif.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import machine  # noqa: E402

# --------------------------------------------------------------------------- children
# Each child prints one JSON line: {"times": [...], "first": s, "rss_mb": ..., "rate_hz": ...}

LIFSIM_CHILD = r"""
import json, resource, statistics, sys, time
t_start = time.perf_counter()
import numpy as np
import lifsim
from lifsim import inputs
n, engine, threads = int(sys.argv[1]), sys.argv[2], sys.argv[3]
repeats, record_spikes, t_max, work = int(sys.argv[4]), sys.argv[5] == "1", float(sys.argv[6]), sys.argv[7]
p = lifsim.LIFParams(t_max=t_max, dt=1e-4)
if work == "W2":
    src = inputs.constant("60 pA") + inputs.white_noise("5 mV")
else:
    src = inputs.uniform_noise(p.i_mean, 1.2247)
kw = dict(n=n, seed=1, engine=engine, record_spikes=record_spikes, progress=False)
if engine == "numba":
    kw["threads"] = int(threads)
times = []
r = None
for rep in range(repeats + 1):
    r = None  # the previous run's result (and its spike list) is freed first: the peak RSS is one run's
    t0 = time.perf_counter()
    r = lifsim.simulate(p, src, **kw)
    times.append(time.perf_counter() - t0)
    if rep == 0:
        first = time.perf_counter() - t_start
print(json.dumps({"times": times[1:], "first": first, "warm": times[0], "spikes": r.total_spikes,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rate_hz": r.rate}))
"""

GENERATOR_CHILD = r"""
import json, resource, sys, time
import numpy as np
from lifsim.engine.numba_random import _GAMMA, _STRIDE, _angle_f32, _mix  # first: numba's settings
from lifsim.engine.numba_random import _radius_from, _radius_reduce
from numba import njit, prange, set_num_threads
n, threads, repeats, t_max, kind = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
steps = int(round(t_max / 1e-4))
set_num_threads(threads)
STRIDE32 = np.uint64((0x9E3779B97F4A7C15 << 37) & 0xFFFFFFFFFFFFFFFF)
HIGH53 = np.uint64(0xFFFFFFFFFFFFF800)

# The same count of numbers as the workload (one per neuron-step), in the engine's blocks of 2048
# neurons and its lane order (64 groups of 32; the counter an induction), both halves of each
# Box-Muller pair used (stream version 3: one draw a pair, in the W2 kernel's three passes), summed per
# neuron so nothing is optimised away.

@njit(parallel=True, error_model="numpy")
def uniforms(n, steps, key, out):
    blocks = (n + 2047) // 2048
    for b in prange(blocks):
        j0 = b * 2048
        acc = np.zeros(2048)
        for k in range(steps - 1):
            z0 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(k + 1)) * _GAMMA
            for i in range(32):
                counter = z0 + np.uint64(i) * _STRIDE
                for q in range(64):
                    z = _mix(counter)
                    counter += STRIDE32
                    acc[i * 64 + q] += float(z & HIGH53) * 2.0**-63  # 2 U: the draw as a uniform double
        out[b] = acc.sum()

@njit(parallel=True, error_model="numpy")
def normals(n, steps, key, out):
    blocks = (n + 2047) // 2048
    for b in prange(blocks):
        j0 = b * 2048
        acc = np.zeros(2048)
        raw = np.empty(64, np.uint64)
        rad = np.empty(64, np.float32)
        k32 = np.empty(64, np.float32)
        for pair in range(steps // 2):
            z1 = key + ((np.uint64(j0) << np.uint64(32)) + np.uint64(pair + 1)) * _GAMMA
            for i in range(32):
                c1 = z1 + np.uint64(i) * _STRIDE
                for q in range(64):  # the kernel's four passes: draws, radii's reductions, radii, angles and normals
                    raw[q] = _mix(c1)
                    c1 += STRIDE32
                for q in range(64):
                    rad[q], k32[q] = _radius_reduce(raw[q])
                for q in range(64):
                    rad[q] = _radius_from(rad[q], k32[q])
                for q in range(64):
                    c, s = _angle_f32(raw[q])
                    acc[i * 64 + q] += float(rad[q] * c) + float(rad[q] * s)
        out[b] = acc.sum()

kernel = normals if kind == "normal" else uniforms
out = np.zeros((n + 2047) // 2048)
times = []
for rep in range(repeats + 1):
    t0 = time.perf_counter()
    kernel(n, steps, np.uint64(12345), out)
    times.append(time.perf_counter() - t0)
print(json.dumps({"times": times[1:], "first": times[0], "warm": times[0],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rate_hz": float("nan")}))
"""

TUTORIAL_STYLE_CHILD = r"""
import json, resource, sys, time
import numpy as np
n, repeats, t_max = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
dt, tau, el, vr, vth, r, i_mean = 1e-4, 20e-3, -60e-3, -70e-3, -50e-3, 100e6, 25e-11
steps = int(round(t_max / dt))
times = []
for rep in range(repeats + 1):
    t0 = time.perf_counter()
    np.random.seed(1)
    i = i_mean * (1 + 1.2247 * (2 * np.random.random([n, steps]) - 1))   # the tutorial's ex. 13-14 style
    v_n = el * np.ones([n, steps])
    spikes = 0
    for step in range(1, steps):
        v = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
        fired = v > vth
        spikes += int(fired.sum())
        v[fired] = vr
        v_n[:, step] = v
    v_mean = np.mean(v_n, axis=0)
    times.append(time.perf_counter() - t0)
    del i, v_n
print(json.dumps({"times": times[1:], "first": times[0], "warm": times[0],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rate_hz": spikes / (n * (steps - 1) * dt)}))
"""

BRIAN2_CHILD = r"""
import json, os, resource, subprocess, sys, time
t_start = time.perf_counter()
n, threads, runs, t_max, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
directory = sys.argv[6]  # the row's project directory: built in the first round, its binary run again after
built = os.path.join(directory, "lifsim_bench.json")
times = []
if os.path.exists(built):  # a later round: the compiled binary alone, as cpp_standalone runs it
    saved = json.load(open(built))
    binary = "main.exe" if os.name == "nt" else "main"
    for rep in range(runs):
        t0 = time.perf_counter()
        subprocess.run([os.path.join(".", binary)], cwd=directory, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times, "first": saved["first"], "compile_s": saved["compile_s"],
                      "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "rate_hz": saved["rate_hz"]}))
    raise SystemExit(0)
import brian2 as b2
b2.set_device("cpp_standalone", build_on_run=False)
b2.prefs.devices.cpp_standalone.openmp_threads = threads
b2.defaultclock.dt = 0.1 * b2.ms
tau, el, vr, vth = 20 * b2.ms, -60 * b2.mV, -70 * b2.mV, -50 * b2.mV
R = 100 * b2.Mohm
if work == "W2":
    I_mean, sigma = 60 * b2.pA, 5 * b2.mV
    eqs = "dv/dt = (el - v + R * I_mean) / tau + sigma * xi * tau ** -0.5 : volt"
else:
    I_mean, A = 250 * b2.pA, 1.2247
    eqs = ("dv/dt = (el - v + R * I) / tau : volt\n"
           "I = I_mean * (1 + A * (2 * rand() - 1)) : amp (constant over dt)")
group = b2.NeuronGroup(n, eqs, threshold="v > vth", reset="v = vr", method="euler")
group.v = el
rate = b2.PopulationRateMonitor(group)
b2.run(t_max * b2.second)
t0 = time.perf_counter()
b2.device.build(directory=directory, run=False, compile=True)
compiled = time.perf_counter()
b2.device.run()
t1 = time.perf_counter()
times.append(t1 - compiled)  # the binary's run time only (the C++ build is reported as start-up)
for rep in range(runs - 1):
    t0 = time.perf_counter()
    b2.device.run()
    times.append(time.perf_counter() - t0)
spikes = float(sum(rate.rate[:] * b2.defaultclock.dt * n))
result = {"first": t1 - t_start, "compile_s": compiled - t0, "rate_hz": spikes / (n * t_max)}
json.dump(result, open(built, "w"))
print(json.dumps(dict(result, times=times, rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)))
"""

NEST_CHILD = r"""
import json, resource, sys, time
t_start = time.perf_counter()
n, threads, repeats, t_max = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
import nest
nest.set_verbosity("M_ERROR")
times = []
first = None
for rep in range(repeats + 1):
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads, "rng_seed": 1})
    # iaf_psc_delta: C_m = tau / R = 200 pF; exact integration of the membrane
    neurons = nest.Create("iaf_psc_delta", n, params={"C_m": 200.0, "tau_m": 20.0, "E_L": -60.0,
                          "V_reset": -70.0, "V_th": -50.0, "V_m": -60.0, "t_ref": 0.0, "I_e": 0.0})
    # noise_generator: Gaussian current, new value every 0.1 ms, mean 250 pA,
    # std = 1.2247 * 250 / sqrt(3) pA (the uniform noise's std)
    noise = nest.Create("noise_generator", params={"mean": 250.0, "std": 1.2247 * 250.0 / 3 ** 0.5, "dt": 0.1})
    nest.Connect(noise, neurons)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    t0 = time.perf_counter()
    nest.Simulate(t_max * 1000.0)
    t1 = time.perf_counter()
    if rep == 0:
        first = t1 - t_start
    else:
        times.append(t1 - t0)
    spikes = recorder.get("n_events")
print(json.dumps({"times": times, "first": first,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rate_hz": spikes / (n * t_max)}))
"""


def run_child(python: str, code: str, args: list[str], timeout: float, extra_env: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(extra_env or {})
    proc = subprocess.run(
        [python, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


WORKLOADS = {
    "W1": "uniform noise I = 250 pA (1 + 1.2247 xi), xi ~ U(-1, 1)",
    "W2": "I_mean 60 pA + Gaussian white noise sigma 5 mV (Euler-Maruyama)",
}
LIFSIM_BEST = "lifsim numba, 2 thread(s)"


Measurement = tuple[str, str, int, str, list]


def build_plan(args: argparse.Namespace, sizes: list[int], workloads: list[str]) -> list[Measurement]:
    """Every measurement of the run: (label, workload, N, child code, child arguments)."""
    plan: list[tuple[str, str, int, str, list]] = []
    for work in workloads:
        generator = "normal" if work == "W2" else "uniform"
        for n in sizes:
            for threads in (1, 2):
                plan.append(
                    (
                        f"lifsim numba, {threads} thread(s)",
                        work,
                        n,
                        LIFSIM_CHILD,
                        [n, "numba", threads, args.repeats, 0, args.t_max, work],
                    )
                )
            if work == "W1":
                for threads in (1, 2):
                    plan.append(
                        (
                            f"lifsim numba, {threads} thread(s)",
                            "W1s",
                            n,
                            LIFSIM_CHILD,
                            [n, "numba", threads, args.repeats, 1, args.t_max, work],
                        )
                    )
            if n >= 100_000:
                for threads in (1, 2):
                    plan.append(
                        (
                            f"{generator} generator alone, {threads} thread(s)",
                            work,
                            n,
                            GENERATOR_CHILD,
                            [n, threads, args.repeats, args.t_max, generator],
                        )
                    )
            if n <= args.numpy_max_n:
                plan.append(("lifsim numpy engine", work, n, LIFSIM_CHILD, [n, "numpy", 1, 1, 0, args.t_max, work]))
            if work == "W1" and n == int(args.tutorial_n):
                plan.append(
                    ("numpy, tutorial style ([n, steps] arrays)", work, n, TUTORIAL_STYLE_CHILD, [n, 1, args.t_max])
                )
            if args.brian2 and n <= args.peer_max_n:
                for threads in (1, 2):
                    plan.append(
                        (
                            f"Brian2 cpp_standalone, {threads} thread(s)",
                            work,
                            n,
                            BRIAN2_CHILD,
                            [n, threads, args.repeats, args.t_max, work, _project(args, work, n, threads)],
                        )
                    )
            if args.nest and work == "W1" and n <= args.peer_max_n:
                for threads in (1, 2):
                    plan.append(
                        (f"NEST iaf_psc_delta, {threads} thread(s)", work, n, NEST_CHILD, [n, threads, 1, args.t_max])
                    )
    return plan


def _project(args: argparse.Namespace, work: str, n: int, threads: int) -> str:
    """The directory of one Brian2 row's standalone project (under ``args.peer_dir``, made by ``main``)."""
    return str(Path(args.peer_dir) / f"brian2-{work}-{n}-{threads}")


#: the children measured in interleaved rounds, and where each takes its count of timed runs
REPEATS_ARGUMENT = {LIFSIM_CHILD: 3, GENERATOR_CHILD: 2, BRIAN2_CHILD: 2}


def round_group(work: str, n: int) -> tuple[str, int]:
    """The rows measured in the same rounds: a workload's and size's, W1s's with W1's (the goal W1s / W1 pairs
    them)."""
    return ("W1" if work == "W1s" else work), n


def round_order(label: str, work: str) -> int:
    """A row's place in its group's round (the table keeps the plan's order): the rows of a goal's ratio one
    after the other where they can be (generator 2 threads, lifsim 2 threads, W1s 2 threads, W1s 1 thread, then
    lifsim 1 thread: four of the five ratios of adjacent rows, seconds apart on a host whose speed drifts within
    minutes), the generators' 1-thread rows first, Brian2's and the numpy engine's last."""
    threads = 2 if "2 thread" in label else 1
    if "generator" in label:
        return threads - 1  # 0, 1
    if label.startswith("lifsim numba"):
        if work == "W1s":
            return 3 if threads == 2 else 4
        return 2 if threads == 2 else 5
    return 6


def _run_one(code: str, child_args: list, args: argparse.Namespace) -> dict:
    python = sys.executable
    if code is BRIAN2_CHILD:
        python = args.brian2
    elif code is NEST_CHILD:
        python = args.nest
    try:
        return run_child(python, code, child_args, args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:.0f} s"}


def _merged(results: list[dict]) -> dict:
    """One row's rounds as one result: every timed run, the first round's start-up, the largest peak memory."""
    failed = [r for r in results if "error" in r]
    if failed:
        return failed[0]
    merged = dict(results[0])
    merged["times"] = [seconds for r in results for seconds in r["times"]]
    merged["rss_mb"] = max(r["rss_mb"] for r in results)
    if all(len(r["times"]) == 1 for r in results):
        merged["rounds"] = len(results)  # times[r] is round r's: rows of one group pair up round by round
    return merged


def measure(plan: list[Measurement], args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Run the plan; yield (label, work, N, result, wall seconds) per row, in the plan's order.

    lifsim's, the generators' and Brian2's rows of one workload and size (W1s's with W1's) are measured in
    interleaved rounds, in :func:`round_order`: each round runs every one of them once (lifsim and the generators:
    a fresh process, one warm-up run, one timed run; Brian2: its project built in the first round, its binary run
    once in each), and a row's figure is the median over the rounds, so that a machine whose speed drifts (a shared
    host) biases no row against another in the ratios.  NEST's rows run once, with their own repeats, in between.
    """
    groups: dict[tuple[str, int], list[int]] = {}
    for index, (_label, work, n, code, _child_args) in enumerate(plan):
        if code in REPEATS_ARGUMENT:
            groups.setdefault(round_group(work, n), []).append(index)
    done: dict[int, tuple[dict, float]] = {}
    for index, (label, work, n, code, child_args) in enumerate(plan):
        if code not in REPEATS_ARGUMENT:
            started = time.perf_counter()
            done[index] = (_run_one(code, child_args, args), time.perf_counter() - started)
        elif index not in done:  # the first row of its group: the whole group, round by round
            members = sorted(groups[round_group(work, n)], key=lambda m: (round_order(plan[m][0], plan[m][1]), m))
            rounds: dict[int, list[dict]] = {member: [] for member in members}
            walls = dict.fromkeys(members, 0.0)
            for _round in range(args.repeats):
                for member in members:
                    member_code, member_args = plan[member][3], list(plan[member][4])
                    member_args[REPEATS_ARGUMENT[member_code]] = 1
                    started = time.perf_counter()
                    rounds[member].append(_run_one(member_code, member_args, args))
                    walls[member] += time.perf_counter() - started
            for member in members:
                done[member] = (_merged(rounds[member]), walls[member])
        result, wall = done.pop(index)
        yield label, work, n, result, wall


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM's handler: leave through an exception, so that the running child is killed on the way out."""
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="W1,W2", help="which workloads (default W1,W2)")
    parser.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="neuron counts (default 1e3,1e4,1e5,1e6)")
    parser.add_argument("--quick", action="store_true", help="N = 1e3, 1e4 only")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per point (median; default 3)")
    parser.add_argument("--t-max", type=float, default=1.0, help="simulated time in s (default 1 = 10,000 steps)")
    parser.add_argument("--numpy-max-n", type=float, default=1e5, help="largest N for the numpy engine")
    parser.add_argument("--tutorial-n", type=float, default=1e4, help="N for the tutorial-style numpy loop")
    parser.add_argument("--peer-max-n", type=float, default=1e6, help="largest N for Brian2 and NEST")
    parser.add_argument("--brian2", metavar="PYTHON", help="interpreter with brian2 installed")
    parser.add_argument("--nest", metavar="PYTHON", help="interpreter with NEST (pynest) installed")
    parser.add_argument("--json", default=str(HERE / "results_lif.json"), help="where to write the results")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per measurement")
    parser.add_argument("--from-json", metavar="PATH", help="only print the markdown table of an earlier run")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        print(markdown_table(saved["machine"], saved["steps"], saved["startup"], saved["rows"]))
        return 0
    sizes = [1000, 10_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"--workloads: unknown {', '.join(unknown)}; accepted: {', '.join(WORKLOADS)}")
    steps = int(round(args.t_max / 1e-4))
    import shutil
    import signal
    import tempfile

    # SIGTERM (`kill`, a CI timeout) leaves as Ctrl-C does: subprocess.run then kills the running measurement before
    # this process ends (with the default handler a child went on computing, and skewed whatever was timed next)
    signal.signal(signal.SIGTERM, _terminate)

    args.peer_dir = tempfile.mkdtemp(prefix="lifsim-bench-brian2-")  # the Brian2 rows' projects, removed at the end
    try:
        return _run(args, sizes, workloads, steps)
    finally:
        shutil.rmtree(args.peer_dir, ignore_errors=True)


def _run(args: argparse.Namespace, sizes: list[int], workloads: list[str], steps: int) -> int:
    """The benchmark itself (``main`` parsed the arguments)."""
    plan = build_plan(args, sizes, workloads)

    rows = []
    print(f"benchmark on {machine()}; {steps} steps of 0.1 ms", flush=True)
    # start-up: compile the kernels into an empty cache, then load them from it; import time alone
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        child = [1000, "numba", 2, 1, 0, args.t_max, workloads[0]]
        cold = run_child(sys.executable, LIFSIM_CHILD, child, args.timeout, {"NUMBA_CACHE_DIR": cache})
        warm = run_child(sys.executable, LIFSIM_CHILD, child, args.timeout, {"NUMBA_CACHE_DIR": cache})
    imports = []
    for _ in range(5):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import time; t = time.perf_counter(); import lifsim; "
                "print(time.perf_counter() - t, 'numba' in __import__('sys').modules)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        imports.append(float(out[0]))
        numba_imported = out[1] == "True"
    cli_started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lifsim", "simulate", "--n", "1000", "--quiet"], check=True)
    cli_s = time.perf_counter() - cli_started
    startup = {
        "first_run_cold_cache_s": cold.get("first"),
        "first_run_warm_cache_s": warm.get("first"),
        "cli_simulate_n1000_s": cli_s,
        "import_lifsim_s": statistics.median(imports),
        "import_lifsim_imports_numba": numba_imported,
    }
    print(
        f"start-up: first run with a cold JIT cache {cold.get('first', float('nan')):.2f} s (compiling), "
        f"with a warm cache {warm.get('first', float('nan')):.2f} s; "
        f"whole-process 'lifsim simulate --n 1000' {cli_s:.2f} s; 'import lifsim' "
        f"{startup['import_lifsim_s'] * 1000:.0f} ms (numba imported: {numba_imported})",
        flush=True,
    )
    header = (
        f"{'engine':<44} {'work':<4} {'N':>9} {'ns/neuron-step':>15} {'peak RSS MB':>12} "
        f"{'start-up s':>10} {'rate Hz':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, work, n, result, wall in measure(plan, args):
        row = {
            "engine": label,
            "workload": work,
            "n": n,
            "steps": steps,
            **result,
            "wall_s": wall,
        }
        if "times" in result and result["times"]:
            median = statistics.median(result["times"])
            row["seconds"] = median
            row["ns_per_neuron_step"] = median / (n * steps) * 1e9
            # process start, imports and (cold cache) compilation before the first result
            row["startup_s"] = max(0.0, result.get("compile_s", result.get("first", median) - median))
            print(
                f"{label:<44} {work:<4} {n:>9} {row['ns_per_neuron_step']:>15.3f} {result['rss_mb']:>12.0f} "
                f"{row['startup_s']:>10.2f} {result['rate_hz']:>8.2f}",
                flush=True,
            )
        else:
            print(f"{label:<44} {work:<4} {n:>9} {'--':>15}  {result.get('error', 'no result')}", flush=True)
        rows.append(row)
    Path(args.json).write_text(
        json.dumps({"machine": machine(), "steps": steps, "startup": startup, "rows": rows}, indent=1)
    )
    print(f"\nwrote {args.json}")
    print()
    print(markdown_table(machine(), steps, startup, rows))
    return 0


def _ns(rows: list[dict], engine_prefix: str, work: str, n: int) -> float:
    """The fastest ns/neuron-step among rows whose engine label starts with ``engine_prefix`` (nan: none)."""
    return float(_fastest(rows, engine_prefix, work, n).get("ns_per_neuron_step", float("nan")))


def _row(rows: list[dict], engine: str, work: str, n: int) -> dict:
    found = [r for r in rows if r["engine"] == engine and r["workload"] == work and r["n"] == n]
    return found[0] if found and "ns_per_neuron_step" in found[0] else {}


def _fastest(rows: list[dict], engine_prefix: str, work: str, n: int) -> dict:
    """The row with the fewest ns/neuron-step among those whose engine label starts with ``engine_prefix``."""
    found = [
        row
        for row in rows
        if row["engine"].startswith(engine_prefix)
        and row["workload"] == work
        and row["n"] == n
        and "ns_per_neuron_step" in row
    ]
    return min(found, key=lambda row: row["ns_per_neuron_step"]) if found else {}


def paired_ratio(top: dict, bottom: dict) -> tuple[float, float, float]:
    """The ratio of two rows' times as (median, lowest, highest) over the rounds they ran in together.

    Rows of one workload and size run in interleaved rounds (:func:`measure`), one timed run each per round,
    so ``times[r]`` of both rows come from round ``r``, taken a minute or less apart: the ratio within a round
    is free of the host's drift between rounds (a shared host's speed changes by up to 1.5x within minutes).
    Rows without a time per round (NEST, a failed round, a results file from before the rounds were kept) give
    the ratio of their medians and no range (nan).
    """
    if not top or not bottom:
        return float("nan"), float("nan"), float("nan")
    a, b = top.get("times", []), bottom.get("times", [])
    scale = top["n"] * top["steps"] / (bottom["n"] * bottom["steps"])  # seconds to ns/neuron-step, both rows
    if len(a) == len(b) and len(a) > 0 and top.get("rounds") == bottom.get("rounds") == len(a):
        ratios = sorted(x / y / scale for x, y in zip(a, b))
        return statistics.median(ratios), ratios[0], ratios[-1]
    return top["ns_per_neuron_step"] / bottom["ns_per_neuron_step"], float("nan"), float("nan")


def targets(rows: list[dict]) -> list[str]:
    """Issue 17's goals, as ratios measured in this run (N >= 1e5), each with its verdict: the median over the
    rounds of the ratio within a round (:func:`paired_ratio`), and the rounds' lowest and highest."""
    lines = [
        "| N | goal | measured: median of the rounds' ratios | the rounds' lowest - highest | met |",
        "|---:|---|---:|---:|:---:|",
    ]

    def add(n: int, goal: str, ratio: tuple[float, float, float], ok: bool) -> None:
        value, low, high = ratio
        spread = f"{low:.2f} - {high:.2f}" if low == low else "-"
        if value == value:  # a goal whose rows this run did not measure is left out
            lines.append(f"| {n:,} | {goal} | {value:.2f} | {spread} | {'yes' if ok else 'NO'} |")

    for n in sorted({row["n"] for row in rows if row["n"] >= 100_000}):
        w1, w2 = _row(rows, LIFSIM_BEST, "W1", n), _row(rows, LIFSIM_BEST, "W2", n)
        w1s = _row(rows, LIFSIM_BEST, "W1s", n)
        b1, b2 = _fastest(rows, "Brian2", "W1", n), _fastest(rows, "Brian2", "W2", n)
        g1 = _row(rows, "uniform generator alone, 2 thread(s)", "W1", n)
        g2 = _row(rows, "normal generator alone, 2 thread(s)", "W2", n)
        for work, peer, lifsim_row in (("W1", b1, w1), ("W2", b2, w2)):
            if peer:
                ratio = paired_ratio(peer, lifsim_row)
                add(n, f"{work}: Brian2 best / lifsim >= 8", ratio, ratio[0] >= 8)
        ratio = paired_ratio(w1, g1)
        add(n, "W1 / uniform generator alone <= 2", ratio, ratio[0] <= 2)
        ratio = paired_ratio(w2, g2)
        add(n, "W2 / normal generator alone <= 1.5", ratio, ratio[0] <= 1.5)
        ratio = paired_ratio(w1s, w1)
        add(n, "W1s / W1 <= 1.5", ratio, ratio[0] <= 1.5)
        for work in ("W1", "W1s", "W2"):
            one = _row(rows, "lifsim numba, 1 thread(s)", work, n)
            two = _row(rows, "lifsim numba, 2 thread(s)", work, n)
            ratio = paired_ratio(one, two)
            add(n, f"{work}: 2 threads / 1 thread speed-up >= 1.8", ratio, ratio[0] >= 1.8)
        spiking, quiet = w1s, w1
        if spiking and quiet and spiking.get("spikes"):
            own = 16 * spiking["spikes"] / 2**20  # (float64 time, int64 neuron)
            extra = spiking["rss_mb"] - quiet["rss_mb"]
            ratio = (extra / own, float("nan"), float("nan"))  # the largest of the rounds' peaks: no range
            add(n, f"W1s peak RSS over W1's / the spikes' own {own:.0f} MB <= 1.5", ratio, extra <= 1.5 * own)
    return lines


def markdown_table(machine_name: str, steps: int, startup: dict, rows: list[dict]) -> str:
    """The results as a markdown table, with ratios to lifsim numba on 2 threads at the same workload and N."""
    lines = [
        f"On {machine_name}, {steps} steps of 0.1 ms; ns per neuron-step (median), "
        "and how many times slower than lifsim numba on 2 threads at the same workload and N.",
        "",
    ]
    for work, text in WORKLOADS.items():
        if any(row["workload"] == work for row in rows):
            lines.append(f"- {work}: {text}")
    lines += [
        "",
        "| engine | work | N | ns / neuron-step | x lifsim (2 threads) | peak RSS (MB) | start-up (s) | rate (Hz) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "ns_per_neuron_step" not in row:
            lines.append(
                f"| {row['engine']} | {row['workload']} | {row['n']:,} | - | - | - | - | {row.get('error', '')} |"
            )
            continue
        base = _ns(
            rows, LIFSIM_BEST, row["workload"].rstrip("s") if row["workload"] == "W1s" else row["workload"], row["n"]
        )
        ratio = row["ns_per_neuron_step"] / base
        lines.append(
            f"| {row['engine']} | {row['workload']} | {row['n']:,} | {row['ns_per_neuron_step']:.3g} | "
            f"{ratio:.3g} | {row['rss_mb']:.0f} | {row['startup_s']:.2f} | {row['rate_hz']:.2f} |"
        )
    lines += ["", "Targets (ratios from this run; lifsim on 2 threads, Brian2 at its faster thread setting):", ""]
    lines += targets(rows)
    lines.append("")
    lines.append(
        f"Start-up: first run with a cold JIT cache {startup['first_run_cold_cache_s']:.2f} s (compiling), "
        f"with a warm cache {startup['first_run_warm_cache_s']:.2f} s; whole-process "
        f"`lifsim simulate --n 1000` {startup['cli_simulate_n1000_s']:.2f} s; `import lifsim` "
        f"{startup.get('import_lifsim_s', float('nan')) * 1000:.0f} ms "
        f"(imports numba: {startup.get('import_lifsim_imports_numba')})."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
