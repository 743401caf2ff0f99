"""The memory guard as a user meets it: a run that cannot fit is refused before it starts, naming what to change."""

from __future__ import annotations

import importlib
import os
import resource
import sys

import pytest
from cli_helpers import run_script

import lifsim.cli
from lifsim.engine import installed

needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ulimit -v, /proc (Linux)")


def _limit_address_space(mib: int):  # type: ignore[no-untyped-def]
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib * 2**20, mib * 2**20))

    return limit


@needs_linux
@pytest.mark.skipif("numba" not in installed(), reason="numba engine")
def test_a_run_whose_engine_takes_the_address_space_is_refused_before_it_starts(tmp_path):
    """Finding 1: under ulimit -v the guard measured the address space used before numba, its kernels and its
    threads (a stack and a 64 MiB malloc arena each) were loaded, and compared the run's arrays with what was
    left: 3000 traces x 10000 steps (460 MiB) "fit" under 1000 MiB with 4 threads, then ran out of memory at the
    end ("not enough memory for this run").  The engine is now started before the room is measured."""
    done = run_script(
        ["simulate", "--n", "3000", "--t-max", "1s", "--dt", "0.1ms", "--record-v", "all", "--no-record-spikes"]
        + ["--no-data"],
        cwd=tmp_path,
        timeout=90,
        env={**os.environ, "NUMBA_NUM_THREADS": "4"},
        preexec_fn=_limit_address_space(1000),
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("lifsim: error: --record-v: 3000 traces x 10000 steps need about"), done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("argv", "where", "names", "not_named"),
    [
        (
            ["simulate", "--n", "10"],
            "lifsim.simulation.simulate",
            ["(--n)", "--t-max", "--dt", "--record-v", "--no-record-spikes"],
            "--n-exc",
        ),
        (["network", "--n-exc", "100"], "lifsim.network.run.network", ["(--n-exc)", "--t-max"], "(--n)"),
    ],
)
def test_running_out_of_memory_late_names_the_options_of_the_command_in_use(
    monkeypatch, capsys, argv, where, names, not_named
):
    """Finding 1: a simulate run that ran out of memory partway was told to use "fewer neurons (--n, or --n-exc
    of a network) or steps": the network's option, to a user of simulate, and no option for the steps."""
    module, _, name = where.rpartition(".")

    def out_of_memory(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MemoryError

    monkeypatch.setattr(importlib.import_module(module), name, out_of_memory)
    assert lifsim.cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lifsim: error: not enough memory for this run; use fewer"), err
    assert all(option in err for option in names), err
    assert not_named not in err and "of a network" not in err, err


@needs_linux
def test_recording_every_trace_of_many_neurons_is_refused_from_counts_naming_record_v(tmp_path):
    """Finding 2: ``--n 1e8 --record-v all --dry-run`` listed the 10**8 recorded neurons (as Python ints, 40 s and
    5.5 GB) before the memory check, which then blamed --t-max ("use fewer steps") for 148 TiB of traces.  The run's
    memory is counted from the selection's size first, and the traces, the largest part, are what it names, in
    seconds (under 8 GiB of address space, where the listing's own check let the listing through)."""
    import time

    started = time.monotonic()
    done = run_script(
        ["simulate", "--n", "1e8", "--t-max", "10s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
        + ["--record-v", "all", "--dry-run"],
        cwd=tmp_path,
        timeout=60,
        preexec_fn=_limit_address_space(8192),
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert time.monotonic() - started < 30, "listed the neurons before counting them"
    assert done.stderr.startswith("lifsim: error: --record-v: 100000000 traces x 100000 steps need about"), done.stderr
    assert "record fewer neurons" in done.stderr and "--t-max" not in done.stderr, done.stderr


@needs_linux
def test_a_run_whose_spike_times_do_not_fit_names_no_record_spikes(tmp_path):
    """Finding 3: 10**6 neurons for 10 s needed about 22.4 GiB, 22.2 GiB of it the spike list, and the refusal
    said only "use fewer neurons"; --no-record-spikes (counts and rates are still kept) would have fit."""
    done = run_script(
        ["simulate", "--n", "1e6", "--t-max", "10s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
        + ["--dry-run"],
        cwd=tmp_path,
        timeout=90,
        preexec_fn=_limit_address_space(4096),
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("lifsim: error: --n: 1000000 neurons x 100000 steps need about"), done.stderr
    assert "use fewer neurons, or keep no spike times (--no-record-spikes): they are about" in done.stderr
    fits = run_script(
        ["simulate", "--n", "1e6", "--t-max", "10s", "--dt", "0.1ms", "--input", "white", "--sigma", "5mV"]
        + ["--no-record-spikes", "--dry-run"],
        cwd=tmp_path,
        timeout=90,
        preexec_fn=_limit_address_space(4096),
    )
    assert fits.returncode == 0 and fits.stdout.startswith("dry run: 1000000 neurons x 100000 steps"), fits.stderr
