"""The typed request (issue 16, "What to build" 1): one ``validate()``, ``to_dict``/``from_dict``, rerun of the
stored request bit for bit (files written before the request existed included), and the dry run as a function of
the plan and the runner."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_script

import lifsim
from lifsim import inputs, request
from lifsim.planning import RunEstimate
from lifsim.provenance import compare
from lifsim.request import Record, RunRequest, ValidRequest
from lifsim.streams import STREAM_VERSION

DATA = Path(__file__).parent / "data"
P = lifsim.LIFParams(t_max="30 ms", dt="0.1 ms")


def _request(**changes) -> RunRequest:
    base = RunRequest(
        P,
        inputs.uniform_noise("250 pA") + inputs.white_noise("10 pA", sigma="2 mV"),
        n=40,
        seed=7,
        engine="numpy",
        record=Record(v="0:5", lags=(1, 3), snapshots=("0 ms", "10 ms")),
    )
    return dataclasses.replace(base, **changes)


def test_validate_gives_the_canonical_request():
    valid = _request().validate()
    assert isinstance(valid, ValidRequest)
    assert valid.validate() is valid  # checked once: validating again does nothing
    assert valid.n == 40 and valid.steps == P.steps and valid.engine == "numpy"
    assert valid.record.tolist() == [0, 1, 2, 3, 4]
    assert valid.snapshot_steps == (0, 100) and valid.lags == (1, 3)
    canonical = valid.request
    # a range of neurons stays a range, not a tuple of Python ints (10**8 of them took 40 s and 5.5 GB to list)
    assert canonical.record.v == range(5) and canonical.steps == P.steps
    assert canonical.validate().to_dict() == valid.to_dict()  # the canonical form validates to the same run


@pytest.mark.parametrize(
    "changes, error, needle",
    [
        ({"n": 0}, ValueError, "n:"),
        ({"n": 2.5}, TypeError, "n:"),
        ({"n": 2**32 + 1}, ValueError, "2**32"),
        ({"method": "rk4"}, ValueError, "method:"),
        ({"seed": -1}, ValueError, "seed:"),
        ({"seed": 2**128}, ValueError, "seed: expected a whole number from 0 to 2**128 - 1"),
        ({"seed": 1.5}, TypeError, "seed:"),
        ({"steps": 1}, ValueError, "steps:"),
        ({"engine": "fortran"}, ValueError, "engine:"),
        ({"block": 48}, ValueError, "block:"),
        ({"device": 0}, ValueError, "device:"),
        ({"stream_version": 1}, ValueError, "stream_version:"),
        ({"record": Record(v="0:50")}, ValueError, "record_v:"),
        ({"record": Record(lags=(400,))}, ValueError, "lags:"),
        ({"record": Record(lags=5)}, TypeError, "lags:"),
        ({"record": Record(snapshots=("5 ms", "5 ms"))}, ValueError, "snapshots:"),
        ({"record": Record(snapshots=("5.05 ms",))}, ValueError, "snapshots:"),
        ({"record": Record(spikes="yes")}, TypeError, "record_spikes:"),
        ({"record": "all"}, TypeError, "record:"),
        ({"params": {"tau": 0.02}}, TypeError, "params:"),
    ],
)
def test_validate_names_the_bad_value(changes, error, needle):
    with pytest.raises(error, match=needle.replace("*", r"\*")):
        _request(**changes).validate()


def test_simulate_validates_once(monkeypatch):
    calls = []
    original = request._validate

    def counting(req):  # type: ignore[no-untyped-def]
        calls.append(req)
        return original(req)

    monkeypatch.setattr(request, "_validate", counting)
    lifsim.simulate(P, n=10, engine="numpy")
    assert len(calls) == 1


def test_to_dict_from_dict_round_trip():
    valid = _request().validate()
    stored = json.loads(json.dumps(valid.to_dict()))  # what a file holds
    assert stored["run"]["stream_version"] == STREAM_VERSION
    again = RunRequest.from_dict(stored)
    assert again.validate().to_dict() == valid.to_dict()


def test_from_dict_round_trip_of_an_array_input():
    values = np.linspace(0, 4e-10, P.steps)
    req = RunRequest(P, inputs.array_input(values), n=3, engine="numpy")
    stored = req.to_dict()
    again = RunRequest.from_dict(stored, np.asarray(values))
    assert again.to_dict() == stored


@pytest.mark.parametrize(
    "meta, needle",
    [
        ({}, "no run provenance"),
        ({"run": {"stream": "legacy"}}, "counter-based"),
        ({"run": {"stream": "counter", "stream_version": 1}}, "stream version 1"),
        ({"run": {"stream": "counter", "stream_version": STREAM_VERSION}, "params": {}}, "lacks"),
    ],
)
def test_from_dict_refuses_what_it_cannot_run(meta, needle):
    with pytest.raises(ValueError, match=needle):
        RunRequest.from_dict(meta, source="f.npz")


def test_a_result_stores_its_request():
    result = lifsim.simulate(P, inputs.uniform_noise("250 pA"), n=20, seed=2, record_v=[1, 4], lags=(2,))
    stored = RunRequest.from_dict(result.meta, result.input_array)
    assert stored.record.v == [1, 4] and stored.record.lags == (2,) and stored.seed == 2
    assert compare(result, lifsim.simulation.run(stored)) == []


@pytest.mark.parametrize("name", ["main_run.npz", "main_exact.nc"])
def test_files_written_before_the_request_rerun_bit_for_bit(name):
    """tests/data holds runs saved by lifsim before this refactor (main 82f578c): their provenance still runs."""
    original = lifsim.load(str(DATA / name))
    again = lifsim.rerun(str(DATA / name))
    assert compare(original, again) == []
    assert original.meta["run"] == again.meta["run"]


def test_dry_run_returns_an_estimate_without_running(monkeypatch, tmp_path):
    from lifsim.runners import local

    def never(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the dry run ran the run")

    monkeypatch.setattr(local.LocalJob, "run", never)
    found = lifsim.estimate(P, n=300, record_v="all", trace_store=tmp_path / "run.zarr", engine="numpy")
    assert isinstance(found, RunEstimate)
    assert found.what == f"300 neurons x {P.steps} steps" and found.seconds > 0
    assert found.output_bytes >= 8 * 300 * P.steps
    again = lifsim.rerun(str(DATA / "main_run.npz"), dry_run=True)
    assert isinstance(again, RunEstimate) and again.what == "40 neurons x 300 steps"
    assert list(tmp_path.iterdir()) == []


def test_cli_rerun_dry_run_runs_and_writes_nothing(tmp_path):
    done = run_script(["rerun", str(DATA / "main_run.npz"), "--dry-run", "--data", str(tmp_path / "x.nc")])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dry run: 40 neurons x 300 steps")
    assert "nothing was run or written" in done.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("selection", ["all", True, slice(None), "0:1000000000"])
def test_a_selection_too_large_to_list_is_refused_before_it_is_listed(selection):
    """`simulate(n=10**9, record_v="all")` listed 10**9 Python ints and the process was killed for memory.  The run's
    memory is now counted before its neurons are listed, and their traces (2.5 TiB) are what it blames."""
    import lifsim
    from lifsim.memory import available_memory

    if available_memory() is None:
        pytest.skip("no memory figure on this machine")
    with pytest.raises(ValueError, match=r"record_v: 1000000000 traces x 150 steps need about .* TiB of memory"):
        lifsim.simulate(n=10**9, record_v=selection)
