"""
A parameter sweep: rate and CV maps
===================================

``lifsim.sweep`` over mean current and membrane time constant, one ensemble per point, Siegert's rate beside.
"""

# %%
# The grid: six mean currents from 50 to 400 pA and three time constants, each point an ensemble of 100 neurons
# driven by white noise of 5 mV for 3.5 s (2 ms refractory period). Point ``p`` draws from seed ``5 * 2**32 + p``,
# so any point gives the same numbers run alone with ``lifsim.simulate``.
#
# The slowest point (50 pA, tau = 40 ms) fires at about 4 Hz. Its rate and CV are measured after a transient of
# 0.5 s, long enough for neurons all started at E_L to forget that start, over the 3 s that follow: a dozen
# intervals a neuron, so that its long intervals end inside the window. With the default 100 ms transient and a
# shorter run, ``lifsim.sweep`` says so in a ``PlausibilityWarning`` naming those points.
import matplotlib.pyplot as plt

import lifsim
from lifsim.plot import plot_sweep

params = lifsim.LIFParams(t_max="3.5 s", dt="0.1 ms", t_ref="2 ms")
grid = {"i_mean": "50:400pA:6", "tau": "10ms,20ms,40ms"}
ds = lifsim.sweep(params, grid, n=100, seed=5, sigma="5 mV", transient="0.5 s")

# %%
# The result is an ``xarray.Dataset`` in SI units, one dimension per swept name. Shown in the figures' units
# (pA, ms, Hz): the simulated rate, Siegert's rate on the same grid, and the CV of the interspike intervals.
table = ds[["rate", "rate_theory", "cv"]].to_dataframe().reset_index()
table["i_mean (pA)"] = (table.pop("i_mean") * 1e12).round(1)
table["tau (ms)"] = (table.pop("tau") * 1e3).round(1)
table = table.rename(columns={"rate": "rate (Hz)", "rate_theory": "Siegert (Hz)", "cv": "CV"})
print(table.set_index(["i_mean (pA)", "tau (ms)"]).round(2).head(6).to_string())

# %%
# The maps: rate, CV and Fano factor over the grid, each beside its theory where there is one. Below 100 pA
# (R I under V_th - E_L = 10 mV) the mean drive alone stays under threshold and the neurons fire only through the
# noise; there the rate depends steeply on tau, as Siegert's formula says. The figure is the one ``lifsim sweep
# --plot`` saves, six panels 15 inches wide; drawn here with larger text, so that it stays readable at the width
# of this page.
with plt.rc_context({"font.size": 14, "axes.titlesize": 13, "legend.fontsize": 11}):
    fig = plot_sweep(ds)
