"""The reproducibility contract's "every machine" column: known answers that pin the bits of whole runs.

The other columns (engines, threads, block sizes, chunks, N prefix) are
proven in ``tests/test_engine_conformance.py`` by running the variants side
by side.  A machine cannot be varied inside one test run, so these runs'
SHA-256 digests are written here: CI on another CPU (Intel, AMD, ARM), OS or
compiler recomputes them, and any bit that depends on the machine fails the
test.  The values themselves are checked against closed-form theory elsewhere
(``tests/test_statistics.py``, ``tests/test_theory.py``); these digests only
pin their bits.  They change only with the stream version
(:data:`lifsim.streams.STREAM_VERSION`), which a change of them must bump;
every version this lifsim draws keeps its digests (version 2's are the ones
lifsim wrote before version 3 existed: its files rerun bit for bit).
"""

import hashlib
from fractions import Fraction

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.engine import installed
from lifsim.streams import STREAM_VERSION, STREAM_VERSIONS

ARRAYS = ("v_mean", "v_m2", "comoment", "v", "spike_t", "spike_i", "spike_count", "v_snapshots")
P = lifsim.LIFParams(t_max="30 ms", dt="0.1 ms")

RUNS = {
    "uniform, euler": (P, lambda: inputs.uniform_noise("250 pA", 1.2247), dict(method="euler")),
    "white + step, euler, t_ref": (
        P.replace(t_ref="1 ms", t_ref_std="0.5 ms"),
        lambda: inputs.white_noise("5 mV", "60 pA") + inputs.step("150 pA", onset="10 ms"),
        dict(method="euler"),
    ),
    "two whites + uniform, exact": (
        P,
        lambda: inputs.white_noise("3 mV", "150 pA") + inputs.white_noise("2 mV") + inputs.uniform_noise("80 pA", 0.5),
        dict(method="exact"),
    ),
    "white, exact, free membrane": (
        P,
        lambda: inputs.white_noise("4 mV", "100 pA"),
        dict(method="exact", spiking=False),
    ),
}

#: SHA-256 of each run's arrays per stream version; see the module docstring
DIGESTS = {
    3: {
        "uniform, euler": "2729f8018c8db521eb79065467ac1da12d550a922d5c05ea571c3c36e75e41b3",
        "white + step, euler, t_ref": "3531be497b017d978473b6d9dbd22b31cbe207e7b1ea217e37c3c5a8a8ea8429",
        "two whites + uniform, exact": "46b423f33bc7eca9580aad61c873ad48a2f036a1bb41c1a78b53990e79503900",
        "white, exact, free membrane": "92f8a4234c4f3e4659c31718cdb8a3726f5e1502338f0509c980d628e3b59704",
    },
    2: {
        "uniform, euler": "2729f8018c8db521eb79065467ac1da12d550a922d5c05ea571c3c36e75e41b3",
        "white + step, euler, t_ref": "71b4950a73d29d2ad0532c7aa02b8c02876d8e364d14c293cc20c9a5bf064bb4",
        "two whites + uniform, exact": "1b8f42bd83e6b07b972c4fd3c6e2fb43bf5bece2a9381240b3456661c8cdfce6",
        "white, exact, free membrane": "8a78e0954f6044d1881a06bc705a834164208ef0db3d5e7aca2957b3d582a170",
    },
}


def digest(run: lifsim.Result) -> str:
    h = hashlib.sha256()
    for name in ARRAYS:
        value = getattr(run, name)
        h.update(name.encode())
        if value is not None:
            value = np.ascontiguousarray(value)
            h.update(str(value.dtype.str).encode() + str(value.shape).encode() + value.tobytes())
    return h.hexdigest()


def make(name: str, engine: str, version: int = STREAM_VERSION) -> lifsim.Result:
    params, source, kwargs = RUNS[name]
    return lifsim.simulate(
        params,
        source(),
        stream_version=version,
        n=700,
        seed=20261126,
        engine=engine,
        record_v="0:700:37",
        lags=(1, 9),
        snapshots=("5 ms", "25 ms"),
        **kwargs,
    )


@pytest.mark.parametrize("engine", installed())
@pytest.mark.parametrize("name", list(RUNS))
@pytest.mark.parametrize("version", STREAM_VERSIONS)
def test_runs_have_the_same_bits_on_every_machine(version, name, engine):
    assert set(DIGESTS) == set(STREAM_VERSIONS), "a new stream version needs new digests here"
    assert digest(make(name, engine, version)) == DIGESTS[version][name]


def test_the_versions_differ_in_the_normals_only():
    """The uniform-noise run draws no normal: both versions give its bits; the white-noise runs differ."""
    assert DIGESTS[3]["uniform, euler"] == DIGESTS[2]["uniform, euler"]
    assert all(DIGESTS[3][name] != DIGESTS[2][name] for name in RUNS if "white" in name)


def test_the_exact_method_decay_is_correctly_rounded():
    """exp(-dt/tau) comes from lifsim.portable.exp, not the platform's libm (which differs in rare last bits)."""
    from lifsim import portable

    for x in (-0.005, -1e-4 / 0.02, -0.25 / 0.02, -1e-6, -0.7):
        y = portable.exp(x)
        # y is at least as close to e**x (an 80-term Taylor sum in exact rationals) as its neighbours are
        below, above = np.nextafter(y, -np.inf), np.nextafter(y, np.inf)
        series = _exp_fraction(Fraction(x))
        assert abs(Fraction(y) - series) <= abs(Fraction(below) - series)
        assert abs(Fraction(y) - series) <= abs(Fraction(above) - series)


def _exp_fraction(x: Fraction, terms: int = 80) -> Fraction:
    total, term = Fraction(1), Fraction(1)
    for k in range(1, terms):
        term = term * x / k
        total += term
    return total
