"""Brunel's states (issue 18): AI at the theory's rate, SR fast and periodic, synchrony ordered as NEST's.

The in-degrees C_E = 1,000 and C_I = 250 of the default network are kept with fewer neurons (larger
epsilon), so that mu and sigma, and the theory's rate, are those of Brunel's Fig. 8.
"""

import numpy as np
import pytest

import lifsim.network as ln

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def states():
    out = {}
    for name, (g, eta) in {"AI": (5.0, 2.0), "SR": (3.0, 2.0), "SIfast": (6.0, 4.0)}.items():
        out[name] = ln.network(n_exc=2000, epsilon=0.5, g=g, eta=eta, t_max=0.4, record_spikes="none").dataset
    return out


def test_ai_rate_at_the_theory(states):
    ai = ln.network(n_exc=4000, epsilon=0.25, g=5.0, eta=2.0, t_max=0.6, record_spikes="none").dataset
    theory = float(ai["rate_theory"])
    assert theory == pytest.approx(37.95, abs=0.01)
    assert float(ai["rate"][0]) == pytest.approx(theory, rel=0.03)  # NEST: 37.7 Hz
    assert 0.3 < float(ai["cv"][0]) < 0.7  # NEST: 0.42


def test_sr_fires_fast_and_periodically(states):
    sr = states["SR"]
    assert float(sr["rate"][0]) > 200  # NEST: 333 Hz
    assert float(sr["cv"][0]) < 0.1


def test_synchrony_of_sr_and_si_fast_well_above_ai(states):
    ai, sr, si = (float(states[k]["synchrony"][0]) for k in ("AI", "SR", "SIfast"))
    assert sr > 3 * ai and si > 1.3 * ai and np.isfinite(ai)
