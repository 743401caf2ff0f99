"""The README's examples run: its Python blocks and its main set-up command."""

import re
from pathlib import Path

import numpy as np

from lifsim.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_main_job_command(tmp_path, monkeypatch):
    text = README.read_text()
    command = re.search(r"pip install \. && lifsim (simulate[^\n]*)", text).group(1).split()
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    data = np.load(tmp_path / "lif.npz")
    assert data["v_mean"].shape == (150,)
    assert (tmp_path / "lif.png").read_bytes()[:4] == b"\x89PNG"
