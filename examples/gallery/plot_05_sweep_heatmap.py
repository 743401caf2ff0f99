"""
A parameter sweep: rate and CV maps
===================================

``lifsim.sweep`` over mean current and membrane time constant, one ensemble per point, Siegert's rate beside.
"""

import lifsim
from lifsim.plot import plot_sweep

params = lifsim.LIFParams(t_max="0.4 s", dt="0.1 ms", t_ref="2 ms")
ds = lifsim.sweep(params, {"i_mean": "50:400pA:6", "tau": "10ms,20ms,40ms"}, n=100, seed=5, sigma="5 mV")
print(ds[["rate", "rate_theory", "cv"]].to_dataframe().round(2).head(6))
fig = plot_sweep(ds)
