"""Benchmark N1 (issue 18): Brunel's network, lifsim against NEST 3.10, build and simulate timed apart.

The model: Brunel (2000) model A, Fig. 8 defaults (N_E 10,000, N_I 2,500, C_E 1,000, C_I 250,
J 0.1 mV, D 1.5 ms, tau 20 ms, V_th 20 mV, V_r 10 mV, t_ref 2 ms, dt 0.1 ms), 1.2 s simulated,
uniform initial V in [0, 20 mV), fixed in-degree with self and repeated connections, a Poisson
drive of C_E nu_ext per neuron.  NEST: ``iaf_psc_delta``, ``fixed_indegree``, one
``poisson_generator`` (rate C_E nu_ext, an independent train per target), ``spike_recorder`` on
the first 2,000 excitatory neurons.  Statistics as lifsim's (:mod:`lifsim.network.analysis`): the
last 1 s, 2,000 excitatory neurons; synchrony = Fano factor of their count in 1 ms bins.

Phases as NEST reports them: *build* (NEST: Create + Connect; lifsim: connectivity, state and
loading the compiled kernel) and *simulate* (NEST: ``nest.Simulate``; lifsim: first step to
last).  *process* is the whole command's wall time, interpreter start included (lifsim: the
``lifsim network`` command; NEST: its script).  *peak* is the process's peak RSS.  Each
measurement is its own process; ``--repeats`` takes the fastest of several.

Usage::

    python benchmarks/bench_network.py --nest /work/nestvenv/bin/python              # AI and SR
    python benchmarks/bench_network.py --states AI,SR,SIfast,SIslow --threads 1,2 --repeats 2

Brian2 2.9 ``cpp_standalone`` (``--brian2``, its own venv: ``pip install brian2 "numpy<2.4"``):
``v`` with ``(unless refractory)`` and the exact integrator, threshold ``v >= V_th``, connectivity
drawn by numpy (fixed in-degree, with self and repeated connections) and passed as index arrays,
``on_pre = 'v_post += w*int(not_refractory_post)'`` (input during refractoriness dropped, as NEST
and lifsim do), one ``PoissonInput`` of C_E sources per neuron with the same rule.  Its *simulate*
is the binary's own run time (``device._last_run_time``); its *build* is the rest of the script
(code generation, the C++ compile, the binary's set-up), so it includes a compile that NEST and
lifsim do not have; *process* is the whole script.

NEST lives in its own virtual environment (``pip install nest-simulator "numpy<2.4"``); without
``--nest`` or ``--brian2`` (or when they do not import) those simulators are not run.
Results: a table on stdout, JSON in ``--json`` (default ``benchmarks/results_network.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

STATES = {"AI": (5.0, 2.0), "SR": (3.0, 2.0), "SIfast": (6.0, 4.0), "SIslow": (4.5, 0.9)}

#: the statistics both peers' scripts print (as lifsim's: the last 1 s, the first 2,000 excitatory neurons, their
#: ISI CVs, the Fano factor of their count in 1 ms bins), run in the peer's own interpreter
PEER_STATISTICS = r"""
def statistics(t, s, n_exc, t_max_ms):
    start = t_max_ms - 1000.0 if t_max_ms > 1000.0 else t_max_ms / 2
    keep = t > start
    t, s = t[keep], s[keep]
    rate = keep.sum() / min(2000, n_exc) / ((t_max_ms - start) / 1000.0)
    cvs = []
    order = np.lexsort((t, s))
    t, s = t[order], s[order]
    for lo, hi in zip(np.r_[0, np.flatnonzero(np.diff(s)) + 1], np.r_[np.flatnonzero(np.diff(s)) + 1, s.size]):
        isi = np.diff(t[lo:hi])
        if isi.size >= 2:
            cvs.append(isi.std() / isi.mean())
    counts = np.histogram(t, bins=np.arange(start, t_max_ms + 1e-9, 1.0))[0]
    return {"rate": float(rate), "cv": float(np.mean(cvs)) if cvs else float("nan"),
            "synchrony": float(counts.var() / counts.mean()) if counts.mean() > 0 else float("nan")}
"""

NEST_SCRIPT = r"""
import json, sys, time
import numpy as np
g, eta, threads = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
n_exc, t_max_ms = int(sys.argv[4]), float(sys.argv[5])
import nest
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
t0 = time.perf_counter()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads, "rng_seed": 1, "print_time": False})
n_inh = n_exc // 4
c_e, c_i = int(0.1 * n_exc), int(0.1 * n_inh)
j, d, tau, theta = 0.1, 1.5, 20.0, 20.0
nu_th = theta / (j * c_e * tau)
p_rate = 1000.0 * eta * nu_th * c_e
params = {"C_m": 1.0, "tau_m": tau, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_th": theta, "V_m": 0.0}
nodes_e = nest.Create("iaf_psc_delta", n_exc, params=params)
nodes_i = nest.Create("iaf_psc_delta", n_inh, params=params)
for nodes in (nodes_e, nodes_i):
    nodes.V_m = nest.random.uniform(0.0, theta)
noise = nest.Create("poisson_generator", params={"rate": p_rate})
rec = nest.Create("spike_recorder")
nest.CopyModel("static_synapse", "exc", {"weight": j, "delay": d})
nest.CopyModel("static_synapse", "inh", {"weight": -g * j, "delay": d})
nest.Connect(noise, nodes_e + nodes_i, syn_spec="exc")
nest.Connect(nodes_e[:min(2000, n_exc)], rec)
nest.Connect(nodes_e, nodes_e + nodes_i, {"rule": "fixed_indegree", "indegree": c_e}, "exc")
nest.Connect(nodes_i, nodes_e + nodes_i, {"rule": "fixed_indegree", "indegree": c_i}, "inh")
nest.Prepare()
t1 = time.perf_counter()
nest.Run(t_max_ms)
t2 = time.perf_counter()
nest.Cleanup()
ev = rec.get("events")
t = np.asarray(ev["times"]); s = np.asarray(ev["senders"])
print(json.dumps({"build_s": t1 - t0, "simulate_s": t2 - t1, **statistics(t, s, n_exc, t_max_ms)}))
"""

BRIAN2_SCRIPT = r"""
import json, os, sys, tempfile, time
t0 = time.perf_counter()
import numpy as np
from brian2 import (NeuronGroup, PoissonInput, SpikeMonitor, Synapses, defaultclock, device, ms, mV, prefs,
                    run, set_device)
g, eta, threads = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
n_exc, t_max_ms, folder = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
set_device("cpp_standalone", directory=folder, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = threads
defaultclock.dt = 0.1 * ms
n_inh = n_exc // 4
n = n_exc + n_inh
c_e, c_i = int(0.1 * n_exc), int(0.1 * n_inh)
J, D, tau, theta, v_r, t_ref = 0.1 * mV, 1.5 * ms, 20 * ms, 20 * mV, 10 * mV, 2 * ms
nu_th = theta / (J * c_e * tau)
nu_ext = eta * nu_th
G = NeuronGroup(n, "dv/dt = -v / tau : volt (unless refractory)", threshold="v >= theta", reset="v = v_r",
                refractory=t_ref, method="exact")
G.v = "rand() * theta"
rng = np.random.default_rng(1)
targets = np.arange(n)
exc = Synapses(G[:n_exc], G, "w : volt (shared)", on_pre="v_post += w * int(not_refractory_post)", delay=D)
exc.connect(i=rng.integers(0, n_exc, size=(n, c_e)).ravel(), j=np.repeat(targets, c_e))
exc.w = J
inh = Synapses(G[n_exc:], G, "w : volt (shared)", on_pre="v_post += w * int(not_refractory_post)", delay=D)
inh.connect(i=rng.integers(0, n_inh, size=(n, c_i)).ravel(), j=np.repeat(targets, c_i))
inh.w = -g * J
drive = PoissonInput(G, "v", c_e, nu_ext, weight="J * int(not_refractory)")
rec = SpikeMonitor(G[:min(2000, n_exc)])
run(t_max_ms * ms)
device.build(directory=folder, compile=True, run=True, debug=False)
t2 = time.perf_counter()
simulate = float(device._last_run_time)
t = np.asarray(rec.t / ms); s = np.asarray(rec.i)
print(json.dumps({"build_s": t2 - t0 - simulate, "simulate_s": simulate, **statistics(t, s, n_exc, t_max_ms)}))
"""


def _measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """Run ``argv``; (stdout, wall seconds, peak RSS in MiB) of that process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    _pid, _status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {err.strip()[-500:]}")
    peak = float("nan") if usage is None else usage.ru_maxrss / 1024
    return out, wall, peak


#: OpenMP's waiting policy for both simulators (lifsim's default; NEST's threads are OpenMP threads too)
WAIT_POLICY = {"OMP_WAIT_POLICY": "PASSIVE"}


def _peak_of(argv: list[str]) -> tuple[str, float, float]:
    """As :func:`_measure`, the peak RSS read by ``/usr/bin/time -v`` where present."""
    timer = Path("/usr/bin/time")
    if not timer.exists():
        return _measure(argv, {**os.environ, **WAIT_POLICY})
    start = time.perf_counter()
    proc = subprocess.run([str(timer), "-v", *argv], capture_output=True, text=True, env={**os.environ, **WAIT_POLICY})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return proc.stdout, wall, int(found.group(1)) / 1024 if found else float("nan")


def run_lifsim(state: str, threads: int, n_exc: int, t_max: float) -> dict:
    g, eta = STATES[state]
    lifsim = str(Path(sys.executable).with_name("lifsim"))
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "net.nc")
        argv = [
            lifsim,
            "network",
            "--g",
            str(g),
            "--eta",
            str(eta),
            "--n-exc",
            str(n_exc),
            "--t-max",
            f"{t_max}s",
            "--threads",
            str(threads),
            "--record-spikes",
            "2000",
            "--data",
            data,
        ]
        out, wall, peak = _peak_of(argv)
        import xarray as xr

        with xr.open_dataset(data, engine="h5netcdf") as ds:
            prov = json.loads(ds.attrs["lifsim_network"])
            rate_e = float(ds["neuron_rate"][:2000].mean())
            cv = ds["neuron_cv"].values[:2000]
            cv_e = float(cv[cv == cv].mean())
            sync = float(ds["synchrony"][0])
            theory = float(ds["rate_theory"])
    return {
        "simulator": "lifsim",
        "state": state,
        "threads": threads,
        "build_s": prov["build_s"],
        "simulate_s": prov["simulate_s"],
        "process_s": wall,
        "peak_mib": peak,
        "rate": rate_e,
        "cv": cv_e,
        "synchrony": sync,
        "theory": theory,
        "summary": out.strip().splitlines()[-1],
    }


def run_nest(python: str, state: str, threads: int, n_exc: int, t_max: float) -> dict:
    g, eta = STATES[state]
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(PEER_STATISTICS + NEST_SCRIPT)
        script = handle.name
    try:
        out, wall, peak = _peak_of([python, script, str(g), str(eta), str(threads), str(n_exc), str(t_max * 1e3)])
    finally:
        os.unlink(script)
    result = json.loads(out.strip().splitlines()[-1])
    return {"simulator": "NEST", "state": state, "threads": threads, "process_s": wall, "peak_mib": peak, **result}


def run_brian2(python: str, state: str, threads: int, n_exc: int, t_max: float) -> dict:
    g, eta = STATES[state]
    with tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "brunel_brian2.py")
        Path(script).write_text(PEER_STATISTICS + BRIAN2_SCRIPT)
        out, wall, peak = _peak_of(
            [python, script, str(g), str(eta), str(threads), str(n_exc), str(t_max * 1e3), os.path.join(folder, "b2")]
        )
    result = json.loads(out.strip().splitlines()[-1])
    return {"simulator": "Brian2", "state": state, "threads": threads, "process_s": wall, "peak_mib": peak, **result}


def _importable(python: str | None, module: str, name: str) -> str | None:
    """``python`` if ``module`` imports there, else None (with a line on stderr)."""
    if not python:
        return None
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"{name} does not import with {python}; not run", file=sys.stderr)
        return None
    return python


def markdown_table(report: dict) -> str:
    """The run as a Markdown table (the docs render ``results_network.json`` with this): each simulator's phases,
    statistics and peak memory, and how many times faster lifsim simulated than each peer at the same state and
    thread count."""
    rows = report["rows"]
    ours = {(r["state"], r["threads"]): r for r in rows if r["simulator"] == "lifsim"}
    lines = [
        f"On {report['machine']}; load average {report['load_average'][0]:.1f} at the end; "
        f"OMP_WAIT_POLICY={report['omp_wait_policy']}; N_E = {report['n_exc']:,}, {report['t_max']:g} s simulated.",
        "",
        "| state | simulator | threads | rate (Hz) | CV | synchrony | build (s) | simulate (s) | whole process (s) "
        "| peak (MiB) | lifsim's simulate, times faster |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["state"], -r["threads"], r["simulator"] != "lifsim", r["simulator"])):
        mine = ours.get((r["state"], r["threads"]))
        ratio = "" if r["simulator"] == "lifsim" or mine is None else f"{r['simulate_s'] / mine['simulate_s']:.1f}x"
        lines.append(
            f"| {r['state']} | {r['simulator']} | {r['threads']} | {r['rate']:.1f} | {r['cv']:.2f} "
            f"| {r['synchrony']:.0f} | {r['build_s']:.2f} | {r['simulate_s']:.2f} | {r['process_s']:.2f} "
            f"| {r['peak_mib']:.0f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nest", help="a Python interpreter with nest-simulator installed")
    parser.add_argument("--brian2", help="a Python interpreter with brian2 installed (cpp_standalone, g++)")
    parser.add_argument("--states", default="AI,SR", help="comma-separated: AI, SR, SIfast, SIslow")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--n-exc", type=int, default=10_000)
    parser.add_argument("--t-max", type=float, default=1.2, help="seconds simulated")
    parser.add_argument("--repeats", type=int, default=1, help="runs per peer measurement; the fastest is kept")
    parser.add_argument(
        "--lifsim-repeats", type=int, default=3, help="runs per lifsim measurement (seconds each); the fastest is kept"
    )
    parser.add_argument(
        "--json",
        default=str(Path(__file__).with_name("results_network.json")),
        help="results file: this run is put first, before the runs it already holds",
    )
    parser.add_argument("--note", default="", help="a note kept with this run (the machine's state, say)")
    parser.add_argument(
        "--omp-wait-policy",
        default="PASSIVE",
        choices=("PASSIVE", "ACTIVE"),
        help="OpenMP threads waiting at a barrier sleep (PASSIVE, lifsim's default) or spin (ACTIVE), both simulators",
    )
    args = parser.parse_args(argv)
    WAIT_POLICY["OMP_WAIT_POLICY"] = args.omp_wait_policy
    states = [s.strip() for s in args.states.split(",") if s.strip()]
    threads = [int(t) for t in args.threads.split(",")]
    peers = {"NEST": _importable(args.nest, "nest", "NEST"), "Brian2": _importable(args.brian2, "brian2", "Brian2")}
    runners = {"lifsim": lambda s, t: run_lifsim(s, t, args.n_exc, args.t_max)}
    if peers["NEST"]:
        runners["NEST"] = lambda s, t: run_nest(str(peers["NEST"]), s, t, args.n_exc, args.t_max)
    if peers["Brian2"]:
        runners["Brian2"] = lambda s, t: run_brian2(str(peers["Brian2"]), s, t, args.n_exc, args.t_max)
    # numba compiles the network kernels on the first run after an install and caches them; a small run first, so
    # that every timed lifsim run loads them from the cache, as a user's second run does (this run is not timed)
    subprocess.run(
        [str(Path(sys.executable).with_name("lifsim")), "network", "--n-exc", "400", "--t-max", "0.05s", "--quiet"],
        check=True,
    )
    rows = []
    for state in states:
        for t in threads:
            for name, run in runners.items():
                repeats = args.lifsim_repeats if name == "lifsim" else args.repeats
                tries = [run(state, t) for _ in range(max(1, repeats))]
                best = min(tries, key=lambda r: r["simulate_s"])
                rows.append(best)
                print(
                    f"{best['simulator']:7s} {state:7s} {t} thr  rate {best['rate']:7.2f} Hz  CV {best['cv']:.2f}  "
                    f"sync {best['synchrony']:6.1f}  build {best['build_s']:6.2f} s  "
                    f"simulate {best['simulate_s']:7.2f} s  "
                    f"process {best['process_s']:7.2f} s  peak {best['peak_mib']:6.0f} MiB",
                    flush=True,
                )
    load = os.getloadavg()
    report = {
        "machine": machine(),
        "repeats": {"lifsim": args.lifsim_repeats, "peers": args.repeats},
        "load_average": load,
        "omp_wait_policy": args.omp_wait_policy,
        "n_exc": args.n_exc,
        "t_max": args.t_max,
        "rows": rows,
    }
    if args.note:
        report["note"] = args.note
    target = Path(args.json)
    earlier = json.loads(target.read_text())["runs"] if target.exists() else []
    document = {"benchmark": "N1 (issue 18): benchmarks/bench_network.py", "runs": [report, *earlier]}
    target.write_text(json.dumps(document, indent=1))  # the newest run first; the docs render it
    print()
    print(markdown_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
