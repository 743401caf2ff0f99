"""
The explorer's figure
=====================

``lifsim.explore()`` puts sliders for the model's parameters beside a live figure in Jupyter (ipywidgets, extra
``notebook``: ``pip install ".[notebook]"``). Setting a control's value redraws the figure, as moving it does.
"""

# %%
# Start the explorer and change what a student would: white noise instead of the tutorial's uniform noise, a
# stronger noise, and spiking on. Several changes at once are held and drawn once.
import matplotlib.pyplot as plt

import lifsim

explorer = lifsim.explore()
with explorer.hold():
    explorer.controls["input"].value = "white"
    explorer.controls["sigma"].value = 8.0  # mV
    explorer.controls["spiking"].value = True

# %%
# The figure it shows: ten traces with the mean +/- std and the threshold, the histogram of V at the last step,
# the raster and the population rate in Hz against the stationary rate that theory predicts. (In a notebook the
# explorer shows it through its widget; here it is handed to pyplot to be shown on this page.)
manager = plt.figure(figsize=explorer.figure.get_size_inches()).canvas.manager
manager.canvas.figure = explorer.figure
explorer.figure.set_canvas(manager.canvas)
print(
    f"controls: {', '.join(explorer.controls)}\n"
    f"rate on screen {explorer.result.rate:.1f} Hz, theory {explorer.theory_rate:.1f} Hz"
)
