"""Cost per neuron at very large n: a 10-step run at n = 1e5 .. 3e7 (issue: time per neuron must not grow with n).

Each size runs in its own subprocess (so peak memory is its own) through the whole
``lifsim simulate`` path, after one warm-up run that loads the compiled kernels.
Prints a markdown table of wall time, ns per neuron and peak RSS; ``--json`` writes them.

    python benchmarks/bench_scaling.py [--sizes 1e5,1e6,1e7,3e7] [--steps 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys

CHILD = r"""
import resource, sys, time
import lifsim
n, steps = int(float(sys.argv[1])), int(sys.argv[2])
params = lifsim.LIFParams(t_max=steps * 1e-3, dt=1e-3)
lifsim.simulate(params, n=1000, progress=False)  # load the compiled kernels first
start = time.perf_counter()
lifsim.simulate(params, lifsim.inputs.uniform_noise("250 pA"), n=n, progress=False, record_spikes=False)
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7,3e7")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    for text in args.sizes.split(","):
        n = int(float(text))
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(args.steps)], capture_output=True, text=True, check=True
        ).stdout.split()
        wall, rss = float(out[0]), int(out[1])
        rows.append({"n": n, "steps": args.steps, "wall_s": wall, "ns_per_neuron": wall / n * 1e9, "peak_rss": rss})
    base = rows[0]["ns_per_neuron"]
    print(f"{cpu_name()}, {args.steps}-step runs, uniform noise, statistics only (no spike list)\n")
    print("| n | wall (s) | ns per neuron | x smallest n | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['n']:,} | {row['wall_s']:.3f} | {row['ns_per_neuron']:.1f} | "
            f"{row['ns_per_neuron'] / base:.2f} | {row['peak_rss'] / 2**20:.0f} |"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"cpu": cpu_name(), "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
