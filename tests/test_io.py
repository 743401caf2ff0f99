"""Saving and loading runs: .nc, .zarr, .npz, .csv; the Dataset layout; damaged files; atomic writes."""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim import inputs
from lifsim.dataset import SCHEMA
from lifsim.params import PARAM_UNITS
from lifsim.provenance import compare

xr = pytest.importorskip("xarray")

FORMATS = (".nc", ".zarr", ".npz")

#: every array of a Result that a file must keep
ARRAYS = (
    "t",
    "v_mean",
    "v_m2",
    "comoment",
    "v",
    "v_neurons",
    "spike_t",
    "spike_i",
    "spike_count",
    "snapshot_t",
    "v_snapshots",
    "input_array",
)

PARAMS = lifsim.LIFParams(t_max="60 ms", dt="1 ms")


@pytest.fixture(scope="module")
def noisy():
    """Uniform noise, spiking, a subset of traces, lags and snapshots."""
    return lifsim.simulate(
        PARAMS,
        inputs.uniform_noise("250 pA"),
        n=40,
        seed=5,
        record_v="0:10:3",
        lags=[1, 4],
        snapshots=["10 ms", "30 ms"],
    )


@pytest.fixture(scope="module")
def with_array():
    """A 2-D array input plus white noise, all traces."""
    values = np.linspace(1e-10, 3e-10, 3 * 60).reshape(3, 60)
    return lifsim.simulate(
        PARAMS,
        inputs.array_input(values) + inputs.white_noise("2 mV"),
        n=3,
        seed=2,
        record_v="all",
        method="exact",
        lags=[2],
        snapshots=["59 ms"],
    )


def array_of(result, name):
    """An array of a Result; traces kept on disk (a loaded .zarr store) are read for the comparison."""
    if name == "v":
        return result.traces() if result.has_traces else None
    return getattr(result, name)


def assert_same_arrays(a, b):
    for name in ARRAYS:
        x, y = array_of(a, name), array_of(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert np.shape(x) == np.shape(y), name
        assert np.asarray(x).dtype == np.asarray(y).dtype, name
        assert np.array_equal(x, y, equal_nan=True), name
        # bit for bit, NaN payloads and signed zeros included
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes(), name
    assert a.n == b.n
    assert a.lags == b.lags


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_is_bit_for_bit(tmp_path, noisy, suffix):
    assert noisy.v is not None and noisy.v_snapshots.size and noisy.comoment.size and noisy.total_spikes > 0
    path = tmp_path / f"run{suffix}"
    noisy.save(str(path))
    back = lifsim.load(str(path))
    assert_same_arrays(noisy, back)
    assert back.meta == noisy.meta
    assert compare(noisy, back) == []
    assert back.rate == noisy.rate
    assert np.array_equal(back.v_var(1), noisy.v_var(1), equal_nan=True)


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_array_input(tmp_path, with_array, suffix):
    assert with_array.input_array is not None and with_array.input_array.ndim == 2
    path = tmp_path / f"run{suffix}"
    lifsim.save(with_array, path)
    back = lifsim.load(path)
    assert_same_arrays(with_array, back)
    assert back.meta == with_array.meta


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_one_dimensional_array_input_and_one_neuron(tmp_path, suffix):
    result = lifsim.simulate(PARAMS, inputs.array_input(np.full(59, 3e-10)), n=1, record_v="all", snapshots=["5 ms"])
    assert result.input_array.ndim == 1
    path = tmp_path / f"run{suffix}"
    lifsim.save(result, path)
    back = lifsim.load(path)
    assert back.input_array.shape == (59,)
    assert_same_arrays(result, back)
    assert back.meta == result.meta


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_without_spike_times(tmp_path, suffix):
    result = lifsim.simulate(PARAMS, n=4, record_spikes=False, snapshots=["0 ms"])
    path = tmp_path / f"run{suffix}"
    lifsim.save(result, path)
    back = lifsim.load(path)
    assert back.spike_t is None and back.spike_i is None
    assert_same_arrays(result, back)


def test_npz_round_trip_of_a_subthreshold_run_keeps_spike_count(tmp_path):
    result = lifsim.simulate(PARAMS, n=4, spiking=False, snapshots=["0 ms"])
    assert result.spike_count is not None
    lifsim.save(result, tmp_path / "run.npz")
    back = lifsim.load(tmp_path / "run.npz")
    assert_same_arrays(result, back)


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_without_snapshots(tmp_path, suffix):
    result = lifsim.simulate(PARAMS, inputs.uniform_noise("250 pA"), n=4, record_v="all")
    assert result.snapshot_t.size == 0 and result.v_snapshots.size == 0
    lifsim.save(result, tmp_path / f"run{suffix}")
    back = lifsim.load(tmp_path / f"run{suffix}")
    assert back.snapshot_t.size == 0 and back.v_snapshots.size == 0
    assert compare(result, back) == []  # empty arrays compare equal whatever their shape
    assert back.meta == result.meta


def test_npz_holds_the_documented_flat_names(tmp_path, noisy):
    noisy.save(str(tmp_path / "run.npz"))
    with np.load(tmp_path / "run.npz", allow_pickle=False) as data:
        names = set(data.files)
        for name in (
            "t",
            "v_mean",
            "v_std",
            "v_var",
            "v_m2",
            "v",
            "v_neurons",
            "spike_t",
            "spike_i",
            "spike_count",
            "rate",
            "snapshot_t",
            "v_snapshots",
            "autocov_lag1",
            "autocov_lag4",
            "lags",
            "comoment",
            "meta",
        ):
            assert name in names, name
        assert data["rate"] == noisy.rate
        assert np.array_equal(data["v_std"], noisy.v_std(1), equal_nan=True)
        assert np.array_equal(data["autocov_lag4"], noisy.autocov(4, 1), equal_nan=True)
        assert json.loads(str(data["meta"])) == noisy.meta
        for name in data.files:
            assert data[name].dtype != object


def test_overwrite_existing_files(tmp_path, noisy, with_array):
    for suffix in FORMATS:
        path = tmp_path / f"run{suffix}"
        noisy.save(str(path))
        with pytest.raises(ValueError, match="exists; pass overwrite=True"):
            with_array.save(str(path))
        with_array.save(str(path), overwrite=True)
        back = lifsim.load(str(path))
        assert_same_arrays(with_array, back)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc", "run.npz", "run.zarr"]


def test_overwrite_existing_zarr_twice(tmp_path, noisy, with_array):
    path = tmp_path / "run.zarr"
    for result in (noisy, with_array, noisy):
        lifsim.save(result, path, overwrite=True)
        assert_same_arrays(result, lifsim.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["run.zarr"]


# ------------------------------------------------------------------ the Dataset layout


def test_dataset_layout(noisy, with_array):
    ds = noisy.to_dataset()
    assert ds.attrs["lifsim_schema"] == SCHEMA
    expected = {
        "v_mean": (("time",), "V"),
        "v_m2": (("time",), "V**2"),
        "v_var": (("time",), "V**2"),
        "v_std": (("time",), "V"),
        "autocov": (("lag", "time"), "V**2"),
        "comoment": (("lag", "time"), "V**2"),
        "v": (("recorded", "time"), "V"),
        "spike_t": (("spike",), "s"),
        "v_snapshots": (("snapshot", "neuron"), "V"),
    }
    for name, (dims, units) in expected.items():
        assert ds[name].dims == dims, name
        assert ds[name].attrs["units"] == units, name
    assert ds["spike_i"].dims == ("spike",)
    assert ds["spike_count"].dims == ("neuron",)
    assert ds.sizes["neuron"] == noisy.n
    assert ds.sizes["time"] == noisy.steps
    assert ds["time"].attrs["units"] == "s"
    assert ds["snapshot"].attrs["units"] == "s"
    assert ds["lag"].attrs["units"] == "steps"
    assert ds["v_var"].attrs["ddof"] == 1 and ds["v_std"].attrs["ddof"] == 1 and ds["autocov"].attrs["ddof"] == 1
    assert np.array_equal(ds["time"].values, noisy.t)
    assert ds["lag"].values.tolist() == [1, 4]
    assert ds["recorded"].values.tolist() == [0, 3, 6, 9]
    assert np.array_equal(ds["snapshot"].values, [0.01, 0.03])
    assert np.array_equal(ds["v"].values, noisy.v)
    assert np.array_equal(ds["autocov"].sel(lag=4).values, noisy.autocov(4, 1), equal_nan=True)
    assert np.array_equal(ds["v_std"].values, noisy.v_std(1), equal_nan=True)
    for name in ds.variables:
        assert ds[name].attrs.get("long_name"), name
    ds2 = with_array.to_dataset()
    assert ds2["input_array"].dims == ("input_row", "input_t")
    assert ds2["input_array"].attrs["units"] == "A"
    assert np.array_equal(ds2["input_array"].values, with_array.input_array)


def test_dataset_provenance_attrs(noisy):
    ds = noisy.to_dataset()
    attrs = ds.attrs
    params = json.loads(attrs["params_json"])
    assert params == noisy.meta["params"]
    assert set(params) == set(PARAM_UNITS)
    assert lifsim.LIFParams(**params) == PARAMS
    assert json.loads(attrs["input_json"]) == noisy.meta["input"]
    assert json.loads(attrs["input_json"])["terms"][0]["term"] == "uniform"
    run = json.loads(attrs["run_json"])
    assert run["seed"] == 5 and run["n"] == 40 and run["lags"] == [1, 4] and run["record_v"] == [0, 3, 6, 9]
    assert json.loads(attrs["meta_json"]) == noisy.meta
    assert attrs["lifsim_version"] == lifsim.__version__
    assert attrs["numpy_version"] == np.__version__
    assert attrs["n"] == 40 and attrs["seed"] == "5"
    assert attrs["method"] == "euler" and attrs["engine"] in ("numba", "numpy") and attrs["spiking"] == 1
    assert attrs["rate_hz"] == noisy.rate
    created = datetime.datetime.fromisoformat(attrs["created"])
    assert created.tzinfo is not None
    assert abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) < 3600
    # all attrs survive NetCDF (the writer accepts their types)
    for value in attrs.values():
        assert isinstance(value, (str, int, float))


def test_cli_run_records_its_command(capsys, tmp_path):
    rc, _out, err = run_cli(
        capsys, ["simulate", "--n", "5", "--t-max", "30ms", "--seed", "7", "--quiet", "--data", "cli.nc"]
    )
    assert rc == 0, err
    with xr.open_dataset(tmp_path / "cli.nc", engine="h5netcdf") as ds:
        attrs = dict(ds.attrs)
    assert attrs["command"].startswith("lifsim simulate")
    assert "--seed 7" in attrs["command"] and "--data cli.nc" in attrs["command"]
    assert json.loads(attrs["params_json"])["t_max"] == 0.03
    assert attrs["lifsim_version"] == lifsim.__version__
    assert attrs["created"]
    back = lifsim.load(tmp_path / "cli.nc")
    assert back.meta["command"] == attrs["command"]


# ------------------------------------------------------------------ .csv


def csv_lines(path):
    """(provenance lines starting with '#', table lines)."""
    lines = Path(path).read_text().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    return comments, lines[len(comments) :]


def test_csv_table(tmp_path, noisy):
    noisy.save(str(tmp_path / "run.csv"))
    comments, lines = csv_lines(tmp_path / "run.csv")
    header = lines[0].split(",")
    assert header == ["t (s)", "v_mean (V)", "v_std (V)", "v_var (V**2)", "autocov_lag1 (V**2)", "autocov_lag4 (V**2)"]
    assert len(lines) - 1 == noisy.steps
    table = np.loadtxt(tmp_path / "run.csv", delimiter=",", skiprows=len(comments) + 1)
    assert table.shape == (noisy.steps, 6)
    assert np.array_equal(table[:, 0], noisy.t)  # the shortest round-trip form keeps every bit
    assert np.array_equal(table[:, 1], noisy.v_mean)
    assert np.array_equal(table[:, 3], noisy.v_var(1), equal_nan=True)
    assert np.isnan(table[0, 4]) and np.isnan(table[:4, 5]).all()


def test_csv_carries_the_provenance_and_short_numbers(tmp_path, noisy):
    from lifsim.formats.csv import read_columns

    noisy.save(str(tmp_path / "run.csv"))
    comments, lines = csv_lines(tmp_path / "run.csv")
    keys = {line[2:].split(":")[0] for line in comments}
    assert {"params", "input", "seed", "run", "lifsim_version", "created"} <= keys
    columns, meta = read_columns(tmp_path / "run.csv")
    assert meta["params"] == noisy.meta["params"] and meta["seed"] == 5
    assert np.array_equal(columns["v_mean"], noisy.v_mean)
    assert lines[1].split(",")[:2] == ["0", "-0.06"]  # not 0.0 and -0.059999999999999998
    assert all(len(field) <= 24 for line in lines[1:] for field in line.split(","))


def test_load_csv_is_refused(tmp_path, noisy):
    noisy.save(str(tmp_path / "run.csv"))
    with pytest.raises(ValueError, match="per-step table") as info:
        lifsim.load(str(tmp_path / "run.csv"))
    assert "run.csv" in str(info.value)


# ------------------------------------------------------------------ damaged and foreign files


def load_error(path) -> str:
    with pytest.raises(ValueError) as info:
        lifsim.load(str(path))
    message = str(info.value)
    assert str(path) in message, message
    return message


@pytest.mark.parametrize("name", ["junk.nc", "junk.npz", "junk.zarr"])
def test_random_bytes(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    load_error(path)


@pytest.mark.parametrize("name", ["empty.nc", "empty.npz"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    load_error(path)


@pytest.mark.parametrize("suffix", [".nc", ".npz"])
def test_truncated_file(tmp_path, noisy, suffix):
    path = tmp_path / f"cut{suffix}"
    noisy.save(str(path))
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    load_error(path)


def test_missing_file(tmp_path):
    for name in ("none.nc", "none.npz", "none.zarr"):
        assert "no such file" in load_error(tmp_path / name)


def test_unknown_suffix(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    load_error(tmp_path / "x.txt")


def test_npz_with_pickled_object_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"

    class Hostile:
        def __reduce__(self):
            return (os.makedirs, (str(marker),))

    path = tmp_path / "hostile.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = Hostile()
    np.savez(path, t=np.arange(3.0), meta=np.array("{}"), v_mean=payload)
    # the pickle really is live: numpy with allow_pickle would run it
    with np.load(path, allow_pickle=True) as data:
        data["v_mean"]
    assert marker.exists()
    os.rmdir(marker)
    message = load_error(path)
    assert not marker.exists()
    assert "pickle" in message.lower() or "object" in message.lower()


def test_npz_missing_meta(tmp_path, noisy):
    arrays = noisy.arrays()
    del arrays["meta"]
    np.savez(tmp_path / "nometa.npz", **arrays)
    assert "meta" in load_error(tmp_path / "nometa.npz")


def test_npz_with_meta_that_is_not_json(tmp_path, noisy):
    arrays = dict(noisy.arrays(), meta=np.array("not json {"))
    np.savez(tmp_path / "badmeta.npz", **arrays)
    load_error(tmp_path / "badmeta.npz")


def test_npz_with_mismatched_lengths(tmp_path, noisy):
    arrays = noisy.arrays()
    arrays["v_m2"] = arrays["v_m2"][:5]
    np.savez(tmp_path / "short.npz", **arrays)
    load_error(tmp_path / "short.npz")


def test_foreign_npz(tmp_path):
    np.savez(tmp_path / "foreign.npz", x=np.arange(3))
    load_error(tmp_path / "foreign.npz")


def test_netcdf_without_schema(tmp_path):
    path = tmp_path / "plain.nc"
    xr.Dataset({"v_mean": ("time", np.zeros(4))}, coords={"time": np.arange(4.0)}).to_netcdf(path, engine="h5netcdf")
    assert "lifsim_schema" in load_error(path)


def test_netcdf_with_wrong_schema_version(tmp_path, noisy):
    ds = noisy.to_dataset()
    ds.attrs["lifsim_schema"] = "lifsim-result-999"
    ds.to_netcdf(tmp_path / "future.nc", engine="h5netcdf")
    assert "lifsim-result-999" in load_error(tmp_path / "future.nc")


def test_netcdf_missing_a_variable(tmp_path, noisy):
    noisy.to_dataset().drop_vars("v_m2").to_netcdf(tmp_path / "partial.nc", engine="h5netcdf")
    assert "v_m2" in load_error(tmp_path / "partial.nc")


def test_netcdf_whose_variance_does_not_match(tmp_path, noisy):
    ds = noisy.to_dataset()
    ds["v_var"] = ds["v_var"] * 2
    ds.to_netcdf(tmp_path / "tampered.nc", engine="h5netcdf")
    load_error(tmp_path / "tampered.nc")


def test_zarr_not_marked_complete(tmp_path, noisy):
    zarr = pytest.importorskip("zarr")
    path = tmp_path / "run.zarr"
    noisy.save(str(path))
    lifsim.load(str(path))  # whole: loads
    zarr.open_group(str(path), mode="r+").attrs["lifsim_complete"] = 0
    assert "complete" in load_error(path)


def test_zarr_written_by_plain_xarray(tmp_path, noisy):
    path = tmp_path / "plain.zarr"
    noisy.to_dataset().to_zarr(path, mode="w", consolidated=False)
    load_error(path)


def hostile_npz(tmp_path, noisy, **meta_changes):
    meta = dict(noisy.meta, **meta_changes)
    arrays = dict(noisy.arrays(), meta=np.array(json.dumps(meta)))
    path = tmp_path / "hostile.npz"
    np.savez(path, **arrays)
    return path


def test_npz_meta_without_parameters_names_the_file(tmp_path, noisy):
    path = tmp_path / "noparams.npz"
    np.savez(path, **dict(noisy.arrays(), meta=np.array("{}")))
    load_error(path)


def test_npz_meta_with_non_integer_n_names_the_file(tmp_path, noisy):
    load_error(hostile_npz(tmp_path, noisy, n="abc"))


def test_netcdf_meta_without_parameters_names_the_file(tmp_path, noisy):
    ds = noisy.to_dataset()
    ds.attrs["meta_json"] = "{}"
    ds.to_netcdf(tmp_path / "noparams.nc", engine="h5netcdf")
    load_error(tmp_path / "noparams.nc")


def test_netcdf_with_non_integer_n_names_the_file(tmp_path, noisy):
    ds = noisy.to_dataset()
    ds.attrs["n"] = "abc"
    ds.to_netcdf(tmp_path / "badn.nc", engine="h5netcdf")
    load_error(tmp_path / "badn.nc")


def test_netcdf_with_mismatched_lengths_names_the_file(tmp_path, noisy):
    ds = noisy.to_dataset().drop_vars(["v_m2", "v_var"])
    ds["v_m2"] = ("short", np.zeros(3))
    ds.to_netcdf(tmp_path / "short.nc", engine="h5netcdf")
    load_error(tmp_path / "short.nc")


# ------------------------------------------------------------------ interrupted writes


class Boom(RuntimeError):
    pass


def _partial_npz_writer(file, *args, **kwargs):
    file.write(b"PK\x03\x04 half an archive")
    raise Boom("disk unplugged")


def _partial_netcdf_writer(self, path=None, *args, **kwargs):
    if hasattr(path, "write"):  # lifsim builds the file in memory first
        path.write(b"\x89HDF\r\n\x1a\n half a file")
    else:
        Path(path).write_bytes(b"\x89HDF\r\n\x1a\n half a file")
    raise Boom("disk unplugged")


def _interrupt(monkeypatch, suffix):
    if suffix == ".npz":
        monkeypatch.setattr(np, "savez", _partial_npz_writer)
    elif suffix == ".nc":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", _partial_netcdf_writer)
    elif suffix == ".csv":
        import lifsim.formats.csv as csv_format

        original_number = csv_format._number
        calls = []

        def number_then_unplug(x):
            calls.append(x)
            if len(calls) > 10:  # some rows are written by now
                raise Boom("disk unplugged")
            return original_number(x)

        monkeypatch.setattr(csv_format, "_number", number_then_unplug)
    else:
        original = xr.Dataset.to_zarr

        def partial_zarr(self, store=None, *args, **kwargs):
            original(self, store, *args, **kwargs)  # everything written, not yet marked complete
            raise Boom("disk unplugged")

        monkeypatch.setattr(xr.Dataset, "to_zarr", partial_zarr)


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz", ".csv"])
def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch, noisy, suffix):
    path = tmp_path / f"run{suffix}"
    with monkeypatch.context() as patch:
        _interrupt(patch, suffix)
        with pytest.raises(Boom):
            noisy.save(str(path))
    assert list(tmp_path.iterdir()) == []


def _snapshot(path: Path) -> dict:
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".npz", ".csv"])
def test_interrupted_overwrite_keeps_the_previous_file(tmp_path, monkeypatch, noisy, with_array, suffix):
    path = tmp_path / f"run{suffix}"
    with_array.save(str(path))
    before = _snapshot(path)
    with monkeypatch.context() as patch:
        _interrupt(patch, suffix)
        with pytest.raises(Boom):
            noisy.save(str(path), overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert _snapshot(path) == before
    if suffix != ".csv":
        assert_same_arrays(with_array, lifsim.load(str(path)))


def test_successful_writes_leave_no_temporary_files(tmp_path, noisy):
    for suffix in (".nc", ".zarr", ".npz", ".csv"):
        noisy.save(str(tmp_path / f"run{suffix}"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv", "run.nc", "run.npz", "run.zarr"]


def test_save_to_missing_folder_or_bad_suffix(tmp_path, noisy):
    with pytest.raises(ValueError, match="does not exist"):
        noisy.save(str(tmp_path / "nope" / "run.nc"))
    with pytest.raises(ValueError, match=r"\.txt"):
        noisy.save(str(tmp_path / "run.txt"))
    with pytest.raises(TypeError):
        lifsim.save({"t": np.zeros(3)}, tmp_path / "run.npz")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ CLI --data by suffix


@pytest.mark.parametrize("suffix", FORMATS)
def test_cli_data_by_suffix(capsys, tmp_path, suffix):
    argv = [
        "simulate",
        "--n",
        "6",
        "--t-max",
        "40ms",
        "--input",
        "uniform",
        "--record-v",
        "0:2",
        "--lags",
        "1,3",
        "--snapshots",
        "10ms",
        "--seed",
        "3",
        "--quiet",
        "--data",
        f"out{suffix}",
    ]
    rc, out, err = run_cli(capsys, argv)
    assert rc == 0, err
    assert out == "" and err == ""
    back = lifsim.load(tmp_path / f"out{suffix}")
    expected = lifsim.simulate(
        lifsim.LIFParams(t_max="40 ms"),
        inputs.uniform_noise("250 pA"),
        n=6,
        seed=3,
        record_v="0:2",
        lags=[1, 3],
        snapshots=["10 ms"],
    )
    assert compare(expected, back) == []
    assert back.meta["command"] == "lifsim " + " ".join(argv)
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_cli_data_without_traces(capsys, tmp_path, suffix):
    """Without --record-v a .zarr is written by save() (not streamed)."""
    rc, _out, err = run_cli(
        capsys, ["simulate", "--n", "5", "--t-max", "30ms", "--seed", "2", "--quiet", "--data", f"out{suffix}"]
    )
    assert rc == 0, err
    back = lifsim.load(tmp_path / f"out{suffix}")
    assert back.v is None
    assert compare(lifsim.simulate(lifsim.LIFParams(t_max="30 ms"), n=5, seed=2), back) == []
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]


def test_cli_data_csv(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "6", "--t-max", "40ms", "--quiet", "--data", "out.csv"])
    assert rc == 0, err
    _comments, lines = csv_lines(tmp_path / "out.csv")
    assert lines[0] == "t (s),v_mean (V),v_std (V),v_var (V**2)"
    assert len(lines) == 1 + 40


def test_cli_data_unknown_suffix(capsys, tmp_path):
    rc, out, err = run_cli(capsys, ["simulate", "--n", "3", "--data", "out.txt"])
    assert_one_line_error(rc, err, "out.txt", "--data")
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_cli_data_in_missing_folder(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["simulate", "--n", "3", "--data", "nope/out.nc"])
    assert_one_line_error(rc, err, "nope")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, change",
    [
        ("v", lambda a: a["v"][:, :3]),
        ("spike_i", lambda a: a["spike_i"][:1]),
        ("spike_count", lambda a: a["spike_count"][:2]),
        ("comoment", lambda a: a["comoment"][:, :3]),
    ],
)
def test_npz_with_inconsistent_shapes_is_refused(tmp_path, noisy, name, change):
    arrays = noisy.arrays()
    arrays[name] = change(arrays)
    np.savez(tmp_path / "inconsistent.npz", **arrays)
    load_error(tmp_path / "inconsistent.npz")


# ------------------------------------------------------------------ runs whose traces were streamed to a .zarr


def test_streamed_zarr_loads_like_a_saved_one(tmp_path):
    streamed = lifsim.simulate(
        PARAMS,
        inputs.uniform_noise("250 pA"),
        n=8,
        seed=2,
        record_v="1:5",
        lags=[2],
        snapshots=["20 ms"],
        trace_store=tmp_path / "streamed.zarr",
        chunk_steps=7,
    )
    assert streamed.v is None
    in_memory = lifsim.simulate(
        PARAMS, inputs.uniform_noise("250 pA"), n=8, seed=2, record_v="1:5", lags=[2], snapshots=["20 ms"]
    )
    back = lifsim.load(tmp_path / "streamed.zarr")
    assert_same_arrays(in_memory, back)
    assert [p.name for p in tmp_path.iterdir()] == ["streamed.zarr"]


@pytest.mark.parametrize("suffix", [".nc", ".npz"])
def test_saving_a_streamed_run_keeps_or_refuses_its_traces(tmp_path, suffix):
    streamed = lifsim.simulate(PARAMS, n=4, record_v="all", snapshots=["0 ms"], trace_store=tmp_path / "s.zarr")
    loaded = lifsim.load(tmp_path / "s.zarr")
    assert loaded.v is None and loaded.has_traces  # traces stay on disk until asked for
    traces = loaded.traces()
    try:
        streamed.save(str(tmp_path / f"copy{suffix}"))
    except ValueError:
        return  # refusing is fine
    back = lifsim.load(tmp_path / f"copy{suffix}")
    assert back.v is not None and np.array_equal(back.v, traces)


def test_dataset_holds_the_mean_input_current():
    from lifsim.tutorial import run_exercise

    result = lifsim.simulate(lifsim.LIFParams(), lifsim.inputs.sine(25e-11), n=2, spiking=False)
    ds = result.to_dataset()
    assert ds["i"].attrs["units"] == "A"
    np.testing.assert_array_equal(ds["i"].values[:10], run_exercise(2).data["i"])  # the tutorial's I(t)
    assert np.isnan(ds["i"].values[-1])


def test_a_file_that_appears_while_a_result_is_written_is_kept(tmp_path):
    """The name was free when the save began; another writer's file that takes it meanwhile is never replaced
    without overwrite (one line naming it), and with overwrite it is."""
    from lifsim.atomic import atomic_file, saving

    target = tmp_path / "out.npz"
    with pytest.raises(ValueError, match=r"'.*out\.npz' appeared while this run was writing it"):
        with saving(False), atomic_file(target) as tmp:
            Path(tmp).write_bytes(b"mine")
            target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]
    with saving(True), atomic_file(target) as tmp:
        Path(tmp).write_bytes(b"mine")
    assert target.read_bytes() == b"mine"


@pytest.mark.skipif(sys.platform != "linux", reason="a file name of raw bytes (Linux)")
@pytest.mark.parametrize("suffix", [".nc", ".nwb"])
def test_a_path_hdf5_cannot_name_is_refused_before_the_run(tmp_path, suffix):
    """``--data $'x\\xff.nc'`` ran for the whole run, then failed in h5py ('utf-8' codec can't encode...)."""
    from cli_helpers import run_script

    name = os.fsdecode(b"x\xff" + suffix.encode())
    done = run_script(["simulate", "--n", "10", "--data", name], cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "holds bytes that are not UTF-8, which HDF5 (behind .nc and .nwb) cannot name" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_trace_chunk_read_later_names_its_store(tmp_path):
    """Traces stay on disk until asked for; a chunk changed since the store was sealed said only Zarr's
    "Stored and computed checksum do not match", naming no file."""
    store = tmp_path / "run.zarr"
    lifsim.simulate(lifsim.LIFParams(t_max="50 ms"), n=20, record_v="all", seed=1).save(store)
    chunk = store / "v" / "c" / "0" / "0"
    damaged = bytearray(chunk.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    chunk.write_bytes(bytes(damaged))
    result = lifsim.load(store)
    with pytest.raises(ValueError, match=r"run\.zarr: its traces \(v\) cannot be read: chunk v/c/0/0 does not match"):
        result.load_traces()


def test_a_store_that_appears_while_a_result_is_written_is_kept(tmp_path):
    """As for a file: a .zarr store saved without overwrite is never moved over one another writer made."""
    from lifsim.atomic import atomic_folder, saving

    target = tmp_path / "out.zarr"
    folder = atomic_folder(target)
    folder.path.mkdir()
    (folder.path / "mine").write_text("mine")
    target.mkdir()
    (target / "theirs").write_text("theirs")
    with saving(False), pytest.raises(ValueError, match=r"'.*out\.zarr' appeared while this run was writing it"):
        folder.commit()
    folder.abort()
    assert sorted(p.name for p in target.iterdir()) == ["theirs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zarr"]


def test_a_run_in_a_folder_named_like_the_network_attribute_is_a_run(tmp_path):
    """A store's kind comes from its root attributes' keys, not from any mention of lifsim_network in its text (a
    command line with such a path in the provenance made a run unreadable)."""
    store = tmp_path / "lifsim_network" / "run.zarr"
    store.parent.mkdir()
    result = lifsim.simulate(lifsim.LIFParams(t_max="10 ms"), n=3)
    result.meta["command"] = f"lifsim simulate --data {store}"
    result.save(store)
    assert lifsim.load(store).n == 3


def test_a_netcdf_file_is_checked_against_its_own_size(tmp_path, monkeypatch):
    """The write's room check asked for the arrays plus 1 MiB, and refused a finished run whose file fit."""
    import shutil

    from lifsim.dataset import to_dataset
    from lifsim.netcdf_io import write_dataset

    ds = to_dataset(lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=5))
    write_dataset(ds, tmp_path / "measure.nc")
    size = (tmp_path / "measure.nc").stat().st_size
    free = size + 4096  # room for the file, not for the arrays and a mebibyte more
    monkeypatch.setattr(shutil, "disk_usage", lambda _folder: shutil._ntuple_diskusage(10**9, 10**9 - free, free))
    write_dataset(ds, tmp_path / "fits.nc")
    assert (tmp_path / "fits.nc").stat().st_size == size


# ---------------------------------------------------------------- what other tools read is checked too


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("params", "its attributes do not match their checksum"),  # params_json: tau 10 ms where 20 ms ran
        ("units", "the attributes of spike_t (such as its units) do not match their checksum"),  # s -> ms
    ],
)
def test_a_changed_attribute_is_not_certified_by_rerun(tmp_path, change, said):
    """A reader of params_json or of a variable's units is told what the file says; a rerun compared the arrays
    only, so a file with tau or the units of spike_t changed was "reproduced bit for bit" (exit 0)."""
    import h5py
    from cli_helpers import run_script

    path = tmp_path / "run.nc"
    assert run_script(["simulate", "--n", "20", "--t-max", "50ms", "--data", str(path), "--quiet"]).returncode == 0
    with h5py.File(path, "r+") as handle:
        if change == "params":
            params = json.loads(handle.attrs["params_json"])
            params["tau"] = 0.01
            handle.attrs["params_json"] = json.dumps(params)
        else:
            handle["spike_t"].attrs["units"] = "ms"
    done = run_script(["rerun", str(path)])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert said in done.stderr


def test_a_file_without_checksums_of_its_attributes_is_read_with_a_warning(tmp_path):
    """A .nc of a lifsim before attributes were checksummed (its arrays' digests only), or one whose attribute
    digests were removed, was read with its attributes unchecked and nothing said."""
    import h5py

    from lifsim.errors import UncheckedFileWarning

    path = tmp_path / "run.nc"
    lifsim.simulate(lifsim.LIFParams(t_max="50 ms"), n=5).save(str(path))
    with h5py.File(path, "r+") as handle:
        digests = json.loads(handle.attrs["lifsim_sha256"])
        handle.attrs["lifsim_sha256"] = json.dumps({k: v for k, v in digests.items() if not k.startswith("attrs")})
    with pytest.warns(UncheckedFileWarning, match="has no checksums for its attributes"):
        lifsim.load(str(path))


def test_every_save_of_a_run_says_what_its_format_leaves_out(tmp_path):
    """lifsim.save(result, "x.csv") wrote in silence while result.save("x.csv") warned."""
    from lifsim.errors import LeftOutWarning

    run = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=3, record_v="all")
    with pytest.warns(LeftOutWarning, match="the recorded traces and the spikes of this run are not in it"):
        lifsim.save(run, str(tmp_path / "x.csv"))


def test_a_sums_record_states_its_uniform_amplitude():
    """``uniform_noise() + white_noise(...)`` (and --input uniform+white) recorded the amplitude as null."""
    import math

    run = lifsim.simulate(lifsim.LIFParams(t_max="0.1 s"), inputs.uniform_noise() + inputs.white_noise(sigma="2 mV"))
    (uniform,) = (part for part in run.meta["input"]["parts"] if part["kind"] == "modulated")
    assert uniform["terms"][0]["amplitude"] == 0.1 * math.sqrt(0.1 / 1e-3)


@pytest.mark.parametrize("suffix", [".nc", ".npz"])
def test_a_file_without_its_checksums_is_read_with_a_warning(tmp_path, suffix):
    """Deleting the checksums turned every check off in silence; the file is still read (older lifsim files have
    none), and the reader is told its numbers could not be checked."""
    import h5py

    from lifsim.errors import UncheckedFileWarning

    path = tmp_path / f"run{suffix}"
    lifsim.simulate(lifsim.LIFParams(t_max="50 ms"), n=5).save(str(path))
    if suffix == ".nc":
        with h5py.File(path, "r+") as handle:
            del handle.attrs["lifsim_sha256"]
    else:
        with np.load(path) as data:
            members = {name: data[name] for name in data.files if name != "lifsim_sha256"}
        np.savez(path, **members)
    with pytest.warns(UncheckedFileWarning, match="has no checksums"):
        lifsim.load(str(path))


def test_a_rounded_run_records_the_values_it_used(tmp_path):
    """--round-steps ran t_ref = 1.55 ms as 16 steps (1.6 ms) while params_json said 1.55 ms and only a note in
    words said otherwise: the record now keeps the values used (rounded_json, meta["rounded"]), and they are what
    ran: the spikes of a run asked for with 1.6 ms."""
    import h5py
    from cli_helpers import run_script

    path = tmp_path / "rs.nc"
    argv = ["simulate", "--n", "20", "--t-max", "50ms", "--dt", "0.1ms", "--t-ref", "1.55ms", "--seed", "2"]
    assert run_script([*argv, "--round-steps", "--data", str(path), "--quiet"]).returncode == 0
    with h5py.File(path, "r") as handle:
        assert json.loads(handle.attrs["rounded_json"]) == {"t_ref": 16 * 1e-4}
        assert json.loads(handle.attrs["params_json"])["t_ref"] == 0.00155  # as asked (a rerun asks again)
    rounded = lifsim.load(str(path))
    assert rounded.meta["rounded"] == {"t_ref": 16 * 1e-4}
    plain = lifsim.simulate(lifsim.LIFParams(t_max="50 ms", dt="0.1 ms", t_ref="1.6 ms"), n=20, seed=2)
    assert np.array_equal(rounded.spike_t, plain.spike_t) and np.array_equal(rounded.spike_i, plain.spike_i)


def _rewrite_first_trace_value(store: Path) -> None:
    """Neuron 0's trace in ``store`` changed by the zarr library (a fresh CRC-32C), one value a last bit up where the
    compressed chunk keeps its size (so only a checksum of its bytes can tell)."""
    import glob

    import zarr

    chunk = sorted(glob.glob(str(store / "v" / "c" / "*" / "*")))[0]
    size, original = os.path.getsize(chunk), Path(chunk).read_bytes()
    traces = zarr.open_array(str(store / "v"), mode="r+")
    for j in range(50, traces.shape[1]):
        traces[0, j] = np.nextafter(traces[0, j], np.inf)
        if os.path.getsize(chunk) == size:
            return
        Path(chunk).write_bytes(original)
    pytest.fail("no change of one value kept the chunk's size")


def test_a_zarr_trace_changed_by_another_program_is_refused_when_read(tmp_path):
    """The same change, read from Python: ``trace(0)`` gave the changed values without a word (zarr checks the
    chunk's CRC-32C, which the other program rewrote). The chunks a read needs are checked against the SHA-256
    the manifest kept; the traces in other chunks still read."""
    store = tmp_path / "run.zarr"
    p = lifsim.LIFParams(t_max="0.5 s")
    run = lifsim.simulate(p, lifsim.inputs.white_noise("5 mV"), n=600, record_v="0:600", seed=3)
    run.save(store)
    loaded = lifsim.load(store)
    assert np.array_equal(loaded.trace(599), run.trace(599))
    rows = loaded.trace_source.read(slice(0, 1)).shape[0]
    assert rows == 1
    _rewrite_first_trace_value(store)
    loaded = lifsim.load(store)  # opening checks sizes only: traces stay on disk until asked for
    with pytest.raises(ValueError, match=r"run\.zarr: its traces \(v\) cannot be read: chunk v/c/0/0 does not match"):
        loaded.trace(0)
    with pytest.raises(ValueError, match=r"chunk v/c/0/0 does not match its checksum"):
        loaded.load_traces()
    assert np.array_equal(loaded.trace(599), run.trace(599))  # another chunk: unchanged, read


def test_a_zarr_trace_changed_by_another_program_is_named_by_rerun(tmp_path):
    """A value of v rewritten with the zarr library gets a fresh CRC-32C and, here, the chunk's old size: the
    store opened, and rerun blamed the run ("differs: v", exit 3). The manifest keeps each trace chunk's SHA-256,
    which rerun checks when the traces differ: the file was changed (one line, exit 2)."""
    from cli_helpers import run_script

    store = tmp_path / "run.zarr"
    argv = ["simulate", "--n", "20", "--t-max", "0.5s", "--input", "white", "--sigma", "5mV", "--record-v", "0:5"]
    assert run_script([*argv, "--data", str(store), "--quiet"]).returncode == 0
    _rewrite_first_trace_value(store)
    done = run_script(["rerun", str(store), "--data", str(tmp_path / "again.nc")])
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "again.nc").exists()  # refused before the run (it ran, wrote, then refused)
    assert "its traces were changed after it was written: chunk v/c/0/0 does not match its checksum" in done.stderr


# ------------------------------------------------------------------ a Result is what ran (arrays edited in place)


def _reviewed_run(**kwargs):
    """The review's run: white noise, 20 neurons, one trace."""
    return lifsim.simulate(
        lifsim.LIFParams(t_max="40 ms"),
        inputs.white_noise("300 pA", sigma="4 mV"),
        n=20,
        seed=9,
        record_v=[0],
        **kwargs,
    )


@pytest.mark.parametrize("source", ["simulate", ".npz", ".nc", ".zarr", "rerun", "streamed"])
def test_a_results_arrays_are_read_only(tmp_path, source):
    """``r.v *= 1e3; r.spike_count[:] = 0; r.save(...)`` saved the edited arrays with fresh checksums, and they
    loaded back as if they were the run: every array of a Result is read-only, however it was made."""
    run = _reviewed_run()
    if source in FORMATS:
        run.save(str(tmp_path / f"run{source}"))
        run = lifsim.load(str(tmp_path / f"run{source}"))
    elif source == "rerun":
        run = lifsim.rerun(run)
    elif source == "streamed":
        run = _reviewed_run(trace_store=str(tmp_path / "streamed.zarr"))
    run.load_traces()  # traces kept on disk come into memory read-only too
    for name in ARRAYS:
        value = getattr(run, name)
        if value is not None:
            assert not value.flags.writeable, name
    with pytest.raises(ValueError, match="read-only"):
        run.v *= 1e3
    with pytest.raises(ValueError, match="read-only"):
        run.spike_count[:] = 0
    with pytest.raises(ValueError, match="read-only"):
        run.trace(0)[0] = 1.0
    assert (run.v * 1e3).flags.writeable and np.array(run.v).flags.writeable  # the copies the guide names
    run.v = np.array(run.v)  # an array given to a Result later is kept read-only too
    assert not run.v.flags.writeable


def _set_spike(run):
    run.spike_i = np.where(np.arange(run.spike_i.size) == 0, 999, run.spike_i)


def _set_n(run):
    run.meta["n"] = run.meta["run"]["n"] = 21


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".zarr", ".csv"])
@pytest.mark.parametrize(
    "change, said",
    [
        (lambda run: run.meta.__setitem__("seed", 5), "seed"),
        (_set_spike, "spike_i"),
        (_set_n, "n"),
        (lambda run: setattr(run, "v_mean", run.v_mean[:-1]), "v_mean"),
    ],
)
def test_a_result_that_would_not_load_is_refused_at_save(tmp_path, suffix, change, said):
    """``r.spike_i[0] = 999`` or ``r.meta["seed"] = 5`` then ``r.save(...)`` wrote a file that ``lifsim.load``
    then refused (the run was lost): save runs the loaders' checks first, and writes nothing."""
    run = _reviewed_run()
    change(run)
    with pytest.raises(ValueError, match=rf"^path: .*run{suffix}.*not written.*{said}"):
        run.save(str(tmp_path / f"run{suffix}"))
    with pytest.raises(ValueError, match=said):
        lifsim.save(run, tmp_path / f"other{suffix}")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ a path that is no path


@pytest.fixture(scope="module")
def small_curve():
    return lifsim.fi_curve(lifsim.LIFParams(t_max="300 ms"), [1e-10, 2e-10], n=3)


#: every public call that takes a file path, and the name its message gives the path
PATH_CALLS = {
    "Result.save": (lambda run, curve, bad: run.save(bad), "path"),
    "lifsim.save": (lambda run, curve, bad: lifsim.save(run, bad), "path"),
    "Result.to_nwb": (lambda run, curve, bad: run.to_nwb(bad), "path"),
    "FICurve.save": (lambda run, curve, bad: curve.save(bad), "path"),
    "lifsim.load": (lambda run, curve, bad: lifsim.load(bad), "load"),
    "lifsim.load_sweep": (lambda run, curve, bad: lifsim.load_sweep(bad), "load_sweep"),
    "lifsim.network.load": (lambda run, curve, bad: lifsim.network.load(bad), "load"),
    "simulate trace_store": (
        lambda run, curve, bad: lifsim.simulate(PARAMS, n=2, record_v="all", trace_store=bad),
        "trace_store",
    ),
    "rerun trace_store": (lambda run, curve, bad: lifsim.rerun(run, trace_store=bad), "trace_store"),
    "sweep store": (lambda run, curve, bad: lifsim.sweep(PARAMS, grid={"tau": ["10 ms"]}, n=2, store=bad), "store"),
}


#: None is the default of a store (no store), so it is no bad value there
OPTIONAL = ("simulate trace_store", "rerun trace_store", "sweep store")


@pytest.mark.parametrize(
    "call, bad",
    [(call, bad) for call in PATH_CALLS for bad in (5, None, b"x.nc") if not (bad is None and call in OPTIONAL)],
)
def test_a_path_of_the_wrong_type_is_named(tmp_path, noisy, small_curve, call, bad):
    """``Result.save(5)`` raised Python's bare "expected str, bytes or os.PathLike object, not int" (and
    ``network.load``, ``trace_store=``, ``store=`` likewise) while ``lifsim.load(5)`` named itself: every call that
    takes a path says which argument, what it got and what it takes, and writes nothing."""
    function, what = PATH_CALLS[call]
    with pytest.raises(TypeError) as caught:
        function(noisy, small_curve, bad)
    message = str(caught.value)
    assert message.startswith(f"{what}: expected a file path (a str or pathlib.Path), got "), message
    assert type(bad).__name__ in message and repr(bad) in message
    assert list(tmp_path.iterdir()) == []
