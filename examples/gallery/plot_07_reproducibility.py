"""
The same bits on every engine
=============================

One run on the numpy reference, on the numba engine with one thread and with all threads, and (where a C compiler
is present) on the GPU engine's CPU twin: every array is identical, bit for bit.
"""

# %%
# The same request on every installed engine: 1000 neurons, white noise, traces of five, the autocovariance at
# lag 3, spikes.
import matplotlib.pyplot as plt
import numpy as np

import lifsim
from lifsim import inputs
from lifsim.engine import installed

params = lifsim.LIFParams(t_max="0.2 s", dt="0.1 ms", t_ref="2 ms")
kwargs = dict(n=1000, seed=7, record_v="0:5", lags=(3,))
runs = {"numpy": lifsim.simulate(params, inputs.white_noise("4 mV", "150 pA"), engine="numpy", **kwargs)}
for engine in installed():
    if engine != "numpy":
        runs[engine] = lifsim.simulate(params, inputs.white_noise("4 mV", "150 pA"), engine=engine, **kwargs)
# %%
# Compare every array byte for byte with the numpy reference.
reference = runs["numpy"]
for engine, run in runs.items():
    same = all(
        np.asarray(getattr(run, name)).tobytes() == np.asarray(getattr(reference, name)).tobytes()
        for name in ("v_mean", "v_m2", "comoment", "v", "spike_t", "spike_i", "spike_count")
    )
    print(f"{engine:>10}: {run.total_spikes} spikes, bitwise equal to numpy: {same}")

# %%
# The mean V of each run, drawn over one another: the curves coincide because the numbers do.
fig, ax = plt.subplots(figsize=(6, 3))
for engine, run in runs.items():
    ax.plot(run.t * 1e3, run.v_mean * 1e3, label=engine, alpha=0.6)
ax.set_xlabel("time (ms)")
ax.set_ylabel("mean V (mV)")
ax.legend()
fig.tight_layout()
