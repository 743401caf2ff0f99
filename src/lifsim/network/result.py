"""The result of a network run: an xarray Dataset, its terminal summary, and saving it.

Layout (SI units; figures convert to ms and Hz):

=====================  ====================  =====  ================================================
variable               dims                  unit   meaning
=====================  ====================  =====  ================================================
``spike_t``            spike                 s      spike time ``(step + 1) dt`` (recorded neurons)
``spike_i``            spike                        neuron: E 0 .. N_E - 1, then I
``population_rate``    population, time      Hz     spikes per step over population size and dt
``neuron_rate``        neuron                Hz     rate in the analysis window
``neuron_cv``          neuron                       ISI CV in the window (NaN below 3 spikes)
``rate``               population            Hz     mean of ``neuron_rate``
``cv``                 population                   mean of the finite ``neuron_cv``
``synchrony``          population                   Fano factor of 1 ms counts (2,000 neurons)
``rate_theory``        --                    Hz     Brunel's self-consistent rate
``mu_theory``          --                    V      mean input there
``sigma_theory``       --                    V      input noise strength there
=====================  ====================  =====  ================================================

``attrs["lifsim_network"]`` holds the provenance as JSON (parameters, seed, engine, threads, stream
versions, build and simulate times, record selection, analysis window); :func:`rerun` remakes
the run from it.  Formats: ``.nc`` (NetCDF-4), ``.zarr``, ``.npz`` (all reloadable) and
``.csv`` (the per-step population rates, provenance in ``#`` lines).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_file, check_output_path, check_path_type
from ..errors import require
from ..follows import changed, follows
from ..netcdf_io import read_dataset as read_netcdf
from ..netcdf_io import write_dataset as write_netcdf
from ..npz_io import read_arrays, save_arrays
from ..store import NETWORK_ATTR, check_overwrite
from ..store import is_network_file as is_network_result
from ..store import read_dataset as read_store
from ..store import write_dataset as write_store
from .analysis import SYNCHRONY_BIN, SYNCHRONY_NEURONS, _nanmean, analysis_start, neuron_statistics, statistics
from .model import NETWORK_SUFFIXES, BrunelParams
from .record import record_mask
from .theory import Theory

if TYPE_CHECKING:  # the run module builds results; a result only reads a run's fields
    from .run import NetworkRun

__all__ = ["NetworkResult", "SUFFIXES", "check_target", "least_output_bytes", "load", "is_network_result"]

SUFFIXES = NETWORK_SUFFIXES
ATTR = NETWORK_ATTR


@dataclass
class NetworkResult:
    """A network run's Dataset (``dataset``) and provenance (``provenance``, also in the Dataset's attrs)."""

    dataset: Any

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(json.loads(self.dataset.attrs[ATTR]))

    def to_dataset(self) -> Any:
        """The run as an ``xarray.Dataset`` (:attr:`dataset`), as :meth:`lifsim.Result.to_dataset` gives a
        neuron run's."""
        return self.dataset

    @property
    def params(self) -> BrunelParams:
        return BrunelParams(**self.provenance["params"])

    @classmethod
    def from_run(
        cls, run: NetworkRun, theory: Theory, record: str, command: str | None = None, config: dict | None = None
    ) -> NetworkResult:
        """Analyse ``run`` and lay it out as a Dataset (``command`` and ``config``: how it was asked for)."""
        import xarray as xr

        from ..request import stamp
        from .keys import NETWORK_STREAM_VERSION

        p = run.params
        stats = statistics(p, run.spike_step, run.spike_i)
        keep = record_mask(p, record)[run.spike_i]
        spike_t = (run.spike_step[keep].astype(np.float64) + 1.0) * p.dt
        provenance = {
            "kind": "brunel-network",
            "params": p.as_dict(),
            "derived": {k: v for k, v in p.derived().items() if k not in p.as_dict()},
            "engine": run.engine,
            "threads": run.threads,
            "block": run.block,
            "record_spikes": record,
            # the network's own draws (connectivity, Poisson input, initial V): no normals of the ensemble streams
            "stream": f"counter-splitmix64/network-{NETWORK_STREAM_VERSION}",
            "network_stream_version": NETWORK_STREAM_VERSION,
            "build_s": run.build_s,
            "build_detail": run.extra,
            "simulate_s": run.simulate_s,
            "synapse_bytes": run.synapse_bytes,
            "spikes_total": int(run.spike_i.size),
            "analysis_start_s": stats.start * p.dt,
            "synchrony": f"Fano factor of the spike count in {SYNCHRONY_BIN * 1e3:g} ms bins of the first "
            f"{SYNCHRONY_NEURONS} neurons of each population (or all), over the analysis window",
            **stamp(command, config),
        }
        time_s = (np.arange(p.steps, dtype=np.float64) + 1.0) * p.dt
        hz = {"units": "Hz"}
        ds = xr.Dataset(
            data_vars={
                "spike_t": ("spike", spike_t, {"units": "s", "long_name": "spike time"}),
                "spike_i": ("spike", run.spike_i[keep].astype(np.int32), {"long_name": "neuron (E first, then I)"}),
                "population_rate": (
                    ("population", "time"),
                    stats.population_rate,
                    {**hz, "long_name": "population rate per step"},
                ),
                "neuron_rate": ("neuron", stats.neuron_rate, {**hz, "long_name": "rate in the analysis window"}),
                "neuron_cv": ("neuron", stats.neuron_cv, {"units": "1", "long_name": "ISI coefficient of variation"}),
                "rate": ("population", np.array(stats.mean_rate), {**hz, "long_name": "mean rate"}),
                "cv": (
                    "population",
                    np.array(stats.mean_cv),
                    {"units": "1", "long_name": "mean of the neurons' ISI CVs"},
                ),
                "synchrony": (
                    "population",
                    np.array(stats.synchrony),
                    {"units": "1", "long_name": "Fano factor of 1 ms population counts"},
                ),
                "rate_theory": ((), theory.rate, {**hz, "long_name": "self-consistent rate (Brunel 2000)"}),
                "mu_theory": ((), theory.mu, {"units": "V", "long_name": "mean input at the theory's rate"}),
                "sigma_theory": ((), theory.sigma, {"units": "V", "long_name": "input noise at the theory's rate"}),
            },
            coords={
                "population": ("population", np.array(["E", "I"])),
                "time": ("time", time_s, {"units": "s"}),
                "neuron": ("neuron", np.arange(p.n, dtype=np.int32)),
            },
            attrs={ATTR: json.dumps(provenance)},
        )
        return cls(ds)

    # ------------------------------------------------------------------ text
    def summary(self) -> str:
        """Per population: rate, CV and synchrony beside the theory; the last line ``build X s, simulate Y s``."""
        ds, prov = self.dataset, self.provenance
        p = self.params
        theory = float(ds["rate_theory"])
        lines = [
            f"Brunel network: N_E {p.n_exc:,}, N_I {p.n_inh:,}, C_E {p.c_exc}, C_I {p.c_inh}, "
            f"g {p.g:g}, eta {p.eta:g}, "
            f"J {p.j * 1e3:g} mV, D {p.delay * 1e3:g} ms, {p.t_max * 1e3:g} ms in steps of {p.dt * 1e3:g} ms "
            f"({prov['engine']}, {prov['threads']} thread{'s' if prov['threads'] != 1 else ''})",
            f"statistics from {prov['analysis_start_s'] * 1e3:g} ms; theory (AI state): {theory:.2f} Hz, "
            f"mu {float(ds['mu_theory']) * 1e3:.2f} mV, sigma {float(ds['sigma_theory']) * 1e3:.2f} mV",
        ]
        window = p.t_max - prov["analysis_start_s"]
        for index, name in enumerate(("E", "I")):
            rate, cv, sync = (float(ds[v][index]) for v in ("rate", "cv", "synchrony"))
            # a theory that rounds to 0.00 Hz (a silent network's fixed point, 1e-41 Hz) has no relative error
            off = f", {(rate - theory) / theory * 100:+.1f}%" if theory >= 0.005 else ""
            # a silent population has no intervals (CV) and no fluctuations (synchrony): say so, not nan
            cv_text = f"{cv:.2f}" if math.isfinite(cv) else "none (no neuron with three spikes in the window)"
            sync_text = f"{sync:.1f}" if math.isfinite(sync) else "none (no spikes in the window)"
            if not math.isfinite(sync) and window < SYNCHRONY_BIN:
                sync_text = f"none (the window is shorter than a {SYNCHRONY_BIN * 1e3:g} ms bin)"
            counted = min(p.n_exc if name == "E" else p.n_inh, SYNCHRONY_NEURONS)
            lines.append(
                f"  {name}: rate {rate:.2f} Hz (theory {theory:.2f} Hz{off}), CV {cv_text}, synchrony {sync_text}"
                + (f" of {counted:,} neurons" if math.isfinite(sync) else "")
            )
        lines.append(f"build {prov['build_s']:.2f} s, simulate {prov['simulate_s']:.2f} s")
        return "\n".join(lines)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the result (``.nc``, ``.zarr``, ``.npz``, ``.csv`` or ``.nwb``, by suffix) atomically.

        An existing file or store is refused unless ``overwrite=True`` (the command line's ``--force``), and
        a missing package of the format (pynwb for ``.nwb``) is named before anything is written.
        """
        from ..atomic import saving

        target, suffix = check_target(path, overwrite, "save")
        with saving(overwrite):  # a file another writer makes meanwhile is never replaced without overwrite
            self._write(target, suffix)
        return target

    def _write(self, target: Path, suffix: str) -> None:
        """Write the Dataset to ``target`` in the format of ``suffix`` (checked by :meth:`save`)."""
        ds = self.dataset
        if suffix == ".nc":  # the run's own NetCDF layer: SHA-256 and Fletcher-32 checksums, atomic
            write_netcdf(ds, target)
        elif suffix == ".zarr":  # the store layer: a writer lock, a manifest of checksums, atomic creation
            write_store(ds, target)
        elif suffix == ".nwb":  # Neurodata Without Borders 2 (extra lifsim[nwb]; checked above)
            from ..formats.nwb import save_network

            save_network(self, target)
        elif suffix == ".npz":  # the run's own npz layer: atomic
            arrays = {name: np.asarray(ds[name].values) for name in ds.variables if name != "population"}
            arrays["population"] = np.array(["E", "I"])
            described = {name: dict(ds[name].attrs) for name in ds.variables if ds[name].attrs}  # units, long names
            arrays[VARIABLE_ATTRS] = np.array(json.dumps(described))
            save_arrays(target, {**arrays, ATTR: np.array(ds.attrs[ATTR])})
        else:  # .csv: the per-step population rates
            rates = ds["population_rate"].values
            with atomic_file(target) as tmp, open(tmp, "w", newline="") as handle:
                handle.write(f"# {ATTR}: {ds.attrs[ATTR]}\n")
                handle.write("time (s),rate_E (Hz),rate_I (Hz)\n")
                for t, e, i in zip(grid_times(self.params), rates[0].tolist(), rates[1].tolist()):
                    handle.write(f"{t},{e!r},{i!r}\n")

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """The figure (:func:`lifsim.network.plot.figure`), saved to ``path`` when given (``.png``, ``.svg`` or
        ``.pdf``, checked before the figure is drawn; written atomically), as :meth:`lifsim.Result.plot`."""
        from ..atomic import FIGURE_SUFFIXES
        from .plot import figure

        if path is not None:
            check_output_path(path, FIGURE_SUFFIXES, "path")
        fig = figure(self)
        if path is not None:
            from ..plot import save_figure

            save_figure(fig, path)
        return fig


def check_target(path: str | os.PathLike, overwrite: bool = False, what: str = "path") -> tuple[Path, str]:
    """Everything about a network result's output path that can be checked before a run: its suffix
    (:data:`SUFFIXES`), its folder, the format's package (pynwb for ``.nwb``) and that it names no existing result
    unless ``overwrite`` (``--force``); the path and its suffix."""
    target = check_output_path(path, SUFFIXES, what)
    suffix = target.suffix.lower()
    if suffix == ".nwb":
        require("pynwb", extra="nwb", subject="writing .nwb", what=what)
    check_overwrite(path, overwrite, what)
    return target, suffix


#: the share of the mean-field rate a lower bound of the spikes counts on: a network in a synchronous state fires
#: away from its asynchronous theory (Brunel's state SI fires at about half of it)
LEAST_RATE_SHARE = 0.25


def grid_times(params: BrunelParams) -> Iterator[str]:
    """The times of a run's steps as a table writes them: step k ends at (k + 1) dt, computed in decimal from dt as
    written (its shortest text), so that 3 steps of 0.1 ms end at 0.0003, not at the float sum 0.00030000000000000003
    (each text reads back to within an ulp of the float time the dataset holds)."""
    from decimal import Context, Decimal

    exact = Context(prec=60)  # dt's 17 digits times a count of up to 10: never rounded
    step = Decimal(repr(float(params.dt)))
    for k in range(1, params.steps + 1):
        yield format(exact.multiply(step, k).normalize(exact), "f")


def least_output_bytes(params: BrunelParams, record: str) -> int:
    """At least how many bytes of arrays a run's result holds (a file's size before compression; nothing run):
    the recorded neurons' spikes at :data:`LEAST_RATE_SHARE` of the theory's rate
    (:func:`~lifsim.network.theory.self_consistent_rate`), 12 bytes each; the per-step times and population
    rates; the per-neuron rates, CVs and indices."""
    import warnings

    from .theory import self_consistent_rate

    with warnings.catch_warnings():  # the run says the theory's warnings itself
        warnings.simplefilter("ignore")
        rate = LEAST_RATE_SHARE * self_consistent_rate(params).rate
    spikes = int(record_mask(params, record).sum()) * min(rate, 1.0 / max(params.t_ref, params.dt)) * params.t_max
    return int(12 * spikes) + 3 * 8 * params.steps + 20 * params.n


#: the ``.npz`` member that holds each variable's attributes (units, long names) as JSON, as .nc and .zarr keep them
VARIABLE_ATTRS = "lifsim_network_variables"


def _describe(data: Any, described: Any, source: Path) -> None:
    """Give ``data``'s variables the attributes a ``.npz`` kept (a file written before it kept them has none)."""
    if described is None:
        return
    try:
        table = json.loads(str(described))
    except ValueError:
        raise ValueError(f"{source}: its {VARIABLE_ATTRS} is not JSON (damaged)") from None
    if not isinstance(table, dict):
        raise ValueError(f"{source}: its {VARIABLE_ATTRS} is not a table of attributes (damaged)")
    for name, attrs in table.items():
        if name in data.variables and isinstance(attrs, dict):
            data[name].attrs.update({str(k): str(v) for k, v in attrs.items() if isinstance(v, (str, int, float))})


#: the theory's names before they became a network sweep's (``theory_rate`` -> ``rate_theory``): files written
#: before read with the new names, so a rerun compares them with the new run's
OLD_NAMES = {"theory_rate": "rate_theory", "theory_mu": "mu_theory", "theory_sigma": "sigma_theory"}


def load(path: str | os.PathLike) -> NetworkResult:
    """Read a saved network result (``.nc``, ``.zarr`` or ``.npz``); ValueError where a member does not follow
    from the run (:func:`check_members`: a file edited by hand, its checksums made again)."""
    import xarray as xr

    check_path_type(path, "load")
    source = Path(path)
    suffix = source.suffix.lower()
    if not source.exists():
        raise ValueError(f"load: {str(path)!r} does not exist")
    if suffix == ".nc":
        data = read_netcdf(source, what="a lifsim network result")
    elif suffix == ".zarr":
        data = read_store(source, "network")
    elif suffix == ".npz":
        arrays = read_arrays(source)  # the zip members' CRC-32s and SHA-256s checked; never unpickled
        arrays = {OLD_NAMES.get(name, name): value for name, value in arrays.items()}
        dims = {
            "spike_t": ("spike",),
            "spike_i": ("spike",),
            "population_rate": ("population", "time"),
            "neuron_rate": ("neuron",),
            "neuron_cv": ("neuron",),
            "rate": ("population",),
            "cv": ("population",),
            "synchrony": ("population",),
            "rate_theory": (),
            "mu_theory": (),
            "sigma_theory": (),
        }
        missing = [name for name in (*dims, "population", "time", "neuron", ATTR) if name not in arrays]
        if missing:
            raise ValueError(f"{source}: not a lifsim network result (no {missing[0]} in it)")
        data = xr.Dataset(
            {name: (d, arrays[name]) for name, d in dims.items()},
            coords={"population": arrays["population"], "time": arrays["time"], "neuron": arrays["neuron"]},
            attrs={ATTR: str(arrays[ATTR])},
        )
        _describe(data, arrays.get(VARIABLE_ATTRS), source)
    else:
        raise ValueError(f"load: a network result is a .nc, .zarr or .npz file, got {str(path)!r}")
    data = data.rename({old: new for old, new in OLD_NAMES.items() if old in data.variables})
    if ATTR not in data.attrs:
        if data.attrs.get("title") == "lifsim sweep":  # a network sweep's .nc
            raise ValueError(f"load: {str(path)!r} is a lifsim sweep, not one network; read it with lifsim.load_sweep")
        raise ValueError(f"load: {str(path)!r} is not a lifsim network result (no {ATTR} provenance)")
    check_members(data, ATTR, str(source))  # members edited by hand, their checksums made again: refused
    return NetworkResult(data)


# ------------------------------------------------------------------ what a loaded file must follow from
#: what check_members calls a file it refuses
KIND = "lifsim network result"


def _params(data: Any, attr: str) -> tuple[dict[str, Any], BrunelParams] | str:
    """The provenance and its parameters, or why they cannot be read."""
    try:
        prov = json.loads(str(data.attrs[attr]))
        params = BrunelParams(**prov["params"])
    except (ValueError, TypeError, KeyError) as error:
        return f"its provenance's parameters cannot be read ({str(error)[:200]})"
    if not isinstance(prov, dict):
        return "its provenance is not a table"
    return prov, params


def _theory_problem(data: Any, params: BrunelParams) -> str | None:
    """The stored theory against the theory of the stored parameters."""
    from .theory import self_consistent_rate

    try:
        with warnings.catch_warnings():  # the run said the theory's warnings
            warnings.simplefilter("ignore")
            theory = self_consistent_rate(params)
    except (ValueError, ArithmeticError):
        return "rate_theory"
    for name, value in (("rate_theory", theory.rate), ("mu_theory", theory.mu), ("sigma_theory", theory.sigma)):
        if not follows(value, data[name].values, rtol=1e-9):
            return name
    return None


def _spike_steps(data: Any, params: BrunelParams) -> np.ndarray | None:
    """The step of each stored spike (``spike_t = (step + 1) dt``), or None where a time is off the grid, out of
    the run or out of time order, or a neuron index is not one of the network's."""
    spike_t, spike_i = np.asarray(data["spike_t"].values), np.asarray(data["spike_i"].values)
    if spike_t.dtype.kind != "f" or spike_i.dtype.kind not in "iu" or spike_t.shape != spike_i.shape:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        if spike_t.size and not (np.all(np.isfinite(spike_t)) and np.all(np.diff(spike_t) >= 0)):
            return None
        steps = np.rint(spike_t / params.dt).astype(np.int64) - 1
    if spike_t.size and (steps[0] < 0 or steps[-1] >= params.steps or spike_i.min() < 0 or spike_i.max() >= params.n):
        return None
    if not np.array_equal((steps + 1.0) * params.dt, spike_t):
        return None
    return steps


def _spike_problem(data: Any, prov: dict[str, Any], params: BrunelParams) -> str | None:
    """The members the stored spikes give (all of them where every neuron's spikes were recorded)."""
    steps = _spike_steps(data, params)
    if steps is None:  # named by the caller: in time order on the run's grid, of the network's neurons
        return "spike_t"
    spike_i = np.asarray(data["spike_i"].values).astype(np.int64)
    try:
        mask = record_mask(params, prov.get("record_spikes", "all"))
    except ValueError:
        return "record_spikes"
    if spike_i.size and not mask[spike_i].all():
        return "spike_i"
    if not mask.all():  # some neurons' spikes: their rates and CVs
        rates, cvs = neuron_statistics(params, steps, spike_i, analysis_start(params))
        for name, ours in (("neuron_rate", rates), ("neuron_cv", cvs)):
            if not follows(ours[mask], np.asarray(data[name].values)[mask]):
                return name
        return None
    if prov.get("spikes_total", spike_i.size) != spike_i.size:
        return "spikes_total"
    stats = statistics(params, steps, spike_i)
    rebuilt = {
        "population_rate": stats.population_rate,
        "neuron_rate": stats.neuron_rate,
        "neuron_cv": stats.neuron_cv,
        "synchrony": np.array(stats.synchrony),
    }
    return next((name for name, ours in rebuilt.items() if not follows(ours, data[name].values)), None)


def check_members(data: Any, attr: str, source: str) -> None:
    """ValueError (one line naming ``source`` and the member) where a loaded network result's members do not
    follow from its run.

    A file's checksums say it was not damaged by accident; they cannot say it was not edited (a member rewritten and
    its SHA-256 made again).  So every member that follows from the run is computed again, by the functions the run
    used (:mod:`lifsim.network.analysis`, :mod:`lifsim.network.theory`), and a file that disagrees is refused in one
    line, as :meth:`lifsim.Result.check_stored` refuses a neuron run's:

    * the provenance's parameters give its derived values and the theory (``rate_theory``, ``mu_theory``,
      ``sigma_theory``; 1e-9 relative, the quadrature's last bits);
    * ``rate`` is the mean of ``neuron_rate`` and ``cv`` the mean of the finite ``neuron_cv`` of each population;
    * the spikes are in time order, on the time grid, of recorded neurons; where every neuron's were recorded, they
      give ``population_rate``, ``neuron_rate``, ``neuron_cv`` and ``synchrony`` (and their number ``spikes_total``),
      elsewhere the recorded neurons' rates and CVs.

    The means and variances are compared to 1e-12 relative (a sum in another order changes the last bits); the rest
    is computed the same way and compared to the same tolerance.
    """
    found = _params(data, attr)
    if isinstance(found, str):
        raise ValueError(f"{source}: damaged {KIND} ({found})")
    prov, params = found
    shapes = {
        "time": (params.steps,),
        "neuron": (params.n,),
        "population_rate": (2, params.steps),
        "neuron_rate": (params.n,),
        "neuron_cv": (params.n,),
        "rate": (2,),
        "cv": (2,),
        "synchrony": (2,),
    }
    for name, shape in shapes.items():
        if data[name].shape != shape:
            raise ValueError(changed(source, name, "the provenance's parameters", KIND))
    derived = prov.get("derived", {})
    for name, value in params.derived().items():
        if name in derived and derived[name] != value:
            raise ValueError(changed(source, f"the provenance's {name}", "its parameters", KIND))
    if prov.get("analysis_start_s", analysis_start(params) * params.dt) != analysis_start(params) * params.dt:
        raise ValueError(changed(source, "the provenance's analysis_start_s", "its parameters", KIND))
    theory = _theory_problem(data, params)
    if theory is not None:
        raise ValueError(changed(source, theory, "the provenance's parameters", KIND))
    rate, cv = np.asarray(data["neuron_rate"].values), np.asarray(data["neuron_cv"].values)
    ne = params.n_exc
    if not follows([float(rate[:ne].mean()), float(rate[ne:].mean())], data["rate"].values):
        raise ValueError(changed(source, "rate", "neuron_rate (the mean of each population's)", KIND))
    if not follows([_nanmean(cv[:ne]), _nanmean(cv[ne:])], data["cv"].values):
        raise ValueError(changed(source, "cv", "neuron_cv (the mean of each population's finite CVs)", KIND))
    spikes = _spike_problem(data, prov, params)
    if spikes == "spike_t":
        raise ValueError(
            f"{source}: damaged {KIND} (its spikes are not in time order on the run's time grid, of the network's "
            "neurons: the file was changed)"
        )
    if spikes is not None:
        raise ValueError(changed(source, spikes, "the stored spikes", KIND))
