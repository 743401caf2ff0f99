"""The GPU engine (``engine="cuda"``) and its CPU twin (``engine="cuda-twin"``); see :mod:`.engine`."""
