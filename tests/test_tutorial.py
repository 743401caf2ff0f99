"""Every tutorial exercise against its SAMPLE OUTPUT and against the tutorial's own code.

``tutorial_solutions.py`` holds the tutorial's solution code, executed verbatim
with a recording stand-in for ``plt``; the replay must give the same numbers
bit for bit.
"""

import numpy as np
import pytest
import tutorial_solutions

from lifsim.tutorial import run_exercise

SAMPLE_OUTPUT = {
    1: ["0.15 0.001 0.02 -0.06 -0.07 -0.05 100000000.0 2.5e-10"],
    2: [
        "2.5e-10",
        "3.969463130731183e-10",
        "4.877641290737885e-10",
        "4.877641290737885e-10",
        "3.9694631307311837e-10",
        "2.5000000000000007e-10",
        "1.0305368692688176e-10",
        "1.2235870926211617e-11",
        "1.223587092621159e-11",
        "1.0305368692688186e-10",
    ],
    3: [
        "0.000 2.5000e-10",
        "0.001 3.9695e-10",
        "0.002 4.8776e-10",
        "0.003 4.8776e-10",
        "0.004 3.9695e-10",
        "0.005 2.5000e-10",
        "0.006 1.0305e-10",
        "0.007 1.2236e-11",
        "0.008 1.2236e-11",
        "0.009 1.0305e-10",
    ],
    4: [
        "0.000 -6.0000e-02",
        "0.001 -5.8750e-02",
        "0.002 -5.6828e-02",
        "0.003 -5.4548e-02",
        "0.004 -5.2381e-02",
        "0.005 -5.0778e-02",
        "0.006 -4.9989e-02",
        "0.007 -4.9974e-02",
        "0.008 -5.0414e-02",
        "0.009 -5.0832e-02",
    ],
}


@pytest.fixture(scope="module")
def reference():
    return {ex: tutorial_solutions.run_solution(ex) for ex in range(1, 15)}


@pytest.mark.parametrize("ex", [1, 2, 3, 4])
def test_printed_lines_equal_sample_output(ex):
    assert run_exercise(ex).lines == SAMPLE_OUTPUT[ex]


@pytest.mark.parametrize("ex", [1, 2, 3, 4])
def test_printed_lines_equal_tutorial_code(ex, reference):
    assert run_exercise(ex).lines == reference[ex]["stdout_lines"]


def _points(plots, fmt):
    """(x, y) of every recorded plt.plot call with format ``fmt``, as arrays."""
    calls = [args for args, _kwargs in plots if isinstance(args[-1], str) and args[-1] == fmt]
    return [np.asarray(a[0], dtype=float) for a in calls], [np.asarray(a[1], dtype=float) for a in calls]


def test_ex2_3_current_values(reference):
    ns = reference[2]["namespace"]
    out = run_exercise(2)
    assert out.data["i"][-1] == ns["i"]
    assert out.data["t"][-1] == ns["t"]


def test_ex5_current_points(reference):
    ts, ys = _points(reference[5]["plots"], "ko")
    out = run_exercise(5)
    np.testing.assert_array_equal(np.concatenate([t.ravel() for t in ts]), out.data["t"])
    np.testing.assert_array_equal(np.concatenate([y.ravel() for y in ys]), out.data["i"])


@pytest.mark.parametrize("ex", [6, 7])
def test_single_neuron_loops(ex, reference):
    ts, vs = _points(reference[ex]["plots"], "k.")
    out = run_exercise(ex)
    assert out.data["v"].shape == (150,)
    np.testing.assert_array_equal(np.array([float(t) for t in ts]), out.data["t"])
    np.testing.assert_array_equal(np.array([float(v) for v in vs]), out.data["v"])


@pytest.mark.parametrize("ex", [8, 9, 10])
def test_list_ensembles(ex, reference):
    plots = reference[ex]["plots"]
    ts, vs = _points(plots, "k.")
    out = run_exercise(ex)
    assert out.data["v"].shape == (50, 150)
    np.testing.assert_array_equal(np.array([t[0] for t in ts]), out.data["t"])
    np.testing.assert_array_equal(np.array(vs).T, out.data["v"])
    if ex >= 9:
        _, means = _points(plots, "C0.")
        np.testing.assert_array_equal(np.array([float(m) for m in means]), out.data["v_mean"])
    if ex == 10:
        _, bounds = _points(plots, "C7.")
        upper = np.array([float(b) for b in bounds[0::2]])
        lower = np.array([float(b) for b in bounds[1::2]])
        np.testing.assert_array_equal(upper, out.data["v_mean"] + out.data["v_std"])
        np.testing.assert_array_equal(lower, out.data["v_mean"] - out.data["v_std"])
        assert out.data["v_std"][-1] == reference[10]["namespace"]["v_std"]


@pytest.mark.parametrize("ex", [11, 12, 13, 14])
def test_numpy_exercises(ex, reference):
    ns = reference[ex]["namespace"]
    out = run_exercise(ex)
    np.testing.assert_array_equal(ns["t_range"], out.data["t"])
    np.testing.assert_array_equal(ns["i"], out.data["i"])
    np.testing.assert_array_equal(ns["v" if ex < 13 else "v_n"], out.data["v"])
    if ex == 14:
        np.testing.assert_array_equal(ns["v_mean"], out.data["v_mean"])
        np.testing.assert_array_equal(ns["v_std"], out.data["v_std"])


@pytest.mark.parametrize("ex", range(5, 15))
def test_figures_match_tutorial_labels(ex, reference):
    fig = run_exercise(ex).draw()
    ax = fig.axes[0]
    assert ax.get_title() == reference[ex]["title"]
    assert ax.get_xlabel() == reference[ex]["xlabel"]
    assert ax.get_ylabel() == reference[ex]["ylabel"]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_exercise_14_legend():
    fig = run_exercise(14).draw()
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["V(t)", "mean", r"mean $\pm$ std"]
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize("bad", [0, 15, -1, 3.0, "1", True])
def test_unknown_exercise(bad):
    with pytest.raises(ValueError, match="1 to 14"):
        run_exercise(bad)
