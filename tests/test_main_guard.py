"""A script that starts local Dask workers (``runner=N``) must keep its run under ``if __name__ == "__main__":``:
refused in one message before any worker starts (lifsim.runners.main_guard)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lifsim
from lifsim.runners.main_guard import _guarded

pytest.importorskip("distributed")

_UNGUARDED = """import lifsim
run = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=200, seed=1, runner=2)
print(run.spike_count.sum())
"""


def _script(tmp_path, text: str, name: str = "study.py") -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_a_script_that_starts_workers_without_the_main_guard_is_told_so(tmp_path):
    """``runner=2`` at a script's top level: every spawned worker imports the script again and runs the call
    once more, and the user read pages of tracebacks from every worker ("...before the current process has
    finished its bootstrapping phase", "Nanny failed to start"). Refused before any worker starts, naming the
    script's line and the guard; also where the call is in a function the top level calls."""
    done = _script(tmp_path, _UNGUARDED)
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ValueError: runner=2: the worker processes import ") and "study.py" in last
    assert "its line 2 once more" in last and 'if __name__ == "__main__":' in last
    assert "bootstrapping" not in done.stderr and "Nanny" not in done.stderr
    in_function = "import lifsim\n\ndef main():\n    lifsim.simulate(n=20, seed=1, runner=2)\n\nmain()\n"
    done = _script(tmp_path, in_function, "study2.py")
    assert done.returncode == 1 and "its line 6 once more" in done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("source", "line", "guarded"),
    [
        ('if __name__ == "__main__":\n    run()\n', 2, True),
        ("if '__main__' == __name__:\n    x = 1\n    run()\n", 3, True),
        ('run()\nif __name__ == "__main__":\n    pass\n', 1, False),
        ('if __name__ != "__main__":\n    run()\n', 2, False),
        ('if __name__ == "__main__":\n    pass\nelse:\n    run()\n', 4, False),
        ('if True:\n    if __name__ == "__main__":\n        run(\n            2)\n', 4, True),
    ],
)
def test_the_guard_is_read_from_the_scripts_source(source, line, guarded):
    assert _guarded(source, line) is guarded


@pytest.mark.cluster
def test_a_guarded_script_starts_its_workers(tmp_path):
    body = "".join(f"    {line}\n" for line in _UNGUARDED.splitlines()[1:])
    done = _script(tmp_path, f"import lifsim\n\nif __name__ == '__main__':\n{body}")
    assert done.returncode == 0, done.stderr
    plain = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=200, seed=1)
    assert int(done.stdout) == int(plain.spike_count.sum())
