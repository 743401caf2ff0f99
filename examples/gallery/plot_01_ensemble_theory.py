"""
Ensemble statistics beside their theory
=======================================

The free membrane (spiking off) driven by white noise: the population mean and variance of V at every step,
against the closed-form moments of the Euler recursion (``lifsim.theory.euler_moments``).
"""

# %%
# 2000 neurons, spiking off, driven by 60 pA and white noise of 5 mV: the membrane the theory describes exactly,
# since forward Euler's mean and variance obey a linear recursion whose closed form ``euler_moments`` gives.
import matplotlib.pyplot as plt
import numpy as np

import lifsim
from lifsim import inputs, theory

params = lifsim.LIFParams(t_max="200 ms", dt="0.1 ms", i_mean="60 pA")
drive = inputs.white_noise("5 mV", params.i_mean)
run = lifsim.simulate(params, drive, n=2000, seed=1, spiking=False)
expected = theory.euler_moments(params, drive, steps=run.steps)

# %%
# The mean relaxes from E_L to E_L + R I_mean = -54 mV with time constant tau; the variance rises towards
# sigma^2 / (2 - dt/tau), in mV and mV^2 on the figure.
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6, 5))
top.plot(run.t * 1e3, run.v_mean * 1e3, label="simulation")
top.plot(run.t * 1e3, expected.mean * 1e3, "k--", label="theory")
top.set_ylabel("mean V (mV)")
top.legend()
bottom.plot(run.t * 1e3, run.v_var(1) * 1e6, label="simulation")
bottom.plot(run.t * 1e3, expected.var * 1e6, "k--", label="theory")
bottom.set_ylabel("variance of V (mV$^2$)")
bottom.set_xlabel("time (ms)")
fig.tight_layout()
print(
    f"stationary variance: simulated {np.mean(run.v_var(1)[-500:]) * 1e6:.3f} mV^2, "
    f"theory {expected.var[-1] * 1e6:.3f} mV^2"
)
