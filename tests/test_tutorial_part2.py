"""LIF Neuron Part II replayed: the tutorial's solution code bit for bit, the spec's numbers, the command line."""

from __future__ import annotations

import numpy as np
import pytest
import tutorial2_solutions as sol
from cli_helpers import in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.tutorial_part2 import DEMO_MU, DEMO_SIGMA, PART2_EXERCISES, run_part2, slider_start


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def spike_lists(spikes: dict) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's dict of lists read out neuron by neuron (the replay's spike_i, spike_t)."""
    neurons = [j for j in spikes for _ in spikes[j]]
    times = [t for j in spikes for t in spikes[j]]
    return np.array(neurons, dtype=np.int64), np.array(times, dtype=float)


@pytest.fixture(scope="module")
def replays():
    return {ex: run_part2(ex) for ex in PART2_EXERCISES}


def test_exercise1_histograms(replays):
    ref, out = sol.exercise1(), replays["1"].data
    for name in ("i", "v", "counts_a", "edges_a", "counts_b", "edges_b"):
        assert same(ref[name], out[name]), name
    assert same(out["v_a"], ref["v"][:, 15]) and same(out["v_b"], ref["v"][:, 149])
    # the spec's values
    spans = [(x.min(), x.max(), x.mean()) for x in (out["v_a"], out["v_b"])]
    assert spans == [
        (pytest.approx(-0.05598, abs=1e-5), pytest.approx(-0.03760, abs=1e-5), pytest.approx(-0.04658, abs=1e-5)),
        (pytest.approx(-0.04584, abs=1e-5), pytest.approx(-0.02372, abs=1e-5), pytest.approx(-0.03504, abs=1e-5)),
    ]


def test_exercise1_current_and_v_carry_over_to_the_other_exercises_and_part_one(replays):
    assert same(replays["1"].data["i"][:500], replays["2"].data["i"])
    from lifsim.tutorial import run_exercise

    part1 = run_exercise(13).data["v"]  # Part I's exercise 13: the same first 50 neurons
    assert same(replays["1"].data["v"][:50], part1)


@pytest.mark.parametrize("ex", ["2", "3"])
def test_exercises_2_and_3_spike_dictionaries(replays, ex):
    ref = getattr(sol, f"exercise{ex}")()
    out = replays[ex].data
    assert same(ref["v"], out["v"]) and same(ref["i"], out["i"])
    spike_i, spike_t = spike_lists(ref["spikes"])
    assert same(spike_i, out["spike_i"]) and same(spike_t, out["spike_t"])
    assert same(ref["spikes_mean"], out["spikes_mean"])
    if ex == "2":
        assert same(ref["v_mean"], out["v_mean"])


def test_exercise4_raster_and_the_spec_numbers(replays):
    ref, out = sol.exercise4(), replays["4"].data
    assert same(ref["v"], out["v"]) and same(ref["raster"].astype(bool), out["raster"])
    assert same(ref["spikes_mean"], out["spikes_mean"])
    raster = out["raster"]
    assert int(raster.sum()) == 4272
    assert np.flatnonzero(raster.any(axis=0))[0] == 5
    assert out["spikes_mean"].max() == 0.164 and out["spikes_mean"].argmax() == 9
    assert min(np.diff(np.flatnonzero(row)).min() for row in raster if row.sum() > 1) == 10


def test_exercise5_fixed_refractory_period_and_its_ties(replays):
    ref, out = sol.exercise5(), replays["5"].data
    for name in ("v", "last_spike"):
        assert same(ref[name], out[name]), name
    raster = out["raster"]
    assert same(ref["raster"].astype(bool), raster) and int(raster.sum()) == 2907
    assert min(np.diff(np.flatnonzero(row)).min() for row in raster if row.sum() > 1) == 19
    # how long each spike clamps: 9 steps, or 10 where rounding makes t_s + 0.01 > t_{s+10} (spec section 6)
    held = {9: 0, 10: 0}
    tenth = set()
    v, t = out["v"], out["t"]
    for j, s in zip(*np.nonzero(raster)):
        k = 1
        while s + k < t.size and v[j, s + k] == sol.vr:
            k += 1
        held[k - 1] = held.get(k - 1, 0) + 1
        if k - 1 == 10:
            tenth.add(int(s))
    assert held[9] == 2370 and held[10] == 338
    assert tenth == {9, 17, 18, 34, 35, 36, 43, 50, 51, 52, 135, 136, 137, 138, 139}


def test_the_demo_starts_where_the_sliders_start():
    assert (DEMO_MU, DEMO_SIGMA) == (0.02, 0.010000000000000002)
    assert slider_start(0.01, 0.05, 0.01) == 0.02 and slider_start(0.001, 0.02, 0.001) == 0.010000000000000002


def test_demo_at_the_slider_start_and_at_the_quoted_values(replays):
    start = replays["demo"].data
    ref = sol.demo(DEMO_MU, DEMO_SIGMA)
    for name in ("v", "t_ref", "last_spike"):
        assert same(ref[name], start[name]), name
    assert int((start["t_ref"] == 0).sum()) == 9 and int(start["raster"].sum()) == 2323
    quoted = run_part2("demo", t_ref=0.01, t_ref_std=0.007).data
    assert int((quoted["t_ref"] == 0).sum()) == 39 and int(quoted["raster"].sum()) == 3004
    assert same(quoted["v"], replays["6"].data["v"])  # bitwise exercise 6


def test_exercise6_functions(replays):
    ref, out = sol.exercise6(), replays["6"].data
    for name in ("v", "t_ref", "last_spike"):
        assert same(ref[name], out[name]), name
    assert same(ref["raster"].astype(bool), out["raster"]) and int(out["raster"].sum()) == 3004


def test_exercise7_class_running_clock_and_its_print(replays):
    ref, replay = sol.exercise7(), replays["7"]
    out = replay.data
    for name in ("v", "t_ref", "last_spike", "clock"):
        assert same(ref[name], out[name]), name
    assert same(ref["raster"].astype(bool), out["raster"])
    assert replay.lines == [ref["printed"]] == ["Ran for 0.15s in 150 steps."]
    assert int(out["raster"].sum()) == 2885 and np.flatnonzero(out["raster"].any(axis=0))[0] == 4
    assert out["clock"][-1] == 0.1500000000000001
    assert int((out["clock"] != (np.arange(150) + 1) * 1e-3).sum()) == 141
    neurons, steps = np.nonzero(out["raster"])
    assert same(out["spike_t"], out["clock"][steps]) and same(out["spike_i"], neurons)


def test_late_rates_in_hz_as_the_companion_corrects_them(replays):
    late = {ex: replays[ex].data["spikes_mean"][50:].mean() / 1e-3 for ex in ("2", "5", "demo", "6", "7")}
    assert [round(late[ex], 1) for ex in ("2", "5", "demo", "6", "7")] == [57.5, 38.2, 29.9, 39.0, 37.6]


def test_lifsim_own_model_gives_exercise_2(replays):
    """lifsim.simulate with the tutorial's current as an array input (spikes reset at once, no refractoriness)
    gives exercise 2's voltages and spikes: the library's model is the tutorial's (no exact tie at vth here)."""
    out = replays["2"].data
    params = lifsim.LIFParams()
    run = lifsim.simulate(params, inputs.array_input(out["i"][:, 1:]), n=500, steps=150, record_v="all")
    assert same(run.traces(), out["v"])
    assert run.total_spikes == int(out["raster"].sum())


def test_cli_part2(capsys, tmp_path):
    rc, out, err = run_cli(capsys, ["tutorial", "--part", "2", "7", "--data", str(tmp_path / "p7.npz")])
    assert rc == 0, err
    assert out.splitlines()[0] == "Ran for 0.15s in 150 steps."
    with np.load(tmp_path / "p7.npz") as data:
        for name in ("t", "i", "v", "raster", "spike_i", "spike_t", "spikes_mean", "v_mean", "t_ref", "last_spike"):
            assert name in data.files, name
        assert data["clock"][-1] == 0.1500000000000001
    rc, out, err = run_cli(capsys, ["tutorial", "--part", "2", "demo", "--t-ref", "10 ms", "--t-ref-std", "7 ms",
                                    "--plot", str(tmp_path / "demo.png")])  # fmt: skip
    assert rc == 0, err
    assert (tmp_path / "demo.png").stat().st_size > 1000 and (tmp_path / "demo-tref.png").stat().st_size > 1000
    assert "3004 spikes" in out + err
    for argv, flag in (
        (["tutorial", "--part", "3", "1"], "--part"),
        (["tutorial", "--part", "2", "8"], "EX"),
        (["tutorial", "--part", "2", "5", "--t-ref", "3ms"], "--t-ref"),
        (["tutorial", "--part", "2", "demo", "--t-ref-std", "-1ms"], "--t-ref-std"),
        (["tutorial", "3", "--t-ref", "3ms"], "--t-ref"),
        (["tutorial", "--part", "2", "demo", "--sigma", "7ms"], "--sigma: renamed --t-ref-std"),
        (["tutorial", "--part", "2", "demo", "--mu", "10ms"], "--mu: renamed --t-ref"),
    ):
        rc, _out, err = run_cli(capsys, argv)
        assert rc == 2 and err.startswith(f"lifsim: error: {flag}") and err.count("\n") == 1, (argv, err)
    rc, out, _err = run_cli(capsys, ["tutorial", "--part", "2"])
    assert rc == 0 and "demo" in out and "LIFNeurons" in out


def test_every_part2_figure_draws(replays):
    for ex in PART2_EXERCISES:
        figures = replays[ex].draw()
        assert len(figures) == (2 if ex == "demo" else 1)
        assert all(figure.axes for figure in figures)


def test_the_hint_to_draw_the_demo_keeps_its_settings():
    """It said 'lifsim tutorial --part 2 demo --plot part2-demo.png', which draws the default 20 ms / 10 ms run."""
    from cli_helpers import run_script

    done = run_script(["tutorial", "--part", "2", "demo", "--t-ref", "10ms", "--t-ref-std", "7ms"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "draw it with 'lifsim tutorial --part 2 demo --t-ref 10ms --t-ref-std 7ms --plot part2-demo.png'"
    )


@pytest.mark.parametrize("argv", [["tutorial", "--part", "2", "2"], ["tutorial", "8"], ["tutorial", "10"]])
def test_a_vector_figure_of_many_dots_stays_small(argv, tmp_path):
    """Part II's exercise 2 as .svg was 10 MiB and Part I's exercise 10 9 MiB: every faint dot a vector.  The dense
    artists are rasterized in vector files now (a .png is the same bytes)."""
    from cli_helpers import run_script

    done = run_script([*argv, "--plot", "x.svg"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.svg").stat().st_size < 2 * 2**20
