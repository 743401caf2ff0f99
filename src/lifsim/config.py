"""Run configuration files (TOML) for ``lifsim simulate --config run.toml``.

Every ``simulate`` option is a key, spelled like the option without its
dashes (``t_max`` or ``t-max``); command-line flags override the file.  The
file is parsed with ``tomllib`` (``tomli`` before Python 3.11): reading it
never runs code.  Unknown keys and values of the wrong type are errors that
name the key and the type expected.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_KEYS", "read_config", "TEMPLATE"]

_QUANTITY = (str, int, float)

#: key -> (accepted Python types, what to write)
CONFIG_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "n": ((int,), "a whole number >= 1"),
    "t_max": (_QUANTITY, 'a time, e.g. "150 ms" or 0.15'),
    "dt": (_QUANTITY, 'a time, e.g. "1 ms"'),
    "tau": (_QUANTITY, 'a time, e.g. "20 ms"'),
    "el": (_QUANTITY, 'a voltage, e.g. "-60 mV"'),
    "vr": (_QUANTITY, 'a voltage, e.g. "-70 mV"'),
    "vth": (_QUANTITY, 'a voltage, e.g. "-50 mV"'),
    "r": (_QUANTITY, 'a resistance, e.g. "100 MOhm"'),
    "i_mean": (_QUANTITY, 'a current, e.g. "250 pA"'),
    "v0": (_QUANTITY, 'a voltage, e.g. "-60 mV"'),
    "t_ref": (_QUANTITY, 'a time, e.g. "2 ms"'),
    "t_ref_std": (_QUANTITY, 'a time, e.g. "1 ms"'),
    "round_steps": ((bool,), "true or false"),
    "input": ((str,), 'an input kind such as "uniform" or "sine+uniform"'),
    "amplitude": (_QUANTITY, "a number (the uniform noise's A)"),
    "period": (_QUANTITY, 'a time, e.g. "10 ms"'),
    "sigma": (_QUANTITY, 'a voltage, e.g. "5 mV"'),
    "onset": (_QUANTITY, 'a time, e.g. "50 ms"'),
    "input_file": ((str,), "a path to a .npy file"),
    "seed": ((int,), "a whole number >= 0"),
    "spiking": ((bool,), "true or false"),
    "method": ((str,), '"euler" or "exact"'),
    "engine": ((str,), '"auto", "numba" or "numpy"'),
    "threads": ((int,), "a whole number >= 1"),
    "record_v": ((str, bool, list), '"all", "0:100", a list of neuron indices, or false'),
    "record_spikes": ((bool,), "true or false"),
    "lags": ((str, list), "a list of whole numbers of steps, e.g. [1, 5, 10]"),
    "snapshots": ((str, list), 'a list of times, e.g. ["10 ms", "100 ms"]'),
    "data": ((str,), "an output path (.nc, .zarr, .npz or .csv)"),
    "plot": ((str,), "a figure path (.png, .svg or .pdf)"),
    "xkcd": ((bool,), "true or false"),
    "quiet": ((bool,), "true or false"),
}


def read_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a run configuration; return ``{key: value}`` with canonical keys.

    Raises ``ValueError`` naming the file and, for a bad entry, the key and
    the expected type.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    source = Path(path)
    try:
        with open(source, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"--config: {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"--config: {str(path)!r} is a folder, expected a .toml file") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"--config: {str(path)!r} is not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise ValueError(f"--config: {str(path)!r} is not a text file") from None
    if "simulate" in raw and isinstance(raw["simulate"], dict):  # an optional [simulate] table
        raw = {**{k: v for k, v in raw.items() if k != "simulate"}, **raw["simulate"]}
    config: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name in config:
            raise ValueError(f"--config: {str(path)!r}: key {key!r} is given twice (as - and _ spellings)")
        if name not in CONFIG_KEYS:
            raise ValueError(
                f"--config: {str(path)!r}: unknown key {key!r}; known keys: {', '.join(sorted(CONFIG_KEYS))}"
            )
        types, expected = CONFIG_KEYS[name]
        if isinstance(value, bool) and bool not in types:
            raise ValueError(f"--config: {str(path)!r}: key {key!r} must be {expected}, got {value!r}")
        if not isinstance(value, types):
            raise ValueError(
                f"--config: {str(path)!r}: key {key!r} must be {expected}, got {type(value).__name__} {value!r}"
            )
        if isinstance(value, list):
            if name == "lags" and not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
                raise ValueError(f"--config: {str(path)!r}: key {key!r} must be {expected}, got {value!r}")
            if name == "snapshots" and not all(isinstance(x, _QUANTITY) and not isinstance(x, bool) for x in value):
                raise ValueError(f"--config: {str(path)!r}: key {key!r} must be {expected}, got {value!r}")
            if name == "record_v" and not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
                raise ValueError(f"--config: {str(path)!r}: key {key!r} must be {expected}, got {value!r}")
        config[name] = value
    return config


TEMPLATE = """# lifsim run configuration: `lifsim simulate --config run.toml`
# Every `lifsim simulate` option is a key (dashes or underscores); flags given
# on the command line override the values here. Values with units are strings.

n = 1000                     # neurons
seed = 1                     # random seed: neuron j's noise depends only on (seed, j)

# model (the tutorial's values)
t_max = "150 ms"
dt = "1 ms"
tau = "20 ms"
el = "-60 mV"
vr = "-70 mV"
vth = "-50 mV"
r = "100 MOhm"
i_mean = "250 pA"
# v0 = "-60 mV"              # default: el
t_ref = "0 ms"
# t_ref_std = "0 ms"         # per-neuron random refractory period

# input: constant, sine, uniform, white, step, array, or a sum such as "sine+uniform"
input = "uniform"
# amplitude = 1.2247         # uniform noise A (default 0.1 sqrt(t_max / dt), the tutorial's)
# period = "10 ms"           # sine
# sigma = "5 mV"             # white noise
# onset = "50 ms"            # step
# input_file = "current.npy" # array (A)

# run
spiking = false              # threshold and reset
method = "euler"             # or "exact"
engine = "auto"              # numba where installed, else numpy
# threads = 2
record_v = "0:10"            # full traces of neurons 0..9 ("all", "0:100", [0, 5, 9], or false)
record_spikes = true
lags = [1, 5, 10]            # autocovariance lags (steps)
# snapshots = ["10 ms", "100 ms"]

# output
data = "run.nc"              # .nc, .zarr, .npz or .csv
plot = "run.png"             # .png, .svg or .pdf
"""
