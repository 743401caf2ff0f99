"""
Brunel's four states (his Fig. 8)
=================================

Brunel's (2000) sparse excitatory-inhibitory network (12,500 neurons, 1,250 inputs each) in its four states,
set by the relative inhibition ``g`` and the external drive ``eta``: synchronous regular (SR), synchronous
irregular with fast oscillations (SI fast), asynchronous irregular (AI) and synchronous irregular with slow
oscillations (SI slow). Each panel is a raster of 50 excitatory neurons over 100 ms and the population activity
below it, in the layout of his Fig. 8.
"""

# %%
# Four runs of the default network (Brunel's Fig. 8 parameters: N_E = 10,000, epsilon = 0.1, J = 0.1 mV,
# D = 1.5 ms, t_ref = 2 ms), 0.4 s each; the statistics use the last 0.2 s. ``record_spikes=50`` keeps the
# spikes of the first 50 neurons of each population; rates, CVs and synchrony use every spike.
import matplotlib.pyplot as plt
import numpy as np

import lifsim
from lifsim.network.model import STATES

runs = {name: lifsim.network(g=g, eta=eta, t_max="0.4 s", record_spikes=50) for name, (g, eta) in STATES.items()}
for name, run in runs.items():
    ds = run.dataset
    print(
        f"{name:>8}: g {run.params.g:g}, eta {run.params.eta:g}: E rate {float(ds['rate'][0]):6.1f} Hz "
        f"(theory {float(ds['rate_theory']):6.1f} Hz), CV {float(ds['cv'][0]):.2f}, "
        f"synchrony {float(ds['synchrony'][0]):6.1f}"
    )

# %%
# The theory (the self-consistent Siegert rate) is drawn as a dashed line: it describes the AI state, where the
# simulated rate sits on it; in SR the neurons fire nearly every refractory period in lockstep, and in the two SI
# states the population activity oscillates (fast at about 180 Hz, slow at about 20 Hz) while single neurons
# fire irregularly.
window = (0.25, 0.35)  # s
fig, axes = plt.subplots(
    4, 2, figsize=(11, 8), height_ratios=[2, 1, 2, 1], sharex=True, layout="constrained", squeeze=False
)
for k, (name, run) in enumerate(runs.items()):
    ds, p = run.dataset, run.params
    raster, activity = axes[2 * (k // 2), k % 2], axes[2 * (k // 2) + 1, k % 2]
    t, i = ds["spike_t"].values, ds["spike_i"].values
    shown = (i < 50) & (t >= window[0]) & (t < window[1])
    raster.plot(t[shown] * 1e3, i[shown], "|", color="tab:blue", ms=3)
    raster.set_title(f"{name}: g = {p.g:g}, eta = {p.eta:g}")
    raster.set_ylabel("neuron")
    steps = np.arange(p.steps)
    at = ((steps + 1) * p.dt >= window[0]) & ((steps + 1) * p.dt < window[1])
    rate = ds["population_rate"].values[0, at]
    bins = rate[: rate.size // 5 * 5].reshape(-1, 5).mean(axis=1)  # 0.5 ms bins
    centres = window[0] * 1e3 + (np.arange(bins.size) + 0.5) * 0.5
    activity.plot(centres, bins, color="k", lw=0.7)
    activity.axhline(float(ds["rate_theory"]), color="tab:red", ls="--", lw=1)
    activity.set_ylabel("E rate (Hz)")
for ax in axes[-1]:
    ax.set_xlabel("time (ms)")
plt.show()
