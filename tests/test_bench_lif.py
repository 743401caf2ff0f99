"""The speed benchmark's verdicts (benchmarks/bench_lif.py): goal ratios paired round by round."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_lif.py"


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_lif", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(engine: str, work: str, seconds: list[float], n: int = 100_000, rounds: bool = True) -> dict:
    steps = 10_000
    times = sorted(seconds)
    median = times[len(times) // 2]
    row = {
        "engine": engine,
        "workload": work,
        "n": n,
        "steps": steps,
        "times": seconds,
        "seconds": median,
        "ns_per_neuron_step": median / (n * steps) * 1e9,
        "rss_mb": 100.0,
        "startup_s": 0.0,
        "rate_hz": 10.0,
    }
    if rounds:
        row["rounds"] = len(seconds)
    return row


def test_paired_ratio_is_the_median_of_the_rounds_ratios(bench) -> None:  # type: ignore[no-untyped-def]
    # the host slows down 1.5x in round 2 and both rows see it: the paired ratio stays 2, the ratio of the
    # medians does not
    top = _row("lifsim numba, 2 thread(s)", "W1", [2.0, 3.0, 2.2])
    bottom = _row("uniform generator alone, 2 thread(s)", "W1", [1.0, 1.5, 1.1])
    value, low, high = bench.paired_ratio(top, bottom)
    assert (value, low, high) == pytest.approx((2.0, 2.0, 2.0))
    top = _row("lifsim numba, 2 thread(s)", "W1", [2.0, 3.0, 2.2])
    bottom = _row("uniform generator alone, 2 thread(s)", "W1", [1.1, 1.0, 1.5])
    value, low, high = bench.paired_ratio(top, bottom)
    assert low == pytest.approx(2.2 / 1.5) and high == pytest.approx(3.0) and value == pytest.approx(2.0 / 1.1)


def test_rows_without_rounds_give_the_ratio_of_their_medians(bench) -> None:  # type: ignore[no-untyped-def]
    top = _row("NEST iaf_psc_delta, 2 thread(s)", "W1", [9.0, 12.0, 10.0], rounds=False)
    bottom = _row("lifsim numba, 2 thread(s)", "W1", [1.0, 2.0, 1.0])
    value, low, high = bench.paired_ratio(top, bottom)
    assert value == pytest.approx(10.0) and low != low and high != high  # no range: nan
    assert all(x != x for x in bench.paired_ratio({}, bottom))  # a row this run did not measure: nan


def test_targets_give_each_goal_its_verdict(bench) -> None:  # type: ignore[no-untyped-def]
    rows = [
        _row("lifsim numba, 1 thread(s)", "W1", [3.6, 5.4, 3.6]),
        _row("lifsim numba, 2 thread(s)", "W1", [2.0, 3.0, 2.0]),
        _row("uniform generator alone, 2 thread(s)", "W1", [1.0, 1.4, 1.1]),
        _row("Brian2 cpp_standalone, 2 thread(s)", "W1", [18.0, 26.0, 17.0]),
    ]
    lines = bench.targets(rows)
    by_goal = {line.split(" | ")[1]: line for line in lines[2:]}
    assert by_goal["W1 / uniform generator alone <= 2"].endswith("| 2.00 | 1.82 - 2.14 | yes |")
    assert by_goal["W1: Brian2 best / lifsim >= 8"].endswith("| 8.67 | 8.50 - 9.00 | yes |")
    assert by_goal["W1: 2 threads / 1 thread speed-up >= 1.8"].endswith("| 1.80 | 1.80 - 1.80 | yes |")
    rows[1] = _row("lifsim numba, 2 thread(s)", "W1", [2.2, 3.0, 2.4])
    by_goal = {line.split(" | ")[1]: line for line in bench.targets(rows)[2:]}
    assert by_goal["W1 / uniform generator alone <= 2"].endswith("| NO |")
    assert not any("W2" in line for line in by_goal)  # goals whose rows were not measured are left out


def test_from_json_prints_the_table_and_verdicts(tmp_path: Path) -> None:
    rows = [
        _row("lifsim numba, 2 thread(s)", "W1", [2.0, 3.0, 2.0]),
        _row("uniform generator alone, 2 thread(s)", "W1", [1.0, 1.4, 1.1]),
    ]
    startup = {
        "first_run_cold_cache_s": 40.0,
        "first_run_warm_cache_s": 1.0,
        "cli_simulate_n1000_s": 1.5,
        "import_lifsim_s": 0.003,
        "import_lifsim_imports_numba": False,
    }
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({"machine": "a test machine", "steps": 10_000, "startup": startup, "rows": rows}))
    done = subprocess.run(
        [sys.executable, str(BENCH), "--from-json", str(saved)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "On a test machine" in done.stdout
    assert "| 100,000 | W1 / uniform generator alone <= 2 | 2.00 | 1.82 - 2.14 | yes |" in done.stdout


def test_a_round_runs_each_goals_rows_one_after_the_other(bench, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """W1s's rows share W1's rounds (W1s / W1 is a goal), and a round runs the rows of a ratio next to each other:
    generator 2 threads, lifsim 2 threads, W1s 2 threads, W1s 1 thread, lifsim 1 thread; the table keeps the
    plan's order.  The children are not run: a stand-in records the order and returns one time."""
    import argparse

    args = argparse.Namespace(
        repeats=2, t_max=0.01, numpy_max_n=0, tutorial_n=0, peer_max_n=0, brian2=None, nest=None, timeout=10
    )
    plan = bench.build_plan(args, [100_000], ["W1", "W2"])
    ran: list[tuple[str, str]] = []

    def without_repeats(code, child_args):  # type: ignore[no-untyped-def]
        return [None if at == bench.REPEATS_ARGUMENT[code] else value for at, value in enumerate(child_args)]

    def stand_in(code, child_args, _args):  # type: ignore[no-untyped-def]
        key = without_repeats(code, child_args)
        index = next(i for i, entry in enumerate(plan) if entry[3] is code and without_repeats(code, entry[4]) == key)
        ran.append((plan[index][0], plan[index][1]))
        return {"times": [1.0], "rss_mb": 1.0, "startup_s": 0.0, "rate_hz": 1.0}

    monkeypatch.setattr(bench, "_run_one", stand_in)
    table = [(label, work) for label, work, _n, _result, _wall in bench.measure(plan, args)]
    assert table == [(label, work) for label, work, *_rest in plan]
    w1_round = [
        ("uniform generator alone, 1 thread(s)", "W1"),
        ("uniform generator alone, 2 thread(s)", "W1"),
        ("lifsim numba, 2 thread(s)", "W1"),
        ("lifsim numba, 2 thread(s)", "W1s"),
        ("lifsim numba, 1 thread(s)", "W1s"),
        ("lifsim numba, 1 thread(s)", "W1"),
    ]
    w2_round = [
        ("normal generator alone, 1 thread(s)", "W2"),
        ("normal generator alone, 2 thread(s)", "W2"),
        ("lifsim numba, 2 thread(s)", "W2"),
        ("lifsim numba, 1 thread(s)", "W2"),
    ]
    assert ran == w1_round * 2 + w2_round * 2


@pytest.mark.faults
def test_a_terminated_benchmark_leaves_no_measurement_running(tmp_path):
    # `kill` (SIGTERM) on the benchmark while a child measures: the child goes with it (a child left running
    # skewed the times of whatever was measured next)
    import os
    import signal
    import time

    bench = subprocess.Popen(
        [
            sys.executable,
            str(BENCH),
            "--sizes",
            "1e3",
            "--workloads",
            "W1",
            "--repeats",
            "1",
            "--t-max",
            "50",
            "--numpy-max-n",
            "0",
            "--tutorial-n",
            "0",
            "--json",
            str(tmp_path / "out.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def children() -> list[int]:
        pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
        return [pid for pid in pids if _stat(pid)[1] == bench.pid and _stat(pid)[0] != "Z"]

    deadline = time.monotonic() + 60
    while not children() and time.monotonic() < deadline:
        time.sleep(0.1)
    running = children()
    try:
        assert running, "the benchmark started no measurement"
        time.sleep(1.0)  # the child is measuring
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=30) == 128 + signal.SIGTERM
        for _ in range(50):
            left = [pid for pid in running if _stat(pid)[0] not in ("", "Z")]
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"measurements {left} still run after the benchmark ended"
    finally:
        for pid in running:  # whatever the verdict, nothing is left running
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def _stat(pid: int) -> tuple[str, int]:
    """A process's state letter (``Z``: a zombie) and its parent's pid, or ("", 0) when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, IndexError, ValueError):
        return "", 0
