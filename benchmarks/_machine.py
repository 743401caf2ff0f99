"""The machine a benchmark ran on, as its tables name it."""

from __future__ import annotations

import os
import platform

from lifsim.versions import cpu_model


def machine() -> str:
    """CPU model (with its family and model numbers), core count, Python version and OS."""
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
