"""
Histograms of V under white noise
=================================

Snapshots of every neuron's V at three times: the distribution widens towards the stationary one.
"""

# %%
# 3000 spiking neurons, all starting at E_L; ``snapshots`` keeps every neuron's V at the three times (no traces
# needed).
import matplotlib.pyplot as plt
import numpy as np

import lifsim
from lifsim import inputs

params = lifsim.LIFParams(t_max="0.5 s", dt="0.1 ms", i_mean="60 pA", t_ref="2 ms")
run = lifsim.simulate(
    params, inputs.white_noise("5 mV", params.i_mean), n=3000, seed=2, snapshots=("10 ms", "50 ms", "400 ms")
)
# %%
# At 10 ms the neurons are still near E_L; by 400 ms the distribution is stationary, cut off at the threshold
# (the dotted line) and fed at the reset potential by the neurons that just fired.
fig, ax = plt.subplots(figsize=(6, 4))
for t, v in zip(run.snapshot_t, run.v_snapshots):
    ax.hist(v * 1e3, bins=60, histtype="step", density=True, label=f"t = {t * 1e3:.0f} ms")
ax.axvline(params.vth * 1e3, color="k", linestyle=":", label="threshold")
ax.set_xlabel("V (mV)")
ax.set_ylabel("density (1/mV)")
ax.legend()
print(f"rate {run.rate:.2f} Hz, CV {run.cv():.2f}, mean V at 400 ms {np.mean(run.v_snapshots[-1]) * 1e3:.2f} mV")
