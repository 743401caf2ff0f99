"""
Autocovariance of the free membrane
===================================

The sample autocovariance ``C(t - l dt, t)`` at three lags against the Euler recursion's ``b**l s(t - l dt)``.
"""

# %%
# The tutorial's ensemble (uniform noise, 1 ms steps), 5000 neurons, with the co-moments at lags of 1, 5 and 20
# steps accumulated while the run goes (no traces kept). The theory is the Euler recursion's: the covariance
# decays by ``b = 1 - dt/tau`` per step of lag.
import matplotlib.pyplot as plt

import lifsim
from lifsim import inputs, theory
from lifsim.plot import plot_autocov

params = lifsim.LIFParams(t_max="150 ms", dt="1 ms")
drive = inputs.uniform_noise(params.i_mean)
run = lifsim.simulate(params, drive, n=5000, seed=4, spiking=False, lags=(1, 5, 20))
fig, ax = plt.subplots(figsize=(6, 4))
plot_autocov(ax, run, theory.euler_moments(params, drive, steps=run.steps))
ax.set_title("lags 1, 5 and 20 steps: simulation (solid) and theory (dashed)")
fig.tight_layout()
