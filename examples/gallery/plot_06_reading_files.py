"""
Reading lifsim files elsewhere: xarray, Elephant, pynwb
=======================================================

A run saved as NetCDF opens in xarray with its units; the same run converts to a Neo block for Elephant and to an
NWB file for pynwb.
"""

# %%
# A NetCDF file opens in xarray with its units and provenance in the attributes.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr

import lifsim
from lifsim import inputs

params = lifsim.LIFParams(t_max="0.3 s", dt="0.1 ms", i_mean="60 pA")
run = lifsim.simulate(params, inputs.white_noise("5 mV", params.i_mean), n=300, seed=6, record_v="0:3")
folder = Path(tempfile.mkdtemp())
run.save(folder / "run.nc")
ds = xr.open_dataset(folder / "run.nc")
print(ds)

# %%
# The same run as a Neo block, for Elephant's statistics (extra ``neo``).
try:  # Elephant and Neo (extra lifsim[neo])
    import elephant.statistics
    import quantities as pq

    block = run.to_neo()
    trains = block.segments[0].spiketrains
    rates = [float(elephant.statistics.mean_firing_rate(train).rescale(pq.Hz)) for train in trains]
    print(f"Elephant: {len(trains)} spike trains, mean rate {sum(rates) / len(rates):.2f} Hz")
except ImportError:
    print("Elephant is not installed (pip install '.[neo]')")

# %%
# And as an NWB file, for pynwb and the NWB tools (extra ``nwb``).
try:  # pynwb (extra lifsim[nwb])
    from pynwb import NWBHDF5IO

    run.save(folder / "run.nwb")
    with NWBHDF5IO(str(folder / "run.nwb"), "r") as io:
        nwb = io.read()
        print(f"NWB: {len(nwb.units)} units, processing modules {list(nwb.processing)}")
except ImportError:
    print("pynwb is not installed (pip install '.[nwb]')")

# %%
# The file holds SI values; the figure is drawn in ms and mV.
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(ds["v_mean"][ds["v_mean"].dims[0]] * 1e3, ds["v_mean"] * 1e3)  # the file is SI; the figure speaks ms and mV
ax.set_ylabel("mean V (mV)")
ax.set_xlabel("time (ms)")
fig.tight_layout()
