"""
An f-I curve with Siegert's rate
================================

Rates of 200 neurons at each mean current with white noise of 5 mV, against the Siegert first-passage formula
and the noiseless curve.
"""

# %%
# Nine mean currents from 0 to 400 pA; at each, 200 neurons for 0.6 s with white noise of 5 mV and a 2 ms
# refractory period. Below 100 pA (R I < V_th - E_L) only the noise makes the neurons fire, which the noiseless
# curve cannot show and Siegert's rate does.
import numpy as np

import lifsim
from lifsim import fi_curve
from lifsim.plot import plot_fi_figure

params = lifsim.LIFParams(t_max="0.6 s", dt="0.1 ms", t_ref="2 ms")
curve = fi_curve(params, np.linspace(0, 400e-12, 9), n=200, sigma="5 mV", seed=3)
fig = plot_fi_figure(curve)
