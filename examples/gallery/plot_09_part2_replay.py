"""
LIF Neuron Part II, exercise 5, replayed
========================================

The tutorial's fixed refractory period, number for number, with its figure (its "rate (Hz)" panel is spikes per
neuron per step; the replay prints the rate in Hz too).
"""

# %%
# ``run_part2("5")`` runs the tutorial's exercise 5 with its own random stream and conventions (the
# ``last_spike + t_ref > t`` clamp, the ``>=`` threshold) and prints its summary line, with the rate in Hz.
from lifsim.tutorial_part2 import run_part2

out = run_part2("5")
print(out.summary)
[fig] = out.draw()
