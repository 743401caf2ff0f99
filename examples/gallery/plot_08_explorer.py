"""
The explorer's figure
=====================

``lifsim.explore()`` puts sliders for the model's parameters beside a live figure in Jupyter (ipywidgets, extra
``lifsim[notebook]``). Setting a slider's value redraws the figure, as moving it does; here the input is switched
to white noise and its strength raised.
"""

import matplotlib.pyplot as plt

import lifsim

explorer = lifsim.explore()
explorer.controls["input"].value = "white"
explorer.controls["sigma"].value = 8.0  # mV
# the explorer shows its figure through the widget; here it is handed to pyplot to be shown on the page
manager = plt.figure(figsize=explorer.figure.get_size_inches()).canvas.manager
manager.canvas.figure = explorer.figure
explorer.figure.set_canvas(manager.canvas)
print(f"sliders: {', '.join(explorer.controls)}; rate on screen {explorer.result.rate:.1f} Hz")
