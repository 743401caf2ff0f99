"""``lifsim network`` (issue 18) through the installed script: runs, files, rerun, one-line errors."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LIFSIM = shutil.which("lifsim") or str(Path(sys.executable).with_name("lifsim"))


def lifsim(*argv, cwd):
    return subprocess.run([LIFSIM, *argv], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_network_command_saves_reruns_and_plots(tmp_path):
    # the command, at a size for a shared test machine
    done = lifsim(
        "network",
        "--g",
        "5",
        "--eta",
        "2",
        "--t-max",
        "0.1s",
        "--n-exc",
        "400",
        "--data",
        "net.nc",
        "--plot",
        "net.png",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Brunel network: N_E 400, N_I 100, C_E 40, C_I 10, g 5, eta 2")
    assert any(
        line.strip().startswith("E: rate") and "theory" in line and "CV" in line and "synchrony" in line
        for line in lines
    )
    assert any(line.startswith("build ") and ", simulate " in line and line.endswith(" s") for line in lines)
    assert (tmp_path / "net.nc").stat().st_size > 0 and (tmp_path / "net.png").read_bytes()[:4] == b"\x89PNG"
    again = lifsim("rerun", "net.nc", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "reproduced bit for bit" in again.stdout
    refused = lifsim("network", "--n-exc", "400", "--t-max", "10ms", "--data", "net.nc", cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--g", "-1"], "--g: the relative inhibition must be >= 0"),
        (["--epsilon", "0"], "--epsilon: the connection probability must be in (0, 1]"),
        (["--delay", "0.05ms"], "--delay: 5e-05 s is shorter than the time step"),
        (["--delay", "1.55ms"], "--delay: 0.00155 s is not a whole number of time steps"),
        (
            ["--n-exc", "80000", "--epsilon", "1"],
            "--n-exc: the network of 100,000 neurons and 10,000,000,000 synapses needs about",
        ),
        (["--record-spikes", "some"], "--record-spikes: expected"),
    ],
)
def test_bad_input_one_line_before_running(tmp_path, argv, needle):
    done = lifsim("network", *argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifsim: error: ") and needle in lines[0], lines
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_saturation_warns_on_one_line(tmp_path):
    done = lifsim("network", "--g", "0", "--eta", "4", "--t-max", "5ms", "--quiet", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        line for line in done.stderr.splitlines() if line.startswith("lifsim: warning: ")
    ]
    assert "reaches 1/t_ref = 500 Hz" in done.stderr
