"""A run as an ``xarray.Dataset``: named dimensions, units in attrs, provenance.

Layout (schema ``lifsim-result-1``):

==================  ====================  =====  ===============================================
variable            dimensions            units  meaning
==================  ====================  =====  ===============================================
``time``            (time,)               s      time grid ``t_k = k dt`` (coordinate)
``v_mean``          (time,)               V      ensemble mean of V
``v_m2``            (time,)               V**2   sum over neurons of squared deviations
``v_var``           (time,)               V**2   sample variance (``ddof`` attr, 1)
``v_std``           (time,)               V      sample standard deviation (ddof 1)
``i``               (time,)               A      ensemble-mean input current (noise averaged out)
``autocov``         (lag, time)           V**2   C(t_{k-lag}, t_k), ddof 1 (``lag`` in steps)
``comoment``        (lag, time)           V**2   co-moment sums behind ``autocov``
``v``               (recorded, time)      V      recorded traces; ``recorded`` holds neuron indices
``spike_t``         (spike,)              s      spike times, in time order
``spike_i``         (spike,)                     neuron index of each spike
``spike_count``     (neuron,)                    spikes per neuron
``v_snapshots``     (snapshot, neuron)    V      V of every neuron at ``snapshot`` times (s)
``input_array``     (input_row, input_t)  A      an array input's values
==================  ====================  =====  ===============================================

Attributes: ``lifsim_schema``, ``n``, ``seed``, ``method``, ``engine``,
``spiking``, ``rate_hz``, versions, ``created``, ``command``, and JSON strings
``params_json`` (every parameter, SI, as asked for), ``rounded_json`` (where
``round_steps`` rounded ``t_max`` or ``t_ref``: the values the run used, s),
``input_json`` (the input), ``run_json`` (what :func:`lifsim.rerun` needs) and
``meta_json`` (all of it).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from .result import Result, TraceSource

__all__ = ["SCHEMA", "to_dataset", "from_dataset", "check_declared_sizes", "VARIABLES"]

SCHEMA = "lifsim-result-1"

#: the variables and coordinates of the layout, with their dimensions
VARIABLES: dict[str, tuple[str, ...]] = {
    "time": ("time",),
    "v_mean": ("time",),
    "v_m2": ("time",),
    "v_var": ("time",),
    "v_std": ("time",),
    "i": ("time",),
    "lag": ("lag",),
    "autocov": ("lag", "time"),
    "comoment": ("lag", "time"),
    "recorded": ("recorded",),
    "v": ("recorded", "time"),
    "spike_t": ("spike",),
    "spike_i": ("spike",),
    "spike_count": ("neuron",),
    "snapshot": ("snapshot",),
    "v_snapshots": ("snapshot", "neuron"),
    "input_array": ("input_row", "input_t"),
}

#: the longest provenance string a lifsim file holds (bytes)
MAX_META_BYTES = 16 << 20


def check_declared_sizes(
    ds: xr.Dataset, source: str, lazy_traces: bool = False, on_disk: int | None = None
) -> xr.Dataset:
    """Check what an opened (not yet read) file declares before any array is read.

    The schema attribute, the dimension sizes against ``n`` and the number of
    steps (``neuron`` = n, ``recorded`` <= n, ``lag`` and ``snapshot`` <=
    steps, ``spike`` <= n x steps, ``input_row`` <= n), the dimensions of each
    variable, and the total against the memory available (traces not counted
    when ``lazy_traces``: they stay on disk) and against the ``on_disk`` bytes
    of the file (:func:`lifsim.store.check_inflation`).  A sweep is refused,
    naming :func:`lifsim.load_sweep`.  Unknown variables
    are dropped, never read.  Returns the dataset of the layout's variables;
    raises ``ValueError`` naming ``source`` otherwise.
    """
    from .memory import available_memory, format_bytes
    from .store import check_inflation

    if _is_sweep(ds.attrs):
        raise ValueError(f"{source}: a lifsim sweep, not a run; read it with lifsim.load_sweep")
    if ds.attrs.get("lifsim_schema") != SCHEMA:
        raise ValueError(
            f"{source}: not a lifsim result (attribute lifsim_schema is "
            f"{str(ds.attrs.get('lifsim_schema'))[:80]!r}, expected {SCHEMA!r})"
        )
    meta = ds.attrs.get("meta_json", "")
    if not isinstance(meta, str) or len(meta) > MAX_META_BYTES:
        raise ValueError(f"{source}: damaged lifsim result (its provenance is not a JSON text of sensible size)")
    try:
        n = int(ds.attrs["n"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{source}: damaged lifsim result (attribute n is missing or not a whole number)") from None
    sizes = dict(ds.sizes)
    steps = int(sizes.get("time", 0))
    limits = {
        "time": 2**31,
        "neuron": n,
        "recorded": n,
        "lag": steps,
        "snapshot": steps,
        "spike": n * steps,
        "input_row": n,
        "input_t": steps + 1,
    }
    if n < 1 or steps < 1:
        raise ValueError(f"{source}: damaged lifsim result (n = {n}, {steps} time points)")
    for dim, size in sizes.items():
        if dim in limits and size > limits[dim]:
            raise ValueError(
                f"{source}: damaged lifsim result (dimension {dim} declares {size}, at most {limits[dim]} allowed)"
            )
    known = [name for name in ds.variables if name in VARIABLES]
    total = 0
    for name in known:
        variable = ds.variables[name]
        if tuple(variable.dims) != VARIABLES[name]:
            raise ValueError(f"{source}: damaged lifsim result ({name} has dimensions {tuple(variable.dims)})")
        total += int(np.prod(variable.shape, dtype=np.int64)) * variable.dtype.itemsize
    room = available_memory()
    lazy = int(np.prod(ds.variables["v"].shape, dtype=np.int64)) * 8 if lazy_traces and "v" in ds.variables else 0
    if on_disk is not None:
        try:
            check_inflation(total - lazy, on_disk)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None
    if room is not None and total - lazy > 0.8 * room:
        raise ValueError(
            f"{source}: the file declares {format_bytes(total)} of arrays, more than the {format_bytes(room)} "
            "of memory available"
        )
    unknown = [name for name in ds.variables if name not in VARIABLES]
    return ds.drop_vars(unknown) if unknown else ds


def _is_sweep(attrs: Any) -> bool:
    """True for the attributes of a sweep (``lifsim sweep --data``), which :func:`lifsim.load_sweep` reads."""
    if attrs.get("title") == "lifsim sweep" or "lifsim_sweep_digest" in attrs:
        return True
    meta = attrs.get("lifsim_meta")
    return isinstance(meta, str) and len(meta) < MAX_META_BYTES and '"kind": "sweep"' in meta


def _var(dims: tuple[str, ...], data: np.ndarray, units: str, long_name: str, **attrs: Any) -> tuple:
    return (dims, data, {"units": units, "long_name": long_name, **attrs})


def to_dataset(result: Result, *, with_traces: bool = True) -> xr.Dataset:
    """The run as an :class:`xarray.Dataset` (see the module docstring for the layout).

    Traces kept on disk (a loaded or streamed Zarr store) come as a lazy,
    dask-backed variable: writing the Dataset copies them chunk by chunk.
    ``with_traces=False`` leaves ``v`` out.
    """
    import xarray as xr

    from .reduce import variance_from_m2  # NaN where n - 1 leaves no degrees of freedom (one neuron)

    variance = variance_from_m2(result.v_m2, result.n, 1)
    data: dict[str, tuple] = {
        "v_mean": _var(("time",), result.v_mean, "V", "ensemble mean of the membrane potential"),
        "v_m2": _var(("time",), result.v_m2, "V**2", "sum over neurons of squared deviations from the mean"),
        "v_var": _var(("time",), variance, "V**2", "sample variance of V", ddof=1),
        "v_std": _var(("time",), np.sqrt(variance), "V", "sample standard deviation of V", ddof=1),
    }
    coords: dict[str, tuple] = {"time": ("time", result.t, {"units": "s", "long_name": "time"})}
    if "input" in result.meta and "params" in result.meta:
        data["i"] = _var(
            ("time",),
            result.mean_input_current(),
            "A",
            "ensemble-mean input current driving the update from t to t + dt (NaN at the last time)",
        )
    if result.lags:
        coords["lag"] = ("lag", np.array(result.lags, dtype=np.int64), {"units": "steps", "long_name": "lag"})
        autocov = variance_from_m2(result.comoment, result.n, 1)
        data["autocov"] = _var(("lag", "time"), autocov, "V**2", "sample autocovariance C(t - lag dt, t)", ddof=1)
        data["comoment"] = _var(("lag", "time"), result.comoment, "V**2", "co-moment sums of the autocovariance")
    if with_traces and result.has_traces:
        values: Any = result.v if result.v is not None else result.trace_source.lazy().data  # type: ignore[union-attr]
        neurons = result.recorded_neurons()
        coords["recorded"] = ("recorded", neurons, {"long_name": "recorded neuron index"})
        data["v"] = _var(("recorded", "time"), values, "V", "membrane potential")
    if result.spike_t is not None:
        data["spike_t"] = _var(("spike",), result.spike_t, "s", "spike time")
        data["spike_i"] = (
            ("spike",),
            np.asarray(result.spike_i, dtype=np.int64),
            {"long_name": "spiking neuron index"},
        )
    if result.spike_count is not None:
        data["spike_count"] = (("neuron",), result.spike_count, {"long_name": "spikes per neuron"})
    if result.snapshot_t.size:
        coords["snapshot"] = ("snapshot", result.snapshot_t, {"units": "s", "long_name": "snapshot time"})
        data["v_snapshots"] = _var(("snapshot", "neuron"), result.v_snapshots, "V", "membrane potential at snapshot")
    if result.input_array is not None:
        values = np.atleast_2d(result.input_array)
        data["input_array"] = _var(
            ("input_row", "input_t"),
            values,
            "A",
            "array input current",
            one_dimensional=int(result.input_array.ndim == 1),
        )
    meta = result.meta
    attrs = {
        "lifsim_schema": SCHEMA,
        "title": "lifsim leaky integrate-and-fire simulation",
        "n": int(result.n),
        "seed": str(meta.get("seed")),
        "method": str(meta.get("method")),
        "engine": str(meta.get("engine")),
        "spiking": int(bool(meta.get("spiking"))),
        "lifsim_version": str(meta.get("lifsim_version")),
        "numpy_version": str(meta.get("numpy_version")),
        "python_version": str(meta.get("python_version")),
        "created": str(meta.get("created", "")),
        "command": str(meta.get("command") or ""),
        "params_json": json.dumps(meta.get("params", {})),
        "input_json": json.dumps(meta.get("input", {})),
        "run_json": json.dumps(meta.get("run", {})),
        "meta_json": json.dumps(meta),
        # a run without spikes has no rate: left out, not NaN (a Zarr store's attributes are JSON, which has none)
        **({"rate_hz": float(result.rate)} if meta.get("spiking") and np.isfinite(result.rate) else {}),
        # what round_steps rounded: the values the run used (s), beside params_json's values asked for
        **({"rounded_json": json.dumps(meta["rounded"])} if meta.get("rounded") else {}),
        # a file's arrays are checksummed by its format; its provenance by this
        "meta_sha256": hashlib.sha256(json.dumps(meta).encode()).hexdigest(),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)


def from_dataset(
    ds: xr.Dataset, result_type: type[Result], source: str = "dataset", traces: TraceSource | None = None
) -> Result:
    """Rebuild a :class:`~lifsim.result.Result` (``result_type``) from :func:`to_dataset`'s layout.

    The format modules pass the class, so that this layout module sits below the result it describes.

    ``traces``: where the traces are read from on demand (then ``ds`` need
    not hold ``v``).  Raises ``ValueError`` naming ``source`` if the dataset is
    not a lifsim result.
    """
    if ds.attrs.get("lifsim_schema") != SCHEMA:
        raise ValueError(
            f"{source}: not a lifsim result (attribute lifsim_schema is "
            f"{ds.attrs.get('lifsim_schema')!r}, expected {SCHEMA!r})"
        )
    try:
        text = ds.attrs["meta_json"]
        stored = ds.attrs.get("meta_sha256")
        if stored is not None and hashlib.sha256(str(text).encode()).hexdigest() != stored:
            raise ValueError("its provenance (meta_json) does not match its checksum")
        meta = json.loads(text)
        if not isinstance(meta, dict) or "params" not in meta:
            raise ValueError("meta_json has no parameters")
        n = int(ds.attrs["n"])
        if int(meta.get("n", n)) != n:
            raise ValueError(f"attribute n = {n} disagrees with the provenance's n = {meta.get('n')}")
        if int(meta.get("n", n)) != n:
            raise ValueError(f"attribute n = {n} disagrees with the provenance's n = {meta.get('n')}")
        t = np.asarray(ds["time"].values, dtype=np.float64)
        steps = t.size
        v_mean = np.asarray(ds["v_mean"].values, dtype=np.float64)
        v_m2 = np.asarray(ds["v_m2"].values, dtype=np.float64)
        if v_mean.shape != (steps,) or v_m2.shape != (steps,):
            raise ValueError("v_mean and v_m2 must have one value per time")
        lags: tuple[int, ...] = ()
        comoment = np.zeros((0, steps))
        if "lag" in ds.coords:
            lags = tuple(int(lag) for lag in ds["lag"].values)
            comoment = np.asarray(ds["comoment"].values, dtype=np.float64)
        v = v_neurons = None
        if traces is not None:
            v_neurons = traces.neurons
            if traces.shape != (v_neurons.size, steps):
                raise ValueError(f"v must have shape (recorded neurons, {steps})")
        elif "v" in ds:
            v = np.asarray(ds["v"].values, dtype=np.float64)
            v_neurons = np.asarray(ds["recorded"].values, dtype=np.int64)
        spike_t = spike_i = None
        if "spike_t" in ds:
            spike_t = np.asarray(ds["spike_t"].values, dtype=np.float64)
            spike_i = np.asarray(ds["spike_i"].values, dtype=np.int64)
        spike_count = np.asarray(ds["spike_count"].values, dtype=np.int64) if "spike_count" in ds else None
        snapshot_t = np.zeros(0)
        v_snapshots = np.zeros((0, n))  # as a run without snapshots has it
        if "snapshot" in ds.coords:
            snapshot_t = np.asarray(ds["snapshot"].values, dtype=np.float64)
            v_snapshots = np.asarray(ds["v_snapshots"].values, dtype=np.float64)
        input_array = None
        if "input_array" in ds:
            input_array = np.asarray(ds["input_array"].values, dtype=np.float64)
            if int(ds["input_array"].attrs.get("one_dimensional", 0)):
                input_array = input_array[0]
    except (KeyError, TypeError, ValueError, OverflowError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: damaged lifsim result ({str(error)[:200]})") from None
    except RecursionError:
        raise ValueError(f"{source}: damaged lifsim result (its provenance is nested too deeply)") from None
    result = result_type(
        t=t,
        n=n,
        v_mean=v_mean,
        v_m2=v_m2,
        lags=lags,
        comoment=comoment,
        v=v,
        v_neurons=v_neurons,
        spike_t=spike_t,
        spike_i=spike_i,
        spike_count=spike_count,
        snapshot_t=snapshot_t,
        v_snapshots=v_snapshots,
        input_array=input_array,
        meta=meta,
        trace_source=traces,
    )
    result.check(source)
    result.check_stored(_derived(ds, lags), source)
    _check_attributes(ds, result, source)
    return result


def _derived(ds: xr.Dataset, lags: tuple[int, ...]) -> dict[str, Any]:
    """The variables and attributes of :func:`to_dataset` that follow from the run, under the names of
    :meth:`lifsim.result.Result.arrays` (read lazily: only these, of a store's arrays)."""
    derived: dict[str, Any] = {name: ds[name].values for name in ("v_var", "v_std") if name in ds}
    if "autocov" in ds and lags:
        autocov = ds["autocov"].values
        derived.update({f"autocov_lag{lag}": autocov[k] for k, lag in enumerate(lags)})
    if "rate_hz" in ds.attrs:
        derived["rate"] = np.float64(ds.attrs["rate_hz"])
    return derived


def _check_attributes(ds: xr.Dataset, result: Result, source: str) -> None:
    """The attributes other tools read (``seed``, ``params_json``, the input current ``i``, ...) must be what
    the provenance (``meta_json``, which lifsim reads and a rerun runs) gives: a file that says ``seed`` 13
    while it ran 12 was changed."""
    from .netcdf_io import plain_attribute  # as the attribute checksums read them (numpy scalars, bytes)

    meta = result.meta
    expected = {
        "seed": str(meta.get("seed")),
        "method": str(meta.get("method")),
        "engine": str(meta.get("engine")),
        "spiking": int(bool(meta.get("spiking"))),
        "params_json": json.dumps(meta.get("params", {})),
        "input_json": json.dumps(meta.get("input", {})),
        "run_json": json.dumps(meta.get("run", {})),
    }
    for name, value in expected.items():
        if name in ds.attrs and plain_attribute(ds.attrs[name]) != value:
            raise ValueError(f"{source}: damaged lifsim result (its attribute {name} disagrees with its provenance)")
    if "i" in ds and "input" in meta and "params" in meta:
        stored = np.asarray(ds["i"].values, dtype=np.float64)
        rebuilt = result.mean_input_current()
        # relative to the largest current: sin, exp of another machine may differ by an ulp, which near a sine's
        # trough (1 + sin about 1e-9 of its peak) is far more than 1e-9 of the value itself
        scale = float(np.nanmax(np.abs(rebuilt), initial=0.0))
        if stored.shape != result.t.shape or not np.allclose(
            stored, rebuilt, rtol=1e-9, atol=1e-9 * scale + 1e-30, equal_nan=True
        ):
            raise ValueError(f"{source}: damaged lifsim result (its input current i disagrees with its provenance)")
