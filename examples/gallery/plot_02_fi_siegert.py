"""
An f-I curve with Siegert's rate
================================

Rates of 200 neurons at each mean current with white noise of 5 mV, against the Siegert first-passage formula
and the noiseless curve.
"""

import numpy as np

import lifsim
from lifsim.fi import fi_curve
from lifsim.plot import plot_fi_figure

params = lifsim.LIFParams(t_max="0.6 s", dt="0.1 ms", t_ref="2 ms")
curve = fi_curve(params, np.linspace(0, 400e-12, 9), n=200, sigma="5 mV", seed=3)
fig = plot_fi_figure(curve)
