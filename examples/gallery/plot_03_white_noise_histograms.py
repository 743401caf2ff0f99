"""
Histograms of V under white noise
=================================

Snapshots of every neuron's V at three times: the distribution widens towards the stationary one, which lifsim's
theory gives for the simulation's own time grid.
"""

# %%
# 3000 spiking neurons, all starting at E_L; ``snapshots`` keeps every neuron's V at the three times (no traces
# needed).
import matplotlib.pyplot as plt
import numpy as np

import lifsim
from lifsim import inputs
from lifsim.plot import STATIONARY_AFTER_TAU, plot_v_histograms
from lifsim.theory import stationary_density, stationary_rate

params = lifsim.LIFParams(t_max="0.5 s", dt="0.1 ms", i_mean="60 pA", t_ref="2 ms")
noise = inputs.white_noise("5 mV", params.i_mean)
run = lifsim.simulate(params, noise, n=3000, seed=2, snapshots=("10 ms", "50 ms", "400 ms"))

# %%
# At 10 ms the neurons are still near E_L; by 400 ms the distribution is stationary, cut off at the threshold
# (the dotted line) and fed at the reset potential by the neurons that just fired. The black dashed steps are the
# theory: the stationary distribution of V on the simulation's grid (``lifsim.theory.stationary_density``, from
# the grid's Markov chain; the spike at the reset potential is the neurons just reset and held there for their
# refractory period), drawn as the histogram it predicts on the same bins for each snapshot five membrane time
# constants or more after the start -- what ``lifsim simulate --snapshots 10ms,50ms,400ms --plot`` draws.
edges, masses, at_reset = stationary_density(params, noise)
since = STATIONARY_AFTER_TAU * params.tau  # 100 ms: the snapshots from then on are compared with it
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
plot_v_histograms(ax, run.snapshot_t, run.v_snapshots, bins=60, stationary=(edges, masses, at_reset, params.vr, since))
ax.axvline(params.vth * 1e3, color="k", linestyle=":", label="threshold")
ax.legend(loc="upper left", fontsize="small")
rate, theory = stationary_rate(params, noise)
print(f"rate {run.rate:.2f} Hz (theory, {theory}: {rate:.2f} Hz), CV {run.cv():.2f}")
print(f"mean V at 400 ms {np.mean(run.v_snapshots[-1]) * 1e3:.2f} mV")
