"""The benchmark scripts run and keep their results files' shape (the docs render those files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_network_benchmark_runs_and_puts_its_run_first(tmp_path):
    """``bench_network.py`` on a small network, lifsim only: its table, and the run put before the ones the
    results file holds (the docs render ``runs[0]``)."""
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"runs": [{"note": "an earlier run", "rows": []}]}))
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_network.py"), "--states", "AI", "--threads", "1"]
    argv += ["--n-exc", "400", "--t-max", "0.1", "--lifsim-repeats", "1", "--json", str(results), "--note", "tiny"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = json.loads(results.read_text())["runs"]
    assert [run.get("note") for run in runs] == ["tiny", "an earlier run"]
    (row,) = runs[0]["rows"]
    assert row["simulator"] == "lifsim" and row["state"] == "AI" and row["threads"] == 1
    assert row["simulate_s"] > 0 and row["rate"] > 0 and row["theory"] > 0
    assert "| AI | lifsim | 1 |" in done.stdout and "N_E = 400" in done.stdout


def test_the_lane_parts_benchmark_times_every_part():
    """``bench_lane_parts.py`` (the Benchmarks page's breakdown of W1's time) runs and prints every part, each a
    positive time; no speed is asserted (that is the benchmark's job, not a test's)."""
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_lane_parts.py"), "--steps", "20", "--rounds", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [line.rsplit(None, 1) for line in done.stdout.splitlines()[2:]]
    assert [label.strip() for label, _ns in rows][0].startswith("the number alone") and len(rows) == 8, done.stdout
    assert all(float(ns) > 0 for _label, ns in rows), done.stdout
    bad = subprocess.run([*argv[:2], "--steps", "0"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "--steps" in bad.stderr.splitlines()[-1]
