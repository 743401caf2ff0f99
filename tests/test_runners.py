"""Runners as objects and one engine protocol (issue 16, "What to build" 2 and 3), the memory guard of streamed
traces (finding 5) and a run under a low address-space limit (finding 15)."""

from __future__ import annotations

import ast
import resource
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_script

import lifsim
from lifsim import inputs
from lifsim.engine import ENGINES, get, installed
from lifsim.engine.output import RangeOutput
from lifsim.engine.plan import RunPlan
from lifsim.provenance import compare
from lifsim.request import Record, RunRequest
from lifsim.runners import Dask, Local, merge_ranges
from lifsim.runners.dask import plan_batches

P = lifsim.LIFParams(t_max="20 ms", dt="0.1 ms")
ENGINE_DIR = Path(lifsim.__file__).parent / "engine"


def _plan(engine: str = "numpy") -> tuple[RunPlan, object]:
    valid = RunRequest(P, inputs.uniform_noise("250 pA"), n=100, seed=4, engine=engine, record=Record(v="0:100:9"))
    return RunPlan.from_request(valid.validate()), valid.validate()


# ---------------------------------------------------------------- one engine protocol


@pytest.mark.parametrize("engine", installed())
def test_every_engine_has_the_one_entry(engine):
    module = get(engine)
    plan, _ = _plan("numpy")
    whole = module.run_range(plan)
    assert isinstance(whole, RangeOutput) and (whole.first_block, whole.end_block) == (0, plan.n_blocks)
    reference = get("numpy").run_range(plan)
    for name in ("mean", "m2", "spike_k", "spike_j", "spike_count", "trace"):
        assert np.array_equal(getattr(whole, name), getattr(reference, name)), name


def test_ranges_of_blocks_merge_to_the_whole_run():
    plan, _ = _plan()
    parts = [get("numpy").run_range(plan, b, b + 1) for b in range(plan.n_blocks)]
    whole = merge_ranges(plan, [get("numpy").run_range(plan)])
    merged = merge_ranges(plan, parts)
    assert np.array_equal(whole.moments.mean, merged.moments.mean)
    assert np.array_equal(whole.trace, merged.trace)


def test_engines_never_import_runners():
    for path in ENGINE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any("runners" in name for name in names), f"{path.name} imports {names}"


def test_no_getattr_picks_an_engine_entry():
    source = (Path(lifsim.__file__).parent / "runners" / "local.py").read_text()
    assert "getattr(engine" not in source
    assert all(hasattr(get(name), "run_range") for name in installed())
    assert set(installed()) <= set(ENGINES)


# ---------------------------------------------------------------- runner objects


def test_local_runner_object_gives_the_same_bits():
    run = lifsim.simulate(P, inputs.uniform_noise("250 pA"), n=200, seed=3, record_v="0:10")
    threads = 1 if "numba" in installed() else None
    again = lifsim.simulate(
        P, inputs.uniform_noise("250 pA"), n=200, seed=3, record_v="0:10", runner=Local(threads=threads, progress=False)
    )
    assert compare(run, again) == []
    assert again.meta["runner"] == {"kind": "local"}


@pytest.mark.parametrize(
    "make, error, needle",
    [
        (lambda: Local(threads=0), ValueError, "threads:"),
        (lambda: Local(threads="2"), TypeError, "threads:"),
        (lambda: Local(progress="yes"), TypeError, "progress:"),
        (lambda: Dask(2, blocks_per_task=3), ValueError, "blocks_per_task:"),
        (lambda: Dask(2, blocks_per_task=0), ValueError, "blocks_per_task:"),
    ],
)
def test_runner_settings_are_checked(make, error, needle):
    with pytest.raises(error, match=needle):
        make()


def test_runner_keywords_and_objects_do_not_mix():
    with pytest.raises(ValueError, match="threads"):
        lifsim.simulate(P, n=5, runner=Local(), threads=1)
    with pytest.raises(ValueError, match="threads: applies to the numba engine"):
        lifsim.simulate(P, n=5, engine="numpy", runner=Local(threads=1))
    with pytest.raises(ValueError, match="blocks_per_task"):
        lifsim.simulate(P, n=5, blocks_per_task=2)
    with pytest.raises(ValueError, match="resume"):
        lifsim.simulate(P, n=5, resume=True)


def test_a_local_job_estimates_and_runs():
    plan, valid = _plan()
    job = Local(progress=False).job(plan, valid)
    estimate = job.estimate()
    assert estimate.tasks == 1 and estimate.memory_here > 0
    output = job.run()
    assert output.trace.shape == (12, P.steps)


def test_batches_of_small_items_have_about_equal_work():
    items = [(k, k) for k in range(40)]
    work = {k: 10 for k in range(40)}
    work[7] = 1000  # one item worth many batches
    batches, big = plan_batches(items, work, threads=2, spreadable=lambda key: True)
    assert big == [(7, 7)]
    keys = [key for batch in batches for key, _ in batch]
    assert keys == [k for k in range(40) if k != 7]  # every other item once, in order
    batches, big = plan_batches(items, work, threads=2)
    assert big == [] and sum(len(b) for b in batches) == 40


def test_one_dask_runner_object_serves_runs_and_batches():
    pytest.importorskip("distributed")
    runner = Dask(1, blocks_per_task=1)
    kw = dict(n=300, seed=9, record_v="0:300:7", block=32)
    local = lifsim.simulate(P, inputs.uniform_noise("250 pA"), **kw)
    assert compare(local, lifsim.simulate(P, inputs.uniform_noise("250 pA"), runner=runner, **kw)) == []
    landed = {}
    runner.map(
        _square_batch,
        [(k, k) for k in range(6)],
        {k: 1 for k in range(6)},
        landed.__setitem__,
        lambda batch: f"batch {batch}",
        args=(10,),
    )
    assert landed == {k: 10 * k * k for k in range(6)}


def _square_batch(factor: int, batch: list) -> list:
    return [(key, factor * value * value) for key, value in batch]


# ---------------------------------------------------------------- the memory guard, as the user meets it


def _limit_address_space(mib: int):  # type: ignore[no-untyped-def]
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib * 2**20, mib * 2**20))

    return limit


def test_streamed_traces_are_not_counted_as_held(tmp_path):
    """Finding 5: 2e5 traces x 1e4 steps (15 GiB) streamed to a .zarr need one chunk in memory, not 30 GiB;
    kept in memory, the refusal names --record-v, not --n."""
    args = ["simulate", "--n", "2e5", "--t-max", "1s", "--dt", "0.1ms", "--record-v", "all"]
    held = run_script([*args, "--data", str(tmp_path / "tr.nc")], cwd=tmp_path, preexec_fn=_limit_address_space(6144))
    assert held.returncode == 2, held.stderr
    assert held.stderr.count("\n") == 1 and held.stderr.startswith("lifsim: error: --record-v:"), held.stderr
    assert "--n" not in held.stderr and "fewer neurons or steps" not in held.stderr
    streamed = run_script(
        [*args, "--data", str(tmp_path / "tr.zarr"), "--dry-run"], cwd=tmp_path, preexec_fn=_limit_address_space(6144)
    )
    assert streamed.returncode == 0, streamed.stderr
    assert "dry run: 200000 neurons x 10000 steps" in streamed.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["--t-max", "1ms", "--dt", "1e-12"],
            "lifsim: error: --dt: 1 neuron x 1000000000 steps need about",
        ),
        (["--t-max", "2e6"], "lifsim: error: --t-max: 1 neuron x 2000000000 steps need about"),
        (["--n", "1e8"], "lifsim: error: --n: 100000000 neurons x 150 steps need about"),
    ],
)
def test_a_run_too_large_for_memory_blames_what_made_it_large(tmp_path, argv, line):
    """1 ms at 1 ps steps was blamed on --n ("1 neurons x 1000000000 steps"), which the user never gave: the
    step count is blamed (on whichever of --t-max and --dt grew it) unless the neurons' bytes are the larger part."""
    done = run_script(["simulate", *argv], cwd=tmp_path, preexec_fn=_limit_address_space(6144))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(line), done.stderr
    fix = "use fewer neurons" if "--n:" in line else "use fewer steps (t_max / dt): a larger dt or a shorter t_max"
    if "--n:" in line:  # the spike times are the larger part of 10**8 neurons' memory: keeping none is a fix too
        fix += ", or keep no spike times (--no-record-spikes)"
    assert fix in done.stderr, done.stderr


def test_a_low_address_space_limit_gives_one_line_not_a_hang(tmp_path):
    """Finding 15: under ulimit -v 300 MiB the run hung after it ended: SciPy's OpenBLAS (loaded by dask.array
    while writing the file) retried forever to map its thread buffers."""
    try:
        done = run_script(
            ["simulate", "--n", "300", "--t-max", "300ms", "--record-v", "all", "--engine", "numpy"]
            + ["--data", str(tmp_path / "o.nc")],
            cwd=tmp_path,
            timeout=90,
            preexec_fn=_limit_address_space(300),
        )
    except subprocess.TimeoutExpired:
        pytest.fail("lifsim hung under a 300 MiB address-space limit")
    assert done.returncode in (0, 2), done.stderr
    if done.returncode == 2:
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("lifsim: error:"), done.stderr
        assert "Traceback" not in done.stderr
