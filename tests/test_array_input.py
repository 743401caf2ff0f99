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
