"""A current given as an array (``lifsim.inputs.array_input``, ``lifsim simulate --input array --input-file``):
its length against the run's, and the memory it takes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cli_helpers import in_tmp, run_script  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.errors import PlausibilityWarning


def _warnings_of(call):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, PlausibilityWarning)]


@pytest.mark.parametrize("shape", [(2000,), (2, 5000)])
def test_an_array_longer_than_the_run_is_said_to_be_cut(shape) -> None:  # type: ignore[no-untyped-def]
    """It ran on its first 199 columns without a word (a too short one is refused)."""
    p = lifsim.LIFParams(dt="0.1 ms", t_max="20 ms")
    values = np.broadcast_to(np.linspace(0, 5e-10, shape[-1]), shape)
    said = _warnings_of(lambda: lifsim.simulate(p, inputs.array_input(values), n=2))
    assert len(said) == 1, [str(w.message) for w in said]
    text = str(said[0].message)
    assert f"has {shape[-1]} time points" in text and "uses the first 199" in text, text
    assert f"other {shape[-1] - 199} are ignored" in text, text
    assert said[0].filename == __file__


@pytest.mark.parametrize("length", [199, 200])
def test_an_array_as_long_as_the_run_is_not_warned_about(length) -> None:  # type: ignore[no-untyped-def]
    p = lifsim.LIFParams(dt="0.1 ms", t_max="20 ms")
    assert not _warnings_of(lambda: lifsim.simulate(p, inputs.array_input(np.full(length, 1e-10)), n=2))


def test_the_command_says_an_array_longer_than_the_run_is_cut_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    np.save(tmp_path / "long.npy", np.linspace(0, 5e-10, 2000))
    done = run_script(
        ["simulate", "--n", "2", "--dt", "0.1ms", "--t-max", "20ms", "--input", "array", "--input-file", "long.npy"],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifsim: warning:"), lines
    assert "2000 time points" in lines[0] and "1801 are ignored" in lines[0], lines


# ---------------------------------------------------------------- memory: no needless copy, a refusal that names it


def test_a_float64_array_is_used_without_a_copy() -> None:
    """array_input made a float64 copy of every array (and a bool array of the same shape for its check)."""
    values = np.linspace(0, 5e-10, 3000)
    assert np.shares_memory(inputs.array_input(values).values, values)
    shared = np.broadcast_to(values, (1000, 3000))  # a view of 24 MB that holds 24 kB: it stays a view
    assert np.shares_memory(inputs.array_input(shared).values, values)


def test_a_value_that_is_not_finite_is_found_in_any_slab() -> None:
    """The finiteness check reads the array a slab at a time: the last slab is read too."""
    values = np.full(3 * inputs.SLAB_CELLS + 5, 1e-10)
    values[-1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        inputs.array_input(values)
    rows = np.full((3, inputs.SLAB_CELLS // 2 + 1), 1e-10)
    rows[2, -1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        inputs.array_input(rows)


def test_an_array_whose_float64_copy_does_not_fit_is_refused_naming_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A float32 array was converted whatever the memory: numpy's raw MemoryError under a memory limit."""
    import lifsim.memory

    monkeypatch.setattr(lifsim.memory, "available_memory", lambda: 2**20)
    with pytest.raises(ValueError) as caught:
        inputs.array_input(np.ones((400, 1000), dtype=np.float32))
    text = str(caught.value)
    assert text.startswith("array input:") and "float32" in text and "(400, 1000)" in text, text
    assert "3.05 MiB" in text and "1 MiB available" in text, text


def test_the_output_size_counts_the_input_array_a_result_keeps() -> None:
    from lifsim.simulation import expected_output_size

    p = lifsim.LIFParams(dt="0.1 ms", t_max="20 ms")
    values = np.full((50, p.steps), 1e-10)
    with_array = expected_output_size(p, inputs.array_input(values), n=50, record_spikes=False)
    assert with_array - expected_output_size(p, inputs.constant(1e-10), n=50, record_spikes=False) == values.nbytes


def test_a_run_copies_a_slab_of_the_array_not_all_of_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A chunk's drive copied its columns of every row, and a chunk was the whole run: a second copy of the
    array.  The chunks are cut to the drive's budget, with the same bits."""
    import lifsim.engine.plan as plan

    p = lifsim.LIFParams(dt="0.1 ms", t_max="30 ms")
    values = np.random.default_rng(1).normal(3e-10, 1e-10, (300, p.steps))
    whole = lifsim.simulate(p, inputs.array_input(values), n=300, record_v="0:3", lags=(2,))
    monkeypatch.setattr(plan, "DRIVE_BUDGET", 8 * 300 * 7)  # 7 columns a chunk
    seen = []
    drive = plan.RunPlan.drive
    monkeypatch.setattr(plan.RunPlan, "drive", lambda self, k0, k1: seen.append(k1 - k0) or drive(self, k0, k1))
    cut = lifsim.simulate(p, inputs.array_input(values), n=300, record_v="0:3", lags=(2,))
    assert seen and max(seen) <= 7, seen
    for name, array in whole.arrays().items():
        if name != "meta":
            assert np.array_equal(array, cut.arrays()[name], equal_nan=True), name


def test_the_command_refuses_an_input_file_too_large_for_memory_naming_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Under a memory limit, a .npy of float32 currents was read, then converted: "not enough memory for this
    run; use fewer neurons" blamed --n.  Its header says what reading it needs, before it is read."""
    import resource

    shape = (16000, 10000)  # 640 MB of float32 (a sparse file), 1.9 GB to read as float64
    np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.float32, shape=shape).flush()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))

    done = run_script(
        ["simulate", "--n", "16000", "--input", "array", "--input-file", "big.npy"], cwd=tmp_path, preexec_fn=limit
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("lifsim: error: --input-file: 'big.npy' holds a current array of shape"), done.stderr
    assert "(16000, 10000)" in done.stderr and "1.79 GiB" in done.stderr, done.stderr


# ------------------------------------------------------------ a dry run of a per-neuron array of any size

ROWS = 8193  # one neuron past the calibration's 8192 (lifsim.planning.CALIBRATION_NEURONS)


def test_the_command_plans_a_run_of_more_per_neuron_rows_than_the_calibration_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``--dry-run`` of 10,000 rows for --n 10000 was refused as "has 10000 rows, the run has n = 8192 neurons":
    the calibration ran fewer neurons on the whole array."""
    np.save(tmp_path / "rows.npy", np.full((ROWS, 10), 2e-10))
    argv = ["simulate", "--n", str(ROWS), "--t-max", "10ms", "--dt", "1ms", "--input", "array"]
    done = run_script([*argv, "--input-file", str(tmp_path / "rows.npy"), "--dry-run"])
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith(f"dry run: {ROWS} neurons x 10 steps"), done.stdout
    # a real mismatch of rows and n is still refused, naming both
    done = run_script([*argv, "--input-file", str(tmp_path / "rows.npy"), "--dry-run", "--n", "9000"])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        f"lifsim: error: --input-file (array input): has {ROWS} rows, the run has n = 9000 neurons"
    ), done.stderr


def test_estimate_plans_a_per_neuron_array_of_more_rows_than_the_calibration_runs() -> None:
    p = lifsim.LIFParams(dt="1 ms", t_max="10 ms")
    rows = np.full((ROWS, 10), 2e-10)
    found = lifsim.estimate(p, inputs.array_input(rows) + inputs.white_noise(sigma="1 mV"), n=ROWS)
    assert found.what.startswith(f"{ROWS} neurons"), found.what
    with pytest.raises(ValueError, match=f"^array input: has {ROWS} rows, the run has n = 9000 neurons$"):
        lifsim.estimate(p, inputs.array_input(rows), n=9000)
