"""Progress bars: on when asked (or long and on a terminal), off with --quiet or a non-terminal stderr."""

import lifsim
from lifsim.cli import main


def test_progress_bar_when_asked(capsys):
    for engine in ("numpy", "numba"):
        lifsim.simulate(lifsim.LIFParams(t_max=0.05), n=10, engine=engine, progress=True)
        err = capsys.readouterr().err
        assert "neuron-step" in err and "lifsim" in err


def test_no_progress_bar_when_not_a_terminal_or_quiet(capsys):
    lifsim.simulate(lifsim.LIFParams(t_max=0.05), n=10)  # stderr is captured: not a terminal
    assert capsys.readouterr().err == ""
    assert main(["simulate", "--n", "10", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_progress_decision_by_expected_duration(monkeypatch):
    import sys

    from lifsim.simulation import make_progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert make_progress(None, "numba", 100, 100) is None  # far below 2 s
    bar = make_progress(None, "numpy", 10_000_000, 10_000)  # minutes: shown
    assert bar is not None
    bar.close()
    assert make_progress(False, "numpy", 10_000_000, 10_000) is None
